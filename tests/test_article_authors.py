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


@pytest.mark.parametrize(
    ("head", "byline", "after", "expected"),
    [
        # a login slug in JSON-LD gives way to the name another tag writes out
        (
            json_ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "mara.lindqvist"}})
            + '<meta name="author" content="Mara Lindqvist">',
            "",
            "",
            ["Mara Lindqvist"],
        ),
        # ...and stands when nothing else names her
        (
            json_ld({"@type": "NewsArticle", "author": {"@type": "Person", "name": "mara.lindqvist"}}),
            "",
            "",
            ["mara.lindqvist"],
        ),
        # a declared name with its surname in lower case is still a name; an organisation is not
        ('<meta name="author" content="Tarek hossain">', "", "", ["Tarek hossain"]),
        ('<meta name="author" content="Harbour company">', "", "", []),
        ('<meta name="author" content="harbourblog - Tarek Hossain">', "", "", []),
        # the picture credit after the writer's name is not part of it
        ("", '<p class="author">Tomas Berg Illustration von Lena Fahr</p>', "", ["Tomas Berg"]),
        ("", '<p class="author">Tomas Berg Fotos von Lena Fahr</p>', "", ["Tomas Berg"]),
        # "Blog Beitrag von X" leads in to the name
        ("", '<div class="author-line">Blog Beitrag von Mara Lindqvist</div>', "", ["Mara Lindqvist"]),
        # a date and a name, nothing else, under the headline; a date and a time are not a name
        ("", '<p class="text-muted">11.12.2019 - Mara Lindqvist</p>', "", ["Mara Lindqvist"]),
        ("", '<span class="field-content">Tomas Berg | 2019-12-11</span>', "", ["Tomas Berg"]),
        ("", '<p class="text-muted">11.12.2019 - 14:30</p>', "", []),
        # a by-word left alone once an account is dropped is nobody
        ("", "<span class=author>von <a href=/author/wordpressadmin/ rel=author>wordpressadmin</a></span>", "", []),
    ],
)
def test_names_declared_or_written_beside_dates(head: str, byline: str, after: str, expected: list[str]) -> None:
    assert authors(head, byline, after) == expected


def test_a_name_signed_in_bold_under_the_story_is_its_author_not_its_text() -> None:
    html = (
        "<html><head><title>Night lane</title></head><body><h1>Night lane</h1>"
        f"<article>{STORY}<p><b><i>Mara Lindqvist</i></b></p></article></body></html>"
    )
    record = parse_article(html, locator="signed")
    assert record.authors == ["Mara Lindqvist"]
    assert "Mara Lindqvist" not in record.body and "outer buoy" in record.body


def test_a_bold_subheading_that_ends_the_text_is_not_a_signature() -> None:
    html = (
        "<html><head><title>Night lane</title></head><body><h1>Night lane</h1>"
        f"<article>{STORY}<p><strong>Harbour Lights</strong> open at dusk.</p></article></body></html>"
    )
    record = parse_article(html, locator="subhead")
    assert record.authors == []
    assert "Harbour Lights open at dusk." in record.body


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ('<div class="ArticleByline">Mara Lindqvist</div>', ["Mara Lindqvist"]),  # any case
        ('<span itemprop="author">Mara Lindqvist</span>', ["Mara Lindqvist"]),
        ('<a rel="author" href="/m">Mara Lindqvist</a>', ["Mara Lindqvist"]),
        ('<div id="story-writer">Mara Lindqvist</div>', ["Mara Lindqvist"]),
        ('<div class="author-photo">Mara Lindqvist</div>', []),  # the photo beside the byline
        ('<ol class="Citations"><li><span class="author">Mara Lindqvist</span></li></ol>', []),
        ('<section id="respond"><div><p class="author">Mara Lindqvist</p></div></section>', []),
        ('<form><div><span class="author">Mara Lindqvist</span></div></form>', []),
    ],
)
def test_elements_named_for_the_byline(byline: str, expected: list[str]) -> None:
    """Class, id, itemprop or rel name the byline; a photo class, or a comment thread, reference list or
    form anywhere above it, do not."""
    assert authors(byline=byline) == expected
