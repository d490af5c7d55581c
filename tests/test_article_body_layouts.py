"""Bodies of pages without semantic markup: old table layouts, whole pages wrapped in <nav>, tables in a story."""

from __future__ import annotations

from transforms.parsers.article import parse_article

STORY = [
    "The harbour board voted on Tuesday to open a second night lane for cargo ships entering the port.",
    "Pilots had asked for the change since the spring, when queues at the outer buoy doubled in length.",
    "The board's chair said the lane would open in April once the new lights had been fitted and tested.",
    "Fishing crews warned that the lane crosses grounds they have worked for decades without trouble.",
]
MENU = "".join(f'<a href="/s/{i}">Section {i}</a> ' for i in range(8))


def test_a_story_in_a_table_layout_is_read_from_its_cells() -> None:
    cells = "<br><br>".join(STORY)
    html = (
        "<html><head><title>Harbour news</title></head><body><table>"
        f"<tr><td>{MENU}</td><td>Harbour news</td></tr>"
        f'<tr><td width="120">{MENU}</td><td>{cells}</td></tr>'
        "<tr><td>Impressum</td><td>Kontakt</td></tr></table></body></html>"
    )
    record = parse_article(html, locator="table-layout")
    for sentence in STORY:
        assert sentence in record.body
    assert "Section 3" not in record.body


def test_a_page_wrapped_in_nav_keeps_its_text() -> None:
    paragraphs = "".join(f"<p>{s} {s}</p>" for s in STORY * 4)
    html = (
        "<html><head><title>Night lane</title></head><body>"
        f'<nav class="navbar fixed-top"><ul><li>{MENU}</li></ul><h1>Night lane</h1>{paragraphs}</nav>'
        "</body></html>"
    )
    record = parse_article(html, locator="nav-wrapped")
    assert STORY[2] in record.body


def test_a_table_inside_a_story_is_kept_as_lines_of_cells() -> None:
    table = (
        "<table><tr><th>Vessel</th><th>Length</th></tr><tr><td>Nordstjerna</td><td>182 m</td></tr>"
        "<tr><td>Kestrel</td><td>96 m</td></tr></table>"
    )
    paragraphs = "".join(f"<p>{s}</p>" for s in STORY)
    html = (
        "<html><head><title>Night lane</title></head><body><h1>Night lane</h1>"
        f"<article>{paragraphs}{table}</article></body></html>"
    )
    record = parse_article(html, locator="story-table")
    assert "Nordstjerna | 182 m" in record.body
    assert "---" not in record.body
    assert STORY[0] in record.body


def test_read_more_links_and_data_labels_are_not_story_in_any_language() -> None:
    furniture = [
        "Lea también: El puerto abre un segundo carril nocturno",
        "À lire aussi",
        "Lesen Sie auch: Der Hafen öffnet eine zweite Spur",
        "Kontakt:",
        "Tel. 0123 456",
    ]
    paragraphs = "".join(f"<p>{s}</p>" for s in [*STORY[:2], "Accomplishments:", *STORY[2:], *furniture])
    html = (
        "<html><head><title>Night lane</title></head><body><h1>Night lane</h1>"
        f"<article>{paragraphs}</article></body></html>"
    )
    body = parse_article(html, locator="furniture").body
    assert "Accomplishments:" in body  # a subheading over a paragraph stays
    for line in furniture[:4]:
        assert line not in body
    assert STORY[3] in body


def test_a_story_past_a_short_first_block_is_found_by_the_slower_pass() -> None:
    """The fast content finder stops at the first <article>, here a short lead; when its text is that short,
    on a page with much more text, the slower pass (with readability and jusText) reads on to the answers."""
    lead = "<article><h1>Night lane</h1><p>" + " ".join(STORY[:3]) + "</p></article>"
    answers = "".join(
        f'<li><header><h3>Question {i}?</h3></header><div class="panel"><div>{s} {s}</div></div></li>'
        for i, s in enumerate(STORY * 4)
    )
    html = f"<html><head><title>Night lane</title></head><body>{lead}<article><ul>{answers}</ul></article></body>"
    record = parse_article(html, locator="two-articles")
    assert STORY[0] in record.body
    assert STORY[3] in record.body


def test_a_one_cell_table_in_a_story_is_a_box_of_text_read_as_a_line() -> None:
    """Code listings and notes are often boxed in a one-cell table: a long cell reads as a line of the text,
    while a short one ("Harbour figures") is the caption of a data table and stays out."""
    code = 'lanes = open_lane(port="north", hours=range(22, 6), pilots=True) # the night lane, as the board voted'
    boxes = f"<table><tr><td>{code}</td></tr></table><table><tr><td>Harbour figures</td></tr></table>"
    paragraphs = "".join(f"<p>{s}</p>" for s in STORY)
    html = f"<html><head><title>Night lane</title></head><body><article>{paragraphs}{boxes}</article>"
    record = parse_article(html + "</body></html>", locator="one-cell")
    assert code in record.body
    assert "Harbour figures" not in record.body
