"""The raw archive: content-addressed and deduplicated, latest entry per URL, durable per batch before any
key is handed out, safe under concurrent threads and writers, strict about corrupt bodies, and importing a
first-layout folder once, idempotently, whatever point a crash interrupted the import at."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.fetching import ArchiveCorrupt, RawArchive
from flows.fetching.archive import PreparedFetch
from tests.http_fixtures import Reply, ScriptedServer, fast_settings, fetch_all
from tests.legacy_archive import LegacyArchiveWriter

T0 = datetime(2025, 2, 6, 9, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)
LEGACY_FETCHES = 6  # the good lines `legacy_folder` writes
REPO = Path(__file__).resolve().parents[1]


def prepared(archive: RawArchive, url: str, body: bytes, at: datetime = T0) -> PreparedFetch:
    return archive.prepare(url=url, final_url=url, status_code=200, headers={"etag": "x"}, body=body, fetched_at=at)


def put(archive: RawArchive, url: str, body: bytes, at: datetime = T0) -> str:
    fetch = prepared(archive, url, body, at)
    archive.store([fetch])
    return fetch.key


def rows(archive: RawArchive, sql: str) -> list[tuple]:
    """What another connection (another process) sees in the store right now."""
    with closing(sqlite3.connect(archive.path)) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[RawArchive]:
    with RawArchive(tmp_path / "archive") as opened:
        yield opened


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def test_same_body_is_stored_once_compressed_and_read_back(archive: RawArchive) -> None:
    key = put(archive, "https://a.example/1", b"<p>same</p>" * 1000)
    assert put(archive, "https://a.example/2", b"<p>same</p>" * 1000) == key
    assert archive.get(key) == b"<p>same</p>" * 1000
    [(stored, size)] = rows(archive, "SELECT count(*), sum(length(body)) FROM bodies")
    assert stored == 1 and size < 1000
    assert rows(archive, "SELECT count(*) FROM fetches") == [(2,)]


def test_entries_are_the_latest_per_url_oldest_first_and_filter_by_time(archive: RawArchive) -> None:
    put(archive, "https://a.example/story", b"v1", T0)
    put(archive, "https://a.example/other", b"o", T0)
    latest = put(archive, "https://a.example/story", b"v2", T0 + timedelta(hours=1))
    entries = list(archive.iter_entries())
    assert [entry.url for entry in entries] == ["https://a.example/other", "https://a.example/story"]
    assert entries[1].key == latest and entries[1].headers == {"etag": "x"}
    assert entries[1].fetched_at == T0 + timedelta(hours=1)
    recent = list(archive.iter_entries(since=T0 + timedelta(minutes=30)))
    assert [entry.url for entry in recent] == ["https://a.example/story"]


def test_a_stored_batch_is_committed_when_store_returns(archive: RawArchive) -> None:
    batch = [prepared(archive, f"https://a.example/{n}", f"body {n}".encode()) for n in range(5)]
    assert not archive.path.exists()  # preparing writes nothing
    archive.store(batch)
    seen = {key.hex() for (key,) in rows(archive, "SELECT key FROM bodies")}
    assert seen == {fetch.key for fetch in batch}


class CountingArchive(RawArchive):
    """The real archive, recording the size of each batch the fetcher stores."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.batches: list[int] = []

    def store(self, fetches: Sequence[PreparedFetch]) -> None:
        super().store(fetches)
        self.batches.append(len(fetches))


def test_a_fetch_batch_is_committed_once_before_its_keys_are_handed_out(server: ScriptedServer, tmp_path: Path) -> None:
    for n in range(5):
        server.route(f"/page{n}", Reply(body=f"<html><p>page {n}</p></html>".encode()))
    server.route("/gone", Reply(status=404))
    with CountingArchive(tmp_path / "archive") as archive:
        urls = [server.url(f"/page{n}") for n in range(5)] + [server.url("/gone")]
        results = fetch_all(fast_settings(tmp_path), *urls, archive=archive)
        assert archive.batches == [5]  # one transaction for the batch, none for the 404
        committed = {key.hex() for (key,) in rows(archive, "SELECT key FROM bodies")}
        handed_out = {r.archive_key for r in results if r.archive_key}
        assert len(handed_out) == 5 and handed_out <= committed
        assert results[-1].archive_key is None


@pytest.mark.parametrize("failure", ["locked by another writer", "not a folder"])
def test_an_unwritable_archive_costs_the_copies_not_the_documents(
    server: ScriptedServer, tmp_path: Path, failure: str
) -> None:
    server.route("/page", Reply(body=b"<html><p>kept</p></html>"))
    root = tmp_path / "archive"
    with RawArchive(root, busy_timeout_s=0.05) as archive:
        if failure == "not a folder":
            root.write_bytes(b"")
            results = fetch_all(fast_settings(tmp_path), server.url("/page"), archive=archive)
        else:
            put(archive, "https://a.example/earlier", b"earlier")
            with closing(sqlite3.connect(archive.path, isolation_level=None)) as other:
                other.execute("BEGIN IMMEDIATE")
                results = fetch_all(fast_settings(tmp_path), server.url("/page"), archive=archive)
                other.execute("ROLLBACK")
            assert [entry.url for entry in archive.iter_entries()] == ["https://a.example/earlier"]
    [result] = results
    assert result.error is None and result.body == b"<html><p>kept</p></html>"
    assert result.archive_key is None and result.detail.startswith("archive failed:")


