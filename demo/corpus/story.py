"""Story i of a synthetic corpus, computed on demand from (seed, i).

Nothing is stored: every property of a story (outlet, times, text, URL) is a pure function
of the corpus config and the index, so a site of 100,000 stories costs no memory and two
machines produce the same bytes. The index also fixes the story's day: story i falls on
day `i * days // stories`, which lets feeds and monthly sitemaps find their stories by
arithmetic instead of a scan of the whole corpus.

Variety that downstream stages must handle is placed by index patterns, so its amount is
known exactly: pairs (2k, 2k+1) with k % 8 == 5 are a wire story and its republication by
another outlet; i % 97 == 41 is an undated explainer; i % 89 == 23 is a legacy page (no
structured metadata, "| Outlet" title suffix); about a quarter of the rest are updated.

Each story has two independent random streams: the "head" (outlet, time, cast, headline,
URL) and the "body". Sitemaps and related links only need heads, which cost a fraction of
a body; a body redraws its head's choices by replaying the head stream.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from string import Formatter

from demo.corpus.cast import (
    DUMP_OUTLET,
    ORGANIZATIONS,
    PEOPLE,
    PLACE_BY_CODE,
    PLACE_BY_NAME,
    PLACE_NAME_PATTERN,
    PLACES,
    REPORTERS,
    SECTIONS,
    WIRE_AGENCY,
    WIRE_REPORTERS,
    Organization,
    Outlet,
    Person,
    Place,
    home_place,
    outlet,
)
from demo.corpus.templates import (
    CAPTIONS,
    CLOSERS,
    EXPLAINER_HEADLINES,
    EXPLAINER_LEADS,
    FOLLOW_UPS,
    PHOTO_CREDITS,
    SECTION_TEXT,
    SHARED_BACKGROUND,
    SHARED_CONTEXT,
    SPEAKER_FRAMES,
    STATEMENT_FRAMES,
)

ARTICLE_ID_BASE = 2_580_000
DATE_SLOTS = frozenset({"on_day", "day_earlier", "last_month", "abs_date", "last_year"})
_SECTION_WEIGHTS = (5, 5, 3, 3, 3, 3, 2, 3)  # politics and economy lead, as on real front pages
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# English month names, whatever the machine's locale (calendar.month_name follows the locale).
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PEOPLE_BY_SECTION = {s: [p for p in PEOPLE if p.section == s] for s in SECTIONS}
_ORGS_BY_SECTION = {s: [o for o in ORGANIZATIONS if o.section == s] for s in SECTIONS}
_MARK = "\x00"  # wraps entity markers until first/later mentions are resolved
_FIELDS = Formatter()


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    """What fixes a synthetic corpus. Equal configs give byte-identical stories.

    `base_url` None puts each outlet on its own host (http://www.<slug>.example), as in the
    bundled samples; a base URL like "http://127.0.0.1:8000" puts outlet s under base/s.
    """

    seed: int = 7
    stories: int = 60
    outlets: int = 3
    start: date = date(2025, 1, 6)
    days: int = 182
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    speaker: str | None  # a person's or organisation's full name; None for "the statement said"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date phrase in the body and what it means; `value` is YYYY-MM-DD, YYYY-MM or YYYY."""

    phrase: str
    value: str


@dataclass(frozen=True, slots=True)
class Draft:
    """The choices a story's words are written from (its cast, subjects, figures and date phrases)."""

    p1: Person
    p2: Person
    org: Organization
    place: Place
    other: Place
    city: str
    slots: dict[str, str]
    date_values: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoryHead:
    """Where, when and under which headline a story appears: all a sitemap or a related link needs.

    Much cheaper than the full story, so a sitemap of thousands of entries never writes a body,
    and small (it keeps no draft), so tens of thousands fit in the cache.
    """

    index: int
    outlet: Outlet
    outlet_index: int
    path: str | None  # URL path on the outlet's site; None for dump stories
    headline: str
    published: datetime | None
    updated: datetime | None
    section: str
    tags: tuple[str, ...]
    variant: str  # "standard", "undated" or "legacy"
    is_wire: bool
    wire_copy_of: int | None

    @property
    def article_id(self) -> int:
        return ARTICLE_ID_BASE + self.index

    @property
    def last_change(self) -> datetime | None:
        return self.updated or self.published


@dataclass(frozen=True, slots=True)
class Story:
    """One generated story: its head plus everything a page, a feed item, a dump and the manifest need."""

    head: StoryHead
    summary: tuple[str, ...]
    authors: tuple[str, ...]
    dateline: str | None
    lead_in: str | None  # how the body's first paragraph opens: "KARACHI:" or "NAIROBI (Meridian Wire) —"
    paragraphs: tuple[str, ...]
    image_caption: str | None
    quotes: tuple[Quote, ...]
    date_mentions: tuple[DateMention, ...]
    people: tuple[Person, ...]
    organizations: tuple[Organization, ...]
    places: tuple[Place, ...]

    # A story reads like its head for everything the head already knows.
    index = property(lambda self: self.head.index)
    outlet = property(lambda self: self.head.outlet)
    outlet_index = property(lambda self: self.head.outlet_index)
    path = property(lambda self: self.head.path)
    headline = property(lambda self: self.head.headline)
    published = property(lambda self: self.head.published)
    updated = property(lambda self: self.head.updated)
    section = property(lambda self: self.head.section)
    tags = property(lambda self: self.head.tags)
    variant = property(lambda self: self.head.variant)
    is_wire = property(lambda self: self.head.is_wire)
    wire_copy_of = property(lambda self: self.head.wire_copy_of)
    article_id = property(lambda self: self.head.article_id)
    last_change = property(lambda self: self.head.last_change)

    @property
    def body(self) -> str:
        """Paragraphs joined by blank lines, as the contract's `body` field."""
        return "\n\n".join(self.paragraphs)


# ---------------------------------------------------------------- corpus arithmetic


def corpus_outlets(cfg: CorpusConfig) -> tuple[Outlet, ...]:
    return tuple(outlet(k) for k in range(cfg.outlets))


def outlet_base_url(cfg: CorpusConfig, site: Outlet) -> str:
    """Where an outlet lives, without a trailing slash."""
    if cfg.base_url is None:
        return f"http://{site.host}"
    return f"{cfg.base_url.rstrip('/')}/{site.slug}"


def story_url(cfg: CorpusConfig, item: StoryHead | Story) -> str:
    if item.path is None:
        raise ValueError(f"story {item.index} is a dump story and has no URL")
    return outlet_base_url(cfg, item.outlet) + item.path


def slot_day(cfg: CorpusConfig, index: int) -> date:
    """The day story `index` belongs to; non-decreasing in the index."""
    return cfg.start + timedelta(days=index * cfg.days // max(cfg.stories, 1))


def first_index_on_or_after(cfg: CorpusConfig, day: date) -> int:
    """Smallest index whose slot day is `day` or later (cfg.stories when none)."""
    offset = (day - cfg.start).days
    if offset <= 0:
        return 0
    # index * days // n >= offset  <=>  index >= ceil(offset * n / days)
    return min(cfg.stories, -(-offset * cfg.stories // cfg.days))


def wire_pair(cfg: CorpusConfig, index: int) -> bool:
    """Whether `index` belongs to a wire story pair (original 2k, copy 2k+1)."""
    pair = index // 2
    return cfg.outlets >= 2 and pair % 8 == 5 and 2 * pair + 1 < cfg.stories


def variant_of(cfg: CorpusConfig, index: int) -> str:
    if wire_pair(cfg, index):
        return "standard"
    if index % 97 == 41:
        return "undated"
    if index % 89 == 23:
        return "legacy"
    return "standard"


def index_from_path(path: str) -> int | None:
    """The story index an article path names (its trailing article id), if any."""
    match = re.search(r"-(\d+)\.html$", path)
    if not match:
        return None
    index = int(match.group(1)) - ARTICLE_ID_BASE
    return index if index >= 0 else None


def _hash(*parts: object) -> int:
    """A stable 64-bit hash (Python's own hash() changes between processes)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def outlet_of(cfg: CorpusConfig, index: int) -> int:
    """Which outlet publishes story `index`; a wire copy goes to a different outlet than its original.

    A hash rather than a random stream: sitemaps call this for every index of a month.
    """
    if wire_pair(cfg, index) and index % 2 == 1:
        original = outlet_of(cfg, index - 1)
        return (original + 1 + _hash(cfg.seed, "copy", index) % (cfg.outlets - 1)) % cfg.outlets
    return _hash(cfg.seed, "outlet", index) % cfg.outlets


# ---------------------------------------------------------------- text helpers


def slugify(text: str, words: int = 9) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    tokens = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(tokens[:words])


def long_date(day: date) -> str:
    """The style of captions: "February 5, 2025"."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _person_intro(person: Person, home: Place) -> str:
    """First mention: title and full name, with the demonym when the person is foreign to the outlet."""
    intro = f"{person.title} {person.name}"
    if person.country != home.code:
        intro = f"{PLACE_BY_CODE[person.country].demonym} {intro}"
    return intro


def _resolve_mentions(paragraphs: list[str], forms: dict[str, tuple[str, str]]) -> list[str]:
    """Write each entity in full the first time it appears in the body and short afterwards."""
    seen: set[str] = set()
    resolved = []
    for paragraph in paragraphs:
        parts = paragraph.split(_MARK)
        out = []
        for position, part in enumerate(parts):
            if position % 2 == 0:
                out.append(part)
                continue
            full, short = forms[part]
            out.append(short if part in seen else full)
            seen.add(part)
        text = "".join(out)
        resolved.append(_sentence_case(text))
    return resolved


# ---------------------------------------------------------------- generation


@dataclass(slots=True)
class _Writer:
    """Fills templates for one story and remembers which date phrases it used."""

    slots: dict[str, str]
    date_values: dict[str, str]
    used_dates: dict[str, None] = field(default_factory=dict)

    def fill(self, template: str, **extra: str) -> str:
        for _, name, _, _ in _FIELDS.parse(template):
            if name in DATE_SLOTS:
                self.used_dates[name] = None
        return template.format(**self.slots, **extra)

    def mentions(self) -> tuple[DateMention, ...]:
        return tuple(DateMention(self.slots[name], self.date_values[name]) for name in self.used_dates)


def _has_date(template: str) -> bool:
    return any(name in DATE_SLOTS for _, name, _, _ in _FIELDS.parse(template))


def _pick(rng: random.Random, pool: tuple[str, ...] | list[str], dated: bool) -> str:
    return rng.choice([t for t in pool if dated or not _has_date(t)])


def _figures(rng: random.Random) -> dict[str, str]:
    unit = rng.choice(("billion", "billion", "million"))
    return {
        "pct": f"{rng.uniform(1.5, 38):.1f} percent",
        "pct2": f"{rng.uniform(1.5, 38):.1f} percent",
        "amt": f"${rng.uniform(1.1, 48):.1f} {unit}",
        "num": f"{rng.randint(120, 9800):,}",
        "num2": f"{rng.randint(12, 110):,}",
    }


def _date_slots(rng: random.Random, local_day: date) -> tuple[date, dict[str, str], dict[str, str]]:
    event = local_day - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))
    earlier = event - timedelta(days=1)
    last_month = _previous_month(local_day)
    past = local_day - timedelta(days=rng.randint(9, 40))
    phrases = {
        "on_day": f"on {_WEEKDAYS[event.weekday()]}",
        "day_earlier": "a day earlier",
        "last_month": "last month",
        "abs_date": f"on {MONTHS[past.month - 1]} {past.day}",
        "last_year": "last year",
    }
    values = {
        "on_day": event.isoformat(),
        "day_earlier": earlier.isoformat(),
        "last_month": last_month.isoformat()[:7],
        "abs_date": past.isoformat(),
        "last_year": str(local_day.year - 1),
    }
    return event, phrases, values


def _timestamps(cfg: CorpusConfig, index: int, site: Outlet, rng: random.Random) -> datetime:
    """Local publication time: the story's slot day, between 07:00 and 21:00 in its outlet's zone."""
    day = slot_day(cfg, index)
    first = first_index_on_or_after(cfg, day)
    count = max(first_index_on_or_after(cfg, day + timedelta(days=1)) - first, 1)
    minutes = 7 * 60 + int((index - first + rng.random()) * 14 * 60 / count)
    zone = timezone(timedelta(minutes=site.utc_offset_minutes))
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)


def _authors(rng: random.Random, outlet_index: int, wire: bool) -> tuple[str, ...]:
    if wire:
        return (rng.choice(WIRE_REPORTERS),)
    staff = [REPORTERS[(outlet_index * 5 + k) % len(REPORTERS)] for k in range(6)]
    return tuple(rng.sample(staff, rng.choice((1, 1, 2))))


def _make_head(
    cfg: CorpusConfig, index: int, site: Outlet, outlet_index: int, rng: random.Random, dump: bool
) -> tuple[StoryHead, Draft]:
    """Draw a story's cast, subjects, time and headline; the body is written later from this draft."""
    variant = "standard" if dump else variant_of(cfg, index)
    dated = variant != "undated"
    wire = not dump and wire_pair(cfg, index)
    published = _timestamps(cfg, index, site, rng)
    section = rng.choices(SECTIONS, weights=_SECTION_WEIGHTS)[0]
    text = SECTION_TEXT[section]
    p1 = rng.choice(_PEOPLE_BY_SECTION[section])
    p2 = rng.choice([p for p in PEOPLE if p is not p1 and (p.section == section or p.country == p1.country)])
    org = rng.choice(_ORGS_BY_SECTION[section])
    place = PLACE_BY_CODE[p1.country]
    other = rng.choice([p for p in PLACES if p is not place])
    city = rng.choice(place.cities or (place.capital,))
    issue, issue2 = rng.sample(text.issues, 2)
    event, phrases, values = _date_slots(rng, published.date())
    slots = {
        "P1": f"{_MARK}P1{_MARK}",
        "P2": f"{_MARK}P2{_MARK}",
        "ORG": f"{_MARK}ORG{_MARK}",
        "P1s": p1.surname,
        "P2s": p2.surname,
        "P1t": _sentence_case(p1.title),
        "P2t": _sentence_case(p2.title),
        "P1n": p1.name,
        "oa": org.acronym,
        "c": place.country,
        "cap": place.capital,
        "dem": place.demonym,
        "city": city,
        "c2": other.country,
        "cap2": other.capital,
        "dem2": other.demonym,
        "issue": issue,
        "issue2": issue2,
        "caption_date": long_date(event),
        "credit": rng.choice(PHOTO_CREDITS),
        **phrases,
        **_figures(rng),
    }
    headline = rng.choice(text.headlines if dated else EXPLAINER_HEADLINES).format(**slots)
    tags = (text.label, place.country, org.acronym, p1.name) + ((other.country,) if rng.random() < 0.5 else ())
    updated = None
    if dump and rng.random() < 0.3:
        updated = published + timedelta(days=1)
    elif not dump and dated and not wire and rng.random() < 0.25:
        updated = published + timedelta(minutes=rng.randint(45, 36 * 60))
    path = None
    if not dump:
        folder = f"/{published:%Y/%m/%d}" if dated else "/explainers"
        path = f"{folder}/{slugify(headline)}-{ARTICLE_ID_BASE + index}.html"
    head = StoryHead(
        index=index,
        outlet=site,
        outlet_index=outlet_index,
        path=path,
        headline=headline,
        published=published if dated else None,
        updated=updated,
        section=text.label,
        tags=tags,
        variant=variant,
        is_wire=wire,
        wire_copy_of=None,
    )
    return head, Draft(p1, p2, org, place, other, city, slots, values)


def _write_body(head: StoryHead, draft: Draft, rng: random.Random) -> Story:
    """The words of a story, written from its draft."""
    dated = head.variant != "undated"
    text = SECTION_TEXT[head.section.lower()]
    writer = _Writer(draft.slots, draft.date_values)
    quotes: list[Quote] = []

    def quoted(frame: str, speaker_marker: str | None, speaker: str | None) -> str:
        said = writer.fill(_pick(rng, [q for q in text.quotes if q not in {x.text for x in quotes}], dated))
        quotes.append(Quote(said, speaker))
        extra = {"q": said}
        if speaker_marker:
            extra["SPEAKER"] = draft.slots[speaker_marker]
        return writer.fill(frame, **extra)

    bullets = tuple(writer.fill(b) for b in rng.sample(text.bullets, rng.choice((1, 2, 2, 3))))
    paragraphs = [writer.fill(_pick(rng, text.leads if dated else EXPLAINER_LEADS, dated))]
    paragraphs.append(writer.fill(_pick(rng, text.context + SHARED_CONTEXT, dated)))
    paragraphs.append(quoted(rng.choice(SPEAKER_FRAMES), "P1", draft.p1.name))
    middle = [writer.fill(_pick(rng, text.background + SHARED_BACKGROUND, dated))]
    if rng.random() < 0.8:
        middle.append(writer.fill(rng.choice(text.figures)))
    rng.shuffle(middle)
    paragraphs += middle
    if rng.random() < 0.7:
        frame = rng.choice(STATEMENT_FRAMES)
        paragraphs.append(quoted(frame, None, draft.org.name if "{ORG}" in frame else None))
        if rng.random() < 0.5:
            paragraphs.append(writer.fill(rng.choice(FOLLOW_UPS)))
    if rng.random() < 0.6:
        paragraphs.append(quoted(rng.choice(SPEAKER_FRAMES), "P2", draft.p2.name))
    if rng.random() < 0.8:
        paragraphs.append(writer.fill(_pick(rng, CLOSERS, dated)))

    home = home_place(head.outlet.home_city)
    forms = {
        "P1": (_person_intro(draft.p1, home), draft.p1.surname),
        "P2": (_person_intro(draft.p2, home), draft.p2.surname),
        "ORG": (f"the {draft.org.name} ({draft.org.acronym})", draft.org.acronym),
    }
    paragraphs = _resolve_mentions(paragraphs, forms)
    dateline = lead_in = None
    if dated:
        dateline = draft.city.upper() if rng.random() < 0.6 else draft.place.capital.upper()
        lead_in = f"{dateline} ({WIRE_AGENCY}) —" if head.is_wire else f"{dateline}:"
        paragraphs[0] = f"{lead_in} {paragraphs[0]}"
    caption = (
        writer.fill(rng.choice(CAPTIONS))
        if dated
        else f"A street in {draft.city}, {draft.place.country}. (Staff photo)"
    )
    joined = "\n".join(paragraphs)
    found = {PLACE_BY_NAME[name] for name in PLACE_NAME_PATTERN.findall(joined)}
    return Story(
        head=head,
        summary=bullets,
        authors=_authors(rng, head.outlet_index, head.is_wire),
        dateline=dateline,
        lead_in=lead_in,
        paragraphs=tuple(paragraphs),
        image_caption=caption,
        quotes=tuple(quotes),
        date_mentions=writer.mentions(),
        people=tuple(p for p in (draft.p1, draft.p2) if p.surname in joined),
        organizations=(draft.org,) if draft.org.acronym in joined else (),
        places=tuple(p for p in PLACES if p in found),
    )


def _stream(cfg: CorpusConfig, kind: str, index: int) -> random.Random:
    """An independent random stream per story and purpose, the same on every machine."""
    return random.Random(f"dateline-demo/{cfg.seed}/{kind}/{index}")


@lru_cache(maxsize=32768)
def story_head(cfg: CorpusConfig, index: int) -> StoryHead:
    """The head of story `index` (0 <= index < cfg.stories)."""
    if not 0 <= index < cfg.stories:
        raise IndexError(f"story {index} outside 0..{cfg.stories - 1}")
    outlet_index = outlet_of(cfg, index)
    site = outlet(outlet_index)
    rng = _stream(cfg, "head", index)
    if not (wire_pair(cfg, index) and index % 2 == 1):
        return _make_head(cfg, index, site, outlet_index, rng, dump=False)[0]
    # A wire copy: the original's headline and words, republished on another outlet a little later.
    original = story_head(cfg, index - 1)
    assert original.published is not None and original.path is not None
    zone = timezone(timedelta(minutes=site.utc_offset_minutes))
    published = (original.published + timedelta(minutes=rng.randint(20, 150))).astimezone(zone)
    slug = original.path.rsplit("/", 1)[-1].rsplit("-", 1)[0]
    return replace(
        original,
        index=index,
        outlet=site,
        outlet_index=outlet_index,
        path=f"/{published:%Y/%m/%d}/{slug}-{ARTICLE_ID_BASE + index}.html",
        published=published,
        wire_copy_of=index - 1,
    )


@lru_cache(maxsize=4096)
def story(cfg: CorpusConfig, index: int) -> Story:
    """Story `index` of the corpus `cfg` (0 <= index < cfg.stories)."""
    head = story_head(cfg, index)
    if head.wire_copy_of is not None:
        return replace(story(cfg, head.wire_copy_of), head=head)
    # Replaying the head's stream gives the draft back: cheaper to redraw than to cache.
    _, draft = _make_head(cfg, index, head.outlet, head.outlet_index, _stream(cfg, "head", index), dump=False)
    return _write_body(head, draft, _stream(cfg, "body", index))


def dump_story(cfg: CorpusConfig, index: int) -> Story:
    """Story `index` of the story-dump outlet (no URL; dated by day only in its dump)."""
    head, draft = _make_head(cfg, index, DUMP_OUTLET, -1, _stream(cfg, "dump-head", index), dump=True)
    rng = _stream(cfg, "dump-body", index)
    written = replace(_write_body(head, draft, rng), authors=())
    if rng.random() < 0.35:  # like the seed's second story: no photo, so no caption and no "Short Url"
        written = replace(written, image_caption=None)
    return written


def stories_between(cfg: CorpusConfig, first_day: date, end_day: date) -> range:
    """Indices whose slot day is in [first_day, end_day)."""
    return range(first_index_on_or_after(cfg, first_day), first_index_on_or_after(cfg, end_day))
