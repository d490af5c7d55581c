"""Shared fixtures: a real Prefect API for flow tests, and where the shared evaluation data lives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli.prefect_env import quiet_prefect

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
def prefect_api() -> Iterator[None]:
    """A temporary Prefect server and database for the whole session (about 4 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def seed_files() -> list[Path]:
    """The user's own example dumps; tests that need them skip on a clone without ../shared."""
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    if not files:
        pytest.skip("../shared/seeds is not present")
    return files
