"""The network guard over real HTTP on 127.0.0.1: feeds, redirects and robots.txt cannot make Dateline
reach loopback, private or link-local addresses unless the source allows it (issue 16).

Public hosts are simulated the way the samples are served: a `ScriptedServer` acting as the HTTP proxy,
answering absolute-form requests for `http://public-news.example/...`, so the first hop is a legitimate
public name and everything after it is what the feed or redirect chose.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.sources.fetching import FetchRequest, RawArchive
from flows.sources.fetching.guard import PUBLIC_ONLY, NetworkAccess, is_public_address
from tests.http_fixtures import LOCAL, Reply, ScriptedServer, fast_settings, fetch_all, redirect

SECRET = b"INTERNAL-SECRET-TOKEN-42"
PUBLIC = "http://public-news.example"


@pytest.fixture
def secret_server():
    """A private service: anything Dateline fetched from it would be a leak."""
    with ScriptedServer() as server:
        server.route("/token", Reply(body=b"<html><body><h1>Secret</h1><p>" + SECRET * 20 + b"</p></body></html>"))
        yield server


@pytest.fixture
def public_proxy(monkeypatch: pytest.MonkeyPatch):
    """The 'internet': a proxy answering for public-news.example; 127.0.0.1 stays direct (the Prefect API)."""
    with ScriptedServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.delenv("http_proxy", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield proxy


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "255.255.255.255", "224.0.0.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_non_global_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::5db8:d822"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "localhost",
        "0.0.0.0",
    ],
)
def test_every_spelling_of_loopback_is_refused_before_anything_is_sent(
    host: str, secret_server: ScriptedServer, tmp_path: Path
) -> None:
    url = f"http://{host}:{secret_server.port}/token"
    (result,) = fetch_all(fast_settings(tmp_path), url, access=PUBLIC_ONLY)
    assert result.error == "private_address", result
    assert "allow_private_networks" in (result.detail or "")
    assert secret_server.requests == []  # not even robots.txt


def test_a_name_resolving_to_a_private_address_is_refused_at_connection_time(
    secret_server: ScriptedServer, tmp_path: Path
) -> None:
    """No lexical rule knows this machine's name: the address the connection resolves to is what is refused."""
    name = socket.gethostname()
    resolved = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(name, None)}
    if all(is_public_address(a) for a in resolved):
        pytest.skip(f"{name} resolves to a public address here")
    (result,) = fetch_all(fast_settings(tmp_path), f"http://{name}:{secret_server.port}/token", access=PUBLIC_ONLY)
    assert result.error == "private_address"
    assert "resolves to" in (result.detail or "")
    assert secret_server.requests == []


def test_a_pooled_connection_of_a_private_source_never_serves_a_public_only_one(
    secret_server: ScriptedServer, tmp_path: Path
) -> None:
    url = secret_server.url("/token")
    allowed, refused = fetch_all(
        fast_settings(tmp_path), FetchRequest(url, access=LOCAL), FetchRequest(url + "?again", access=PUBLIC_ONLY)
    )
    assert allowed.error is None and SECRET in (allowed.body or b"")
    assert refused.error == "private_address" and refused.body is None
    assert [seen.path for seen in secret_server.requests if seen.path != "/robots.txt"] == ["/token"]


