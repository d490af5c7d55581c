"""Importing this module loads the gazetteers once, for process pools that preload modules.

A `forkserver` that imports `transforms.enrich.preload` hands every worker the loaded lexicon, instead of
each worker reading the city, first-name and company lists again (a second or more each) on its first
story. `transforms.enrich.preload_model` does the same for the English NER model.
"""

from __future__ import annotations

from transforms.enrich.lexicon import lexicon

lexicon()
