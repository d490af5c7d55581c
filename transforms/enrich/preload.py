"""Importing this module loads the gazetteers once, for process pools that preload modules.

A `forkserver` that imports `transforms.enrich.preload` hands every worker the loaded lexicon,
instead of each worker reading the city, first-name and company lists again (about a second
or more each) on its first story.
"""

from __future__ import annotations

from transforms.enrich.lexicon import lexicon

lexicon()
