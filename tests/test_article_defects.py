"""Defects found by feeding the extractor bad or unusual input, each pinned as a general rule.

Every page here is written for the test: it has the shape of the failure, not the text of any site.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
from rich.console import Console

from flows.cli.output import print_rows
from flows.ingest import ingest
from transforms.parsers.article import parse_article
from transforms.parsers.document import parse_document
from transforms.parsers.dump import parse_dump
from transforms.parsers.html.document import MAX_INPUT_BYTES

STORY = [
    "The harbour board voted on Tuesday to open a second night lane for cargo ships.",
    "Pilots had asked for the change since the spring, when queues at the outer buoy doubled.",
    "The board's chair said the lane would open in April once the new lights were fitted.",
    "Fishing crews warned that the lane crosses grounds they have worked for decades.",
]


def page(body: str, head: str = "", title: str = "Harbour opens a night lane") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><h1>{title}</h1>{body}</body></html>"


def article(paragraphs: list[str] = STORY) -> str:
    return "<article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article>"


def test_markup_after_a_preamble_is_still_a_page() -> None:
    """Server warnings or an inline <style> before <!DOCTYPE> push <html> past the sniffed head."""
    preamble = "<br />\n<b>Warning</b>: deprecated call in <b>/srv/www/settings.php</b> on line 12<br />\n" * 60
    preamble += "<style>\n" + ".box { opacity: 1; }\n" * 300 + "</style>\n"
    (record,) = parse_document((preamble + "<!DOCTYPE html>" + page(article())).encode(), locator="late")
    assert record.title == "Harbour opens a night lane"
    assert STORY[1] in record.body


def test_control_characters_do_not_lose_the_body() -> None:
    """Vertical tabs and form feeds from word processors: XML forbids them; they become spaces."""
    story = [p.replace(" on Tuesday ", " on\x0bTuesday ").replace("decades", "decades\x0c") for p in STORY]
    record = parse_article(page(article(story)).encode(), locator="vt")
    assert "voted on Tuesday to open" in record.body
    assert "\x0b" not in record.body and "\x0c" not in record.body
    assert STORY[3].rstrip(".") in record.body


def test_a_page_over_the_cap_ends_on_a_paragraph_boundary_and_says_so() -> None:
    filler = [f"Paragraph {i} of the council minutes lists item {i * 7} and its cost in full." for i in range(70_000)]
    html = page(article(STORY + filler))
    assert len(html) > MAX_INPUT_BYTES
    for data in (html, html.encode()):
        record = parse_article(data, locator="huge")
        last = record.body.rsplit("\n\n", 1)[-1]
        assert last.startswith("Paragraph ") and last.endswith("in full."), last[-60:]
        assert any(note.startswith("capped") for note in record.notes)
    assert parse_article(page(article()), locator="small").notes == []


def test_a_run_loads_a_capped_page_and_records_the_cut_in_etl_reject(tmp_path: Path, prefect_api: None) -> None:
    """The story loads with the text read before the cap, and the warehouse keeps a row saying it was cut."""
    filler = [f"Paragraph {i} of the council minutes lists item {i * 7} and its cost in full." for i in range(70_000)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "huge.html").write_text(page(article(STORY + filler)), encoding="utf-8")
    (tmp_path / "in" / "small.html").write_text(page(article(), title="Lane lights fitted"), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    summary = ingest(adhoc_sources=[str(tmp_path / "in" / "*.html")], warehouse_path=str(warehouse))
    assert summary["new"] == 2
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejects = con.execute("select stage, reason, locator, detail from etl_reject").fetchall()
        (body,) = con.execute("select body from fact_story where headline = 'Harbour opens a night lane'").fetchone()
    assert [(stage, reason, Path(locator).name) for stage, reason, locator, _ in rejects] == [
        ("parse", "capped", "huge.html")
    ]
    assert "4,000,000 bytes" in rejects[0][3]
    assert body.startswith(STORY[0]) and body.endswith("in full.")


def test_summary_is_plain_text_never_markup() -> None:
    head = '<meta name="description" content="&lt;p&gt;Share this on WhatsApp&lt;/p&gt; The &lt;b&gt;lane&lt;/b&gt;">'
    record = parse_article(page(article(), head=head), locator="desc")
    assert record.summary == ["Share this on WhatsApp The lane"]
    standfirst = '<p class="standfirst">A <em>second</em> lane<br>for ships</p>'
    record = parse_article(page(standfirst + article()), locator="dek")
    assert record.summary == ["A second lane for ships"]


def test_adjacent_elements_in_a_byline_are_separate_words() -> None:
    byline = '<div class="byline"><span>Mara Lindqvist</span><span>Monday, March 4, 2024</span></div>'
    record = parse_article(page(byline + article()), locator="byline")
    assert record.authors == ["Mara Lindqvist"]


def test_time_written_with_a_zone_name_completes_a_time_declared_without_one() -> None:
    head = '<meta itemprop="datePublished" content="2024-02-06 17:55:00">'
    stamp = '<time class="stamp" datetime="2024-02-06 17:55:00 UTC">Feb 6, 2024</time>'
    record = parse_article(page(stamp + article(), head=head), locator="utc")
    assert record.published_at == "2024-02-06T17:55:00Z"


def test_a_time_the_text_calls_the_posting_beats_the_url_day() -> None:
    """The URL was minted on the next day in UTC; the page says when it was posted, with its offset."""
    sidebar = "".join(
        f'<li><span class="time-posted"><time datetime="2023-12-2{i}T10:00:00-05:00">Dec 2{i}</time></span></li>'
        for i in range(3, 5)
    )
    posted = '<small>posted on <time datetime="2023-12-19T23:30:00-05:00">2023-12-19 23:30 EST</time></small>'
    html = page(f"<ul>{sidebar}</ul>" + posted + article())
    record = parse_article(html, locator="ann", url="https://anime.example/news/2023-12-20/lane/.1")
    assert record.published_at == "2023-12-19T23:30:00-05:00"


def test_dump_stories_in_plain_english_are_english() -> None:
    dump = "Harbour opens a night lane\nUpdated 06 February 2025\n\n" + "\n\n".join(STORY) + "\n"
    (record,) = parse_dump(dump, locator="dump.txt")
    assert record.language == "en"


def test_csv_lines_end_with_a_line_feed(capsys) -> None:
    print_rows(["stories"], [(78,)], "csv", Console(file=io.StringIO()))
    assert capsys.readouterr().out == "stories\n78\n"


def test_dotted_dates_are_day_first() -> None:
    """ "04.02.2022" is 4 February wherever dates are written with dots; dateutil alone reads April."""
    shown = '<p class="date">Veröffentlicht am 04.02.2022</p>'
    assert parse_article(page(shown + article()), locator="dots").published_at == "2022-02-04"


def test_a_one_sentence_standfirst_is_also_the_opening_paragraph() -> None:
    lead = '<p class="standfirst">The port will let cargo ships in at night from April.</p>'
    record = parse_article(page(article().replace("<article>", "<article>" + lead)), locator="lead")
    assert record.summary == ["The port will let cargo ships in at night from April."]
    assert record.body.startswith("The port will let cargo ships in at night from April.")


def test_a_day_first_time_attribute_is_read_as_its_own_text_shows_it() -> None:
    """`<time datetime="01-11-2023 10:29">1. November 2023</time>`: D-M-Y and M-D-Y look alike; the text decides."""
    shown = '<time class="published" datetime="01-11-2023 10:29">1. November 2023 10:29</time>'
    assert parse_article(page(shown + article()), locator="dmy").published_at == "2023-11-01"  # no zone: a day
    month_first = '<time class="published" datetime="01-11-2023">January 11, 2023</time>'
    assert parse_article(page(month_first + article()), locator="mdy").published_at == "2023-01-11"


def test_a_lede_the_content_finder_left_out_opens_the_body_and_is_the_summary() -> None:
    lede = "Night pilots will get their own lane from April, the harbour board decided."
    for block in (
        f'<div class="contentHeader__abstract"> {lede} </div>',
        f'<div class="article__intro"><p>{lede}</p></div>',
        f'<div class="lead">{lede}</div>',
    ):
        record = parse_article(page(block + article()), locator="lede")
        assert record.summary == [lede]
        assert record.body.split("\n\n")[:2] == [lede, STORY[0]]


def test_a_lede_already_in_the_text_is_not_repeated_and_a_lead_picture_is_not_a_lede() -> None:
    lede = "Night pilots will get their own lane from April, the harbour board decided."
    record = parse_article(page(f'<article><p class="intro">{lede}</p>' + article()[9:]), locator="once")
    assert record.body.count(lede) == 1
    caption = '<div class="lead-media"><img src="a.jpg"><p>Ships queue at the outer buoy. Photo: Lena Fahr</p></div>'
    record = parse_article(page(caption + article()), locator="media")
    assert "outer buoy. Photo" not in record.body and record.body.startswith(STORY[0])


def test_style_sheets_inside_a_text_block_are_not_text() -> None:
    lede = "Night pilots will get their own lane from April, the harbour board decided."
    block = f'<div class="intro"><style>.css-96439d{{overflow-x:hidden;}}</style><p>{lede}</p></div>'
    record = parse_article(page(block + article()), locator="styled")
    assert record.summary == [lede] and "overflow" not in record.body


def test_the_publishers_article_body_cannot_cut_a_sentence_out_of_the_middle_of_the_text() -> None:
    """JSON-LD articleBody often lacks a paragraph (a quote, an embed's text): prose between two paragraphs
    it lists stays; a promo line there, and a bio after the last, go."""
    middle = "A pilot who has worked the channel for thirty years said the queues had become dangerous at night."
    promo = "Newsletter Harbour Brief"
    bio = "Mara Lindqvist covers the port for the Ledger and lives on an old ferry with two cats."
    head = (
        '<script type="application/ld+json">'
        + json.dumps(
            {"@type": "NewsArticle", "headline": "Harbour opens a night lane", "articleBody": "\n".join(STORY)}
        )
        + "</script>"
    )
    record = parse_article(page(article([*STORY[:2], middle, promo, *STORY[2:], bio]), head=head), locator="ab")
    assert record.body.split("\n\n") == [*STORY[:2], middle, *STORY[2:]]


def test_the_standfirst_the_publishers_article_body_leaves_out_still_opens_the_story() -> None:
    """Publishers keep the standfirst (their description) out of articleBody: the run of prose just before
    its first paragraph is the story's opening, while a label line above that run is not."""
    standfirst = "Cargo ships will get a lane of their own at night, after months of queues at the outer buoy."
    ld = {"@type": "NewsArticle", "headline": "Harbour opens a night lane", "articleBody": "\n".join(STORY)}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    record = parse_article(page(article(["Harbour Brief", standfirst, *STORY]), head=head), locator="lead")
    assert record.body.split("\n\n") == [standfirst, *STORY]
