"""The story text as paragraphs: trafilatura's content finder on a tree we prune first, then filtered.

trafilatura (fast mode, no metadata pass, no comments) is good at finding the main block;
its misses are mostly page furniture it keeps: captions, "Related"/"Read more" links,
newsletter prompts, embedded posts, table rows, author sign-offs, and now and then a whole
sidebar instead of the story. Furniture is removed from the tree before it looks, boilerplate
lines after, and the publisher's own JSON-LD articleBody, when there is one, is the referee.
"""

from __future__ import annotations

import re

import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.parsers.html.text import clean, fold, key

_FURNITURE = XPath(
    "//figcaption | //aside | //nav"
    ' | //*[contains(@class, "newsletter") or contains(@class, "related-")'
    ' or contains(@class, "social-share")]'
    "[not(self::body or self::html or self::article or self::main)]"
    # embedded social posts are quotes from other sites, not the story's paragraphs
    ' | //blockquote[contains(@class, "twitter-tweet") or contains(@class, "instagram-media")'
    ' or contains(@class, "tiktok-embed")]'
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:advertisement|advertising|sponsored|read more|related(?: articles| stories| coverage)?|"
    r"see also|share this|share|follow us|sign up|subscribe|click here|recommended|most popular|"
    r"trending|getty images|ad|have a tip|"
    # the same links and labels in the other languages of the web
    r"lea (?:también|más)|lea|lee también|mire|vea también|(?:le|te) puede interesar|s[ií]guenos|"
    r"(?:notas|noticias|contenido) relacionad[oa]s?|leia (?:também|mais)|à lire aussi|lire aussi|"
    r"lesen sie (?:auch|mehr)|auch interessant|mehr zum thema|mehr von|weitere themen|kategorien|kommentieren|"
    r"anzeige|werbung|teilen mit|wird geladen|bewerten|leggi anche|lees ook|czytaj (?:też|także)"
    r")\b.{0,80}$|"
    r"^\d+ of \d+$",  # gallery counters
    re.IGNORECASE,
)
# a lone label of one or two words ("Kontakt:", "Telefon:", "Release Date:") over a short line or nothing
# heads contact or data lines; over a paragraph it is a subheading ("Accomplishments:") and stays
_LABEL = re.compile(r"^\w+(?:[ -]\w+)?:$")
_LABEL_DATA_CHARS = 60
# a recirculation block ("More from TIME", "Most Read Stories of 2023") ends the story: what follows is links
_STORY_END = re.compile(
    r"^(?:.{0,30}\bmost read\b|more (?:must-reads )?from|related(?: articles| stories| coverage)?|read more|"
    r"recommended(?: for you)?|you may also like|most popular|people are also reading|trending now|"
    r"(?:notas|noticias|contenido) relacionad[oa]s|lesen sie auch|mehr zum thema|weitere themen|"
    r"à lire aussi)\b.{0,50}$",
    re.IGNORECASE,
)
# author sign-offs closing a story: contact lines, bios, "X contributed to this report"
_SIGNOFF = re.compile(
    r"can be reached at|contributed to this report|\S+@\S+\.\w+|follow (?:him|her|them) on|"
    r"\bis an? (?:senior |staff |contributing )?(?:reporter|writer|editor|correspondent|columnist)\b",
    re.IGNORECASE,
)
_SIGNOFF_LINES = 3
_SIGNOFF_MAX_CHARS = 300
_PROMO = re.compile(r"^[A-Z][A-Z ]{2,30}:\s.{0,120}$")  # "MORE: ...", "REQUIRED READING: ..." links
_WORD = re.compile(r"\w+")
_SHINGLE = 4
_GUIDE_MIN_SHARE = 0.5  # a paragraph counts as in articleBody when half its 4-word shingles are there
_GUIDE_MIN_KEPT = 0.6  # ignore an articleBody that would drop more than 40% of the text: it is a teaser
_GUIDE_ADOPT_BELOW = 0.2  # ...unless almost nothing matches: then the extractor read the wrong block
_GUIDE_MIN_STORY = 800
_PROSE_MIN_WORDS = 12  # characters of articleBody that make a story rather than a teaser
_CAPTION_XPATH = XPath("//figcaption")
_PROSE_CHARS = 3000
_SHORT_TEXT_CHARS = 1000  # a fast-pass text this short is often a lead or notice block: ask the slow pass
_WIDENED_MIN_SHARE = 0.8  # of the fast text's characters the slow text must hold to replace it
# ...and only when the page holds several times that text: else the slow pass finds the same (nine times in ten)
_UNREAD_PAGE_RATIO = 8
_PAGE_TEXT = XPath("//body//text()[not(parent::script or parent::style or parent::noscript)]")
_PROSE_MAX_LINKED = 0.3
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_PROSE_CELL_WORDS = 10
_SENTENCE = re.compile(r"\w[.!?:;][\s\"“”»)]|\w[.!?]$")


