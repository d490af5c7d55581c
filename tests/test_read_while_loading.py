"""Reading the warehouse from Python while a load holds it: `read_only_connection` waits for the writer
instead of failing, and a lock that outlasts its patience is named in full (holder path and PID).

The holder is a real second process with DuckDB's write lock, as a run's merge takes it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.test_views import Story, build_newsroom
from warehouse.duckdb import read_only_connection
from warehouse.protocol import WarehouseLocked

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    # a dot in the folder name, as in most real paths: the lock message must not stop at it
    folder = tmp_path / "news.v2"
    folder.mkdir()
    body = "The harbour authority signed the port deal on Monday after a long night of talks. " * 4
    return build_newsroom(folder / "w.duckdb", [Story(1, date(2025, 3, 20), "Port deal signed", body)])


def _hold(warehouse: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_reader_waits_for_the_load_and_gets_duckdb_and_polars_answers(warehouse: Path) -> None:
    holder = _hold(warehouse, 1.5)
    try:
        with pytest.raises(duckdb.IOException):  # what a bare read-only connect does meanwhile
            duckdb.connect(str(warehouse), read_only=True)
        started = time.monotonic()
        with read_only_connection(warehouse, timeout_s=30) as con:
            waited = time.monotonic() - started
            assert con.sql("select headline from fact_story").fetchall() == [("Port deal signed",)]
            frame = con.sql("select headline, published from v_story").pl()
        # the holder may still be exiting after it closed its connection; getting in at all proves it let go
        assert waited > 0.5, "it waited for the writer to let go"
        assert isinstance(frame, pl.DataFrame) and frame["headline"].to_list() == ["Port deal signed"]
    finally:
        holder.wait(timeout=30)


def test_a_lock_held_past_the_timeout_names_the_warehouse_and_the_holder_in_full(warehouse: Path) -> None:
    holder = _hold(warehouse, 10)
    try:
        with pytest.raises(WarehouseLocked) as caught:
            read_only_connection(warehouse, timeout_s=0.3)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    message = str(caught.value)
    assert message.startswith(f"warehouse {warehouse} is locked by /"), message
    assert f"(PID {holder.pid})" in message and "python" in message, message


def test_the_readme_recipe_runs_while_a_load_holds_the_file(warehouse: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Query it from Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    holder = _hold(warehouse, 1.0)
    try:
        scope: dict = {}
        exec(code.replace("warehouse/dateline.duckdb", str(warehouse)), scope)
    finally:
        holder.wait(timeout=30)
    assert scope["latest"][0][1] == "Port deal signed"
    assert scope["per_source"]["stories"].to_list() == [1]
