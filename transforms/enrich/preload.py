"""Importing this module loads the gazetteers, maps the topic word vectors and readies MinHash once, for
process pools that preload modules.

A `forkserver` that imports `transforms.enrich.preload` hands every worker the loaded lexicon (the city,
first-name and company lists: a second or more to read) and the memory-mapped vectors, whose pages the
workers then share. The word vocabulary and the topic centroids are Polars frames, and are built in each
worker on its first story instead: any Polars operation here would start Polars' thread pool in the
forkserver, and a worker forked from it waits forever on that pool's threads, which fork does not copy.
`transforms.enrich.preload_model` does the same for the English NER model.
"""

from __future__ import annotations

from transforms.enrich.duplicates import minhash_signature
from transforms.enrich.lexicon import lexicon
from transforms.enrich.vectors import vectors

lexicon()
vectors()
minhash_signature("")  # draws the MinHash permutations once, for every worker
