"""Page language: the declaration, checked against the story text (ISO 639-1)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from transforms.parsers.article import parse_article
from transforms.parsers.html.language import text_language

SPANISH = [
    "Pescadores de la presa gestionarán con las autoridades municipales un apoyo económico para la temporada.",
    "El representante de la cooperativa explicó que la sequía redujo la captura de mojarra durante el verano.",
    "Los trabajadores pidieron que el programa de empleo temporal llegue antes de que termine el mes.",
]
GERMAN = [
    "Der Kindergottesdienst in Velpe hat am Sonntag wieder viele Familien in das Gemeindehaus gelockt.",
    "Die Betreuerinnen hatten Lieder, Bastelarbeiten und Spiele vorbereitet, die den Kindern viel Freude machten.",
    "Im nächsten Monat soll es einen weiteren Termin geben, dann auch mit einem gemeinsamen Frühstück.",
]
NORWEGIAN = [
    "Kommunestyret vedtok budsjettet for neste år etter en lang debatt om skolene og eldreomsorgen.",
    "Ordføreren sa at kommunen må spare penger, men at ingen barnehager skal legges ned i år.",
    "Opposisjonen mente at eiendomsskatten burde vært senket, og stemte imot forslaget.",
]
APPEAL = [
    "Independent journalism needs your support: our reporters cover the stories that matter to your community.",
    "Become a member today and help us keep every article free to read for everyone, wherever they live.",
    "Members get our morning newsletter, invitations to live events and a say in what we investigate next.",
    "Every contribution, however small, goes straight to the newsroom and pays for reporting on the ground.",
    "Thank you to the thousands of readers who already support us each month with a donation of any size.",
    "You can cancel at any time, and your details are never shared with advertisers or any other company.",
]
LOREM = [
    "Dolor ipsam et est cumque. Laboriosam sed delectus rerum sint qui natus tenetur ea. Tenetur debitis.",
    "Esse voluptatem eos sequi quia. Repellat odio libero et aliquam dicta. Voluptatem blanditiis iure numquam.",
    "Sint veritatis quia sunt non officia sapiente ipsam omnis. Quod rerum et nihil aut dolorem accusamus.",
]


def page(title: str, paragraphs: list[str], html_attrs: str = "", head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html {html_attrs}><head><title>{title}</title>
<meta property="og:type" content="article">{head}</head>
<body><header><nav><a href="/">Home</a></nav></header>
<article><h1>{title}</h1><div class="byline">By Staff</div>{body}</article></body></html>"""


def language(html: str) -> str | None:
    return parse_article(html, locator="page.html").language


def test_template_default_contradicted_by_the_text():
    html = page("Pescadores gestionarán apoyo económico", SPANISH, 'lang="en-US"')
    assert language(html) == "es"


def test_template_default_contradicted_by_a_long_text():
    # the middle of a long text disagrees with the declaration, so the full reading decides
    html = page("Pescadores gestionarán apoyo económico", SPANISH * 4, 'lang="en-US"')
    assert language(html) == "es"


def test_the_story_not_an_appeal_above_it_confirms_the_declaration():
    # over 1,000 characters of an English appeal come first; the middle of the text is the Spanish story
    html = page("Pescadores gestionarán apoyo económico", APPEAL + SPANISH * 6, 'lang="es"')
    assert language(html) == "es"


def test_undeclared_language_read_from_the_text():
    assert language(page("Kindergottesdienst in Velpe macht Spaß", GERMAN)) == "de"


def test_declaration_agreeing_with_the_text_keeps_its_language():
    html = page("Kindergottesdienst in Velpe", GERMAN, head='<meta property="og:locale" content="de_DE">')
    assert language(html) == "de"


def test_a_code_the_model_does_not_know_is_kept():
    # Bokmål is declared "nb"; the model says "no": not a contradiction
    assert language(page("Kommunestyret vedtok budsjettet", NORWEGIAN, 'lang="nb-NO"')) == "nb"


def test_latin_filler_does_not_overrule_the_declaration():
    html = page("Singen, basteln, spielen: Kindergottesdienst in Velpe", LOREM, 'lang="de"')
    assert language(html) == "de"


def test_too_little_text_leaves_an_undeclared_page_without_language():
    html = """<html><head><title>12:05</title><meta property="og:type" content="article">
<meta property="article:published_time" content="2024-01-02T10:00:00Z"></head><body><h1>12:05</h1></body></html>"""
    assert language(html) is None


def test_declared_language_kept_when_the_text_is_ambiguous():
    html = page("COVID-19: 266 / 67", ["COVID-19 19:00 266 67 2020 ok."], 'lang="ka"')
    assert language(html) == "ka"


@pytest.mark.parametrize(("text", "expected"), [(" ".join(SPANISH), "es"), (" ".join(GERMAN), "de")])
def test_text_language_probabilities(text, expected):
    chances = text_language(text)
    assert max(chances, key=chances.get) == expected
    assert 0.99 <= sum(chances.values()) <= 1.01
    assert all(len(code) == 2 for code in chances)
    assert "la" not in chances


def test_text_language_of_text_without_letters():
    assert text_language("12:05 — 2020 / 19") == {}


def _small_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def test_a_model_that_cannot_load_leaves_pages_their_declared_language():
    # py3langid unpacks its model through a temporary file: under a 1 MiB file-size limit (or a full /tmp)
    # that fails, and the pages must still parse, keeping what they declare
    script = """
import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from tests.test_article_language import GERMAN, SPANISH, language, page
print(language(page("Pescadores", SPANISH * 4, 'lang="es"')), language(page("Kindergottesdienst", GERMAN)))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, preexec_fn=_small_file_limit
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["es", "None"]
    assert "language model unavailable" in done.stderr
