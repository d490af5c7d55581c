"""Which parts of a story the NER model reads: the words around capitalised words, not the whole text.

Why: the model is most of enrichment's CPU, and its cost grows with the tokens it reads, while in English
news every name it can find is capitalised. Long runs of lower-case prose ("said on Tuesday that the
talks would resume after the holiday") hold no entity; the model needs only a few words of context either
side of a name to type it, because its network sees a few tokens either side of each token, and nothing
beyond. So the model reads windows of `context_words` words around each capitalised word, the windows
joined into one text per story, and its entities are mapped back to the story's own offsets.

A capitalised word does not open a window when it is a common word (the lexicon's list of words capitalised
only at a sentence start: "The", "But", "He"; not "US" in capitals), nor when it opens a sentence and the
story also writes it in lower case ("Police said...", "Shares rose..."): such a word is capitalised by
position, not because it names something. It is still read when it lies in another name's window.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from transforms.keys import fold

CONTEXT_WORDS = 3
# Between two windows in the text the model reads: a paragraph break, which the model already meets
# between a story's paragraphs, so a window's edge reads like the end of a paragraph.
SEPARATOR = "\n\n"
_WORD = re.compile(r"\S+")
_EDGE_PUNCTUATION = "\"'“”‘’()[]{}«»,.;:!?-–—…*"
_SENTENCE_ENDS = frozenset(".!?:;…")


@dataclass(frozen=True, slots=True)
class Reading:
    """The text the model reads, and where each of its pieces starts in it and in the story."""

    text: str
    starts: tuple[int, ...]  # offset of each piece in `text`
    origins: tuple[int, ...]  # offset of the same piece in the story
    lengths: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int] | None:
        """The story offsets of `text[start:end]`, or None when it runs across two pieces (the model
        read two windows as one name: they are not adjacent in the story)."""
        piece = bisect.bisect_right(self.starts, start) - 1
        offset = start - self.starts[piece]
        if offset + (end - start) > self.lengths[piece]:
            return None
        origin = self.origins[piece] + offset
        return origin, origin + (end - start)


def windows(text: str, context_words: int | None, common: frozenset[str]) -> list[tuple[int, int]]:
    """The (start, end) spans of `text` to read: `context_words` words either side of each capitalised word
    that can start a name, overlapping or adjacent windows merged; the whole text when `context_words` is
    None. `common` holds folded words that are capitalised only by position (see the module docstring)."""
    if context_words is None:
        return [(0, len(text))] if text else []
    words = list(_WORD.finditer(text))
    cores = [_core(w.group()) for w in words]
    lower = {core for core in cores if core.islower()}
    spans: list[tuple[int, int]] = []
    for index, core in enumerate(cores):
        if not _opens_window(core, _sentence_start(words, index), common, lower):
            continue
        first, last = max(0, index - context_words), min(len(words) - 1, index + context_words)
        if spans and first <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    return [(words[first].start(), words[last].end()) for first, last in spans]


def reading(text: str, spans: list[tuple[int, int]]) -> Reading:
    """The spans of `text` joined by `SEPARATOR` into the one text the model reads."""
    starts, at = [], 0
    for start, end in spans:
        starts.append(at)
        at += end - start + len(SEPARATOR)
    return Reading(
        text=SEPARATOR.join(text[start:end] for start, end in spans),
        starts=tuple(starts),
        origins=tuple(start for start, _ in spans),
        lengths=tuple(end - start for start, end in spans),
    )


def _core(word: str) -> str:
    """The word without the quotes, brackets and punctuation around it ("(Reuters)," -> "Reuters")."""
    return word.strip(_EDGE_PUNCTUATION)


def _sentence_start(words: list[re.Match[str]], index: int) -> bool:
    """Whether the word opens the text, a line or a sentence."""
    if index == 0:
        return True
    previous = words[index - 1]
    between = previous.string[previous.end() : words[index].start()]
    return "\n" in between or previous.group().rstrip("\"'”’)]")[-1:] in _SENTENCE_ENDS


def _opens_window(core: str, sentence_start: bool, common: frozenset[str], lower: set[str]) -> bool:
    """A capitalised word that may be (part of) a name: not a common word, and not a sentence's first word
    that the story also writes in lower case."""
    if not any(c.isupper() for c in core):
        return False
    # an acronym spelled like a common word is still a name ("US" is not "us", "WHO" not "who")
    if fold(core) in common and not _acronym(core):
        return False
    return not (sentence_start and core.lower() in lower)


def _acronym(core: str) -> bool:
    """Two or more capitals and no lower-case letter ("US", "IT"); "I" is the pronoun."""
    return len(core) > 1 and core.isupper()
