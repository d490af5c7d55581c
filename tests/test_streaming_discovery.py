"""Discovery streams: a sitemap index's children are fetched a few at a time and their articles handed to
chunks before the next children are read; `max_items` caps the whole source and stops its reading; an
index lists at most MAX_CHILD_SITEMAPS children. Real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.sources.config import parse_sources
from flows.sources.discover import Discovery, ReadContext, discover_chunks
from flows.sources.fetching.session import FetchSession
from flows.sources.web import CHILD_BATCH
from tests.http_fixtures import Reply, ScriptedServer, fast_settings
from transforms.parsers.sitemap import MAX_CHILD_SITEMAPS, parse_sitemap

XML = {"Content-Type": "application/xml"}
CHILDREN = 12
PER_CHILD = 5

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        index = "".join(f"<sitemap><loc>{running.url(f'/child-{c}.xml')}</loc></sitemap>" for c in range(CHILDREN))
        running.route("/sitemap.xml", Reply(headers=XML, body=f"<sitemapindex>{index}</sitemapindex>".encode()))
        for c in range(CHILDREN):
            urls = "".join(f"<url><loc>{running.url(f'/story/{c}-{n}')}</loc></url>" for n in range(PER_CHILD))
            running.route(f"/child-{c}.xml", Reply(headers=XML, body=f"<urlset>{urls}</urlset>".encode()))
        yield running


def sitemap_source(server: ScriptedServer, max_items: int | None = None) -> list:
    cap = f"\nmax_items = {max_items}" if max_items else ""
    toml = f'[[source]]\nname = "site"\nkind = "sitemap"\nurl = "{server.url("/sitemap.xml")}"{cap}\n'
    toml += "allow_private_networks = true\n"
    return list(parse_sources(toml).sources)


def children_fetched(server: ScriptedServer) -> int:
    return sum(1 for seen in server.requests if seen.path.startswith("/child-"))


def test_the_first_chunk_comes_before_the_last_child_is_fetched(server: ScriptedServer, tmp_path: Path) -> None:
    with FetchSession(fast_settings(tmp_path)) as session:
        context = ReadContext(Discovery(), tmp_path, session=session)
        chunks = discover_chunks(sitemap_source(server), context, PER_CHILD)
        first = next(chunks)
        fetched_by_then = children_fetched(server)
        rest = [item for chunk in chunks for item in chunk.items]

    assert [i.locator for i in first.items] == [server.url(f"/story/0-{n}") for n in range(PER_CHILD)]
    assert fetched_by_then == CHILD_BATCH < CHILDREN
    assert len(first.items) + len(rest) == context.discovery.found == CHILDREN * PER_CHILD
    assert context.discovery.capped == []


def test_max_items_caps_the_whole_source_and_stops_reading(server: ScriptedServer, tmp_path: Path) -> None:
    with FetchSession(fast_settings(tmp_path)) as session:
        context = ReadContext(Discovery(), tmp_path, session=session)
        items = [i for chunk in discover_chunks(sitemap_source(server, 7), context, 3) for i in chunk.items]

    assert len(items) == context.discovery.found == 7  # across two children, not 7 per child
    assert children_fetched(server) == CHILD_BATCH  # reading stopped: no further children fetched
    assert context.discovery.capped == ["site"]


def test_a_sitemap_index_lists_at_most_the_capped_number_of_children() -> None:
    index = "".join(f"<sitemap><loc>https://x.example/{n}.xml</loc></sitemap>" for n in range(MAX_CHILD_SITEMAPS + 9))
    sitemap = parse_sitemap(f"<sitemapindex>{index}</sitemapindex>".encode())
    assert len(sitemap.sitemaps) == MAX_CHILD_SITEMAPS and sitemap.dropped_children == 9
    assert sitemap.sitemaps[0] == "https://x.example/0.xml"


def test_the_announced_keys_answer_as_a_set_would() -> None:
    """The compact key set of announced URLs (8 bytes a key) against a Python set, over batches that repeat keys
    within themselves and across earlier batches, through many merges of its sorted runs."""
    import random

    from flows.sources.discover import KeySet

    keys, seen, rng = KeySet(), set(), random.Random(7)
    for _ in range(300):
        batch = [rng.randrange(-(2**63), 2**63) for _ in range(rng.randrange(0, 300))]
        batch += rng.sample(sorted(seen), min(len(seen), 20)) + batch[:3]
        expected = []
        for key in batch:
            expected.append(key not in seen)
            seen.add(key)
        assert keys.add_new(batch) == expected
    assert len(keys) == len(seen)
