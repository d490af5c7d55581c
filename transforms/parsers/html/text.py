"""Text helpers shared by the field readers: plain text, whitespace folding and comparison keys.

Every field of the record is plain text: metadata often carries markup (`<p>Share this…` in a
description, `<em>` in a headline, escaped or not), and adjacent elements in a byline
(`<a>Jeff Foust</a><time>Monday</time>`) are separate words, not one.
"""

from __future__ import annotations

import html
import re
import unicodedata

from lxml.html import HtmlElement

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})
# elements that style part of a word ("<b>W</b>ashington", "m<sup>2</sup>"): no word break at their edges
# elements whose content is code, never visible text (a style sheet inside a template's lede block)
_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})
_IN_WORD = frozenset({"b", "i", "em", "strong", "u", "s", "sup", "sub", "small", "mark", "abbr", "font", "wbr"})


def fold(text: str | None) -> str:
    """Entities decoded and runs of whitespace folded to one space (extracted text, already plain)."""
    if not text:
        return ""
    return _SPACE.sub(" ", html.unescape(text)).strip()


def clean(text: str | None) -> str:
    """Plain text: entities decoded, tags (escaped or not) removed, whitespace folded."""
    if not text:
        return ""
    text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def _texts(element: HtmlElement, parts: list[str]) -> None:
    if element.tag in _NOT_TEXT:
        return
    spaced = element.tag not in _IN_WORD
    if spaced:
        parts.append(" ")
    if isinstance(element.tag, str) and element.text:  # comments and processing instructions are not text
        parts.append(element.text)
    for child in element:
        _texts(child, parts)
        if child.tail:
            parts.append(child.tail)
    if spaced:
        parts.append(" ")


def element_text(element: HtmlElement) -> str:
    """An element's visible text, folded, with a space where one element ends and a separate one begins."""
    parts: list[str] = []
    _texts(element, parts)
    return fold("".join(parts))


def key(text: str | None) -> str:
    """A comparison key: same words, any case, quotes and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold()
    return " ".join(_WORD.findall(folded))


def words(text: str | None) -> list[str]:
    """The comparison words of `text`."""
    return key(text).split()
