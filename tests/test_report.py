"""The report: charts drawn from the views' frames, one HTML page that needs no network, and the
`dateline report` command writing it from a real warehouse file."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from flows.cli import app
from flows.report import charts, write_report
from tests.test_views import build_newsroom


def test_topic_chart_keeps_the_leaders_and_folds_the_rest() -> None:
    weekly = pl.DataFrame(
        {
            "week_start": [date(2025, 3, 3)] * 3 + [date(2025, 3, 10)] * 3,
            "label": ["sport", "politics", "weather"] * 2,
            "stories": [5, 3, 1, 7, 2, 1],
        }
    )
    figure = charts.topic_volume_chart(weekly, top=2)
    bands = {trace.name: list(trace.y) for trace in figure.data}
    assert bands == {"sport": [5, 7], "politics": [3, 2], charts.OTHER: [1, 1]}


def test_trending_chart_orders_by_score_and_marks_falling_topics() -> None:
    trending = pl.DataFrame(
        {
            "label": ["a", "b", "c"],
            "recent_stories": [40, 1, 0],
            "expected_stories": [0.0, 0.0, 2.0],
            "score": [40.0, 1.0, -1.155],
            "anchor_day": [date(2025, 3, 31)] * 3,
        }
    )
    bar = charts.trending_chart(trending).data[0]
    assert list(bar.y) == ["c", "b", "a"]  # horizontal bars draw bottom-up: the hottest on top
    assert bar.marker.color[0] == "#7f8c8d" and bar.marker.color[2] == "#c0392b"


def test_cooccurrence_heatmap_is_symmetric_over_the_top_entities() -> None:
    pairs = pl.DataFrame(
        {
            "entity_name": ["A", "B", "A", "C"],
            "partner_name": ["B", "A", "C", "A"],
            "together": [5, 5, 1, 1],
            "lift": [2.0, 2.0, 0.5, 0.5],
        }
    )
    heat = charts.cooccurrence_chart(pairs, top=2).data[0]
    assert list(heat.x) == ["A", "B"]
    assert [list(r) for r in heat.z] == [[0, 5], [5, 0]]


def test_empty_frames_give_a_figure_that_says_so() -> None:
    figure = charts.top_entities_chart(
        pl.DataFrame(schema={"name": pl.String(), "entity_type": pl.String(), "stories": pl.Int64()})
    )
    assert figure.layout.annotations[0].text == "no data yet"


def test_report_page_is_self_contained_with_every_chart(tmp_path: Path) -> None:
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    page = write_report(str(warehouse), tmp_path / "out").read_text(encoding="utf-8")
    assert page.count("Plotly.newPlot(") == 6
    assert "plotly.js v" in page  # the library itself is inline
    assert not re.search(r"<(script|link)[^>]+(src|href)=['\"]?https?:", page)
    assert "Stories per week by IPTC top-level topic" in page and "Trending topics: 7 days to 2025-03-31" in page
    assert "<b>64</b> stories (plus 2 wire copies) from <b>2</b> sources" in page


def test_report_command_writes_the_page_and_explains_a_missing_warehouse(tmp_path: Path) -> None:
    warehouse = build_newsroom(tmp_path / "w.duckdb")
    runner = CliRunner()
    done = runner.invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(tmp_path / "r")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r" / "index.html").stat().st_size > 1_000_000
    missing = runner.invoke(app, ["report", "--warehouse", str(tmp_path / "none.duckdb")])
    assert missing.exit_code != 0
    assert "does not exist yet" in missing.output


def test_time_axes_stay_on_the_dated_stories() -> None:
    daily = pl.DataFrame({"day": [date(2025, 3, 1), date(2026, 11, 26)], "source": ["a", "a"], "stories": [3, 1]})
    frame = charts.time_frame(daily, within=(date(2025, 3, 1), date(2025, 3, 1)))
    assert frame == charts.TimeFrame(date(2025, 3, 1), date(2025, 3, 1), "week")
    figure = charts.source_coverage_chart(daily, frame=frame)
    assert list(figure.layout.xaxis.range) == [date(2025, 2, 25), date(2025, 3, 5)]


def _spread(days: dict[date, int], source: str = "a") -> pl.DataFrame:
    return pl.DataFrame({"day": list(days), "source": [source] * len(days), "stories": list(days.values())})


def test_one_story_from_another_year_is_listed_not_plotted() -> None:
    dense = {date(2024, 1, 1) + timedelta(days=d): 2 for d in range(0, 120, 3)}  # 80 stories over four months
    daily = _spread({date(2015, 6, 1): 1, **dense})
    frame = charts.time_frame(daily)
    assert frame is not None and frame.start >= date(2024, 1, 1) and frame.bucket == "week"
    assert charts.outside(daily, frame)["day"].to_list()[0] == date(2015, 6, 1)
    assert charts.source_coverage_chart(daily, frame=frame).layout.xaxis.range[0] > date(2023, 12, 1)


def test_buckets_grow_with_the_span() -> None:
    def bucket(days: int) -> str:
        frame = charts.time_frame(_spread({date(2020, 1, 1) + timedelta(days=d): 1 for d in range(0, days, 7)}))
        return frame.bucket

    assert [bucket(150), bucket(700), bucket(3000)] == ["week", "month", "quarter"]
    weekly = pl.DataFrame(
        {
            "week_start": [date(2016, 1, 4), date(2016, 1, 11), date(2023, 5, 1)],
            "label": ["x"] * 3,
            "stories": [1, 2, 4],
        }
    )
    frame = charts.TimeFrame(date(2016, 1, 1), date(2023, 12, 31), "quarter")
    figure = charts.topic_volume_chart(weekly, frame=frame)
    assert figure.layout.title.text == "Stories per quarter by IPTC top-level topic"
    assert (list(figure.data[0].x), list(figure.data[0].y)) == ([date(2016, 1, 1), date(2023, 4, 1)], [3, 4])


def test_a_source_line_breaks_over_buckets_without_stories() -> None:
    daily = _spread({date(2020, 1, 15): 3, date(2020, 2, 10): 1, date(2022, 6, 1): 2, date(2022, 7, 1): 2})
    frame = charts.TimeFrame(date(2020, 1, 1), date(2022, 7, 31), "month")
    line = charts.source_coverage_chart(daily, frame=frame).data[0]
    assert line.connectgaps is False and len(line.x) == 31  # every month from Jan 2020 to Jul 2022
    assert list(line.y[:3]) == [3, 1, None] and list(line.y[-2:]) == [2, 2]


def test_trending_needs_a_minimum_of_stories_this_week(tmp_path: Path) -> None:
    from flows.report.page import MIN_TRENDING_STORIES, read_report_data
    from warehouse import open_warehouse

    trending = read_report_data(open_warehouse(str(build_newsroom(tmp_path / "w.duckdb")))).frames["trending"]
    # the newsroom's one-story and two-story topics (score 1 and 0) are left out; sport's 40 stays
    assert trending["label"].to_list() == ["sport"] and MIN_TRENDING_STORIES == 3
