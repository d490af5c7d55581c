"""The ingest flow for real: Prefect API, files on disk, a DuckDB file, reruns and bad documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from tests.conftest import seed_files
from warehouse.duckdb.summaries import SUMMARY_TABLES

pytestmark = pytest.mark.usefixtures("prefect_api")

STAR_TABLES = (
    "dim_source",
    "dim_date",
    "dim_topic",
    "dim_entity",
    "dim_author",
    "fact_story",
    "fact_story_version",
    "bridge_story_topic",
    "bridge_story_entity",
    "bridge_story_author",
    "fact_quote",
    "fact_date_mention",
    *SUMMARY_TABLES,
)

DUMP = """Harbour authority opens new container terminal in Gwadar

Workers stand beside cranes at the new terminal in Gwadar on March 3, 2025. (Supplied)
Short Url
Updated 04 March 2025
Follow

Harbour authority opens new container terminal in Gwadar

  • Terminal doubles the port's yearly handling capacity
  • Operators expect first transshipment calls next month

GWADAR: The Gwadar Port Authority on Monday opened a container terminal that officials said would double the
port's capacity, as Pakistan seeks more regional trade.

"This terminal changes what Gwadar can offer shipping lines," Port Authority Chairman Naveed Baloch said.
"""


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in STAR_TABLES}


def test_seed_dump_loads_the_two_stories_exactly(tmp_path: Path) -> None:
    seed = seed_files()[0]
    summary = ingest(adhoc_sources=[str(seed)], warehouse_path=str(tmp_path / "w.duckdb"))
    assert (summary["found"], summary["parsed"], summary["new"], summary["rejected"]) == (1, 2, 2, 0)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select headline, updated_day, updated_at, date_key, date_basis, dateline, summary, body "
            "from fact_story order by date_key"
        ).fetchall()
    first, second = rows
    assert first[0] == (
        "China, Pakistan urge Afghanistan to act against militants as Zardari seeks stronger economic ties"
    )
    assert second[0] == "Pakistan, global crypto exchange discuss modernizing digital payments, creating job prospects"
    assert (first[1], second[1]) == (date(2025, 2, 6), date(2025, 12, 5))
    assert (first[2], second[2]) == (None, None)  # a day stays a day: no invented 00:00
    assert (first[3], first[4]) == (20250206, "updated")
    assert (first[5], second[5]) == ("ISLAMABAD", "ISLAMABAD")
    assert first[6][1] == "President Zardari meets Chinese Premier Li Qiang, seeks enhanced people-to-people exchanges"
    assert len(second[6]) == 2
    assert first[7].startswith("China and Pakistan on Thursday called on Afghanistan")
    assert "(AP)" not in first[7] and "Short Url" not in first[7]


def test_rerun_changes_nothing_and_an_edit_makes_a_version(tmp_path: Path) -> None:
    dump = tmp_path / "dumps" / "gwadar.txt"
    dump.parent.mkdir()
    dump.write_text(DUMP, encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    first = ingest(adhoc_sources=[str(dump)], warehouse_path=str(warehouse))
    before = snapshot(warehouse)
    second = ingest(adhoc_sources=[str(dump)], warehouse_path=str(warehouse))
    assert (first["new"], second["new"], second["unchanged"]) == (1, 0, 1)
    assert snapshot(warehouse) == before

    dump.write_text(DUMP.replace("double the\nport's capacity", "triple the\nport's capacity"), encoding="utf-8")
    third = ingest(adhoc_sources=[str(dump)], warehouse_path=str(warehouse))
    assert third["updated"] == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select version from fact_story").fetchall() == [(2,)]
        assert con.execute("select count(*) from fact_story_version").fetchone() == (2,)
        runs = con.execute("select status, new, updated, unchanged from etl_run order by started_at").fetchall()
    assert runs == [("completed", 1, 0, 0), ("completed", 0, 0, 1), ("completed", 0, 1, 0)]


def test_bad_documents_are_rejected_with_reasons_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(DUMP, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "notes.txt").write_text("just a shopping list\nmilk\neggs\n", encoding="utf-8")
    summary = ingest(adhoc_sources=[str(folder / "*.txt")], warehouse_path=str(tmp_path / "w.duckdb"))
    assert (summary["found"], summary["new"], summary["rejected"]) == (4, 1, 3)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rejects = con.execute("select stage, reason, locator from etl_reject order by locator").fetchall()
    assert [(stage, Path(locator).name) for stage, _, locator in rejects] == [
        ("parse", "binary.txt"),
        ("parse", "empty.txt"),
        ("parse", "notes.txt"),
    ]
    assert all(reason for _, reason, _ in rejects)


def test_an_empty_source_is_not_an_error_but_a_warning(tmp_path: Path) -> None:
    pattern = str(tmp_path / "nothing-here" / "*.txt")
    summary = ingest(adhoc_sources=[pattern], warehouse_path=str(tmp_path / "w.duckdb"))
    assert (summary["found"], summary["new"], summary["rejected"]) == (0, 0, 0)
    assert summary["status"] == "completed_with_warnings"
    assert summary["warnings"] == [f"source 'adhoc:{pattern}': its path matched no file"]


def test_a_wire_copy_loaded_before_its_original_is_linked_when_the_original_arrives(tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "republished.txt"
    original = tmp_path / "original" / "wire.txt"
    for path in (copy, original):
        path.parent.mkdir()
    copy.write_text(DUMP.replace("Updated 04 March 2025", "Updated 05 March 2025"), encoding="utf-8")
    original.write_text(DUMP, encoding="utf-8")
    warehouse = str(tmp_path / "w.duckdb")
    ingest(adhoc_sources=[str(copy)], warehouse_path=warehouse)
    ingest(adhoc_sources=[str(original)], warehouse_path=warehouse)
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select s.name = 'adhoc:' || ?, f.updated_day, o.updated_day "
            "from fact_story f join dim_source s using (source_key) "
            "left join fact_story o on o.story_key = f.duplicate_of order by f.updated_day",
            [str(original)],
        ).fetchall()
    assert rows == [
        (True, date(2025, 3, 4), None),
        (False, date(2025, 3, 5), date(2025, 3, 4)),
    ]
