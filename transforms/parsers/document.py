"""Pick the right parser for a document's bytes: feed, article page, or story dump.

Sources mix formats (a `file` glob may hold feeds, saved pages and text dumps), and servers
mislabel content types, so the choice is made from the bytes first and the name last.
"""

from __future__ import annotations

from transforms.decompress import gunzip_bounded
from transforms.errors import ParseError
from transforms.parsers.article import parse_article
from transforms.parsers.dump import looks_like_dump, parse_dump
from transforms.parsers.feed import looks_like_feed, parse_feed
from transforms.record import StoryRecord
from transforms.text_decoding import decode_text

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def _looks_like_html(head: bytes) -> bool:
    lowered = head.lower()
    return b"<html" in lowered or b"<!doctype html" in lowered or b"<body" in lowered or b"<article" in lowered


def parse_document(
    content: bytes,
    *,
    locator: str,
    source: str | None = None,
    url: str | None = None,
    content_type: str | None = None,
    default_tz: str | None = None,
) -> list[StoryRecord]:
    """All stories in one document; raises ParseError with a reason when there are none to read."""
    if content.startswith(_GZIP_MAGIC):
        content = gunzip_bounded(content, MAX_DOCUMENT_BYTES)
    if not content.strip():
        raise ParseError("empty", "the document has no content")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ParseError("too_large", f"{len(content)} bytes is over the {MAX_DOCUMENT_BYTES} byte limit")
    head = content[:4096]
    if looks_like_feed(content):
        records = parse_feed(content, locator=locator, url=url, headers={"content-type": content_type or ""}).records
    elif _looks_like_html(head) or (content_type or "").startswith(("text/html", "application/xhtml")):
        records = [parse_article(content, locator=locator, url=url, default_tz=default_tz, content_type=content_type)]
    else:
        if b"\x00" in head:
            raise ParseError("not_text", "binary content")
        text, _ = decode_text(content, content_type)
        if looks_like_dump(text):
            records = parse_dump(text, locator=locator, source=source)
        elif text.lstrip("\ufeff \t\r\n").startswith("<"):
            # markup whose <html> comes late, after PHP warnings or an inlined <style>/<script> block:
            # the HTML parser reads it, or says why it is not a page
            records = [parse_article(content, locator=locator, url=url, default_tz=default_tz)]
        else:
            raise ParseError("unsupported_format", "neither a feed, an HTML page nor a story dump")
    for record in records:
        record.source = source
    return records
