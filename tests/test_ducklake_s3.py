"""A lake whose Parquet files live in an S3-compatible object store: a real S3 server (moto in server mode)
started here on a free port of 127.0.0.1, the catalog in the real PostgreSQL.

The lake holds the same rows as the embedded backend; the credentials reach no table of the catalog or
the lake and no line a run prints; an unreachable store is one clear line and leaves no catalog entry
pointing at a missing file; cleaning the lake leaves in the bucket exactly the objects the catalog names."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.test_ducklake import ANY_DAY, PG_HOST, PG_PORT, catalog, every_relation, mixed_batches
from tests.test_ducklake_maintenance import analyst, referenced_files
from tests.test_summaries import PORT, load, migrated, story
from transforms.record import StoryRecord
from warehouse import open_warehouse
from warehouse.ducklake.storage import ObjectStore
from warehouse.ducklake.store import DuckLakeWarehouse
from warehouse.protocol import WarehouseError

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py

BUCKET = "dateline-lake"
SECRET = "s3cr3t-value-that-must-not-leak-4f1d"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class S3:
    """A running S3-compatible server: its credentials and the lake's data path in its bucket."""

    store: ObjectStore
    data_path: str

    def objects(self) -> list[str]:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.store.endpoint_url,
            aws_access_key_id=self.store.key_id,
            aws_secret_access_key=self.store.secret,
            region_name=self.store.region,
        )
        return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.fixture
def s3() -> Iterator[S3]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in a failure's report
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        store = ObjectStore(
            key_id="dateline-test", secret=SECRET, endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1"
        )
        boto3.client(
            "s3",
            endpoint_url=store.endpoint_url,
            aws_access_key_id=store.key_id,
            aws_secret_access_key=store.secret,
            region_name=store.region,
        ).create_bucket(Bucket=BUCKET)
        yield S3(store, f"s3://{BUCKET}/warehouse/")
    finally:
        # moto keeps its buckets in the process, not the server: without a reset the next test's server
        # would start with this one's objects
        httpx.post(f"http://127.0.0.1:{port}/moto-api/reset", timeout=30)
        server.stop()


def many_stories(numbers: range) -> list[StoryRecord]:
    return [
        story(f"https://meridian.example/s{i}", "meridian", f"2025-02-{1 + i % 20:02d}T09:00Z", PORT + f"{i}.", f"S{i}")
        for i in numbers
    ]


def s3_lake(location: str, s3: S3, tmp_path: Path) -> DuckLakeWarehouse:
    """A migrated lake in the object store, with the sources `tests.test_summaries.migrated` gives."""
    lake = open_warehouse(location, data_path=s3.data_path, object_store=s3.store)
    assert isinstance(lake, DuckLakeWarehouse)
    lake.check_writable()
    lake.migrate()
    sources = migrated(tmp_path / "sources.duckdb").frames({"sources": "SELECT * FROM dim_source"})["sources"]
    lake.upsert_sources(sources)
    return lake


def test_a_lake_in_the_object_store_holds_the_same_rows_as_the_embedded_warehouse(
    catalog: str, s3: S3, tmp_path: Path
) -> None:
    embedded = migrated(tmp_path / "w.duckdb")
    lake = s3_lake(catalog, s3, tmp_path)
    for records in mixed_batches():
        load(embedded, records)
        load(lake, records)
    expected = every_relation(embedded)
    assert every_relation(lake) == expected
    assert len(expected["fact_story"]) - 1 == 5
    assert lake.search("floods", **ANY_DAY) == embedded.search("floods", **ANY_DAY)
    keys = s3.objects()
    assert any(key.startswith("warehouse/main/") and key.endswith(".parquet") for key in keys), keys
    # A second process that knows only the catalog and the credentials reads the same rows.
    reader = open_warehouse(catalog, object_store=s3.store)
    assert every_relation(reader) == expected


async def _catalog_text(dbname: str) -> str:
    """Every row of every table in the catalog database, as text."""
    import asyncpg

    con = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database=dbname)
    try:
        tables = await con.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
        )
        assert tables, "the catalog has no tables"
        rows = []
        for table in tables:
            name = f'"{table["table_schema"]}"."{table["table_name"]}"'
            rows += [row[0] for row in await con.fetch(f"SELECT t::text FROM {name} AS t")]
        return "\n".join(rows)
    finally:
        await con.close()


