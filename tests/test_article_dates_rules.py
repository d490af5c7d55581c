"""Publication-date rules for pages whose dates the general readers got wrong.

Each rule answers a way real news templates state their dates that the earlier readers misjudged:

- Facebook's "es_LA" locale names Latin American Spanish, not Laos, so it must not pull a UTC instant
  into Laos' zone nor stop the country domain from naming the site's zone;
- a shown date such as "03/05/2022" reads as March 5 or 3 May, and only the instant stated in the
  metadata can tell which, so both readings are checked against it;
- the day in an article's URL was minted on the local day of publication, so it tells which zone a
  UTC instant belongs to just as a byline's day does;
- "4. 2. 2022." (a dotted date closed by a full stop, common in Central Europe) is day first like
  every dotted date;
- on a page without dates in its metadata, an element whose class names it the publication date is
  a stronger statement than htmldate's weighing of every date on the page (a header's or a sidebar's included);
- a class naming the post date ("field--name-node-post-date", Drupal's) names the publication date;
- on a page without dates in its metadata, the date shown in the short elements right under the headline
  (the byline's or the meta line's) outranks htmldate's weighing, which can prefer the header's "today";
  a logo's or a masthead's <h1> is not the headline, and a date after the story's first paragraph is not
  the byline's; a press release's number after the date ("Berlin, 28.10.2021, 058/21") does not hide it;
- Dublin Core's generic `date` (`date`, `dc.date`, `dcterms.date`) is any date in the life of the page,
  often the day it was last saved: when it is the only date declared, the publication date the page shows
  (under the headline, else a <time> marked as the publication) outranks it. Specific tags
  (`article:published_time`, JSON-LD) still outrank what the page shows.

The fixtures are minimal pages written for these tests.
"""

from __future__ import annotations

import lxml.html

from transforms.parsers.article import parse_article
from transforms.parsers.html.published import _under_headline

STORY = "".join(
    f"<p>Paragraph {n} of the story says what the council decided about the harbour and why it matters.</p>"
    for n in range(4)
)


def declared_page(published: str, *, lang: str = "en", head: str = "", byline: str = "") -> str:
    """An article whose JSON-LD declares `published`, with an optional byline shown above the story."""
    return f"""<!doctype html><html lang="{lang}"><head><title>Council votes on the harbour</title>
<meta property="og:type" content="article">{head}
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Council votes on the harbour",
"datePublished": "{published}"}}</script></head>
<body><article><h1>Council votes on the harbour</h1>
<div class="byline"><span class="author">By Dana Ruiz</span>{byline}</div>
{STORY}</article></body></html>"""


def undeclared_page(article_top: str, *, header: str = "", lang: str = "en") -> str:
    """An article without dates in its metadata: only what the body shows can date it."""
    return f"""<!doctype html><html lang="{lang}"><head><title>Council votes on the harbour</title>
<meta property="og:type" content="article"></head>
<body>{header}<article><h1>Council votes on the harbour</h1>
<div class="byline"><span class="author">By Dana Ruiz</span></div>{article_top}
{STORY}</article></body></html>"""


# the site's header shows the day the page was fetched, above the story
TOPBAR = '<div class="topbar"><span class="date">7 March 2023</span></div>'


def published_at(html: str, url: str | None = None) -> str | None:
    return parse_article(html, locator="page.html", url=url).published_at


def test_es_la_locale_does_not_stop_the_country_domain_from_naming_the_zone():
    # es_LA is not Laos: the Argentine domain alone says the site's zone
    html = declared_page("2022-03-05T01:30:00Z", head='<meta property="og:locale" content="es_LA">')
    url = "https://www.diario.com.ar/politica/el-concejo-vota-el-presupuesto"
    assert published_at(html, url) == "2022-03-04T22:30:00-03:00"


def test_numeric_shown_date_read_day_first_when_only_that_reading_matches_the_instant():
    # "03/05/2022" on an Argentine page is 3 May; read month first it would be weeks from the instant
    html = declared_page("2022-05-04T01:30:00Z", lang="es-AR", byline='<span class="date">03/05/2022</span>')
    assert published_at(html) == "2022-05-03T22:30:00-03:00"


def test_url_day_tells_the_local_day_of_a_utc_instant():
    # 16:00 UTC is 01:00 the next day in Tokyo; the URL carries that next day, nothing else shows a date
    html = declared_page("2022-03-04T16:00:00Z", lang="ja-JP")
    url = "https://news.example.com/2022/03/05/council-votes-on-the-harbour/"
    assert published_at(html, url) == "2022-03-05T01:00:00+09:00"


def test_dotted_date_closed_by_a_full_stop_is_read_day_first():
    # the closing full stop once sent the date to dateutil, which read it month first (2 April)
    html = undeclared_page("<p>Published 4. 2. 2022.</p>", lang="hr")
    assert published_at(html) == "2022-02-04"


