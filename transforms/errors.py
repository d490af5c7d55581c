"""Errors that carry a reject reason, so a bad document becomes an `etl_reject` row, not a crash."""

from __future__ import annotations


class ParseError(ValueError):
    """A document could not be turned into stories.

    `reason` is a short stable code analysts can group by (e.g. "empty", "not_html",
    "xml_attack", "no_article"); `detail` is free text for a human.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
