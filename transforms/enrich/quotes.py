"""Direct quotations and who said them.

A quotation is text between quotation marks with at least a few words, most of them not
capitalised (short ones are scare quotes, capitalised ones names or titles, not speech).
The speaker is read from the attribution next to it, in the same paragraph:
"“…,” said Zardari", "“…,” Aurangzeb told reporters", "Teng said: “…”".
The attribution's words are matched against the story's resolved entities (a person, else an
organisation); "he"/"she" means the last person named before the quotation. When the text
attributes the words to no one nameable ("the statement said", "it added") there is no
speaker: a wrong speaker is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.enrich.resolve import ResolvedMention

_QUOTE = re.compile(r"“([^”\n]{8,2000})”|\"([^\"\n]{8,2000})\"")
_VERBS = (
    r"(?:said|says|added|told|stated|wrote|noted|explained|argued|warned|asked|insisted|declared|"
    r"announced|tweeted|posted|continued|recalled|remarked|acknowledged|stressed|urged)"
)
_AFTER = re.compile(
    rf"\s*,?\s*(?:{_VERBS}\s+(?P<post>[^,.;:“”\"\n]{{1,80}})|(?P<pre>[^,.;:“”\"\n]{{1,80}}?)\s+{_VERBS}\b)"
)
_BEFORE = re.compile(rf"(?P<who>[^,.;:“”\"\n]{{1,80}}?)\s+{_VERBS}(?:\s+\w+)?\s*[,:]?\s*$")
_PRONOUN = re.compile(r"\s*(?:he|she)\b", re.IGNORECASE)
_MIN_WORDS = 6
_NAME_SHARE = 0.6
_PRONOUN_REACH = 600


@dataclass(frozen=True, slots=True)
class Quote:
    quote: str
    speaker_entity_id: str | None
    speaker_name: str | None


def quotes(text: str, mentions: list[ResolvedMention]) -> list[Quote]:
    """Quotations in text order, each with the speaker the attribution names, if any."""
    found: list[Quote] = []
    for match in _QUOTE.finditer(text):
        body = (match.group(1) or match.group(2)).strip()
        words = body.split()
        if len(words) < _MIN_WORDS or sum(w[0].isupper() for w in words) > _NAME_SHARE * len(words):
            continue  # scare quotes, or a quoted name ("China-Pakistan Community of Shared Future")
        speaker = _speaker(text, match.start(), match.end(), mentions)
        found.append(Quote(body, speaker.entity_id if speaker else None, speaker.name if speaker else None))
    return found


def _speaker(text: str, start: int, end: int, mentions: list[ResolvedMention]) -> ResolvedMention | None:
    after = _AFTER.match(text, end)
    if after:
        group = "post" if after.group("post") else "pre"
        return _named_in(text, after.start(group), after.end(group), start, mentions)
    line_start = text.rfind("\n", 0, start) + 1
    before = _BEFORE.search(text, line_start, start)
    if before:
        return _named_in(text, before.start("who"), before.end("who"), start, mentions)
    return None


def _named_in(
    text: str, start: int, end: int, quote_start: int, mentions: list[ResolvedMention]
) -> ResolvedMention | None:
    inside = [m for m in mentions if start <= m.start and m.end <= end and m.entity_type != "place"]
    people = [m for m in inside if m.entity_type == "person"]
    if people or inside:
        return (people or inside)[0]
    if _PRONOUN.match(text, start):
        earlier = [
            m for m in mentions if m.entity_type == "person" and quote_start - _PRONOUN_REACH <= m.end <= quote_start
        ]
        return earlier[-1] if earlier else None
    return None
