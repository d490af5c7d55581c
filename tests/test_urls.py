"""URL normalisation and canonical URLs: one story reached by two URLs is one story."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.parsers.article import parse_article
from transforms.urls import choose_canonical, normalise_url


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


def _page_url(head: str, fetched: str) -> str | None:
    """The URL production gives a page: the HTML reader's declarations through `choose_canonical`."""
    body = "<h1>Story</h1>" + "<p>The council met on Tuesday to discuss the budget for schools and roads.</p>" * 4
    return parse_article(f"<html><head>{head}</head><body>{body}</body></html>", locator="t", url=fetched).url


def test_canonical_from_link_rel_is_absolute() -> None:
    head = '<link rel="Canonical" href="/world/story-1?utm_source=rss#x">'
    assert _page_url(head, "https://news.example/amp/story-1") == "https://news.example/world/story-1?utm_source=rss#x"
    assert normalise_url(_page_url(head, "https://news.example/amp/story-1")) == "https://news.example/world/story-1"


def test_canonical_falls_back_to_og_url() -> None:
    head = '<meta property="og:url" content="https://news.example/story-2">'
    assert _page_url(head, "https://news.example/story-2?page=1") == "https://news.example/story-2"


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="canonical" href="https://news.example/"><meta property="og:url" content="/s/3">',
        '<meta property="og:url" content="https://news.example"><link rel="canonical" href="/s/3">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "url": "/"}</script>',
    ],
)
def test_canonical_to_the_home_page_from_a_story_is_ignored(head: str) -> None:
    """A template bug pointing every story at the home page must not merge them into one."""
    assert _page_url(head, "https://news.example/s/3") == "https://news.example/s/3"


def test_the_home_page_may_declare_itself() -> None:
    assert choose_canonical(["https://news.example/"], "https://news.example/") == "https://news.example/"


def test_no_usable_canonical_is_none() -> None:
    assert choose_canonical([], "https://news.example/a") is None
    assert choose_canonical(["javascript:void(0)", "  ", None, "http://[::1"], None) is None
