"""Article and home pages of the synthetic outlets, written like real news sites.

Each outlet has its own JSON-LD habit (one object, an @graph, or a list) and every page
wraps the article in the chrome an extractor must drop: navigation, a ticker, an inline
"Read also" box, related links, a newsletter form and a footer. Two variants stress the
metadata fallbacks: "legacy" pages have no JSON-LD or OpenGraph and a "| Outlet" title
suffix; "undated" explainers carry no date anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

import orjson

from demo.corpus.cast import SECTIONS
from demo.corpus.story import MONTHS, CorpusConfig, Story, StoryHead, outlet_base_url, story_url


def display_time(moment: datetime, with_offset: bool = True) -> str:
    """How the sites print times for readers: "6 February 2025, 09:30 GMT+5"."""
    text = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    if not with_offset:
        return text
    offset = moment.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return f"{text} GMT{hours:+d}" if hours else f"{text} GMT"


def _json_ld(data: object) -> str:
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    return text.replace("</", "<\\/")


def _article_json_ld(cfg: CorpusConfig, item: Story) -> object:
    site = item.outlet
    base = outlet_base_url(cfg, site)
    url = story_url(cfg, item)
    article: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": item.headline,
        "description": item.summary[0] if item.summary else "",
        "articleSection": item.section,
        "keywords": ", ".join(item.tags),
        "inLanguage": site.language_tag,
        "author": [{"@type": "Person", "name": name} for name in item.authors],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site.name,
            "url": base + "/",
            "logo": {"@type": "ImageObject", "url": f"{base}/static/logo.png"},
        },
        "image": {
            "@type": "ImageObject",
            "url": f"{base}/images/{item.article_id}.jpg",
            "caption": item.image_caption,
        },
    }
    # dateModified only when the story changed, so "updated" in the page means what the manifest says.
    if item.published:
        article["datePublished"] = item.published.isoformat()
    if item.updated:
        article["dateModified"] = item.updated.isoformat()
    if item.is_wire:
        article["sourceOrganization"] = {"@type": "NewsMediaOrganization", "name": "Meridian Wire"}
    if site.jsonld_style == "object":
        return article
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": base + "/"},
            {
                "@type": "ListItem",
                "position": 2,
                "name": item.section,
                "item": f"{base}/{item.section.lower()}/",
            },
        ],
    }
    if site.jsonld_style == "list":
        return [article, {"@context": "https://schema.org", **crumbs}]
    del article["@context"]
    return {
        "@context": "https://schema.org",
        "@graph": [{"@type": "WebSite", "url": base + "/"}, article, crumbs],
    }


def _meta_tags(cfg: CorpusConfig, item: Story) -> list[str]:
    site = item.outlet
    url = story_url(cfg, item)
    tags = [
        f'<meta name="description" content="{escape(item.summary[0] if item.summary else item.headline)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{escape(item.headline)}">',
        f'<meta property="og:url" content="{escape(url)}">',
        f'<meta property="og:site_name" content="{escape(site.name)}">',
        f'<meta property="og:image" content="{outlet_base_url(cfg, site)}/images/{item.article_id}.jpg">',
        f'<meta property="article:section" content="{escape(item.section)}">',
        f'<meta name="keywords" content="{escape(", ".join(item.tags))}">',
    ]
    tags += [f'<meta property="article:tag" content="{escape(tag)}">' for tag in item.tags]
    tags += [f'<meta property="article:author" content="{escape(name)}">' for name in item.authors]
    if item.published:
        tags.append(f'<meta property="article:published_time" content="{item.published.isoformat()}">')
    if item.updated:
        tags.append(f'<meta property="article:modified_time" content="{item.updated.isoformat()}">')
    return tags


def _chrome_header(cfg: CorpusConfig, item: Story) -> str:
    base = outlet_base_url(cfg, item.outlet)
    links = "".join(f'<li><a href="{base}/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    return (
        f'<header class="site-header"><a class="logo" href="{base}/">{escape(item.outlet.name)}</a>'
        f'<nav class="main-nav"><ul><li><a href="{base}/">Home</a></li>{links}</ul></nav>'
        '<form class="search" action="search"><input name="q" placeholder="Search"></form></header>\n'
        '<div class="ticker"><span>Markets</span> Stocks edge higher in early trade · '
        "<span>Weather</span> Heat advisory issued for coastal districts</div>\n"
    )


def _byline(item: Story) -> str:
    if not item.authors:
        return ""
    names = [f'<a rel="author" href="/author/{n.lower().replace(" ", "-")}">{escape(n)}</a>' for n in item.authors]
    joined = " and ".join(names)
    agency = ", Meridian Wire" if item.is_wire else ""
    return f'<div class="byline">By {joined}{agency}</div>\n'


def _dates(item: Story) -> str:
    if not item.published:
        return ""
    if item.variant == "legacy":
        return f'<p class="date">{item.published:%A}, {display_time(item.published, with_offset=False)}</p>\n'
    text = (
        f'<time class="published" datetime="{item.published.isoformat()}">'
        f"Published {display_time(item.published)}</time>"
    )
    if item.updated:
        text += (
            f' <time class="updated" datetime="{item.updated.isoformat()}">Updated {display_time(item.updated)}</time>'
        )
    return f'<div class="dates">{text}</div>\n'


def _related_box(cfg: CorpusConfig, related: Sequence[StoryHead]) -> tuple[str, str]:
    """The inline "Read also" box and the "Related" list under the article."""
    if not related:
        return "", ""
    first = related[0]
    inline = (
        f'<aside class="inline-related"><strong>Read also:</strong> '
        f'<a href="{story_url(cfg, first)}">{escape(first.headline)}</a></aside>\n'
    )
    items = "".join(f'<li><a href="{story_url(cfg, r)}">{escape(r.headline)}</a></li>' for r in related)
    return inline, f'<aside class="related"><h2>Related</h2><ul>{items}</ul></aside>\n'


_NEWSLETTER = (
    '<section class="newsletter"><h2>The Morning Brief</h2>'
    "<p>Get the day’s top stories in your inbox every morning.</p>"
    '<form><input type="email" placeholder="Your email"><button>Sign up</button></form></section>\n'
)


def _footer(item: Story) -> str:
    return (
        f'<footer class="site-footer"><p>© {escape(item.outlet.name)}. All rights reserved.</p>'
        '<ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>'
        '<li><a href="/privacy">Privacy policy</a></li>'
        '<li><a href="/terms">Terms of use</a></li></ul></footer>\n'
    )


def render_article(cfg: CorpusConfig, item: Story, related: Sequence[StoryHead] = ()) -> str:
    """The full HTML page of one story."""
    site = item.outlet
    base = outlet_base_url(cfg, site)
    url = story_url(cfg, item)
    legacy = item.variant == "legacy"
    title = f"{item.headline} | {site.name}" if legacy else item.headline
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f'<link rel="canonical" href="{escape(url)}">',
    ]
    if not legacy:
        head += _meta_tags(cfg, item)
        head.append(f'<script type="application/ld+json">\n{_json_ld(_article_json_ld(cfg, item))}\n</script>')
    inline, related_list = _related_box(cfg, related)
    paragraphs = [f"<p>{escape(p)}</p>\n" for p in item.paragraphs]
    if inline and len(paragraphs) > 3:
        paragraphs.insert(3, inline)
    standfirst = "".join(f"<li>{escape(b)}</li>" for b in item.summary)
    figure = (
        f'<figure class="lead-image"><img src="{base}/images/{item.article_id}.jpg" '
        f'alt=""><figcaption>{escape(item.image_caption)}</figcaption></figure>\n'
        if item.image_caption
        else ""
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{site.language_tag}">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + _chrome_header(cfg, item)
        + '<main>\n<article class="story">\n'
        + f'<nav class="breadcrumb"><a href="{base}/">Home</a> › '
        + f'<a href="{base}/{item.section.lower()}/">{item.section}</a></nav>\n'
        + f'<h1 class="headline">{escape(item.headline)}</h1>\n'
        + (f'<ul class="standfirst">{standfirst}</ul>\n' if standfirst else "")
        + _byline(item)
        + _dates(item)
        + figure
        + '<div class="article-body">\n'
        + "".join(paragraphs)
        + "</div>\n"
        + f'<div class="tags">Tags: {", ".join(escape(t) for t in item.tags)}</div>\n'
        + "</article>\n"
        + related_list
        + _NEWSLETTER
        + "</main>\n"
        + _footer(item)
        + "</body>\n</html>\n"
    )


def render_home(
    cfg: CorpusConfig, site_name: str, base: str, latest: Sequence[StoryHead], feed: tuple[str, str]
) -> str:
    """An outlet's front page: its latest headlines and its feed (`feed` is URL and media type), as a
    `page` source finds it by `<link rel="alternate">`."""
    items = "".join(
        f'<li><a href="{story_url(cfg, s)}">{escape(s.headline)}</a> <span>{escape(s.section)}</span></li>'
        for s in latest
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(site_name)}</title>\n"
        f'<link rel="canonical" href="{escape(base)}/">\n'
        f'<link rel="alternate" type="{feed[1]}" href="{escape(feed[0])}">\n'
        f"</head>\n<body>\n<h1>{escape(site_name)}</h1>\n"
        f'<ul class="latest">{items}</ul>\n</body>\n</html>\n'
    )
