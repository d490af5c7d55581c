"""Story dumps: plain text copied from news pages, several stories per file.

Each story is laid out like the page it was copied from (see ../shared/seeds/):

    Headline
    Optional photo caption (Credit)
    Short Url                      <- page chrome, optional
    Updated 06 February 2025       <- or "Published ...", possibly both
    Follow                         <- page chrome, optional
    Headline (repeated)            <- optional
      • standfirst bullet          <- optional, the summary
    ISLAMABAD: first paragraph...  <- the dateline goes to its own field
    more paragraphs...

The date line is the one reliable anchor, so stories are found by their date lines and the
headline is recovered around each one: the line repeated right after the header when the
page repeats it, otherwise the lines just above the date line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from transforms.errors import ParseError
from transforms.parsers.dates import normalise_date
from transforms.parsers.html.dateline import split_dateline
from transforms.parsers.html.language import detected_language
from transforms.record import StoryRecord

_DATE_LINE = re.compile(
    r"^(?P<kind>updated|published|first published|last updated)\s*:?\s+"
    r"(?P<when>(?:\d{1,2}\s+[A-Za-z]+\.?,?\s+\d{4}|[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})\b.{0,40})$",
    re.IGNORECASE,
)
_DAY_MONTH_YEAR = re.compile(r"^(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})$")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_CHROME = frozenset({"short url", "follow", "share", "print", "tweet", "email", "advertisement"})
_BULLETS = "•●▪◦"
# "(AP)", "(Reuters/File)", "(Supplied)": a photo credit closes a caption, rarely a headline.
_CAPTION_CREDIT = re.compile(r"\([^()]{1,40}\)\.?$")
_HEADER_LOOKBACK = 4


@dataclass(slots=True)
class _Header:
    """Where one story's header sits in the dump's lines."""

    start: int  # index of the headline line
    end: int  # index after the last header line (date lines, chrome, repeated headline)
    title: str
    caption: str | None
    published_at: str | None
    updated_at: str | None


def looks_like_dump(text: str) -> bool:
    """True when `text` is plain text with at least one story date line ("Updated 06 February 2025")."""
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "<" or head == "{":
        return False
    return any(_date_of(line) for line in _lines(text))


def parse_dump(text: str, *, locator: str, source: str | None = None) -> list[StoryRecord]:
    """Every story of a dump as a record; ParseError("empty" or "not_dump") when there is none."""
    lines = _lines(text)
    if not any(lines):
        raise ParseError("empty", "the dump has no text")
    headers = _headers(lines)
    if not headers:
        raise ParseError("not_dump", "no 'Updated/Published DD Month YYYY' line")
    records = []
    for index, header in enumerate(headers):
        stop = headers[index + 1].start if index + 1 < len(headers) else len(lines)
        records.append(_record(header, lines[header.end : stop], locator, source))
    return records


def _lines(text: str) -> list[str]:
    """Lines with Windows/Mac endings, BOM and non-breaking spaces normalised, right-stripped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\xa0", " ")
    return [line.rstrip() for line in text.split("\n")]


def _norm(line: str) -> str:
    return " ".join(line.split()).casefold()


def _is_chrome(line: str) -> bool:
    return _norm(line) in _CHROME


@lru_cache(maxsize=4096)  # dateutil is slow and a dump repeats its date lines
def _date_of(line: str) -> tuple[str, str] | None:
    """("updated"|"published", ISO day) for a date line, None for any other line."""
    match = _DATE_LINE.match(line.strip())
    if not match:
        return None
    when = normalise_date(_as_iso_day(match["when"]))
    if when is None:
        return None
    kind = "updated" if "updated" in match["kind"].lower() else "published"
    return kind, when


