"""Story dumps: the seed's shape, its variations, and arbitrary text that must never crash the parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.errors import ParseError
from transforms.parsers.dump import looks_like_dump, parse_dump

FIXTURES = Path(__file__).parent / "fixtures" / "dumps"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _dump(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_two_story_dump_gives_every_field_of_both_stories() -> None:
    first, second = parse_dump(_dump("harbour-two-stories.txt"), locator="dump.txt", source="gazette")

    assert first.title == "Port authority approves night shipping lane as Karsvik seeks faster cargo clearance"
    assert first.updated_at == "2025-03-04"
    assert first.published_at is None
    assert first.dateline == "KARSVIK"
    assert first.summary == [
        "Night lane to open for vessels under 200 metres from April",
        "Pilots' union calls the plan 'workable but tight'",
    ]
    assert first.image_caption == (
        "Harbour pilots guide a container vessel into the Karsvik outer basin on March 3, 2025. (Harbour Office)"
    )
    assert first.body.startswith("The Karsvik port authority on Tuesday approved")
    assert first.body.endswith("tug availability after midnight.")
    assert first.body.count("\n\n") == 3
    assert "Harbour pilots guide" not in first.body
    assert "Short Url" not in first.body and "Follow" not in first.body
    assert first.input == "dump.txt" and first.source == "gazette" and first.url is None

    assert second.title == "Karsvik council votes to restore tram line to the old quarter"  # NBSP dropped
    assert second.updated_at == "2025-11-11"
    assert second.image_caption is None
    assert second.summary[0] == "Line closed in 1974 will reopen in stages from 2027"
    assert second.body.startswith("Karsvik's city council on Monday")
    assert "Karsvik council votes" not in second.body


def test_variations_published_wording_no_bullets_no_repeat_and_credited_caption() -> None:
    school, path, library = parse_dump(_dump("variations.txt"), locator="v.txt")

    assert school.title == "Lakeside school opens robotics lab for rural pupils"
    assert (school.published_at, school.updated_at) == ("2025-06-02", None)
    assert school.dateline == "LINDAU FALLS"
    assert school.summary == []
    assert school.body == (
        "A lakeside secondary school opened a robotics laboratory on Monday for pupils from twelve villages."
        "\n\nTeachers said the lab would run weekend clubs."
    )

    assert path.title == "Volunteers clear storm debris from coastal path"
    assert path.image_caption == "A volunteer carries a fallen branch along the coastal path near Eskholm. (Supplied)"
    assert (path.published_at, path.updated_at) == ("2025-07-14", "2025-07-15")
    assert path.dateline == "ESKHOLM"
    assert path.body.startswith("More than two hundred volunteers")

    assert library.title == "Library extends opening hours during exam season"
    assert library.updated_at == "2026-01-20"
    assert library.summary == ["Reading rooms open until midnight for six weeks"]
    assert library.dateline is None  # "Note:" is not a place
    assert library.body.endswith("Note: the extended hours do not apply to the archive.")


def test_windows_line_endings_and_extra_blank_lines_change_nothing() -> None:
    text = _dump("harbour-two-stories.txt")
    noisy = text.replace("\n\n", "\n\n\n\n").replace("\n", "\r\n")
    assert parse_dump(noisy, locator="x") == parse_dump(text, locator="x")


def test_sniffing_tells_dumps_from_other_documents() -> None:
    assert looks_like_dump(_dump("harbour-two-stories.txt"))
    assert looks_like_dump(_dump("variations.txt"))
    assert not looks_like_dump("<html><body>Updated 06 February 2025</body></html>")
    assert not looks_like_dump("Just a note written on 6 February 2025.")
    assert not looks_like_dump("Headline\nUpdated 31 February 2025\n")  # no such day


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), ("\r\n  \n", "empty"), ("A headline\n\nA paragraph.", "not_dump")]
)
def test_documents_without_stories_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_dump(text, locator="x")
    assert caught.value.reason == reason


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present in this checkout")
def test_the_users_seed_dump() -> None:
    (path,) = sorted(SEEDS.glob("*.txt"))
    first, second = parse_dump(path.read_text(encoding="utf-8"), locator=str(path))

    assert first.title == (
        "China, Pakistan urge Afghanistan to act against militants as Zardari seeks stronger economic ties"
    )
    assert second.title == (
        "Pakistan, global crypto exchange discuss modernizing digital payments, creating job prospects"
    )
    assert (first.updated_at, second.updated_at) == ("2025-02-06", "2025-12-05")
    assert (first.published_at, second.published_at) == (None, None)
    assert (first.dateline, second.dateline) == ("ISLAMABAD", "ISLAMABAD")
    assert first.summary == [
        "Pakistan recognizes commitment to ensuring safety of Chinese workers, calls it ‘foremost responsibility’",
        "President Zardari meets Chinese Premier Li Qiang, seeks enhanced people-to-people exchanges",
    ]
    assert second.summary == [
        "Pakistani officials, Binance team discuss coordination between Islamabad, local banks and global exchanges",
        "Pakistan has attempted to tap into growing crypto market to curb illicit transactions, improve oversight",
    ]
    assert first.image_caption is not None and first.image_caption.startswith("Pakistani President Asif Ali Zardari")
    assert first.image_caption not in first.body
    assert "Li Qiang in Beijing, China, on February 5" not in first.body
    assert second.image_caption is None
    assert first.body.startswith("China and Pakistan on Thursday")
    assert second.body.startswith("Pakistan’s finance officials")
    for record in (first, second):
        assert "Short Url" not in record.body and "\nFollow" not in record.body
        assert record.title not in record.body


# --- property-based: any text gives stories with titles, or a ParseError -------------------------

_LINE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "Short Url", "Follow", "  • a bullet", "ISLAMABAD: text", "Updated 06 February 2025"]),
    st.builds(
        "{} {} {} {}".format,
        st.sampled_from(["Updated", "Published", "updated:", "Last updated"]),
        st.integers(0, 40),
        st.sampled_from(["February", "Feb", "Smarch", "December"]),
        st.integers(0, 12000),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]))
def test_arbitrary_text_gives_titled_records_or_a_parse_error(lines: list[str], newline: str) -> None:
    try:
        records = parse_dump(newline.join(lines), locator="fuzz")
    except ParseError as error:
        assert error.reason in {"empty", "not_dump"}
        return
    assert records
    for record in records:
        assert record.title and record.title.strip() == record.title
        assert record.updated_at is None or len(record.updated_at) == 10
        assert record.published_at is None or len(record.published_at) == 10


_VOCABULARY = [
    "harbour",
    "council",
    "Tuesday",
    "lane",
    "pilots",
    "vote",
    "the",
    "of",
    "Karsvik",
    "tram",
    "2027",
]
_WORDS = st.lists(st.sampled_from(_VOCABULARY), min_size=2, max_size=9).map(" ".join)
_SENTENCES = _WORDS.map(lambda words: words[0].upper() + words[1:] + ".")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(_WORDS, st.lists(_WORDS, max_size=2), st.lists(_SENTENCES, min_size=1, max_size=4), st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda story: story[0].casefold(),
    )
)
def test_generated_dumps_round_trip_headlines_bullets_and_bodies(
    stories: list[tuple[str, list[str], list[str], bool]],
) -> None:
    chunks = []
    for day, (headline, bullets, paragraphs, with_chrome) in enumerate(stories, start=1):
        header = [
            headline,
            "",
            "Short Url" if with_chrome else "",
            f"Updated {day:02d} March 2025",
            "Follow",
            "",
        ]
        chunks.append("\n".join([*header, headline, "", *(f"  • {b}" for b in bullets), "", "\n\n".join(paragraphs)]))
    records = parse_dump("\n\n\n".join(chunks), locator="gen")

    assert [r.title for r in records] == [story[0] for story in stories]
    assert [r.summary for r in records] == [story[1] for story in stories]
    assert [r.body for r in records] == ["\n\n".join(story[2]) for story in stories]
    assert [r.updated_at for r in records] == [f"2025-03-{day:02d}" for day in range(1, len(stories) + 1)]
