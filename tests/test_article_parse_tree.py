"""The parse tree's node classes: the readers and the content finder call lxml.html methods on every node.

`parse_tree` picks node classes with a fixed lookup instead of lxml.html's per-node Python callback;
these tests pin that every kind of node still carries the lxml.html API, copies included (the content
finder works on copies of the tree).
"""

from __future__ import annotations

from copy import copy, deepcopy

from lxml import etree
from lxml import html as lxml_html

from transforms.parsers.html.document import parse_tree
from transforms.parsers.html.text import element_text

PAGE = """<!doctype html>
<html><head><title>Harbour bridge reopens</title></head>
<body>
<!-- a comment between blocks -->
<article class="story">
  <h1>Harbour bridge reopens</h1>
  <p id="first">The <b>old</b> bridge carries traffic again after <a href="/works">two years of works</a>.</p>
  <p>Ferries keep their <i>summer</i> timetable.</p>
  <form action="/search"><label for="q">Search</label><input id="q" name="q" value="bridge">
  <select name="s"><option value="a" selected>A</option></select><textarea name="t">note</textarea></form>
  <aside>Related: harbour stories</aside>
</article>
</body></html>"""


def test_every_element_is_an_lxml_html_element() -> None:
    tree = parse_tree(PAGE)
    elements = [e for e in tree.iter() if isinstance(e.tag, str)]
    assert elements
    assert all(type(e) is lxml_html.HtmlElement for e in elements)


def test_comments_are_lxml_html_comments() -> None:
    tree = parse_tree(PAGE)
    comments = list(tree.iter(etree.Comment))
    assert [c.text.strip() for c in comments] == ["a comment between blocks"]
    assert all(type(c) is lxml_html.HtmlComment for c in comments)


def test_form_controls_are_plain_elements_with_the_html_api() -> None:
    """No reader needs a form's fields: form controls get the plain class, with the same text and markup API."""
    tree = parse_tree(PAGE)
    for tag in ("form", "input", "select", "textarea", "label"):
        (element,) = tree.iter(tag)
        assert type(element) is lxml_html.HtmlElement
    assert tree.find(".//input").get("value") == "bridge"
    assert tree.find(".//textarea").text_content() == "note"


def test_text_and_markup_helpers_work_on_the_tree() -> None:
    tree = parse_tree(PAGE)
    first = tree.get_element_by_id("first")
    assert first.text_content() == "The old bridge carries traffic again after two years of works."
    assert element_text(first) == "The old bridge carries traffic again after two years of works ."
    assert [(element.tag, link) for element, _, link, _ in tree.iterlinks()] == [("a", "/works"), ("form", "/search")]
    assert tree.find_class("story")[0].tag == "article"
    assert b"<b>old</b>" in lxml_html.tostring(first)


def test_drop_tree_keeps_the_tail_text() -> None:
    tree = parse_tree(PAGE)
    first = tree.get_element_by_id("first")
    first.find("a").drop_tree()
    assert first.text_content() == "The old bridge carries traffic again after ."


def test_copies_keep_the_node_classes() -> None:
    tree = parse_tree(PAGE)
    for duplicate in (copy(tree), deepcopy(tree)):
        assert {type(e) for e in duplicate.iter() if isinstance(e.tag, str)} == {lxml_html.HtmlElement}
        assert duplicate.find(".//aside").text_content() == "Related: harbour stories"
