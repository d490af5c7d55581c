"""The ingest flow against a real Prefect API (the test harness's server), checked through the Prefect
client the way an operator's UI sees it: the run completed, its task runs exist, the summary artifacts
are attached; and on the bundled samples every analyst view answers and search finds stories."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
)

from flows.ingest import ingest
from tests.conftest import CONTRACT_VIEWS, REPO
from warehouse.duckdb.search import search

pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    if not (REPO / "sources.toml").exists() or not any((REPO / "samples").iterdir()):
        pytest.skip("the bundled samples are not present")
    warehouse = tmp_path_factory.mktemp("api") / "w.duckdb"
    state = ingest(sources_file=str(REPO / "sources.toml"), warehouse_path=str(warehouse), return_state=True)
    assert state.is_completed(), state.message
    return str(state.state_details.flow_run_id), warehouse


def test_flow_run_completed_with_its_task_runs(sample_run: tuple[str, Path]) -> None:
    flow_run_id, _ = sample_run
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    assert flow_run.state.is_completed()
    names = {t.name.rsplit("-", 1)[0] for t in tasks}  # "fetch-chunk-0" → "fetch-chunk"
    assert {"discover", "fetch-chunk", "parse-chunk", "normalise-chunk", "load-chunk"} <= names
    assert all(t.state.is_completed() for t in tasks)


def test_summary_artifacts_are_attached_to_the_run(sample_run: tuple[str, Path]) -> None:
    flow_run_id, warehouse = sample_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    by_key = {a.key: a for a in artifacts}
    assert by_key["dateline-ingest-counts"].type == "table"
    assert by_key["dateline-ingest-summary"].type == "markdown"
    assert str(warehouse) in by_key["dateline-ingest-summary"].data
    with duckdb.connect(str(warehouse), read_only=True) as con:
        new = con.execute("select new from etl_run where flow_run_id = ?", [flow_run_id]).fetchone()[0]
    assert f"**{new} new**" in by_key["dateline-ingest-summary"].data and new > 0


def test_every_view_answers_on_the_samples_and_search_finds_stories(sample_run: tuple[str, Path]) -> None:
    _, warehouse = sample_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {view: con.execute(f"select count(*) from {view}").fetchone()[0] for view in CONTRACT_VIEWS}
        stories = con.execute("select count(*) from fact_story where duplicate_of is null").fetchone()[0]
        headline = con.execute("select headline from fact_story where duplicate_of is null limit 1").fetchone()[0]
        hits = search(con, headline, limit=3)
    assert all(counts.values()), counts
    assert counts["v_story"] >= stories
    assert headline in [h.headline for h in hits]  # the index was refreshed at the end of the run
