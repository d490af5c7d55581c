"""A UTC publication instant re-expressed in the site's zone only when the page itself shows that zone.

The pages are shaped like real article templates: metadata declaring the instant in UTC, and a
byline block showing the local day and time the way newsrooms print it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.parsers.article import parse_article
from transforms.parsers.html.shown import read_shown
from transforms.parsers.html.site_zone import country_zone, domain_country, in_site_zone

BODY = "".join(
    f"<p>Paragraph {n} of the story tells readers what happened in the county and why it matters.</p>" for n in range(4)
)


def page(published: str, byline: str, *, lang: str = "en", head: str = "", url: str = "") -> str:
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return f"""<!doctype html><html lang="{lang}"><head><title>Council votes on the budget</title>
<meta property="og:type" content="article">{canonical}{head}
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Council votes on the budget",
"datePublished": "{published}"}}</script></head>
<body><article><h1>Council votes on the budget</h1>
<div class="byline"><span class="author">By Dana Ruiz</span>{byline}</div>
{BODY}</article></body></html>"""


def published_at(html: str) -> str | None:
    return parse_article(html, locator="page.html").published_at


BYLINE_CASES = {
    # a zone named beside the shown time moves the instant to the local day
    "zone name beside the shown time": (
        "2023-12-20T01:00:21.174Z",
        '<div class="timestamp">Published 8:00 PM EST, Tue December 19, 2023</div>',
        "2023-12-19T20:00:21-05:00",
    ),
    "generic zone name follows daylight saving": (
        "2023-07-04T02:30:00Z",
        '<time datetime="2023-07-04T02:30:00Z">July 3, 2023 10:30 p.m. ET</time>',
        "2023-07-03T22:30:00-04:00",
    ),
    "shown local time without a zone reveals the offset": (
        "2023-12-23T03:00:46.074Z",
        '<div class="ArticlePage-datePublished d-inline"> December 22, 2023 10:00 PM</div>',
        "2023-12-22T22:00:46-05:00",
    ),
    "half-hour offset revealed by the shown time": (
        "2024-03-01T18:40:00Z",
        '<span class="publish-date">2 March 2024, 12:10 AM</span>',
        "2024-03-02T00:10:00+05:30",
    ),
    "a page showing UTC keeps UTC": (
        "2023-12-22T22:20:00.000Z",
        '<span class="date">Dec 22, 2023 10:20 PM</span>',
        "2023-12-22T22:20:00Z",
    ),
    # 17:07 local cannot be 01:00 UTC in any zone of whole quarter hours
    "a shown time matching no zone changes nothing": (
        "2023-12-20T01:00:21Z",
        '<span class="date">December 19, 2023 5:07 PM</span>',
        "2023-12-20T01:00:21Z",
    ),
    # the page says EST, but 9:00 PM EST is not 01:00 UTC: the shown time dates something else
    "a zone name that disagrees with the instant changes nothing": (
        "2023-12-20T01:00:21Z",
        '<span class="date">December 19, 2023 9:00 PM EST</span>',
        "2023-12-20T01:00:21Z",
    ),
    "an update time is not read as the publication": (
        "2023-12-20T01:00:21Z",
        '<span class="date">Updated December 19, 2023 8:00 PM EST</span>',
        "2023-12-20T01:00:21Z",
    ),
}


@pytest.mark.parametrize(("declared", "byline", "expected"), BYLINE_CASES.values(), ids=BYLINE_CASES.keys())
def test_time_shown_in_the_byline(declared: str, byline: str, expected: str) -> None:
    assert published_at(page(declared, byline)) == expected


def test_shown_day_with_a_zone_named_elsewhere_on_the_page():
    sidebar = '<aside><time datetime="2020-02-16T23:02:32+00:00">Feb 16, 2020 at 3:02pm PST</time></aside>'
    html = page("2020-02-18T02:18:11Z", '<time class="date">| 17 de Febrero 2020</time>', lang="es-ES")
    html = html.replace("</article>", f"</article>{sidebar}")
    # es-ES alone would say Madrid (the 18th); the day shown and the PST the page prints agree on the 17th
    assert published_at(html) == "2020-02-17T18:18:11-08:00"


def test_shown_day_with_the_locale_country_zone():
    html = page("2024-01-14T23:30:00Z", '<span class="article-date">15 January 2024</span>', lang="de-DE")
    assert published_at(html) == "2024-01-15T00:30:00+01:00"


def test_country_domain_with_one_zone_and_nothing_shown():
    url = "https://www.gazzetta-locale.it/news/mondo/1265473/voto"
    html = page("2020-12-05T23:15:00Z", "", lang="it", url=url)
    assert published_at(html) == "2020-12-06T00:15:00+01:00"


def test_country_domain_contradicted_by_the_locale_region_changes_nothing():
    url = "https://www.gazzetta-locale.it/news/mondo/1265473/voto"
    html = page("2020-12-05T23:15:00Z", "", lang="en-US", url=url)
    assert published_at(html) == "2020-12-05T23:15:00Z"


def test_locale_region_of_a_country_with_several_zones_changes_nothing():
    html = page("2020-05-02T02:54:29.000Z", "", lang="en-US", head='<meta property="og:locale" content="en_US">')
    assert published_at(html) == "2020-05-02T02:54:29Z"


def test_page_own_offset_is_never_moved():
    html = page("2023-12-18T22:57:00-05:00", '<span class="date">Dec 19, 2023 3:57 AM</span>')
    assert published_at(html) == "2023-12-18T22:57:00-05:00"


def test_naive_time_element_dated_by_the_zone_its_text_names():
    html = page("", "").replace('"datePublished": ""', '"dateline": "x"')
    html = html.replace(
        '<div class="byline">',
        '<div class="byline"><p class="story-meta__timestamp">'
        '<time datetime="2023-12-22 05:00:00">12/22/2023 05:00 AM EST</time></p>',
    )
    html = html.replace("<head>", '<head><link rel="canonical" href="https://news.example.com/news/2023/12/21/hack">')
    # the URL carries the day the story was filed; the publication <time> one day later wins
    assert published_at(html) == "2023-12-22T05:00:00-05:00"


def test_labelled_date_in_a_definition_list():
    html = page("", "").replace('"datePublished": ""', '"dateline": "x"')
    html = html.replace(
        '<div class="byline">',
        '<dl class="dl-horizontal"><dt>Date:</dt><dd>December 13, 2023</dd><dt>Source:</dt><dd>Lab</dd></dl>'
        '<div class="byline">',
    )
    assert published_at(html) == "2023-12-13"


@pytest.mark.parametrize(
    ("text", "wall", "has_time", "offsets"),
    [
        ("Dec. 21, 2023 11:00 pm EST", datetime(2023, 12, 21, 23, 0), True, [-5]),
        ("posted on 2023-12-19 23:30 EST", datetime(2023, 12, 19, 23, 30), True, [-5]),
        ("December 26, 2023 - 9:03AM", datetime(2023, 12, 26, 9, 3), True, []),
        ("12/22/2023 05:00 AM (CST)", datetime(2023, 12, 22, 5, 0), True, [-6, 8]),
        ("Tuesday 19 December 2023", datetime(2023, 12, 19), False, []),
    ],
)
def test_read_shown(text, wall, has_time, offsets):
    shown = read_shown(text)
    assert shown is not None
    assert (shown.wall, shown.has_time) == (wall, has_time)
    assert [z.utcoffset(None) for z in shown.zones] == [timedelta(hours=h) for h in offsets]


@pytest.mark.parametrize("text", ["13:05", "Dec 23", "5 min read", "Eastern Time", "", "x" * 500])
def test_read_shown_needs_a_full_day(text):
    assert read_shown(text) is None


def test_country_zone_only_when_all_the_country_zones_agree():
    winter = datetime(2024, 1, 15, 12, tzinfo=UTC)
    assert str(country_zone("IT", winter)) == "Europe/Rome"
    assert country_zone("US", winter) is None
    assert country_zone("ES", winter) is None  # the Canaries are an hour behind Madrid
    assert country_zone("XX", winter) is None


@pytest.mark.parametrize(
    ("url", "country"),
    [
        ("https://www.bbc.co.uk/news/x", "GB"),
        ("https://www.lemonde.fr/a", "FR"),
        ("https://example.com/a", None),
        ("https://startup.io/blog", None),
        (None, None),
    ],
)
def test_domain_country(url, country):
    assert domain_country(url) == country


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120),
        st.from_regex(
            r"\A(Published )?Dec 19, 2023 \d{1,2}:\d{2} ?(PM|AM)? ?([A-Z]{2,4}|[+-]\d{1,4}|GMT[+-]\d{1,4})?\Z"
        ),
    ),
    st.sampled_from(["2023-12-20T01:00:21Z", "2023-12-20T01:00:00+00:00", "2023-12-20", "2023-12-20T01:00:21-05:00"]),
    st.sampled_from([None, "IT", "US", "GB", "ZZ"]),
)
def test_reading_and_using_shown_dates_never_raises(text, value, country):
    shown = read_shown(text)
    result = in_site_zone(value, [shown] if shown else [], country, country)
    assert result == value or datetime.fromisoformat(result) == datetime.fromisoformat(value.replace("Z", "+00:00"))
