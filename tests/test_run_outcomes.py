"""A run tells the truth about how it went: completed, completed with warnings, or failed, the same in its
exit status, `etl_run.status` and the Prefect state, with a per-source table on every run and a readable
flow-run name."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.pipeline.run import RunFailed
from tests.fault_harness import DATELINE, REPO, child_env
from tests.test_ingest_flow import DUMP

pytestmark = pytest.mark.usefixtures("prefect_api")


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def statuses(warehouse: Path) -> list[tuple[str, str | None]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT status, message FROM etl_run ORDER BY started_at").fetchall()


async def _flow_run_and_artifacts(flow_run_id) -> tuple[object, dict[str, object]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        flow_run = await client.read_flow_run(flow_run_id)
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return flow_run, {a.key: a.data for a in artifacts}


def test_a_source_that_fails_and_a_glob_that_matches_nothing_are_warnings_named_everywhere(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(DUMP, encoding="utf-8")
    empty_glob = str(tmp_path / "none" / "*.txt")
    dead = closed_port_url()
    warehouse = tmp_path / "w.duckdb"
    state = ingest(adhoc_sources=[str(good), empty_glob, dead], warehouse_path=str(warehouse), return_state=True)

    assert state.is_completed() and state.name == "Completed with warnings"
    summary = state.result()
    assert summary["status"] == "completed_with_warnings" and summary["new"] == 1
    [failed, empty] = summary["warnings"]
    assert failed.startswith(f"source 'adhoc:{dead}' failed entirely: nothing found (")
    assert empty == f"source 'adhoc:{empty_glob}': its path matched no file"
    [(status, message)] = statuses(warehouse)
    assert status == "completed_with_warnings" and dead in message and empty_glob in message
    with duckdb.connect(str(warehouse), read_only=True) as con:
        why = con.execute("SELECT reason, detail FROM etl_reject WHERE locator = ?", [dead]).fetchall()
    [(reason, detail)] = why
    # an ad-hoc source is public-only, so the guard refuses 127.0.0.1 before any connection: that is what it says
    assert reason == "private_address" and "127.0.0.1" in detail, (reason, detail)

    flow_run, artifacts = asyncio.run(_flow_run_and_artifacts(state.state_details.flow_run_id))
    assert "good.txt" in flow_run.name and "*.txt" in flow_run.name, flow_run.name
    assert flow_run.name[:4].isdigit(), "the name starts with when the run started"
    rows = {row["source"]: row for row in _table(artifacts["dateline-ingest-sources"])}
    assert rows[f"adhoc:{good}"] | {"source": None} == {
        "source": None,
        "found": 1,
        "fetched": 1,
        "new": 1,
        "updated": 0,
        "rejected": 0,
        "errors": 0,
    }
    assert rows[f"adhoc:{dead}"]["found"] == 0 and rows[f"adhoc:{dead}"]["errors"] == 1
    assert rows[f"adhoc:{empty_glob}"]["found"] == 0


def _table(data: object) -> list[dict]:
    import json

    return json.loads(data) if isinstance(data, str) else data  # type: ignore[return-value]


def test_a_run_whose_every_source_failed_is_failed_in_prefect_and_in_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    state = ingest(adhoc_sources=[closed_port_url()], warehouse_path=str(warehouse), return_state=True)
    assert state.is_failed()
    with pytest.raises(RunFailed, match="every source failed"):
        state.result()
    [(status, message)] = statuses(warehouse)
    assert status == "failed" and "failed entirely" in message


def test_a_rejected_share_above_the_threshold_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(DUMP, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    summary = ingest(adhoc_sources=[str(folder / "*.txt")], warehouse_path=str(tmp_path / "w.duckdb"))
    assert summary["status"] == "completed_with_warnings"
    assert summary["warnings"] == [
        f"source 'adhoc:{folder / '*.txt'}': 1 of 2 documents rejected or unreadable (over 20%)"
    ]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = child_env(home / "prefect-home")
    return subprocess.run([*DATELINE, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_the_exit_status_says_completed_warnings_or_failed(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(DUMP, encoding="utf-8")
    warehouse = str(tmp_path / "w.duckdb")
    warned = run_cli(
        "run", "--source", str(good), "--source", str(tmp_path / "none*.txt"), "--warehouse", warehouse, home=tmp_path
    )
    assert warned.returncode == 3, warned.stdout + warned.stderr
    assert "matched no file" in warned.stdout and "completed with warnings" in warned.stdout

    failed = run_cli("run", "--source", closed_port_url(), "--warehouse", warehouse, home=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    [error_line] = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert "every source failed" in error_line
    assert [s for s, _ in statuses(Path(warehouse))] == ["completed_with_warnings", "failed"]
