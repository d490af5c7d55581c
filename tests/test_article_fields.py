"""Each StoryRecord field read from article pages written in the shapes real newsrooms use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transforms.parsers.article import parse_article
from transforms.parsers.html.authors import clean_names
from transforms.parsers.html.dateline import split_dateline
from transforms.parsers.html.published import date_from_url
from transforms.parsers.html.title import strip_site_name

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def parse(name: str, **kwargs):
    return parse_article((FIXTURES / name).read_bytes(), locator=name, **kwargs)


@pytest.fixture(scope="module")
def wire():
    return parse("wire_story.html")


def test_json_ld_page_gives_every_field(wire):
    assert wire.url == "https://ledger.example.com/world/2025/02/06/floods-cut-road-links"
    assert wire.title == "Floods cut road links to northern valleys"
    assert wire.authors == ["Amina Qureshi", "Tom Hale"]
    assert wire.published_at == "2025-02-06T09:30:00+05:00"
    assert wire.updated_at == "2025-02-06T14:05:00+05:00"
    assert wire.section == "World"
    assert wire.tags == ["Floods", "Pakistan", "Weather"]
    assert wire.language == "en"
    assert wire.summary == ["Rescue teams reach cut-off villages", "Rivers expected to rise until Sunday"]
    assert wire.image_caption == "Residents wade through a flooded street in Swat."


def test_body_is_paragraphs_without_furniture_and_dateline(wire):
    paragraphs = wire.body.split("\n\n")
    assert wire.dateline == "ISLAMABAD"
    assert paragraphs[0].startswith("Heavy rain cut road links")
    assert len(paragraphs) == 4
    for furniture in (
        "Sign up",
        "Drought hits",
        "Reader one",
        "All rights",
        "Residents wade",
        "Home",
        "Rescue teams",
    ):
        assert furniture not in wire.body


def test_meta_tags_only_page():
    record = parse("meta_only.html")
    assert record.title == "Senate passes stopgap spending bill"  # "Capitol Courier - " prefix removed
    assert record.url == "https://courier.example.org/politics/senate-stopgap"
    assert record.authors == ["Jane Doe", "John Roe"]
    assert record.published_at == "2025-02-05T18:45:00-05:00"
    assert record.updated_at == "2025-02-06"  # visible "Updated 06 February 2025": a day, no invented time
    assert record.dateline == "WASHINGTON"
    assert record.body.startswith("The Senate passed")
    assert "Advertisement" not in record.body
    assert record.language == "en"
    assert record.tags == ["Congress", "Budget"]


def test_local_time_without_offset_needs_the_site_zone():
    assert parse("local_time.html").published_at == "2025-03-04"
    berlin = parse("local_time.html", default_tz="Europe/Berlin")
    assert berlin.published_at == "2025-03-04T08:15:00+01:00"
    assert berlin.authors == ["Petra Schmidt"]
    assert berlin.language == "de"


def test_visible_day_only_stays_a_day():
    record = parse("day_only.html")
    assert record.published_at == "2025-02-05"
    assert record.title == "Harbour museum reopens after repairs"
    assert record.body.count("\n\n") == 2


def test_url_date_when_page_has_no_date_tags():
    html = (FIXTURES / "day_only.html").read_text().replace("Published 5 February 2025", "")
    record = parse_article(html, locator="x", url="https://example.com/news/2024/11/30/harbour-museum/")
    assert record.published_at == "2024-11-30"


def test_utc_timestamp_takes_the_offset_the_page_states_elsewhere():
    html = (
        (FIXTURES / "day_only.html")
        .read_text()
        .replace(
            "<title>",
            '<meta property="article:published_time" content="2023-12-23T01:48:19Z">'
            '<meta name="pubdate" content="2023-12-22 20:48:19"><title>',
        )
    )
    assert parse_article(html, locator="x").published_at == "2023-12-22T20:48:19-05:00"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Loafing picks for the weekend | Creative Loafing", "Loafing picks for the weekend"),
        ("Creative Loafing - Loafing picks for the weekend", "Loafing picks for the weekend"),
        ("Q&A: a mayor on housing - Ledger", "Q&A: a mayor on housing"),
        ("Rain - or shine - the fair goes on", "Rain - or shine - the fair goes on"),
    ],
)
def test_site_name_removed_from_titles(title, expected):
    assert strip_site_name(title, {"creative loafing", "ledger"}) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["Jane Doe @janedoe jane.doe@example.com"], ["Jane Doe"]),
        (["Sam Lee, Staff Writer"], ["Sam Lee"]),
        (["Kayla Jimenez USA TODAY"], ["Kayla Jimenez"]),
        (["Najib Jobain, Associated Press, Samy Magdy"], ["Najib Jobain", "Samy Magdy"]),
        (["The Associated Press"], []),
        (["Ledger Staff"], []),
        (["The Daily Ledger"], []),
        (["Chris E. Hayner"], ["Chris E. Hayner"]),
        (["Lauren Manaker MS, RDN"], ["Lauren Manaker"]),
        (["Sarah Barnacle, The Worcester Telegram & Gazette"], ["Sarah Barnacle"]),
        (["Javier Espinoza, Financial Times"], ["Javier Espinoza"]),
        (["Chip Mitchell", "WBEZ"], ["Chip Mitchell"]),
    ],
)
def test_author_cleaning(raw, expected):
    assert clean_names(raw, {"the daily ledger", "usatoday"}) == expected


@pytest.mark.parametrize(
    ("paragraph", "place", "rest"),
    [
        ("ISLAMABAD: Talks resumed.", "ISLAMABAD", "Talks resumed."),
        ("WASHINGTON (AP) — The Senate voted.", "WASHINGTON", "The Senate voted."),
        ("NEW YORK, Dec 5 (Reuters) - Stocks rose.", "NEW YORK", "Stocks rose."),
        ("LOS ALAMOS, N.M.—The lab said.", "LOS ALAMOS", "The lab said."),
        ("SÃO PAULO (Meridian Wire) — The bank said.", "SÃO PAULO", "The bank said."),
        ("BOGOTÁ, Colombia — Talks stalled.", "BOGOTÁ", "Talks stalled."),
        ("COVID-19 cases fell again.", None, "COVID-19 cases fell again."),
        ("NASA said on Monday it would launch.", None, "NASA said on Monday it would launch."),
    ],
)
def test_dateline_split(paragraph, place, rest):
    assert split_dateline(paragraph) == (place, rest)


def test_kicker_inside_h1_is_dropped_but_title_colons_kept():
    head = '<meta property="og:title" content="What I will pray for this winter | Ledger">'
    kicker = f"<html><head>{head}</head><body><h1><span>Opinion</span> What I will pray for this winter</h1>"
    body = "<p>" + "A long paragraph about hope and the season ahead of us all. " * 5 + "</p></body></html>"
    assert parse_article(kicker + body, locator="k").title == "What I will pray for this winter"
    colon = kicker.replace("<span>Opinion</span>", "Faith and doubt:")
    assert parse_article(colon + body, locator="c").title == "Faith and doubt: What I will pray for this winter"


def test_logo_h1_is_not_the_headline():
    html = (
        '<html><head><meta property="og:site_name" content="TopWheels">'
        '<meta property="og:title" content="Ten things that make the new pickup fast"></head>'
        "<body><h1>TopWheels</h1><h2>Ten things that make the new pickup fast</h2>"
        "<p>" + "The new pickup truck is quick off the line and comfortable on rough roads. " * 5 + "</p></body></html>"
    )
    assert parse_article(html, locator="logo").title == "Ten things that make the new pickup fast"


def test_tags_are_labels_not_prose_or_template_flags():
    ld = '{"@type": "NewsArticle", "keywords": "U.S. news, layout_hero, \\" I said to my son., Elections"}'
    html = (
        (FIXTURES / "day_only.html")
        .read_text()
        .replace("<title>", f'<script type="application/ld+json">{ld}</script><title>')
    )
    assert parse_article(html, locator="t").tags == ["U.S. news", "Elections"]


def test_embedded_posts_are_not_paragraphs_and_table_rows_are_lines_of_cells():
    extra = (
        '<blockquote class="twitter-tweet"><p>Stay safe everyone, roads are closed near the river tonight.</p>'
        "— Someone (@someone) February 6, 2025</blockquote>"
        "<table><tr><th>Valley</th><th>Families</th></tr><tr><td>Swat</td><td>120</td></tr>"
        "<tr><td>Kalam</td><td>80</td></tr></table>"
    )
    html = (FIXTURES / "wire_story.html").read_text().replace("<p>Engineers said", extra + "<p>Engineers said")
    record = parse_article(html, locator="embeds")
    assert "Stay safe" not in record.body
    assert "Kalam | 80" in record.body and "| Kalam" not in record.body
    assert "Engineers said" in record.body


def test_recirculation_block_at_the_end_is_cut():
    more = (
        "<h3>More from The Daily Ledger</h3><ul><li>Drought hits southern farms in a record dry winter</li>"
        "<li>Power cuts extended across the northern grid for a second week</li></ul>"
    )
    html = (FIXTURES / "wire_story.html").read_text().replace("</article>", more + "</article>")
    record = parse_article(html, locator="more")
    assert record.body.endswith("washed away by the force of the water.")


def test_author_signoff_lines_are_not_story():
    signoff = "<p>Amina Qureshi can be reached at amina@ledger.example.com.</p>"
    html = (FIXTURES / "wire_story.html").read_text().replace("</article>", signoff + "</article>")
    record = parse_article(html, locator="signoff")
    assert "can be reached" not in record.body
    assert record.body.endswith("washed away by the force of the water.")


def test_publisher_article_body_replaces_a_sidebar_the_extractor_followed():
    story = " ".join(
        f"Paragraph {i} of the declared story about the council budget and the schools." for i in range(20)
    )
    ld = json.dumps({"@type": "NewsArticle", "headline": "Budget", "articleBody": story})
    links = "".join(
        f"<li><p>Sidebar teaser number {i} about another story entirely, with more words.</p></li>" for i in range(12)
    )
    html = (
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        f"<body><h1>Budget</h1><div class='content'><ul>{links}</ul></div></body></html>"
    )
    record = parse_article(html, locator="sidebar")
    assert record.body == story


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://example.com/world/2023/12/17/story/", "2023-12-17"),
        ("https://example.com/news/2023-12-17-story", "2023-12-17"),
        ("https://example.com/news/20200413/story", "2020-04-13"),
        ("https://example.com/world/story-slug-20200113", "2020-01-13"),
        ("https://example.com/2023/dec/21/story", "2023-12-21"),
        ("https://example.com/2023/12/16-new-officers-join", None),  # a number in the slug, not a day
        ("https://example.com/article/120200622120908039/", None),
    ],
)
def test_date_from_url(url, day):
    assert date_from_url(url) == day
