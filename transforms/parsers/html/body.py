"""The story text as paragraphs: trafilatura's content finder on a tree we prune first, then filtered.

trafilatura (fast mode, no metadata pass, no comments) is good at finding the main block;
its misses are mostly page furniture it keeps: captions, "Related"/"Read more" links,
newsletter and subscription prompts, share bars. Those are removed from the tree before it
looks, and remaining boilerplate lines are dropped from its output.
"""

from __future__ import annotations

import re
from copy import deepcopy

import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.parsers.html.text import clean, key

_FURNITURE = XPath(
    "//figure | //figcaption | //aside | //nav | //footer | //form | //noscript"
    ' | //*[@role="complementary" or @role="navigation" or @aria-hidden="true"]'
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' caption ')]"
    ' | //*[contains(@class, "newsletter") or contains(@class, "related") or contains(@class, "social-share")'
    ' or contains(@class, "share-bar") or contains(@class, "inline-ad") or contains(@class, "ad-container")'
    ' or contains(@class, "recirc") or contains(@class, "read-more") or contains(@class, "subscribe")'
    ' or contains(@class, "promo")][not(self::body or self::html or self::article or self::main)]'
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:advertisement|advertising|sponsored|read more|related(?: articles| stories| coverage)?|"
    r"see also|share this|share|follow us|sign up|subscribe|click here|recommended|most popular|"
    r"trending|watch|listen|photo|image|video|credit|getty images|ad)\b.{0,80}$",
    re.IGNORECASE,
)
_CAPTION_XPATH = XPath("//figcaption")


def _pruned_copy(tree: HtmlElement) -> HtmlElement:
    copy = deepcopy(tree)
    for element in _FURNITURE(copy):
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()
    return copy


def image_caption(tree: HtmlElement) -> str | None:
    """The first figure caption on the page, the one that belongs to the lead image."""
    for caption in _CAPTION_XPATH(tree):
        text = clean(caption.text_content())
        if text:
            return text
    return None


def _keep(line: str, title_key: str) -> bool:
    if not line:
        return False
    if len(line) < 90 and _BOILERPLATE_LINE.match(line):
        return False
    return not (title_key and key(line) == title_key)


def extract_paragraphs(tree: HtmlElement, url: str | None, title: str | None) -> list[str]:
    """The story's paragraphs in reading order; empty when the page has no main text."""
    document = trafilatura.bare_extraction(
        _pruned_copy(tree),
        url=url,
        fast=True,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
    )
    if document is None or not document.text:
        return []
    title_key = key(title)
    return [line for line in (clean(raw) for raw in document.text.split("\n")) if _keep(line, title_key)]
