"""`dateline report`: one self-contained HTML page of charts over the analyst views.

The page embeds plotly.js (about 4.7 MB) so it opens from disk, from an e-mail attachment or on a
machine with no network. The warehouse is read on a read-only connection, so a report can be written
while an analyst has the database open read-only too (not while a load holds it: that is retried
briefly and then explained in one line, like `dateline sql`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from flows.report import charts
from flows.runtime.settings import configured_warehouse
from warehouse.protocol import Warehouse

DEFAULT_OUT = Path("reports")
REPORT_FILE = "index.html"

MIN_TRENDING_STORIES = 3

QUERIES = {
    "weekly": "SELECT week_start, label, stories FROM v_topic_weekly WHERE scheme = 'iptc' AND level = 1",
    "entities": "SELECT name, entity_type, sum(stories)::BIGINT AS stories FROM v_entity_daily GROUP BY ALL",
    "pairs": ("SELECT entity_name, partner_name, together, lift FROM v_entity_cooccurrence WHERE together >= 2"),
    # a topic trends on volume, not on one story: a single story scores 1, and on a sparse archive every
    # topic of the newest day would tie at that; fewer than MIN_TRENDING_STORIES this week is not drawn
    "trending": f"SELECT * FROM v_trending_topics WHERE scheme = 'iptc' AND recent_stories >= {MIN_TRENDING_STORIES}",
    "sources": "SELECT day, source, stories FROM v_source_daily",
    "freshness": (
        "SELECT source, max(day) FILTER (WHERE stories > 0) AS newest_day, "
        "strftime(max(last_seen_at) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC') AS last_seen, "
        "sum(stories)::BIGINT AS stories, sum(wire_copies)::BIGINT AS wire_copies "
        "FROM v_source_daily GROUP BY source ORDER BY source"
    ),
}
_TOTALS = (
    "SELECT count(*) FILTER (WHERE duplicate_of IS NULL), count(*) FILTER (WHERE duplicate_of IS NOT NULL), "
    "count(DISTINCT source_key), min(date_key) FILTER (WHERE date_basis <> 'first_seen'), "
    # the axis ends today at the latest, as v_trending_topics' anchor does: a future date cannot stretch it
    "least(max(date_key) FILTER (WHERE date_basis <> 'first_seen'), strftime(current_date, '%Y%m%d')::INTEGER), "
    "count(*) FILTER (WHERE date_basis = 'first_seen') FROM fact_story"
)
_LAST_RUN = (
    "SELECT run_id, status, strftime(finished_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC'), "
    "new, updated, rejected FROM etl_run WHERE finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class ReportData:
    """The frames the charts draw, plus the headline figures, read in one read-only session."""

    frames: dict[str, pl.DataFrame]
    totals: tuple
    last_run: tuple | None


def read_report_data(warehouse: Warehouse) -> ReportData:
    """Every frame the page draws, read in one read-only session."""
    frames = warehouse.frames({**QUERIES, "_totals": _TOTALS, "_last_run": _LAST_RUN})
    last_run = frames.pop("_last_run").rows()
    return ReportData(frames, frames.pop("_totals").row(0), last_run[0] if last_run else None)


def report_frame(data: ReportData) -> charts.TimeFrame | None:
    """The time charts' span and bucket: the dense span of the dated stories (`charts.time_frame`)."""
    first, last = data.totals[3:5]
    within = (_date(first), _date(last)) if first and last else None
    return charts.time_frame(data.frames["sources"], within)


def build_figures(data: ReportData) -> list[go.Figure]:
    f = data.frames
    frame = report_frame(data)
    return [
        charts.topic_volume_chart(f["weekly"], frame=frame),
        charts.trending_chart(f["trending"]),
        charts.top_entities_chart(f["entities"]),
        charts.cooccurrence_chart(f["pairs"]),
        charts.source_coverage_chart(f["sources"], frame=frame),
        charts.freshness_table(f["freshness"]),
    ]


_LISTED_OUTLIERS = 10


def _outliers_html(data: ReportData) -> str:
    """The stories the time charts leave out, listed (day, source, count) so none is silently hidden."""
    frame = report_frame(data)
    left_out = charts.outside(data.frames["sources"], frame)
    if frame is None or left_out.is_empty():
        return ""
    shown = ", ".join(
        f"{day} {html.escape(source)} ({stories})"
        for day, source, stories in left_out.head(_LISTED_OUTLIERS).select("day", "source", "stories").iter_rows()
    )
    more = f" and {left_out.height - _LISTED_OUTLIERS} more days" if left_out.height > _LISTED_OUTLIERS else ""
    return (
        f"<p class='meta'>Time charts show {frame.start} to {frame.end} per {frame.bucket}, where "
        f"{charts.DENSE_SHARE:.0%} of the stories are; {left_out['stories'].sum()} stories lie outside it: "
        f"{shown}{more}.</p>"
    )


def _date(key: int) -> date:
    return date(key // 10000, key // 100 % 100, key % 100)


def _day(key: int | None) -> str:
    return _date(key).isoformat() if key else "-"


def _summary_html(data: ReportData, location: str, generated: datetime) -> str:
    stories, copies, sources, first, last, undated = data.totals
    run = data.last_run
    run_line = (
        f"Last run <code>{html.escape(run[0])}</code>: {html.escape(run[1])} at {run[2]}, "
        f"{run[3]} new, {run[4]} updated, {run[5]} rejected."
        if run
        else "No finished run recorded."
    )
    return (
        f"<p><b>{stories}</b> stories (plus {copies} wire copies) from <b>{sources}</b> sources, "
        f"published {_day(first)} to {_day(last)} ({undated} undated, shown on the day first seen). "
        f"{run_line}</p>"
        f"<p class='meta'>Warehouse <code>{html.escape(location)}</code>, report written "
        f"{generated:%Y-%m-%d %H:%M} UTC. Ask more with <code>dateline sql</code> "
        "on the views v_topic_daily, v_topic_weekly, v_entity_daily, v_entity_cooccurrence, "
        "v_trending_topics, v_source_daily, v_story.</p>" + _outliers_html(data)
    )


def render_html(figures: list[go.Figure], summary_html: str) -> str:
    """One page, plotly.js embedded once (in the first chart), no external resources."""
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displaylogo": False})
        for i, fig in enumerate(figures)
    ]
    body = "\n".join(f"<section>{part}</section>" for part in parts)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Dateline report</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
        "color:#222}section{margin:1.5em 0}.meta{color:#666;font-size:.9em}"
        "code{background:#f4f4f4;padding:0 .2em}</style>"
        f"</head><body><h1>Dateline report</h1>{summary_html}\n{body}\n</body></html>\n"
    )


def write_report(warehouse: str | None = None, out_dir: Path = DEFAULT_OUT) -> Path:
    """Read the views, draw the charts and write `<out_dir>/index.html`; returns the file's path."""
    store = configured_warehouse(warehouse)
    data = read_report_data(store)
    page = render_html(build_figures(data), _summary_html(data, store.location, datetime.now(UTC)))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    partial = target.with_suffix(".html.tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target
