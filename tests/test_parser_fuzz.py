"""Property-based fuzzing of the document dispatcher and the HTML article parser.

The flow turns a `ParseError` into an `etl_reject` row and any other exception into a
"parser_error" reject, but a parser that raises something else has a bug, and one that hangs or
balloons on a hostile page stalls a whole chunk. So: for any bytes, and for pages built to look
like real articles with broken parts (bad JSON-LD, absurd dates, deep nesting, wrong charsets),
the only exception allowed out is `ParseError`, and the work is bounded: a watchdog fails the
example after `WATCHDOG_S` seconds (a hang, not a speed check) and traced allocations stay under
`MEMORY_BOUND` (a fixed allowance plus a multiple of the input size).
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import signal
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import dateparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.document import parse_document
from transforms.record import StoryRecord

WATCHDOG_S = 20
FIXED_ALLOWANCE = 64 * 1024 * 1024
PER_INPUT_BYTE = 200
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Hang(AssertionError):
    """The parser was still working when the watchdog fired."""


def _warm_date_parser() -> None:
    """Pay dateparser's one-time setup before any watchdog runs.

    Its first string that is not a date compiles every locale's patterns: seconds on a quiet
    host, past the watchdog on a loaded CI one. The watchdog is there for hangs on an input.
    """
    dateparser.parse("not a date at all")


@pytest.fixture(scope="module", autouse=True)
def warm_date_parser() -> None:
    _warm_date_parser()


@pytest.fixture(scope="module")
def quiet_process() -> Iterator[ProcessPoolExecutor]:
    """A fresh process for the traced measurements. CPython 3.11's `tracemalloc.stop()` races native threads
    that report allocations without the GIL and can crash the process (python/cpython#128679, fixed only from
    3.12); a test process has such threads (DuckDB, pyarrow, a Prefect server's), a spawned one has none."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=_warm_date_parser) as pool:
        yield pool


@contextmanager
def watchdog(size: int) -> Iterator[None]:
    """Fail the example when the parser is still running after `WATCHDOG_S` seconds (a hang)."""

    def on_alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"parser still running after {WATCHDOG_S} s on a {size}-byte input")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(WATCHDOG_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def memory_bound(size: int) -> Iterator[None]:
    """Fail when traced allocations exceed a fixed allowance plus `PER_INPUT_BYTE` per input byte.

    Only around single large inputs: tracing slows Python several-fold, too much for every example.
    """
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    limit = FIXED_ALLOWANCE + PER_INPUT_BYTE * size
    assert peak <= limit, f"peak traced memory {peak} bytes over the {limit}-byte bound for {size} input bytes"


def only_parse_error(parse: Callable[[bytes], list[StoryRecord]], content: bytes) -> list[StoryRecord]:
    """Run `parse`; a ParseError must carry a reason, anything else fails the property."""
    with watchdog(len(content)):
        try:
            records = parse(content)
        except ParseError as error:
            assert error.reason and isinstance(error.reason, str)
            return []
    for record in records:
        assert isinstance(record, StoryRecord)
        assert isinstance(record.body, str) and isinstance(record.authors, list)
    return records


def via_document(content: bytes) -> list[StoryRecord]:
    return parse_document(content, locator="fuzz://doc", source="fuzz", url="https://news.example/a/1")


def via_article(content: bytes) -> list[StoryRecord]:
    return [parse_article(content, locator="fuzz://page", url="https://news.example/a/1", default_tz="Asia/Karachi")]


# ------------------------------------------------------------------ strategies

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]),  # surrogates cannot be encoded at all
    max_size=80,
)
DATES = st.one_of(
    st.sampled_from(
        [
            "2025-03-04T10:15:00+05:00",
            "2025-02-30",
            "0000-00-00T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "04 March 2025",
            "yesterday",
            "1700000000",
            "2025-13-45T99:99:99",
            "",
        ]
    ),
    TEXT,
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT, DATES),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)


@st.composite
def json_ld(draw: st.DrawFn) -> str:
    """A JSON-LD block that is sometimes a plausible NewsArticle, sometimes junk, sometimes broken."""
    article = {
        "@context": "https://schema.org",
        "@type": draw(st.sampled_from(["NewsArticle", "Article", ["NewsArticle"], 7, None, "WebPage"])),
        "headline": draw(st.one_of(TEXT, JSON_VALUES)),
        "datePublished": draw(st.one_of(DATES, JSON_VALUES)),
        "dateModified": draw(st.one_of(DATES, JSON_VALUES)),
        "author": draw(st.one_of(JSON_VALUES, st.lists(st.fixed_dictionaries({"name": TEXT}), max_size=3))),
        "articleBody": draw(TEXT),
        "keywords": draw(JSON_VALUES),
    }
    payload = draw(st.sampled_from(["article", "graph", "junk"]))
    value = {
        "article": article,
        "graph": {"@graph": [article, draw(JSON_VALUES)]},
        "junk": draw(JSON_VALUES),
    }[payload]
    text = json.dumps(value, allow_nan=True)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated mid-object
    return f'<script type="application/ld+json">{text}</script>'


