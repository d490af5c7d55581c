"""Credentials in URLs (issue 16): `https://user:pw@host/feed` is sent to that host only, and stored nowhere.

A real `dateline run` process over two servers on 127.0.0.1 (two origins): the configured feed's origin
gets the credentials, the other origin (feed items elsewhere, a redirect, an item carrying its own
`user:password@`) never sees an Authorization header, and the password is absent from the warehouse,
the raw archive, the robots cache, Prefect's database and the output.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.sources.access import access_for_url
from flows.sources.fetching import FetchRequest
from tests.http_fixtures import Reply, ScriptedServer, fast_settings, fetch_all, redirect

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "s3cret-pw"
STOLEN = "stolen-pw"


def _article(title: str) -> Reply:
    words = " ".join(f"word{n}" for n in range(120))
    html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{words}.</p></article>"
    return Reply(body=html.encode())


def _feed(*links: str) -> Reply:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate></item>"
        for n, link in enumerate(links)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'
    return Reply(headers={"Content-Type": "application/rss+xml"}, body=body.encode())


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def servers():
    with ScriptedServer() as home, ScriptedServer() as other:
        yield home, other


@pytest.mark.parametrize("given_as", ["--source", "sources file"])
def test_credentials_go_to_their_host_only_and_are_stored_nowhere(servers, tmp_path: Path, given_as: str) -> None:
    home, other = servers
    home.route(
        "/feed.xml",
        _feed(
            home.url("/story-1"),
            other.url("/story-2"),
            other.url("/story-3").replace("http://", f"http://eve:{STOLEN}@"),
            home.url("/moved"),
        ),
    )
    home.route("/story-1", _article("One"))
    home.route("/moved", redirect(other.url("/story-4")))
    for n in (2, 3, 4):
        other.route(f"/story-{n}", _article(f"Story {n}"))
    feed = home.url("/feed.xml").replace("http://", f"http://alice:{PASSWORD}@")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("PREFECT_API_URL", None)
    env.pop("DATELINE_CREDENTIALS", None)
    warehouse = tmp_path / "w.duckdb"
    command = [sys.executable, "-m", "flows.cli", "run", "--source", feed, "--allow-private-networks"]
    if given_as == "sources file":  # the Source keeps its URL as written: everything downstream must strip it
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "intranet"\nkind = "feed"\nurl = "{feed}"\nallow_private_networks = true\n',
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources)]
    done = subprocess.run(
        [*command, "--warehouse", str(warehouse)], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stderr

    assert {r.path: r.headers.get("authorization") for r in home.requests} == {
        "/robots.txt": _basic("alice", PASSWORD),
        "/feed.xml": _basic("alice", PASSWORD),
        "/story-1": _basic("alice", PASSWORD),
        "/moved": _basic("alice", PASSWORD),
    }
    assert {r.path for r in other.requests} >= {"/story-2", "/story-3", "/story-4"}
    assert all("authorization" not in r.headers for r in other.requests)

    for secret in (PASSWORD, STOLEN):
        assert secret not in done.stdout + done.stderr
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
            for schema, table in tables:
                assert secret not in repr(con.execute(f'select * from "{schema}"."{table}"').fetchall()), table
            urls = {u for (u,) in con.execute("select url from fact_story").fetchall()}
        for path in [*(tmp_path / "prefect").rglob("*"), *(tmp_path / "data").rglob("*")]:
            if (
                path.is_file() and path.name != "sources.toml"
            ):  # Prefect's database (flow parameters), the raw archive's index, the robots cache
                assert secret.encode() not in path.read_bytes(), path
    assert home.url("/story-1") in urls and other.url("/story-3") in urls


def test_credentials_from_the_environment_are_bound_to_their_origin(
    servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, other = servers
    home.route("/feed.xml", _article("feed"))
    home.route("/away", redirect(other.url("/page")))
    other.route("/page", _article("page"))
    monkeypatch.setenv("DATELINE_CREDENTIALS", home.url("/").replace("http://", "http://bob:p%40ss@"))
    access = access_for_url(home.url("/feed.xml"), allow_private_networks=True)
    mine, away = fetch_all(
        fast_settings(tmp_path),
        FetchRequest(home.url("/feed.xml"), access=access),
        FetchRequest(home.url("/away"), access=access),
    )
    assert mine.error is None and away.error is None
    assert home.hits("/feed.xml")[0].headers["authorization"] == _basic("bob", "p@ss")
    assert home.hits("/away")[0].headers["authorization"] == _basic("bob", "p@ss")
    assert "authorization" not in other.hits("/page")[0].headers
    assert away.url == home.url("/away") and away.final_url == other.url("/page")
