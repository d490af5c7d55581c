"""`dateline sql` tables fit the terminal like DuckDB's own CLI: one line per row, wide cells cut with an
ellipsis (never folded one word per line), `--max-width` to choose, 0 for whole cells. Real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_views import Story, build_newsroom

QUERY = "SELECT repeat('harbour ', 30) || '\u202eend' AS long_text, 'a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6' AS run_id"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    body = "The harbour authority signed the port deal on Monday after a long night of talks. " * 4
    return build_newsroom(tmp_path_factory.mktemp("width") / "w.duckdb", [Story(1, date(2025, 3, 20), "Port", body)])


def _table(warehouse: Path, *options: str, columns: str = "200") -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sql", QUERY, "--warehouse", str(warehouse), *options],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": columns},
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_wide_cells_end_in_an_ellipsis_within_the_width_asked(warehouse: Path) -> None:
    header, rule, row = _table(warehouse, "--max-width", "70")
    assert all(len(line) <= 70 for line in (header, rule, row))
    assert "…" in row and "harbour harbour" in row, "one line per row, the cell cut, not folded"


def test_the_default_width_is_the_terminals(warehouse: Path) -> None:
    lines = _table(warehouse, columns="50")
    assert len(lines) == 3 and all(len(line) <= 50 for line in lines)


def test_zero_means_whole_cells_still_escaped(warehouse: Path) -> None:
    _, _, row = _table(warehouse, "--max-width", "0", columns="40")
    assert "harbour " * 30 in row and "a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6" in row
    assert "\\u202eend" in row and "\u202e" not in row and "…" not in row


def test_too_many_columns_hide_the_middle_ones_and_say_so(warehouse: Path) -> None:
    """Like DuckDB's CLI: rather than columns cut to nothing (headers unreadable), the middle ones give way
    to one `…` column; the first and last stay, every shown header keeps its first characters."""
    names = [f"c{n:02d}_column" for n in range(12)]
    query = "SELECT " + ", ".join(f"'value number {n} of a wide row' AS {name}" for n, name in enumerate(names))
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sql", query, "--warehouse", str(warehouse), "--max-width", "80"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    header, rule, row, note = [line for line in done.stdout.splitlines() if line.strip()]
    assert all(len(line) <= 80 for line in (header, rule, row, note))
    cells = [cell.strip() for cell in header.split("┃")]
    assert cells[0].startswith("c00_col") and cells[-1].startswith("c11_col") and "…" in cells, cells
    assert all(cell == "…" or (cell.startswith("c") and len(cell) >= 8) for cell in cells), cells
    shown = len(cells) - 1
    assert 2 <= shown < 12 and note.startswith(f"12 columns ({shown} shown)")
    assert all(cell == "…" or cell.startswith("value n") for cell in (c.strip() for c in row.split("│")))
