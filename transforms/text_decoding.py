"""Bytes to text for web documents, getting mislabelled pages right.

This is the one decoder for every document kind (HTML pages, feeds, story dumps), so the HTTP
`Content-Type` charset counts wherever a document came from the web.

Order of evidence (WHATWG-style): a byte-order mark wins; then the HTTP charset; then a
`<meta charset>` / `http-equiv` / XML declaration in the first bytes; each is only trusted if the
body strictly decodes with it. Two frequent lies are corrected: a page declared UTF-8 that is
really windows-1252 fails strict UTF-8 and falls through to the next evidence or detection; a
page declared in any other charset that is valid multi-byte UTF-8 is read as UTF-8 (real text in
a legacy code page almost never forms valid UTF-8 sequences, while templates that keep a stale
`<meta charset>` over UTF-8 output are common). A page that is UTF-8 but for a few stray
bytes (a windows-1252 name pasted into a template) counts as UTF-8, the stray bytes read as
windows-1252: real legacy text has almost no valid multi-byte sequences, so when those outnumber
the invalid bytes the page is UTF-8. Detection is charset-normalizer.
The returned encoding is Python's canonical codec name (e.g. 'utf-8', 'cp1252').
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PRESCAN_BYTES = 4096
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']""", re.IGNORECASE)
# WHATWG treats these labels as windows-1252, which is what servers that send them really mean.
_AS_WINDOWS_1252 = frozenset({"latin1", "iso8859-1", "ascii", "cp1252"})


def _codec(label: str | None) -> str | None:
    """Python's canonical codec name for a charset label, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_WINDOWS_1252 else name


def _try(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _stray_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a byte that is not UTF-8 inside UTF-8 text is read as windows-1252."""
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    return error.object[error.start : error.end].decode("cp1252", "replace"), error.end


_STRAY_AS_CP1252 = "dateline-stray-as-cp1252"
codecs.register_error(_STRAY_AS_CP1252, _stray_as_cp1252)


def _utf8(body: bytes) -> str | None:
    """The body as UTF-8, with stray bytes as windows-1252 when valid multi-byte sequences outnumber them;
    None when it is not UTF-8."""
    if (text := _try(body, "utf-8")) is not None:
        return text
    lenient = body.decode("utf-8", "replace")
    invalid = lenient.count("\ufffd")
    valid = len(lenient) - len(lenient.encode("ascii", "ignore")) - invalid
    return body.decode("utf-8", _STRAY_AS_CP1252) if valid > invalid else None


def _declared_in_document(body: bytes) -> str | None:
    head = body[:_PRESCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def _detected(body: bytes) -> str | None:
    """charset-normalizer's guess, with ties broken in favour of windows-1252.

    Western text often scores exactly the same under several code pages (French comes out
    as cp1250 with 'è' read as 'č'); among equally plausible candidates, windows-1252 is by
    far the likeliest truth on the web (it is the WHATWG fallback). A page only cp1250 can
    explain (Polish 'ż', 'ł') still gets cp1250.
    """
    matches = from_bytes(body[: 64 * 1024])
    best = matches.best()
    if best is None:
        return None
    tied = [m for m in matches if m.chaos == best.chaos and m.coherence >= best.coherence]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return _codec(best.encoding)


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value."""
    match = _CHARSET_PARAM.search(content_type or "")
    return match.group(1) if match else None


def decode_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a fetched body; returns (text, encoding used). Never raises."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    declared = [_codec(http_charset(content_type)), _codec(_declared_in_document(body))]
    for codec in filter(None, declared):
        if not codec.startswith("utf") and not body.isascii() and (as_utf8 := _utf8(body)) is not None:
            return as_utf8, "utf-8"
        text = _utf8(body) if codec == "utf-8" else _try(body, codec)
        if text is not None:
            return text, codec
    if (text := _utf8(body)) is not None:
        return text, "utf-8"
    codec = _detected(body)
    if codec is not None and (text := _try(body, codec)) is not None:
        return text, codec
    return body.decode("cp1252" if codec is None else codec, "replace"), codec or "cp1252"
