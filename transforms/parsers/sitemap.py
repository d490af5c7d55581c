"""Sitemaps (sitemaps.org) and Google News sitemaps, read safely.

`parse_sitemap` handles both shapes: a `<sitemapindex>` lists child sitemaps to read next, a
`<urlset>` lists story URLs with `lastmod` and, for Google News sitemaps,
`news:publication_date` and `news:title`. Elements are matched by local name, because real
sites get the namespaces wrong (old Google URIs, missing prefixes). The XML goes through
defusedxml, so entity declarations (billion laughs, quadratic blowup) and external entities
are refused; a gzip-compressed sitemap (`.xml.gz` read from disk) is inflated with a cap.

Raises `ParseError` with reason `xml_attack`, `not_xml`, `not_sitemap` or `too_large`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from transforms.decompress import gunzip_bounded
from transforms.errors import ParseError

# The sitemaps protocol caps an uncompressed sitemap at 50 MB.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
# The protocol allows 50,000 children per index; a news site lists its recent days first, and reading
# hundreds of children (each up to 50 MB) in one run is an archive crawl, not an update. Children past
# this cap are counted in `dropped_children`, not listed.
MAX_CHILD_SITEMAPS = 500


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One `<url>`: dates are the strings as written (W3C datetime), None when absent."""

    url: str
    lastmod: str | None = None
    publication_date: str | None = None
    title: str | None = None


@dataclass(slots=True)
class Sitemap:
    """What one sitemap document says: child sitemap URLs (an index, at most `MAX_CHILD_SITEMAPS`, in
    document order) and/or story entries; `dropped_children` counts the children past the cap."""

    sitemaps: list[str] = field(default_factory=list)
    entries: list[SitemapEntry] = field(default_factory=list)
    dropped_children: int = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _inflate(content: bytes) -> bytes:
    """A `.xml.gz` sitemap inflated with the sitemap cap; corrupt gzip is a sitemap that is not XML."""
    try:
        return gunzip_bounded(content, MAX_SITEMAP_BYTES)
    except ParseError as error:
        if error.reason == "bad_gzip":
            raise ParseError("not_xml", f"bad gzip: {error.detail}") from None
        raise


def _entry(element: Element) -> SitemapEntry | None:
    url = _child_text(element, "loc")
    if url is None:
        return None
    news = _child(element, "news")
    return SitemapEntry(
        url=url,
        lastmod=_child_text(element, "lastmod"),
        publication_date=_child_text(news, "publication_date") if news is not None else None,
        title=_child_text(news, "title") if news is not None else None,
    )


def parse_sitemap(content: bytes) -> Sitemap:
    """Child sitemaps and entries of a sitemap index, sitemap or Google News sitemap."""
    if content[:2] == b"\x1f\x8b":
        content = _inflate(content)
    if len(content) > MAX_SITEMAP_BYTES:
        raise ParseError("too_large", f"{len(content)} bytes, limit {MAX_SITEMAP_BYTES}")
    try:
        root = fromstring(content.lstrip())
    except DefusedXmlException as exc:
        raise ParseError("xml_attack", f"{type(exc).__name__}: {exc}") from None
    except XmlSyntaxError as exc:
        raise ParseError("not_xml", str(exc)) from None
    kind = _local(root.tag)
    sitemap = Sitemap()
    if kind == "sitemapindex":
        children = [loc for child in root if (loc := _child_text(child, "loc"))]
        sitemap.sitemaps = children[:MAX_CHILD_SITEMAPS]
        sitemap.dropped_children = len(children) - len(sitemap.sitemaps)
    elif kind == "urlset":
        sitemap.entries = [entry for child in root if _local(child.tag) == "url" and (entry := _entry(child))]
    else:
        raise ParseError("not_sitemap", f"root element <{kind}>")
    return sitemap
