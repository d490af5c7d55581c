"""End to end over real HTTP: the bundled samples served on 127.0.0.1 (as an HTTP proxy for their
fictional hosts), fetched by the flow, loaded into DuckDB, checked against the generator's manifest;
then a rerun that costs conditional requests only and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from demo.site import serve_static_hosts
from flows.ingest import ingest
from tests.conftest import REPO
from tests.test_ingest_flow import snapshot

pytestmark = pytest.mark.usefixtures("prefect_api")

SAMPLES = REPO / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
SOURCES = """
[[source]]
name = "meridian-daily"
kind = "feed"
url = "http://www.meridian-daily.example/rss.xml"
timezone = "Asia/Karachi"

[[source]]
name = "savanna-times"
kind = "feed"
url = "http://www.savanna-times.example/atom.xml"
timezone = "Africa/Nairobi"

[[source]]
name = "gulf-ledger"
kind = "sitemap"
url = "http://www.gulf-ledger.example/sitemap-index.xml"
timezone = "Asia/Dubai"

[[source]]
name = "indus-chronicle"
kind = "file"
path = "{dumps}"
language = "en"
"""


def expected_stories() -> list[dict]:
    """Stories reachable through these sources: feed items for the feed outlets, all for the others."""
    feeds = {"meridian-daily", "savanna-times"}
    return [s for s in MANIFEST["stories"] if s["source"] not in feeds or s["in_feed"]]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    proxy = serve_static_hosts(SAMPLES)
    monkeypatch.setenv("HTTP_PROXY", proxy.proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the Prefect API stays direct
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES.format(dumps=SAMPLES / "dumps" / "*.txt"), encoding="utf-8")
    yield sources
    proxy.close()


def test_samples_over_http_load_exactly_and_rerun_is_a_no_op(served: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    expected = expected_stories()
    first = ingest(sources_file=str(served), warehouse_path=str(warehouse))
    assert first["rejected"] == 0
    assert first["new"] == len(expected)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = {
            url: (headline, published)
            for url, headline, published in con.execute(
                "select url, headline, coalesce(strftime(published_at, '%Y-%m-%dT%H:%M'), published_day::varchar) "
                "from fact_story where url is not null"
            ).fetchall()
        }
        wire = con.execute("select count(*) from fact_story where duplicate_of is not null").fetchone()[0]
        fetch_errors = con.execute("select count(*) from etl_fetch where error is not null").fetchone()[0]
    with_urls = [s for s in expected if s["url"]]
    assert {s["url"] for s in with_urls} == set(stored)
    for story in with_urls:
        assert stored[story["url"]][0] == story["headline"]
    assert wire == sum(1 for s in expected if s["is_wire_copy_of"])
    assert fetch_errors == 0

    before = snapshot(warehouse)
    second = ingest(sources_file=str(served), warehouse_path=str(warehouse))
    assert (second["new"], second["updated"]) == (0, 0)
    assert second["not_modified"] >= 2  # the two feeds answered 304
    assert snapshot(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        refetched = con.execute(
            "select count(*) from etl_fetch f join etl_run r using (run_id) where r.run_id = ? and f.url like '%.html'",
            [second["run_id"]],
        ).fetchone()[0]
    assert refetched == 0  # no article fetched again


def test_reparse_rebuilds_from_the_raw_archive_without_network(served: Path, tmp_path: Path, monkeypatch) -> None:
    from flows.reparse import reparse

    warehouse = tmp_path / "w.duckdb"
    ingest(sources_file=str(served), warehouse_path=str(warehouse))
    pages = sum(1 for s in expected_stories() if s["url"])
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: any fetch would fail
    with duckdb.connect(str(warehouse)) as con:  # as if an older parser had lost the end of one story
        damaged = con.execute("select story_key from fact_story where url is not null limit 1").fetchone()[0]
        con.execute("update fact_story set body = 'truncated', content_hash = 'old' where story_key = ?", [damaged])
    summary = reparse(warehouse_path=str(warehouse))
    assert (summary["found"], summary["rejected"]) == (pages, 0)
    assert (summary["new"], summary["updated"], summary["unchanged"]) == (0, 1, pages - 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        body, version = con.execute("select body, version from fact_story where story_key = ?", [damaged]).fetchone()
        fetched = con.execute("select count(*) from etl_fetch where run_id = ?", [summary["run_id"]]).fetchone()[0]
    assert body != "truncated" and version == 2
    assert fetched == 0
