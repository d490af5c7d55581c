"""The parallel runner behind `dateline extract`: real files, real worker processes, order kept."""

from __future__ import annotations

import gzip
from pathlib import Path

from flows.pipeline import extract
from flows.pipeline.extract import extract_paths, page_paths
from transforms.errors import ParseError
from transforms.record import StoryRecord

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def test_directory_of_pages_in_two_processes(tmp_path):
    story = (FIXTURES / "wire_story.html").read_bytes()
    expected = []
    for index in range(20):  # enough files for the process pool to engage
        if index % 5 == 4:
            path = tmp_path / f"p{index:02d}.html"
            path.write_bytes(b"\x00\x01binary")
        elif index % 2:
            path = tmp_path / f"p{index:02d}.html.gz"
            path.write_bytes(gzip.compress(story))
        else:
            path = tmp_path / f"p{index:02d}.html"
            path.write_bytes(story)
        expected.append(str(path))
    (tmp_path / "broken.html.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    paths = page_paths(tmp_path)
    assert paths == sorted([*expected, str(tmp_path / "broken.html.gz")])

    results = list(extract_paths(paths, workers=2))
    assert [r.input if isinstance(r, StoryRecord) else r[0] for r in results] == paths
    records = [r for r in results if isinstance(r, StoryRecord)]
    rejects = dict(r for r in results if not isinstance(r, StoryRecord))
    assert len(records) == 16
    assert all(r.dateline == "ISLAMABAD" and r.title.startswith("Floods") for r in records)
    assert all(isinstance(e, ParseError) for e in rejects.values())
    assert rejects[str(tmp_path / "broken.html.gz")].reason == "unreadable"
    assert rejects[str(tmp_path / "p04.html")].reason in {"not_html", "not_text"}


def test_story_dump_and_url_inputs(tmp_path):
    dump = tmp_path / "dump.txt"
    dump.write_text((FIXTURES / "two_stories.txt").read_text())
    results = list(extract_paths([str(dump), "https://example.com/page"], workers=1))
    assert [r.title for r in results[:2]] == [
        "Harbour workers end strike after pay deal",
        "Rail line to the north reopens after repairs",
    ]
    assert len(results) == 3
    assert isinstance(results[2], tuple) and results[2][1].reason == "url_input"


def test_single_process_gives_the_same_records(tmp_path):
    path = tmp_path / "one.html"
    path.write_bytes((FIXTURES / "meta_only.html").read_bytes())
    (result,) = extract_paths([str(path)], workers=1)
    assert isinstance(result, StoryRecord)
    assert result.authors == ["Jane Doe", "John Roe"]


def test_gzip_files_are_read_with_the_bounded_inflater(tmp_path, monkeypatch):
    story = (FIXTURES / "wire_story.html").read_bytes()
    (tmp_path / "a-members.html.gz").write_bytes(gzip.compress(story[:500]) + gzip.compress(story[500:]))
    (tmp_path / "b-truncated.html.gz").write_bytes(gzip.compress(story)[:-20])
    (tmp_path / "c-bomb.html.gz").write_bytes(gzip.compress(b" " * (2 * 1024 * 1024)))
    monkeypatch.setattr(extract, "MAX_DOCUMENT_BYTES", 1024 * 1024)
    members, truncated, bomb = extract_paths([str(tmp_path)], workers=1)
    assert isinstance(members, StoryRecord) and members.dateline == "ISLAMABAD"
    assert truncated[1].reason == "unreadable" and "end-of-stream" in truncated[1].detail
    assert bomb[1].reason == "too_large"
