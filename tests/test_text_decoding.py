"""Bytes to text: declared charsets are trusted only when they decode, and common lies are undone."""

from __future__ import annotations

import pytest

from transforms.text_decoding import decode_text

TEXT = "<p>It\u2019s the caf\u00e9 \u2013 \u201cna\u00efve\u201d r\u00e9sum\u00e9</p>"


def test_http_charset_is_used_when_it_decodes() -> None:
    assert decode_text(TEXT.encode("utf-8"), "text/html; charset=UTF-8") == (TEXT, "utf-8")
    koi8 = "<p>\u041f\u0440\u0438\u0432\u0435\u0442</p>"
    assert decode_text(koi8.encode("koi8-r"), "text/html; charset=koi8-r") == (koi8, "koi8-r")


def test_utf8_declared_page_in_windows_1252_comes_out_right() -> None:
    assert decode_text(TEXT.encode("cp1252"), "text/html; charset=utf-8") == (TEXT, "cp1252")


def test_latin1_declared_page_that_is_utf8_comes_out_right() -> None:
    assert decode_text(TEXT.encode("utf-8"), "text/html; charset=iso-8859-1") == (TEXT, "utf-8")


def test_bom_beats_the_header() -> None:
    body = "\ufeff".encode("utf-16-le") + TEXT.encode("utf-16-le")
    assert decode_text(body, "text/html; charset=iso-8859-1") == (TEXT, "utf-16-le")
    assert decode_text(b"\xef\xbb\xbf" + TEXT.encode(), None) == (TEXT, "utf-8")


@pytest.mark.parametrize(
    "declaration",
    [
        b'<meta charset="windows-1251">',
        b'<meta http-equiv="Content-Type" content="text/html; charset=cp1251">',
    ],
)
def test_meta_charset_is_used_without_a_header(declaration: bytes) -> None:
    cyrillic = "<p>\u041d\u043e\u0432\u043e\u0441\u0442\u0438 \u0434\u043d\u044f</p>"
    text, encoding = decode_text(declaration + cyrillic.encode("cp1251"), "text/html")
    assert text.endswith(cyrillic) and encoding == "cp1251"


def test_xml_declaration_is_used() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-15"?><rss><title>\u20ac 5</title></rss>'.encode("iso-8859-15")
    text, encoding = decode_text(body, "application/xml")
    assert "\u20ac 5" in text and encoding == "iso8859-15"


def test_unknown_label_and_no_declaration_fall_back_to_detection() -> None:
    body = ("<p>" + "Les \u00e9l\u00e8ves \u00e9tudient \u00e0 l'\u00e9cole fran\u00e7aise. " * 20 + "</p>").encode(
        "cp1252"
    )
    text, encoding = decode_text(body, "text/html; charset=x-no-such-charset")
    assert "\u00e9l\u00e8ves" in text and encoding == "cp1252"


def test_garbage_never_raises() -> None:
    text, encoding = decode_text(bytes(range(256)) * 4, None)
    assert isinstance(text, str) and encoding


@pytest.mark.parametrize("declared", ["windows-1251", "iso-8859-2", "koi8-r", "shift_jis"])
def test_valid_utf8_is_utf8_whatever_legacy_charset_is_declared(declared: str) -> None:
    assert decode_text(TEXT.encode("utf-8"), f"text/html; charset={declared}") == (TEXT, "utf-8")
    meta = f'<meta charset="{declared}">'.encode() + TEXT.encode("utf-8")
    assert decode_text(meta, None)[1] == "utf-8"


@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8", "text/html; charset=iso-8859-1"])
def test_utf8_page_with_stray_windows_1252_bytes_stays_utf8(content_type: str | None) -> None:
    utf8 = "<p>" + "Gr\u00fc\u00dfe aus K\u00f6ln. " * 5 + "</p>"
    stray = '<img alt="K\u00fcchenblogs \u2013 Rezepte">'
    assert decode_text(utf8.encode() + stray.encode("cp1252"), content_type) == (utf8 + stray, "utf-8")
