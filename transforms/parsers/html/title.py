"""The headline, without the site name that <title> and og:title usually carry.

The visible <h1> is the headline as the newsroom wrote it; metadata titles are often
shortened for search or carry "| Site" suffixes. So the reader picks the <h1> that agrees
with the metadata, and falls back to the metadata title with its site name cut off.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean, element_text, key, words

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|/)\s+")
_MAX_SITE_WORDS = 5
_MAX_HEADLINE_CHARS = 400
_WORD = re.compile(r"\w+")
_MAX_KICKER_WORDS = 3
_OPENING_QUOTES = "\"'‘“«"


def site_names(meta: PageMetadata, url: str | None) -> set[str]:
    """Comparison keys of the names the site goes by (og:site_name, publisher, domain)."""
    names = {key(n) for n in meta.organisations}
    for name in (
        "og:site_name",
        "application-name",
        "twitter:site",
        "al:android:app_name",
        "al:ios:app_name",
    ):
        names.update(key(v.lstrip("@")) for v in meta.meta.get(name, ()))
    if url:
        host = re.sub(r"^(?:https?://)?(?:www\d?\.)?", "", url).split("/")[0]
        names.add(key(host.rsplit(".", 1)[0]))
        names.add(key(host))
    names.discard("")
    return names


def _is_site_part(part: str, sites: set[str]) -> bool:
    part_key = key(part)
    if not part_key:
        return True
    squashed = part_key.replace(" ", "")
    return any(part_key == s or squashed == s.replace(" ", "") or squashed in s.replace(" ", "") for s in sites)


def strip_site_name(title: str, sites: set[str]) -> str:
    """`title` without "| Site" / "Site - " parts; the longest remaining part when the site is unknown."""
    parts = _SEPARATORS.split(title)
    if len(parts) == 1:
        return title
    kept = [p for p in parts if not _is_site_part(p, sites)]
    if kept and len(kept) < len(parts):
        # rejoin with the original separators between the kept neighbours
        return _rejoin(title, kept)
    longest = max(parts, key=len)
    others_short = all(len(words(p)) <= _MAX_SITE_WORDS for p in parts if p is not longest)
    if others_short and len(words(longest)) > 2 * max(len(words(p)) for p in parts if p is not longest):
        return longest
    return title


def _rejoin(title: str, kept: list[str]) -> str:
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if 0 <= start < end else kept[0]


def _metadata_titles(meta: PageMetadata, tree: HtmlElement) -> list[str]:
    found = [as_text(v) for v in meta.article_values("headline")]
    found += [meta.first_meta(n) for n in ("og:title", "twitter:title", "title", "sailthru.title")]
    found += [element_text(e) for e in meta.microdata.get("headline", ())]
    title_tag = tree.find(".//title")
    if title_tag is not None:
        found.append(element_text(title_tag))
    return [clean(t) for t in found if t and clean(t)]


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(len(wa | wb), 1)


def _headings(tree: HtmlElement, sites: set[str]) -> list[str]:
    """<h1> texts, except those that only name the site (a logo wrapped in <h1>)."""
    texts = []
    for h1 in tree.iter("h1"):
        text = element_text(h1)
        if text and len(text) <= _MAX_HEADLINE_CHARS and not _is_site_part(text, sites):
            texts.append(text)
    return texts


def _without_kicker(heading: str, reference: str) -> str:
    """ "Opinion | What I'll pray for" -> "What I'll pray for" when the metadata title is the heading's tail.

    Kickers ("Opinion", "News", "Politics |") are rendered inside the <h1> but are not part
    of the headline; the metadata title tells where the headline starts.
    """
    tokens = list(_WORD.finditer(heading))
    tail = words(reference)
    if not tail or len(tail) >= len(tokens) or [t.group().casefold() for t in tokens[-len(tail) :]] != tail:
        return heading
    start = tokens[-len(tail)].start()
    while start > 0 and heading[start - 1] in _OPENING_QUOTES:
        start -= 1
    kicker = heading[:start].strip()
    if len(kicker.split()) > _MAX_KICKER_WORDS or kicker.endswith(":"):
        return heading  # a long lead-in or "Title: subtitle" is part of the headline, not a label
    return heading[start:].strip()


def extract_title(tree: HtmlElement, meta: PageMetadata, url: str | None) -> str | None:
    """The headline: the <h1> closest to the metadata titles, else the first metadata title sans site name."""
    sites = site_names(meta, url)
    references = [strip_site_name(t, sites) for t in _metadata_titles(meta, tree)]
    headings = _headings(tree, sites)
    if headings and references:
        score, _, heading = max((max(_overlap(h, r) for r in references), -i, h) for i, h in enumerate(headings))
        if score >= 0.5:
            for reference in references:
                shorter = _without_kicker(heading, reference)
                if shorter != heading:
                    return shorter
            return heading
    if references:
        return references[0]
    return headings[0] if headings else None
