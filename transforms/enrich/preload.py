"""Importing this module loads the gazetteers and the English NER model once, for process pools that
preload modules.

A `forkserver` that imports `transforms.enrich.preload` hands every worker the loaded lexicon and
spaCy pipeline, instead of each worker reading the city, first-name and company lists and the model
files again (a second or more each) on its first story.
"""

from __future__ import annotations

from transforms.enrich.lexicon import lexicon
from transforms.enrich.model import english_ner

lexicon()
english_ner()
