"""The demo site and the static-host proxy over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from typer.testing import CliRunner

from demo.corpus import sample_files
from demo.site import DemoSite, serve_demo_site, serve_static_hosts, write_samples
from flows.sources.config import parse_sources

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
STORIES = 150


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    running = serve_demo_site(STORIES, outlets=3, seed=11)
    yield running
    running.close()


@pytest.fixture(scope="module")
def client(site: DemoSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        yield http


def _locs(xml: str) -> list[str]:
    return re.findall(r"<loc>(.*?)</loc>", xml)


def test_robots_and_sitemaps_lead_to_exactly_n_distinct_pages(site: DemoSite, client: httpx.Client) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    indexes = re.findall(r"^Sitemap: (\S+)$", robots.text, re.M)
    assert indexes == [f"{url}/sitemap-index.xml" for url in site.outlet_urls()]
    pages: list[str] = []
    for index in indexes:
        for monthly in _locs(client.get(index).text):
            response = client.get(monthly)
            assert response.status_code == 200
            pages += _locs(response.text)
    assert len(pages) == len(set(pages)) == STORIES
    for url in pages[::10]:
        page = client.get(url)
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        canonical = LexborHTMLParser(page.text).css_first('link[rel="canonical"]').attributes["href"]
        assert canonical == url


def test_feeds_parse_and_every_item_is_a_page(site: DemoSite, client: httpx.Client) -> None:
    kinds = []
    for base in site.outlet_urls():
        home = client.get(base + "/")
        feed_url = next(u for u in (f"{base}/rss.xml", f"{base}/atom.xml") if client.get(u).status_code == 200)
        feed = client.get(feed_url)
        kinds.append(feed.headers["content-type"].split(";")[0])
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo and len(parsed.entries) == 20
        assert home.status_code == 200 and parsed.entries[0].link in home.text
        for entry in parsed.entries[:5]:
            page = client.get(entry.link)
            assert page.status_code == 200
            scripts = LexborHTMLParser(page.text).css('script[type="application/ld+json"]')
            blocks = [json.loads(s.text()) for s in scripts]
            assert entry.title in page.text and (blocks or "| " in page.text)
    assert sorted(kinds) == ["application/atom+xml", "application/rss+xml", "application/rss+xml"]


def test_unknown_paths_404_and_conditional_requests_304(site: DemoSite, client: httpx.Client) -> None:
    base = site.outlet_urls()[0]
    assert client.get("/nowhere/rss.xml").status_code == 404
    assert client.get(f"{base}/2025/01/01/made-up-2580001.html").status_code == 404
    assert client.get(f"{base}/2025/01/01/beyond-the-end-{2580000 + STORIES}.html").status_code == 404
    sitemap = client.get(f"{base}/sitemap-news.xml")
    etag, modified = sitemap.headers["etag"], sitemap.headers["last-modified"]
    assert client.get(f"{base}/sitemap-news.xml", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"{base}/sitemap-news.xml", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(f"{base}/sitemap-news.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(f"{base}/sitemap-news.xml")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(sitemap.content)


def test_same_seed_serves_the_same_bytes(site: DemoSite, client: httpx.Client) -> None:
    other = serve_demo_site(STORIES, outlets=3, seed=11)
    try:
        path = _locs(client.get(f"{site.outlet_urls()[1]}/sitemap-news.xml").text)[3][len(site.base_url) :]
        mine = client.get(path).text.replace(site.base_url, "BASE")
        theirs = httpx.get(other.base_url + path).text.replace(other.base_url, "BASE")
        assert mine == theirs
    finally:
        other.close()


def test_sources_toml_is_valid_config_for_the_site(site: DemoSite) -> None:
    config = parse_sources(site.sources_toml())
    kinds = [(s.name, s.kind) for s in config.sources]
    assert kinds == [
        ("meridian-daily", "sitemap"),
        ("meridian-daily-feed", "feed"),
        ("savanna-times", "sitemap"),
        ("savanna-times-feed", "feed"),
        ("gulf-ledger", "sitemap"),
        ("gulf-ledger-feed", "feed"),
    ]
    for source in config.sources:
        assert httpx.get(source.url).status_code == 200


def test_static_hosts_proxy_serves_the_samples_through_httpx() -> None:
    hosts = serve_static_hosts(SAMPLES)
    try:
        with httpx.Client(proxy=hosts.proxy_url, timeout=10) as http:
            feed = http.get("http://www.meridian-daily.example/rss.xml")
            assert feed.status_code == 200
            assert feed.headers["content-type"] == "application/rss+xml; charset=utf-8"
            assert feed.content == (SAMPLES / "www.meridian-daily.example" / "rss.xml").read_bytes()
            link = feedparser.parse(feed.content).entries[0].link
            page = http.get(link)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            again = http.get(link, headers={"If-None-Match": page.headers["etag"]})
            assert again.status_code == 304
            atom = http.get("http://www.savanna-times.example/atom.xml")
            assert atom.headers["content-type"].startswith("application/atom+xml")
            assert http.get("http://www.meridian-daily.example/missing.html").status_code == 404
            assert http.get("http://www.unknown.example/rss.xml").status_code == 404
            assert http.get("http://www.meridian-daily.example/../manifest.json").status_code == 404
    finally:
        hosts.close()


def test_write_samples_is_byte_identical_and_removes_stale_files(tmp_path: Path) -> None:
    (tmp_path / "old-host.example").mkdir()
    (tmp_path / "old-host.example" / "stale.html").write_text("old")
    (tmp_path / "README.md").write_text("kept")
    summary = write_samples(tmp_path)
    expected = dict(sample_files())
    written = {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert written.pop("README.md") == b"kept"
    assert written == expected and summary["files"] == len(expected)
    assert not (tmp_path / "old-host.example").exists()


def test_dateline_cli_has_the_demo_site_command() -> None:
    from flows.cli import app

    result = CliRunner().invoke(app, ["demo-site", "--help"])
    assert result.exit_code == 0
    for option in ("--stories", "--outlets", "--port", "--sources-out"):
        assert option in result.output