def test_concurrent_threads_and_two_writers_lose_nothing(tmp_path: Path) -> None:
    """Eight threads, each storing batches through one of two archives on the same file (two runs)."""
    with RawArchive(tmp_path) as first, RawArchive(tmp_path) as second:
        start = threading.Barrier(8)
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            archive = (first, second)[worker % 2]
            start.wait()
            try:
                for batch in range(10):
                    urls = [f"https://a.example/{worker}/{batch}/{n}" for n in range(4)]
                    archive.store([prepared(archive, url, url.encode() * 50) for url in urls])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        entries = list(first.iter_entries())
        assert len(entries) == 8 * 10 * 4
        assert all(second.get(entry.key) == entry.url.encode() * 50 for entry in entries)


def test_corrupt_or_missing_bodies_are_detected(archive: RawArchive) -> None:
    key = put(archive, "https://a.example/1", b"one")
    other = put(archive, "https://a.example/2", b"two")
    with closing(sqlite3.connect(archive.path)) as con, con:
        con.execute(
            "UPDATE bodies SET body = (SELECT body FROM bodies WHERE key = ?) WHERE key = ?",
            (bytes.fromhex(other), bytes.fromhex(key)),
        )
        con.execute("UPDATE bodies SET body = x'00112233' WHERE key = ?", (bytes.fromhex(other),))
    with pytest.raises(ArchiveCorrupt, match="does not match"):
        archive.get(key)
    with pytest.raises(ArchiveCorrupt, match="does not decompress"):
        archive.get(other)
    with pytest.raises(ArchiveCorrupt, match="missing"):
        archive.get("0" * 64)


def legacy_folder(root: Path) -> dict[str, str]:
    """A first-layout archive as a crash could leave it; returns the key the latest fetch of each URL got.

    Six good lines (one URL fetched twice, one body shared by two URLs), a line whose object was lost,
    a crashed write's temp file and a torn last line.
    """
    writer = LegacyArchiveWriter(root)
    keys = {}
    for n, (url, body) in enumerate(
        [
            ("https://a.example/story", b"<p>v1</p>"),
            ("https://a.example/feed", b"<rss/>"),
            ("https://a.example/story", b"<p>v2</p>"),
            ("https://b.example/copy", b"<p>v2</p>"),
            ("https://b.example/lost", b"<p>lost</p>"),
            ("https://b.example/late", b"<p>late</p>"),
            ("https://b.example/later", b"<p>later</p>"),
        ]
    ):
        keys[url] = writer.put(url=url, final_url=url, status_code=200, headers={}, body=body, fetched_at=T0 + n * MIN)
    writer.object_path(keys.pop("https://b.example/lost")).unlink()
    writer.object_path(keys["https://b.example/late"]).with_suffix(".123.tmp").write_bytes(b"half")
    with open(writer.index, "ab") as index:
        index.write(b'{"url": "https://b.example/torn", "fina')
    return keys


def assert_imported_once(root: Path, keys: dict[str, str]) -> None:
    with RawArchive(root) as archive:
        entries = list(archive.iter_entries())
        assert {entry.url: entry.key for entry in entries} == keys
        assert [entry.fetched_at for entry in entries] == sorted(entry.fetched_at for entry in entries)
        assert all(archive.get(entry.key) for entry in entries)
        assert rows(archive, "SELECT count(*) FROM fetches") == [(LEGACY_FETCHES,)]
        assert rows(archive, "SELECT count(*) FROM meta") == [(0,)]  # no import progress left behind
    assert not (root / "objects").exists() and not (root / "index.jsonl").exists()
    [aside] = root.glob("legacy-layout-*")
    assert (aside / "index.jsonl").exists() and (aside / "objects").is_dir()


def test_a_first_layout_folder_is_imported_once_and_moved_aside(tmp_path: Path) -> None:
    keys = legacy_folder(tmp_path)
    assert RawArchive.present(tmp_path)
    assert_imported_once(tmp_path, keys)
    assert_imported_once(tmp_path, keys)  # reopening imports nothing again


def test_two_runs_importing_the_same_folder_at_once_import_each_line_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = legacy_folder(tmp_path)
    monkeypatch.setattr("flows.fetching.archive_legacy.BATCH_LINES", 1)
    start = threading.Barrier(2)

    def open_archive() -> None:
        start.wait()
        with RawArchive(tmp_path) as archive:
            list(archive.iter_entries())

    threads = [threading.Thread(target=open_archive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_imported_once(tmp_path, keys)


# A real process importing two lines per batch, killed (no cleanup, no rollback) at one point of the import.
CRASHING_IMPORT = """
import os, sys
from pathlib import Path
from flows.fetching import RawArchive, archive_legacy

archive_legacy.BATCH_LINES = 2
crash_at = sys.argv[2]
if crash_at == "between batches":
    read_batch, calls = archive_legacy.read_batch, []

    def read_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two batches committed
            os._exit(9)
        return read_batch(*args, **kwargs)

    archive_legacy.read_batch = read_then_crash
else:
    archive_legacy.retire = lambda root: os._exit(9)  # everything committed, nothing moved yet
RawArchive(Path(sys.argv[1])).get("0" * 64)
"""


@pytest.mark.parametrize("crash_at", ["between batches", "before the old files move"])
def test_an_import_killed_part_way_resumes_without_losing_or_repeating_a_fetch(tmp_path: Path, crash_at: str) -> None:
    keys = legacy_folder(tmp_path)
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_IMPORT, str(tmp_path), crash_at], cwd=REPO, capture_output=True, text=True
    )
    assert crashed.returncode == 9, crashed.stderr
    with closing(sqlite3.connect(tmp_path / "archive.sqlite")) as con:
        partial = con.execute("SELECT count(*) FROM fetches").fetchone()[0]
    assert partial == (4 if crash_at == "between batches" else LEGACY_FETCHES)
    assert (tmp_path / "index.jsonl").exists()
    assert_imported_once(tmp_path, keys)