META_NAMES = [
    "og:title",
    "og:type",
    "article:published_time",
    "article:modified_time",
    "author",
    "article:section",
    "article:tag",
    "description",
    "og:site_name",
    "datePublished",
]
META_ATTRIBUTES = st.sampled_from(["property", "name", "itemprop"])


@st.composite
def article_pages(draw: st.DrawFn) -> bytes:
    """An article page with realistic parts, each of which may be missing, duplicated or broken."""
    names = draw(st.lists(st.sampled_from(META_NAMES), max_size=8))
    meta = "".join(
        f'<meta {draw(META_ATTRIBUTES)}="{name}" content="{draw(DATES if "time" in name else TEXT)}">' for name in names
    )
    paragraphs = "".join(f"<p>{draw(TEXT)}</p>" for _ in range(draw(st.integers(0, 8))))
    depth = draw(st.sampled_from([0, 1, 50, 400, 3000]))
    nested = "<div>" * depth + paragraphs + "</div>" * draw(st.integers(0, depth))
    byline = f'<span class="byline">By {draw(TEXT)}</span>' if draw(st.booleans()) else ""
    time_tag = f'<time datetime="{draw(DATES)}">{draw(TEXT)}</time>' if draw(st.booleans()) else ""
    figure = f"<figure><img src=x><figcaption>{draw(TEXT)}</figcaption></figure>" if draw(st.booleans()) else ""
    charset = draw(st.sampled_from(["utf-8", "windows-1252", "shift_jis", "utf-16", "no-such-charset", ""]))
    html_text = (
        f'<!DOCTYPE html><html lang="{draw(st.sampled_from(["en", "ur", "xx-YY", "", "e" * 300]))}">'
        f'<head><meta charset="{charset}"><title>{draw(TEXT)}</title>{meta}{draw(json_ld())}</head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{draw(TEXT)}</h1>{byline}{time_tag}{figure}"
        f"{nested}</article><footer>{draw(TEXT)}</footer></body></html>"
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    data = html_text.encode(encoding, errors="replace")
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    data = data if cut is None else data[:cut]  # a truncated download
    return gzip.compress(data) if draw(st.integers(0, 9)) == 0 else data


FEED_HEADS = st.sampled_from(
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>',
        b'<?xml version="1.0" encoding="bogus"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
        b"\xef\xbb\xbfUpdated 04 March 2025\n",
        b"Headline\n\nPublished 31 February 2025\nFollow\n\n",
        b"\x1f\x8b\x08\x00",
        b"<html><body><article>",
    ]
)


# ------------------------------------------------------------------ properties


@FUZZ
@given(st.binary(max_size=4096))
def test_any_bytes_through_the_dispatcher(content: bytes) -> None:
    only_parse_error(via_document, content)


@FUZZ
@given(FEED_HEADS, st.binary(max_size=2048))
def test_format_prefixes_then_noise(head: bytes, tail: bytes) -> None:
    """Each format sniffer fires, then the real parser meets garbage."""
    only_parse_error(via_document, head + tail)


@settings(FUZZ, max_examples=50)
@given(article_pages())
def test_broken_article_pages_through_both_entry_points(page: bytes) -> None:
    only_parse_error(via_article, page)
    only_parse_error(via_document, page)


@FUZZ
@given(st.lists(TEXT, min_size=1, max_size=6), DATES)
def test_well_formed_pages_keep_their_paragraphs(paragraphs: list[str], published: str) -> None:
    """A page that is an article stays readable: the headline comes back and no exception escapes."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (
        f'<html><head><meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><article><h1>Harbour lane approved</h1>{body}</article></body></html>"
    ).encode("utf-8", errors="replace")
    records = only_parse_error(via_article, page)
    assert records and records[0].title == "Harbour lane approved"


def _deep(depth: int) -> bytes:
    return (
        b"<html><body><article>" + b"<div>" * depth + b"<p>deep</p>" + b"</div>" * depth + b"</article></body></html>"
    )


def _wide(paragraphs: int) -> bytes:
    text = b"<p>The harbour master said the lane would open in April, weather permitting.</p>"
    return (
        b"<html><head><title>Wide</title></head><body><article><h1>Wide</h1>"
        + text * paragraphs
        + b"</article></body></html>"
    )


@pytest.mark.parametrize(
    "page",
    [_deep(10_000), _deep(100_000), _wide(5_000), b"<p>" + b"\xff\xfe" * 200_000, _wide(1)[:50] * 10_000],
    ids=["deep-10k", "deep-100k", "wide-5k-paragraphs", "bad-utf16-400k", "repeated-truncation"],
)
def test_large_hostile_pages_stay_bounded(page: bytes, quiet_process: ProcessPoolExecutor) -> None:
    """Deep trees (lxml's depth limit, the RecursionError guard) and multi-megabyte pages:
    ParseError at worst, memory within the stated bound."""
    quiet_process.submit(_parse_bounded, page).result()


def _parse_bounded(page: bytes) -> None:
    via_document(_wide(2))  # load lazily imported models and compiled patterns outside the measurement
    with memory_bound(len(page)):
        only_parse_error(via_document, page)
