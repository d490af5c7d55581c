"""Shared fixtures: a real Prefect API for flow tests, and where the shared evaluation data lives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli.prefect_env import prefect_api_of_its_own, quiet_prefect

# A loaded CI machine can take longer than a user's terminal to start the session's API server.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
quiet_prefect()

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"
# The views the contract promises analysts (sql/views/).
CONTRACT_VIEWS = (
    "v_topic_daily",
    "v_topic_weekly",
    "v_entity_daily",
    "v_entity_cooccurrence",
    "v_trending_topics",
    "v_source_daily",
    "v_story",
)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Prefect API server on a temporary database for the whole session (about 4 s to start).

    It is started the way `dateline run` starts its own, not with Prefect's test harness: the
    harness's server outlives a pytest that is killed (no fixture teardown runs on SIGTERM), while
    this one has a parent-death signal and is stopped at exit."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    database = tmp_path_factory.mktemp("prefect") / "prefect.db"
    with (
        temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{database}"}),
        prefect_api_of_its_own(),
    ):
        yield


def seed_files() -> list[Path]:
    """The user's own example dumps; tests that need them skip on a clone without ../shared."""
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    if not files:
        pytest.skip("../shared/seeds is not present")
    return files
