"""Hostile and broken pages: a record with what could be read, or ParseError with a reason; nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.document import parse_document
from transforms.parsers.html.document import MAX_INPUT_BYTES

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PARAGRAPH = "<p>" + "The council met on Tuesday to discuss the new budget for schools and roads. " * 3 + "</p>"


def page(head: str = "", body: str = PARAGRAPH * 4) -> str:
    title = "Budget talks resume"
    return f"<html><head><title>{title}</title>{head}</head><body><h1>{title}</h1>{body}</body></html>"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        ("", "empty"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00" * 20,
            "not_html",
        ),
        (b"\x1f\x8b\x08\x00compressed", "not_html"),
        (b"just a line of plain text, no markup at all", "not_html"),
        (b'{"json": "is not a page"}', "not_html"),
    ],
)
def test_input_that_is_not_a_page_is_rejected_with_a_reason(data, reason):
    with pytest.raises(ParseError) as raised:
        parse_article(data, locator="bad")
    assert raised.value.reason == reason


def test_page_without_article_is_rejected():
    with pytest.raises(ParseError) as raised:
        parse_article((FIXTURES / "no_article.html").read_bytes(), locator="nav")
    assert raised.value.reason == "no_article"


def test_truncated_html_still_gives_what_was_read():
    full = (FIXTURES / "wire_story.html").read_text()
    record = parse_article(full[: full.index("Engineers said")], locator="cut")
    assert record.title == "Floods cut road links to northern valleys"
    assert record.published_at == "2025-02-06T09:30:00+05:00"
    assert "disaster management authority" in record.body


def test_fifty_megabyte_page_is_capped_not_parsed_whole():
    huge = page(body=PARAGRAPH * 4 + "<div>" + "x" * (50 * 1024 * 1024) + "</div>").encode()
    record = parse_article(huge, locator="huge")
    assert record.title == "Budget talks resume"
    assert len(record.body) < MAX_INPUT_BYTES


def test_ten_thousand_levels_of_nesting():
    nested = "<div>" * 10_000 + PARAGRAPH * 4 + "</div>" * 10_000
    try:
        record = parse_article(page(body=nested), locator="deep")
    except ParseError as error:  # allowed: a clear reason instead of a crash
        assert error.reason in {"no_article", "unreadable"}
    else:
        assert record.title == "Budget talks resume"


@pytest.mark.parametrize(
    "json_ld",
    [
        '{"@type": "NewsArticle", "headline": "Broken", "datePublished": ',
        '{"@type": "NewsArticle", "author": {"name": ["nested", {"deep": []}]}, "datePublished": 20250206}',
        "[" * 5000 + "]" * 5000,
        '{"@type": ["NewsArticle"], "datePublished": null, "author": [null, 3, {"@type": "Person"}]}',
    ],
)
def test_broken_json_ld_is_ignored(json_ld):
    record = parse_article(page(head=f'<script type="application/ld+json">{json_ld}</script>'), locator="ld")
    assert record.title == "Budget talks resume"
    assert "council met" in record.body


@pytest.mark.parametrize("value", ["2025-02-30", "10000-01-01T00:00:00Z", "2025-13-01", "0000-00-00", "yesterday-ish"])
def test_invalid_dates_are_dropped_not_raised(value):
    head = (
        f'<meta property="article:published_time" content="{value}">'
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "dateModified": "{value}"}}</script>'
    )
    record = parse_article(page(head=head), locator="dates")
    assert record.published_at is None
    assert record.updated_at is None


def test_invalid_declared_date_falls_back_to_a_valid_one():
    head = (
        '<meta property="article:published_time" content="2025-02-30T10:00:00Z">'
        '<meta name="pubdate" content="2025-02-06T10:00:00+01:00">'
    )
    assert parse_article(page(head=head), locator="d").published_at == "2025-02-06T10:00:00+01:00"


def test_undecodable_bytes_are_read_with_the_declared_charset():
    html = page(head='<meta charset="windows-1252">').replace("council", "café council").encode("cp1252")
    record = parse_article(html, locator="latin")
    assert "café council" in record.body


# Without a charset in the page, charset-normalizer alone reads these as CJK or cp1250 mojibake.
NORDIC = "Björn Ångström met Søren on Tuesday. Ça va? Oui, très bien."


@pytest.mark.parametrize("charset", ["windows-1252", "ISO-8859-1"])
def test_http_charset_decides_a_page_without_meta_charset(charset):
    html = page(body=PARAGRAPH * 2 + f"<p>{NORDIC}</p>").encode("cp1252")
    [record] = parse_document(html, locator="latin", content_type=f"text/html; charset={charset}")
    assert NORDIC in record.body


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ('<meta charset="windows-1251">', None),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', "text/html"),
        ('<meta charset="iso-8859-2">', "text/html; charset=windows-1252"),
    ],
)
def test_valid_utf8_stays_utf8_whatever_the_page_declares(head, content_type):
    html = page(head=head, body=PARAGRAPH * 2 + f"<p>{NORDIC}</p>").encode("utf-8")
    [record] = parse_document(html, locator="utf8", content_type=content_type)
    assert NORDIC in record.body


def test_utf16_page_with_bom_is_text_not_binary():
    record = parse_article(page().encode("utf-16"), locator="utf16")
    assert record.title == "Budget talks resume"
