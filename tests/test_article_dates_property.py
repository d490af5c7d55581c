"""Property tests: the date normaliser and the URL date reader never raise and only emit valid ISO."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parsers.dates import normalise_date
from transforms.parsers.html.published import date_from_url

ZONES = st.sampled_from([None, "UTC", "Asia/Karachi", "America/New_York", "Not/AZone", ""])
DATEISH = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A\d{1,5}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?)?\Z"),
    st.from_regex(r"\A(Updated|Published)? ?\d{1,2} (January|February|Foo) \d{1,5}( \d{1,2}:\d{2})?\Z"),
    st.datetimes().map(lambda d: d.isoformat()),
)


def assert_valid_iso(value: str | None) -> None:
    if value is None:
        return
    if len(value) == 10:
        date.fromisoformat(value)
    else:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert parsed.tzinfo is not None  # a time is only given with an offset, never naive
    assert 1990 <= int(value[:4]) <= 2100


@settings(max_examples=300, deadline=None)
@given(DATEISH, ZONES)
def test_normalise_date_never_raises_and_gives_iso_or_none(text, zone):
    assert_valid_iso(normalise_date(text, zone))


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), ZONES)
def test_datetime_objects_keep_their_day(moment, zone):
    result = normalise_date(moment, zone)
    assert_valid_iso(result)
    if result is not None:
        assert result[:10] == moment.date().isoformat()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_date_from_url_never_raises(url):
    assert_valid_iso(date_from_url("https://example.com/" + url))


def test_day_alone_stays_a_day_and_impossible_days_are_none():
    assert normalise_date("Updated 06 February 2025") == "2025-02-06"
    assert normalise_date("2025-02-30") is None
    assert normalise_date("10000-01-01") is None


def test_fuzzy_parsing_does_not_build_a_year_from_other_digits():
    assert normalise_date("COVID-19 Shots as of Oct. 31, 2023 Deadline") != "2031-10-19"
    assert normalise_date("Oct. 31, 2023") == "2023-10-31"


MONTHS = {
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(sorted(MONTHS)))
def test_dates_written_with_month_names_of_other_languages(day, language):
    month = MONTHS[language].split()[day.month - 1]
    joiner = " de " if language in ("es", "pt") else " "
    assert normalise_date(f"{day.day}{joiner}{month}{joiner}{day.year}") == day.isoformat()
    assert normalise_date(f"{day.day}{joiner}{month.capitalize()}{joiner}{day.year}") == day.isoformat()
