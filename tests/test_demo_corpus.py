"""The synthetic news generator: determinism, exact counts, valid feeds and JSON-LD, and realistic variety."""

from __future__ import annotations

import calendar
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from demo.corpus import CorpusConfig, sample_files, story
from demo.corpus.cast import PEOPLE
from demo.corpus.site import FEED_ITEMS, months, render_outlet_path
from demo.corpus.story import corpus_outlets, outlet_of

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SURNAMES = {p.name: p.surname for p in PEOPLE}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture(scope="module")
def generated() -> dict[str, bytes]:
    return dict(sample_files())


@pytest.fixture(scope="module")
def manifest(generated: dict[str, bytes]) -> dict:
    return json.loads(generated["manifest.json"])


def _pages(manifest: dict) -> list[dict]:
    return [s for s in manifest["stories"] if s["url"]]


def test_same_seed_gives_same_bytes_and_another_seed_does_not(generated: dict[str, bytes]) -> None:
    assert dict(sample_files()) == generated
    cfg, other = CorpusConfig(seed=7, stories=50), CorpusConfig(seed=8, stories=50)
    assert story(CorpusConfig(seed=7, stories=50), 13) == story(cfg, 13)
    assert story(cfg, 13).body != story(other, 13).body


def test_committed_samples_are_what_the_generator_writes(generated: dict[str, bytes]) -> None:
    on_disk = {
        str(p.relative_to(SAMPLES)): p.read_bytes() for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md"
    }
    stale = sorted(set(on_disk) ^ set(generated))
    assert not stale, f"run `python -m demo.site write-samples samples/`: {stale[:5]}"
    changed = [name for name, data in generated.items() if on_disk[name] != data]
    assert not changed, f"run `python -m demo.site write-samples samples/`: {changed[:5]}"


def test_sample_counts_match_the_manifest_and_the_readme(manifest: dict, generated: dict[str, bytes]) -> None:
    counts, stories, pages = manifest["counts"], manifest["stories"], _pages(manifest)
    assert counts["stories"] == len(stories) == 78
    assert counts["article_pages"] == len(pages) == 66
    assert sum(1 for name in generated if name.endswith(".html")) == 66
    assert counts["dump_stories"] == 12
    assert counts["wire_copies"] == sum(1 for s in stories if s["is_wire_copy_of"]) == 4
    assert counts["undated_pages"] == 1 and counts["legacy_pages"] == 1
    assert counts["updated_pages"] == sum(1 for s in pages if s["updated_at"]) == 18
    assert counts["days_spanned"] >= 42
    assert {s["source"] for s in stories} == {
        "meridian-daily",
        "savanna-times",
        "gulf-ledger",
        "indus-chronicle",
    }
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for key in ("stories", "article_pages", "dump_stories", "wire_copies", "updated_pages", "days_spanned"):
        assert f"| {key} | {counts[key]} |" in readme, key


