"""Print query results as a terminal table, CSV or JSON (the `--format` of `dateline sql` and friends).

Stored text comes from feeds and pages anyone can write, so in a terminal it is shown as text, never
interpreted: never as Rich markup (a headline `[/]` or `[link=…]` prints as written), and control,
bidirectional and invisible formatting characters print as escapes (`\x1b`, `\u202e`), so a value cannot
recolour the screen, fake a hyperlink, reverse what follows it or hide text. CSV and JSON are data
for programs and keep the values exactly (JSON escapes control characters itself).

Tables fit a width (the terminal's, or `--max-width`) the way DuckDB's own CLI does: one line per row,
columns shrunk in proportion and a cell that does not fit cut with an ellipsis, rather than folded one
word per line (a run id over five lines). The whole value is always one `--format csv|json` away.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import orjson
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# C0 and C1 controls (newline and tab stay), DEL, zero-width and joiner marks, bidi embeddings, overrides
# and isolates, the Arabic letter mark, word joiner and invisible operators, line/paragraph separators,
# byte order mark, interlinear annotation marks, and the tag characters used to smuggle hidden ASCII
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def terminal_safe(value: str) -> str:
    """`value` with every character that would act on the terminal, or hide, shown as its escape."""
    return _HIDDEN.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), value)


def as_text(value: object) -> Text:
    """A stored value as a Rich `Text`: printed literally (no markup), with `terminal_safe` escapes."""
    return Text("" if value is None else terminal_safe(str(value)))


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_UNBOUNDED = 1 << 20


def print_rows(
    columns: list[str], rows: Iterable[tuple], fmt: str, console: Console, max_width: int | None = None
) -> None:
    """Write rows in the chosen format; table output is for people, csv and json for programs.

    `max_width` bounds a table: None is the console's width, 0 no bound (every cell whole)."""
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
        table.add_column(as_text(column), overflow="ellipsis", no_wrap=True)
    for row in rows:
        table.add_row(*(as_text(v) for v in row))
    if max_width is None:
        console.print(table)
        return
    if max_width == 0:
        max_width = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).maximum
    # Rich never prints wider than its console, so a width asked for beyond the terminal's gets a console of its own
    sized = Console(
        file=console.file,
        width=max_width,
        force_terminal=console.is_terminal,
        color_system=console.color_system,
        no_color=console.no_color,
    )
    sized.print(table, crop=False)