def _dateline(tmp_path: Path, s3: S3, *args: str, endpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    store = s3.store
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_DATA_PATH": s3.data_path,
        "AWS_ACCESS_KEY_ID": store.key_id or "",
        "AWS_SECRET_ACCESS_KEY": store.secret or "",
        "AWS_ENDPOINT_URL": endpoint or store.endpoint_url or "",
        "AWS_REGION": store.region or "",
    }
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )


@pytest.mark.timeout(1200)
def test_the_secret_reaches_no_table_and_no_output(catalog: str, s3: S3, tmp_path: Path) -> None:
    done = _dateline(tmp_path, s3, "run", "--warehouse", catalog)
    assert done.returncode == 0, done.stderr + done.stdout
    assert SECRET not in done.stdout + done.stderr
    asked = _dateline(tmp_path, s3, "sql", "--format", "csv", "--warehouse", catalog, "SELECT count(*) FROM fact_story")
    assert asked.returncode == 0, asked.stderr
    assert SECRET not in asked.stdout + asked.stderr
    assert int(asked.stdout.split()[-1]) > 50  # the run loaded the samples, into the object store
    assert any(key.endswith(".parquet") for key in s3.objects())

    dbname = catalog.split("dbname=")[1].split()[0]
    assert SECRET not in asyncio.run(_catalog_text(dbname))
    lake = open_warehouse(catalog, object_store=s3.store)
    assert SECRET not in repr(every_relation(lake))
    assert SECRET not in repr(s3.store)


def test_an_unreachable_object_store_is_one_clear_line_and_leaves_no_dangling_file(
    catalog: str, s3: S3, tmp_path: Path
) -> None:
    lake = s3_lake(catalog, s3, tmp_path)
    load(lake, many_stories(range(30)))
    before = every_relation(lake)

    nowhere = replace(s3.store, endpoint_url=f"http://127.0.0.1:{free_port()}")
    cut_off = DuckLakeWarehouse(catalog, data_path=s3.data_path, object_store=nowhere)
    with pytest.raises(WarehouseError) as refused:
        cut_off.check_writable()
    assert "\n" not in str(refused.value) and s3.data_path in str(refused.value)
    with pytest.raises(WarehouseError) as failed:
        load(cut_off, many_stories(range(30, 60)))  # more rows than DuckLake inlines into the catalog
    assert "\n" not in str(failed.value) and catalog in str(failed.value)
    assert SECRET not in str(refused.value) + str(failed.value)

    # The failed load committed nothing: the catalog names only files the store has, and the rows are unchanged.
    tables = lake.query(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'lake' AND table_type = 'BASE TABLE'"
    ).rows
    files = [
        path
        for (table,) in tables
        for row in lake.query(f"SELECT data_file, delete_file FROM ducklake_list_files('lake', '{table}')").rows
        for path in row
        if path
    ]
    keys = set(s3.objects())
    assert files and all(path.removeprefix(f"s3://{BUCKET}/") in keys for path in files), (files, keys)
    assert every_relation(lake) == before

    cli = _dateline(tmp_path, s3, "run", "--warehouse", catalog, endpoint=nowhere.endpoint_url)
    assert cli.returncode == 2
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and s3.data_path in lines[0], cli.stderr


def test_cleaning_the_lake_deletes_replaced_and_orphaned_objects_in_the_store(
    catalog: str, s3: S3, tmp_path: Path
) -> None:
    lake = s3_lake(catalog, s3, tmp_path)
    # Each load after the first rewrites summary rows of the one before, so the third replaces the delete files
    # the second wrote: files that only expired snapshots reference.
    for numbers in (range(30), range(15, 45), range(30, 60)):
        load(lake, many_stories(numbers))
    before = every_relation(lake)
    orphan = f"{s3.data_path}main/fact_story/ducklake-orphan-of-an-aborted-commit.parquet"
    with analyst(catalog, s3.store) as con:  # what a writer killed before its commit leaves in the bucket
        con.execute(f"COPY (SELECT 1 AS story_key) TO '{orphan}' (FORMAT parquet)")
    in_bucket = {f"s3://{BUCKET}/{key}" for key in s3.objects()}
    assert orphan in in_bucket

    cleaned = lake.expire_and_clean(timedelta(0))

    assert cleaned["files_deleted"] > 0 and cleaned["orphan_files_deleted"] >= 1, cleaned
    in_bucket = {f"s3://{BUCKET}/{key}" for key in s3.objects()}
    with analyst(catalog, s3.store) as con:
        assert in_bucket == referenced_files(con)
    assert orphan not in in_bucket
    assert every_relation(lake) == before
