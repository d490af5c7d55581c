"""`DATELINE_ENTITIES` picks the entity detector every worker uses, and what the workers preload."""

from __future__ import annotations

import pytest

from flows.pipeline.enrich import enrich_parallel
from flows.runtime import workers
from flows.runtime.settings import entity_mode
from tests.test_enrich_entities import _frame
from transforms.enrich import enrich_stories
from transforms.enrich.rules import RuleMentionDetector


def test_the_accurate_model_is_the_default_and_a_bad_mode_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATELINE_ENTITIES", raising=False)
    assert entity_mode() == "model"
    assert "transforms.enrich.preload_model" in workers._preloads()
    monkeypatch.setenv("DATELINE_ENTITIES", "fast")
    with pytest.raises(ValueError, match="DATELINE_ENTITIES='fast': use one of model, lead, rules"):
        entity_mode()


def test_rules_mode_enriches_with_the_rules_alone_and_preloads_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATELINE_ENTITIES", "rules")
    assert "transforms.enrich.preload_model" not in workers._preloads()
    body = "KARACHI: Pakistan's Finance Minister Muhammad Aurangzeb met IMF officials on Monday.\n\nTalks go on."
    stories = _frame(("s1", "Talks on the loan", body))
    assert enrich_parallel(stories).entities.equals(enrich_stories(stories, RuleMentionDetector()).entities)
