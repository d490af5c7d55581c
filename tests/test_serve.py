"""`dateline serve`'s deployments: the right flows, schedules, parameters and overlap rules, a bad cron
refused in one line, and prefect.yaml (for people running workers) agreeing with them."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml
from prefect.client.schemas.objects import ConcurrencyLimitStrategy

from flows.deployments import DEFAULT_CRON, MAINTENANCE_CRON, build_deployments, ingest_cron, pause_schedules
from flows.sources.config import ConfigError, parse_sources
from tests.test_ingest_flow import DUMP

REPO = Path(__file__).resolve().parents[1]
SOURCES = """
[[source]]
name = "archive-pages"
kind = "file"
path = "pages/*.html"

[[source]]
name = "quiet-feed"
kind = "feed"
url = "https://quiet.example/rss"

[[source]]
name = "busy-feed"
kind = "feed"
url = "https://busy.example/rss"
schedule = "*/5 * * * *"
"""


def deployments(text: str = SOURCES, **options) -> dict:
    built = build_deployments(
        parse_sources(text), sources_file="/srv/sources.toml", warehouse_path="/srv/w.duckdb", **options
    )
    return {d.name: d for d in built}


def crons(deployment) -> list[str]:
    return [s.schedule.cron for s in deployment.schedules]


def test_each_schedule_gets_its_deployment_with_the_right_sources() -> None:
    built = deployments()
    assert list(built) == ["ingest", "ingest-busy-feed", "maintenance", "backfill", "reparse"]
    assert crons(built["ingest"]) == [DEFAULT_CRON]
    assert built["ingest"].parameters == {
        "sources_file": "/srv/sources.toml",
        "warehouse_path": "/srv/w.duckdb",
        "only_sources": ["archive-pages", "quiet-feed"],
    }
    assert crons(built["ingest-busy-feed"]) == ["*/5 * * * *"]
    assert built["ingest-busy-feed"].parameters["only_sources"] == ["busy-feed"]
    assert crons(built["maintenance"]) == [MAINTENANCE_CRON]
    assert built["maintenance"].parameters == {"warehouse_path": "/srv/w.duckdb", "export": False}
    assert crons(built["backfill"]) == [] and crons(built["reparse"]) == []
    assert {d.flow_name for d in built.values()} == {"ingest", "maintenance", "backfill", "reparse"}


def test_without_per_source_schedules_ingest_reads_the_whole_file() -> None:
    text = SOURCES.replace('schedule = "*/5 * * * *"\n', "")
    built = deployments(text, cron="0 * * * *", export_parquet=True)
    assert list(built) == ["ingest", "maintenance", "backfill", "reparse"]
    assert built["ingest"].parameters["only_sources"] is None
    assert crons(built["ingest"]) == ["0 * * * *"]
    assert built["maintenance"].parameters["export"] is True


def test_one_run_at_a_time_scheduled_ones_skipped_requests_queued() -> None:
    for name, deployment in deployments().items():
        assert deployment.concurrency_limit == 1, name
        expected = (
            ConcurrencyLimitStrategy.ENQUEUE if name in ("backfill", "reparse") else ConcurrencyLimitStrategy.CANCEL_NEW
        )
        assert deployment.concurrency_options.collision_strategy == expected, name


def test_a_bad_cron_is_refused_naming_the_source() -> None:
    with pytest.raises(ConfigError, match="source 'busy-feed': invalid cron schedule 'every five minutes'"):
        deployments(SOURCES.replace("*/5 * * * *", "every five minutes"))


def test_ingest_cron_prefers_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATELINE_SCHEDULE", raising=False)
    assert ingest_cron() == DEFAULT_CRON
    monkeypatch.setenv("DATELINE_SCHEDULE", "0 6 * * *")
    assert ingest_cron() == "0 6 * * *"
    assert ingest_cron("*/30 * * * *") == "*/30 * * * *"


def test_prefect_yaml_matches_the_served_deployments() -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in spec["deployments"]}
    served = deployments(SOURCES.replace('schedule = "*/5 * * * *"\n', ""), shards=4)
    assert set(by_name) == set(served)
    for name, entry in by_name.items():
        for key, value in entry.get("parameters", {}).items():
            assert served[name].parameters[key] == value, (name, key)
        module, function = entry["entrypoint"].removesuffix(".py").replace("/", ".").split(":")
        flow = getattr(importlib.import_module(module.replace(".py", "")), function)
        assert flow.name == served[name].flow_name
        assert [s["cron"] for s in entry.get("schedules", [])] == crons(served[name])
        strategy = served[name].concurrency_options.collision_strategy.value
        assert entry["concurrency_limit"] == {"limit": 1, "collision_strategy": strategy}


def test_sharded_ingest_gives_each_unscheduled_source_to_exactly_one_shard() -> None:
    config = parse_sources(
        "".join(f'[[source]]\nname = "feed-{i}"\nkind = "feed"\nurl = "https://x{i}.example/rss"\n' for i in range(40))
        + SOURCES
    )
    built = deployments(SOURCES, shards=3)
    assert [n for n in built if n.startswith("ingest")] == [
        "ingest-shard-0",
        "ingest-shard-1",
        "ingest-shard-2",
        "ingest-busy-feed",
    ]
    assert built["ingest-shard-2"].parameters == {
        "sources_file": "/srv/sources.toml",
        "warehouse_path": "/srv/w.duckdb",
        "shard": 2,
        "shards": 3,
    }
    assert built["ingest-shard-1"].tags == ["dateline", "ingest", "shard:1"]
    shards = [[s.name for s in config.shard(i, 3).sources] for i in range(3)]
    unscheduled = sorted(s.name for s in config.sources if not s.schedule)
    assert sorted(n for names in shards for n in names) == unscheduled  # each exactly once
    assert all(shards), "40 sources over 3 shards leave none empty"
    assert [[s.name for s in config.shard(i, 3).sources] for i in range(3)] == shards  # stable
    with pytest.raises(ConfigError, match="shard 3 of 3"):
        config.shard(3, 3)


def test_deployments_carry_tags_for_their_kind_and_source() -> None:
    tags = {name: d.tags for name, d in deployments().items()}
    assert tags["ingest"] == ["dateline", "ingest"]
    assert tags["ingest-busy-feed"] == ["dateline", "ingest", "source:busy-feed"]
    assert tags["maintenance"] == ["dateline", "maintenance"]
    assert tags["reparse"] == ["dateline", "reparse"]


@pytest.mark.usefixtures("prefect_api")
def test_pausing_on_the_way_out_pauses_every_served_schedule() -> None:
    from prefect.client.orchestration import get_client

    built = list(deployments().values())

    async def apply_pause_read() -> tuple[list[bool], int, list[bool]]:
        ids = [await deployment.aapply() for deployment in built]
        async with get_client() as client:
            before = [(await client.read_deployment(i)).paused for i in ids]
            paused = await pause_schedules([*ids, uuid.uuid4()])
            after = [(await client.read_deployment(i)).paused for i in ids]
        return before, paused, after

    before, paused, after = asyncio.run(apply_pause_read())
    assert not any(before) and paused == len(built) and all(after), "a deployment already gone is skipped"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_served_schedule_fires_on_a_real_prefect_server(tmp_path: Path) -> None:
    """`prefect server start` + `dateline serve --cron '* * * * *'`: within two minutes a scheduled
    ingest run completes and loads the story (about 90 s, hence slow); SIGINT then ends `serve` within
    seconds with one line, no traceback, and every served schedule paused."""
    (tmp_path / "dump.txt").write_text(DUMP, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "dumps"\nkind = "file"\npath = "dump.txt"\n', encoding="utf-8"
    )
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    served = None
    try:
        deadline = time.monotonic() + 90
        while not _healthy(api):
            assert time.monotonic() < deadline, "prefect server did not start"
            time.sleep(1)
        served = subprocess.Popen(
            [
                str(bin_dir / "dateline"),
                "serve",
                "--cron",
                "* * * * *",
                "--sources",
                str(tmp_path / "sources.toml"),
                "--warehouse",
                str(tmp_path / "w.duckdb"),
            ],
            env={**env, "PREFECT_API_URL": api},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 150
        while not (states := _ingest_states(api)).count("Completed"):
            assert time.monotonic() < deadline, f"no scheduled run completed: {states}"
            assert served.poll() is None, "dateline serve exited"
            time.sleep(3)
        served.send_signal(signal.SIGINT)
        out, err = served.communicate(timeout=20)
        assert served.returncode == 0 and "Traceback" not in err, err[-2000:]
        assert out.strip().splitlines()[-1] == "dateline serve stopped: 4 of 4 deployment schedules paused", out
        assert _paused(api) == {True}
    finally:
        for process in (served, server):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("select headline from fact_story").fetchall() == [
            ("Harbour authority opens new container terminal in Gwadar",)
        ]


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _ingest_states(api: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        return [run.state_name for run in client.read_flow_runs() if run.deployment_id and run.name]


def _paused(api: str) -> set[bool]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        return {deployment.paused for deployment in client.read_deployments()}
