"""Print query results as a terminal table, CSV or JSON (the `--format` of `dateline sql` and friends)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import orjson
from rich.console import Console
from rich.table import Table


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def print_rows(columns: list[str], rows: Iterable[tuple], fmt: str, console: Console) -> None:
    """Write rows in the chosen format; table output is for people, csv and json for programs."""
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")  # Unix lines: `| tail -1` gives "78", not "78\r"
        writer.writerow(columns)
        writer.writerows(rows)
        return
    if fmt == "json":
        records = [{c: _jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.buffer.write(orjson.dumps(records, option=orjson.OPT_INDENT_2, default=str) + b"\n")
        sys.stdout.flush()
        return
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
