"""Turn one story's mentions into entities: coreference, acronyms, gazetteer names, stable ids.

This step is shared by every detector, so that a spaCy or GLiNER backend gets the same
behaviour the contract asks for: "Asif Ali Zardari", "President Zardari" and "Zardari" are
one person; "Tehreek-e-Taliban Pakistan (TTP)" and a later "TTP" are one organisation; a
place carries its ISO country code; the same name gets the same `entity_id` in every story.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from transforms.enrich.lexicon import Lexicon
from transforms.enrich.mentions import EntityType, Mention
from transforms.keys import fold

_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&\-]*[A-Z])\s*\)")
_PERSON_CONNECTORS = frozenset(
    [
        "bin",
        "bint",
        "ibn",
        "al",
        "el",
        "de",
        "del",
        "da",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "la",
        "le",
        "y",
        "dos",
        "das",
    ]
)


@dataclass(frozen=True, slots=True)
class ResolvedMention:
    start: int
    end: int
    entity_id: str
    name: str
    entity_type: EntityType
    country_code: str | None


@dataclass(frozen=True, slots=True)
class Entity:
    entity_id: str
    name: str
    entity_type: EntityType
    country_code: str | None
    mentions: int


def entity_id(entity_type: str, name: str) -> str:
    """The natural key: type and case-folded name, e.g. "person:asif ali zardari"."""
    return f"{entity_type}:{fold(name)}"


def resolve(text: str, mentions: list[Mention], lex: Lexicon) -> list[ResolvedMention]:
    """Resolved mentions in text order; untyped mentions that refer to nothing are dropped."""
    mentions = sorted(set(mentions), key=lambda m: (m.start, -m.end))
    resolved: list[ResolvedMention] = []
    aliases: dict[str, str] = {}
    alias_positions: set[int] = set()
    for m in mentions:
        if m.entity_type == "organization":
            name = m.canonical or lex.organizations.get(fold(m.text)) or m.text
            definition = _ACRONYM_AFTER.match(text, m.end)
            if definition and len(m.text.split()) > 1:
                aliases[definition.group(1)] = name
                alias_positions.add(definition.start(1))
    people = _people(mentions)
    for m in mentions:
        if m.start in alias_positions:
            continue
        if _surname_typed_otherwise(m) and _name_key(m.text) in people:
            # "Laval said" after "Captain Idris Laval": the surname, not the Canadian city; a model that
            # reads "Zardari" in a Title Case headline as an organisation is overruled by the story.
            resolved.append(_mention(m, "person", people[_name_key(m.text)], None))
        elif m.entity_type == "place":
            place = lex.places.get(fold(m.canonical or m.text))
            name, code = (place.name, place.country_code) if place else (m.canonical or m.text, m.country_code)
            resolved.append(_mention(m, "place", name, code))
        elif m.entity_type == "organization":
            name = aliases.get(m.text) or m.canonical or lex.organizations.get(fold(m.text)) or m.text
            resolved.append(_mention(m, "organization", name, None))
        else:
            person = people.get(_name_key(m.text))
            if person is not None:
                resolved.append(_mention(m, "person", person, None))
            elif m.text in aliases:
                resolved.append(_mention(m, "organization", aliases[m.text], None))
            elif m.entity_type is None and fold(m.text) in lex.organizations:
                resolved.append(_mention(m, "organization", lex.organizations[fold(m.text)], None))
            elif m.entity_type is None and m.hint == "organization":
                resolved.append(_mention(m, "organization", m.text, None))
    return resolved


def entities(resolved: list[ResolvedMention]) -> list[Entity]:
    """One row per entity of the story with its mention count."""
    counts = Counter(r.entity_id for r in resolved)
    first: dict[str, ResolvedMention] = {}
    for r in resolved:
        first.setdefault(r.entity_id, r)
    return [Entity(i, first[i].name, first[i].entity_type, first[i].country_code, n) for i, n in counts.items()]


def _surname_typed_otherwise(m: Mention) -> bool:
    """One word typed as a place, or as an organisation no gazetteer knows: it may be a person's surname."""
    if " " in m.text:
        return False
    return m.entity_type == "place" or (m.entity_type == "organization" and m.canonical is None)


def _mention(m: Mention, entity_type: EntityType, name: str, code: str | None) -> ResolvedMention:
    return ResolvedMention(m.start, m.end, entity_id(entity_type, name), name, entity_type, code)


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(w.casefold() if w.isascii() else fold(w) for w in name.split())


def _people(mentions: list[Mention]) -> dict[tuple[str, ...], str]:
    """Map every person-ish name form of the story to the full name it stands for.

    Full names (two words or more) stand for themselves. A shorter form maps to the one full
    name that ends with it ("Zardari", "Ali Zardari") or, for a single word, starts with it
    ("Xi" -> "Xi Jinping": Chinese names put the family name first). Forms that fit several
    full names are left out rather than guessed. A titled single name with no full name in
    the story ("President Zardari") stands for itself.
    """
    full: dict[tuple[str, ...], str] = {}
    for m in mentions:
        key = _name_key(m.text)
        if m.entity_type == "person" and len([w for w in key if w not in _PERSON_CONNECTORS]) >= 2:
            full.setdefault(key, m.text)
    endings: dict[tuple[str, ...], set[str]] = defaultdict(set)
    starts: dict[str, set[str]] = defaultdict(set)
    for whole, name in full.items():
        for i in range(1, len(whole)):
            endings[whole[i:]].add(name)
        starts[whole[0]].add(name)
    table: dict[tuple[str, ...], str] = {}
    for m in mentions:
        key = _name_key(m.text)
        if key in table or m.entity_type == "organization" or (m.entity_type == "place" and len(key) > 1):
            continue
        longer = endings.get(key) or (starts.get(key[0]) if len(key) == 1 else None)
        if m.entity_type == "place" and not endings.get(key):
            continue  # a one-word place stands for a person only as that person's surname
        if longer and len(longer) == 1:
            table[key] = next(iter(longer))  # "Zardari", "Ali Zardari" -> "Asif Ali Zardari"
        elif longer and key not in full:
            continue  # "Kessler" after "Dana Kessler" and "Ruth Kessler": either, so neither
        elif key in full or m.entity_type == "person":
            table[key] = full.get(key, m.text)
    return table
