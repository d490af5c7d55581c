"""News article pages (HTML) to a `StoryRecord`.

The page is parsed once; structured metadata (JSON-LD, <meta>, microdata) is read before
anything modifies the tree, then each field reader in `transforms.parsers.html` takes its
field, trusting what the page declares about itself over what the layout suggests.
Bad input never raises anything but `ParseError` with a stable reason.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from transforms.errors import ParseError
from transforms.parsers.html.authors import closing_signature, extract_authors
from transforms.parsers.html.body import extract_paragraphs, image_caption, without_signoff
from transforms.parsers.html.dateline import split_dateline
from transforms.parsers.html.document import MAX_INPUT_BYTES, is_capped, parse_tree
from transforms.parsers.html.facets import (
    canonical_url,
    description,
    extract_section,
    extract_tags,
    standfirst,
)
from transforms.parsers.html.language import extract_language
from transforms.parsers.html.metadata import PageMetadata, read_metadata
from transforms.parsers.html.published import extract_dates
from transforms.parsers.html.text import key
from transforms.parsers.html.title import extract_title, site_names
from transforms.record import StoryRecord


def _looks_like_article(meta: PageMetadata, record: StoryRecord) -> bool:
    """A page without main text still counts if it declares itself an article or carries a date."""
    declared = bool(meta.articles) or (meta.first_meta("og:type") or "").lower() == "article"
    return bool(record.title) and (declared or record.published_at is not None)


def _without_standfirst(paragraphs: list[str], bullets: list[str]) -> list[str]:
    """The body without the standfirst bullets, which live in `summary` (and would hide the dateline).

    A standfirst of one sentence is the story's opening paragraph as much as its summary: it stays.
    """
    keys = {key(item) for item in bullets} if len(bullets) > 1 else set()
    return [p for p in paragraphs if key(p.removeprefix("- ")) not in keys] if keys else paragraphs


def _with_lede(paragraphs: list[str], lead: list[str]) -> list[str]:
    """The body opened by the standfirst when it is one paragraph the content finder left out (it sits
    between the headline and the article's markup): readers see it as the story's first paragraph."""
    if len(lead) != 1 or not paragraphs:
        return paragraphs
    lede = key(lead[0])
    return paragraphs if any(lede in key(p) for p in paragraphs[:3]) else [lead[0], *paragraphs]


def _build(tree: HtmlElement, locator: str, url: str | None, default_tz: str | None) -> StoryRecord:
    meta = read_metadata(tree)
    page_url = canonical_url(tree, meta, url)
    sites = site_names(meta, page_url or url)
    title = extract_title(tree, meta, page_url or url)
    published, updated, dropped = extract_dates(tree, meta, page_url or url, default_tz, title)
    lead = standfirst(tree)
    record = StoryRecord(
        input=locator,
        url=page_url,
        title=title,
        summary=lead or description(meta),
        authors=extract_authors(tree, meta, sites),
        published_at=published,
        updated_at=updated,
        section=extract_section(meta),
        tags=extract_tags(meta),
        image_caption=image_caption(tree),
        dropped_dates=dropped,
    )
    article_body = next((v for v in meta.article_values("articleBody") if isinstance(v, str)), None)
    paragraphs = _without_standfirst(extract_paragraphs(tree, page_url or url, title, article_body), lead)
    paragraphs = without_signoff(paragraphs, record.authors)
    if not record.authors and (signed := closing_signature(tree, paragraphs)):
        record.authors, paragraphs = [signed], paragraphs[:-1]
    if paragraphs:
        record.dateline, paragraphs[0] = split_dateline(paragraphs[0])
    paragraphs = _with_lede(paragraphs, lead)
    record.body = "\n\n".join(p for p in paragraphs if p)
    record.language = extract_language(tree, meta, f"{title or ''}\n{record.body}")
    if not record.body and not _looks_like_article(meta, record):
        raise ParseError("no_article", "no main text and no article metadata on the page")
    return record


def parse_article(
    html: str | bytes,
    *,
    locator: str,
    url: str | None = None,
    default_tz: str | None = None,
    content_type: str | None = None,
) -> StoryRecord:
    """One article page as a record; `default_tz` (an IANA zone) dates local times that carry no offset;
    `content_type` (the HTTP header) tells the charset of a page whose bytes do not.

    Raises ParseError("empty" | "not_html" | "no_article" | "unreadable", detail) for input that holds
    no story.
    """
    tree = parse_tree(html, content_type)
    try:
        record = _build(tree, locator, url, default_tz)
    except ParseError:
        raise
    except (RecursionError, ValueError, TypeError) as error:  # a reader tripped on hostile markup
        raise ParseError("unreadable", f"{type(error).__name__}: {error}") from error
    if is_capped(html):
        record.notes.append(f"capped: the page is over {MAX_INPUT_BYTES:,} bytes; read up to the last paragraph before")
    return record
