"""Bad input degrades to fewer results: other scripts, ALL CAPS, 1 MB, no sentences, empty fields."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.enrich import Mention, MentionDetector, enrich_stories


def _enrich(body: str, headline: str | None = "Report", language: str | None = None):
    frame = pl.DataFrame(
        {
            "story_id": ["x"],
            "headline": [headline],
            "body": [body],
            "published_day": [date(2025, 3, 4)],
            "language": [language],
        },
        schema_overrides={"headline": pl.String, "language": pl.String},
    )
    return enrich_stories(frame)


def test_other_scripts_give_no_entities_and_no_rejects():
    for body, language in (
        ("巴基斯坦总统扎尔达里周四在北京会见了中国总理李强。双方讨论了经济合作。", "zh"),
        ("التقى الرئيس الباكستاني آصف علي زرداري رئيس الوزراء الصيني لي تشيانغ في بكين يوم الخميس.", "ar"),
        ("Президент Пакистана Асиф Али Зардари встретился в Пекине с премьером Ли Цяном в четверг.", None),
    ):
        result = _enrich(body, language=language)
        assert result.rejects == []
        assert result.entities.is_empty(), body


def test_other_latin_languages_get_no_english_enrichment():
    # Only English is supported: English rules and gazetteer cues on German text would invent names.
    body = (
        "Der Bundeskanzler Olaf Scholz traf am Donnerstag in Berlin den Präsidenten der Republik, "
        "und die Regierung sprach über die Wirtschaft und die Sicherheit des Landes."
    )
    enrichment = _enrich(body, headline=None)  # language unknown: detected as not English
    assert enrichment.rejects == []
    assert enrichment.entities.is_empty()
    assert enrichment.topics.filter(enrichment.topics["scheme"] == "iptc").is_empty()


def test_all_caps_text_gives_no_people_and_no_junk():
    body = (
        "PRESIDENT ASIF ALI ZARDARI MET CHINESE PREMIER LI QIANG IN BEIJING ON THURSDAY. THE TWO LEADERS "
        "DISCUSSED TRADE, SECURITY AND THE CHINA-PAKISTAN ECONOMIC CORRIDOR WITH OFFICIALS."
    )
    result = _enrich(body, headline="BREAKING NEWS")
    assert result.rejects == []
    assert set(result.entities["name"]) <= {"Beijing", "China", "Pakistan"}
    assert "person" not in set(result.entities["entity_type"])


def test_one_megabyte_of_text_completes_with_bounded_results():
    paragraph = "Officials in Lahore said the Punjab Assembly met on Monday, Governor Zara Quill said. "
    result = _enrich(paragraph * (1_000_000 // len(paragraph)))
    assert result.rejects == []
    names = set(result.entities["name"])
    assert {"Lahore", "Punjab Assembly", "Zara Quill"} <= names
    assert len(names) < 10
    assert result.date_mentions["phrase"].to_list() == ["on Monday"]


def test_text_without_sentences_gives_nothing_odd():
    body = "\n".join(["12 34 56 --- ### ||| 7.8.9"] * 50 + ["a b c d e f g"] * 20)
    result = _enrich(body, headline="")
    assert result.rejects == []
    assert result.entities.is_empty()
    assert result.quotes.is_empty()


def test_empty_and_missing_fields():
    frame = pl.DataFrame(
        {"story_id": ["e1", "e2"], "headline": [None, ""], "body": ["", None]},
        schema={"story_id": pl.String, "headline": pl.String, "body": pl.String},
    )
    result = enrich_stories(frame)
    assert result.rejects == []
    assert result.entities.is_empty() and result.topics.is_empty() and result.date_mentions.is_empty()


class _BrokenDetector(MentionDetector):
    version = "test"

    def detect(self, text: str, *, english: bool) -> list[Mention]:
        if "boom" in text:
            raise RuntimeError("model crashed")
        return []


def test_a_story_whose_enrichment_fails_becomes_a_reject_and_the_others_go_on():
    frame = pl.DataFrame(
        {"story_id": ["ok", "bad"], "headline": ["Fine", "Also fine"], "body": ["The election was held.", "boom"]}
    )
    result = enrich_stories(frame, detector=_BrokenDetector())
    assert result.rejects == [("bad", "enrich_failed", "RuntimeError: model crashed")]
    assert set(result.topics["story_id"]) == {"ok"}  # a rejected story has no enrichment rows at all


_PIECES = [*"ABCXYZabcxyz .,:;'’“”\"()-\n0123456789éüÄ中ع", "Mr. ", " said ", " on Monday ", "President ", "(UN)"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=300).map("".join))
def test_any_text_enriches_without_a_reject(body):
    result = _enrich(body, headline=body[:40])
    assert result.rejects == []
    assert (result.entities["mentions"] >= 1).all()


def test_english_without_a_language_gets_english_rules():
    body = (
        "President Asif Ali Zardari met the Chinese premier in Beijing on Thursday, and the two leaders "
        "discussed trade and security, officials said after the talks."
    )
    entities = _enrich(body)  # language unknown: the detector reads it as English
    assert "person" in set(entities.entities["entity_type"])
