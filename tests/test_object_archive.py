"""The raw archive of a lake in an object store, reachable from every host: bodies content-addressed in a
real S3 server (moto in server mode on 127.0.0.1), the fetch index in the lake's real PostgreSQL catalog.

A run on host A (its own data folder) archives into the store; `dateline reparse` from host B, whose data
folder is new and empty, reads every page back and gives the same rows; `dateline migrate` into a lake
in the store copies an embedded warehouse's SQLite archive into it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from flows.sources.fetching import ArchiveCorrupt, ArchiveUnavailable
from flows.sources.fetching.object_archive import PREFIX, ObjectStoreArchive, archive_bucket
from tests.conftest import REPO
from tests.http_fixtures import Reply, ScriptedServer
from tests.test_ducklake import catalog, every_relation, mixed_batches
from tests.test_ducklake_e2e import RUN_TIMES
from tests.test_ducklake_s3 import BUCKET, S3, s3
from tests.test_maintenance import archive_pages
from tests.test_summaries import load, migrated
from warehouse import open_warehouse

__all__ = ["catalog", "s3"]  # the fixtures


def dsn(location: str) -> str:
    return location.removeprefix("ducklake:postgres:")


def bucket_client(s3: S3):
    store = s3.store
    return boto3.client(
        "s3",
        endpoint_url=store.endpoint_url,
        aws_access_key_id=store.key_id,
        aws_secret_access_key=store.secret,
        region_name=store.region,
    )


def host_env(s3: S3, catalog: str, data_dir: Path, tmp_path: Path) -> dict[str, str]:
    """What one host of the lake has: the lake, its data path, the store's credentials, its own data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_", "DATELINE_"))}
    return env | {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "DATELINE_WAREHOUSE": catalog,
        "DATELINE_DATA_PATH": s3.data_path,
        "DATELINE_DATA_DIR": str(data_dir),
        "AWS_ACCESS_KEY_ID": s3.store.key_id or "",
        "AWS_SECRET_ACCESS_KEY": s3.store.secret or "",
        "AWS_ENDPOINT_URL": s3.store.endpoint_url or "",
        "AWS_REGION": s3.store.region or "",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def dateline(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return done.stdout


def test_bodies_and_fetches_round_trip_through_the_store_and_the_catalog(catalog: str, s3: S3) -> None:
    at = datetime(2025, 3, 1, 9, tzinfo=UTC)
    with ObjectStoreArchive(dsn(catalog), s3.data_path, s3.store) as archive:
        pages = [("https://a.example/1", b"first"), ("https://a.example/2", b"same"), ("https://b.example/", b"same")]
        archive.store(
            [
                archive.prepare(url=u, final_url=u, status_code=200, headers={"ETag": "x"}, body=b, fetched_at=at)
                for u, b in pages
            ]
        )
        later = archive.prepare(
            url=pages[0][0], final_url=None, status_code=200, headers={}, body=b"v2", fetched_at=at.replace(hour=10)
        )
        archive.store([later])
        entries = list(archive.iter_entries())
        assert [e.url for e in entries] == ["https://a.example/2", "https://b.example/", "https://a.example/1"]
        assert entries[-1].key == later.key and entries[0].headers == {"ETag": "x"} and entries[0].fetched_at == at
        assert [archive.get(e.key) for e in entries] == [b"same", b"same", b"v2"]
        assert [e.url for e in archive.iter_entries(at.replace(hour=10))] == ["https://a.example/1"]
        assert archive.counts() == (4, 3)
        keys = sorted(s3.objects())
        bodies = [k for k in keys if k.startswith(f"{PREFIX}bodies/")]
        assert len(bodies) == 3, keys  # one object per distinct body, beside the lake's data path
        bucket_client(s3).put_object(Bucket=BUCKET, Key=bodies[0], Body=b"tampered")
        tampered = bodies[0].rsplit("/", 1)[1].removesuffix(".zst")
        with pytest.raises(ArchiveCorrupt, match="does not decompress"):
            archive.get(tampered)
        with pytest.raises(ArchiveCorrupt, match="missing body"):
            archive.get("0" * 64)
    with pytest.raises(ArchiveUnavailable, match="give the lake a prefix of its own"):
        archive_bucket(f"s3://{BUCKET}/")


def desk_feed(site: ScriptedServer, folder: Path, stories: int) -> Path:
    """Serve an RSS feed of `stories` article pages from `site` and write the sources file of its source "desk"."""
    items = "".join(f"<item><title>Story {n}</title><link>{site.url(f'/s/{n}')}</link></item>" for n in range(stories))
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{items}</channel></rss>'
    site.route("/rss", Reply(headers={"Content-Type": "application/rss+xml"}, body=rss.encode()))
    for n in range(stories):
        words = " ".join(f"s{n}w{k}" for k in range(150))
        page = f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1><p>{words}.</p></article>"
        site.route(f"/s/{n}", Reply(body=page.encode()))
    sources = folder / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "desk"\nkind = "feed"\nurl = "{site.url("/rss")}"\nallow_private_networks = true\n',
        encoding="utf-8",
    )
    return sources


@pytest.mark.timeout(900)
def test_reparse_on_another_host_reads_what_the_first_host_fetched(catalog: str, s3: S3, tmp_path: Path) -> None:
    with ScriptedServer() as site:
        sources = desk_feed(site, tmp_path, stories=3)
        dateline(host_env(s3, catalog, tmp_path / "host-a", tmp_path), "run", "--sources", str(sources))
    assert not list((tmp_path / "host-a").rglob("archive.sqlite")), "host A kept no archive of its own"
    lake = open_warehouse(catalog, object_store=s3.store)
    loaded = every_relation(lake, RUN_TIMES)
    assert len(loaded["fact_story"]) - 1 == 3

    # host B: the lake's location, data path and credentials, an empty data folder, and no network to the site
    out = dateline(host_env(s3, catalog, tmp_path / "host-b", tmp_path), "reparse", "--sources", str(sources))
    # the run's table: found, fetched (from the archive), parsed, new, updated, unchanged
    assert re.search(r"^\s*3 │\s*3 │\s*3 │\s*0 │\s*0 │\s*3 │", out, re.MULTILINE), out
    reparsed = every_relation(lake, RUN_TIMES)
    assert len(reparsed.pop("etl_run")) == len(loaded.pop("etl_run")) + 1
    assert reparsed == loaded


def test_migrate_into_a_lake_in_the_store_copies_the_archive_into_it(catalog: str, s3: S3, tmp_path: Path) -> None:
    embedded = migrated(tmp_path / "w.duckdb")
    for records in mixed_batches():
        load(embedded, records)
    archive_pages(tmp_path / "data" / "archive", 3).close()  # the embedded warehouse's run folder
    env = host_env(s3, catalog, tmp_path / "lake-data", tmp_path)
    del env["DATELINE_DATA_DIR"]  # the embedded warehouse's run folder is the one beside it
    out = dateline(env, "migrate", "--to", catalog, "--warehouse", str(tmp_path / "w.duckdb"))
    assert "raw archive: copied into the object store (3 fetches, 3 bodies, counts checked)" in out, out
    with ObjectStoreArchive(dsn(catalog), s3.data_path, s3.store) as archive:
        entries = list(archive.iter_entries())
        assert [archive.get(e.key) for e in entries] == [b"x" * n for n in range(3)]
    assert not (tmp_path / "lake-data").exists()