@pytest.mark.parametrize(
    "target", ["{secret}", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/"]
)
def test_every_redirect_hop_is_checked_again(
    target: str, public_proxy: ScriptedServer, secret_server: ScriptedServer, tmp_path: Path
) -> None:
    public_proxy.route(f"{PUBLIC}/moved", redirect(target.format(secret=secret_server.url("/token"))))
    (result,) = fetch_all(fast_settings(tmp_path), f"{PUBLIC}/moved", access=PUBLIC_ONLY)
    assert result.error == "private_address", result
    assert result.status_code is None and result.body is None
    assert secret_server.requests == []


def test_robots_txt_goes_through_the_same_guard(
    public_proxy: ScriptedServer, secret_server: ScriptedServer, tmp_path: Path
) -> None:
    public_proxy.route(f"{PUBLIC}/robots.txt", redirect(secret_server.url("/robots.txt")))
    public_proxy.route(f"{PUBLIC}/page", Reply(body=b"<html><body><p>hello</p></body></html>"))
    (result,) = fetch_all(fast_settings(tmp_path), f"{PUBLIC}/page", access=PUBLIC_ONLY)
    assert result.error == "private_address"
    assert (result.detail or "").startswith("robots.txt:")
    assert secret_server.requests == []
    assert public_proxy.hits(f"{PUBLIC}/page") == []


def test_a_missing_robots_txt_still_means_allowed(public_proxy: ScriptedServer, tmp_path: Path) -> None:
    public_proxy.route(f"{PUBLIC}/page", Reply(body=b"<html><body><p>hello</p></body></html>"))
    (result,) = fetch_all(fast_settings(tmp_path), f"{PUBLIC}/page", access=PUBLIC_ONLY)
    assert result.error is None and result.body


def test_allowed_hosts_limit_every_hop(public_proxy: ScriptedServer, tmp_path: Path) -> None:
    page = Reply(body=b"<html><body><p>hello</p></body></html>")
    public_proxy.route(f"{PUBLIC}/page", page)
    public_proxy.route("http://cdn.public-news.example/page", page)
    public_proxy.route("http://elsewhere.example/page", page)
    public_proxy.route(f"{PUBLIC}/away", redirect("http://elsewhere.example/page"))
    access = NetworkAccess(allowed_hosts=("public-news.example",))
    own, sub, other, away = fetch_all(
        fast_settings(tmp_path),
        *(
            FetchRequest(url, access=access)
            for url in (
                f"{PUBLIC}/page",
                "http://cdn.public-news.example/page",
                "http://elsewhere.example/page",
                f"{PUBLIC}/away",
            )
        ),
    )
    assert own.error is None and sub.error is None
    assert other.error == away.error == "host_not_allowed"
    assert public_proxy.hits("http://elsewhere.example/page") == []


def _feed(*links: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate></item>"
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode()


def test_a_feed_cannot_make_a_run_fetch_private_services(
    public_proxy: ScriptedServer, secret_server: ScriptedServer, tmp_path: Path
) -> None:
    """The issue's attack end to end: a public feed lists private URLs; none is fetched, each is an etl_fetch row."""
    port = secret_server.port
    public_proxy.route(
        f"{PUBLIC}/feed.xml",
        Reply(
            headers={"Content-Type": "application/rss+xml"},
            body=_feed(
                f"http://127.0.0.1:{port}/token",
                f"http://localhost:{port}/token",
                "http://169.254.169.254/latest/meta-data/",
                f"{PUBLIC}/bounce",
            ),
        ),
    )
    public_proxy.route(f"{PUBLIC}/bounce", redirect(f"http://127.0.0.1:{port}/token"))
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "news"\nkind = "feed"\nurl = "{PUBLIC}/feed.xml"\n', encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    ingest(sources_file=str(sources), warehouse_path=str(warehouse))
    assert secret_server.requests == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        errors = dict(con.execute("select url, error from etl_fetch where error is not null").fetchall())
        stored = con.execute("select count(*) from fact_story where body like '%SECRET%'").fetchone()[0]
        rejects = con.execute("select reason from etl_reject where stage = 'fetch'").fetchall()
    assert errors == {
        f"http://127.0.0.1:{port}/token": "private_address",
        f"http://localhost:{port}/token": "private_address",
        "http://169.254.169.254/latest/meta-data/": "private_address",
        f"{PUBLIC}/bounce": "private_address",
    }
    assert stored == 0
    assert sorted(rejects) == [("private_address",)] * 4
    with RawArchive(tmp_path / "data" / "archive") as archive:
        archived = {entry.url: archive.get(entry.key) for entry in archive.iter_entries()}
    assert list(archived) == [f"{PUBLIC}/feed.xml"]
    assert all(SECRET not in body for body in archived.values())


def test_a_source_may_allow_private_networks(secret_server: ScriptedServer, tmp_path: Path) -> None:
    (refused,) = fetch_all(fast_settings(tmp_path), secret_server.url("/token"), access=PUBLIC_ONLY)
    (allowed,) = fetch_all(fast_settings(tmp_path), secret_server.url("/token"), access=LOCAL)
    assert refused.error == "private_address"
    assert allowed.error is None and SECRET in (allowed.body or b"")
