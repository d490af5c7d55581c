"""Bytes to a parsed HTML tree, with the guards that keep a hostile page bounded in time and memory.

Pages are capped at `MAX_INPUT_BYTES` before parsing: an article never needs more, and a
50 MB page would otherwise cost seconds in every later pass. The cap falls on a markup boundary
(the last closing block tag before it, else the last tag), so no word, tag or UTF-8 character
is cut in half; `is_capped` tells the caller that it happened. libxml2 itself stops nesting at
256 levels, so 10,000-deep markup is flattened rather than recursed into. C0 control characters
(vertical tabs and form feeds pasted from word processors) become spaces: XML forbids them, and
the content finder drops every text node that holds one.

The parser gives every element lxml.html's `HtmlElement` class (`text_content`, `drop_tree`,
`cssselect` and the rest, which the readers and the content finder call) through a fixed class
lookup rather than lxml.html's own, which calls back into Python for each element object it
creates (every step of every tree walk) only to pick form-control subclasses no reader uses.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree
from lxml import html as lxml_html
from lxml.etree import ParserError

from transforms.errors import ParseError
from transforms.text_decoding import decode_text

MAX_INPUT_BYTES = 4_000_000
_SNIFF_BYTES = 4096
_BLOCK_END = re.compile(rb"</(?:p|div|li|h[1-6]|tr|td|table|section|article|blockquote|pre)\s*>|<br\s*/?>", re.I)
_TAG_START = re.compile(rb"<[/!a-zA-Z]")
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|div|p|article|meta|title)\b", re.IGNORECASE)


def _html_parser() -> etree.HTMLParser:
    """lxml's HTML parser (same options as lxml.html's) whose nodes are lxml.html classes chosen in C."""
    parser = etree.HTMLParser()
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()


def is_capped(data: str | bytes) -> bool:
    """Whether `decode_page` reads only the start of this page."""
    return len(data) > MAX_INPUT_BYTES


def _cap(data: bytes) -> bytes:
    """The first `MAX_INPUT_BYTES`, ending where a block element ends (else before a tag, else at a space)."""
    if len(data) <= MAX_INPUT_BYTES:
        return data
    window = data[:MAX_INPUT_BYTES]
    ends = [m.end() for m in _BLOCK_END.finditer(window, MAX_INPUT_BYTES // 2)]
    if ends:
        return window[: ends[-1]]
    starts = [m.start() for m in _TAG_START.finditer(window, MAX_INPUT_BYTES // 2)]
    if starts:
        return window[: starts[-1]]
    space = max(window.rfind(b" "), window.rfind(b"\n"))
    return window[:space] if space > 0 else window


def decode_page(data: str | bytes, content_type: str | None = None) -> str:
    """The page as text, capped in size; ParseError when it is empty or not HTML at all.

    Bytes are decoded by the project's one decoder, which weighs the HTTP `content_type` charset."""

    if isinstance(data, bytes):
        if data.startswith(b"\x1f\x8b"):
            raise ParseError("not_html", "gzip-compressed bytes: decompress before parsing")
        data = _cap(data)
        if not data.strip():
            raise ParseError("empty", "no bytes")
        # NUL bytes after a UTF-16 byte-order mark are text, not binary
        if data[:_SNIFF_BYTES].count(b"\x00") > 8 and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ParseError("not_html", "binary data (NUL bytes)")
        text, _ = decode_text(data, content_type)
    elif is_capped(data):  # one character past the cap is at least one byte past it: the cut lands on a boundary
        text = _cap(data[: MAX_INPUT_BYTES + 1].encode("utf-8", "surrogatepass")).decode("utf-8", "replace")
    else:
        text = data
    text = text.replace("\x00", "")  # lxml refuses NUL characters in str input
    if not text.strip():
        raise ParseError("empty", "only whitespace")
    if not _MARKUP.search(text[:200_000]):
        raise ParseError("not_html", "no HTML markup found")
    return text


def parse_tree(data: str | bytes, content_type: str | None = None) -> lxml_html.HtmlElement:
    """A parsed HTML document; ParseError when nothing usable comes out of it."""
    text = _CONTROL.sub(" ", decode_page(data, content_type))
    if text.startswith("<?xml"):  # lxml refuses str input that carries an encoding declaration
        text = text[text.find("?>") + 2 :]
    try:
        tree = lxml_html.document_fromstring(text, parser=_PARSER)
    except (ParserError, ValueError) as error:
        raise ParseError("not_html", f"HTML parser found no document: {error}") from error
    if tree is None or (tree.find("body") is None and tree.find("head") is None):
        raise ParseError("not_html", "no <head> or <body>")
    return tree
