"""Text helpers shared by the field readers: whitespace folding and comparison keys."""

from __future__ import annotations

import html
import re
import unicodedata

from lxml.html import HtmlElement

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def clean(text: str | None) -> str:
    """Visible text with entities decoded and runs of whitespace folded to one space."""
    if not text:
        return ""
    return _SPACE.sub(" ", html.unescape(text)).strip()


def element_text(element: HtmlElement) -> str:
    """An element's visible text, folded."""
    return clean(element.text_content())


def key(text: str | None) -> str:
    """A comparison key: same words, any case, quotes and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).casefold()
    return " ".join(_WORD.findall(folded))


def words(text: str | None) -> list[str]:
    """The comparison words of `text`."""
    return key(text).split()
