"""URL normalisation and canonical URLs: one story reached by two URLs is one story."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.urls import canonical_url, normalise_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "HTTPS://Www.Example.COM:443/News/Story?id=7&utm_source=x&UTM_Medium=y&fbclid=abc#comments",
            "https://www.example.com/News/Story?id=7",
        ),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://e.com/a?gclid=1&mc_cid=2&mc_eid=3&_ga=4", "https://e.com/a"),
        ("https://e.com/a?b=2&a=1&b=1", "https://e.com/a?b=2&a=1&b=1"),  # order kept
        ("https://e.com/a?q=caf%C3%A9+bar&utm_term=z", "https://e.com/a?q=caf%C3%A9+bar"),  # encoding kept
        ("  https://e.com/a/b/  ", "https://e.com/a/b/"),
        ("https://user:pw@E.com/x", "https://e.com/x"),  # credentials are never kept
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


def test_tracked_and_clean_links_to_one_story_agree() -> None:
    tracked = "https://www.arabnews.pk/node/123?utm_source=twitter&utm_campaign=x#top"
    assert normalise_url(tracked) == normalise_url("https://WWW.arabnews.pk/node/123")


@pytest.mark.parametrize("junk", ["", "not a url", "/relative/path", "http://[::1", "mailto:a@b.c", "http://h:99999/"])
def test_junk_never_raises(junk: str) -> None:
    assert normalise_url(junk) == junk.strip()


@given(st.text(max_size=80))
def test_normalise_is_total_and_idempotent(text: str) -> None:
    once = normalise_url(text)
    assert normalise_url(once) == once


def test_canonical_from_link_rel_is_absolute_and_normalised() -> None:
    html = '<html><head><link rel="Canonical" href="/world/story-1?utm_source=rss#x"></head></html>'
    assert canonical_url(html, "https://News.example/amp/story-1") == "https://news.example/world/story-1"


def test_canonical_falls_back_to_og_url() -> None:
    html = '<meta property="og:url" content="https://news.example/story-2">'
    assert canonical_url(html, "https://news.example/story-2?page=1") == "https://news.example/story-2"


def test_canonical_to_the_home_page_from_a_story_is_ignored() -> None:
    html = '<link rel="canonical" href="https://news.example/"><meta property="og:url" content="/s/3">'
    assert canonical_url(html, "https://news.example/s/3?ref=x") == "https://news.example/s/3"


def test_no_usable_canonical_is_none() -> None:
    assert canonical_url("<p>no head</p>", "https://news.example/a") is None
    assert canonical_url('<link rel="canonical" href="javascript:void(0)">', "https://news.example/a") is None
