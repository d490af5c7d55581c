"""Author names as a clean list: no "By", no handles or e-mail, no site or desk names, "A and B" split.

JSON-LD `author` is the most reliable source (it names people, not bylines), then author
<meta> tags and microdata, then the visible page: links to author pages, then byline
elements. Each candidate string goes through the same cleaning, so the order of sources
only decides which one wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean, element_text, key

_MAX_AUTHORS = 10
_MAX_NAME_WORDS = 6
_BY = re.compile(r"^(?:.{0,40}?\b)?by[:\s]+", re.IGNORECASE)
# "Von Petra Schmidt", "Par Jean Dupont": a foreign "by" before two or more words ("Von Miller" is a name)
_FOREIGN_BY = re.compile(r"^(?:von|par|por|door|di|av|przez)\s+(?=\S+\s+\S+)", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|\b(?:[Aa]nd|AND|und|et|y|e)\b|\n)\s*")
_HANDLE_OR_MAIL = re.compile(r"(?:\S+@\S+|(?<!\w)@\w+|https?://\S+|//\S+|www\.\S+)")
_ROLE_SUFFIX = re.compile(
    r"\s*(?:[-–—,|]\s*)?(?:\b(?:staff|senior|contributing|special|executive|chief)?\s*"
    r"(?:writer|reporter|correspondent|editor|columnist|contributor)s?\b.*)$",
    re.IGNORECASE,
)
_TRAILING_NOISE = re.compile(
    r"\s+(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b.*|\d+\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)(?:\s+ago)?|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b.*)$"
)
_DEGREES = frozenset(
    {
        "phd",
        "ph d",
        "md",
        "ms",
        "mba",
        "rdn",
        "rd",
        "ld",
        "cpt",
        "nsca cpt",
        "msc",
        "ma",
        "bsc",
        "jd",
        "rn",
        "np",
        "cfa",
        "cfp",
        "dds",
        "do",
        "mph",
        "lcsw",
    }
)
_DANGLING = frozenset({"the", "for", "of", "at", "from", "with"})
_DESK_WORDS = frozenset(
    {
        *("staff", "desk", "newsroom", "editors", "editorial", "wire", "news", "team", "agency", "admin"),
        *("guest", "reports", "report", "sponsored", "partner", "content", "brandroom", "redazione"),
        *("redaction", "by", "media"),
        # a byline ending in a masthead word names a publication ("Financial Times", "Coldwater Daily")
        *("times", "daily", "gazette", "journal", "tribune", "herald", "chronicle", "magazine", "weekly", "press"),
    }
)
# Wire agencies are credited like bylines ("Jane Doe, Associated Press") but are organisations, not authors.
_AGENCIES = frozenset(
    {
        "associated press",
        "the associated press",
        "ap",
        "reuters",
        "afp",
        "agence france presse",
        "ani",
        "pti",
        "ians",
        "upi",
        "dpa",
        "efe",
        "xinhua",
        "bloomberg",
        "cnn wire",
    }
)
_NOT_NAME = re.compile(
    r"\d|:|\b(?:updated|published|posted|min read|read more|follow|share|view all|posts|image|photo)\b",
    re.IGNORECASE,
)
_META_NAMES = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
_AUTHOR_PATHS = "author|authors|writer|writers|staff|bios?|contributors?|journalists?|columnists?"
_AUTHOR_HREF = f"re:test(@href, '/({_AUTHOR_PATHS})/', 'i')"
_REGEX_NS = {"re": "http://exslt.org/regular-expressions"}
# the byline sits under the headline: links after the first <h1> first, anywhere else only if none
_AUTHOR_LINK_AFTER_H1 = XPath(f"(//h1)[1]/following::a[{_AUTHOR_HREF}]", namespaces=_REGEX_NS)
_AUTHOR_LINK = XPath(f"//a[{_AUTHOR_HREF}]", namespaces=_REGEX_NS)
_MAX_LINKED_AUTHORS = 4  # more links to author pages than this is a list of columnists, not a byline
_PERSON = re.compile(r"^[A-ZÀ-Þ][\w.'’-]*(?:\s+(?:[A-ZÀ-Þ][\w.'’-]*|de|da|del|van|von|der|bin|al|la|le))+$")
_BYLINE = XPath(
    '//*[contains(@class, "byline") or contains(@class, "author-name") or contains(@class, "author__name")'
    ' or contains(@class, "contributor-name") or @rel="author"][not(self::body or self::html)]'
)


def _candidate_strings(value: Any) -> Iterator[str]:
    """Names in a JSON-LD author value: a string, a Person dict, or a list of them (organisations skipped)."""
    if isinstance(value, list):
        for item in value:
            yield from _candidate_strings(item)
    elif isinstance(value, dict):
        if "organization" in str(value.get("@type", "")).lower():
            return
        name = as_text(value.get("name"))
        if name:
            yield name
    elif isinstance(value, str):
        yield value


def _strip_site_suffix(name: str, not_names: set[str]) -> str:
    """ "Kayla Jimenez USA TODAY" -> "Kayla Jimenez": a trailing site or agency name glued to the byline."""
    tokens = name.split()
    for cut in range(len(tokens) - 1, 1, -1):
        tail = key(" ".join(tokens[cut:]))
        squashed = tail.replace(" ", "")
        if tail in _AGENCIES or any(squashed == site.replace(" ", "") for site in not_names):
            tokens = tokens[:cut]
            while len(tokens) > 1 and tokens[-1].lower() in _DANGLING:
                tokens.pop()
            return " ".join(tokens)
    while len(tokens) > 2 and key(tokens[-1]) in _DEGREES and tokens[-1].isupper():
        tokens.pop()  # "Lauren Manaker MS"
    return " ".join(tokens)


def _split_names(text: str, not_names: set[str]) -> Iterator[str]:
    text = _BY.sub("", _HANDLE_OR_MAIL.sub(" ", clean(text)).strip())
    for part in _SPLIT.split(text):
        name = _ROLE_SUFFIX.sub("", _FOREIGN_BY.sub("", _BY.sub("", part)))
        name = _TRAILING_NOISE.sub("", name).strip(" ,:;-–—()[]'\"|/")
        yield _strip_site_suffix(name, not_names)


def clean_names(raw: Iterable[str], not_names: set[str]) -> list[str]:
    """Split bylines into person names, dropping prefixes, handles, roles, degrees and site/desk names."""
    names: list[str] = []
    seen: set[str] = set()
    for text in raw:
        for name in _split_names(text, not_names):
            name_key = key(name)
            if not name_key or name_key in seen:
                continue
            seen.add(name_key)
            if name_key not in _AGENCIES and not _rejected(name, name_key, not_names):
                names.append(name)
    return names[:_MAX_AUTHORS]


def _rejected(name: str, name_key: str, not_names: set[str]) -> bool:
    tokens = name_key.split()
    if not 2 <= len(tokens) <= _MAX_NAME_WORDS or _NOT_NAME.search(name) or name_key in _DEGREES:
        return True  # one word is a masthead or a section ("Gazette", "Money"), not a byline
    squashed = name_key.replace(" ", "")
    if any(squashed == site.replace(" ", "") for site in not_names):
        return True
    return tokens[0] == "the" or tokens[-1] in _DESK_WORDS or all(t in _DESK_WORDS for t in tokens)


def _author_links(tree: HtmlElement) -> list[str]:
    """Texts of links to author pages that share a container with the first one (the byline's co-authors)."""
    links = [a for a in _AUTHOR_LINK_AFTER_H1(tree) if _PERSON.match(element_text(a))]
    links = links or [a for a in _AUTHOR_LINK(tree) if _PERSON.match(element_text(a))]
    if not links:
        return []
    parent = links[0].getparent()
    container = parent.getparent() if parent is not None and parent.getparent() is not None else parent
    names = list(dict.fromkeys(element_text(a) for a in links if container is not None and _inside(a, container)))
    return names if len(names) <= _MAX_LINKED_AUTHORS else []


def _inside(element: HtmlElement, container: HtmlElement) -> bool:
    return any(ancestor is container for ancestor in element.iterancestors())


def _twitter_byline(meta: PageMetadata) -> list[str]:
    """Slack/Twitter card pairs: twitter:label1 "Written by" + twitter:data1 "Name"."""
    for index in ("1", "2"):
        label = (meta.first_meta(f"twitter:label{index}") or "").lower()
        if "written by" in label or "author" in label:
            return [meta.first_meta(f"twitter:data{index}") or ""]
    return []


def extract_authors(tree: HtmlElement, meta: PageMetadata, not_names: set[str]) -> list[str]:
    """People credited with the story, from the first source that yields any."""
    sources: list[Callable[[], Iterable[str]]] = [  # lazy: the page scans run only when metadata is silent
        lambda: [s for v in meta.article_values("author") for s in _candidate_strings(v)],
        lambda: [v for name in _META_NAMES for v in meta.meta.get(name, ()) if not v.startswith("http")],
        lambda: [element_text(e) for e in meta.microdata.get("author", ())],
        lambda: _twitter_byline(meta),
        lambda: _author_links(tree),
        lambda: [element_text(e) for e in _BYLINE(tree)[:1]],
    ]
    for source in sources:
        names = clean_names(source(), not_names)
        if names:
            return names
    return []
