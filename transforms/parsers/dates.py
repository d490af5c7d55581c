"""Turn the many ways documents write dates into ISO strings that are exactly as precise as the source.

The contract forbids inventing time: a page that says "Updated 06 February 2025" gives the
day "2025-02-06", never "2025-02-06T00:00:00Z"; a local time without an offset gets the
site's time zone only when the caller knows it, otherwise it degrades to its day.
Impossible dates ("2025-02-30", year 10000) give None rather than an exception.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from time import struct_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

EARLIEST_YEAR = 1990
LATEST_YEAR = 2100

_ISO = re.compile(
    r"^\s*(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|z|UTC|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?\s*$"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# "04.02.2022": every locale that writes dates with dots puts the day first (dateutil assumes the month);
# a full stop may close the date ("am 4. 2. 2022."), a fourth number may not (a version, an address)
_DOTTED_DAY_FIRST = re.compile(r"(?<![\d.])\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})(?!\d|\.\d)")
_DAY_ONLY = object()
# Month names of the languages news pages most often print dates in ("17 de Febrero 2020", "24 août 2020").
_MONTH_NAMES = (
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",  # es
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",  # fr
    "januar februar märz april mai juni juli august september oktober november dezember",  # de
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",  # it
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",  # pt
    "januari februari maart april mei juni juli augustus september oktober november december",  # nl
)


class _Months(dateutil_parser.parserinfo):
    """dateutil's English names plus those of `_MONTH_NAMES`."""

    MONTHS = [  # noqa: RUF012 - dateutil reads this class attribute
        tuple(dict.fromkeys((*english, *(names.split()[i] for names in _MONTH_NAMES))))
        for i, english in enumerate(dateutil_parser.parserinfo.MONTHS)
    ]


_PARSER_INFO = _Months()
# dateutil fills missing fields from `default`; two different defaults reveal which fields were absent.
_PROBE_A = datetime(2000, 1, 1, 0, 0, 0)
_PROBE_B = datetime(2001, 2, 2, 1, 1, 1)


def _zone(name: str | tzinfo | None) -> tzinfo | None:
    if name is None or isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _plausible(day: date) -> bool:
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR


def _render(moment: datetime, default_tz: tzinfo | None) -> str | None:
    if not _plausible(moment.date()):
        return None
    if moment.tzinfo is None:
        if default_tz is None:
            return moment.date().isoformat()
        moment = moment.replace(tzinfo=default_tz)
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") and moment.tzinfo is UTC else text


def _from_iso(match: re.Match[str], default_tz: tzinfo | None) -> str | None:
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    if match["H"] is None:
        return day.isoformat() if _plausible(day) else None
    tz_text = match["tz"]
    offset: tzinfo | None = None
    if tz_text:
        if tz_text in ("Z", "z", "UTC"):
            offset = UTC
        else:
            digits = tz_text.replace(":", "")
            hours, minutes = int(digits[1:3]), int(digits[3:5] or 0)
            if hours > 23 or minutes > 59:
                return None  # "-3000" or "+0060": not an offset any clock shows
            sign = -1 if digits[0] == "-" else 1
            offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(
            day.year,
            day.month,
            day.day,
            int(match["H"]),
            int(match["M"]),
            int(match["S"] or 0),
            tzinfo=offset,
        )
    except ValueError:
        return None
    return _render(moment, default_tz)


def wall_clock(text: str) -> tuple[datetime, bool] | None:
    """(the date and time `text` states, whether it states a time of day); None without a full day.

    A month or a year alone is not a date. The result is naive unless the text writes an
    offset ("GMT", "+0200"); zone names like "EST" are left to the caller, who knows the page.
    """
    try:
        with warnings.catch_warnings():  # unknown zone names ("PKT") are treated as absent, not fatal
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            dayfirst = bool(_DOTTED_DAY_FIRST.search(text))
            first = dateutil_parser.parse(text, _PARSER_INFO, default=_PROBE_A, fuzzy=True, dayfirst=dayfirst)
            second = dateutil_parser.parse(text, _PARSER_INFO, default=_PROBE_B, fuzzy=True, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    if first.year != second.year or first.month != second.month or first.day != second.day:
        return None
    years = {int(y) for y in _YEAR.findall(text)}
    if years and first.year not in years:
        return None  # fuzzy parsing built a year from other digits ("Oct. 31, 2023" read as 2031)
    try:
        first.utcoffset()
    except ValueError:  # dateutil accepts offsets of a day or more ("+9999"), which no datetime can hold
        return None
    has_time = (first.hour, first.minute) == (second.hour, second.minute)
    return first, has_time


def _from_free_text(text: str, default_tz: tzinfo | None) -> str | None:
    read = wall_clock(text)
    if read is None:
        return None
    moment, has_time = read
    if not has_time:
        return moment.date().isoformat() if _plausible(moment.date()) else None
    return _render(moment, default_tz)


def normalise_date(
    value: str | datetime | date | struct_time | None, default_tz: str | tzinfo | None = None
) -> str | None:
    """ISO 8601 text for `value`, keeping its own offset; a day alone stays `YYYY-MM-DD`; junk gives None.

    `default_tz` is the site's zone, applied only to local times that carry no offset.
    """
    zone = _zone(default_tz)
    if value is None:
        return None
    if isinstance(value, struct_time):  # feedparser's *_parsed fields are UTC struct_times
        try:
            return _render(datetime(*value[:6], tzinfo=UTC), zone)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return _render(value, zone)
    if isinstance(value, date):
        return value.isoformat() if _plausible(value) else None
    text = value.strip()
    if not text or len(text) > 200:
        return None
    try:
        return _from_text(text, zone)
    except (ValueError, OverflowError):  # dates come from untrusted pages: what the readers missed is junk too
        return None


_TRAILING_OFFSET = re.compile(r"(?P<tz>[+-](?P<h>\d{2}):?(?P<m>\d{2}))\s*$")


def impossible_offset(value: str) -> str | None:
    """The UTC offset `value` ends with when no clock shows it ("+25:00", "-0060"), else None. Such a date is
    wrong, not just oddly written: no other reader may turn it into a time (feedparser reads +2500 as 25 h)."""
    offset = _TRAILING_OFFSET.search(value.strip())
    return offset["tz"] if offset and (int(offset["h"]) > 23 or int(offset["m"]) > 59) else None


def why_unusable(value: str) -> str:
    """Why `normalise_date` gave nothing for `value`: the record a dropped date leaves (`etl_reject`)."""
    text = value.strip()
    offset = impossible_offset(text)
    if offset:
        return f"offset {offset} is not one any clock shows"
    match = _ISO.match(text)
    try:
        year = int(match["y"]) if match else parsedate_to_datetime(text).year
    except (TypeError, ValueError, IndexError, OverflowError):
        return "not a date Dateline can read"
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return f"year {year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}"
    return "not a real calendar date or time"


def _from_text(text: str, zone: tzinfo | None) -> str | None:
    match = _ISO.match(text)
    if match:
        return _from_iso(match, zone)
    try:
        return _render(parsedate_to_datetime(text), zone)  # RFC 2822, the RSS <pubDate> form
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    return _from_free_text(text, zone)


def day_of(iso: str | None) -> date | None:
    """The calendar day an ISO string from `normalise_date` names, in its own offset."""
    if not iso:
        return None
    return date.fromisoformat(iso[:10])


def to_utc(iso: str | None) -> datetime | None:
    """The UTC instant of a full ISO timestamp; None for a day-only or missing value (never invent 00:00)."""
    if not iso or len(iso) <= 10:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)
