"""The same publication instant in the site's own zone, when the page itself shows which zone that is.

Many sites declare `2023-12-20T01:00:21Z` in their metadata while the byline reads "8:00 PM EST,
Tue December 19, 2023": the story belongs to the 19th for its readers, and the contract keeps the
page's own offset. A UTC instant is re-expressed in another zone only when the page agrees:

1. a shown date and time matches the instant in a zone named beside it ("EST", "PT"), or, with no
   name, differs from it by a whole number of quarter hours (the displayed local time reveals the
   offset);
2. a shown day (no time) differs from the UTC day and equals the local day in a zone the page
   names elsewhere, or in its country's zone (locale region "fr-CA", country domain ".it");
3. nothing shown, but the country domain names a country whose zones all share one offset at that
   instant, and the declared locale region, if any, is the same country.

The instant never changes and no time is invented; without agreement the UTC form stays.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError

from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata
from transforms.parsers.html.shown import Shown, zones_named

_MAX_OFFSET = timedelta(hours=14)
_QUARTER_HOUR = timedelta(minutes=15)
_REGION = re.compile(r"^[a-z]{2,3}[-_]([a-z]{2})$", re.IGNORECASE)
# country domains sold worldwide as generic names say nothing about where a site is
_GENERIC_CCTLDS = frozenset({"ai", "am", "cc", "co", "fm", "gg", "io", "ly", "me", "nu", "sh", "to", "tv", "ws"})
_CCTLD_COUNTRY = {"uk": "GB"}
# Facebook's "es_LA" names Latin American Spanish, not Laos: a region that says nothing about the zone
_NOT_A_COUNTRY = frozenset({"es_la"})


@cache
def _country_zones() -> dict[str, tuple[str, ...]]:
    """ISO 3166 country code -> its IANA zones, from the tz database's zone.tab (read once)."""
    places = [Path(p) / "zone.tab" for p in TZPATH]
    with contextlib.suppress(ModuleNotFoundError):  # the tzdata wheel, where the system has no tz database
        places.append(Path(str(resources.files("tzdata") / "zoneinfo" / "zone.tab")))
    for place in places:
        if place.is_file():
            zones: dict[str, list[str]] = {}
            for line in place.read_text(encoding="utf-8").splitlines():
                fields = line.split("\t")
                if len(fields) >= 3 and not line.startswith("#"):
                    zones.setdefault(fields[0].upper(), []).append(fields[2])
            return {country: tuple(names) for country, names in zones.items()}
    return {}


@cache
def _zones_of(country: str) -> tuple[tzinfo, ...]:
    try:
        return tuple(ZoneInfo(name) for name in _country_zones().get(country, ()))
    except (ZoneInfoNotFoundError, ValueError):
        return ()


def country_zone(country: str | None, instant: datetime) -> tzinfo | None:
    """The country's zone at `instant` when all its zones share one offset then (Italy yes, the US no)."""
    zones = _zones_of((country or "").upper())
    if not zones:
        return None
    offset = instant.astimezone(zones[0]).utcoffset()
    return zones[0] if all(instant.astimezone(z).utcoffset() == offset for z in zones[1:]) else None


def locale_country(meta: PageMetadata, tree: HtmlElement) -> str | None:
    """The region of the declared locale ("en_US", "fr-CA"), if the page gives one."""
    for value in (meta.first_meta("og:locale"), tree.get("lang"), meta.first_meta("content-language")):
        locale = (value or "").strip()
        match = _REGION.match(locale)
        if match and locale.replace("-", "_").lower() not in _NOT_A_COUNTRY:
            return match[1].upper()
    return None


def domain_country(url: str | None) -> str | None:
    """The country of a country-code domain (".it", ".co.uk"), generic-use codes (".tv", ".io") aside."""
    host = urlsplit(url or "").hostname or ""
    suffix = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(suffix) != 2 or suffix in _GENERIC_CCTLDS:
        return None
    return _CCTLD_COUNTRY.get(suffix, suffix.upper())


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0, tzinfo=None)


def _from_shown_time(instant: datetime, shown: Shown) -> tzinfo | None:
    """Rule 1: the zone in which `shown` (a date and time) is the instant; UTC when the page shows UTC."""
    if shown.wall.tzinfo is not None:
        return shown.wall.tzinfo if shown.wall == instant.replace(second=0, microsecond=0) else None
    for zone in shown.zones:
        if _minute(instant.astimezone(zone)) == shown.wall:
            return zone
    if shown.zones:
        return None
    shift = shown.wall - _minute(instant)
    if abs(shift) <= _MAX_OFFSET and shift % _QUARTER_HOUR == timedelta(0):
        return timezone(shift) if shift else UTC
    return None


def _from_shown_day(instant: datetime, day: date, candidates: list[tzinfo]) -> tzinfo | None:
    """Rule 2: the first candidate zone whose local day for the instant is the day shown."""
    if instant.date() == day:
        return UTC
    return next((z for z in candidates if instant.astimezone(z).date() == day), None)


def site_zone(instant: datetime, shown: list[Shown], locale: str | None, domain: str | None) -> tzinfo | None:
    """The zone the page shows `instant` in (UTC when it shows UTC), or None when the page does not say."""
    for item in shown:
        if item.has_time and abs(item.wall.replace(tzinfo=None) - _minute(instant)) <= _MAX_OFFSET:
            zone = _from_shown_time(instant, item)
            if zone is not None:
                return zone
    for item in shown:
        if not item.has_time and abs(item.wall.date() - instant.date()) <= timedelta(days=1):
            countries = [z for z in (country_zone(c, instant) for c in (locale, domain)) if z is not None]
            return _from_shown_day(instant, item.wall.date(), zones_named(shown) + countries)
    if domain and (locale is None or locale == domain):
        return country_zone(domain, instant)
    return None


def is_utc_instant(value: str | None) -> bool:
    """Whether an ISO value from `normalise_date` is a full time stated in UTC (the only kind moved)."""
    return bool(value) and len(value) > 10 and value.endswith(("Z", "+00:00"))


def in_site_zone(value: str, shown: list[Shown], locale: str | None, domain: str | None) -> str:
    """`value` (ISO) re-expressed in the site's zone when it is a UTC instant and the page shows the zone."""
    if not is_utc_instant(value):
        return value
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    zone = site_zone(instant, shown, locale, domain)
    if zone is None or instant.astimezone(zone).utcoffset() == timedelta(0):
        return value
    return instant.astimezone(zone).isoformat(timespec="seconds")
