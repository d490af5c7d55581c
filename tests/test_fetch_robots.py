"""robots.txt against a real server: disallow obeyed, Crawl-delay honoured, cache reused across runs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_fixtures import Reply, ScriptedServer, fast_settings, fetch_all, redirect

PAGE = b"<html><body><p>ok</p></body></html>"
ROBOTS = b"User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\n"
TEXT = {"Content-Type": "text/plain"}

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        running.route("/open", Reply(body=PAGE))
        running.route("/private/page", Reply(body=PAGE))
        yield running


def test_disallowed_path_is_never_requested(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(headers=TEXT, body=ROBOTS))
    private, public = fetch_all(fast_settings(tmp_path), server.url("/private/page"), server.url("/open"))
    assert (private.error, private.status_code, private.attempts) == ("robots_disallowed", None, 1)
    assert (public.error, public.body) == (None, PAGE)
    assert not server.hits("/private/page")


def test_crawl_delay_spaces_request_starts(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(headers=TEXT, body=ROBOTS))
    urls = [server.url(f"/open?n={n}") for n in range(4)]
    results = fetch_all(fast_settings(tmp_path, per_host=4), *urls)
    assert all(r.body == PAGE for r in results)
    arrivals = sorted(seen.at for seen in server.requests if seen.path.startswith("/open"))
    # Starts are spaced 0.3 s apart; arrival jitter (connection set-up on a loaded machine) only
    # moves the ends, so the span of four requests is the robust measure (0.9 s; ~0.01 s without).
    assert len(arrivals) == 4 and arrivals[-1] - arrivals[0] >= 0.75


def test_robots_is_fetched_once_and_reused_by_the_next_run(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(headers=TEXT, body=ROBOTS))
    settings = fast_settings(tmp_path)
    fetch_all(settings, *[server.url(f"/open?n={n}") for n in range(3)])
    (second_run,) = fetch_all(settings, server.url("/private/page"))
    assert len(server.hits("/robots.txt")) == 1
    assert second_run.error == "robots_disallowed"
    fetch_all(fast_settings(tmp_path, robots_ttl_s=0), server.url("/open"))
    assert len(server.hits("/robots.txt")) == 2  # expired: asked again


def test_robots_rules_for_our_user_agent_apply(server: ScriptedServer, tmp_path: Path) -> None:
    rules = b"User-agent: DatelineBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    server.route("/robots.txt", Reply(headers=TEXT, body=rules))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/open"))
    assert result.error == "robots_disallowed"


def test_missing_robots_allows_everything(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(status=404))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/private/page"))
    assert (result.error, result.body) == (None, PAGE)


def test_robots_server_error_disallows_for_now_only(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(status=503), Reply(status=404))
    settings = fast_settings(tmp_path)
    (during_outage,) = fetch_all(settings, server.url("/open"))
    (next_run,) = fetch_all(settings, server.url("/open"))
    assert during_outage.error == "robots_disallowed"
    assert len(server.hits("/open")) == 1 and next_run.body == PAGE


def test_robots_served_as_octet_stream_is_still_obeyed(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(headers={"Content-Type": "application/octet-stream"}, body=ROBOTS))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/private/page"))
    assert result.error == "robots_disallowed"


def test_robots_redirect_loop_means_unavailable_so_allowed(server: ScriptedServer, tmp_path: Path) -> None:
    server.route("/robots.txt", redirect("/robots-elsewhere.txt"))
    server.route("/robots-elsewhere.txt", redirect("/robots.txt"))
    (result,) = fetch_all(fast_settings(tmp_path), server.url("/private/page"))
    assert (result.error, result.body) == (None, PAGE)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_origin_never_reached_says_connect_not_robots(tmp_path: Path) -> None:
    (result,) = fetch_all(fast_settings(tmp_path), f"http://127.0.0.1:{_closed_port()}/feed.xml")
    assert (result.error, result.status_code, result.attempts) == ("connect", None, 3)
    assert result.detail and result.detail.startswith("robots.txt: ConnectError")
    assert not (tmp_path / "robots").exists(), "an unreached origin leaves nothing cached"


def test_a_name_that_does_not_resolve_says_dns(tmp_path: Path) -> None:
    (result,) = fetch_all(fast_settings(tmp_path, max_attempts=1), "http://no-such-host.invalid/feed.xml")
    assert result.error == "dns", result.detail


def test_a_failed_tls_handshake_says_tls(server: ScriptedServer, tmp_path: Path) -> None:
    plain_http_as_https = server.url("/open").replace("http://", "https://")
    (result,) = fetch_all(fast_settings(tmp_path), plain_http_as_https)
    assert (result.error, result.attempts) == ("tls", 1), result.detail


def test_a_stale_robots_copy_still_rules_while_the_origin_is_unreachable(tmp_path: Path) -> None:
    with ScriptedServer() as first:
        first.route("/robots.txt", Reply(headers=TEXT, body=ROBOTS))
        first.route("/open", Reply(body=PAGE))
        origin = first.url("")
        assert fetch_all(fast_settings(tmp_path), first.url("/open"))[0].body == PAGE
    settings = fast_settings(tmp_path, robots_ttl_s=0.0)
    private, public = fetch_all(settings, origin + "/private/page", origin + "/open")
    assert private.error == "robots_disallowed", "the stale copy's rules, not a blanket verdict"
    assert public.error == "connect"
