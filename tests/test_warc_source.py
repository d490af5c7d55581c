"""WARC sources on real-format files: records written with FastWARC one gzip member per record (as CC-NEWS
does), pages written here and from ../shared/corpus/naeb, damaged records, non-UTF-8 pages, and real
ingest runs into a DuckDB file: capture time as first_seen_at, rejects, reruns and resumption."""

from __future__ import annotations

import gzip
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from fastwarc.warc import WarcRecordType

from demo.warc import WarcWriter, cc_news_records, corpus_pages, http_response, record_bytes
from flows.ingest import ingest
from flows.pipeline.extract import extract_file
from flows.sources import warc
from flows.sources.config import ConfigError, adhoc_source, parse_sources
from flows.sources.warc import Damage, Page, Skip, read_events

NAEB = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "naeb"
CAPTURED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

PARAGRAPHS = [
    "The harbour authority opened a new container terminal on Monday, doubling the port's capacity "
    "and promising faster clearance for exporters who have waited months for berths.",
    "Officials said the terminal would handle two million containers a year once its second phase is "
    "finished, and that customs staff would work around the clock from the first week.",
    "Shipping lines welcomed the opening but warned that road links to the port remain congested, "
    "with lorries queueing for hours on the only highway that reaches the docks.",
    "The provincial government said a bypass would be tendered before the end of the year.",
]


