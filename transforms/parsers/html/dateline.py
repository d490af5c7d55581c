"""The dateline place that opens wire-style stories ("ISLAMABAD:", "WASHINGTON (AP) —").

It is metadata, not prose: it moves to its own field and leaves the first paragraph.
Only an upper-case place followed by an agency tag and/or a dash or colon counts, so an
ordinary sentence that starts with an acronym is left alone.
"""

from __future__ import annotations

import re

# Latin capitals with their accented forms, so SÃO PAULO and BOGOTÁ are places too.
_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
_DATELINE = re.compile(
    rf"^(?P<place>[{_UP}][{_UP}.'’-]*(?:[ ][{_UP}][{_UP}.'’-]*){{0,4}})"  # ISLAMABAD, NEW YORK, ST. LOUIS
    rf"(?:,[ ]?[{_UP}][{_UP}{_LOW}.]*(?:[ ][{_UP}][{_UP}{_LOW}.]*){{0,2}})?"  # , N.M. / , Calif. / , Pakistan
    r"(?:,?[ ](?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?[ ]\d{1,2})?"  # , Dec 5
    r"(?P<agency>[ ]?\((?:[A-Z][A-Za-z&. ]{1,30})\))?"  # (AP), (Reuters)
    r"[ ]*(?P<sep>--|[-–—:])[ ]*"
)
_MIN_PLACE_CHARS = 3


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """(place, paragraph without it); (None, paragraph) when it does not open with a dateline."""
    match = _DATELINE.match(paragraph)
    if not match:
        return None, paragraph
    place = match["place"].strip(" .")
    rest = paragraph[match.end() :].strip()
    if len(place.replace(" ", "")) < _MIN_PLACE_CHARS or not rest or not rest[0].isalnum():
        return None, paragraph
    if match["sep"] == "-" and not match["agency"] and paragraph[match.end("place")] != " ":
        return None, paragraph  # "COVID-19" or "U.S.-China": a hyphenated word, not a dateline
    return place, rest