def test_element_classed_as_publication_date_wins_over_a_header_date():
    html = undeclared_page('<div class="att-publish-date">12 January 2021</div>', header=TOPBAR)
    assert published_at(html) == "2021-01-12"


def test_teaser_and_comment_dates_are_not_the_publication_date():
    html = undeclared_page(
        '<div class="teaser-publish-date">1 March 2023</div><div class="comment-posted">2 March 2023</div>'
        '<div class="att-publish-date">12 January 2021</div>'
    )
    assert published_at(html) == "2021-01-12"


def test_post_date_class_marks_the_publication_date():
    html = undeclared_page('<div class="field--name-node-post-date">12 January 2021</div>', header=TOPBAR)
    assert published_at(html) == "2021-01-12"


def headline_page(headline: str, under: str, *, header: str = "") -> str:
    """A page without dated metadata whose <h1> headline is followed by `under` (a meta line, a byline)."""
    return f"""<!doctype html><html lang="en"><head><title>Council votes on the harbour | Harbour Times</title>
</head><body>{header}<div class="post"><h1>{headline}</h1>{under}
<div class="content">{STORY}</div></div></body></html>"""


def test_date_under_the_headline_outranks_the_header_day():
    under = '<ul class="nav meta"><li><a href="/archive/2020-10-13">13 Oct 2020 18:29</a></li><li>1479</li></ul>'
    html = headline_page("Council votes on the harbour", under, header=TOPBAR)
    assert published_at(html) == "2020-10-13"


def under_headline(html: str, title: str) -> str | None:
    """The under-the-headline reading alone (htmldate would find the same lone date on these pages)."""
    return _under_headline(lxml.html.fromstring(html), title, None)


def test_a_masthead_h1_is_not_the_headline():
    # the masthead's <h1> is followed by the day shown in the header, not by the story's date
    masthead = '<h1>Daily Harbour News</h1><div class="today">Tuesday, December 8, 2020</div>'
    html = headline_page("Council votes on the harbour", "<p>By Dana Ruiz</p>", header=masthead)
    assert under_headline(html, "Council votes on the harbour") is None


def test_a_date_after_the_first_paragraph_is_not_the_bylines():
    under = f"<p>{'The council met for hours and heard every side of the harbour question. ' * 4}</p><p>13 Oct 2020</p>"
    html = headline_page("Council votes on the harbour", under)
    assert under_headline(html, "Council votes on the harbour") is None


def test_press_release_number_does_not_hide_the_date_under_the_headline():
    under = '<p class="meta">Berlin, 28.10.2021, 058/21</p>'
    html = headline_page("Council votes on the harbour", under, header=TOPBAR)
    assert published_at(html) == "2021-10-28"


def generic_page(head: str, top: str = "", under: str = "") -> str:
    """An article whose metadata declares `head` (a date tag), with `top` above its headline and `under` below."""
    return f"""<!doctype html><html lang="de"><head><title>Council votes on the harbour</title>{head}</head>
<body><article>{top}<h1>Council votes on the harbour</h1>{under}{STORY}</article></body></html>"""


# the content system's last save, in Dublin Core's generic date
LAST_SAVED = '<meta name="dcterms.date" content="2021-12-20T11:02:44+01:00">'


def test_date_shown_under_the_headline_outranks_the_generic_dublin_core_date():
    html = generic_page(LAST_SAVED, under='<div class="row"><span class="date">27.01.2022</span></div>')
    assert published_at(html) == "2022-01-27"


def test_time_marked_as_publication_outranks_the_generic_dublin_core_date():
    top = '<div class="article-meta"><time class="date" datetime="2022-01-25T08:00:00+01:00">25.01.2022</time></div>'
    assert published_at(generic_page(LAST_SAVED, top=top)) == "2022-01-25T08:00:00+01:00"


def test_visible_date_on_the_generic_day_outranks_hidden_microdata():
    # the hidden microdata says the 19th; the byline and the generic date agree on the 20th
    hidden = (
        '<div style="display:none" itemscope itemtype="https://schema.org/NewsArticle">'
        '<time itemprop="datePublished" datetime="2021-12-19T20:35:36+01:00">2021-12-19</time></div>'
    )
    html = generic_page(LAST_SAVED, top=hidden, under='<p class="meta">Berlin, 20.12.2021, 058/21</p>')
    assert published_at(html) == "2021-12-20T11:02:44+01:00"


def test_specific_publication_tag_outranks_the_date_shown():
    head = '<meta property="article:published_time" content="2021-12-20T11:02:44+01:00">'
    html = generic_page(head, under='<div class="row"><span class="date">27.01.2022</span></div>')
    assert published_at(html) == "2021-12-20T11:02:44+01:00"
