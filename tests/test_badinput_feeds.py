"""Bad-input suites over ../shared/corpus: feedparser's own test feeds, XML attacks, and real feeds.

Every file either parses or is refused with a ParseError reason; nothing else escapes and nothing
hangs (a per-test timeout). Where a feedparser test file states an `Expect:` line, the parts
that have a counterpart in Dateline's output (well-formedness, charset, feed title, first item's
description, link and dates) are checked against it; `UNMET` lists the ones that differ on
purpose, with the reason.
"""

from __future__ import annotations

import ast
import codecs
import json
import re
import socket
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms.errors import ParseError
from transforms.parsers.dates import normalise_date, to_utc
from transforms.parsers.feed import FeedResult, html_paragraphs, parse_feed
from transforms.record import StoryRecord

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BADINPUT = CORPUS / "feeds-badinput" / "tests"
ATTACKS = CORPUS / "xml-attacks" / "xmltestdata"
REAL = CORPUS / "feeds-real"
# Checked on the XML-attack files: tracemalloc's peak while parsing one of them.
ATTACK_MEMORY_BYTES = 20 * 1024 * 1024

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present in this checkout")

# Expect clauses Dateline deliberately does not reproduce, by file name.
UNMET = {
    "double-encoded-html.xml": "the description is a lone '…'; Dateline reads a description ending in an"
    " ellipsis as a cut-off excerpt, not a standfirst, so the summary stays empty",
    "bozo_double-encoded-html.xml": "same lone '…' description as double-encoded-html.xml",
    "gb2312.xml": "detected as GB2312; feedparser decodes GB2312 with its superset gb18030 and reports that",
}

Outcome = FeedResult | ParseError
Check = Callable[[Outcome], bool | None]  # None: the clause has no counterpart in Dateline's output


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


def _header_text(content: bytes) -> str:
    """The ASCII header comment, readable whatever the file's encoding (UTF-16/32 included)."""
    return content.replace(b"\x00", b"").decode("latin-1")


def _http_headers(header_text: str) -> dict[str, str] | None:
    match = re.search(r"^\s*Header:\s*([\w-]+):\s*(.*?)\s*$", header_text, re.MULTILINE)
    return {match[1]: match[2]} if match else None


def _parse(content: bytes, headers: dict[str, str] | None) -> Outcome:
    try:
        return parse_feed(content, locator="corpus", headers=headers)
    except ParseError as error:
        return error


def _text(literal: str) -> str:
    """feedparser's expectation is sanitized HTML; Dateline keeps its visible text."""
    return " ".join(html_paragraphs(ast.literal_eval(literal)))


def _same_codec(a: str | None, b: str) -> bool:
    try:
        return a is not None and codecs.lookup(a).name == codecs.lookup(b).name
    except LookupError:
        return False


def _instant(iso: str | None) -> datetime | None:
    return to_utc(iso) if iso and len(iso) > 10 else None


def _expected_instant(literal: str) -> datetime | None:
    value = ast.literal_eval(literal)
    if isinstance(value, tuple):
        return datetime(*value[:6], tzinfo=UTC)
    return _instant(normalise_date(value))


def _first(outcome: Outcome) -> StoryRecord | None:
    return outcome.records[0] if isinstance(outcome, FeedResult) and outcome.records else None


def _date_of(outcome: Outcome, scope: str, kind: str) -> str | None:
    """Dateline keeps "created" as the publication date when nothing says "published"."""
    holder = outcome if scope == "feed" else _first(outcome)
    if not isinstance(holder, FeedResult | StoryRecord):
        return None
    return holder.updated_at if kind == "updated" else holder.published_at


# Each rule turns one Expect clause into a check on Dateline's output.
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Check]]] = [
    (re.compile(r"^1$"), lambda m: lambda o: True),
    (re.compile(r"^bozo$"), lambda m: lambda o: isinstance(o, ParseError) or not o.wellformed),
    (re.compile(r"^not bozo$"), lambda m: lambda o: isinstance(o, FeedResult) and o.wellformed),
    (
        re.compile(r"^isinstance\(bozo_exception, feedparser\.(\w+)\)$"),
        lambda m: lambda o: isinstance(o, FeedResult) and (o.problem or "").startswith(m[1]),
    ),
    (
        re.compile(r"^encoding == (.+)$"),
        lambda m: lambda o: isinstance(o, FeedResult) and _same_codec(o.encoding, ast.literal_eval(m[1])),
    ),
    (
        re.compile(r"^feed\['title'\] == (.+)$"),
        lambda m: lambda o: isinstance(o, FeedResult) and o.title == _text(m[1]),
    ),
    (
        re.compile(r"^entries\[0\](?:\['description'\]|\.summary) == (.+)$"),
        lambda m: lambda o: (r := _first(o)) is not None and " ".join(r.summary or [r.body]) == _text(m[1]),
    ),
    (
        re.compile(r"^ord\(entries\[0\]\['description'\]\) == (\d+)$"),
        lambda m: lambda o: (r := _first(o)) is not None and r.summary == [chr(int(m[1]))],
    ),
    (
        re.compile(r"^entries\[0\]\.link == (.+)$"),
        lambda m: lambda o: (r := _first(o)) is not None and r.url == ast.literal_eval(m[1]),
    ),
    (
        re.compile(r"^(entries\[0\]|feed)\['(published|updated|created)(?:_parsed)?'\] == (.+)$"),
        lambda m: lambda o: _instant(_date_of(o, m[1], m[2])) == _expected_instant(m[3]),
    ),
]


