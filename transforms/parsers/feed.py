"""Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) as story records plus the feed's own metadata.

XML feeds go through `xml_guard.check_xml` first (size cap, no entity declarations), then
feedparser, which copes with wrong charsets and ill-formed markup. Its output is mapped onto
`StoryRecord` with the project's rules: dates keep their own offset and never gain a time,
categories are the source's own topics, `content:encoded`/Atom content is the body, and the
description becomes a summary bullet only when it reads like a standfirst.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import orjson
import pycountry
from selectolax.lexbor import LexborHTMLParser

from transforms.errors import ParseError
from transforms.parsers.dates import normalise_date
from transforms.parsers.html.dateline import split_dateline
from transforms.parsers.xml_guard import MAX_XML_BYTES, check_xml
from transforms.record import StoryRecord
from transforms.text_decoding import decode_text, http_charset

MAX_STANDFIRST_CHARS = 320
MAX_STANDFIRST_LINK_DENSITY = 0.5
# A description with this many paragraphs and no "read more" cut is the story itself.
FULL_TEXT_PARAGRAPHS = 3

_SKIPPED_TAGS = "script,style,noscript,template,iframe,form,figcaption,button,svg"
_BLOCK_TAGS = (
    "p,div,section,article,header,footer,aside,blockquote,pre,li,ul,ol,dl,dt,dd,table,tr,"
    "h1,h2,h3,h4,h5,h6,figure,hr,address"
)
_READ_MORE = re.compile(
    r"\s*(?:continue reading|read more|read the full (?:story|article)|keep reading)\b[\s.…»›>]*$",
    re.IGNORECASE,
)
_TRUNCATED = re.compile(r"(?:\[(?:…|\.\.\.)\]|\((?:…|\.\.\.)\)|…|\.\.\.)\s*$")
_LOCAL_RFC822 = re.compile(
    r"^\s*(?:[^\W\d_]+\.?,?\s+)?(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+\.?)\s+(?P<rest>\d{4}\s+\d{1,2}:\d{2}.*)$"
)
# Month abbreviations in Portuguese, Spanish, French, German, Italian and Dutch feeds.
_LOCAL_MONTHS = {
    **dict.fromkeys(("ene", "gen", "janv", "jän", "jan"), "Jan"),
    **dict.fromkeys(("fev", "fév", "févr", "feb"), "Feb"),
    **dict.fromkeys(("mär", "mrz", "mars", "mar", "maart"), "Mar"),
    **dict.fromkeys(("abr", "avr", "apr"), "Apr"),
    **dict.fromkeys(("mai", "mei", "mag", "may", "mayo"), "May"),
    **dict.fromkeys(("giu", "juin", "jun"), "Jun"),
    **dict.fromkeys(("lug", "juil", "jul"), "Jul"),
    **dict.fromkeys(("ago", "aoû", "août", "aug"), "Aug"),
    **dict.fromkeys(("set", "sept", "sep"), "Sep"),
    **dict.fromkeys(("out", "okt", "ott", "oct"), "Oct"),
    **dict.fromkeys(("nov",), "Nov"),
    **dict.fromkeys(("dez", "dic", "déc", "dec"), "Dec"),
}
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\band\b|&)\s*")
_BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
_PLACE_SUFFIX = re.compile(r"\s+in\s+[A-Z][\w.\-]*(?:\s+[A-Z][\w.\-]*)*$")
_EMAIL_WITH_NAME = re.compile(r"^\S+@\S+\s*\((?P<name>[^()]+)\)$")
_XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SNIFF_BYTES = 4096
_PROLOG_NOISE = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.DOTALL)
_FEED_ROOT = re.compile(r"^<(?:[\w.\-]+:)?(?:rss|feed|RDF|channel)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A link the feed declares about itself (e.g. its HTML home page or another format of it)."""

    href: str
    media_type: str | None = None
    title: str | None = None


