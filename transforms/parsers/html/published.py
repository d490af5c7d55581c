"""Publication and update times, as precise as the page states them and never more.

Order of trust: JSON-LD (`datePublished`/`dateModified`), then <meta> tags, microdata,
<time> elements, a date in the URL, and visible "Published/Updated" wording. Every value
goes through `normalise_date`, which keeps the page's own offset, applies the site zone
only to local times, and keeps a lone day as `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from transforms.parsers.dates import normalise_date
from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date.issued",
    "dcterms.date",
    "dc.date",
    "date",
    "cxenseparse:recs:publishtime",
    "article_date_original",
    "originalpublicationdate",
)
_UPDATED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "og:updated_time",
    "article.updated",
    "dcterms.modified",
    "last-modified",
)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:[/._-]|$)|"
    r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])/"
)
_VISIBLE = re.compile(
    r"\b(?P<kind>published|posted|updated|modified|last updated|date)\b\s*(?:on|at|:)?\s*"
    r"(?P<date>[^|\n]{6,60})",
    re.IGNORECASE,
)
_VISIBLE_SCAN_CHARS = 20_000
_PUBLISHED_CLASS = re.compile(r"publish|posted|date|time|byline|meta", re.IGNORECASE)


def _first(values: Iterable[str | None], default_tz: str | None) -> str | None:
    for value in values:
        if value:
            normalised = normalise_date(value, default_tz)
            if normalised:
                return normalised
    return None


def _microdata_values(meta: PageMetadata, prop: str) -> list[str | None]:
    return [
        e.get("datetime") or e.get("content") or clean(e.text_content()) for e in meta.microdata.get(prop, ())
    ]


def _time_elements(tree: HtmlElement) -> list[str]:
    """datetime attributes of <time> elements, those marked as publication first."""
    marked, others = [], []
    for element in tree.iter("time"):
        value = element.get("datetime")
        if not value:
            continue
        label = f"{element.get('class', '')} {element.get('itemprop', '')} {element.get('pubdate', '')}"
        parent = element.getparent()
        if parent is not None:
            label += f" {parent.get('class', '')}"
        (marked if _PUBLISHED_CLASS.search(label) or element.get("pubdate") is not None else others).append(
            value
        )
    return marked + others


def date_from_url(url: str | None) -> str | None:
    """The day a URL path carries (/2023/12/17/, /2023-12-17-, /20231217/), if any."""
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    year, month, day = (g for g in match.groups() if g)
    return normalise_date(f"{year}-{int(month):02d}-{int(day):02d}")


def _visible(tree: HtmlElement, default_tz: str | None) -> tuple[str | None, str | None]:
    """ "Published 5 Feb 2025" / "Updated 06 February 2025" wording in the page text."""
    body = tree.find("body")
    if body is None:
        return None, None
    published = updated = None
    for element in body.iter("time", "span", "div", "p", "li"):
        text = clean(element.text or "")
        if not text or len(text) > 120:
            continue
        for match in _VISIBLE.finditer(text):
            value = normalise_date(match["date"], default_tz)
            if not value:
                continue
            if match["kind"].lower() in ("updated", "modified", "last updated"):
                updated = updated or value
            else:
                published = published or value
        if published and updated:
            break
    return published, updated


def extract_dates(
    tree: HtmlElement, meta: PageMetadata, url: str | None, default_tz: str | None
) -> tuple[str | None, str | None]:
    """(published_at, updated_at) as ISO strings from the most trusted source that has them."""
    published = _first(
        [
            *(as_text(v) for v in meta.article_values("datePublished")),
            *(as_text(v) for v in meta.article_values("dateCreated")),
            *(meta.first_meta(n) for n in _PUBLISHED_META),
            *_microdata_values(meta, "datePublished"),
            *_time_elements(tree),
        ],
        default_tz,
    )
    updated = _first(
        [
            *(as_text(v) for v in meta.article_values("dateModified")),
            *(meta.first_meta(n) for n in _UPDATED_META),
            *_microdata_values(meta, "dateModified"),
        ],
        default_tz,
    )
    if not published:
        published = date_from_url(url)
    if not published or not updated:
        seen_published, seen_updated = _visible(tree, default_tz)
        published = published or seen_published
        updated = updated or seen_updated
    return published, updated
