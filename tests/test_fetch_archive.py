"""The raw archive: content-addressed and deduplicated, latest entry per URL, durable per batch before any
key is handed out, safe under concurrent threads and writers and strict about corrupt bodies."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.sources.fetching import ArchiveCorrupt, RawArchive
from flows.sources.fetching.archive import PreparedFetch
from tests.http_fixtures import Reply, ScriptedServer, fast_settings, fetch_all

T0 = datetime(2025, 2, 6, 9, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)
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
