"""Object-store credentials from a Prefect `Secret` block (`DATELINE_S3_SECRET_BLOCK`), on a real Prefect
API, a real S3 server (moto, 127.0.0.1) and the real PostgreSQL: a `dateline run` whose environment holds
no AWS credentials at all loads a lake in the store and archives its pages there, and the secret appears
in no table of the catalog (the fetch index included) or the lake, no line the run printed, no log line
the run sent to Prefect, and no flow-run parameter; a missing block is one line naming it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.http_fixtures import ScriptedServer
from tests.test_ducklake import catalog, every_relation
from tests.test_ducklake_s3 import S3, SECRET, _catalog_text, s3
from tests.test_object_archive import desk_feed, host_env
from warehouse import open_warehouse

__all__ = ["catalog", "s3"]  # the fixtures

BLOCK = "dateline-object-store"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=600
    )


@pytest.mark.timeout(900)
def test_credentials_from_a_secret_block_reach_no_table_log_or_parameter(
    prefect_api: None, catalog: str, s3: S3, tmp_path: Path
) -> None:
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    store = s3.store
    credentials = {"AWS_ACCESS_KEY_ID": store.key_id, "AWS_SECRET_ACCESS_KEY": store.secret}
    Secret(value=credentials | {"AWS_ENDPOINT_URL": store.endpoint_url}).save(BLOCK, overwrite=True)
    env = host_env(s3, catalog, tmp_path / "data", tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        del env[name]  # only the block has them
    env |= {"PREFECT_API_URL": PREFECT_API_URL.value(), "DATELINE_S3_SECRET_BLOCK": BLOCK}

    with ScriptedServer() as site:
        sources = desk_feed(site, tmp_path, stories=2)
        done = run(env, "run", "--sources", str(sources))
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert SECRET not in done.stdout + done.stderr

    lake = open_warehouse(catalog, object_store=store)
    relations = every_relation(lake)
    assert len(relations["fact_story"]) - 1 == 2
    assert SECRET not in repr(relations)
    assert any(key.startswith("dateline-archive/bodies/") for key in s3.objects())  # archived with the block's keys
    dbname = catalog.split("dbname=")[1].split()[0]
    catalog_text = asyncio.run(_catalog_text(dbname))
    assert "/s/0" in catalog_text  # rows were searched (the archive's fetch index is a table of this database)
    assert SECRET not in catalog_text

    async def what_prefect_holds() -> str:
        """Every flow run's parameters and every log line, page by page: other tests share this API."""
        async with get_client() as client:
            runs, logs = [], []
            while page := await client.read_flow_runs(limit=200, offset=len(runs)):
                runs += page
            while page := await client.read_logs(limit=200, offset=len(logs)):
                logs += page
        ours = [r for r in runs if "desk" in r.name]
        assert ours, [r.name for r in runs]
        return repr([r.parameters for r in runs]) + "\n".join(log.message for log in logs)

    held = asyncio.run(what_prefect_holds())
    assert "desk" in held  # the run's parameters and logs are there to search
    assert SECRET not in held

    env["DATELINE_S3_SECRET_BLOCK"] = "no-such-block"
    missing = run(env, "run", "--sources", str(sources))
    assert missing.returncode == 2, missing.stderr
    lines = missing.stderr.strip().splitlines()
    assert len(lines) == 1 and "Prefect Secret block 'no-such-block'" in lines[0], missing.stderr
