"""The page language as an ISO 639-1 code: what the page declares, checked against its text.

Declarations are usually right, but templates ship a default: Gujarati, Spanish or Thai
stories tagged `lang="en"` are common, and many pages declare nothing. The text is read with
py3langid (a naive Bayes model bundled in its wheel, offline, about 1 ms a page): it fills a
missing declaration when it is confident, and overrules a declaration only when it is all but
certain and gives the declared language almost no chance.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from transforms.parsers.html.metadata import PageMetadata, as_text

_CODE = re.compile(r"^\s*([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*\s*$")
# the start of the text decides: on the evaluation pages 1,000 characters decide as 3,000 do at half the
# cost, while 500 miss a Spanish story behind an English donation box
_SAMPLE_CHARS = 1000
# A declaration that the middle of a longer text agrees with stands without that full reading: the middle is
# the story itself, past any box at the top, and 300 characters cost a third of the reading (most pages).
_CHECK_CHARS = 300
FILL_CONFIDENCE = 0.9  # to name the language of a page that declares none
_OVERRULE_CONFIDENCE = 0.99  # to contradict the page's own declaration...
_DECLARED_AT_MOST = 0.01  # ...which the text must make all but impossible
# Latin text on a news page is lorem-ipsum filler left in a template, not the story's language
_NOT_DETECTED = frozenset({"la"})


def _code(value: str | None) -> str | None:
    match = _CODE.match(value or "")
    return match.group(1).lower() if match else None


def declared_language(tree: HtmlElement, meta: PageMetadata) -> str | None:
    """<html lang>, then JSON-LD inLanguage, then og:locale / content-language; None when undeclared."""
    candidates = [
        tree.get("lang"),
        tree.get("xml:lang"),
        *(as_text(v) for v in meta.article_values("inLanguage")),
        meta.first_meta("og:locale", "content-language", "language", "dc.language"),
    ]
    return next((code for code in map(_code, candidates) if code), None)


@cache
def _identifier() -> LanguageIdentifier | None:
    """The model, loaded once per process (0.4 s) and limited to ISO 639-1 languages; None when it cannot be
    loaded: py3langid unpacks it through a temporary file, which a full /tmp or a file-size limit stops, and
    pages must then keep the language they declare rather than all fail to parse."""
    try:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except OSError as error:
        warnings.warn(f"language model unavailable ({error}): pages keep their declared language", stacklevel=2)
        return None
    identifier.set_languages([c for c in identifier.labels if len(c) == 2 and c not in _NOT_DETECTED])
    return identifier


def load_language_model() -> None:
    """Load the model now: a process pool started after this shares it instead of each worker
    spending 0.4 s loading its own copy on its first page."""
    _identifier()


def text_language(text: str) -> dict[str, float]:
    """Probability of each language for `text` (an empty mapping for text without letters)."""
    sample = text[:_SAMPLE_CHARS]
    identifier = _identifier()
    if identifier is None or not any(c.isalpha() for c in sample):
        return {}
    return dict(identifier.rank(sample))


def _middle_agrees(declared: str, text: str) -> bool:
    """Whether the model's first choice for the middle of a text longer than the full sample is `declared`."""
    if len(text) <= _SAMPLE_CHARS:
        return False
    start = (len(text) - _CHECK_CHARS) // 2
    chances = text_language(text[start : start + _CHECK_CHARS])
    return bool(chances) and max(chances, key=chances.__getitem__) == declared


def detected_language(text: str) -> str | None:
    """The language of a text that declares none (a story dump, a page without `lang`), when the model is sure."""
    chances = text_language(text)
    if not chances:
        return None
    detected, confidence = max(chances.items(), key=lambda item: item[1])
    return detected if confidence >= FILL_CONFIDENCE else None


def extract_language(tree: HtmlElement, meta: PageMetadata, text: str) -> str | None:
    """The declared language, unless `text` (title and body) clearly says another; detected when undeclared."""
    declared = declared_language(tree, meta)
    if declared is None:
        return detected_language(text)
    if _middle_agrees(declared, text):
        return declared
    chances = text_language(text)
    if not chances:
        return declared
    detected, confidence = max(chances.items(), key=lambda item: item[1])
    # a code the model does not know ("nb", "sh") cannot be contradicted by it
    if declared in chances and confidence >= _OVERRULE_CONFIDENCE and chances[declared] <= _DECLARED_AT_MOST:
        return detected
    return declared
