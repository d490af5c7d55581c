"""Feed parsing: RSS 0.91/1.0/2.0, Atom and JSON Feed fixtures, the XML guard, and fuzzed input."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.errors import ParseError
from transforms.parsers.feed import FeedLink, FeedResult, looks_like_feed, parse_feed
from transforms.parsers.xml_guard import MAX_LENIENT_BYTES, MAX_XML_BYTES

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_REASONS = {"empty", "too_large", "xml_attack", "bad_encoding", "bad_json", "not_feed", "unparseable"}


def _feed(name: str, **kwargs: object) -> FeedResult:
    return parse_feed((FIXTURES / name).read_bytes(), locator=name, **kwargs)  # type: ignore[arg-type]


def test_rss20_items_with_full_text_standfirst_authors_and_categories() -> None:
    result = _feed("harbour-rss20.xml", url="https://gazette.example/feed.xml")

    assert (result.format, result.wellformed, result.encoding) == ("rss20", True, "utf-8")
    assert result.title == "Karsvik Harbour Gazette & Tribune"
    assert result.link == "https://gazette.example/"
    assert result.self_url == "https://gazette.example/feed.xml"
    assert result.language == "en"
    assert result.updated_at == "2025-03-04T18:00:00+01:00"
    assert FeedLink("https://gazette.example/feed.json", "application/feed+json", "JSON Feed") in result.alternates
    assert len(result.records) == 2  # the third item has nothing to read

    lane, tram = result.records
    assert lane.url == "https://gazette.example/2025/03/04/night-lane"  # relative link resolved
    assert lane.title == "Port authority approves night shipping lane"
    assert lane.summary == ["Night lane to open for vessels under 200 metres from April"]
    assert lane.authors == ["Ilse Varnholm", "Tomas Berg"]
    assert lane.published_at == "2025-03-04T09:30:00+01:00"  # offset kept
    assert lane.updated_at is None
    assert lane.tags == ["Shipping", "Karsvik"]  # case-insensitive duplicates folded
    assert lane.section is None
    assert lane.dateline == "KARSVIK"
    assert lane.body == (
        "The port authority on Tuesday approved a night shipping lane for mid-sized vessels."
        "\n\nThe lane will run along the eastern breakwater.\n\nIt opens in April."
        "\n\nLit by new buoys\n\nTwo pilot shifts"
    )
    assert "track()" not in lane.body and "Pilots at the outer basin" not in lane.body
    assert lane.language == "en" and lane.input == "harbour-rss20.xml"

    assert tram.authors == ["Mara Lindqvist"]  # "desk@... (Name)": the e-mail dropped, the name whole
    assert tram.published_at == "2025-11-10"  # a day stays a day
    assert tram.summary == []  # a cut-off excerpt "[…]" is not a standfirst
    assert tram.body == ""
    assert (tram.section, tram.tags) == ("City", ["City"])


def test_atom_entries_keep_offsets_html_titles_and_language() -> None:
    result = _feed("harbour-atom.xml")

    assert (result.format, result.title, result.language) == ("atom10", "Eskholm Kystposten", "nb")
    assert result.alternates == [FeedLink("https://kystposten.example/", "text/html", None)]
    assert result.self_url == "https://kystposten.example/atom.xml"
    path, short = result.records
    assert path.published_at == "2025-07-14T21:15:00+02:00"
    assert path.updated_at == "2025-07-15T07:05:00+02:00"
    assert path.authors == ["Sigrid Aune", "Per Holm"]  # "By" dropped, e-mail not a name
    assert path.summary == ["Over to hundre frivillige ryddet stormskader i helgen."]
    assert path.body == "Over to hundre frivillige ryddet kyststien etter stormen.\n\nStien åpner igjen fredag."
    assert (path.dateline, path.section, path.tags) == ("ESKHOLM", "Lokalt", ["Lokalt"])
    assert (short.published_at, short.updated_at) == (None, "2025-07-15")
    assert short.summary == ["Fergen går som normalt."]


def test_rss10_with_a_declared_latin1_charset_and_dc_fields() -> None:
    result = _feed("lakeside-rss10.rdf")

    assert (result.format, result.encoding, result.language) == ("rss10", "iso-8859-1", "de")
    (record,) = result.records
    assert record.title == "Schule eröffnet Robotik-Labor"
    assert record.authors == ["Hines, P. J."]  # surname-first is one person
    assert record.updated_at == "2025-06-02T10:00:00+02:00"
    assert record.section == "Bildung"


def test_rss091_with_the_netscape_doctype_is_not_an_attack() -> None:
    result = _feed("ferry-rss091.xml")

    assert result.format == "rss091n"
    assert [r.title for r in result.records] == ["Evening crossing moved to 19:40"]
    assert result.records[0].url == "https://ferry.example/notices/1940"


def test_json_feed_items_and_hostile_values_inside_it() -> None:
    result = _feed("tram-feed.json")

    assert (result.format, result.title, result.link) == (
        "json1.1",
        "Karsvik Transit Desk",
        "https://transit.example/",
    )
    assert result.self_url == "https://transit.example/feed.json"
    assert result.alternates == [FeedLink("https://transit.example/", "text/html")]
    vote, buses = result.records  # a string item and an item with only an id are skipped
    assert vote.title == "Council votes to restore tram line"
    assert vote.summary == ["Line closed in 1974 will reopen in stages from 2027"]
    assert vote.body == "The council voted on Monday to restore the tram line.\n\nWorks start in 2027."
    assert vote.dateline == "KARSVIK"
    assert (vote.published_at, vote.updated_at) == ("2025-11-10T19:05:00-05:00", "2025-11-11T08:00:00-05:00")
    assert vote.authors == ["Mara Lindqvist"]
    assert vote.tags == ["Transport", "Karsvik"]
    assert buses.title is None  # 42 is not a title
    assert buses.url == "https://elsewhere.example/buses"
    assert buses.published_at is None  # 30 February does not exist
    assert buses.body == "Buses will replace trams on Sundays.\n\nTimetables follow next week."


@pytest.mark.parametrize(
    ("pub_date", "expected"),
    [
        ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T19:42:40-03:00"),
        ("Di, 04 Mär 2025 09:30:00 +0100", "2025-03-04T09:30:00+01:00"),
        ("lun. 3 févr. 2025 08:00:00 +0100", "2025-02-03T08:00:00+01:00"),
        ("Tue, 04 Mar 2025 09:30:00 GMT", "2025-03-04T09:30:00Z"),
        ("Tue, 31 Feb 2025 09:30:00 GMT", None),
        ("sometime last week", None),
    ],
)
def test_item_dates_in_other_languages_and_impossible_dates(pub_date: str, expected: str | None) -> None:
    item = f"<item><title>t</title><pubDate>{pub_date}</pubDate></item>"
    result = parse_feed(f"<rss version='2.0'><channel>{item}</channel></rss>".encode(), locator="x")
    assert result.records[0].published_at == expected


def test_http_charset_header_decides_an_undeclared_document() -> None:
    text = "<rss version='2.0'><channel><title>Caf\u00e9 \u201cnews\u201d</title></channel></rss>"
    content = text.encode("windows-1252")

    declared = parse_feed(content, locator="x", headers={"Content-Type": "application/rss+xml; charset=windows-1252"})
    assert (declared.title, declared.encoding, declared.wellformed) == (
        "Caf\u00e9 \u201cnews\u201d",
        "windows-1252",
        True,
    )
    guessed = parse_feed(content, locator="x")
    assert guessed.title == "Caf\u00e9 \u201cnews\u201d"
    assert not guessed.wellformed and "detected" in (guessed.problem or "")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n\x00 ", "empty"),
        (b"/etc/passwd", "not_feed"),  # feedparser would open a path; the parser never does
        (b"<html><body><p>Not a feed</p></body></html>", "not_feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "not_feed"),
        (b'{"title": "plain JSON"}', "not_feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "bad_json"),
        (
            b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel><title>&a;&a;</title></channel></rss>',
            "xml_attack",
        ),
        (
            b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><rss><channel>&e;</channel></rss>',
            "xml_attack",
        ),
        (b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><rss/>', "xml_attack"),
        (
            '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "x">]><rss>&a;</rss>'.encode("utf-16"),
            "xml_attack",
        ),
    ],
)
def test_unusable_or_hostile_documents_are_rejected_with_a_reason(content: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(content, locator="x")
    assert caught.value.reason == reason


def test_a_declaration_after_the_root_element_is_never_expanded() -> None:
    """feedparser only honours declarations before the first element, so this one stays inert text."""
    entity = b'<!ENTITY a "' + b"B" * 100_000 + b'">'
    content = b"junk <rss version='2.0'><channel><!DOCTYPE r [" + entity + b"]><item><title>"
    result = parse_feed(content + b"&a;" * 5_000 + b"</title></item></channel></rss>", locator="x")
    (record,) = result.records
    assert record.title is not None and "B" not in record.title
    assert not result.wellformed


def test_oversized_documents_are_refused_before_parsing() -> None:
    content = b"<rss><channel>" + b"x" * MAX_XML_BYTES + b"</channel></rss>"
    with pytest.raises(ParseError) as caught:
        parse_feed(content, locator="big")
    assert caught.value.reason == "too_large"


def test_large_ill_formed_documents_are_refused_rather_than_read_leniently() -> None:
    broken = b"<rss version='2.0'><channel><item><title>a & b</title>"  # a bare "&": not XML
    small = parse_feed(broken + b"</item></channel></rss>", locator="small")
    assert not small.wellformed and small.records[0].title == "a & b"
    with pytest.raises(ParseError) as caught:
        parse_feed(broken + b"<p>filler</p>" * (MAX_LENIENT_BYTES // 13), locator="large")
    assert caught.value.reason == "too_large"


def test_deeply_nested_markup_inside_an_item_still_parses() -> None:
    nested = "<div>" * 10_000 + "deep text" + "</div>" * 10_000
    item = f"<item><title>Deep</title><description><![CDATA[{nested}]]></description></item>"
    result = parse_feed(f"<rss version='2.0'><channel>{item}</channel></rss>".encode(), locator="deep")
    assert result.records[0].title == "Deep"
    assert result.records[0].summary == ["deep text"]


def test_sniffing_recognises_every_fixture_and_nothing_else() -> None:
    for path in FIXTURES.iterdir():
        assert looks_like_feed(path.read_bytes()), path.name
    assert looks_like_feed(codecs.BOM_UTF16_LE + "<?xml version='1.0'?>\n<!-- c --><feed/>".encode("utf-16-le"))
    assert not looks_like_feed(b"<!DOCTYPE html><html><head><title>x</title></head></html>")
    assert not looks_like_feed(b'{"title": "plain JSON"}')
    assert not looks_like_feed(b"Headline\n\nUpdated 06 February 2025\n")
    assert not looks_like_feed(b"")


_FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.iterdir())]


@st.composite
def _mutated_fixture(draw: st.DrawFn) -> bytes:
    """A fixture with a random slice replaced: truncations, stray bytes, broken markup."""
    content = draw(st.sampled_from(_FIXTURE_BYTES))
    start = draw(st.integers(0, len(content)))
    end = draw(st.integers(start, min(len(content), start + 200)))
    return content[:start] + draw(st.binary(max_size=40)) + content[end:]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_mutated_fixture(), st.binary(max_size=300)))
def test_fuzzed_feeds_give_a_result_or_a_parse_error(content: bytes) -> None:
    try:
        result = parse_feed(content, locator="fuzz")
    except ParseError as error:
        assert error.reason in FEED_REASONS
        return
    for record in result.records:
        assert record.input == "fuzz"
        assert record.url is None or record.url.startswith(("http://", "https://"))
        assert record.title or record.url or record.body or record.summary
