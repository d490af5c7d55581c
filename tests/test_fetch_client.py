"""The fetcher against a real scripted server on 127.0.0.1: every hostile answer ends in a result row.

Time is bounded by small deadlines in `fast_settings` (and pytest-timeout as a backstop),
memory by tracemalloc peaks far below what an unbounded read of the same body would need.
"""

from __future__ import annotations

import gzip
import sqlite3
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import closing
from email.utils import formatdate
from pathlib import Path

import brotli
import pytest
import zstandard

from flows.sources.fetching import FetchRequest, RawArchive
from tests.http_fixtures import (
    LOCAL,
    Reply,
    ScriptedServer,
    SeenRequest,
    fast_settings,
    fetch_all,
    redirect,
    refused_port,
    repeat_bytes,
)
from transforms.text_decoding import decode_text

MiB = 1024 * 1024
GiB = 1024 * MiB
PAGE = b"<html><head><title>t</title></head><body><p>Hello, world.</p></body></html>"
MEMORY_BOUND = 24 * MiB  # cap is 1 MiB in fast_settings; an unbounded read would need 64 MiB-4 GiB

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def peak_memory_of(call):
    """Run `call` under tracemalloc; return its result and the peak traced bytes."""
    tracemalloc.start()
    try:
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def compressed_spaces(size: int, compress_chunk) -> bytes:
    """`size` bytes of spaces compressed chunk by chunk, so the bomb is built without holding it."""
    block = b" " * MiB
    return b"".join(compress_chunk(block) for _ in range(size // MiB))


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressed_spaces(size, packer.compress) + packer.flush()


def brotli_bomb(size: int) -> bytes:
    packer = brotli.Compressor(quality=5)
    return compressed_spaces(size, packer.process) + packer.finish()


def zstd_bomb(size: int) -> bytes:
    packer = zstandard.ZstdCompressor(level=3).compressobj()
    return compressed_spaces(size, packer.compress) + packer.flush()


def test_404_and_410_are_final_and_not_retried(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/missing", Reply(status=404, body=b"no"))
    server.route("/gone", Reply(status=410, body=b"gone"))
    missing, gone = fetch_all(fast_settings(tmp_path), server.url("/missing"), server.url("/gone"))
    assert (missing.error, missing.status_code, missing.attempts, missing.body) == ("http_404", 404, 1, None)
    assert (gone.error, gone.status_code, gone.attempts) == ("http_410", 410, 1)
    assert len(server.hits("/missing")) == 1 and len(server.hits("/gone")) == 1


def test_500_then_200_is_retried_until_it_works(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/flaky", Reply(status=500), Reply(status=500), Reply(body=PAGE))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/flaky"))
    assert (result.error, result.status_code, result.attempts, result.body) == (None, 200, 3, PAGE)


def test_500_forever_gives_up_after_max_attempts(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/down", Reply(status=500))
    (result,) = fetch_all(fast_settings(tmp_path, max_attempts=3), server.url("/down"))
    assert (result.error, result.attempts) == ("http_500", 3)
    assert len(server.hits("/down")) == 3


def gap_between_hits(server: ScriptedServer, path: str) -> float:
    first, second = server.hits(path)[:2]
    return second.at - first.at


def test_503_with_retry_after_seconds_waits_as_asked(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/busy", Reply(status=503, headers={"Retry-After": "1"}), Reply(body=PAGE))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/busy"))
    assert (result.error, result.attempts, result.body) == (None, 2, PAGE)
    assert gap_between_hits(server, "/busy") >= 0.95  # a lower bound: load can only lengthen it


def test_429_with_retry_after_http_date_waits_until_then(server: ScriptedServer, tmp_path: Path) -> None:
    def slow_down(_: SeenRequest) -> Reply:
        return Reply(status=429, headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)})

    server.route("/rate", slow_down, Reply(body=PAGE))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/rate"))
    assert (result.error, result.attempts) == (None, 2)
    assert gap_between_hits(server, "/rate") >= 0.9  # the date has one-second resolution