def _as_iso_day(when: str) -> str:
    """ "06 February 2025" as "2025-02-06" (the common case, without dateutil's cost); else unchanged."""
    match = _DAY_MONTH_YEAR.match(when.strip())
    word = match["month"].lower() if match else ""
    month = next((number for number, name in enumerate(_MONTH_NAMES, 1) if name.startswith(word)), None)
    if match is None or month is None:
        return when
    return f"{match['year']}-{month:02d}-{int(match['day']):02d}"


def _headers(lines: list[str]) -> list[_Header]:
    headers: list[_Header] = []
    index = 0
    floor = 0  # a header never reaches back into the previous story's header
    while index < len(lines):
        if _date_of(lines[index]) is None:
            index += 1
            continue
        header = _header_at(lines, index, floor)
        if header is not None:
            headers.append(header)
            floor = header.end
            index = header.end
        else:
            index += 1
    return headers


def _header_at(lines: list[str], first_date: int, floor: int) -> _Header | None:
    dates: dict[str, str] = {}
    cursor = first_date
    # The date block: date lines, chrome and blank lines, up to the first line of text.
    while cursor < len(lines):
        line = lines[cursor]
        found = _date_of(line)
        if found:
            dates.setdefault(found[0], found[1])
        elif line.strip() and not _is_chrome(line):
            break
        cursor += 1
    candidates = (i for i in range(first_date - 1, floor - 1, -1) if lines[i].strip() and not _is_chrome(lines[i]))
    above = sorted(islice(candidates, _HEADER_LOOKBACK))
    repeat = cursor if cursor < len(lines) else None
    if not above:
        if repeat is None:
            return None
        start, end, caption_lines = repeat, repeat + 1, []  # "date first" layout: the headline follows
    else:
        start, end, caption_lines = _locate_headline(lines, above, repeat, cursor)
    return _Header(
        start=start,
        end=end,
        title=" ".join(lines[start].split()),
        caption=" ".join(caption_lines) or None,
        published_at=dates.get("published"),
        updated_at=dates.get("updated"),
    )


def _locate_headline(lines: list[str], above: list[int], repeat: int | None, cursor: int) -> tuple[int, int, list[str]]:
    """(headline index, header end, caption lines) for a date block with text lines `above` it.

    A headline repeated right after the date block pins the header exactly: the lines between
    the headline and the date are the caption. Without a repeat, the line just above the date
    is the headline unless it ends with a photo credit, then it is the caption below the headline.
    """
    if repeat is not None:
        for position, i in enumerate(above):
            if _norm(lines[i]) == _norm(lines[repeat]):
                return i, repeat + 1, [lines[j].strip() for j in above[position + 1 :]]
    last = lines[above[-1]].strip()
    if len(above) >= 2 and _CAPTION_CREDIT.search(last):
        return above[-2], cursor, [last]
    return above[-1], cursor, []


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        text = line.strip()
        if text and not _is_chrome(text) and not text.startswith(tuple(_BULLETS)):
            current.append(text)
            continue
        if current:
            paragraphs.append(" ".join(" ".join(current).split()))
            current = []
        if text.startswith(tuple(_BULLETS)):
            paragraphs.append(text)
    return paragraphs


def _record(header: _Header, lines: list[str], locator: str, source: str | None) -> StoryRecord:
    paragraphs = _paragraphs(lines)
    summary: list[str] = []
    while paragraphs and paragraphs[0].startswith(tuple(_BULLETS)):
        bullet = " ".join(paragraphs.pop(0).lstrip(_BULLETS).split())
        if bullet:
            summary.append(bullet)
    dateline = None
    if paragraphs:
        dateline, paragraphs[0] = split_dateline(paragraphs[0])
    body = "\n\n".join(p for p in paragraphs if p)
    return StoryRecord(
        input=locator,
        title=header.title,
        summary=summary,
        published_at=header.published_at,
        updated_at=header.updated_at,
        dateline=dateline,
        body=body,
        language=detected_language(f"{header.title or ''}\n{body}"),  # a dump declares no language
        image_caption=header.caption,
        source=source,
    )
