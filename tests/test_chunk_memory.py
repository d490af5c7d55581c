"""What a long run holds between chunks: discovered items are dropped as they are handed out, and fetch
logs keep the metadata of each fetch, not its body."""

from __future__ import annotations

from pathlib import Path

from demo.site import serve_demo_site
from flows.pipeline.chunks import take_chunks
from flows.sources.config import Source, load_sources
from flows.sources.discover import Discovery, ReadContext, WorkItem, discover_chunks
from flows.sources.fetching import FetchSettings
from flows.sources.fetching.session import FetchSession


def file_source(folder: Path) -> Source:
    (folder / "sources.toml").write_text('[[source]]\nname = "dumps"\nkind = "file"\npath = "*.txt"\n')
    return load_sources(folder / "sources.toml").sources[0]


def test_chunks_come_in_order_and_leave_the_list(tmp_path: Path) -> None:
    source = file_source(tmp_path)
    items = [WorkItem(source, f"/doc/{n}", is_url=False) for n in range(7)]
    expected = [[i.locator for i in items[start : start + 3]] for start in (0, 3, 6)]
    handed_out = []
    for chunk in take_chunks(items, 3):
        handed_out.append([i.locator for i in chunk.items])
        assert len(items) == 7 - sum(len(c) for c in handed_out)
    assert handed_out == expected
    assert items == []


def test_discovery_logs_its_fetches_without_their_bodies(tmp_path: Path) -> None:
    with serve_demo_site(stories=30, outlets=1) as site:
        (tmp_path / "sources.toml").write_text(site.sources_toml())
        config = load_sources(tmp_path / "sources.toml")
        with FetchSession(FetchSettings(state_dir=tmp_path / "state")) as session:
            context = ReadContext(Discovery(), config.base_dir, session=session)
            items = [i for chunk in discover_chunks(config.sources, context, 7) for i in chunk.items]
    discovery = context.discovery
    assert len(items) == discovery.found == 30
    assert discovery.fetches and all(f.status_code == 200 and f.bytes > 0 for f in discovery.fetches)
    assert all(f.body is None for f in discovery.fetches)