def test_retry_after_longer_than_the_cap_ends_retries(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/later", Reply(status=429, headers={"Retry-After": "3600"}))
    (result,) = fetch_all(fast_settings(tmp_path, retry_after_cap_s=5), server.url("/later"))
    assert (result.error, result.attempts) == ("http_429", 1)


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{refused_port()}/page"
    (result,) = fetch_all(fast_settings(tmp_path, respect_robots=False, max_attempts=2), url)
    assert (result.error, result.attempts, result.status_code, result.body) == ("connect", 2, None, None)


def test_silent_server_times_out(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/stall", Reply(stall_s=5, body=PAGE))
    settings = fast_settings(tmp_path, deadline_s=0.5, max_attempts=1, respect_robots=False)
    (result,) = fetch_all(settings, server.url("/stall"))
    assert (result.error, result.body) == ("timeout", None)


def test_one_byte_per_second_drip_is_cut_off_by_the_total_deadline(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/drip", Reply(body=b"x" * 60, drip_s=1.0))
    settings = fast_settings(tmp_path, deadline_s=1.5, max_attempts=1, respect_robots=False)
    (result,) = fetch_all(settings, server.url("/drip"))
    assert (result.error, result.body) == ("timeout", None)
    assert result.bytes < 10 and server.bytes_sent.get("/drip", 0) < 10  # nowhere near the 60 bytes


def test_declared_4_gib_body_is_refused_from_its_header(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/huge", Reply(body=repeat_bytes(b"<p>" * 21846, 4 * GiB), content_length=4 * GiB))
    (result,), peak = peak_memory_of(lambda: fetch_all(fast_settings(tmp_path), server.url("/huge")))
    assert (result.error, result.body, result.bytes) == ("too_large", None, 0)
    assert peak < MEMORY_BOUND


def test_undeclared_4_gib_body_is_cut_at_the_cap_while_streaming(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/huge", Reply(body=repeat_bytes(b"<p>" * 21846, 4 * GiB), chunked=True))
    (result,), peak = peak_memory_of(lambda: fetch_all(fast_settings(tmp_path), server.url("/huge")))
    assert (result.error, result.body) == ("too_large", None)
    assert MiB < result.bytes < 2 * MiB  # read just past the 1 MiB cap, then hung up
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize(
    ("coding", "build", "size"),
    [("gzip", gzip_bomb, 64 * MiB), ("br", brotli_bomb, 1 * GiB), ("zstd", zstd_bomb, 1 * GiB)],
    ids=["gzip", "brotli", "zstd"],
)
def test_compression_bombs_end_as_decompression_bomb_in_bounded_memory(
    server: ScriptedServer, tmp_path: Path, coding: str, build, size: int
) -> None:
    bomb = build(size)  # 64 MiB or 1 GiB of spaces in a few KiB (gzip: ~64 KiB)
    server.route("/bomb", Reply(headers={"Content-Type": "text/html", "Content-Encoding": coding}, body=bomb))
    (result,), peak = peak_memory_of(lambda: fetch_all(fast_settings(tmp_path), server.url("/bomb")))
    assert (result.error, result.body) == ("decompression_bomb", None)
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
    ],
)
def test_ordinary_compressed_pages_are_decoded(server: ScriptedServer, tmp_path: Path, coding: str, encode) -> None:
    page = PAGE * 500
    server.route("/page", Reply(headers={"Content-Type": "text/html", "Content-Encoding": coding}, body=encode(page)))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/page"))
    assert (result.error, result.body) == (None, page)
    assert result.bytes < len(page)  # counted on the wire, compressed
    assert "zstd" in server.hits("/page")[0].headers["accept-encoding"]


def test_redirect_loop_is_detected(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/a", redirect("/b"))
    server.route("/b", redirect(server.url("/a")))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/a"))
    assert (result.error, result.attempts) == ("redirect_loop", 1)


def test_redirect_chain_longer_than_five_is_refused(server: ScriptedServer, tmp_path: Path) -> None:
    for hop in range(8):
        server.route(f"/r{hop}", redirect(f"/r{hop + 1}"))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/r0"))
    assert result.error == "too_many_redirects"
    assert len(server.hits("/r5")) == 1 and not server.hits("/r6")


def test_redirect_to_ftp_is_refused_and_relative_redirects_are_followed(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/to-ftp", redirect("ftp://example.com/file.txt"))
    server.route("/old", redirect("/new", status=301))
    server.route("/new", Reply(body=PAGE))
    ftp, moved = fetch_all(fast_settings(tmp_path), server.url("/to-ftp"), server.url("/old"))
    assert ftp.error == "bad_scheme"
    assert (moved.error, moved.url, moved.final_url, moved.body) == (
        None,
        server.url("/old"),
        server.url("/new"),
        PAGE,
    )


def test_octet_stream_is_refused_before_its_body_is_read(server: ScriptedServer, tmp_path: Path) -> None:
    body = repeat_bytes(b"\x00" * 65536, 4 * GiB)
    server.route("/blob", Reply(headers={"Content-Type": "application/octet-stream"}, body=body, chunked=True))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/blob"))
    assert (result.error, result.bytes, result.body) == ("binary_content", 0, None)


def test_binary_body_mislabelled_as_html_is_refused_by_its_magic_bytes(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/fake", Reply(body=b"%PDF-1.7\n" + b"x" * 5000))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/fake"))
    assert result.error == "binary_content"


def test_utf8_declared_windows_1252_page_comes_out_right(server: ScriptedServer, tmp_path: Path) -> None:
    text = "<html><body><p>It\u2019s a caf\u00e9 \u2013 \u201cquoted\u201d</p></body></html>"
    server.route("/cp1252", Reply(headers={"Content-Type": "text/html; charset=utf-8"}, body=text.encode("cp1252")))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/cp1252"))
    decoded, encoding = decode_text(result.body, result.content_type)
    assert decoded == text and encoding == "cp1252"


def test_conditional_get_answered_304_costs_no_body(server: ScriptedServer, tmp_path: Path) -> None:
    def feed(request: SeenRequest) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(headers={"ETag": '"v1"', "Last-Modified": "Tue, 04 Feb 2025 10:00:00 GMT"}, body=PAGE)

    server.route("/feed.xml", feed)
    settings = fast_settings(tmp_path)
    (first,) = fetch_all(settings, server.url("/feed.xml"))
    again = FetchRequest(server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified, access=LOCAL)
    (second,) = fetch_all(settings, again)
    assert (first.body, first.etag, first.not_modified) == (PAGE, '"v1"', False)
    assert (second.status_code, second.not_modified, second.body, second.error) == (304, True, None, None)
    assert (second.etag, second.last_modified) == ('"v1"', "Tue, 04 Feb 2025 10:00:00 GMT")
    conditional = server.hits("/feed.xml")[1].headers
    assert conditional["if-none-match"] == '"v1"'
    assert conditional["if-modified-since"] == "Tue, 04 Feb 2025 10:00:00 GMT"


def test_bad_urls_never_raise_and_results_keep_input_order(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/ok", Reply(body=PAGE))
    urls = ["ftp://example.com/x", "not a url", "", "http://", server.url("/ok")]
    results = fetch_all(fast_settings(tmp_path), *urls)
    assert [r.url for r in results] == urls
    assert [r.error for r in results] == ["bad_scheme", "bad_url", "bad_url", "bad_url", None]


def test_per_host_limit_caps_requests_in_flight(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/slow", Reply(stall_s=0.2, body=PAGE))
    urls = [server.url(f"/slow?n={n}") for n in range(6)]
    results = fetch_all(fast_settings(tmp_path, per_host=2, max_connections=16), *urls)
    assert all(r.body == PAGE for r in results)
    assert server.max_in_flight == 2


def test_fetched_bodies_are_archived_once_by_content(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/one", Reply(body=PAGE))
    server.route("/two", Reply(body=PAGE))
    archive = RawArchive(tmp_path / "archive")
    one, two = fetch_all(fast_settings(tmp_path), server.url("/one"), server.url("/two"), archive=archive)
    assert one.archive_key == two.archive_key and archive.get(one.archive_key) == PAGE
    assert {entry.url for entry in archive.iter_entries()} == {server.url("/one"), server.url("/two")}
    with closing(sqlite3.connect(archive.path)) as con:
        assert con.execute("SELECT count(*) FROM bodies").fetchone() == (1,)


def test_http_proxy_from_the_environment_is_used(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("http://news.example/story", Reply(body=PAGE))  # a forward proxy sees absolute URLs
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    (result,) = fetch_all(fast_settings(tmp_path), "http://news.example/story")
    assert (result.error, result.body) == (None, PAGE)
    assert [seen.path for seen in server.requests] == [
        "http://news.example/robots.txt",
        "http://news.example/story",
    ]


def test_redirect_without_location_is_reported_not_followed(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/nowhere", Reply(status=302, body=b""))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/nowhere"))
    assert (result.error, result.status_code, result.body) == ("http_302", 302, None)
