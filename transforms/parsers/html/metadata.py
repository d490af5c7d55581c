"""Structured metadata a page declares about itself: JSON-LD, <meta> tags and microdata.

Publishers write these for search engines and social cards, so they are usually cleaner
than anything read from the visible layout; every field reader tries them first and falls
back to the page text only when they are silent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

MAX_JSON_LD_CHARS = 1_000_000
_ARTICLE_TYPES = re.compile(r"(article|posting|report|story|newsarticle|liveblog)$", re.IGNORECASE)
_PAGE_TYPES = re.compile(r"(webpage|itempage)$", re.IGNORECASE)
_TRAILING_COMMAS = re.compile(r",\s*([}\]])")
_MICRODATA_PROPS = frozenset({"headline", "author", "datePublished", "dateModified", "dateCreated"})
_ITEMPROP = XPath("//*[@itemprop][not(self::meta)]")
_PERSON_ITEM = XPath(
    "//*[@itemscope][re:test(@itemtype, 'schema.org/Person$', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"},
)
_ITEM_NAME = XPath(".//*[@itemprop='name']")
_MAX_MICRODATA = 10


@dataclass(slots=True)
class PageMetadata:
    """What the page says about itself, keyed so readers can ask for a field by any of its names."""

    articles: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD objects of an article type
    pages: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD WebPage objects, weaker evidence
    organisations: set[str] = field(default_factory=set)  # publisher/organisation names, never authors
    # JSON-LD Person objects by @id: an article's `author` is often only {"@id": ...} pointing at one (Yoast)
    people: dict[str, str] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased name/property -> contents
    microdata: dict[str, list[HtmlElement]] = field(default_factory=dict)  # itemprop -> elements
    microdata_people: list[str] = field(default_factory=list)  # names of schema.org/Person items

    def first_meta(self, *names: str) -> str | None:
        """The first non-empty <meta> content among `names`, in the order asked."""
        for name in names:
            for value in self.meta.get(name, ()):
                if value.strip():
                    return value.strip()
        return None

    def article_values(self, key: str) -> Iterator[Any]:
        """`key` from every JSON-LD article object, then from WebPage objects."""
        for obj in (*self.articles, *self.pages):
            if obj.get(key) not in (None, "", []):
                yield obj[key]


def _types(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("@type", [])
    return [str(k) for k in (kind if isinstance(kind, list) else [kind])]


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON object in a JSON-LD document, @graph members included; depth-capped (hostile nesting)."""
    if depth > 20:
        return
    if isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)


def _load_json(text: str) -> Any:
    """JSON-LD as sites really write it: tolerate trailing commas, raw newlines and HTML comments."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
    if not text or len(text) > MAX_JSON_LD_CHARS:
        return None
    for candidate in (text, _TRAILING_COMMAS.sub(r"\1", text.replace("\n", " ").replace("\t", " "))):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _json_ld(tree: HtmlElement, found: PageMetadata) -> None:
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        data = _load_json(script.text or "")
        for obj in _walk(data):
            kinds = _types(obj)
            if any(_ARTICLE_TYPES.search(k) for k in kinds):
                found.articles.append(obj)
            elif any(_PAGE_TYPES.search(k) for k in kinds):
                found.pages.append(obj)
            name = obj.get("name")
            if isinstance(name, str) and name.strip():
                if "Person" in kinds and isinstance(obj.get("@id"), str):
                    found.people[obj["@id"]] = name.strip()
                elif any(k in ("Organization", "NewsMediaOrganization", "Corporation") for k in kinds):
                    found.organisations.add(name.strip())
            publisher = obj.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.organisations.add(publisher["name"].strip())


def _meta_tags(tree: HtmlElement, found: PageMetadata) -> None:
    for tag in tree.iter("meta"):
        content = tag.get("content")
        if content is None:
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = tag.get(attribute)
            if key:
                found.meta.setdefault(key.strip().lower(), []).append(content)


def _microdata(tree: HtmlElement, found: PageMetadata) -> None:
    for element in _ITEMPROP(tree):
        prop = element.get("itemprop", "")
        if prop in _MICRODATA_PROPS and len(found.microdata.setdefault(prop, [])) < _MAX_MICRODATA:
            found.microdata[prop].append(element)


def _microdata_people(tree: HtmlElement, found: PageMetadata) -> None:
    for person in _PERSON_ITEM(tree)[:_MAX_MICRODATA]:
        for name in _ITEM_NAME(person)[:1]:
            text = name.get("content") or name.text_content()
            if text and text.strip():
                found.microdata_people.append(text.strip())


def read_metadata(tree: HtmlElement) -> PageMetadata:
    """Collect JSON-LD, <meta> and microdata once, before any reader modifies the tree."""
    found = PageMetadata()
    _json_ld(tree, found)
    _meta_tags(tree, found)
    _microdata(tree, found)
    _microdata_people(tree, found)
    return found


def as_text(value: Any) -> str | None:
    """A JSON-LD value as a plain string: a dict gives its name/@value, a list its first usable item."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("name", "@value", "text", "url", "@id"):
            text = as_text(value.get(key))
            if text:
                return text
    if isinstance(value, list):
        for item in value:
            text = as_text(item)
            if text:
                return text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
