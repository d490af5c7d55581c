"""Stored text cannot spoof the terminal (issue 16): headlines are printed as text, never as Rich markup,
and control, bidirectional and invisible characters are shown escaped.

Real `dateline sql` and `dateline search` processes over a real DuckDB file, with colour forced on as
in a terminal (FORCE_COLOR), so a live hyperlink or an escape sequence would show in the bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from flows.cli.output import terminal_safe
from tests.conftest import REPO
from tests.test_views import Story, build_newsroom

HOSTILE = (
    "Port [/] deal [link=https://evil.example]signed[/link] "
    + "\x1b[2J\x1b]8;;https://evil.example\x07x \u202egnp.exe\u200b!"
)
BODY = "The harbour authority signed the port deal on Monday after a long night of talks. " * 4


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spoof") / "w.duckdb"
    return build_newsroom(path, [Story(1, date(2025, 3, 20), HOSTILE, BODY)])


def _dateline(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


def _assert_shown_as_text(output: str) -> None:
    assert "[/]" in output and "[link=https://evil.example]signed[/link]" in output
    assert "\\x1b[2J" in output and "\\x1b]8;;https://evil.example\\x07" in output
    assert "\\u202egnp.exe\\u200b!" in output
    assert "\u202e" not in output and "\u200b" not in output
    assert "\x1b]8;" not in output  # no live hyperlink (OSC 8), from markup or from the value
    assert "\x1b[2J" not in output


def test_sql_table_prints_stored_text_literally(warehouse: Path) -> None:
    done = _dateline("sql", "select headline from fact_story", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    _assert_shown_as_text(done.stdout)


def test_search_table_prints_stored_text_literally(warehouse: Path) -> None:
    done = _dateline("search", "harbour deal", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    _assert_shown_as_text(done.stdout)


def test_an_error_quoting_markup_is_one_line_not_a_traceback(warehouse: Path) -> None:
    done = _dateline("sql", 'select * from "[/]"', "--warehouse", str(warehouse))  # DuckDB quotes the name
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr
    assert done.stderr.count("error:") == 1 and "[/]" in done.stderr


def test_json_keeps_the_value_exactly(warehouse: Path) -> None:
    done = _dateline("sql", "select headline from fact_story", "--format", "json", "--warehouse", str(warehouse))
    assert done.returncode == 0, done.stderr
    assert '"[/] deal' not in done.stdout  # the whole headline, not a markup-mangled piece
    assert "Port [/] deal [link=https://evil.example]signed[/link]" in done.stdout


def test_terminal_safe_keeps_ordinary_text() -> None:
    text = "Karachi — port «deal» signed\tat 10:00\nاسلام آباد 東京"
    assert terminal_safe(text) == text