@dataclass(slots=True)
class FeedResult:
    """What a feed document holds: its stories and what it says about itself.

    `format` is feedparser's version code ("rss20", "atom10", "rss10", ...) or "json1"/"json1.1";
    `wellformed` is False when the document had to be read leniently (feedparser's "bozo"),
    with `problem` saying why; `encoding` is the charset it was decoded with.
    """

    records: list[StoryRecord]
    format: str
    title: str | None = None
    link: str | None = None
    self_url: str | None = None
    language: str | None = None
    published_at: str | None = None
    updated_at: str | None = None
    alternates: list[FeedLink] = field(default_factory=list)
    encoding: str | None = None
    wellformed: bool = True
    problem: str | None = None


def looks_like_feed(content: bytes) -> bool:
    """Cheap sniff for dispatch: an XML document whose root is rss/feed/RDF, or a JSON Feed."""
    head = _sniff_text(content[:_SNIFF_BYTES])
    if head.startswith("{"):
        return "jsonfeed.org/version" in head
    while True:
        match = _PROLOG_NOISE.match(head)
        if not match or not match.group(0):
            break
        head = head[match.end() :]
    return bool(_FEED_ROOT.match(head))


def parse_feed(
    content: bytes, *, locator: str, url: str | None = None, headers: Mapping[str, str] | None = None
) -> FeedResult:
    """Stories and metadata of an RSS, Atom or JSON feed.

    `url` is where the feed was fetched (resolves relative links); `headers` are the HTTP
    response headers, of which Content-Type (charset) and Content-Language count. Raises
    ParseError with reason "empty", "too_large", "xml_attack", "bad_encoding", "bad_json",
    "not_feed" or "unparseable".
    """
    if not content.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ParseError("empty", "the feed document is empty")
    if len(content) > MAX_XML_BYTES:
        raise ParseError("too_large", f"{len(content)} bytes, limit {MAX_XML_BYTES}")
    lowered = {
        key.lower(): value.strip()
        for key, value in (headers or {}).items()
        if isinstance(key, str) and isinstance(value, str) and value.strip()
    }
    if _sniff_text(content[:64]).startswith("{"):
        return _parse_json_feed(content, locator=locator, url=url, headers=lowered)
    return _parse_xml_feed(content, locator=locator, url=url, headers=lowered)


# --- XML feeds ------------------------------------------------------------------------------


def _parse_xml_feed(content: bytes, *, locator: str, url: str | None, headers: dict[str, str]) -> FeedResult:
    guessed = _guess_charset(content, headers)
    if guessed:
        media_type = headers.get("content-type", "application/xml").split(";")[0].strip()
        headers = {**headers, "content-type": f"{media_type or 'application/xml'}; charset={guessed}"}
    # feedparser flags any header set without a media type as "not XML"; a server that omits
    # Content-Type says nothing about the document, so only a stated media type is passed on.
    served = {"content-type": headers["content-type"]} if "content-type" in headers else {}
    check_xml(content, served)
    try:
        # A stream, never the bytes: feedparser opens a bytes/str argument as a path when it can.
        parsed = feedparser.parse(io.BytesIO(content), response_headers=served)
    except Exception as exc:  # feedparser is a third-party boundary; its crash is this document's reject
        raise ParseError("unparseable", f"{type(exc).__name__}: {exc}") from None
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not version and not entries and not _raw(feed, "title"):
        problem = parsed.get("bozo_exception")
        raise ParseError("not_feed", f"no RSS/Atom structure found ({problem or 'no feed elements'})")
    language = _iso639_1(_raw(feed, "language") or headers.get("content-language"))
    base = url or _raw(feed, "link")
    records = [
        record
        for entry in entries
        if (record := _entry_record(entry, locator=locator, base=base, language=language)) is not None
    ]
    bozo = parsed.get("bozo_exception")
    problem = f"{type(bozo).__name__}: {bozo}" if bozo else None
    if guessed:
        problem = f"no charset declared, detected {guessed}" + (f"; {problem}" if problem else "")
    links = _raw(feed, "links") or []
    return FeedResult(
        records=records,
        format=version or "unknown",
        title=_text_field(feed, "title"),
        link=_http_url(_raw(feed, "link"), url),
        self_url=next((_http_url(link.get("href"), url) for link in links if link.get("rel") == "self"), None),
        language=language,
        published_at=_date(feed, "published") or _date(feed, "created"),
        updated_at=_date(feed, "updated"),
        alternates=[
            FeedLink(href, link.get("type"), link.get("title"))
            for link in links
            if link.get("rel") == "alternate" and (href := _http_url(link.get("href"), url))
        ],
        encoding=parsed.get("encoding") or None,
        wellformed=not parsed.get("bozo") and not guessed,
        problem=problem,
    )


