"""The raw archive: content-addressed, deduplicated, latest entry per URL, tolerant of a torn index line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.fetching import ArchiveCorrupt, RawArchive

T0 = datetime(2025, 2, 6, 9, 30, tzinfo=UTC)


def put(archive: RawArchive, url: str, body: bytes, at: datetime) -> str:
    return archive.put(url=url, final_url=url, status_code=200, headers={"etag": "x"}, body=body, fetched_at=at)


def test_same_body_is_stored_once_and_read_back(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "archive")
    key = put(archive, "https://a.example/1", b"<p>same</p>" * 1000, T0)
    assert put(archive, "https://a.example/2", b"<p>same</p>" * 1000, T0) == key
    assert archive.get(key) == b"<p>same</p>" * 1000
    objects = list((tmp_path / "archive" / "objects").rglob("*.zst"))
    assert len(objects) == 1 and objects[0].stat().st_size < 1000  # compressed


def test_entries_are_the_latest_per_url_and_filter_by_time(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    put(archive, "https://a.example/story", b"v1", T0)
    put(archive, "https://a.example/other", b"o", T0)
    latest = put(archive, "https://a.example/story", b"v2", T0 + timedelta(hours=1))
    entries = {entry.url: entry for entry in archive.iter_entries()}
    assert entries["https://a.example/story"].key == latest
    assert entries["https://a.example/story"].headers == {"etag": "x"}
    recent = list(archive.iter_entries(since=T0 + timedelta(minutes=30)))
    assert [entry.url for entry in recent] == ["https://a.example/story"]


def test_a_torn_last_index_line_is_skipped(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    put(archive, "https://a.example/1", b"one", T0)
    with open(tmp_path / "index.jsonl", "ab") as index:
        index.write(b'{"url": "https://a.example/2", "fina')
    assert [entry.url for entry in RawArchive(tmp_path).iter_entries()] == ["https://a.example/1"]


def test_a_tampered_object_is_detected(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    key = put(archive, "https://a.example/1", b"one", T0)
    other = put(archive, "https://a.example/2", b"two", T0)
    (tmp_path / "objects" / key[:2] / f"{key}.zst").write_bytes(
        (tmp_path / "objects" / other[:2] / f"{other}.zst").read_bytes()
    )
    with pytest.raises(ArchiveCorrupt):
        archive.get(key)
    with pytest.raises(ArchiveCorrupt):
        archive.get("0" * 64)
