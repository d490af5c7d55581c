"""A deterministic synthetic news world, source of both the bundled samples and `dateline demo-site`.

Pure (no I/O, no clock): story i is computed from (seed, i) on demand, so a 100,000-story
site never holds its stories in memory. See `story.py` for how variety is placed.
"""

from demo.corpus.samples import SAMPLE_CONFIG, sample_files
from demo.corpus.site import Document, render_outlet_path
from demo.corpus.story import CorpusConfig, Story, corpus_outlets, dump_story, story, story_url

__all__ = [
    "SAMPLE_CONFIG",
    "CorpusConfig",
    "Document",
    "Story",
    "corpus_outlets",
    "dump_story",
    "render_outlet_path",
    "sample_files",
    "story",
    "story_url",
]