def test_exactly_n_pages_all_listed_in_monthly_sitemaps() -> None:
    cfg = CorpusConfig(seed=3, stories=437, outlets=4, days=120, base_url="http://127.0.0.1:1")
    listed: list[str] = []
    for k in range(cfg.outlets):
        for month in months(cfg):
            document = render_outlet_path(cfg, k, f"/sitemaps/{month:%Y-%m}.xml")
            assert document is not None
            listed += re.findall(r"<loc>(.*?)</loc>", document.body.decode())
    assert len(listed) == len(set(listed)) == 437
    prefix = len("http://127.0.0.1:1/")
    for url in listed[:: 437 // 40]:
        slug, _, rest = url[prefix:].partition("/")
        k = [o.slug for o in corpus_outlets(cfg)].index(slug)
        assert render_outlet_path(cfg, k, "/" + rest) is not None
    with pytest.raises(IndexError):
        story(cfg, 437)


def test_feeds_parse_and_link_to_the_manifest_urls(manifest: dict, generated: dict[str, bytes]) -> None:
    urls = {s["url"]: s for s in _pages(manifest)}
    feeds = {name: data for name, data in generated.items() if name.endswith(("/rss.xml", "/atom.xml"))}
    assert sorted(n.rsplit("/", 1)[1] for n in feeds) == ["atom.xml", "rss.xml", "rss.xml"]
    for data in feeds.values():
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert 0 < len(parsed.entries) <= FEED_ITEMS
        for entry in parsed.entries:
            truth = urls[entry.link]
            assert entry.title == truth["headline"]
            assert entry.author in truth["authors"]
            published = datetime.fromisoformat(truth["published_at"]).timestamp()
            assert calendar.timegm(entry.published_parsed) == published
            assert truth["in_feed"]


def _json_ld(html: str) -> list:
    tree = HTMLParser(html)
    return [json.loads(node.text()) for node in tree.css('script[type="application/ld+json"]')]


def _news_article(blocks: list) -> dict:
    for block in blocks:
        for node in block if isinstance(block, list) else block.get("@graph", [block]):
            if node.get("@type") == "NewsArticle":
                return node
    raise AssertionError("no NewsArticle")


def test_pages_carry_valid_json_ld_opengraph_and_canonical(manifest: dict, generated: dict[str, bytes]) -> None:
    styles = set()
    for entry in _pages(manifest):
        html = generated[entry["locator"]].decode()
        tree = HTMLParser(html)
        assert tree.css_first('link[rel="canonical"]').attributes["href"] == entry["url"]
        blocks = _json_ld(html)
        if entry["variant"] == "legacy":
            assert blocks == [] and "og:title" not in html
            assert tree.css_first("title").text().endswith(" | " + _site_name(manifest, entry["source"]))
            continue
        first = blocks[0]
        styles.add("list" if isinstance(first, list) else "graph" if "@graph" in first else "object")
        article = _news_article(blocks)
        assert article["headline"] == entry["headline"]
        assert [a["name"] for a in article["author"]] == entry["authors"]
        assert article["articleSection"] == entry["section"]
        assert tree.css_first('meta[property="og:title"]').attributes["content"] == entry["headline"]
        if entry["variant"] == "undated":
            assert "datePublished" not in article and not re.search(r"20\d\d", html)
        else:
            assert article["datePublished"] == entry["published_at"]
            assert article.get("dateModified") == entry["updated_at"]
        if entry["updated_at"]:
            assert "Updated " in tree.css_first("div.dates").text()
    assert styles == {"object", "graph", "list"}


def _site_name(manifest: dict, source: str) -> str:
    return next(s["site"] for s in manifest["sources"] if s["name"] == source)


def test_page_body_paragraphs_are_the_manifest_body(manifest: dict, generated: dict[str, bytes]) -> None:
    for entry in _pages(manifest)[:20]:
        tree = HTMLParser(generated[entry["locator"]].decode())
        paragraphs = [p.text() for p in tree.css("div.article-body > p")]
        assert "\n\n".join(paragraphs) == entry["body"]
        assert entry["image_caption"] == tree.css_first("figcaption").text()
        assert entry["image_caption"] not in entry["body"]


def test_wire_copies_repeat_the_body_on_another_outlet(manifest: dict) -> None:
    by_url = {s["url"]: s for s in _pages(manifest)}
    copies = [s for s in _pages(manifest) if s["is_wire_copy_of"]]
    assert copies
    for copy in copies:
        original = by_url[copy["is_wire_copy_of"]]
        assert copy["body"] == original["body"] and copy["url"] != original["url"]
        assert copy["source"] != original["source"]
        assert copy["dateline_lead_in"].endswith("(Meridian Wire) —")
        assert datetime.fromisoformat(copy["published_at"]) > datetime.fromisoformat(original["published_at"])


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def test_distinct_stories_are_not_near_duplicates(manifest: dict) -> None:
    stories = manifest["stories"]
    shingles = [_shingles(s["body"]) for s in stories]
    worst = 0.0
    for i in range(len(stories)):
        for j in range(i + 1, len(stories)):
            if stories[j]["is_wire_copy_of"] == stories[i]["url"]:
                continue
            a, b = shingles[i], shingles[j]
            worst = max(worst, len(a & b) / len(a | b))
    assert worst < 0.5


def test_people_first_in_full_then_by_surname(manifest: dict) -> None:
    for entry in manifest["stories"]:
        for person in entry["people"]:
            first = entry["body"].index(SURNAMES[person["name"]])
            assert entry["body"][first:].startswith(person["name"]) or entry["body"][
                : first + len(SURNAMES[person["name"]])
            ].endswith(person["name"])
        for org in entry["organizations"]:
            assert f"{org['name']} ({org['acronym']})" in entry["body"]


def test_relative_dates_agree_with_the_story_date(manifest: dict) -> None:
    seen = Counter()
    for entry in manifest["stories"]:
        anchor = entry["published_at"] or entry["updated_at"]
        if entry["variant"] == "undated":
            assert entry["date_mentions"] == []
            continue
        story_day = date.fromisoformat(anchor[:10])
        for mention in entry["date_mentions"]:
            assert mention["phrase"] in entry["body"]
            seen[mention["phrase"].split()[0]] += 1
            if mention["phrase"].split()[-1] in WEEKDAYS:
                day = date.fromisoformat(mention["date"])
                assert WEEKDAYS[day.weekday()] == mention["phrase"].split()[-1]
                assert timedelta(0) <= story_day - day <= timedelta(days=6)
            if mention["phrase"] == "last month":
                assert mention["date"] < anchor[:7]
    assert seen["on"] > 40 and seen["last"] > 5 and seen["a"] > 5


def test_dumps_have_the_seed_shape(manifest: dict, generated: dict[str, bytes]) -> None:
    dumps = {n: d.decode() for n, d in generated.items() if n.startswith("dumps/")}
    assert len(dumps) == 3
    entries = [s for s in manifest["stories"] if s["url"] is None]
    for name, text in dumps.items():
        mine = [e for e in entries if e["locator"].startswith(name + "#")]
        assert len(mine) == 4 and not text.endswith("\n")
        assert len(re.findall(r"^Updated \d\d [A-Z][a-z]+ \d{4}$", text, re.M)) == 4
        assert text.count("\nFollow\n") == 4
        for entry in mine:
            assert text.count(entry["headline"]) == 2
            assert f"\n{entry['dateline']}: " in text
            for bullet in entry["summary"]:
                assert f"\n  • {bullet}\n" in text
            if entry["image_caption"]:
                assert f"\n{entry['image_caption']}\nShort Url\n" in text
    assert any(e["image_caption"] is None for e in entries) and any(e["image_caption"] for e in entries)


def test_quotes_are_attributed_or_explicitly_unattributed(manifest: dict) -> None:
    speakers = Counter()
    for entry in manifest["stories"]:
        for quote in entry["quotes"]:
            assert f"“{quote['quote']},”" in entry["body"]
            speakers["person" if quote["speaker"] in {p["name"] for p in entry["people"]} else "other"] += 1
    assert speakers["person"] > 60 and speakers["other"] > 10


def test_live_scale_generation_uses_every_outlet_and_section() -> None:
    cfg = CorpusConfig(stories=2000, outlets=5, base_url="http://127.0.0.1:9")
    outlets = Counter(outlet_of(cfg, i) for i in range(cfg.stories))
    assert set(outlets) == set(range(5))
    sections = Counter(story(cfg, i).section for i in range(0, 2000, 7))
    assert len(sections) == 8
    # pairs (2k, 2k+1) with k % 8 == 5: one copy per 16 stories
    assert sum(1 for i in range(2000) if story(cfg, i).wire_copy_of is not None) == 125
