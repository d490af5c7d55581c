"""The page language as an ISO 639-1 code, from what the page declares about itself."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text

_CODE = re.compile(r"^\s*([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*\s*$")


def _code(value: str | None) -> str | None:
    match = _CODE.match(value or "")
    return match.group(1).lower() if match else None


def extract_language(tree: HtmlElement, meta: PageMetadata) -> str | None:
    """<html lang>, then JSON-LD inLanguage, then og:locale / content-language; None when undeclared."""
    candidates = [
        tree.get("lang"),
        tree.get("xml:lang"),
        *(as_text(v) for v in meta.article_values("inLanguage")),
        meta.first_meta("og:locale", "content-language", "language", "dc.language"),
    ]
    for value in candidates:
        code = _code(value)
        if code:
            return code
    return None
