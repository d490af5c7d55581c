"""Publication and update times, as precise as the page states them and never more.

Order of trust: JSON-LD (`datePublished`/`dateModified`), then <meta> tags, microdata,
<time> elements, a date in the URL, and visible "Published/Updated" wording. Two exceptions: Dublin
Core's generic `date`, when it is the only date declared, yields to the publication date the page shows
(it is often the last save), and a page without dated metadata is dated by the line under its headline
before htmldate's guess. Every value goes through `normalise_date`, which keeps the page's own
offset, applies the site zone only to local times, and keeps a lone day as `YYYY-MM-DD`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from itertools import islice

from htmldate import find_date
from lxml.etree import Element
from lxml.html import HtmlElement

from transforms.parsers.dates import normalise_date, to_utc, why_unusable
from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.shown import Shown, read_shown, shown_dates
from transforms.parsers.html.site_zone import domain_country, in_site_zone, is_utc_instant, locale_country
from transforms.parsers.html.text import clean, key

# Dublin Core's "date" is any date in the life of the resource: content systems often fill it with the day
# the page was last saved, so a publication date the page shows outranks it (`_over_generic`)
_GENERIC_META = ("dcterms.date", "dc.date", "date")
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date.issued",
    *_GENERIC_META,
    "cxenseparse:recs:publishtime",
    "article_date_original",
    "originalpublicationdate",
)
_UPDATED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "og:updated_time",
    "article.updated",
    "dcterms.modified",
    "last-modified",
)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$)|"  # /2023/12/17/
    r"[/_-]((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[/._-]|$)|"  # /2023-12-17-slug
    r"[/_-]((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:[/._-]|$)|"  # /20231217/, -20231217
    r"/((?:19|20)\d{2})/([a-z]{3})[a-z]*/(0?[1-9]|[12]\d|3[01])/",  # /2023/dec/21/
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_VISIBLE = re.compile(
    r"\b(?P<kind>published|posted|updated|modified|last updated|date)\b\s*(?:on|at|:)?\s*"
    # the date must start right there: a digit, a month or a weekday, not "Updated COVID-19 shots..."
    r"(?P<date>(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[^|\n]{5,60})",
    re.IGNORECASE,
)
_NUMERIC_DAY_MONTH = re.compile(r"^\s*(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})(?P<rest>(?:[T ]\d.*)?)$")
_NAIVE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?$")
_MAX_OFFSET = timedelta(hours=14)
_MAX_CANDIDATES = 12
_ISO_LIKE = re.compile(r"^\s*\d{4,}-\d{1,2}-\d{1,2}")
_QUARTER_HOUR = timedelta(minutes=15)
_LABEL_ONLY = re.compile(
    r"^(?:published|posted|updated|modified|last updated|date)(?:\s+(?:on|at))?\s*:?$", re.IGNORECASE
)
# a class naming the element the publication date ("att-publish-date", "field-node-create-date")
_PUBLICATION_DATE_CLASS = re.compile(
    r"publish|pubdate|post(?:ed|[-_]?date)|creat\w*[-_]?date|date[-_]?creat", re.IGNORECASE
)
# ... unless it dates another story (a teaser, a related link), a comment, or shows the clock
_OTHER_DATE_CLASS = re.compile(r"teaser|related|comment|current", re.IGNORECASE)
_MAX_MARKED_ELEMENTS = 5_000
# the byline's date sits within a dozen elements of the headline, before the story's first long paragraph
_AFTER_HEADLINE = 12
_MIN_HEADLINE_WORDS = 3
_NUMERIC_DATE = re.compile(r"(?<![\d.])(?:\d{4}-\d{2}-\d{2}|\d{1,2}\.\s?\d{1,2}\.\s?\d{4})(?![\d.])")
_MAX_BYLINE_TEXT = 200
_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})
_PUBLISHED_CLASS = re.compile(r"publish|posted|date|time|byline|meta", re.IGNORECASE)
# "posted on <time>", "Published: <time>": the words just before a <time> say what it dates
_PUBLISHED_WORDING = re.compile(
    r"\b(?:published|posted|publicado|publié|veröffentlicht|pubblicato|gepubliceerd)\b\W{0,3}(?:on|am|le|el|il|op)?\W*$",
    re.IGNORECASE,
)


def _normalised(values: Iterable[str | None], default_tz: str | None) -> list[str]:
    return [n for n in (normalise_date(v, default_tz) for v in values if v) if n]


def _naive_local(value: str) -> datetime | None:
    """A timestamp written without an offset ("2023-12-22 20:48:19"), as a naive datetime."""
    match = _NAIVE.match(value.strip())
    if not match:
        return None
    try:
        return datetime.fromisoformat(f"{match[1]}T{match[2]}")
    except ValueError:
        return None


def _in_page_offset(chosen: str, raw: Iterable[str | None], normalised: list[str]) -> str:
    """The same instant in the page's own offset when the page states it elsewhere.

    Many sites give UTC in JSON-LD but local time in <time> or another tag; the local form
    is what the contract keeps. A naive local time that differs from the UTC one by a whole
    number of quarter hours (at most 14 h) reveals the offset: derived, not invented.
    """
    if not chosen.endswith(("Z", "+00:00")) or len(chosen) <= 10:
        return chosen
    instant = datetime.fromisoformat(chosen.replace("Z", "+00:00"))
    for other in normalised:
        if len(other) > 10 and not other.endswith(("Z", "+00:00")):
            moment = datetime.fromisoformat(other.replace("Z", "+00:00"))
            if moment.tzinfo is not None and moment == instant:
                return other
    if instant.second == 0 and instant.minute % 15 == 0:
        return chosen  # a round time could line up with any other time on the page by chance
    for value in raw:
        local = _naive_local(value or "")
        if local is None:
            continue
        shift = local - instant.replace(tzinfo=None)
        if timedelta(0) < abs(shift) <= _MAX_OFFSET and shift % _QUARTER_HOUR == timedelta(0):
            return local.replace(tzinfo=timezone(shift)).isoformat(timespec="seconds")
    return chosen


def _with_stated_offset(chosen: str, raw: Iterable[str | None], normalised: list[str]) -> str:
    """A day read from a time without offset ("2024-02-06 17:55:00"), as the full time when the page
    states that same wall-clock time with its offset elsewhere (`<time datetime="2024-02-06 17:55:00 UTC">`)."""
    if len(chosen) != 10:
        return chosen
    walls = {
        local
        for local in (_naive_local(v or "") for v in raw)
        if local is not None and local.date().isoformat() == chosen
    }
    for other in normalised:
        moment = datetime.fromisoformat(other.replace("Z", "+00:00")) if len(other) > 10 else None
        if moment is not None and moment.tzinfo is not None and moment.replace(tzinfo=None) in walls:
            return other
    return chosen


def _microdata_values(meta: PageMetadata, prop: str) -> list[str | None]:
    return [e.get("datetime") or e.get("content") or clean(e.text_content()) for e in meta.microdata.get(prop, ())]


def _time_value(element: HtmlElement, value: str) -> str:
    """A <time> datetime written without an offset, in the zone its own text names ("05:00 AM EST")."""
    value = _day_first_if_shown(element, value)
    local = _naive_local(value)
    shown = read_shown(element.text_content()) if local is not None else None
    if shown is None or local is None:
        return value
    zone = next((z for z in shown.zones if shown.wall == local.replace(second=0)), None)
    return local.replace(tzinfo=zone).isoformat(timespec="seconds") if zone else value


def _day_first_if_shown(element: HtmlElement, value: str) -> str:
    """A numeric datetime that is not ISO ("01-11-2023 10:29") as ISO, day first when the element's own
    text shows that day ("1. November 2023"): D-M-Y and M-D-Y look alike, and only the text tells them apart."""
    match = _NUMERIC_DAY_MONTH.match(value)
    if not match:
        return value
    day_first = f"{match['y']}-{int(match['b']):02d}-{int(match['a']):02d}"
    shown = normalise_date(clean(element.text_content()))
    return f"{day_first}{match['rest']}" if shown and shown[:10] == day_first else value


def _time_elements(tree: HtmlElement) -> tuple[list[str], list[str]]:
    """datetime attributes of <time> elements: (those marked as publication, the others).

    A <time> the text introduces ("posted on", "Published:") comes first: classes such as
    "time-posted" mark the dates of a sidebar's links as often as the story's own.
    """
    worded, marked, others = [], [], []
    for element in tree.iter("time"):
        value = element.get("datetime")
        if not value:
            continue
        label = f"{element.get('class', '')} {element.get('itemprop', '')} {element.get('pubdate', '')}"
        parent = element.getparent()
        before = ""
        if parent is not None:
            label += f" {parent.get('class', '')}"
            previous = element.getprevious()
            before = (previous.tail if previous is not None else parent.text) or ""
        if _PUBLISHED_WORDING.search(before[-40:]):
            worded.append(_time_value(element, value))
        elif _PUBLISHED_CLASS.search(label) or element.get("pubdate") is not None:
            marked.append(_time_value(element, value))
        else:
            others.append(_time_value(element, value))
    return worded + marked, others


def _undeclared(url: str | None, shown_values: list[str], first_marked: str | None) -> str | None:
    """The publication date of a page without declared metadata.

    The URL's day (minted at publication) outranks <time> elements, which are as likely to
    date a sidebar, and a <time> on the URL's day adds its precision. A full instant in the
    <time> marked as the publication, one day off the URL's, wins: the URL was minted when the
    story was filed, or in another zone than the one the page shows.
    """
    url_day = date_from_url(url)
    if not url_day:
        return shown_values[0] if shown_values else None
    if first_marked and len(first_marked) > 10 and first_marked[10:11] == "T":
        gap = abs(date.fromisoformat(first_marked[:10]) - date.fromisoformat(url_day))
        if gap == timedelta(days=1) and to_utc(first_marked) is not None:
            return first_marked
    return next((v for v in shown_values if v.startswith(url_day)), url_day)


def date_from_url(url: str | None) -> str | None:
    """The day a URL path carries (/2023/12/17/, /2023-12-17-, /20231217/, slug-20231217), if any."""
    match = _URL_DATE.search(url or "")
    if not match:
        return None
    year, month, day = (g for g in match.groups() if g)
    month_number = _MONTHS.get(month.lower(), 0) if month.isalpha() else int(month)
    return normalise_date(f"{year}-{month_number:02d}-{int(day):02d}") if month_number else None


def _url_day_shown(url: str | None) -> list[Shown]:
    """The URL's day as a day the page shows, first: the path was minted on the local day of publication,
    so it tells which zone a UTC instant belongs to as well as a byline's day does (and a header's "today" less)."""
    day = date_from_url(url)
    return [Shown(datetime.fromisoformat(day), has_time=False)] if day else []


def _visible(tree: HtmlElement, default_tz: str | None) -> tuple[str | None, str | None]:
    """ "Published 5 Feb 2025" / "Updated 06 February 2025" wording in the page text."""
    body = tree.find("body")
    if body is None:
        return None, None
    published = updated = None
    for element in body.iter("time", "span", "div", "p", "li", "dt", "th", "strong", "b"):
        text = clean(element.text or "")
        follower = element.getnext()
        if _LABEL_ONLY.match(text) and follower is not None:  # <dt>Date:</dt><dd>December 13, 2023</dd>
            text = f"{text} {clean(follower.text_content())}"
        if not text or len(text) > 120:
            continue
        for match in _VISIBLE.finditer(text):
            value = normalise_date(match["date"], default_tz)
            if not value:
                continue
            if match["kind"].lower() in ("updated", "modified", "last updated"):
                updated = updated or value
            else:
                published = published or value
        if published and updated:
            break
    return published, updated


def _marked_shown(tree: HtmlElement, default_tz: str | None) -> str | None:
    """The date shown in the first element whose class calls it the publication date.

    Asked before htmldate's heuristics, which weigh every date of the page and can prefer a
    sidebar's: the page's own markup naming the element is the stronger statement.
    """
    body = tree.find("body")
    if body is None:
        return None
    for count, element in enumerate(body.iter(Element)):
        label = f"{element.get('class', '')} {element.get('id', '')}"
        if count > _MAX_MARKED_ELEMENTS:
            break
        if not _PUBLICATION_DATE_CLASS.search(label) or _OTHER_DATE_CLASS.search(label):
            continue
        shown = read_shown(element.text_content())
        if shown is not None:
            stated = shown.wall.isoformat() if shown.has_time else shown.wall.date().isoformat()
            return normalise_date(stated, default_tz)
    return None


def _following(element: HtmlElement) -> Iterator[HtmlElement]:
    """The elements after `element` in document order (its own content aside), lazily."""
    node: HtmlElement | None = element
    while node is not None:
        for sibling in node.itersiblings():
            yield from sibling.iter(Element)
        node = node.getparent()


def _headline(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The <h1> that shows the story's title (as `extract_title` chose it): not a logo or a masthead's <h1>."""
    body = tree.find("body")
    wanted = key(title)
    if body is None or len(wanted.split()) < _MIN_HEADLINE_WORDS:
        return None
    return next((h1 for h1 in body.iter("h1") if wanted in key(h1.text_content())), None)


