"""The recurring cast of the synthetic news world: places, people, organisations, outlets, reporters.

Real countries and capitals (so place resolution and `country_code` have something true to
find), fictional people and organisations (so nothing is said about anyone real). Surnames
and acronyms are unique across the cast, because stories refer back to people by surname
("Qadir said") and to organisations by acronym ("NERA"), and the manifest counts mentions
by those short forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTIONS: tuple[str, ...] = (
    "politics",
    "economy",
    "technology",
    "energy",
    "conflict",
    "society",
    "sport",
    "health",
)


@dataclass(frozen=True, slots=True)
class Place:
    """A real country with its capital, demonym and the cities its stories are datelined from."""

    country: str
    code: str
    capital: str
    demonym: str
    cities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Person:
    """A fictional public figure; `title` goes before the name on first mention."""

    name: str
    title: str
    country: str
    section: str
    family_name: str = ""  # set where the family name is not the last word (e.g. Chinese names)

    @property
    def surname(self) -> str:
        return self.family_name or self.name.rsplit(" ", 1)[-1]


@dataclass(frozen=True, slots=True)
class Organization:
    """A fictional body written "Full Name (ACRONYM)" first, then "ACRONYM"."""

    name: str
    acronym: str
    section: str


@dataclass(frozen=True, slots=True)
class Outlet:
    """A fictional news site; `slug` names its host (www.<slug>.example) or its live-site path prefix."""

    slug: str
    name: str
    home_city: str
    utc_offset_minutes: int
    feed_format: str  # "rss" or "atom"
    jsonld_style: str  # "object", "graph" or "list"
    language_tag: str = "en"  # as the page writes it; the ISO 639-1 code is always "en"

    @property
    def host(self) -> str:
        return f"www.{self.slug}.example"


PLACES: tuple[Place, ...] = (
    Place("Pakistan", "PK", "Islamabad", "Pakistani", ("Karachi", "Lahore", "Peshawar")),
    Place("Kenya", "KE", "Nairobi", "Kenyan", ("Mombasa", "Kisumu")),
    Place("United Arab Emirates", "AE", "Abu Dhabi", "Emirati", ("Dubai", "Sharjah")),
    Place("Saudi Arabia", "SA", "Riyadh", "Saudi", ("Jeddah", "Dammam")),
    Place("Egypt", "EG", "Cairo", "Egyptian", ("Alexandria",)),
    Place("Nigeria", "NG", "Abuja", "Nigerian", ("Lagos", "Kano")),
    Place("Ghana", "GH", "Accra", "Ghanaian", ("Kumasi",)),
    Place("South Africa", "ZA", "Pretoria", "South African", ("Johannesburg", "Durban")),
    Place("Ethiopia", "ET", "Addis Ababa", "Ethiopian", ("Dire Dawa",)),
    Place("India", "IN", "New Delhi", "Indian", ("Mumbai", "Chennai")),
    Place("Bangladesh", "BD", "Dhaka", "Bangladeshi", ("Chittagong",)),
    Place("Sri Lanka", "LK", "Colombo", "Sri Lankan", ("Kandy",)),
    Place("Turkey", "TR", "Ankara", "Turkish", ("Istanbul", "Izmir")),
    Place("Jordan", "JO", "Amman", "Jordanian", ("Aqaba",)),
    Place("Qatar", "QA", "Doha", "Qatari", ()),
    Place("Morocco", "MA", "Rabat", "Moroccan", ("Casablanca", "Tangier")),
    Place("Indonesia", "ID", "Jakarta", "Indonesian", ("Surabaya",)),
    Place("Malaysia", "MY", "Kuala Lumpur", "Malaysian", ("Penang",)),
    Place("Germany", "DE", "Berlin", "German", ("Hamburg", "Frankfurt")),
    Place("United Kingdom", "GB", "London", "British", ("Manchester",)),
    Place("China", "CN", "Beijing", "Chinese", ("Shanghai",)),
    Place("Japan", "JP", "Tokyo", "Japanese", ("Osaka",)),
    Place("Brazil", "BR", "Brasília", "Brazilian", ("São Paulo",)),
)

PLACE_BY_CODE: dict[str, Place] = {place.code: place for place in PLACES}

PEOPLE: tuple[Person, ...] = (
    Person("Amira Qadir", "Finance Minister", "PK", "economy"),
    Person("Tariq Mehmood Baloch", "Interior Minister", "PK", "politics"),
    Person("Saima Rehan", "Energy Minister", "PK", "energy"),
    Person("Farhan Lodhi", "Minister for Information Technology", "PK", "technology"),
    Person("Nadia Chaudhry", "Health Minister", "PK", "health"),
    Person("Joseph Kiprotich", "President", "KE", "politics"),
    Person("Wanjiru Mwangi", "Treasury Secretary", "KE", "economy"),
    Person("Daniel Otieno", "army spokesman", "KE", "conflict"),
    Person("Grace Achieng", "Sports Minister", "KE", "sport"),
    Person("Khalid Al-Mansoori", "Energy Minister", "AE", "energy"),
    Person("Mariam Al-Suwaidi", "Minister of State for Digital Economy", "AE", "technology"),
    Person("Faisal Al-Harbi", "Foreign Minister", "SA", "politics"),
    Person("Noura Al-Qahtani", "Deputy Health Minister", "SA", "health"),
    Person("Omar Fathy", "Prime Minister", "EG", "politics"),
    Person("Hana Soliman", "central bank Governor", "EG", "economy"),
    Person("Chinedu Okafor", "Petroleum Minister", "NG", "energy"),
    Person("Aisha Bello", "opposition leader", "NG", "politics"),
    Person("Kwame Asante", "head coach", "GH", "sport"),
    Person("Efua Mensah", "Education Minister", "GH", "society"),
    Person("Thandiwe Dlamini", "Health Minister", "ZA", "health"),
    Person("Pieter van Wyk", "Defence Minister", "ZA", "conflict"),
    Person("Meron Tesfaye", "special envoy", "ET", "conflict"),
    Person("Ravi Menon", "Commerce Minister", "IN", "economy"),
    Person("Priya Raghavan", "Lumen Grid chief executive", "IN", "technology"),
    Person("Shafiqul Karim", "Labour Minister", "BD", "society"),
    Person("Dilani Perera", "Foreign Minister", "LK", "politics"),
    Person("Emre Yalcin", "Defence Minister", "TR", "conflict"),
    Person("Layla Haddad", "human rights lawyer", "JO", "society"),
    Person("Hamad Saleh Kuwari", "organising committee chairman", "QA", "sport"),
    Person("Youssef Benali", "Water Minister", "MA", "energy"),
    Person("Sari Wibowo", "Health Minister", "ID", "health"),
    Person("Lim Wei Jie", "Digital Minister", "MY", "technology", "Lim"),
    Person("Katrin Vogel", "Economy Minister", "DE", "economy"),
    Person("Oliver Pennington", "Foreign Secretary", "GB", "politics"),
    Person("Chen Jiahui", "Vice Premier", "CN", "economy", "Chen"),
    Person("Haruto Sakamoto", "Trade Minister", "JP", "economy"),
    Person("Beatriz Carvalho", "Environment Minister", "BR", "energy"),
    Person("Imran Siddiqui", "captain", "PK", "sport"),
    Person("Fatima Zahra Idrissi", "epidemiologist", "MA", "health"),
    Person("Samuel Njoroge", "Nairobi Mayor", "KE", "society"),
)

ORGANIZATIONS: tuple[Organization, ...] = (
    Organization("National Energy Regulatory Authority", "NERA", "energy"),
    Organization("Association of Independent Power Producers", "AIPP", "energy"),
    Organization("Regional Monetary Council", "RMC", "economy"),
    Organization("Federal Revenue Board", "FRB", "economy"),
    Organization("Coastal States Trade Bloc", "CSTB", "economy"),
    Organization("Digital Payments Council", "DPC", "technology"),
    Organization("Institute for Network Security", "INS", "technology"),
    Organization("Open Satellite Consortium", "OSC", "technology"),
    Organization("Public Health Emergency Agency", "PHEA", "health"),
    Organization("Association of Rural Clinics", "ARC", "health"),
    Organization("Continental Football Association", "CFA", "sport"),
    Organization("Regional Cricket Board", "RCB", "sport"),
    Organization("Horn of Africa Peace Mission", "HAPM", "conflict"),
    Organization("Sahel Stabilisation Force", "SSF", "conflict"),
    Organization("Independent Electoral Commission", "IEC", "politics"),
    Organization("Parliamentary Accounts Committee", "PAC", "politics"),
    Organization("Union of Transport Workers", "UTW", "society"),
    Organization("Council for Housing Rights", "CHR", "society"),
)

WIRE_AGENCY = "Meridian Wire"

REPORTERS: tuple[str, ...] = (
    "Sana Javed",
    "Bilal Hashmi",
    "Zainab Akhtar",
    "Peter Kamau",
    "Lucy Wambui",
    "Ahmed Nasser",
    "Reem Khalifa",
    "Tomasz Nowak",
    "Adaeze Nwosu",
    "Kofi Boateng",
    "Hina Butt",
    "Yusuf Demir",
    "Aditi Rao",
    "Rashid Karimi",
    "Marta Oliveira",
    "Jonah Whitfield",
    "Leila Mansour",
    "Ibrahim Sesay",
)

WIRE_REPORTERS: tuple[str, ...] = ("Nkechi Adeyemi", "Hassan Farouk", "Clara Lindqvist", "Dev Malhotra")

# Outlet names are built from two lists so any K up to len(A) * len(B) outlets gets distinct names.
_OUTLET_FIRST = (
    "Meridian",
    "Savanna",
    "Gulf",
    "Harbour",
    "Crescent",
    "Highland",
    "Delta",
    "Frontier",
    "Summit",
    "Coastal",
)
_OUTLET_SECOND = ("Daily", "Times", "Ledger", "Courier", "Herald", "Post", "Observer", "Tribune")
# Fixed-offset home cities (no daylight saving), so a story's offset never depends on a tz database.
_HOMES: tuple[tuple[str, int], ...] = (
    ("Karachi", 300),
    ("Nairobi", 180),
    ("Dubai", 240),
    ("Lagos", 60),
    ("Dhaka", 360),
    ("Accra", 0),
    ("Jakarta", 420),
    ("Riyadh", 180),
)
_JSONLD_STYLES = ("object", "graph", "list")

DUMP_OUTLET = Outlet("indus-chronicle", "Indus Chronicle", "Islamabad", 300, "none", "none")


def outlet(index: int) -> Outlet:
    """The index-th outlet; outlet 0 is always Meridian Daily (www.meridian-daily.example)."""
    first = _OUTLET_FIRST[index % len(_OUTLET_FIRST)]
    second = _OUTLET_SECOND[(index // len(_OUTLET_FIRST) + index) % len(_OUTLET_SECOND)]
    city, offset = _HOMES[index % len(_HOMES)]
    name = f"{first} {second}"
    return Outlet(
        slug=name.lower().replace(" ", "-"),
        name=name,
        home_city=city,
        utc_offset_minutes=offset,
        feed_format="atom" if index % 2 else "rss",
        jsonld_style=_JSONLD_STYLES[index % len(_JSONLD_STYLES)],
        language_tag="en-GB" if index % 3 == 2 else "en",
    )


MAX_OUTLETS = len(_OUTLET_FIRST) * len(_OUTLET_SECOND)


def home_place(city: str) -> Place:
    """The country an outlet's home city belongs to (its stories lean towards that country)."""
    for place in PLACES:
        if city == place.capital or city in place.cities:
            return place
    raise KeyError(city)


PLACE_BY_NAME: dict[str, Place] = {
    name: place for place in PLACES for name in (place.country, place.capital, *place.cities)
}
# One pass finds every place name; longest first so "South Africa" wins over shorter names.
PLACE_NAME_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted(PLACE_BY_NAME, key=len, reverse=True)) + r")(?![\w-])"
)
