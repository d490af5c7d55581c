"""Refuse hostile XML before any feed parser sees it.

feedparser keeps "simple" `<!ENTITY>` declarations of a document's DTD and expands them, so a
100 kB entity referenced a thousand times (quadratic blowup) costs gigabytes; it also falls back
to a loose regex parser on ill-formed XML, where a strict parser's protections do not apply.
The guard therefore looks at exactly the bytes feedparser will parse (after its own charset
conversion, so a UTF-16 or EBCDIC disguise does not hide a declaration) and refuses:

- any document over `MAX_XML_BYTES`, or ill-formed and over `MAX_LENIENT_BYTES` ("too_large"),
  which bounds memory and time downstream;
- any entity declaration, general or parameter, internal or external, and any external entity
  reference ("xml_attack"), found by defusedxml's expat driver over the prolog and, for prologs
  expat cannot read, by a textual scan of the same prolog feedparser itself splits off.

A DOCTYPE without entity declarations (`<!DOCTYPE rss PUBLIC ... "http://...dtd">`) stays
allowed: nothing in Dateline fetches DTDs, and real feeds still carry the Netscape RSS 0.91 one.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from xml.parsers import expat
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from feedparser.encodings import convert_to_utf8

from transforms.errors import ParseError

# The time and memory bound: feedparser and the HTML-to-text step peak near 25 times the input
# (about 220 MiB at this cap) and read well-formed XML at about 1.5 MB/s on one core.
MAX_XML_BYTES = 8 * 1024 * 1024
# Ill-formed XML falls to feedparser's lenient parser (about 0.5 MB/s): capped to stay near 4 s.
MAX_LENIENT_BYTES = 2 * 1024 * 1024

# feedparser splits the prolog off at the first element start; declarations it honours live there.
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


class _RootReached(SAXException):
    """Raised at the first element: everything a DTD can declare has been seen by then."""


class _PrologParser(DefusedExpatParser):
    """defusedxml's expat driver that never asks for an external DTD subset.

    The SAX driver would hand a `<!DOCTYPE ... SYSTEM "url">` subset to the external-entity
    handler, which defusedxml refuses; since the subset is never fetched, it is no threat.
    """

    def reset(self) -> None:
        super().reset()
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)


class _StopAtRoot(ContentHandler):
    def startElement(self, name: str, attrs: object) -> None:
        raise _RootReached("root element reached")


def feedparser_view(content: bytes, headers: Mapping[str, str] | None = None) -> bytes:
    """The UTF-8 bytes feedparser will actually parse for `content` served with `headers`.

    Raises ParseError("bad_encoding") where feedparser's converter itself would crash.

    feedparser picks the charset from the HTTP header, the XML declaration, the BOM or a
    fallback list; it does not expose the decoded text, so its own converter is called here.
    """
    scratch: dict[str, object] = {}
    try:
        return convert_to_utf8(dict(headers or {}), content, scratch)
    except Exception as exc:  # e.g. a NUL inside the declared charset name crashes its codec lookup
        raise ParseError("bad_encoding", f"{type(exc).__name__}: {exc}") from None


def check_xml(content: bytes, headers: Mapping[str, str] | None = None) -> None:
    """Raise `ParseError` when `content` is too large or declares entities; return quietly otherwise.

    `headers` are the lower-cased HTTP response headers, needed to see the document the way
    feedparser will decode it.
    """
    if len(content) > MAX_XML_BYTES:
        raise ParseError("too_large", f"{len(content)} bytes, limit {MAX_XML_BYTES}")
    view = feedparser_view(content, headers)
    _check_with_defusedxml(view, whole=False)
    first = _FIRST_ELEMENT.search(view)
    prolog = view[: first.start()] if first else view
    if _ENTITY_DECLARATION.search(prolog):
        raise ParseError("xml_attack", "the document type declares entities")
    if len(view) > MAX_LENIENT_BYTES:
        _check_with_defusedxml(view, whole=True)


def _check_with_defusedxml(view: bytes, *, whole: bool) -> None:
    """Run defusedxml's expat over the prolog, or over the whole document when `whole`.

    Ill-formed XML is fine in a small document (feedparser's lenient parser reads it); in a
    large one it is refused, because that lenient parser runs at about 0.5 MB/s.
    """
    parser = _PrologParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(ContentHandler() if whole else _StopAtRoot())
    try:
        parser.parse(io.BytesIO(view))
    except _RootReached:
        return
    except DefusedXmlException as exc:
        raise ParseError("xml_attack", f"{type(exc).__name__}: {exc}") from None
    except (SAXException, ValueError, LookupError) as exc:
        if whole:
            detail = f"ill-formed ({exc}) and over {MAX_LENIENT_BYTES} bytes, too slow to read leniently"
            raise ParseError("too_large", detail) from None
        # Ill-formed before the root: expat gives up, feedparser's loose parser takes over,
        # and the textual prolog scan in `check_xml` covers what that parser would honour.
