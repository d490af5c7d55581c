"""RSS 2.0, Atom 1.0, Google News sitemaps, sitemap indexes and robots.txt for the synthetic outlets.

Feed items and sitemap entries link to exactly the canonical URL the article page declares,
so a story found through a feed, a sitemap and its page is one story downstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

from demo.corpus.cast import Outlet
from demo.corpus.story import CorpusConfig, Story, StoryHead, story_url

_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _latest(items: Sequence[StoryHead | Story]) -> datetime | None:
    changes = [s.last_change for s in items if s.last_change]
    return max(changes) if changes else None


def render_rss(cfg: CorpusConfig, site: Outlet, base: str, items: Sequence[Story]) -> str:
    """RSS 2.0 with dc:creator authors and one <category> per section and tag."""
    built = _latest(items)
    entries = []
    for item in items:
        url = escape(story_url(cfg, item))
        creators = "".join(f"<dc:creator>{escape(a)}</dc:creator>" for a in item.authors)
        categories = "".join(f"<category>{escape(c)}</category>" for c in (item.section, *item.tags[1:]))
        pub = f"<pubDate>{format_datetime(item.published)}</pubDate>" if item.published else ""
        entries.append(
            f"<item><title>{escape(item.headline)}</title><link>{url}</link>"
            f'<guid isPermaLink="true">{url}</guid>{pub}{creators}{categories}'
            f"<description>{escape(' '.join(item.summary))}</description></item>"
        )
    return (
        _XML_DECL
        + '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        + 'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        + f"<title>{escape(site.name)}</title>\n<link>{escape(base)}/</link>\n"
        + f"<description>Latest news from {escape(site.name)}</description>\n"
        + f"<language>{site.language_tag}</language>\n"
        + (f"<lastBuildDate>{format_datetime(built)}</lastBuildDate>\n" if built else "")
        + f'<atom:link href="{escape(base)}/rss.xml" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(entries)
        + "\n</channel>\n</rss>\n"
    )


def render_atom(cfg: CorpusConfig, site: Outlet, base: str, items: Sequence[Story]) -> str:
    """Atom 1.0 with published/updated, authors and categories (term = section slug)."""
    built = _latest(items)
    entries = []
    for item in items:
        url = escape(story_url(cfg, item))
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in item.authors)
        categories = f'<category term="{item.section.lower()}" label="{escape(item.section)}"/>' + "".join(
            f'<category term="{escape(t)}"/>' for t in item.tags[1:]
        )
        published = f"<published>{item.published.isoformat()}</published>" if item.published else ""
        updated = f"<updated>{item.last_change.isoformat()}</updated>" if item.last_change else ""
        entries.append(
            f"<entry><title>{escape(item.headline)}</title><id>{url}</id>"
            f'<link rel="alternate" type="text/html" href="{url}"/>{published}{updated}{authors}{categories}'
            f'<summary type="text">{escape(" ".join(item.summary))}</summary></entry>'
        )
    return (
        _XML_DECL
        + f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{site.language_tag}">\n'
        + f"<title>{escape(site.name)}</title>\n<id>{escape(base)}/</id>\n"
        + f'<link rel="alternate" type="text/html" href="{escape(base)}/"/>\n'
        + f'<link rel="self" type="application/atom+xml" href="{escape(base)}/atom.xml"/>\n'
        + (f"<updated>{built.isoformat()}</updated>\n" if built else "")
        + "\n".join(entries)
        + "\n</feed>\n"
    )


def render_news_sitemap(cfg: CorpusConfig, site: Outlet, items: Sequence[StoryHead | Story]) -> str:
    """A Google News sitemap; undated pages appear as plain <url><loc> entries."""
    rows = []
    for item in items:
        url = escape(story_url(cfg, item))
        if not item.published:
            rows.append(f"<url><loc>{url}</loc></url>")
            continue
        rows.append(
            f"<url><loc>{url}</loc><lastmod>{item.last_change.isoformat()}</lastmod>"
            "<news:news><news:publication>"
            f"<news:name>{escape(site.name)}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{item.published.isoformat()}</news:publication_date>"
            f"<news:title>{escape(item.headline)}</news:title>"
            f"<news:keywords>{escape(', '.join(item.tags))}</news:keywords></news:news></url>"
        )
    return (
        _XML_DECL
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        + 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )


def render_sitemap_index(locations: Sequence[tuple[str, datetime | None]]) -> str:
    rows = "".join(
        f"<sitemap><loc>{escape(loc)}</loc>" + (f"<lastmod>{mod.isoformat()}</lastmod>" if mod else "") + "</sitemap>\n"
        for loc, mod in locations
    )
    return (
        _XML_DECL + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</sitemapindex>\n"
    )


def render_robots(sitemaps: Sequence[str], disallow: Sequence[str]) -> str:
    lines = ["User-agent: *", *(f"Disallow: {d}" for d in disallow), "Allow: /", ""]
    lines += [f"Sitemap: {s}" for s in sitemaps]
    return "\n".join(lines) + "\n"
