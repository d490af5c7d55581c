"""The default mention detector: capitalised spans typed by titles, gazetteers and cues.

Why rules: no model weights can be fetched where Dateline runs, and news English marks names
well enough (capitals, titles, "said", acronym definitions) for a transparent detector whose
mistakes can be read and fixed in `data/`. Spans it cannot type are handed over untyped so
that resolution can still attach them to a typed mention of the same story ("Zardari" after
"President Asif Ali Zardari"), with a `hint` when the context suggests a type ("told TMZ").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from transforms.enrich.lexicon import Lexicon, Place, lexicon
from transforms.enrich.mentions import EntityType, Mention, MentionDetector
from transforms.keys import fold

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
_ABBREVIATION = r"(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Capt|Sgt|Adm|Gov|Sen|Rep|Rev|St|Jr|Sr|Maj|Brig|Co|Corp|Inc)\."
_INITIALS = rf"(?:[{_UPPER}]\.){{1,3}}"
_WORD = rf"(?:(?:al|el|ad|ash|as|ul|ur|bin|d)['’\-])?[{_UPPER}][\w$]*(?:[\-'’]\w+)*"
_TOKEN = rf"(?:{_ABBREVIATION}|{_INITIALS}|{_WORD})"
_CONNECTOR_WORDS = "of for the and de del da di du van von der den la le bin bint ibn al el y dos das"
_CONNECTORS = frozenset(_CONNECTOR_WORDS.split())
_CONNECTOR = "(?:" + "|".join(sorted(_CONNECTORS, key=len, reverse=True)) + ")"
_GAP = rf"[ \u00a0]+(?:{_CONNECTOR}[ \u00a0]+)*"
_SPAN = re.compile(rf"(?<![\w'’\-]){_TOKEN}(?:{_GAP}{_TOKEN})*")
_PIECE_TOKEN = re.compile(rf"{_TOKEN}|\b{_CONNECTOR}\b")
# "of", "for" and "the" join words only inside organisation names ("Bank of England") or after a
# title ("Secretary of State"); "and" only inside such a name ("Ministry of Science and
# Technology"). Elsewhere they separate two names ("China and Pakistan").
_WEAK_CONNECTORS = frozenset(("of", "for", "and", "the"))
_POSSESSIVE = re.compile(r"['’]s?$")
# "Elon Musk-led", "Dallas-based": the name is the part before the hyphen.
_ATTRIBUTIVE = re.compile(
    r"-(?:led|based|era|owned|backed|born|style|made|run|funded|linked|affiliated|bound|controlled)$"
)
_ROMAN_OR_SUFFIX = frozenset(("ii", "iii", "iv", "jr.", "sr.", "jr", "sr"))
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&\-]*[A-Z])\s*\)")
_SPEECH_AFTER = re.compile(
    r"\s*,?\s*(?:said|says|told|added|stated|wrote|noted|explained|argued|warned|tweeted|posted)\b"
)
_SPEECH_BEFORE = re.compile(r"\b(?:said|says|told|according to)\s+$")
_ORG_BEFORE = re.compile(
    r"\b(?:told|according to|company|firm|group|outlet|agency|automaker|carmaker|retailer|startup|giant|"
    r"rival|publisher|broadcaster|network|brand|maker|lender|bank|insurer|airline|platform)\s+$",
    re.IGNORECASE,
)
_ORG_AFTER = re.compile(r"\s+(?:reported|reports|announced|said in a statement|shares|stock)\b")
_POSSESSOR_BEFORE = re.compile(r"([A-Z][\w.]*(?:\s[A-Z]\w*)?)['’]s\s+$")
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|from|near|outside|to|of|across|around|at|into|town of|city of)\s+$")
_REGION_AFTER = re.compile(rf",\s+([{_UPPER}][\w.]*(?:\s[{_UPPER}]\w*)?)")
_NEXT_WORD = re.compile(r"\s*([a-z]+)")
_DATELINE_AFTER = re.compile(r"\s*(?:[,:(]|\s[-–—])")
# A wire archive's dateline carries the filing date instead ("BONN 1996-08-30", "PARIS Aug 31"): with a date
# or an agency tag after it, a capitalised line opening is a place even when no gazetteer knows it.
_DATELINE_DATE_AFTER = re.compile(
    r"(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)?)?\s+(?:\d{4}-\d\d-\d\d|\((?:Reuters|AP|AFP)\)"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s\d{1,2}\b)"
)
_APPOSITION_BEFORE = re.compile(r"\b(?:at|of|from|with|for)\s+$")
_OPENERS = " \t\u00a0\"'“‘([\n"
_SENTENCE_ENDS = frozenset(".!?:;•-–—\n")
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_STYLE_GUIDE_LOWER = "a an the of in on for and or to at by vs as"
_TITLE_CASE_LOWER = frozenset(_STYLE_GUIDE_LOWER.split())
_MAX_NAME_TOKENS = 5
_MIN_HEADLINE_WORDS = 4
_MAX_HEADLINE_WORDS = 20
_ACRONYM_PLACE_LENGTH = 5
_COMMON_NAME_RATING = 5


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    key: str  # folded, without a possessive ending

    @property
    def is_connector(self) -> bool:
        return self.text in _CONNECTORS

    @property
    def is_acronym(self) -> bool:
        return _is_acronym(self.text)


class RuleMentionDetector(MentionDetector):
    """Gazetteers and cues over capitalised spans; see the module docstring for why."""

    version = "rules"

    def __init__(self, lex: Lexicon | None = None) -> None:
        self.lex = lex or lexicon()

    def detect(self, text: str, *, english: bool) -> list[Mention]:
        mentions: list[Mention] = []
        offset = 0
        for line in text.split("\n"):
            gazetteer_only = not english or _shouting_or_title_case(line)
            for span in _SPAN.finditer(line):
                if " " not in span.group() and _key(span.group()) in self.lex.common_words:
                    continue  # "The", "However": most spans are one sentence-initial word
                for piece in self._pieces(span, offset):
                    if gazetteer_only:
                        mentions.extend(self._gazetteer_matches(piece, text))
                    else:
                        mentions.extend(self._classify(piece, text))
            offset += len(line) + 1
        return mentions

    # -- splitting ---------------------------------------------------------------------------

    def _pieces(self, span: re.Match[str], offset: int) -> Iterator[list[_Token]]:
        """Split a capitalised span at possessives, attributive hyphens and separating connectors."""
        piece: list[_Token] = []
        base = span.start() + offset
        whole = span.group()
        if " " not in whole and "-" not in whole and not whole.endswith(("s", "'", "’")):
            yield [_Token(base, base + len(whole), whole, _key(whole))]  # the common case: one word
            return
        for match in _PIECE_TOKEN.finditer(whole):
            raw = match.group()
            word = _ATTRIBUTIVE.sub("", raw) if "-" in raw else raw
            cut = word != raw
            if word[-1] in "s'’" and raw[0].isupper() and len(word) > 2 and _POSSESSIVE.search(word):
                word, cut = _POSSESSIVE.sub("", word), True
            token = _Token(base + match.start(), base + match.start() + len(word), word, _key(word))
            if token.is_connector and token.text in _WEAK_CONNECTORS and not self._joins(piece, token):
                yield from _trimmed(piece)
                piece = []
                continue
            piece.append(token)
            if cut:
                yield from _trimmed(piece)
                piece = []
        yield from _trimmed(piece)

    def _joins(self, piece: list[_Token], connector: _Token) -> bool:
        if not piece:
            return False
        if connector.text == "and":
            return any(t.text in ("of", "for") for t in piece) and self._has_org_word(piece)
        last = piece[-1]
        # "Ministry of Finance", "Secretary of State", "Minister of the Interior"
        return last.is_connector or self._has_org_word(piece) or self._is_title(last)

    def _has_org_word(self, tokens: list[_Token]) -> bool:
        return any(t.key in self.lex.org_words for t in tokens)

    # -- typing ------------------------------------------------------------------------------

    def _classify(self, piece: list[_Token], text: str) -> list[Mention]:
        piece = self._strip_sentence_words(piece, text)
        if not piece:
            return []
        exact = self._exact(piece, text)
        if exact is not None:
            return exact
        demonym = self._leading_demonym(piece)
        if demonym:
            country, piece = demonym
            return [country, *self._classify(piece, text)]
        titled = self._split_title(piece, text)
        if titled is not None:
            return titled
        names = [t for t in piece if not t.is_connector]
        start, end = piece[0].start, piece[-1].end
        surface = text[start:end]
        if len(names) >= 2 and all(t.is_acronym for t in names):
            return self._gazetteer_matches(piece, text)  # "BREAKING NEWS": shouting, not a name
        if len(names) >= 2 and _ACRONYM_AFTER.match(text, end):
            return [Mention(start, end, surface, "organization")]
        if self._is_org_name(names):
            return [Mention(start, end, surface, "organization")]
        if len(names) >= 2 and names[-1].key in self.lex.place_words:
            return [Mention(start, end, surface, "place")]
        if (
            2 <= len(names) <= _MAX_NAME_TOKENS - 1
            and self._name_like(names)
            and (self._is_first_name(names[0]) or self._speech_cue(text, start, end))
        ):
            return [Mention(start, end, surface, "person")]
        if len(names) == 1:
            return [self._single(names[0], text)]
        return self._gazetteer_matches(piece, text)

    def _is_first_name(self, token: _Token) -> bool:
        """A given name; one that is also a place must be a common name ("Vladimir", not "Riyadh").

        A company's name is not a given name here ("Nissan Pathfinder", "Google Cloud").
        """
        if token.key in self.lex.organizations:
            return False
        rating = self.lex.first_names.get(token.key, 0)
        return rating >= _COMMON_NAME_RATING if token.key in self.lex.places else rating > 0

    def _is_org_name(self, names: list[_Token]) -> bool:
        """An organisation word plus at least one word that names which ("Department" alone does not)."""
        return self._has_org_word(names) and any(t.key not in self.lex.org_words for t in names)

    def _single(self, token: _Token, text: str) -> Mention:
        """One capitalised word nothing typed: a town after "in", else untyped with a context hint."""
        lex = self.lex
        if token.is_acronym and self._is_dateline(token, text):
            place = lex.places.get(token.key) or lex.small_places.get(token.key)
            if place is not None:  # "ISLAMABAD:", "MILLVILLE -", "KYIV, Dec 24 (Reuters)"
                return Mention(token.start, token.end, token.text, "place", place.name, place.country_code)
            if _DATELINE_DATE_AFTER.match(text, token.end):  # "HERZLIYA 1996-08-31"
                return Mention(token.start, token.end, token.text, "place", token.text.title())
        town = lex.small_places.get(token.key)
        if town and _LOCATIVE_BEFORE.search(text, max(0, token.start - 12), token.start):
            return Mention(token.start, token.end, token.text, "place", town.name, town.country_code)
        region = _REGION_AFTER.match(text, token.end)
        if town and region and fold(region.group(1)) in lex.places:
            return Mention(token.start, token.end, token.text, "place", town.name, town.country_code)
        return Mention(token.start, token.end, token.text, None, hint=self._hint(token, text))

    @staticmethod
    def _is_dateline(token: _Token, text: str) -> bool:
        line_start = text.rfind("\n", 0, token.start) + 1
        after = _DATELINE_AFTER.match(text, token.end) or _DATELINE_DATE_AFTER.match(text, token.end)
        return not text[line_start : token.start].strip() and bool(after)

    def _hint(self, token: _Token, text: str) -> EntityType | None:
        before = text[max(0, token.start - 40) : token.start]
        if _ORG_BEFORE.search(before) or _ORG_AFTER.match(text, token.end):
            return "organization"
        possessor = _POSSESSOR_BEFORE.search(before)
        if possessor and fold(possessor.group(1)) in self.lex.places:
            return "organization"  # "Austria's OMV", "Norway's Equinor"
        if (
            token.is_acronym
            and 3 <= len(token.key) <= _ACRONYM_PLACE_LENGTH
            and token.key.replace(".", "") not in self.lex.non_org_acronyms
        ):
            return "organization"
        return None

    def _strip_sentence_words(self, piece: list[_Token], text: str) -> list[_Token]:
        """Drop leading words capitalised only because a sentence starts there ("During", "Participants")."""
        lex = self.lex
        while piece:
            head, rest = piece[0], piece[1:]
            known = head.key in lex.places or head.key in lex.organizations or head.key in lex.demonyms
            # "News Corp", "General Motors": the first word is part of an organisation's name.
            keeps_name = bool(rest) and all(t.key in lex.org_words for t in rest if not t.is_connector)
            if head.is_connector or (head.key in lex.common_words and not known and not keeps_name):
                piece = rest
                continue
            at_sentence_start = _at_sentence_start(text, head.start)
            if (
                at_sentence_start
                and appears_lowercase(text, head.text.lower())
                and not known
                and not keeps_name
                and head.key not in lex.first_names
                and head.key not in lex.core_titles
            ):
                piece = rest
                continue
            break
        return piece

    def _exact(self, piece: list[_Token], text: str) -> list[Mention] | None:
        lex = self.lex
        start, end = piece[0].start, piece[-1].end
        key = _key(text[start:end])
        surface = text[start:end]
        if key in lex.organizations:
            return [Mention(start, end, surface, "organization", canonical=lex.organizations[key])]
        place = self._place(key, surface)
        if place is not None:
            return [Mention(start, end, surface, "place", place.name, place.country_code)]
        if key in lex.demonyms:
            word = _NEXT_WORD.match(text, end)
            if word and fold(word.group(1)) in lex.state_nouns:
                return [self._country(start, end, lex.demonyms[key])]
            return []
        return None

    def _place(self, key: str, surface: str) -> Place | None:
        """A gazetteer place; short all-caps words only when the alias is an acronym ("US", not "OTA")."""
        letters = surface.replace(".", "")
        if letters.isupper() and len(letters) <= _ACRONYM_PLACE_LENGTH and key not in self.lex.acronym_places:
            return None
        return self.lex.places.get(key)

    def _country(self, start: int, end: int, code: str) -> Mention:
        name = self.lex.country_names[code]
        return Mention(start, end, name, "place", name, code)

    def _leading_demonym(self, piece: list[_Token]) -> tuple[Mention, list[_Token]] | None:
        """ "Chinese Premier Li Qiang": the country is mentioned, and the rest is read on its own."""
        lex = self.lex
        for width in (2, 1):
            if len(piece) <= width:
                continue
            key = " ".join(t.key for t in piece[:width])
            follower = piece[width].key
            is_role = follower in lex.core_titles or follower in lex.title_modifiers
            if key in lex.demonyms and (is_role or follower in lex.state_nouns):
                country = self._country(piece[0].start, piece[width - 1].end, lex.demonyms[key])
                return country, piece[width:]
        return None

    def _is_title(self, token: _Token) -> bool:
        return token.key in self.lex.core_titles or token.key.rstrip(".") in self.lex.core_titles

    def _is_role_word(self, token: _Token) -> bool:
        return self._is_title(token) or token.key in self.lex.title_modifiers or token.is_connector

    def _split_title(self, piece: list[_Token], text: str) -> list[Mention] | None:
        """ "PVARA Chairman Bilal bin Saqib" -> whatever "PVARA" is, plus the person "Bilal bin Saqib"."""
        titles = [i for i, t in enumerate(piece) if self._is_title(t)]
        if not titles:
            return None
        last = titles[-1]
        name = piece[last + 1 :]
        if name and name[0].text in ("of", "for"):
            # "Secretary of Labor Julie Su": the title's complement is one word (plus role words).
            name = name[2:]
        while name and self._is_role_word(name[0]):
            name = name[1:]
        if name and self._has_org_word(name) and self._is_org_name([t for t in piece if not t.is_connector]):
            # "General Motors", "Justice Department": a title word inside an organisation's name.
            start, end = piece[0].start, piece[-1].end
            return [Mention(start, end, text[start:end], "organization")]
        first = last
        while first > 0 and self._is_role_word(piece[first - 1]):
            first -= 1
        prefix = piece[:first]
        found = self._classify(prefix, text) if prefix else []
        if name:
            found.extend(self._name_after_title(name, text))
        return found

    def _name_after_title(self, name: list[_Token], text: str) -> list[Mention]:
        start, end = name[0].start, name[-1].end
        exact = self._exact(name, text)
        if exact is not None:
            return exact
        words = [t for t in name if not t.is_connector]
        if self._is_org_name(words):
            return [Mention(start, end, text[start:end], "organization")]
        if len(words) <= _MAX_NAME_TOKENS and self._name_like(words):
            return [Mention(start, end, text[start:end], "person", titled=True)]
        return []

    def _name_like(self, words: list[_Token]) -> bool:
        lex = self.lex
        return all(
            t.key in _ROMAN_OR_SUFFIX
            or (
                not (t.is_acronym and not t.text.endswith("."))
                and t.key not in lex.common_words
                and t.key not in lex.demonyms
                and t.key not in lex.place_words
                and not any(c.isdigit() for c in t.text)
            )
            for t in words
        )

    @staticmethod
    def _speech_cue(text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 20) : start]
        if _APPOSITION_BEFORE.search(before):  # "head of research at Quilter Cheviot, said"
            return False
        return bool(_SPEECH_AFTER.match(text, end) or _SPEECH_BEFORE.search(before))

    def _gazetteer_matches(self, piece: list[_Token], text: str) -> list[Mention]:
        """Longest known place, organisation or country-demonym inside a span nobody could type whole."""
        lex = self.lex
        found: list[Mention] = []
        many_names = sum(not t.is_connector for t in piece) > 1
        i = 0
        while i < len(piece):
            for j in range(min(len(piece), i + 6), i, -1):
                if piece[j - 1].is_connector or piece[i].is_connector:
                    continue
                start, end = piece[i].start, piece[j - 1].end
                surface = text[start:end]
                key = _key(surface)
                place = self._place(key, surface)
                if key in lex.organizations:
                    found.append(Mention(start, end, surface, "organization", lex.organizations[key]))
                elif place is not None and not (many_names and j == i + 1 and self._is_first_name(piece[i])):
                    found.append(Mention(start, end, surface, "place", place.name, place.country_code))
                elif key in lex.demonyms and j < len(piece) and piece[j].key in lex.state_nouns:
                    found.append(self._country(start, end, lex.demonyms[key]))
                else:
                    continue
                i = j - 1
                break
            i += 1
        return found


@functools.lru_cache(maxsize=65_536)
def _is_acronym(text: str) -> bool:
    if len(text) > 1 and text[1] == "-":  # "R-KY": a party and a state, not an acronym
        return False
    letters = text.replace(".", "").replace("-", "").replace("&", "")
    return len(letters) > 1 and letters.isupper() and letters.isalpha()


def _at_sentence_start(text: str, position: int) -> bool:
    """Only spaces, quotes and brackets since the start of the text or a sentence's end."""
    before = text[max(0, position - 8) : position]
    stripped = before.rstrip(_OPENERS)
    if not stripped:
        return position <= len(before) or "\n" in before
    return stripped[-1] in _SENTENCE_ENDS or "\n" in before[len(stripped) :]


