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

from lxml import etree
from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.parsers.html.metadata import PageMetadata, as_text
from transforms.parsers.html.text import clean, element_text, key

_MAX_AUTHORS = 10
_MAX_NAME_WORDS = 6
_BY = re.compile(r"^(?:.{0,40}?\b)?by[:\s]+", re.IGNORECASE)
# "Veröffentlicht von HansG", "Alle Artikel von X", "Publié par X", "Author: X": a lead-in naming what follows
_LEAD_IN = re.compile(
    r"^(?:(?:posted|written|published|reported|veröffentlicht|geschrieben|verfasst|(?:alle |ein )?artikel|"
    r"(?:alle |ein |blog[ -]?)?beitr(?:a|ä)ge?|autorenseite|mehr|publié|écrit|rédigé|escrito|publicado|scritto|"
    r"pubblicato|geplaatst|geschreven)\s+(?:by|von|par|por|da|di|door)|(?:about the )?author(?:in)?|über|about|"
    r"à propos de|autor(?:in)?|auteur|autore|redakteur(?:in)?|text|texte|texto)\b[\s:–—-]*",
    re.IGNORECASE,
)
# "MORITZ GATHMANN am 21. April 2020", "Jane Doe on 5/2/2024": what follows a name from its first number on
_FROM_NUMBER = re.compile(
    r"\s+(?:(?:am|on|le|el|il|den|vom|du|del|op|stand:?|aktualisiert:?|updated:?|vor)\s+)?\S*\d.*$", re.IGNORECASE
)
# a by-word left alone once an account name is dropped ("von <a>wordpressadmin</a>") names nobody
_BY_WORDS = frozenset({"by", "von", "par", "por", "door", "di", "da", "av", "przez", "de"})
# "Mobasir hassan": a declared name whose surname alone is written in lower case
_LOWER_SURNAME = re.compile(r"^[A-ZÀ-Þ][\w'’-]+\s+[a-zß-ÿ][\w'’-]+$")
# a lower-case by-word is never part of a name ("von gizzmo"; "Von Miller" is one)
_LOWER_BY = re.compile(r"^(?:von|par|por|door|di|av|przez|de)\s+(?=\S)")
# "Von Petra Schmidt", "Par Jean Dupont": a foreign "by" before two or more words ("Von Miller" is a name)
_FOREIGN_BY = re.compile(r"^(?:von|par|por|door|di|av|przez)\s+(?=\S+\s+\S+)", re.IGNORECASE)
# a by-word opening a short text ("von Andreas Kürten", "Par Loïc Le Clerc") marks it as a byline
# ("Blog Beitrag von X", "| By" before the name's own element); photo credits are not bylines
_BYLINE_TEXT = re.compile(
    r"^\W{0,3}(?:(?:posted|written|reported|published|veröffentlicht|geschrieben|verfasst|publié|écrit|escrito|"
    r"publicado|scritto|(?:blog |ein )?beitrag|artikel|story|text|report)\s+)?"
    r"(?:by|von|par|por|door|przez)(?:[:\s]+|$)",
    re.IGNORECASE,
)
# "Christian Seiler Illustration von Markus Roost": a credit for the pictures after the author's name
_PICTURE_CREDIT = re.compile(
    r"\s+(?:illustrations?|illustriert|fotos?|photos?|photography|bilder?|images?|grafiken?|kamera|video)\s+"
    r"(?:von|by|de|par|di|door)\s.*$",
    re.IGNORECASE,
)
# "11.12.2019 - Amelie Loevenich", "Reiner Nagel | 25.10.2022": a numeric date and a name, the whole text
_NUMERIC_DATE = r"(?:\d{1,2}[./]\s?\d{1,2}[./]\s?\d{2,4}|\d{4}-\d{1,2}-\d{1,2})"
_DATED_NAME = re.compile(
    rf"^\s*(?:{_NUMERIC_DATE}\s*[-–—|·]\s*(?P<after>[^\d|]+?)|(?P<before>[^\d|]+?)\s*[-–—|·]\s*{_NUMERIC_DATE})\s*$"
)
# "robert.stitz", "sarah-indra": a login slug, the name it stands for is written elsewhere
_SLUG = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)+$")
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
# lower-case words that belong inside names ("Ludwig van Beethoven", "Juan de la Cruz")
_PARTICLES = frozenset({"de", "da", "del", "della", "di", "do", "dos", "du", "la", "le", "van", "von", "der", "den"})
_PARTICLES |= {"ter", "te", "bin", "ibn", "al", "el", "y", "zu", "af", "v.", "d'"}
# a byline ending in a masthead word names a publication ("Financial Times", "Coldwater Daily")
_MASTHEADS = frozenset(
    {"times", "daily", "gazette", "journal", "tribune", "herald", "chronicle", "magazine", "weekly", "press"}
)
# CMS accounts a template credits when nobody filled in the byline: not names, and not a statement either
_ACCOUNTS = frozenset({"admin", "administrator", "webmaster", "wordpressadmin"})
_DESK_WORDS = frozenset(
    {
        *("staff", "desk", "newsroom", "editors", "editorial", "wire", "news", "team", "agency", "admin"),
        *("guest", "reports", "report", "sponsored", "partner", "content", "brandroom", "redazione"),
        *("redaction", "by", "media", "redaktion", "redacción", "rédaction", "company", *_ACCOUNTS),
        *("autor", "author", "anonymous", "unknown", "editor", "online", "online-redaktion"),
        *_MASTHEADS,
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
_AUTHOR_PATHS = (
    "author|authors|writer|writers|staff|bios?|contributors?|journalists?|columnists?|autor|autoren|autorin|"
    "auteurs?|autori|autores|redakteur|profile?"
)
_AUTHOR_HREF = f"re:test(@href, '/({_AUTHOR_PATHS})/', 'i')"
_REGEX_NS = {"re": "http://exslt.org/regular-expressions"}
# the byline sits under the headline: links after the first <h1> first, anywhere else only if none
_AUTHOR_LINK_AFTER_H1 = XPath(f"(//h1)[1]/following::a[{_AUTHOR_HREF}]", namespaces=_REGEX_NS)
_AUTHOR_LINK = XPath(f"//a[{_AUTHOR_HREF}]", namespaces=_REGEX_NS)
_MAX_LINKED_AUTHORS = 4  # more links to author pages than this is a list of columnists, not a byline
_PERSON = re.compile(r"^[A-ZÀ-Þ][\w.'’-]*(?:\s+(?:[A-ZÀ-Þ][\w.'’-]*|de|da|del|van|von|der|bin|al|la|le))+$")
# elements named for the byline in any of the usual languages (in class, id, itemprop or rel); the photo,
# bio and box around it are not it, nor the page's frame
_BYLINE_NAME = re.compile("byline|author|auteur|autor|verfasser|writer", re.IGNORECASE)
_NOT_BYLINE_CLASS = re.compile(
    "avatar|image|img|photo|pic|bio|desc|about|social|follow|more|box|url|link", re.IGNORECASE
)
_NOT_BYLINE_TAGS = frozenset({"body", "html", "meta", "link", "img", "script"})
# comment threads, comment forms ("Name *") and reference lists credit other people
_THREAD = re.compile("comment|respond|reply|citation|reference", re.IGNORECASE)
# a name set in bold or italics as the whole of its paragraph (see `closing_signature`)
_SIGNATURE = XPath("//p/*[self::b or self::strong or self::em or self::i][normalize-space(.) = $name]")
_NOT_IN_NAME = " ,:;-–—()[]'\"|/·•»«©*"
_MAX_BYLINE_CHARS = 120
_MAX_BYLINES = 6
_BYLINE_TEXT_TAGS = ("span", "p", "div", "li", "small", "em", "strong", "b", "i", "address", "footer", "header")
_MAX_TEXT_SCAN = 3000  # elements examined for "By ..." wording: the byline comes early


def _candidate_strings(value: Any, people: dict[str, str]) -> Iterator[str]:
    """Names in a JSON-LD author value: a string, a Person dict or a reference to one, or a list of them
    (organisations skipped)."""
    if isinstance(value, list):
        for item in value:
            yield from _candidate_strings(item, people)
    elif isinstance(value, dict):
        if "organization" in str(value.get("@type", "")).lower():
            return
        name = as_text(value.get("name")) or people.get(str(value.get("@id")))
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
    text = _BY.sub("", _LEAD_IN.sub("", _PICTURE_CREDIT.sub("", _HANDLE_OR_MAIL.sub(" ", clean(text)).strip())))
    for part in _SPLIT.split(text):
        name = _ROLE_SUFFIX.sub("", _FOREIGN_BY.sub("", _BY.sub("", _LEAD_IN.sub("", part))))
        name = _LOWER_BY.sub("", _FROM_NUMBER.sub("", _TRAILING_NOISE.sub("", name)).strip(_NOT_IN_NAME))
        yield _strip_site_suffix(name, not_names)


def clean_names(
    raw: Iterable[str], not_names: set[str], *, sole_handle: bool = False, declared: bool = False
) -> list[str]:
    """Split bylines into person names, dropping prefixes, handles, roles, degrees and site/desk names.

    A single word ("gizzmo", "Heiko") is a name only with `sole_handle`, for sources that name the
    author and nothing else (JSON-LD, author <meta>, rel=author), and only when it is the one name found.
    A `declared` name (metadata that names people) may be written in lower case in part ("Mobasir hassan"):
    the test for prose applies only to text read off the page.
    """
    names: list[str] = []
    seen: set[str] = set()
    for text in raw:
        for name in _split_names(text, not_names):
            name_key = key(name)
            if not name_key or name_key in seen:
                continue
            seen.add(name_key)
            if name_key not in _AGENCIES and not _rejected(name, name_key, not_names, declared=declared):
                names.append(name)
    if sole_handle and not names and len(seen) == 1:
        (only,) = seen
        handle = next(n for t in raw for n in _split_names(t, not_names) if key(n) == only)
        if _is_handle(handle, only, not_names):
            return [handle]
    return names[:_MAX_AUTHORS]


def _is_desk(text: str) -> bool:
    """A credit to a desk or agency, not to a person ("Redaktion", "Staff", "The Associated Press")."""
    tokens = key(_BY.sub("", _LEAD_IN.sub("", text.strip()))).split()
    if not tokens or len(tokens) > _MAX_NAME_WORDS:
        return False
    return " ".join(tokens) in _AGENCIES or tokens[-1] in _DESK_WORDS - _ACCOUNTS - _MASTHEADS


def _is_handle(name: str, name_key: str, not_names: set[str]) -> bool:
    """One word that can be a person's name or user name: not a desk, an account, an acronym (a broadcaster)
    or the site's name (a blog's own domain word is how many bloggers sign)."""
    if " " in name_key or _NOT_NAME.search(name) or name_key in _DESK_WORDS | _BY_WORDS or name_key in _DEGREES:
        return False
    if name.isupper() or len(name_key) < 3 or _SLUG.match(name):
        return False
    return name_key not in not_names


def _rejected(name: str, name_key: str, not_names: set[str], *, declared: bool = False) -> bool:
    tokens = name_key.split()
    if not 2 <= len(tokens) <= _MAX_NAME_WORDS or _NOT_NAME.search(name) or name_key in _DEGREES:
        return True  # one word is a masthead or a section ("Gazette", "Money"), not a byline
    squashed = name_key.replace(" ", "")
    if any(squashed == site.replace(" ", "") for site in not_names):
        return True
    lower = sum(word[:1].islower() and word not in _PARTICLES for word in name.split())
    if lower and not name.islower() and not (declared and _LOWER_SURNAME.match(name)):
        return True  # "he reported for the Pasadena Independent": prose, not a name
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


def _named_for_byline(tree: HtmlElement) -> list[HtmlElement]:
    """Elements named for the byline, outside comment threads, forms and reference lists, in page order.

    One walk in Python with compiled patterns: the same test as an XPath with EXSLT regular expressions
    costs several times more, as lxml calls back into Python for every element of the page."""
    found = []
    for element in tree.iter(etree.Element):
        get = element.get
        if not _BYLINE_NAME.search(f"{get('class', '')} {get('id', '')} {get('itemprop', '')} {get('rel', '')}"):
            continue
        if element.tag in _NOT_BYLINE_TAGS or _NOT_BYLINE_CLASS.search(get("class", "")):
            continue
        if not _in_thread(element) and not any(_in_thread(e) or e.tag == "form" for e in element.iterancestors()):
            found.append(element)
    return found


def _in_thread(element: HtmlElement) -> bool:
    """Whether the element is named as a comment thread, a reply form or a list of references."""
    return bool(_THREAD.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _byline_elements(tree: HtmlElement) -> Iterator[str]:
    """Short texts of elements named for the byline ("byline", "author", "auteur"...), in page order."""
    count = 0
    for element in _after_headline(_named_for_byline(tree), tree):
        text = element_text(element)
        if text and len(text) <= _MAX_BYLINE_CHARS:
            yield text
            count += 1
            if count >= _MAX_BYLINES:
                return


def _after_headline(elements: list[HtmlElement], tree: HtmlElement) -> list[HtmlElement]:
    """`elements` from the headline's line of source on first, then the ones above it: the byline sits
    under the headline, while author names above it are mostly menus and teasers of other stories."""
    h1 = tree.find(".//h1")
    line = h1.sourceline if h1 is not None and h1.sourceline else 0
    return [e for e in elements if (e.sourceline or 0) >= line] + [e for e in elements if (e.sourceline or 0) < line]


def _byline_wording(tree: HtmlElement) -> Iterator[str]:
    """Short texts that open with a by-word ("By Jane Doe", "von Andreas Kürten", "| By" + the name's own
    element), or that follow an element with one ("posted on <time/> by Rafael Pineda")."""
    body = tree.find("body")
    if body is None:
        return
    found: list[tuple[HtmlElement, str]] = []
    for count, element in enumerate(body.iter(*_BYLINE_TEXT_TAGS)):
        if count > _MAX_TEXT_SCAN or len(found) >= _MAX_BYLINES:
            break
        head = (element.text or "").strip()
        tail = (element.tail or "").strip()
        if head and len(head) <= _MAX_BYLINE_CHARS and (match := _BYLINE_TEXT.match(head)):
            text = element_text(element)
            follower = element.getnext()
            if match.end() >= len(head) and text == head and follower is not None:  # "<span>By</span><b>Name"
                text = f"{text} {element_text(follower)}"
            if len(text) <= _MAX_BYLINE_CHARS:
                found.append((element, text))
        elif tail and len(tail) <= _MAX_BYLINE_CHARS and _BYLINE_TEXT.match(tail):
            found.append((element, tail))
    texts = dict(found)
    for element in _after_headline([e for e, _ in found], tree):
        yield texts[element]


def _dated_names(tree: HtmlElement) -> Iterator[str]:
    """Names written beside a numeric date and nothing else ("11.12.2019 - Amelie Loevenich"), headline first:
    the byline line of templates without byline markup."""
    body = tree.find("body")
    if body is None:
        return
    found = []
    for count, element in enumerate(body.iter(*_BYLINE_TEXT_TAGS)):
        if count > _MAX_TEXT_SCAN or len(found) >= _MAX_BYLINES:
            break
        text = element.text
        if text and len(element) == 0 and len(text) <= _MAX_BYLINE_CHARS and (match := _DATED_NAME.match(text)):
            name = (match["after"] or match["before"]).strip()
            if _PERSON.match(name):
                found.append(element)
    for element in _after_headline(found, tree):
        match = _DATED_NAME.match(element.text)
        yield (match["after"] or match["before"]).strip()


def _first_named(texts: Iterable[str], not_names: set[str], *, sole_handle: bool = False) -> list[str]:
    """The names in the first text that has any: one byline, not every author box on the page. A first
    byline crediting a desk ("Hollywood.com Staff") means nobody is named."""
    for text in texts:
        names = clean_names([text], not_names, sole_handle=sole_handle)
        if names or _is_desk(text):
            return names
    return []


def extract_authors(tree: HtmlElement, meta: PageMetadata, not_names: set[str]) -> list[str]:
    """People credited with the story, from the first source that yields any."""
    declared: list[Callable[[], Iterable[str]]] = [  # lazy: the page scans run only when metadata is silent
        lambda: [s for v in meta.article_values("author") for s in _candidate_strings(v, meta.people)],
        lambda: [v for name in _META_NAMES for v in meta.meta.get(name, ()) if not v.startswith("http")],
        lambda: [element_text(e) for e in meta.microdata.get("author", ())],
        lambda: meta.microdata_people,
        lambda: _twitter_byline(meta),
    ]
    slugs: list[str] = []
    for source in declared:
        raw = list(source())
        names = clean_names(raw, not_names, sole_handle=True, declared=True)
        if names and all(_SLUG.match(name) for name in names):
            slugs = slugs or names  # "edilson.la.rosa": a login; another tag may write the name out
        elif names:
            return names
        elif raw and all(_is_desk(text) for text in raw):
            return slugs  # the page credits its desk ("Redaktion", "Staff"): there is no person to find
    return slugs or (
        clean_names(_author_links(tree), not_names)
        or _first_named(_byline_elements(tree), not_names, sole_handle=True)
        or _first_named(_byline_wording(tree), not_names, sole_handle=True)
        or _first_named(_dated_names(tree), not_names)
    )


def closing_signature(tree: HtmlElement, paragraphs: list[str]) -> str | None:
    """The author's name signed under the story: a last paragraph that is only a name, set in bold or
    italics (`<p><strong>Marina Mucha</strong></p>`), the way many magazines credit the writer."""
    if not paragraphs or not _PERSON.match(paragraphs[-1]) or not 2 <= len(paragraphs[-1].split()) <= 3:
        return None
    for element in _SIGNATURE(tree, name=paragraphs[-1]):
        if element.getparent() is not None and element_text(element.getparent()) == paragraphs[-1]:
            return paragraphs[-1]
    return None