def article(title: str, paragraphs: list[str], published: str = "2025-02-06T09:30:00+05:00", meta: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head>{meta}<title>{title}</title>"
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def utf8_page(title: str) -> bytes:
    return article(title, PARAGRAPHS).encode()


CYRILLIC = [
    "Портовое управление в понедельник открыло новый контейнерный терминал, удвоив мощность порта "
    "и пообещав экспортёрам более быстрое оформление грузов после долгих месяцев ожидания.",
    "Чиновники заявили, что терминал будет обрабатывать два миллиона контейнеров в год после "
    "завершения второй очереди строительства, а таможня будет работать круглосуточно.",
    "Судоходные компании приветствовали открытие, но предупредили о пробках на единственной дороге к порту.",
]


def write_mixed_warc(path: Path) -> dict[str, int]:
    """Every kind of record a crawl holds, with two damaged ones; returns the offsets of some of them."""
    offsets = {}
    with WarcWriter(path) as out:
        out.raw(record_bytes(WarcRecordType.warcinfo, None, b"software: dateline-tests\r\n"))
        out.request("https://news.example/a")
        offsets["a"] = out.response("https://news.example/a", utf8_page("Harbour terminal opens"), captured_at=CAPTURED)
        out.metadata("https://news.example/a")
        out.revisit("https://news.example/a")
        cyrillic = article("Порт открыл новый терминал", CYRILLIC).encode("windows-1251")
        offsets["cp1251"] = out.response(
            "https://news.example/ru", cyrillic, "text/html; charset=windows-1251", captured_at=CAPTURED
        )
        out.response("https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
        out.response("https://news.example/gone", b"<html>gone</html>", status="404 Not Found")
        # a Content-Length 40 bytes too long: it swallows the start of the next record
        block = http_response(utf8_page("Wrong length"), "text/html; charset=utf-8")
        good = record_bytes(WarcRecordType.response, "https://news.example/wrong-length", block, CAPTURED)
        offsets["wrong"] = out.raw(re.sub(rb"Content-Length: (\d+)", _longer, good, count=1))
        offsets["b"] = out.response("https://news.example/b", utf8_page("Bypass to be tendered"), captured_at=CAPTURED)
        offsets["last"] = out.response("https://news.example/c", utf8_page("Road links congested"))
    # the last record cut short, as a crawl killed mid-write leaves it
    data = path.read_bytes()
    path.write_bytes(data[: offsets["last"] + (len(data) - offsets["last"]) * 2 // 3])
    return offsets


def _longer(match: re.Match[bytes]) -> bytes:
    return b"Content-Length: " + str(int(match.group(1)) + 40).encode()


@pytest.mark.parametrize("name", ["mixed.warc.gz", "mixed.warc"])
def test_records_are_read_skipped_or_rejected_and_reading_goes_on(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    offsets = write_mixed_warc(path)
    with path.open("rb") as handle:
        events = list(read_events(handle))
    pages = [e for e in events if isinstance(e, Page)]
    skips = sorted(e.reason for e in events if isinstance(e, Skip))
    damage = [(e.offset, e.reason) for e in events if isinstance(e, Damage)]

    assert [p.response.url for p in pages] == [
        "https://news.example/a",
        "https://news.example/ru",
        "https://news.example/b",
    ]
    assert pages[0].captured_at == CAPTURED and pages[0].offset == offsets["a"]
    assert pages[1].response.content_type == "text/html; charset=windows-1251"
    assert skips == ["http_status", "metadata", "not_html", "request", "revisit", "warcinfo"]
    assert damage[0] == (offsets["wrong"], "corrupt_record")
    assert damage[-1][0] == offsets["last"] and damage[-1][1] in ("truncated_record", "corrupt_record")


def test_extract_reads_a_warc_with_the_http_charset(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    offsets = write_mixed_warc(path)
    results = extract_file(str(path))
    records = {r.url: r for r in results if not isinstance(r, tuple)}
    failures = [(locator, error.reason) for locator, error in (r for r in results if isinstance(r, tuple))]

    russian = records["https://news.example/ru"]
    assert russian.title == "Порт открыл новый терминал"
    assert CYRILLIC[1] in russian.body
    assert records["https://news.example/a"].published_at == "2025-02-06T09:30:00+05:00"
    assert "first_seen_at" not in records["https://news.example/a"].to_dict()
    assert failures[0] == (f"{path}@{offsets['wrong']}", "corrupt_record")
    assert {reason for _, reason in failures} <= {"corrupt_record", "truncated_record"}


def sources_toml(folder: Path, pattern: str, max_items: int | None = None) -> Path:
    cap = f"\nmax_items = {max_items}" if max_items else ""
    toml = folder / "sources.toml"
    toml.write_text(f'[[source]]\nname = "crawl"\nkind = "warc"\npath = "{pattern}"{cap}\n')
    return toml


@pytest.mark.usefixtures("prefect_api")
def test_ingest_a_warc_source_into_duckdb_and_read_it_again(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    write_mixed_warc(crawl / "CC-NEWS-20250304-00000.warc.gz")
    pages = corpus_pages(NAEB)[:6]
    with WarcWriter(crawl / "CC-NEWS-20250304-00001.warc.gz") as out:
        for page in pages:
            out.request(page.url)
            out.response(page.url, page.html, captured_at=CAPTURED)
    warehouse = tmp_path / "w.duckdb"
    toml = sources_toml(tmp_path, "crawl/*.warc.gz")

    first = ingest(sources_file=str(toml), warehouse_path=str(warehouse))

    assert first["found"] == 3 + len(pages)
    assert first["skipped"]["warc_request"] == 1 + len(pages) and first["skipped"]["warc_revisit"] == 1
    assert first["skipped"]["warc_not_html"] == 1 and first["skipped"]["warc_http_status"] == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stories = con.execute("select url, first_seen_at, published_at from fact_story order by url").fetchall()
        rejects = con.execute("select locator, stage, reason from etl_reject order by locator").fetchall()
    by_url = {url: (seen, published) for url, seen, published in stories}
    assert by_url["https://news.example/a"] == (CAPTURED, datetime(2025, 2, 6, 4, 30, tzinfo=UTC))
    assert by_url["https://news.example/ru"][0] == CAPTURED
    assert len(stories) == first["new"] >= 3 + len(pages) - 1  # a corpus page may hold no article
    damaged = [(stage, reason) for locator, stage, reason in rejects if ".warc.gz@" in locator]
    assert damaged[0] == ("discover", "corrupt_record") and len(damaged) == 2

    second = ingest(sources_file=str(toml), warehouse_path=str(warehouse))  # every file read to its end
    assert (second["found"], second["new"], second["skipped"]["warc_file_already_read"]) == (0, 0, 2)

    for note in _progress_notes(warehouse):
        note.unlink()  # progress forgotten: the same records again load nothing twice
    third = ingest(sources_file=str(toml), warehouse_path=str(warehouse))
    assert (third["new"], third["updated"], third["unchanged"]) == (0, 0, first["new"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*), count(distinct url) from fact_story").fetchone() == (len(stories),) * 2
        assert con.execute("select max(version) from fact_story").fetchone() == (1,)


def _progress_notes(warehouse: Path) -> list[Path]:
    return [p for p in warehouse.parent.rglob("*.json") if p.parent.name == "warc"]


@pytest.mark.usefixtures("prefect_api")
def test_a_run_stopped_mid_file_resumes_after_the_last_loaded_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warc, "RECORD_BATCH", 2)
    path = tmp_path / "crawl.warc.gz"
    titles = [f"Story number {n} about the harbour" for n in range(7)]
    with WarcWriter(path) as out:
        for n, title in enumerate(titles):
            out.response(f"https://news.example/{n}", utf8_page(title), captured_at=CAPTURED)
    warehouse = tmp_path / "w.duckdb"

    first = ingest(sources_file=str(sources_toml(tmp_path, "*.warc.gz", 4)), warehouse_path=str(warehouse))
    assert (first["found"], first["new"], first["capped_sources"]) == (4, 4, ["crawl"])
    rest = ingest(sources_file=str(sources_toml(tmp_path, "*.warc.gz")), warehouse_path=str(warehouse))
    assert (rest["found"], rest["new"], rest["unchanged"]) == (3, 3, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert sorted(r[0] for r in con.execute("select headline from fact_story").fetchall()) == sorted(titles)


def test_a_gzip_member_that_will_not_inflate_costs_one_record(tmp_path: Path) -> None:
    path = tmp_path / "bitrot.warc.gz"
    with WarcWriter(path) as out:
        out.response("https://news.example/1", utf8_page("One"))
        broken = out.response("https://news.example/2", utf8_page("Two"))
        out.response("https://news.example/3", utf8_page("Three"))
    data = bytearray(path.read_bytes())
    data[broken + 40 : broken + 60] = bytes(20)
    path.write_bytes(bytes(data))
    with path.open("rb") as handle:
        events = list(read_events(handle))
    assert [e.response.url for e in events if isinstance(e, Page)][-1] == "https://news.example/3"
    assert any(isinstance(e, Damage) for e in events)
    assert gzip.decompress(bytes(data[:broken]))  # the records before the damage are untouched


@pytest.mark.parametrize("name", ["headers.warc.gz", "headers.warc"])
def test_a_record_before_an_unreadable_header_is_kept(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with WarcWriter(path) as out:
        out.response("https://news.example/1", utf8_page("One"))
        out.response("https://news.example/2", utf8_page("Two"))
        garbled = out.raw(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: twelve\r\n\r\nnot a record\r\n\r\n")
        out.response("https://news.example/4", utf8_page("Four"))
    with path.open("rb") as handle:
        events = list(read_events(handle))
    assert [e.response.url for e in events if isinstance(e, Page)] == [f"https://news.example/{n}" for n in (1, 2, 4)]
    assert [(e.offset, e.reason) for e in events if isinstance(e, Damage)] == [(garbled, "corrupt_record")]


def test_warc_sources_are_configured_by_path() -> None:
    assert adhoc_source("crawl/CC-NEWS-*.warc.gz").kind == "warc"
    assert adhoc_source("crawl/one.WARC").kind == "warc"
    with pytest.raises(ConfigError, match="kind 'warc' needs 'path' \\(a file or glob\\) or 'url'"):
        parse_sources('[[source]]\nname = "c"\nkind = "warc"\n')


@pytest.mark.usefixtures("prefect_api")
def test_a_run_killed_mid_file_resumes_without_duplicates(tmp_path: Path) -> None:
    """SIGKILL `dateline run` (flow and Prefect server) once the first batches of a WARC are loaded and
    noted; the rerun reads on from the note and the warehouse ends as one clean read of the file."""
    from prefect.settings import PREFECT_API_URL

    from tests.fault_harness import child_env, run_to_end, start_run

    pages = corpus_pages(NAEB)[:72]  # large pages: a batch is cut at warc.BATCH_BYTES, so the file has several
    if len(pages) < 72:
        pytest.skip(f"needs the corpus pages under {NAEB}")
    crawl = tmp_path / "crawl.warc.gz"
    with WarcWriter(crawl) as out:
        for uri, html in cc_news_records(pages, len(pages)):
            out.response(uri, html, captured_at=CAPTURED)
    sources = sources_toml(tmp_path, "crawl.warc.gz")
    env = child_env(tmp_path / "prefect-home", PREFECT_API_URL=PREFECT_API_URL.value())
    warehouse = tmp_path / "w.duckdb"

    run = start_run(sources, warehouse, env, chunk_size=10)
    deadline = time.monotonic() + 600
    while not (notes := _progress_notes(warehouse)) or json.loads(notes[0].read_text())["offset"] == 0:
        assert run.process.poll() is None, f"the run ended before its first note:\n{run.output[-3000:]}"
        assert time.monotonic() < deadline, "no progress note in 600 s"
        time.sleep(0.01)
    run.kill()
    assert run.survivors() == []
    noted = json.loads(_progress_notes(warehouse)[0].read_text())
    assert 0 < noted["offset"] < crawl.stat().st_size and not noted["done"]

    run_to_end(sources, warehouse, env, chunk_size=10)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        urls = [row[0] for row in con.execute("select url from fact_story").fetchall()]
        runs = con.execute("select status, found from etl_run order by started_at").fetchall()
    assert len(urls) == len(set(urls)) >= len(pages) - 3  # a corpus page may hold no article
    assert [status for status, _ in runs] == ["abandoned", "completed"]
    assert 0 < runs[1][1] < len(pages)  # the rerun read on from the note, not from the start
    assert json.loads(_progress_notes(warehouse)[0].read_text())["done"]