@functools.lru_cache(maxsize=1 << 16)
def _key(words: str) -> str:
    """`fold`, without its Unicode normalisation cost when the text is ASCII."""
    return " ".join(words.split()).casefold() if words.isascii() else fold(words)


def appears_lowercase(text: str, word: str) -> bool:
    """Whether `word` occurs in the text as a whole word, as written (a common word, not a name)."""
    index = text.find(word)
    while index != -1:
        end = index + len(word)
        if (index == 0 or not text[index - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        index = text.find(word, index + 1)
    return False


def _trimmed(piece: list[_Token]) -> Iterator[list[_Token]]:
    while piece and piece[-1].is_connector:
        piece = piece[:-1]
    if piece:
        yield piece


def _shouting_or_title_case(line: str) -> bool:
    """Headlines in Title Case and text in ALL CAPS carry no capitalisation signal.

    A sentence dense with names still has lower-case words ("met", "on", "said"); a Title
    Case headline has none beyond the short words style guides leave in lower case.
    """
    words = _LETTER_WORD.findall(line[:300])
    if len(words) < _MIN_HEADLINE_WORDS:
        return False
    if shouting(line):
        return True
    if len(words) > _MAX_HEADLINE_WORDS:
        return False
    lower = sum(w[0].islower() and w not in _TITLE_CASE_LOWER for w in words)
    return lower / len(words) < 0.1


def shouting(line: str) -> bool:
    """A line in ALL CAPS (four words or more): capitals there mark nothing, for rules or a model."""
    words = _LETTER_WORD.findall(line[:300])
    return len(words) >= _MIN_HEADLINE_WORDS and sum(w.isupper() and len(w) > 1 for w in words) / len(words) > 0.6
