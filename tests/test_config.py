"""sources.toml validation: every mistake is one line naming the problem and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.sources.config import ConfigError, adhoc_source, parse_sources

GOOD = """
[[source]]
name = "meridian"
kind = "feed"
url = "https://www.meridian-daily.example/rss.xml"
tags = ["world"]
schedule = "*/30 * * * *"

[[source]]
name = "dumps"
kind = "file"
path = "samples/dumps/*.txt"
"""


def test_valid_file_gives_sources_in_order() -> None:
    config = parse_sources(GOOD)
    assert [s.name for s in config.sources] == ["meridian", "dumps"]
    assert config.sources[0].domain == "www.meridian-daily.example"
    assert config.sources[0].tags == ("world",)
    assert config.sources[1].location == "samples/dumps/*.txt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[source]]\nname = "a"\nkind = "ftp"\nurl = "https://x"', "source 'a': unknown kind 'ftp'"),
        (
            '[[source]]\nname = "a"\nkind = "ftp"\nurl = "https://x"',
            "(expected one of feed, sitemap, page, file, warc)",
        ),
        ('[[source]]\nname = "a"\nkind = "archive"', "kind 'archive' is what `dateline reparse` reads"),
        ('[[source]]\nname = "a"\nkind = "feed"', "source 'a': kind 'feed' needs 'url'"),
        ('[[source]]\nname = "a"\nkind = "file"', "source 'a': kind 'file' needs 'path'"),
        ('[[source]]\nkind = "feed"\nurl = "https://x"', "source #1: missing 'name'"),
        (
            '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\n[[source]]\nname = "a"\nkind = "feed"\nurl = "https://y"',
            "duplicate source name 'a'",
        ),
        ('[[source]\nname = "a"', "TOML syntax error"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "ftp://x"', "url must be http(s)"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\ncolour = 1', "unknown key(s) colour"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\nmax_items = 0', "max_items must be a positive"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\nallowed_hosts = "x"', "allowed_hosts must be"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\nallowed_hosts = ["https://x/"]', "host names"),
        ('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x"\nallow_private_networks = "yes"', "true or false"),
    ],
)
def test_broken_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, where="my.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("my.toml")
    assert "\n" not in str(caught.value).strip()


def test_empty_file_is_not_an_error() -> None:
    assert parse_sources("").sources == ()


def test_adhoc_sources_tell_urls_from_paths() -> None:
    assert adhoc_source("https://news.example/feed").kind == "page"
    assert adhoc_source("dumps/today.txt").kind == "file"


def test_network_settings_default_to_public_hosts_and_are_read() -> None:
    default, strict = parse_sources(
        '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://a.example/rss"\n'
        '[[source]]\nname = "b"\nkind = "feed"\nurl = "http://10.0.0.5/rss"\n'
        'allowed_hosts = ["*.CDN.example.", "b.example"]\nallow_private_networks = true\n'
    ).sources
    assert (default.allowed_hosts, default.allow_private_networks) == ((), False)
    assert (strict.allowed_hosts, strict.allow_private_networks) == (("cdn.example", "b.example"), True)


def test_an_adhoc_path_is_keyed_on_its_absolute_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    from_here = adhoc_source("dumps/today.txt")
    monkeypatch.chdir(tmp_path / "sub")
    from_below = adhoc_source("../dumps/today.txt")
    assert from_here.name == from_below.name == f"adhoc:{tmp_path / 'dumps' / 'today.txt'}"
    assert from_here.path == str(tmp_path / "dumps" / "today.txt")
