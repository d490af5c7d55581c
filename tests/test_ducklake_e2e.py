"""`dateline run --warehouse ducklake:…` over the bundled samples, as a user runs it: the lake ends with
the same rows as an embedded run of the same samples in every table and view (times of the run aside),
`dateline sql`, `dateline search` and `dateline report` answer on it, and `dateline reparse` gives the
same rows on both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_ducklake import ANY_DAY, catalog, every_relation
from warehouse import open_warehouse

__all__ = ["catalog"]  # the fixture, shared with tests/test_ducklake.py

# Columns that record when (and by which process) a run did something: they differ between any two runs.
RUN_TIMES = frozenset(
    {"first_seen_at", "seen_at", "last_seen_at", "fetched_at", "checked_at", "elapsed_ms", "merged_at"}
    | {"run_id", "flow_run_id", "started_at", "finished_at", "host", "pid"}
)


def dateline(tmp_path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_DATA_PATH": str(tmp_path / "lake"),
    }
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.mark.timeout(1200)
def test_a_run_into_the_lake_matches_an_embedded_run(catalog: str, tmp_path: Path) -> None:
    dateline(tmp_path, "run", "--warehouse", catalog)
    dateline(tmp_path, "run", "--warehouse", str(tmp_path / "w.duckdb"))
    lake, embedded = open_warehouse(catalog), open_warehouse(str(tmp_path / "w.duckdb"))
    expected = every_relation(embedded, RUN_TIMES)
    assert len(expected["fact_story"]) > 50
    assert every_relation(lake, RUN_TIMES) == expected

    answer = json.loads(
        dateline(tmp_path, "sql", "--format", "json", "--warehouse", catalog, "SELECT count(*) AS n FROM v_story")
    )
    assert answer == [{"n": len(expected["v_story"]) - 1}]
    assert lake.search("brazil energy", **ANY_DAY) == embedded.search("brazil energy", **ANY_DAY)

    dateline(tmp_path, "report", "--warehouse", catalog, "--out", str(tmp_path / "report"))
    assert "meridian-daily" in (tmp_path / "report" / "index.html").read_text(encoding="utf-8")

    # `dateline reparse` re-reads the raw archive both runs share into each warehouse: the same rows again.
    for location in (catalog, str(tmp_path / "w.duckdb")):
        dateline(tmp_path, "reparse", "--warehouse", location)
    reparsed = every_relation(embedded, RUN_TIMES)
    assert len(reparsed["etl_run"]) == len(expected["etl_run"]) + 1
    assert every_relation(lake, RUN_TIMES) == reparsed