def _under_headline(tree: HtmlElement, title: str | None, default_tz: str | None) -> str | None:
    """The date shown in the first short elements after the headline, where templates put the byline's date.

    Asked before htmldate's heuristics, which weigh every date of the page and can prefer the day a
    header shows above the headline (the day the page was fetched) or a sidebar's.
    """
    headline = _headline(tree, title)
    if headline is None:
        return None
    for element in islice(_following(headline), _AFTER_HEADLINE):
        if len(element) or element.tag in _NOT_TEXT:
            continue
        text = element.text_content()
        if len(text) > _MAX_BYLINE_TEXT:
            return None  # the story has begun without a date
        numeric = _NUMERIC_DATE.search(text)
        # "Berlin, 28.10.2021, 058/21": a press release's number defeats the whole line's reading, not its date
        shown = read_shown(text) or (read_shown(numeric[0]) if numeric else None)
        if shown is not None:
            stated = shown.wall.isoformat() if shown.has_time else shown.wall.date().isoformat()
            return normalise_date(stated, default_tz)
    return None


def _over_generic(generic: str, tree: HtmlElement, marked: list[str], title: str | None, default_tz: str | None) -> str:
    """A date declared only as Dublin Core's generic `date`, or the other day the page shows as its publication.

    The date under the headline is read first (what the reader sees), then a <time> marked or worded as the
    publication: such a <time> can be hidden microdata whose day the visible byline contradicts.
    """
    shown = _under_headline(tree, title, default_tz) or next(iter(_normalised(marked, default_tz)), None)
    return shown if shown and shown[:10] != generic[:10] else generic