def _checks(expect: str) -> list[tuple[str, Check]]:
    checks: list[tuple[str, Check]] = []
    for clause in (part.strip() for part in expect.split(" and ")):
        rule = next(((pattern.match(clause), make) for pattern, make in _RULES if pattern.match(clause)), None)
        checks.append((clause, rule[1](rule[0]) if rule else (lambda o: None)))
    return checks


def _with_title(content: bytes) -> bytes:
    """Give a date-only test item a title: an item with nothing but a date is not a story."""
    return re.sub(rb"<(entry|item)>", rb"<\1><title>t</title>", content, count=1)


BADINPUT_FILES = _files(BADINPUT)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("path", BADINPUT_FILES, ids=lambda p: str(p.relative_to(BADINPUT)))
def test_feedparser_suite_file_parses_or_is_refused_and_meets_its_expectation(path: Path) -> None:
    content = path.read_bytes()
    header = _header_text(content)
    headers = _http_headers(header)
    outcome = _parse(content, headers)
    if isinstance(outcome, FeedResult) and not outcome.records and "entries[0]" in header:
        outcome = _parse(_with_title(content), headers)
    if isinstance(outcome, ParseError):
        assert outcome.reason in {"not_feed", "xml_attack", "bad_encoding", "unparseable"}, outcome
    expect = re.search(r"^\s*Expect:\s*(.+?)\s*$", header, re.MULTILINE)
    if expect is None:
        return
    failed = [clause for clause, check in _checks(expect[1]) if check(outcome) is False]
    if path.name in UNMET:
        assert failed, f"{path.name} now meets its expectation: drop it from UNMET"
        return
    assert not failed, f"{path.name}: {failed} with {outcome!r}"


def test_the_suites_are_all_there() -> None:
    counts = {folder: len(_files(BADINPUT / folder)) for folder in ("illformed", "encoding", "wellformed")}
    assert counts == {"illformed": 19, "encoding": 82, "wellformed": 45}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", _files(ATTACKS), ids=lambda p: p.name)
def test_xml_attack_is_refused_quickly_without_memory_growth(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError(f"network access while parsing {path.name}: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    content = path.read_bytes()
    tracemalloc.start()
    try:
        outcome = _parse(content, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(outcome, ParseError), outcome
    declares_entities = b"<!ENTITY" in content
    assert outcome.reason == ("xml_attack" if declares_entities else "not_feed"), outcome
    assert peak < ATTACK_MEMORY_BYTES


def _reference_items(name: str) -> list[dict[str, object]]:
    raw = (REAL / "output" / f"{name}.json").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # the reference parser wrote some files in the feed's charset
    return json.loads(text)["feed"]["items"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("path", _files(REAL / "input"), ids=lambda p: p.name)
def test_real_feed_gives_one_sensible_record_per_item(path: Path) -> None:
    result = parse_feed(path.read_bytes(), locator=path.name)
    reference = _reference_items(path.stem)

    assert result.title
    assert len(result.records) == len(reference) > 0
    for record, item in zip(result.records, reference, strict=True):
        assert record.url == str(item.get("link", "")).strip()
        assert record.title and record.title == record.title.strip()
        if path.stem != "uolNoticias":  # the reference decoded this undeclared Latin-1 feed as UTF-8
            assert record.title == " ".join(html_paragraphs(str(item.get("title"))))
        assert "<" not in record.body or "&lt;" in str(item)  # HTML stripped
        assert all(len(bullet) <= 320 for bullet in record.summary)
        for value in (record.published_at, record.updated_at):
            assert value is None or normalise_date(value) == value
    assert all(r.published_at or r.updated_at for r in result.records)  # incl. "Seg, 24 Set 2018 ..."
