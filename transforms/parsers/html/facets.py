"""Where a story sits on its site: canonical URL, section, tags and the standfirst."""

from __future__ import annotations

import re
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean, element_text
from transforms.urls import choose_canonical

_MAX_TAGS = 30
# a tag is a short label starting with a letter or digit: not prose that had commas in it
# ('"Uh', '" I said to my son.'), nor a template flag ("layout_hero")
_TAG = re.compile(r"^[^\W_](?:[^_\n!?\"“”]{0,48}[^\W_])?$")
_STANDFIRST_CLASS = re.compile(
    r"standfirst|article-summary|article__summary|\bdek\b|subheadline|sub-headline|article-subtitle|summary-list|"
    # the lede's names in other templates ("article__intro", "contentHeader__abstract", "documentDescription")
    r"(?:^|[\s_-])(?:intro|lead|lede|abstract)(?:$|[\s_-])|documentdescription",
    re.IGNORECASE,
)
# the standfirst sits right under the headline: only the elements that follow the first <h1> are examined
# "lead-image", "intro-media": the picture at the top and its caption, not the lede
_MEDIA_CLASS = re.compile(r"media|image|img|photo|picture|figure|caption|video|gallery", re.IGNORECASE)
_UNDER_HEADLINE = XPath("(//h1)[1]/following::*[@class][position() <= 60]")
_MAX_STANDFIRST_CHARS = 600


def canonical_url(tree: HtmlElement, meta: PageMetadata, url: str | None) -> str | None:
    """rel=canonical, else og:url, else JSON-LD url, else the fetched URL, by `choose_canonical`'s rule."""
    links = [link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower()]
    return choose_canonical(
        [
            *links,
            meta.first_meta("og:url"),
            *(as_text(v) for v in meta.article_values("url")),
            *(as_text(v) for v in meta.article_values("mainEntityOfPage")),
            url,
        ],
        url,
    )


def _flatten(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for item in value for t in _flatten(item)]
    text = as_text(value)
    return [text] if text else []


def extract_section(meta: PageMetadata) -> str | None:
    """JSON-LD articleSection, else article:section / parsely-section."""
    for value in meta.article_values("articleSection"):
        sections = _flatten(value)
        if sections:
            return clean(sections[0])
    section = meta.first_meta("article:section", "parsely-section", "section", "category")
    return clean(section) or None


def extract_tags(meta: PageMetadata) -> list[str]:
    """Keywords the page declares (JSON-LD keywords, article:tag, news_keywords, keywords), de-duplicated."""
    raw: list[str] = []
    for value in meta.article_values("keywords"):
        raw += [part for text in _flatten(value) for part in text.split(",")]
    raw += meta.meta.get("article:tag", [])
    if not raw:
        for name in ("news_keywords", "keywords", "parsely-tags"):
            raw += [part for value in meta.meta.get(name, ()) for part in value.split(",")]
    tags: list[str] = []
    seen: set[str] = set()
    for tag in raw:
        text = clean(re.sub(r"^[\w-]+:", "", tag)) if ":" in tag and " " not in tag else clean(tag)
        if _TAG.match(text) and text.casefold() not in seen:
            seen.add(text.casefold())
            tags.append(text)
    return tags[:_MAX_TAGS]


def standfirst(tree: HtmlElement) -> list[str]:
    """The standfirst under the headline: its bullets when it is a list, else its one sentence."""
    for element in _UNDER_HEADLINE(tree):
        classes = element.get("class", "")
        if not _STANDFIRST_CLASS.search(classes) or _MEDIA_CLASS.search(classes):
            continue
        items = [text for text in (element_text(li) for li in element.iter("li")) if text]
        if items:
            return items
        text = element_text(element)
        if text and len(text) <= _MAX_STANDFIRST_CHARS:
            return [text]
    return []


def description(meta: PageMetadata) -> list[str]:
    """The page's own one-line description, the summary of last resort."""
    text = meta.first_meta("description", "og:description", "twitter:description")
    return [clean(text)] if text else []
