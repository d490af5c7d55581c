"""Print query results as a terminal table, CSV or JSON (the `--format` of `dateline sql` and friends).

Stored text comes from feeds and pages anyone can write, so in a terminal it is shown as text, never
interpreted: never as Rich markup (a headline `[/]` or `[link=…]` prints as written), and control,
bidirectional and invisible formatting characters print as escapes (`\x1b`, `\u202e`), so a value cannot
recolour the screen, fake a hyperlink, reverse what follows it or hide text. CSV and JSON are data
for programs and keep the values exactly (JSON escapes control characters itself).

Tables fit a width (the terminal's, or `--max-width`) the way DuckDB's own CLI does: one line per row,
columns shrunk in proportion and a cell that does not fit cut with an ellipsis, rather than folded one
word per line (a run id over five lines); when even that leaves columns too narrow to read, the middle
columns give way to one `…` column and a line says how many are shown. The whole value is always one
`--format csv|json` away.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import orjson
from rich.cells import cell_len
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
# A column cut narrower than this shows neither its name nor its values; below it, columns are hidden instead.
_MIN_COLUMN = 8
# What a table spends per column besides its cells: a space each side and the rule between columns.
_COLUMN_GAP = 3


def _room(widths: list[int]) -> int:
    """The width of a table whose columns are `widths` wide (no outer edge: the last column has no rule)."""
    return sum(widths) + _COLUMN_GAP * len(widths) - 1


def _hidden_columns(natural: list[int], width: int) -> range | None:
    """The middle columns to hide so that every shown one keeps `_MIN_COLUMN` characters (or all of its
    width, if less) within `width`, as DuckDB's CLI hides its middle columns; None if all fit. The first and
    last columns stay: they are often the key and the figure."""
    needs = [min(n, _MIN_COLUMN) for n in natural]
    left = right = len(needs) // 2  # the hidden span is needs[left:right]
    while right - left < len(needs) - 1:
        if _room(needs[:left] + ([1] if right > left else []) + needs[right:]) <= width:
            break
        # widen the span by one column, alternately on each side, keeping the first and the last
        if (right - left) % 2 == 0 and right < len(needs) - 1:
            right += 1
        elif left > 1:
            left -= 1
        else:
            right += 1
    return range(left, right) if right > left else None


def _fitted_widths(natural: list[int], width: int) -> list[int] | None:
    """Column widths that fill `width`: each column keeps `_MIN_COLUMN` (or all of its width, if less) and
    the rest is shared in proportion to what each still lacks. None when every column fits whole, or when
    not even the minimums do (Rich then shrinks them all)."""
    needs = [min(n, _MIN_COLUMN) for n in natural]
    if _room(natural) <= width or _room(needs) > width:
        return None
    spare, lacking = width - _room(needs), [n - m for n, m in zip(natural, needs, strict=True)]
    widths = [m + spare * lack // sum(lacking) for m, lack in zip(needs, lacking, strict=True)]
    left = width - _room(widths)  # what rounding down kept back: to the columns closest to whole
    for index in sorted(range(len(widths)), key=lambda i: natural[i] - widths[i]):
        if left and widths[index] < natural[index]:
            widths[index] += 1
            left -= 1
    return widths


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
    cells = [[as_text(column) for column in columns], *([as_text(v) for v in row] for row in rows)]
    natural = [max(cell_len(row[i].plain) for row in cells) for i in range(len(columns))]
    width = console.width if max_width is None else max_width
    hidden = _hidden_columns(natural, width) if width else None
    if hidden:
        cells = [[*row[: hidden.start], Text("…"), *row[hidden.stop :]] for row in cells]
        natural = [*natural[: hidden.start], 1, *natural[hidden.stop :]]
    widths = _fitted_widths(natural, width) if width else None
    table = Table(show_edge=False, header_style="bold")
    header, *body = cells
    for index, column in enumerate(header):
        table.add_column(column, overflow="ellipsis", no_wrap=True, width=widths[index] if widths else None)
    for row in body:
        table.add_row(*row)
    if hidden:
        note = f"{len(columns)} columns ({len(columns) - len(hidden)} shown): --max-width 0 or --format csv shows all"
        table.caption, table.caption_justify = Text(note), "left"
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