def _prune(tree: HtmlElement) -> HtmlElement:
    for element in _FURNITURE(tree):
        if element.getparent() is not None and not _holds_prose(element):
            element.drop_tree()
    return tree


def _holds_prose(element: HtmlElement) -> bool:
    """A "navigation" or "aside" holding pages of text that is mostly not links: a template that wraps
    the whole page in <nav> (or calls it a sidebar), not furniture."""
    text = element.text_content()
    if len(text) < _PROSE_CHARS:
        return False
    linked = sum(len(a.text_content()) for a in element.iter("a"))
    return linked < _PROSE_MAX_LINKED * len(text)


def image_caption(tree: HtmlElement) -> str | None:
    """The first figure caption on the page, the one that belongs to the lead image."""
    for caption in _CAPTION_XPATH(tree):
        text = clean(caption.text_content())
        if text:
            return text
    return None


def _keep(line: str, title_key: str) -> bool:
    if not line or line.startswith("|"):  # a table row: data, not a paragraph of the story
        return False
    if _PROMO.match(line) or (len(line) < 90 and _BOILERPLATE_LINE.match(line)):
        return False
    return not (title_key and key(line) == title_key)


def _in_guide(paragraph: str, guide: str) -> bool:
    words = _WORD.findall(paragraph.casefold())
    if len(words) < _SHINGLE:
        return " ".join(words) in guide
    shingles = [" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)]
    return sum(s in guide for s in shingles) >= _GUIDE_MIN_SHARE * len(shingles)


def _is_prose(paragraph: str) -> bool:
    """A full sentence or more: enough words, ending as sentences end (not a link, label or promo line)."""
    return len(_WORD.findall(paragraph)) >= _PROSE_MIN_WORDS and paragraph.rstrip("\"'”“»)").endswith((".", "!", "?"))


def _lead_start(before: list[str]) -> int:
    """Where the run of prose paragraphs just before articleBody's first one starts: the standfirst,
    which publishers keep out of articleBody (it is their description) though readers see it open the story."""
    start = len(before)
    while start and _is_prose(before[start - 1]):
        start -= 1
    return start


def filter_by_article_body(paragraphs: list[str], article_body: str | None) -> list[str]:
    """Reconcile the extracted paragraphs with the publisher's own JSON-LD articleBody.

    Paragraphs articleBody does not contain (bios, promos, lists) are dropped. articleBody is
    often a teaser or lacks subheadings, so it is ignored when it would remove much of the
    text; but when the two barely overlap and articleBody is a full story, the extractor
    followed a sidebar and the publisher's text replaces it.
    """
    if not article_body:
        return paragraphs
    guide = " ".join(_WORD.findall(article_body.casefold()))
    inside = [_in_guide(p, guide) for p in paragraphs]
    if any(inside):  # a sentence of prose between two paragraphs the publisher lists belongs to the same text run
        first, last = inside.index(True), len(inside) - 1 - inside[::-1].index(True)
        lead = _lead_start(paragraphs[:first])
        inside = [
            kept or (lead <= i < last and _is_prose(p))
            for i, (p, kept) in enumerate(zip(paragraphs, inside, strict=True))
        ]
    kept = [p for p, keep in zip(paragraphs, inside, strict=True) if keep]
    kept_chars, all_chars = sum(map(len, kept)), sum(map(len, paragraphs))
    if kept_chars <= _GUIDE_ADOPT_BELOW * all_chars and len(article_body) >= max(_GUIDE_MIN_STORY, all_chars / 2):
        return [p for p in (clean(line) for line in article_body.splitlines()) if p]
    if kept_chars < _GUIDE_MIN_KEPT * all_chars:
        return paragraphs
    return kept


def extract_paragraphs(
    tree: HtmlElement, url: str | None, title: str | None, article_body: str | None = None
) -> list[str]:
    """The story's paragraphs in reading order; empty when the page has no main text.

    Prunes `tree` in place (a copy would cost as much as the parse): call it last. Only a short text on a
    page with much more text (about one page in thirty) costs the content finder's slow pass, on the same tree.
    """
    tree = _prune(tree)
    text = _main_text(tree, url, fast=True)
    if len(text) < _SHORT_TEXT_CHARS and _page_text_chars(tree) >= _UNREAD_PAGE_RATIO * len(text):
        text = _widened(text, _main_text(tree, url, fast=False))
    title_key = key(title)
    lines = _table_layout_prose([fold(raw) for raw in text.split("\n")])
    lines = _until_story_end(lines)
    lines = [line for line in lines if _keep(line, title_key)]
    lines = [
        line
        for i, line in enumerate(lines)
        if not (_LABEL.match(line) and (i + 1 == len(lines) or len(lines[i + 1]) < _LABEL_DATA_CHARS))
    ]
    return filter_by_article_body(lines, article_body)


def _main_text(tree: HtmlElement, url: str | None, *, fast: bool) -> str:
    """The content finder's text; `fast=False` adds its comparison with readability and jusText, which
    finds the story on pages where the fast pass took a short teaser or caption block instead."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=True,  # old layouts put the story itself in <table>: data rows are dropped later
        with_metadata=False,
    )
    return document.text if document is not None and document.text else ""


def _page_text_chars(tree: HtmlElement) -> int:
    """Characters of visible text on the page, a cheap bound on what a slower pass could still find."""
    return sum(len(text.strip()) for text in _PAGE_TEXT(tree))


def _widened(fast: str, slow: str) -> str:
    """The slow pass's text when it widens the fast one (holds the lines the fast pass found); when it
    drops them it has jumped to another block of the page (a comment thread, a sidebar), and the fast text stays."""
    lines = [line for line in (fold(raw) for raw in fast.split("\n")) if line]
    wide = fold(slow)
    found = sum(len(line) for line in lines if line in wide)
    return slow if found >= _WIDENED_MIN_SHARE * sum(map(len, lines)) else fast


def _table_layout_prose(lines: list[str]) -> list[str]:
    """On a page laid out with tables (the story itself in a <td>), the prose cells of its rows as paragraphs.

    The content finder writes table rows as "| cell | cell |". In an article they are data (dropped
    later); but when rows hold most of the text, the page is an old table layout and its cells of prose
    are the story. Cells of a few words (menus, labels, figures) stay out either way.
    """
    row_chars = sum(len(line) for line in lines if line.startswith("|"))
    if row_chars <= sum(len(line) for line in lines if not line.startswith("|")):
        return [_data_row(line) if line.startswith("|") else line for line in lines]
    out: list[str] = []
    for line in lines:
        if not line.startswith("|"):
            out.append(line)
            continue
        for cell in _CELL_SPLIT.split(line.strip("| ")):
            cell = cell.replace("\\|", "|").strip()
            if len(_WORD.findall(cell)) >= _PROSE_CELL_WORDS and _SENTENCE.search(cell):
                out.append(cell)
    return out


def _data_row(line: str) -> str:
    """A table row inside a story (figures, a recipe's ingredients) as one line of its cells; a row of one
    long cell is a box in the text (a code listing, a note) and reads as its text, while a short one is a
    table's caption or header ("Nutrition Facts")."""
    cells = [c.replace("\\|", "|").strip() for c in _CELL_SPLIT.split(line.strip("| "))]
    cells = [c for c in cells if _WORD.search(c)]  # "--- | ---" is the row under a header, not data
    if len(cells) == 1 and len(_WORD.findall(cells[0])) >= _PROSE_CELL_WORDS:
        return cells[0]
    return " | ".join(cells) if len(cells) >= 2 else ""


def _until_story_end(lines: list[str]) -> list[str]:
    """Lines before a recirculation header in the second half of the text (early ones are navigation)."""
    for index in range(len(lines) // 2, len(lines)):
        if _STORY_END.match(lines[index]):
            return lines[:index]
    return lines


def without_signoff(paragraphs: list[str], authors: list[str]) -> list[str]:
    """The story without the author bio or contact lines among its last paragraphs."""
    start = len(paragraphs) - _SIGNOFF_LINES
    return [
        p
        for i, p in enumerate(paragraphs)
        if i < start
        or len(p) > _SIGNOFF_MAX_CHARS
        or not (_SIGNOFF.search(p) or any(p.startswith(name) for name in authors))
    ]
