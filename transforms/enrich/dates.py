"""Dates the text refers to, resolved against the story's own day.

Why: "on Thursday" only means something next to the story's date, and analysts ask "what
happened on the 6th", not "which stories were published on the 6th". Rules:
a weekday alone is the most recent such day on or before the story's day ("last Thursday"
is strictly before it, "next Thursday" strictly after); a month without a year is its most
recent occurrence; "a day earlier" counts from the last day the text named, else from the
story's day; a month or a year resolves to its first day. Without a story day only dates
that carry their own year are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"), ("May",),
            ("June", "Jun"), ("July", "Jul"), ("August", "Aug"), ("September", "Sept", "Sep"),
            ("October", "Oct"), ("November", "Nov"), ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = {d: i for i, d in enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))}
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_COUNT = r"(?:\d{1,2}|a|one|two|three|four|five|six|seven|ten)"
_ON = r"(?:\b(?i:on)\s+)?"
# One pattern, written without look-arounds so that Polars' (Rust) engine and Python's `re`
# read it the same way: Polars finds the phrases of a whole batch, `re` takes each phrase apart.
PATTERN = "|".join(
    (
        rf"(?P<month_day>{_ON}\b(?P<m1>{_MONTH})\.?\s+(?P<d1>{_DAY})\b(?:,?\s+(?P<y1>{_YEAR})\b)?)",
        rf"(?P<day_month>{_ON}\b(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})\b(?:,?\s+(?P<y2>{_YEAR})\b)?)",
        rf"(?P<iso>\b(?P<iy>{_YEAR})-(?P<im>[01]\d)-(?P<id>[0-3]\d)\b)",
        r"(?P<month>(?:\b(?P<mp>(?i:in|since|until|by|last|this|next|early|late|mid|from|during|through))[\s-]+)?"
        rf"\b(?P<m3>{_MONTH})\b(?:\s+(?P<y3>{_YEAR})\b)?)",
        r"(?P<weekday>(?:\b(?P<wp>(?i:on|last|next|this|since|until|by|from|early|late))\s+)?"
        rf"\b(?P<w>{'|'.join(_WEEKDAYS)})(?:['’]s)?\b)",
        r"(?P<relative>\b(?i:"
        r"(?P<yesterday>the\s+day\s+before\s+yesterday|yesterday|today|tomorrow)"
        rf"|(?P<n>{_COUNT})\s+(?P<unit>days?|weeks?|months?|years?)\s+(?P<dir>ago|earlier|later|before|after)"
        r"|the\s+(?P<prev>previous|next|following)\s+day"
        r"|(?P<period_rel>last|this|next|past|earlier\s+this)\s+(?P<period>week|month|year)"
        r")\b)",
        rf"(?P<year>\b(?i:in|since|until|by|during|from)\s+(?P<y4>{_YEAR})\b)",
    )
)
_PATTERN = re.compile(PATTERN)
# For Polars: ASCII word boundaries keep its regex engine on the fast automaton path (a Unicode
# boundary on non-ASCII text forces a slow fallback); dates are ASCII words and digits anyway.
BATCH_PATTERN = PATTERN.replace(r"\b", r"(?-u:\b)")


@dataclass(frozen=True, slots=True)
class DateMention:
    mentioned_date: date
    phrase: str
    precise: bool  # a day, not a month or a year: usable as the anchor of "a day earlier"


def date_mentions(text: str, day: date | None) -> list[DateMention]:
    """Every date the text names, once per date (first phrase wins), in text order."""
    return resolve_phrases([m.group() for m in _PATTERN.finditer(text)], day)


def resolve_phrases(phrases: list[str], day: date | None) -> list[DateMention]:
    """Resolve phrases found by PATTERN, in text order (the last precise date anchors "a day earlier")."""
    found: list[DateMention] = []
    anchor = day
    for phrase in phrases:
        match = _PATTERN.fullmatch(phrase)
        mention = _resolve(match, day, anchor) if match else None
        if mention is None:
            continue
        found.append(mention)
        if mention.precise:
            anchor = mention.mentioned_date
    seen: set[date] = set()
    unique = []
    for m in found:
        if m.mentioned_date not in seen:
            seen.add(m.mentioned_date)
            unique.append(m)
    return unique


def _resolve(match: re.Match[str], day: date | None, anchor: date | None) -> DateMention | None:
    kind = match.lastgroup
    phrase = " ".join(match.group(kind).split())
    try:
        resolved = _RESOLVERS[kind](match, day, anchor)
    except (ValueError, OverflowError):  # "February 30", dates outside the calendar
        return None
    if resolved is None:
        return None
    value, precise = resolved
    return DateMention(value, phrase, precise)


def _month_number(name: str) -> int:
    return _MONTHS[name]


def _explicit(month: str, day_text: str, year: str | None, day: date | None) -> tuple[date, bool] | None:
    number = int(re.sub(r"\D", "", day_text))
    if year:
        return date(int(year), _month_number(month), number), True
    if day is None:
        return None
    value = date(day.year, _month_number(month), number)
    # Without a year the nearer reading wins: in January, "December 28" was last year.
    if value > day + timedelta(days=183):
        value = value.replace(year=day.year - 1)
    return value, True


def _month_day(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    return _explicit(match["m1"], match["d1"], match["y1"], day)


def _day_month(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    return _explicit(match["m2"], match["d2"], match["y2"], day)


def _iso(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    return date(int(match["iy"]), int(match["im"]), int(match["id"])), True


def _month(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    month, prefix = _month_number(match["m3"]), (match["mp"] or "").lower()
    if match["y3"]:
        return date(int(match["y3"]), month, 1), False
    # "May" alone is usually the verb: a bare month needs a preposition in front of it.
    if not prefix or day is None:
        return None
    year = day.year
    if prefix == "next":
        year += month <= day.month
    elif month > day.month or (prefix == "last" and month == day.month):
        year -= 1
    return date(year, month, 1), False


def _weekday(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    if day is None:
        return None
    target, prefix = _WEEKDAYS[match["w"]], (match["wp"] or "").lower()
    back = (day.weekday() - target) % 7
    if prefix == "next":
        return day + timedelta(days=(target - day.weekday()) % 7 or 7), True
    if prefix == "last" and back == 0:
        back = 7
    return day - timedelta(days=back), True


def _relative(match: re.Match[str], day: date | None, anchor: date | None) -> tuple[date, bool] | None:
    if day is None:
        return None
    if match["yesterday"]:
        word = " ".join(match["yesterday"].lower().split())
        shift = {"the day before yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1}[word]
        return day + timedelta(days=shift), True
    if match["prev"]:
        base = anchor or day
        return base + timedelta(days=-1 if match["prev"].lower() == "previous" else 1), True
    if match["n"]:
        count = _NUMBERS.get(match["n"].lower()) or int(match["n"])
        direction = match["dir"].lower()
        sign = 1 if direction in ("later", "after") else -1
        base = day if direction == "ago" else (anchor or day)
        unit = match["unit"].lower().rstrip("s")
        if unit == "day":
            return base + timedelta(days=sign * count), True
        if unit == "week":
            return base + timedelta(weeks=sign * count), True
        if unit == "month":
            return _add_months(base.replace(day=1), sign * count), False
        return date(base.year + sign * count, 1, 1), False
    relation, period = " ".join(match["period_rel"].lower().split()), match["period"].lower()
    step = {"last": -1, "past": -1, "this": 0, "earlier this": 0, "next": 1}[relation]
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday + timedelta(weeks=step), False
    if period == "month":
        return _add_months(day.replace(day=1), step), False
    return date(day.year + step, 1, 1), False


def _year(match: re.Match[str], day: date | None, _: date | None) -> tuple[date, bool] | None:
    return date(int(match["y4"]), 1, 1), False


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_RESOLVERS = {
    "month_day": _month_day,
    "day_month": _day_month,
    "iso": _iso,
    "month": _month,
    "weekday": _weekday,
    "relative": _relative,
    "year": _year,
}
