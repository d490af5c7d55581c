"""Bylines in their many forms, read from pages written for the test; organisations, dates and desks are not people."""

from __future__ import annotations

import json

import pytest

from transforms.parsers.article import parse_article

STORY = "".join(
    f"<p>{text}</p>"
    for text in (
        "The harbour board voted on Tuesday to open a second night lane for cargo ships.",
        "Pilots had asked for the change since the spring, when queues at the outer buoy doubled.",
        "The board's chair said the lane would open in April once the new lights were fitted.",
    )
)


def authors(head: str = "", byline: str = "", after: str = "") -> list[str]:
    html = (
        f"<html><head><title>Night lane</title>{head}</head><body><h1>Night lane</h1>{byline}"
        f"<article>{STORY}</article>{after}</body></html>"
    )
    return parse_article(html, locator="t").authors


def json_ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ('<p class="byline">By Mara Lindqvist and Tomas Berg</p>', ["Mara Lindqvist", "Tomas Berg"]),
        ('<div class="byline">Mara Lindqvist | Staff Writer</div>', ["Mara Lindqvist"]),
        ('<p class="byline__author">VON <a href="/autoren/berg">TOMAS BERG</a> am 21. April 2020</p>', ["TOMAS BERG"]),
        ('<span class="teaser-meta">von Andreas Kessler</span>', ["Andreas Kessler"]),
        (
            '<div class="dates_auteurs">par <span class="auteurs">Élise Marchand</span>, 21 juin 2018</div>',
            ["Élise Marchand"],
        ),
        ('<p class="date-author">Janic Moser, 01.12.2021</p>', ["Janic Moser"]),
        ('<div class="meta"><a rel="author" href="/u/7">Mara Lindqvist</a></div>', ["Mara Lindqvist"]),
        ('<span class="entry-author">Veröffentlicht von <a href="/u/gizmo">gizmo</a></span>', ["gizmo"]),
        ('<div class="byline"><span>Mara Lindqvist</span><span>Monday</span></div>', ["Mara Lindqvist"]),
    ],
)
def test_visible_bylines(byline: str, expected: list[str]) -> None:
    assert authors(byline=byline) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            json_ld({"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Mara Lindqvist"}]}),
            ["Mara Lindqvist"],
        ),
        (
            json_ld(
                {
                    "@graph": [
                        {"@type": "Article", "author": {"@id": "https://h.example/#/person/1"}},
                        {"@type": "Person", "@id": "https://h.example/#/person/1", "name": "Tomas Berg"},
                    ]
                }
            ),
            ["Tomas Berg"],
        ),
        (json_ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Harbour Post"}}), []),
        ('<meta name="author" content="Mara Lindqvist">', ["Mara Lindqvist"]),
        ('<meta property="article:author" content="Tomas Berg">', ["Tomas Berg"]),
        ('<meta name="DC.creator" content="Mara Lindqvist">', ["Mara Lindqvist"]),
        ('<meta name="author" content="seabird42x">', []),  # digits: a login, not a signature
        ('<meta name="author" content="seabird">', ["seabird"]),  # the only name the page gives
        ('<meta name="author" content="NDR">', []),  # an acronym is a broadcaster
        ('<meta name="author" content="The Associated Press">', []),
    ],
)
def test_declared_authors(head: str, expected: list[str]) -> None:
    assert authors(head=head) == expected


def test_a_page_crediting_its_desk_names_nobody_even_if_it_links_people() -> None:
    head = json_ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "Redaktion"}})
    links = '<p>Players: <a href="/profil/ana-ruiz">Ana Ruiz</a>, <a href="/profil/li-wen">Li Wen</a></p>'
    assert authors(head=head, byline=links) == []


def test_comment_authors_and_form_labels_are_not_the_byline() -> None:
    comments = (
        '<div id="comments"><div class="comment-author">Piet Jansen sagt</div></div>'
        '<form><p class="comment-form-author"><label>Name *</label></p></form>'
    )
    assert authors(after=comments) == []
