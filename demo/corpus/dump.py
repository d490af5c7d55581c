"""Story dumps in the shape of the user's seed file: several stories per .txt, page chrome included.

Each story: headline, blank, optional photo caption followed by "Short Url", "Updated DD Month
YYYY", "Follow", blank, the headline again, blank, "  • " bullets, blank, "CITY: " lead and the
body paragraphs separated by blank lines; stories are separated by two blank lines and the
file has no final newline. Caption-less stories end their headline with a no-break space, as
in the seed, so a parser must strip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from demo.corpus.story import MONTHS, Story

NBSP = "\u00a0"


def dump_day(item: Story) -> date:
    """The day a dump prints as "Updated …": the last change, by the outlet's local calendar."""
    moment = item.updated or item.published
    assert moment is not None, "dump stories are always dated"
    return moment.date()


def render_dump_story(item: Story) -> str:
    day = dump_day(item)
    tail = "" if item.image_caption else NBSP
    lines = [item.headline + tail, ""]
    if item.image_caption:
        lines += [item.image_caption, "Short Url"]
    lines += [
        f"Updated {day.day:02d} {MONTHS[day.month - 1]} {day.year}",
        "Follow",
        "",
        item.headline + tail,
        "",
    ]
    lines += [f"  • {bullet}" for bullet in item.summary]
    lines.append("")
    paragraphs = list(item.paragraphs)
    if not item.image_caption and len(paragraphs) > 3:
        paragraphs[3] += NBSP
    lines.append("\n\n".join(paragraphs))
    return "\n".join(lines)


def render_dump(items: Sequence[Story]) -> str:
    return "\n\n\n".join(render_dump_story(item) for item in items)
