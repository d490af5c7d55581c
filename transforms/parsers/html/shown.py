"""Publication dates as the page shows them to its readers, with the zone name written next to them.

Metadata often states the publication instant in UTC while the byline shows the local day and
time ("Published 8:00 PM EST, Tue December 19, 2023"). These statements are what
`site_zone` checks a UTC instant against before re-expressing it in the site's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from lxml.etree import Element
from lxml.html import HtmlElement

from transforms.parsers.dates import EARLIEST_YEAR, LATEST_YEAR, wall_clock
from transforms.parsers.html.text import clean

# A zone name can mean several zones ("CST": US Central or China; "IST": India, Ireland, Israel);
# every meaning is kept, and only the one that agrees with the instant is ever used.
_ZONE_MEANINGS: dict[str, tuple[tzinfo, ...]] = {
    name: tuple(ZoneInfo(z) if isinstance(z, str) else timezone(timedelta(hours=z)) for z in zones)
    for name, zones in {
        "ET": ("America/New_York",),
        "CT": ("America/Chicago",),
        "MT": ("America/Denver",),
        "PT": ("America/Los_Angeles",),
        "EST": (-5,),
        "EDT": (-4,),
        "CST": (-6, 8),
        "CDT": (-5,),
        "MST": (-7,),
        "MDT": (-6,),
        "PST": (-8,),
        "PDT": (-7,),
        "AKST": (-9,),
        "AKDT": (-8,),
        "HST": (-10,),
        "GMT": (0,),
        "UTC": (0,),
        "BST": (1,),
        "WET": (0,),
        "WEST": (1,),
        "CET": (1,),
        "CEST": (2,),
        "EET": (2,),
        "EEST": (3,),
        "MSK": (3,),
        "SAST": (2,),
        "WAT": (1,),
        "EAT": (3,),
        "PKT": (5,),
        "IST": (5.5, 1, 2),
        "WIB": (7,),
        "HKT": (8,),
        "SGT": (8,),
        "PHT": (8,),
        "JST": (9,),
        "KST": (9,),
        "AWST": (8,),
        "ACST": (9.5,),
        "ACDT": (10.5,),
        "AEST": (10,),
        "AEDT": (11,),
        "NZST": (12,),
        "NZDT": (13,),
    }.items()
}
_ZONE_NAME = re.compile(r"(?<![\w/])\(?(" + "|".join(sorted(_ZONE_MEANINGS, key=len, reverse=True)) + r")\)?(?!\w)")
_MARKED = re.compile(r"publish|posted|date|time|byline", re.IGNORECASE)
_UPDATE_WORDING = re.compile(r"updat|modif|edited", re.IGNORECASE)
# a shown date names its year ("2023", "12/22/23"): texts without one are not parsed at all
_HAS_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)|(?<!\d)\d{1,2}[/.]\d{1,2}[/.]\d{2}(?!\d)")
# "03/05/2022": March 5 in the US, 3 May elsewhere (a dotted date is day first everywhere);
# only the instant the metadata states can tell
_AMBIGUOUS_NUMERIC = re.compile(r"(?<!\d)(0?[1-9]|1[0-2])[/-](0?[1-9]|1[0-2])[/-](?:\d{4}|\d{2})(?!\d)")
_MAX_TEXT = 100
_MAX_STATEMENTS = 8
_MAX_READS = 16  # bounded time per page: the byline comes early, so later candidates rarely matter
_MAX_ELEMENTS = 20_000


@dataclass(frozen=True, slots=True)
class Shown:
    """One date the page shows: its wall-clock reading and what a zone name beside it can mean."""

    wall: datetime  # naive as displayed, or aware when the text writes an offset ("GMT+2")
    has_time: bool
    zones: tuple[tzinfo, ...] = ()


def read_shown(text: str) -> Shown | None:
    """The date a short visible text states ("Dec. 21, 2023 11:00 pm EST"), or None."""
    text = clean(text)
    if not text or len(text) > _MAX_TEXT or not _HAS_YEAR.search(text):
        return None
    named = _ZONE_NAME.search(text)
    zones = _ZONE_MEANINGS[named[1]] if named else ()
    read = wall_clock(_ZONE_NAME.sub(" ", text) if named else text)
    if read is None or not EARLIEST_YEAR <= read[0].year <= LATEST_YEAR:
        return None
    wall, has_time = read
    return Shown(wall, has_time, zones if has_time else ())


def shown_dates(tree: HtmlElement) -> list[Shown]:
    """The first dates shown in <time> elements and date-marked elements of the body, in page order.

    Statements worded as updates ("Updated 10:05 AM") are left out: they date another moment.
    """
    body = tree.find("body")
    if body is None:
        return []
    found: list[Shown] = []
    seen: set[str] = set()
    for count, element in enumerate(body.iter(Element)):
        if count > _MAX_ELEMENTS or len(found) >= _MAX_STATEMENTS or len(seen) >= _MAX_READS:
            break
        if element.tag != "time" and not _MARKED.search(f"{element.get('class', '')} {element.get('id', '')}"):
            continue
        text = element.text_content()
        if len(text) > 4 * _MAX_TEXT or text in seen or _UPDATE_WORDING.search(text) or not _HAS_YEAR.search(text):
            continue
        seen.add(text)
        shown = read_shown(text)
        if shown is not None:
            found.extend(_both_readings(shown, text))
    return found


def _both_readings(shown: Shown, text: str) -> list[Shown]:
    """`shown`, and its day and month swapped when the text writes them as two numbers that could be either.

    The wrong reading is harmless: it lies weeks away from the instant, which only the right one matches.
    """
    match = _AMBIGUOUS_NUMERIC.search(text)
    if match is None or int(match[1]) == int(match[2]):
        return [shown]
    if {int(match[1]), int(match[2])} != {shown.wall.month, shown.wall.day}:
        return [shown]  # the date was read from other words of the text
    swapped = shown.wall.replace(month=shown.wall.day, day=shown.wall.month)
    return [shown, Shown(swapped, shown.has_time, shown.zones)]


def zones_named(shown: list[Shown]) -> list[tzinfo]:
    """Every zone the page names next to a time it shows, in page order: the zone it displays times in."""
    named: list[tzinfo] = []
    for item in shown:
        named.extend(z for z in item.zones if z not in named)
    return named