def _htmldate(tree: HtmlElement) -> str | None:
    """htmldate's reading of the original publication day, for pages without structured dates. Passed the
    tree itself: htmldate copies a tree it is given before pruning it."""
    try:
        found = find_date(tree, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, RecursionError):
        return None
    return normalise_date(found) if found else None


def _unusable(name: str, declared: list[str | None], usable: list[str]) -> list[str]:
    """Notes for declared values (JSON-LD, meta tags) of which none could be used: dropped, never silently."""
    if usable:
        return []
    return [f"{name} {v.strip()[:80]!r}: {why_unusable(v)}" for v in declared if isinstance(v, str) and v.strip()]


def extract_dates(
    tree: HtmlElement, meta: PageMetadata, url: str | None, default_tz: str | None, title: str | None = None
) -> tuple[str | None, str | None, list[str]]:
    """(published_at, updated_at) as ISO strings from the most trusted source that has them, and notes on the
    declared dates that could not be used (year 9999, offset +25:00). `title` (the headline `extract_title`
    chose) finds the <h1> under which a page without dated metadata shows its date."""
    json_ld = [
        *(as_text(v) for v in meta.article_values("datePublished")),
        *(as_text(v) for v in meta.article_values("dateCreated")),
    ]
    tags = [(name, meta.first_meta(name)) for name in _PUBLISHED_META]
    declared = [*json_ld, *(value for _, value in tags)]
    marked, unmarked = _time_elements(tree)
    shown = [*_microdata_values(meta, "datePublished"), *marked, *unmarked][:_MAX_CANDIDATES]
    raw_published = declared + shown
    published_values = _normalised(raw_published, default_tz)
    declared_values = _normalised(declared, default_tz)
    if declared_values:
        published = _with_stated_offset(declared_values[0], raw_published, published_values)
        published = _in_page_offset(published, raw_published, published_values)
        specific = [*json_ld, *(value for name, value in tags if name not in _GENERIC_META)]
        if not _normalised(specific, default_tz):  # only the generic Dublin Core date spoke
            published = _over_generic(published, tree, marked, title, default_tz)
        if is_utc_instant(published):  # the shown dates are read only for the pages that need them
            shown_days = [*_url_day_shown(url), *shown_dates(tree)]
            published = in_site_zone(published, shown_days, locale_country(meta, tree), domain_country(url))
    else:
        published = _undeclared(url, published_values, next(iter(_normalised(marked, default_tz)), None))
    declared_updated = [
        *(as_text(v) for v in meta.article_values("dateModified")),
        *(meta.first_meta(n) for n in _UPDATED_META),
    ]
    raw_updated = [*declared_updated, *_microdata_values(meta, "dateModified")]
    updated_values = _normalised(raw_updated, default_tz)
    dropped = [
        *_unusable("published_at", declared, declared_values),
        *_unusable("updated_at", declared_updated, updated_values),
    ]
    updated = _in_page_offset(updated_values[0], raw_updated, updated_values) if updated_values else None
    if not published or not updated:
        # a labelled date in the text ("Published 5 Feb 2025", "Date: December 18, 2023") is a statement
        seen_published, seen_updated = _visible(tree, default_tz)
        published = published or seen_published
        updated = updated or seen_updated
    if not published and not any(_ISO_LIKE.match(v) for v in declared if v):
        # htmldate "repairs" impossible ISO dates (2025-02-30 -> 2025-02-01): not asked when the page has one
        published = _marked_shown(tree, default_tz) or _under_headline(tree, title, default_tz) or _htmldate(tree)
    if published and updated and updated[:10] < published[:10]:
        updated = None  # an update before publication is a misread, not a fact
    return published, updated, dropped
