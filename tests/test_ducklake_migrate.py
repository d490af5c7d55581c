"""`dateline migrate --to ducklake:…` as a user runs it, against the real PostgreSQL: an embedded warehouse
and its raw archive end up in the lake with the same rows in every table and view, each table checked by
count and content hash; a lake that already holds rows is refused in one line, and nothing is changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from flows.sources.fetching import RawArchive
from tests.conftest import REPO
from tests.test_ducklake import catalog, every_relation, mixed_batches
from tests.test_maintenance import archive_pages
from tests.test_summaries import load, migrated
from warehouse import open_warehouse
from warehouse.ducklake.migrate import fingerprint

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py


def migrate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "DATELINE_DATA_PATH": str(tmp_path / "lake")}
    env.pop("DATELINE_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "migrate", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


def test_migrate_copies_the_warehouse_and_its_archive_exactly_and_refuses_a_full_lake(
    catalog: str, tmp_path: Path
) -> None:
    embedded = migrated(tmp_path / "w.duckdb")
    for records in mixed_batches():
        load(embedded, records)
    archive_pages(tmp_path / "data" / "archive", 3).close()  # the embedded warehouse's run folder
    expected = every_relation(embedded)

    args = ("--to", catalog, "--warehouse", str(tmp_path / "w.duckdb"), "--data-dir", str(tmp_path / "lake-data"))
    done = migrate(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "fact_story: 5 rows" in done.stdout
    assert "raw archive: copied" in done.stdout and "3 fetches" in done.stdout
    lake = open_warehouse(catalog)
    assert every_relation(lake) == expected
    assert lake.repair_summaries() == {}
    with RawArchive(tmp_path / "lake-data" / "archive") as copy:
        assert len(list(copy.iter_entries())) == 3

    again = migrate(tmp_path, *args)
    assert again.returncode == 2
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "not empty" in lines[0], again.stderr
    assert every_relation(lake) == expected


def test_the_content_hash_sees_one_changed_value(tmp_path: Path) -> None:
    embedded = migrated(tmp_path / "w.duckdb")
    load(embedded, mixed_batches()[0])
    with duckdb.connect(str(embedded.path)) as con:
        con.execute("ATTACH ':memory:' AS copy; CREATE TABLE copy.main.fact_story AS SELECT * FROM fact_story")
        columns = [column[0] for column in con.execute("SELECT * FROM fact_story LIMIT 0").description]
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        assert fingerprint(con, catalog, "fact_story", columns) == fingerprint(con, "copy", "fact_story", columns)
        con.execute(
            "UPDATE copy.main.fact_story SET headline = headline || '.' WHERE story_key IN "
            "(SELECT min(story_key) FROM copy.main.fact_story)"
        )
        changed = fingerprint(con, "copy", "fact_story", columns)
        assert changed.rows == 2 and changed != fingerprint(con, catalog, "fact_story", columns)
