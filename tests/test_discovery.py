"""Discovery over a live synthetic site: front pages lead to their feeds, article pages are the story."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from demo.site import serve_demo_site
from flows.ingest import ingest
from flows.pipeline.run import RunFailed

pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.fixture(scope="module")
def site():
    with serve_demo_site(stories=40, outlets=2) as running:
        yield running


def stories_in(warehouse: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select url, headline from fact_story order by url").fetchall()


def test_a_front_page_source_follows_the_feed_it_advertises(site, tmp_path: Path) -> None:
    front = site.outlet_urls()[0] + "/"
    summary = ingest(adhoc_sources=[front], warehouse_path=str(tmp_path / "w.duckdb"), allow_private_networks=True)
    stored = stories_in(tmp_path / "w.duckdb")
    assert summary["rejected"] == 0
    assert len(stored) == summary["new"] > 1
    assert all(url.startswith(site.outlet_urls()[0]) and url.endswith(".html") for url, _ in stored)


def test_an_article_page_source_is_that_one_story(site, tmp_path: Path) -> None:
    front = site.outlet_urls()[0] + "/"
    ingest(adhoc_sources=[front], warehouse_path=str(tmp_path / "all.duckdb"), allow_private_networks=True)
    url, headline = stories_in(tmp_path / "all.duckdb")[0]
    summary = ingest(adhoc_sources=[url], warehouse_path=str(tmp_path / "one.duckdb"), allow_private_networks=True)
    assert summary["new"] == 1
    assert stories_in(tmp_path / "one.duckdb") == [(url, headline)]


def test_pages_that_lead_nowhere_are_rejected_with_reasons(site, tmp_path: Path) -> None:
    missing = site.base_url + "/no-such-outlet/"
    not_a_page = site.outlet_urls()[0] + "/robots.txt"
    with pytest.raises(RunFailed) as failed:  # both sources failed entirely: the run is failed, its rejects kept
        ingest(
            adhoc_sources=[missing, not_a_page],
            warehouse_path=str(tmp_path / "w.duckdb"),
            allow_private_networks=True,
        )
    assert (failed.value.summary.new, failed.value.summary.rejected) == (0, 2)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rejects = con.execute("select locator, stage, reason from etl_reject order by reason").fetchall()
        assert con.execute("select status from etl_run").fetchall() == [("failed",)]
    assert rejects == [(missing, "discover", "http_404"), (not_a_page, "discover", "no_story_or_feed")]
