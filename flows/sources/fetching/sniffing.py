"""Recognise binary bodies early, from the Content-Type header and then from the first bytes.

A news ETL only parses text (HTML, XML feeds and sitemaps, JSON feeds, story dumps). Images,
PDFs and archives are refused before they are read in full: on the header alone when it says
so, otherwise on the magic bytes of the first decoded chunk (servers mislabel often).
"""

from __future__ import annotations

_BINARY_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/x-tar",
        "application/vnd.ms-excel",
        "application/msword",
        "application/x-shockwave-flash",
        "application/wasm",
    }
)
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")
# gzip files (.xml.gz sitemaps, .html.gz pages) are text once decompressed: the fetcher
# decodes them with the same bounded decoder as Content-Encoding: gzip.
GZIP_FILE_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/gzip-compressed"})

_MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def media_type(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header value ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_binary_type(content_type: str | None) -> bool:
    """True when the declared media type is one no parser of ours reads."""
    kind = media_type(content_type)
    return kind in _BINARY_TYPES or kind.startswith(_BINARY_PREFIXES)


def looks_binary(head: bytes) -> bool:
    """True when the first decoded bytes are a known binary signature or contain NUL bytes.

    UTF-16/32 text legitimately contains NULs, so a text byte-order mark exempts the body.
    """
    if head.startswith(_TEXT_BOMS):
        return False
    if head.startswith(_MAGIC) or head[4:8] == b"ftyp":
        return True
    return b"\x00" in head[:1024]
