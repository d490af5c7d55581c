"""Which stories the English models and rules may read.

Enrichment supports English only: entities, quotes and IPTC topics come from English models, gazetteer
cues and keyword lists, and applied to another language they invent things (the Italian article "Un"
became the United Nations, the preposition "ai" artificial intelligence). A story is English when its
language field says so; a story without one is read by the same py3langid detector the parser uses.
"""

from __future__ import annotations

from transforms.parsers.html.language import text_language

SUPPORTED = frozenset({"en"})


def is_english(language: str | None, text: str) -> bool:
    """The story's own language when it has one, else the detector's first choice for its text.

    Text the detector cannot read (no letters) counts as English: there is nothing to misread.
    """
    if language:
        return language.lower()[:2] in SUPPORTED
    chances = text_language(text)
    return not chances or max(chances, key=chances.__getitem__) in SUPPORTED