def _entry_record(
    entry: Mapping[str, Any], *, locator: str, base: str | None, language: str | None
) -> StoryRecord | None:
    title = _text_field(entry, "title")
    link = _http_url(_raw(entry, "link"), base)
    body_paragraphs = _content_paragraphs(_raw(entry, "content") or [])
    description = _detail_paragraphs(_raw(entry, "summary"), _raw(entry, "summary_detail"))
    if not body_paragraphs and _is_full_text(description):
        body_paragraphs, description = description, []
    if _link_density(_raw(entry, "summary")) > MAX_STANDFIRST_LINK_DENSITY:
        description = []  # "submitted by x [link] [comments]": navigation, not a standfirst
    dateline, body = _body(body_paragraphs)
    summary = _standfirst(description, body)
    if not (title or link or body or summary):
        return None  # an item with nothing to read is not a story
    tags = _unique(tag.get("term") or tag.get("label") for tag in _raw(entry, "tags") or [])
    return StoryRecord(
        input=locator,
        url=link,
        title=title,
        summary=summary,
        authors=_authors(_raw(entry, "authors") or [], _raw(entry, "author")),
        published_at=_date(entry, "published") or _date(entry, "created"),
        updated_at=_date(entry, "updated"),
        dateline=dateline,
        section=tags[0] if len(tags) == 1 else None,
        tags=tags,
        language=_iso639_1(_raw(entry, "language")) or language,
        body=body,
    )


def _raw(mapping: Mapping[str, Any], key: str) -> Any:
    """The key itself: feedparser's dict maps missing keys onto others (e.g. `updated` onto `published`)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _date(mapping: Mapping[str, Any], key: str) -> str | None:
    """The raw date text keeps its offset and precision; feedparser's UTC struct is the fallback."""
    raw = _raw(mapping, key)
    if not isinstance(raw, str):
        return normalise_date(_raw(mapping, f"{key}_parsed"))
    return normalise_date(raw) or normalise_date(_raw(mapping, f"{key}_parsed")) or normalise_date(_english_rfc822(raw))


def _english_rfc822(text: str) -> str | None:
    """ "Seg, 24 Set 2018 19:42:40 -0300" as "24 Sep 2018 19:42:40 -0300".

    Many non-English feeds write RFC 822 dates with their own day and month names, which
    neither feedparser nor dateutil read; the weekday is redundant and the month is mapped.
    """
    match = _LOCAL_RFC822.match(text)
    month = _LOCAL_MONTHS.get(match["month"].lower().rstrip(".")) if match else None
    return f"{match['day']} {month} {match['rest']}" if match and month else None


def _text_field(mapping: Mapping[str, Any], key: str) -> str | None:
    value = _raw(mapping, key)
    if not isinstance(value, str):
        return None
    detail = _raw(mapping, f"{key}_detail") or {}
    is_html = "html" in (detail.get("type") or "")
    text = " ".join(html_paragraphs(value)) if is_html else " ".join(value.split())
    return text or None


def _detail_paragraphs(value: Any, detail: Mapping[str, Any] | None) -> list[str]:
    if not isinstance(value, str):
        return []
    kind = (detail or {}).get("type") or "text/html"
    return html_paragraphs(value) if "html" in kind else _plain_paragraphs(value)


def _content_paragraphs(contents: Iterable[Mapping[str, Any]]) -> list[str]:
    """Paragraphs of the richest `content` element (feeds may carry a plain and an HTML copy)."""
    best: list[str] = []
    for content in contents:
        paragraphs = _detail_paragraphs(content.get("value"), content)
        if sum(map(len, paragraphs)) > sum(map(len, best)):
            best = paragraphs
    return best


