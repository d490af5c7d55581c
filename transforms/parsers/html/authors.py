"""Author names as a clean list: no "By", no handles or e-mail, no site names, "A and B" split.

JSON-LD `author` is the most reliable source (it names people, not bylines), then author
<meta> tags, then microdata and visible byline elements. Each candidate string goes through
the same cleaning, so the order of sources only decides which one wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean, element_text, key

_MAX_AUTHORS = 10
_MAX_NAME_WORDS = 6
_BY = re.compile(r"^(?:(?:written|posted|reported|story|text|words|photos?)\s+)?by[:\s]+", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\n)\s*", re.IGNORECASE)
_HANDLE_OR_MAIL = re.compile(r"(?:\S+@\S+|(?<!\w)@\w+|https?://\S+|www\.\S+)")
_ROLE_SUFFIX = re.compile(
    r"\s*(?:[-–—,|]\s*)?(?:\b(?:staff|senior|contributing|special)?\s*"
    r"(?:writer|reporter|correspondent|editor|columnist|contributor)s?\b.*)$",
    re.IGNORECASE,
)
_DESK_WORDS = frozenset(
    {"staff", "desk", "newsroom", "editors", "editorial", "wire", "news", "team", "agency", "admin", "guest"}
)
_NOT_NAME = re.compile(
    r"\d{2}|\b(?:updated|published|posted|min read|read more|follow|share)\b", re.IGNORECASE
)
_META_NAMES = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
    "twitter:creator",
)
_BYLINE_XPATH = (
    '//*[@rel="author"] | //*[contains(@class, "byline") or contains(@class, "author-name")'
    ' or contains(@class, "author__name") or contains(@class, "contributor-name")][not(self::body)]'
)


def _candidate_strings(value: Any) -> Iterator[str]:
    """Names inside a JSON-LD author value: a string, a Person/Organization dict, or a list of them."""
    if isinstance(value, list):
        for item in value:
            yield from _candidate_strings(item)
    elif isinstance(value, dict):
        if "organization" in str(value.get("@type", "")).lower():
            return
        name = as_text(value.get("name"))
        if name:
            yield name
    elif isinstance(value, str):
        yield value


def clean_names(raw: Iterable[str], not_names: set[str]) -> list[str]:
    """Split bylines into person names, dropping prefixes, handles, roles and site/desk names."""
    names: list[str] = []
    seen: set[str] = set()
    for text in raw:
        text = _HANDLE_OR_MAIL.sub(" ", clean(text))
        text = _BY.sub("", text.strip())
        for part in _SPLIT.split(text):
            name = _ROLE_SUFFIX.sub("", _BY.sub("", part)).strip(" .,:;-–—()[]'\"")
            name_key = key(name)
            if not name_key or name_key in seen or _rejected(name, name_key, not_names):
                continue
            seen.add(name_key)
            names.append(name)
    return names[:_MAX_AUTHORS]


def _rejected(name: str, name_key: str, not_names: set[str]) -> bool:
    tokens = name_key.split()
    if len(tokens) > _MAX_NAME_WORDS or len(name) < 3 or _NOT_NAME.search(name):
        return True
    squashed = name_key.replace(" ", "")
    if any(squashed == site.replace(" ", "") for site in not_names):
        return True
    return all(t in _DESK_WORDS for t in tokens)


def extract_authors(tree: HtmlElement, meta: PageMetadata, not_names: set[str]) -> list[str]:
    """People credited with the story, from the first source that yields any."""
    sources: list[list[str]] = [
        [s for v in meta.article_values("author") for s in _candidate_strings(v)],
        [v for name in _META_NAMES for v in meta.meta.get(name, ()) if not v.startswith("http")],
        [element_text(e) for e in meta.microdata.get("author", ())],
        [element_text(e) for e in tree.xpath(_BYLINE_XPATH)[:5]],
    ]
    for raw in sources:
        names = clean_names(raw, not_names)
        if names:
            return names
    return []
