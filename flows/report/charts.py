"""Report charts: pure functions from a Polars frame (the shape of one analyst view) to a Plotly figure.

Kept apart from the queries and the HTML writer so each chart can be tested with a hand-made frame
and reused in a notebook: `topic_volume_chart(con.sql("select * from v_topic_weekly").pl())`.
An empty frame gives a figure that says there is no data, rather than an error or a blank box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

OTHER = "other topics"
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 60, "b": 50}, "height": 440}


def _empty(title: str) -> go.Figure:
    figure = go.Figure(layout={**_LAYOUT, "title": title})
    figure.add_annotation(text="no data yet", showarrow=False, font={"size": 16}, x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


# Polars truncation intervals, and the padding either side of the axis (half a bucket)
_INTERVALS = {"week": "1w", "month": "1mo", "quarter": "1q"}
_PAD_DAYS = {"week": 4, "month": 16, "quarter": 46}
DENSE_SHARE = 0.95


@dataclass(frozen=True, slots=True)
class TimeFrame:
    """What the time charts draw: from `start` to `end` (the dense span of the stories), counted per `bucket`
    (week, month or quarter, by the span's length, so ten years are not 500 hairline bars)."""

    start: date
    end: date
    bucket: str

    def holds(self, column: str) -> pl.Expr:
        return pl.col(column).is_between(self.start, self.end)


def time_frame(
    daily: pl.DataFrame, within: tuple[date, date] | None = None, share: float = DENSE_SHARE
) -> TimeFrame | None:
    """The span holding the central `share` of the stories (`daily`: day, stories; `within`: the dated
    stories' first and last day, so undated ones shown on the day first seen do not count). A few stories
    far from the rest (one ad-hoc page from another year) fall outside it: `outside` lists them, the
    charts do not stretch their axes to reach them."""
    days = daily.group_by("day").agg(pl.col("stories").sum()).sort("day")
    if within:
        days = days.filter(pl.col("day").is_between(*within))
    if days.is_empty():
        return None
    total = days["stories"].sum()
    tail = (1.0 - share) / 2.0 * total
    running = days["stories"].cum_sum()
    start = days.filter(running > tail)["day"][0]
    end = days.filter(running >= total - tail)["day"][0]
    length = (end - start).days
    bucket = "week" if length <= 183 else "month" if length <= 3 * 366 else "quarter"
    return TimeFrame(start, end, bucket)


def outside(daily: pl.DataFrame, frame: TimeFrame | None) -> pl.DataFrame:
    """The days and sources of stories the time charts leave out (`daily`: day, source, stories)."""
    if frame is None:
        return daily.clear()
    return daily.filter(~frame.holds("day") & (pl.col("stories") > 0)).sort("day", "source")


def _in_buckets(rows: pl.DataFrame, column: str, frame: TimeFrame | None) -> pl.DataFrame:
    """Rows inside the frame, their `column` truncated to the frame's bucket (a week to its Monday's month)."""
    if frame is None:
        return rows
    inside = rows.filter(pl.col(column).is_between(frame.start - timedelta(days=6), frame.end))
    return inside.with_columns(pl.col(column).dt.truncate(_INTERVALS[frame.bucket]))


def _clip_to(figure: go.Figure, frame: TimeFrame | None) -> go.Figure:
    """Keep the time axis on the dense span, padded by half a bucket."""
    if frame:
        pad = timedelta(days=_PAD_DAYS[frame.bucket])
        figure.update_xaxes(range=[frame.start - pad, frame.end + pad])
    return figure


def topic_volume_chart(weekly: pl.DataFrame, top: int = 8, frame: TimeFrame | None = None) -> go.Figure:
    """Stacked stories per bucket (week, month or quarter: `frame`) for the `top` topics by volume, the rest
    folded into one band.

    `weekly` has columns week_start, label, stories (v_topic_weekly, one scheme).
    """
    bucket = frame.bucket if frame else "week"
    title = f"Stories per {bucket} by IPTC top-level topic"
    weekly = _in_buckets(weekly, "week_start", frame)
    if weekly.is_empty():
        return _empty(title)
    leaders = weekly.group_by("label").agg(pl.col("stories").sum()).sort(["stories", "label"], descending=[True, False])
    keep = leaders.head(top)["label"].to_list()
    folded = (
        weekly.with_columns(pl.when(pl.col("label").is_in(keep)).then("label").otherwise(pl.lit(OTHER)).alias("band"))
        .group_by("week_start", "band")
        .agg(pl.col("stories").sum())
        .sort("week_start")
    )
    figure = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "stack"})
    for band in [*keep, OTHER]:
        rows = folded.filter(pl.col("band") == band)
        if rows.height:
            figure.add_bar(x=rows["week_start"].to_list(), y=rows["stories"].to_list(), name=band)
    figure.update_yaxes(title="stories")
    figure.update_xaxes(title="ISO week (Monday)" if bucket == "week" else bucket)
    return _clip_to(figure, frame)