# --- JSON Feed ------------------------------------------------------------------------------


def _parse_json_feed(content: bytes, *, locator: str, url: str | None, headers: dict[str, str]) -> FeedResult:
    try:
        data = orjson.loads(content.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as exc:
        raise ParseError("bad_json", str(exc)) from None
    version = _str(data.get("version")) if isinstance(data, dict) else None
    if not version or "jsonfeed.org/version/" not in version:
        raise ParseError("not_feed", "JSON without a JSON Feed version")
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError("not_feed", "JSON Feed without an items list")
    language = _iso639_1(_str(data.get("language")) or headers.get("content-language"))
    base = url or _str(data.get("feed_url"))
    records = [
        record
        for item in items
        if isinstance(item, dict)
        if (record := _json_item_record(item, locator=locator, base=base, language=language)) is not None
    ]
    home = _http_url(_str(data.get("home_page_url")), url)
    return FeedResult(
        records=records,
        format="json" + version.rsplit("/", 1)[-1],
        title=_plain_text(data.get("title")),
        link=home,
        self_url=_http_url(_str(data.get("feed_url")), url),
        language=language,
        alternates=[FeedLink(home, "text/html")] if home else [],
        encoding="utf-8",
    )


def _json_item_record(
    item: dict[str, Any], *, locator: str, base: str | None, language: str | None
) -> StoryRecord | None:
    title = _plain_text(item.get("title"))
    link = _http_url(_str(item.get("url")) or _str(item.get("external_url")), base)
    html = _str(item.get("content_html"))
    body_paragraphs = html_paragraphs(html) if html else _plain_paragraphs(_str(item.get("content_text")) or "")
    dateline, body = _body(body_paragraphs)
    summary = _standfirst(_plain_paragraphs(_str(item.get("summary")) or ""), body)
    if not (title or link or body or summary):
        return None
    people = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
    tags = (
        _unique(tag for tag in item.get("tags") or [] if isinstance(tag, str))
        if isinstance(item.get("tags"), list)
        else []
    )
    return StoryRecord(
        input=locator,
        url=link,
        title=title,
        summary=summary,
        authors=_authors([person for person in people if isinstance(person, dict)], None),
        published_at=normalise_date(_str(item.get("date_published"))),
        updated_at=normalise_date(_str(item.get("date_modified"))),
        dateline=dateline,
        section=tags[0] if len(tags) == 1 else None,
        tags=tags,
        language=_iso639_1(_str(item.get("language"))) or language,
        body=body,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _plain_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


# --- shared mapping rules -------------------------------------------------------------------


def html_paragraphs(html: str) -> list[str]:
    """Visible text of an HTML fragment, one string per block, captions and scripts left out."""
    if "<" not in html and "&" not in html:
        return _plain_paragraphs(html)
    root = LexborHTMLParser(html).body
    if root is None:
        return []
    for node in root.css(_SKIPPED_TAGS):
        node.decompose()
    for node in root.css("br"):
        node.replace_with("\n")
    for node in root.css(_BLOCK_TAGS):
        node.insert_before("\n\n")
        node.insert_after("\n\n")
    return _plain_paragraphs(root.text(separator=""))


def _link_density(html: Any) -> float:
    """Share of an HTML fragment's visible text that sits inside links."""
    if not isinstance(html, str) or "<a" not in html.lower():
        return 0.0
    root = LexborHTMLParser(html).body
    if root is None:
        return 0.0
    total = len("".join(root.text(separator=" ").split()))
    linked = sum(len("".join(anchor.text(separator=" ").split())) for anchor in root.css("a"))
    return linked / total if total else 0.0


def _plain_paragraphs(text: str) -> list[str]:
    chunks = (" ".join(chunk.split()) for chunk in re.split(r"\n\s*\n", text))
    return [chunk for chunk in chunks if chunk]


def _body(paragraphs: list[str]) -> tuple[str | None, str]:
    """(dateline, body text): a wire-style dateline opening the first paragraph moves to its own field."""
    if not paragraphs:
        return None, ""
    dateline, first = split_dateline(paragraphs[0])
    return dateline, "\n\n".join(p for p in [first, *paragraphs[1:]] if p)


def _is_full_text(paragraphs: list[str]) -> bool:
    return len(paragraphs) >= FULL_TEXT_PARAGRAPHS and not _READ_MORE.search(paragraphs[-1])


def _standfirst(paragraphs: list[str], body: str) -> list[str]:
    """The description's first paragraph as the one summary bullet, if it reads as a standfirst.

    Not a standfirst: a cut-off excerpt ("... […]"), anything longer than a couple of
    sentences, or the opening of the body repeated.
    """
    if not paragraphs:
        return []
    first = _READ_MORE.sub("", paragraphs[0]).strip()
    if not first or len(first) > MAX_STANDFIRST_CHARS or _TRUNCATED.search(first):
        return []
    if body and " ".join(body.split()).casefold().startswith(first.casefold()):
        return []
    return [first]


def _authors(people: Iterable[Mapping[str, Any]], fallback: Any) -> list[str]:
    """Clean person names: no "By", no e-mail addresses or handles, "A and B" split, no "in Place"."""
    raw = [person.get("name") for person in people if isinstance(person, Mapping)]
    # feedparser splits "desk@site.example (Name)" with a short-TLD e-mail pattern and can cut
    # the name; the raw "author" text is read directly when it has that shape.
    if isinstance(fallback, str) and (not any(raw) or _EMAIL_WITH_NAME.match(fallback.strip())):
        raw = [fallback]
    names: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            continue
        match = _EMAIL_WITH_NAME.match(value.strip())
        value = match["name"] if match else value
        for part in _AUTHOR_SPLIT.split(_BYLINE_PREFIX.sub("", value)):
            names.extend(_split_comma_list(part))
    cleaned = (_PLACE_SUFFIX.sub("", name) if len(name.split()) > 3 else name for name in names)
    return _unique(name for name in cleaned if "@" not in name and not name.startswith(("http", "#")))


def _split_comma_list(part: str) -> list[str]:
    """Split "A Smith, B Jones" into two people; keep "Hines, P. J." (surname first) as one."""
    pieces = [piece.strip() for piece in part.split(",")]
    if len(pieces) > 1 and all(len(piece.split()) >= 2 for piece in pieces):
        return pieces
    return [part.strip()]


def _unique(values: Iterable[Any]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if isinstance(value, str) and (text := " ".join(value.split())):
            seen.setdefault(text.casefold(), text)
    return list(seen.values())


def _http_url(value: Any, base: str | None) -> str | None:
    """An absolute http(s) URL, resolved against `base` when relative; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        absolute = urljoin(base, value) if base else value
        scheme = urlsplit(absolute).scheme
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None


def _iso639_1(tag: Any) -> str | None:
    """The ISO 639-1 code of a language tag ("en-us" -> "en", "por" -> "pt"), else None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if len(primary) == 2 and primary.isalpha():
        return primary
    if len(primary) == 3 and primary.isalpha():
        language = pycountry.languages.get(alpha_3=primary)
        return getattr(language, "alpha_2", None)
    return None


# --- bytes ----------------------------------------------------------------------------------


def _sniff_text(head: bytes) -> str:
    """The first bytes as text, whatever the BOM or UTF-16/32 layout: enough to see markup."""
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.replace(b"\x00", b"").decode("latin-1").lstrip()


def _guess_charset(content: bytes, headers: Mapping[str, str]) -> str | None:
    """The project decoder's charset for a document that declares none and is not UTF-8.

    feedparser would fall back to windows-1252 and turn Big5 or KOI8-R into mojibake (it uses
    chardet for this, which Dateline does not install), so the one decoder's answer is passed to
    it as the charset hint; declared documents are left to feedparser, which reports overrides.
    """
    if http_charset(headers.get("content-type")) or content.startswith(_BOMS):
        return None
    if _XML_DECLARED_ENCODING.search(content.replace(b"\x00", b"")[:512]):
        return None
    _, encoding = decode_text(content, None)
    return None if encoding == "utf-8" else encoding
