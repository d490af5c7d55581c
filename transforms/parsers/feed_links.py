"""Find the feeds a front page advertises with `<link rel="alternate" type="...">`.

This is how a `page` source (a site's home page) becomes feed sources without configuration:
RSS, Atom and JSON Feed links, made absolute against `<base href>` or the page URL, in page
order, without duplicates.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
        "application/x-rss+xml",
        "text/xml",
        "application/xml",
    }
)


def discover_feed_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the feeds `html` links to as alternates; [] when none."""
    tree = LexborHTMLParser(html)
    base = base_url
    for node in tree.css("base[href]"):
        base = urljoin(base_url, (node.attributes.get("href") or "").strip())
        break
    found: list[str] = []
    for node in tree.css("link[rel]"):
        attrs = node.attributes
        if "alternate" not in (attrs.get("rel") or "").lower().split():
            continue
        kind = (attrs.get("type") or "").split(";", 1)[0].strip().lower()
        href = (attrs.get("href") or "").strip()
        if kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)
    return found