def top_entities_chart(entities: pl.DataFrame, top: int = 20) -> go.Figure:
    """Horizontal bars of the most covered people, organisations and places, coloured by type.

    `entities` has columns name, entity_type, stories.
    """
    title = f"Top {top} entities by stories"
    if entities.is_empty():
        return _empty(title)
    leaders = entities.sort(["stories", "name"], descending=[True, False]).head(top).reverse()
    figure = go.Figure(layout={**_LAYOUT, "title": title, "height": max(440, 22 * leaders.height + 120)})
    for kind in sorted(leaders["entity_type"].unique().to_list()):
        rows = leaders.filter(pl.col("entity_type") == kind)
        figure.add_bar(y=rows["name"].to_list(), x=rows["stories"].to_list(), name=kind, orientation="h")
    figure.update_yaxes(categoryorder="array", categoryarray=leaders["name"].to_list())
    figure.update_xaxes(title="stories")
    return figure


def cooccurrence_chart(pairs: pl.DataFrame, top: int = 15) -> go.Figure:
    """A heatmap of stories shared by the `top` entities most often seen with others; hover shows lift.

    `pairs` has columns entity_name, partner_name, together, lift (v_entity_cooccurrence).
    """
    title = "Entities named together (stories in common)"
    if pairs.is_empty():
        return _empty(title)
    ranked = (
        pairs.group_by("entity_name")
        .agg(pl.col("together").sum())
        .sort(["together", "entity_name"], descending=[True, False])
    )
    names = ranked.head(top)["entity_name"].to_list()
    cells = {
        (row["entity_name"], row["partner_name"]): row
        for row in pairs.filter(pl.col("entity_name").is_in(names) & pl.col("partner_name").is_in(names)).iter_rows(
            named=True
        )
    }
    z = [[cells.get((a, b), {}).get("together", 0) for b in names] for a in names]
    text = [
        [
            f"{a} + {b}: {cells[(a, b)]['together']} stories, lift {cells[(a, b)]['lift']}" if (a, b) in cells else ""
            for b in names
        ]
        for a in names
    ]
    figure = go.Figure(layout={**_LAYOUT, "title": title, "height": max(480, 28 * len(names) + 160)})
    figure.add_heatmap(z=z, x=names, y=names, text=text, hoverinfo="text", colorscale="Blues")
    figure.update_yaxes(autorange="reversed")
    return figure


def trending_chart(trending: pl.DataFrame, top: int = 12) -> go.Figure:
    """Bars of the trend score for the hottest topics, with this week's and the expected count in hover.

    `trending` has columns label, recent_stories, expected_stories, score, anchor_day (v_trending_topics).
    """
    if trending.is_empty():
        return _empty("Trending topics")
    anchor = trending["anchor_day"][0]
    rows = trending.sort(["score", "recent_stories"], descending=True).head(top).reverse()
    figure = go.Figure(layout={**_LAYOUT, "title": f"Trending topics: 7 days to {anchor} vs the 28 before"})
    figure.add_bar(
        y=rows["label"].to_list(),
        x=rows["score"].to_list(),
        orientation="h",
        customdata=list(zip(rows["recent_stories"].to_list(), rows["expected_stories"].to_list(), strict=True)),
        hovertemplate="%{y}: score %{x}<br>%{customdata[0]} stories this week, %{customdata[1]} expected"
        "<extra></extra>",
        marker_color=["#c0392b" if s > 0 else "#7f8c8d" for s in rows["score"].to_list()],
    )
    figure.update_xaxes(title="score (Poisson z with a prior)")
    return figure


def source_coverage_chart(daily: pl.DataFrame, frame: TimeFrame | None = None) -> go.Figure:
    """Stories per bucket per source (lines), so a source that went quiet stands out: a bucket with no
    story of that source is a gap in its line, never a straight segment across months with no data.

    `daily` has columns day, source, stories (v_source_daily).
    """
    bucket = frame.bucket if frame else "day"
    title = f"Stories per {bucket} by source"
    counted = _in_buckets(daily, "day", frame).group_by("day", "source").agg(pl.col("stories").sum())
    if counted.is_empty():
        return _empty(title)
    every = pl.date_range(counted["day"].min(), counted["day"].max(), _INTERVALS.get(bucket, "1d"), eager=True)
    grid = pl.DataFrame({"day": every})
    figure = go.Figure(layout={**_LAYOUT, "title": title})
    for source in sorted(counted["source"].unique().to_list()):
        rows = grid.join(counted.filter(pl.col("source") == source), on="day", how="left").sort("day")
        figure.add_scatter(
            x=rows["day"].to_list(), y=rows["stories"].to_list(), name=source, mode="lines+markers", connectgaps=False
        )
    figure.update_yaxes(title="stories")
    return _clip_to(figure, frame)


def freshness_table(freshness: pl.DataFrame) -> go.Figure:
    """A table of how current each source is: newest story day, when it was last seen, total stories.

    `freshness` has columns source, newest_day, last_seen_at, stories, wire_copies.
    """
    title = "Data freshness by source"
    if freshness.is_empty():
        return _empty(title)
    columns = freshness.columns
    figure = go.Figure(layout={**_LAYOUT, "title": title, "height": 120 + 30 * freshness.height})
    figure.add_table(
        header={"values": columns, "align": "left", "fill_color": "#ecf0f1"},
        cells={"values": [[str(v) for v in freshness[c].to_list()] for c in columns], "align": "left"},
    )
    return figure
