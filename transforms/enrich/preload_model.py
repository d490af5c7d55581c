"""Importing this module loads the English NER model once (about 90 MB), for process pools that preload
modules: the workers forked after it share one copy. Left out of the preloads when entities come from
the rules alone (`DATELINE_ENTITIES=rules`), so that mode's workers do not carry it."""

from __future__ import annotations

from transforms.enrich.model import english_ner

english_ner()
