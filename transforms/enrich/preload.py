"""Importing this module loads the gazetteers and the topic word vectors once, for process pools that
preload modules.

A `forkserver` that imports `transforms.enrich.preload` hands every worker the loaded lexicon, the word-vector
vocabulary and the topic centroids, instead of each worker reading the city, first-name and company lists and
400,000 words again (a second or more each) on its first story; the vectors themselves are memory-mapped, so
workers share their pages. `transforms.enrich.preload_model` does the same for the English NER model.
"""

from __future__ import annotations

from transforms.enrich.lexicon import lexicon
from transforms.enrich.topics import topic_descriptions
from transforms.enrich.vectors import topic_centroids

lexicon()
topic_centroids(topic_descriptions())
