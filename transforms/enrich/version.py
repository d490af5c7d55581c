"""Which enrichment produced a story's rows, as one string stored per story (`fact_story.enrichment_version`).

A trend that mixes stories enriched by two models or two keyword lists changes for reasons that have nothing
to do with the news. So every story records the detector that found its entities and a digest of everything
else that shapes its entity, topic, quote and date rows: this package's code and its data files (gazetteers,
keyword lists). `dateline reenrich` re-applies enrichment to exactly the stories whose string differs from the
current one. A digest rather than a hand-kept number: a changed list or rule can never be forgotten, at the
price of re-enriching after a change that only touched a docstring.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def _digest() -> str:
    """The first 8 hex digits of SHA-256 over the package's modules and data files, by relative name."""
    digest = hashlib.sha256()
    files = [*_PACKAGE.glob("*.py"), *(_PACKAGE / "data").rglob("*")]
    for path in sorted(p for p in files if p.is_file()):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def enrichment_version(detector_version: str) -> str:
    """The story-level version: the entity detector's own (`MentionDetector.version`) and the package digest,
    e.g. "en_core_web_sm-3.8.0+enrich-1a2b3c4d" or "rules+enrich-1a2b3c4d"."""
    return f"{detector_version}+enrich-{_digest()}"
