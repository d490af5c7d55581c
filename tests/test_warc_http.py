"""WARC sources given as an HTTP(S) `url`: a real HTTP server on 127.0.0.1 serves a WARC built here (one gzip member
per record, as CC-NEWS), with or without `Range`, whole or cut short. The download goes through the run's guarded
fetcher, is streamed through a bounded window, and reruns resume without loading anything twice."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.warc import WarcWriter
from flows.ingest import ingest
from flows.pipeline.run import RunFailed
from flows.sources import warc
from flows.sources.config import Source, adhoc_source, parse_sources
from flows.sources.discover import Discovery, ReadContext
from flows.sources.fetching.session import FetchSession
from flows.sources.fetching.stream import WindowedStream
from flows.sources.warc import Damage, Page, read_events
from tests.http_fixtures import Reply, ScriptedServer, SeenRequest, fast_settings
from tests.test_warc_source import CAPTURED

ETAG = '"crawl-v1"'
WORDS = [
    "harbour",
    "council",
    "budget",
    "minister",
    "terminal",
    "port",
    "exporters",
    "customs",
    "shipping",
    "lorries",
    "highway",
    "tender",
]


def noisy_page(n: int, words: int) -> bytes:
    """An article whose text does not compress away, so the file's size on the wire is real."""
    rng = random.Random(n)
    sentence = lambda: " ".join(f"{rng.choice(WORDS)} {rng.randbytes(3).hex()}" for _ in range(30))  # noqa: E731
    paragraphs = "".join(f"<p>{sentence()}.</p>" for _ in range(words // 60))
    return (
        f"<!doctype html><html><head><title>Story {n}</title>"
        '<meta property="article:published_time" content="2025-02-06T09:30:00+05:00"></head>'
        f"<body><article><h1>Story {n} about the harbour</h1>{paragraphs}</article></body></html>"
    ).encode()


def build_crawl(path: Path, pages: int, words: int = 400) -> list[int]:
    """A .warc.gz of `pages` article responses; their offsets."""
    with WarcWriter(path) as out:
        return [
            out.response(f"https://news.example/{n}", noisy_page(n, words), captured_at=CAPTURED) for n in range(pages)
        ]


class WarcServer:
    """Serves one file at /crawl.warc.gz as a static file server would: ETag, `Range` (if `ranges`), `If-Range`,
    `If-None-Match`; `cut_at` makes the next answer stop at that byte of the file while declaring the whole."""

    def __init__(self, server: ScriptedServer, data: bytes, ranges: bool = True) -> None:
        self.data = data
        self.ranges = ranges
        self.cut_at: int | None = None
        self.sent_from: list[int] = []
        server.route("/crawl.warc.gz", self.answer)
        self.url = server.url("/crawl.warc.gz")

    def answer(self, request: SeenRequest) -> Reply:
        headers = {"Content-Type": "application/warc", "ETag": ETAG}
        if request.headers.get("if-none-match") == ETAG:
            return Reply(status=304, headers=headers)
        wanted = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        start, status = 0, 200
        if self.ranges and wanted and request.headers.get("if-range", ETAG) == ETAG:
            start, status = int(wanted[1]), 206
            last = len(self.data) - 1
            headers |= {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{last}/{len(self.data)}"}
        end = self.cut_at if self.cut_at is not None else len(self.data)
        self.cut_at = None
        self.sent_from.append(start)
        body = self.data[start:end]

        def chunks() -> Iterator[bytes]:
            for at in range(0, len(body), 16384):
                yield body[at : at + 16384]

        return Reply(status=status, headers=headers, body=chunks, content_length=len(self.data) - start)


def sources_toml(folder: Path, url: str, private: bool = True) -> Path:
    toml = folder / "sources.toml"
    allow = "\nallow_private_networks = true" if private else ""
    toml.write_text(f'[[source]]\nname = "crawl"\nkind = "warc"\nurl = "{url}"{allow}\n')
    return toml


def stories(warehouse: Path) -> tuple[int, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*), count(distinct url) from fact_story").fetchone()


def test_a_warc_url_is_a_warc_source() -> None:
    assert adhoc_source("https://data.example/crawl-data/CC-NEWS-00000.warc.gz").kind == "warc"
    source = parse_sources('[[source]]\nname = "c"\nkind = "warc"\nurl = "https://data.example/a.warc.gz"\n')
    assert source.sources[0].url == "https://data.example/a.warc.gz"


def test_the_readme_warc_sources_are_valid() -> None:
    """The README's WARC examples (downloaded CC-NEWS files by `path`, a CC-NEWS file by `url`) are sources files
    Dateline accepts as they are written."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if 'kind = "warc"' in b]
    parsed = [parse_sources(block).sources[0] for block in blocks]
    assert sorted((s.kind, bool(s.url), bool(s.path)) for s in parsed) == [("warc", False, True), ("warc", True, False)]
    assert all(s.url.startswith("https://data.commoncrawl.org/crawl-data/CC-NEWS/") for s in parsed if s.url)


@pytest.mark.parametrize("ranges", [True, False], ids=["range", "no-range"])
@pytest.mark.usefixtures("prefect_api")
def test_a_cut_download_is_a_reject_and_the_rerun_resumes_without_duplicates(tmp_path: Path, ranges: bool) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    offsets = build_crawl(crawl, 40)
    data = crawl.read_bytes()
    warehouse = tmp_path / "w.duckdb"
    with ScriptedServer() as server:
        served = WarcServer(server, data, ranges)
        served.cut_at = offsets[25] + 300  # mid-record: the connection drops inside record 25
        toml = sources_toml(tmp_path, served.url)

        first = ingest(sources_file=str(toml), warehouse_path=str(warehouse))
        assert first["status"] != "failed"  # the run goes on: the cut is a reject
        assert stories(warehouse) == (25, 25)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rejects = con.execute("select locator, stage, reason from etl_reject").fetchall()
            fetched = con.execute("select url, status_code, error from etl_fetch").fetchall()
        assert (served.url, "discover", "download_cut") in rejects
        assert (served.url, 200, None) in fetched

        second = ingest(sources_file=str(toml), warehouse_path=str(warehouse))
        assert (second["found"], second["new"]) == (15, 15)
        assert stories(warehouse) == (40, 40)
        # resumed at the cut record: by Range where the server has it, else the file again with its start skipped
        assert served.sent_from == [0, offsets[25] if ranges else 0]

        third = ingest(sources_file=str(toml), warehouse_path=str(warehouse))
        assert (third["found"], third["new"], third["skipped"]["warc_file_already_read"]) == (0, 0, 1)
        assert stories(warehouse) == (40, 40)


@pytest.mark.usefixtures("prefect_api")
def test_a_warc_url_on_a_private_address_is_refused_as_any_fetch(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    build_crawl(crawl, 3)
    warehouse = tmp_path / "w.duckdb"
    with ScriptedServer() as server:
        served = WarcServer(server, crawl.read_bytes())
        with pytest.raises(RunFailed, match=r"source 'crawl' failed entirely: nothing found \(private_address"):
            ingest(sources_file=str(sources_toml(tmp_path, served.url, private=False)), warehouse_path=str(warehouse))
        assert served.sent_from == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select url, error from etl_fetch").fetchall() == [(served.url, "private_address")]
        assert con.execute("select reason from etl_reject").fetchall() == [("private_address",)]
    assert stories(warehouse) == (0, 0)


def test_the_reader_holds_a_bounded_window_of_the_download_whatever_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By design, not by timing: every byte the reader holds of the download is in the stream's buffer, which never
    exceeds the window plus one network chunk, while the file is many windows long; batches are handed out (and
    dropped here) as they are read."""
    window = 64 * 1024
    monkeypatch.setattr(warc, "STREAM_WINDOW", window)
    streams: list[WindowedStream] = []

    class Watched(WindowedStream):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            streams.append(self)

    monkeypatch.setattr(warc, "WindowedStream", Watched)
    crawl = tmp_path / "crawl.warc.gz"
    build_crawl(crawl, 200, words=3000)
    size = crawl.stat().st_size
    assert size > 20 * window
    with ScriptedServer() as server, FetchSession(fast_settings(tmp_path / "state")) as session:
        served = WarcServer(server, crawl.read_bytes())
        source = Source(name="crawl", kind="warc", url=served.url, allow_private_networks=True)
        context = ReadContext(Discovery(), tmp_path, tmp_path / "state", session)
        pages = sum(len(batch.items) for batch in warc.read(source, context))
    assert pages == 200 and context.discovery.rejects == []
    assert len(streams) == 1 and streams[0].closed
    assert 0 < streams[0].peak_buffered <= window + 128 * 1024  # plus one network read (httpx reads 64 KiB)


def test_a_damaged_record_in_a_download_costs_that_record_only(tmp_path: Path) -> None:
    """The reader's step back over a damaged record works on the stream: within the window, and beyond it (by
    opening the download again at that offset)."""
    crawl = tmp_path / "crawl.warc.gz"
    offsets = build_crawl(crawl, 12)
    data = bytearray(crawl.read_bytes())
    data[offsets[6] + 40 : offsets[6] + 60] = bytes(20)  # a gzip member that will not inflate
    opened: list[int] = []

    def open_at(offset: int) -> tuple[int, Iterator[bytes], object]:
        opened.append(offset)
        return offset, (bytes(data[at : at + 4096]) for at in range(offset, len(data), 4096)), lambda: None

    for window in (1 << 20, 1024):
        opened.clear()

        with WindowedStream(open_at, 0, window) as stream:
            events = list(read_events(stream))
        uris = [e.response.url for e in events if isinstance(e, Page)]
        assert uris == [f"https://news.example/{n}" for n in range(12) if n != 6]
        assert [e.offset for e in events if isinstance(e, Damage)] == [offsets[6]]
        assert (len(opened) > 1) == (window < len(data[offsets[5] : offsets[7]]))
