"""What an entity detector hands over, and the interface any detector implements.

The rule-based detector in `rules.py` is the default because it needs nothing but the
gazetteers; a spaCy or GLiNER backend only has to return `Mention`s for a text and the same
resolution (titles, coreference, country codes, stable ids) applies to its output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

EntityType = Literal["person", "organization", "place"]
ENTITY_TYPES: tuple[EntityType, ...] = ("person", "organization", "place")


@dataclass(frozen=True, slots=True)
class Mention:
    """A stretch of the story text that names something.

    `entity_type` is None for a capitalised word the detector could not type by itself
    ("Zardari", "TTP"): resolution keeps it only if it refers back to a typed mention
    of the same story (a surname, a defined acronym). `canonical` is the gazetteer's
    name when the detector already knows it ("U.S." -> "United States"); `country_code`
    comes with places. `titled` says a title preceded the name ("President Zardari"),
    which is evidence enough for a one-word person name. `hint` is the type an untyped
    mention takes when it refers back to nothing ("told TMZ" -> organisation).
    """

    start: int
    end: int
    text: str
    entity_type: EntityType | None
    canonical: str | None = None
    country_code: str | None = None
    titled: bool = False
    hint: EntityType | None = None


class MentionDetector(Protocol):
    """Finds mentions in one story's text.

    `english` is False when the story is in another language: a detector built on
    English cues should then return only what its gazetteers are sure of.
    Implementations must not raise on odd text (other scripts, all caps, no sentences).
    `version` names what produces the mentions ("en_core_web_sm-3.8.0", "rules"): it becomes part of
    each story's `fact_story.enrichment_version`.
    """

    version: str

    def detect(self, text: str, *, english: bool) -> list[Mention]: ...

    def detect_many(self, texts: Sequence[str], *, english: Sequence[bool]) -> list[list[Mention]]:
        """`detect` over a batch of stories; a statistical model reads them together, which is cheaper
        (detectors that subclass this protocol inherit the one-at-a-time default)."""
        return [self.detect(text, english=flag) for text, flag in zip(texts, english, strict=True)]
