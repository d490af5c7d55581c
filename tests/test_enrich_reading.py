"""What the NER model reads (`reading.py`): windows around capitalised words, mapped back to the story.
Stories here are written for these tests."""

from __future__ import annotations

from transforms.enrich.model import ModelMentionDetector, detector_version, model_version
from transforms.enrich.reading import reading, windows

COMMON = frozenset(("the", "he", "us"))
STORY = "The talks went on for a long time without any result at all until Marta Kowalczyk arrived late."


def test_windows_hold_context_words_either_side_of_a_name_and_skip_common_openers():
    spans = windows(STORY, 2, COMMON)
    assert [STORY[s:e] for s, e in spans] == ["all until Marta Kowalczyk arrived late."]


def test_overlapping_windows_merge_and_none_reads_the_whole_text():
    text = "Anna met Boris and then Carla left the room quietly."
    assert [text[s:e] for s, e in windows(text, 1, COMMON)] == ["Anna met Boris and then Carla left"]
    assert windows(text, None, COMMON) == [(0, len(text))]


def test_a_sentence_opener_the_story_writes_in_lower_case_opens_no_window_but_an_acronym_does():
    text = "Police closed the road and the police left. The troops of the US stayed."
    read = [text[s:e] for s, e in windows(text, 1, COMMON)]
    assert read == ["the US stayed."]


def test_offsets_map_back_to_the_story_and_a_span_across_two_windows_maps_to_nothing():
    spans = [(0, 5), (20, 31)]
    text = "Alpha is here and so Beta Gamma is."
    read = reading(text, spans)
    start = read.text.index("Beta Gamma")
    assert read.original(start, start + 10) == (21, 31)
    assert text[21:31] == "Beta Gamma"
    assert read.original(0, start + 4) is None


def test_the_model_finds_the_same_entities_in_windows_as_in_the_whole_text():
    text = (
        "The weather was mild and the market was quiet for most of the morning session.\n\n"
        "Officials at the Bank of Portugal said on Monday that Prime Minister Luis Montenegro would visit Lisbon."
    )
    whole = ModelMentionDetector(context_words=None).detect(text, english=True)
    windowed = ModelMentionDetector().detect(text, english=True)
    assert windowed == whole
    assert ModelMentionDetector().reading(text).text != text


def test_each_reading_has_its_own_version():
    assert detector_version() == model_version()
    assert detector_version(context_words=None) == f"{model_version()}/whole-text"
    assert detector_version(context_words=5) == f"{model_version()}/5-words-around-capitals"
