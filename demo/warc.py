"""Web archives shaped like Common Crawl's CC-NEWS, for tests and `bench/warc.py`.

Records are built with FastWARC (the library the WARC source reads with) and written one gzip
member per record, as CC-NEWS and Heritrix write them, so a reader can resume or resynchronise at
any record. `WarcWriter.raw` takes a record's bytes as they are, to write damaged records on purpose.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from fastwarc.warc import WarcRecord, WarcRecordType


@dataclass(frozen=True, slots=True)
class CorpusPage:
    url: str
    html: bytes


def corpus_pages(root: Path) -> list[CorpusPage]:
    """The pages of a corpus laid out as `articles.json` (id → {url, ...}) beside `html/<id>.html.gz`
    (the layout of ../shared/corpus/naeb); empty when the folder is absent."""
    index = root / "articles.json"
    if not index.is_file():
        return []
    pages = []
    for page_id, article in sorted(json.loads(index.read_text(encoding="utf-8")).items()):
        path = root / "html" / f"{page_id}.html.gz"
        if path.is_file() and article.get("url"):
            pages.append(CorpusPage(article["url"], gzip.decompress(path.read_bytes())))
    return pages


def http_response(body: bytes, content_type: str, status: str = "200 OK", extra: dict[str, str] | None = None) -> bytes:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(extra or {})}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status}\r\n{lines}\r\n".encode("latin-1") + body


def record_bytes(
    record_type: WarcRecordType,
    uri: str | None,
    block: bytes,
    captured_at: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One uncompressed WARC record."""
    record = WarcRecord()
    record.init_headers(record_type, content_length=len(block))
    if captured_at is not None:
        record.record_date = captured_at
    if uri is not None:
        record.headers.append("WARC-Target-URI", uri)
    if record_type == WarcRecordType.request:
        record.headers.append("Content-Type", "application/http; msgtype=request")
    elif record_type in (WarcRecordType.response, WarcRecordType.revisit):
        record.headers.append("Content-Type", "application/http; msgtype=response")
    else:
        record.headers.append("Content-Type", "application/warc-fields")
    for name, value in (headers or {}).items():
        record.headers.append(name, value)
    record.set_bytes_content(block)
    out = io.BytesIO()
    record.write(out)
    return out.getvalue()


class WarcWriter:
    """Writes records to a `.warc` or `.warc.gz` file (one gzip member per record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.gzipped = path.name.endswith(".gz")
        self._out: BinaryIO = path.open("wb")

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._out.close()

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._out.tell()

    def raw(self, record: bytes) -> int:
        """Write a record's bytes as given (gzipped on its own for a .gz file); returns its offset."""
        offset = self._out.tell()
        self._out.write(gzip.compress(record, compresslevel=6) if self.gzipped else record)
        return offset

    def response(
        self,
        uri: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        captured_at: datetime | None = None,
        status: str = "200 OK",
        http_headers: dict[str, str] | None = None,
    ) -> int:
        block = http_response(body, content_type, status, http_headers)
        return self.raw(record_bytes(WarcRecordType.response, uri, block, captured_at))

    def request(self, uri: str) -> int:
        block = f"GET {uri} HTTP/1.1\r\nUser-Agent: bench\r\n\r\n".encode()
        return self.raw(record_bytes(WarcRecordType.request, uri, block))

    def metadata(self, uri: str) -> int:
        return self.raw(record_bytes(WarcRecordType.metadata, uri, b"fetchTimeMs: 120\r\n"))

    def revisit(self, uri: str) -> int:
        profile = {"WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"}
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
        return self.raw(record_bytes(WarcRecordType.revisit, uri, block, headers=profile))


# where a page names its own URL: `<link rel="canonical" href>` and `<meta property="og:url" content>`, either
# attribute first
_SELF_URL = re.compile(
    rb"""<(?:link|meta)\b[^>]*?(?:rel=["']?canonical|property=["']?og:url)[^>]*?(?:href|content)=["']([^"'>]+)"""
    rb"""|<(?:link|meta)\b[^>]*?(?:href|content)=["']([^"'>]+)["'][^>]*?(?:rel=["']?canonical|property=["']?og:url)""",
    re.IGNORECASE,
)


def _own_urls(page: CorpusPage) -> list[bytes]:
    """Every way the page writes its own URL: the corpus's, and what its canonical link and og:url say (which is
    often another form of it, https or a trailing slash), also as JSON-LD escapes them; longest first, so a
    replacement never cuts a longer one."""
    found = {page.url.encode(), *(a or b for a, b in _SELF_URL.findall(page.html))}
    return sorted({*found, *(u.replace(b"/", b"\\/") for u in found)}, key=len, reverse=True)


def cc_news_records(pages: list[CorpusPage], count: int, host: str = "cc-news.example") -> Iterator[tuple[str, bytes]]:
    """`count` (URI, page) pairs cycling through `pages`, each repeat under its own URI: every URL the page
    gives for itself in its markup is replaced by that URI, so every repeat is a distinct story."""
    own = [_own_urls(page) for page in pages]
    for n in range(count):
        index = n % len(pages)
        uri = f"https://{host}/{n // len(pages)}/{index}.html".encode()
        html = pages[index].html
        for url in own[index]:
            html = html.replace(url, uri)
        yield uri.decode(), html
