"""Real English text shipped with Python: the language reference in ``pydoc_data.topics``.

Selection, deterministic by construction:

1. topics in sorted key order; each topic split into paragraphs at blank lines;
2. keep prose paragraphs only: no indented line (code, grammar, nested lists), no
   grammar rule (``::=``), no underline-only heading line, mostly letters;
3. a paragraph longer than the token window is cut into runs of whole sentences,
   greedily packed so each run fits;
4. tokenise; keep texts whose length *including* ``[CLS]`` and ``[SEP]`` lies in
   ``[min_tokens, max_tokens]``; drop exact duplicates (first occurrence wins);
5. ``numpy.random.default_rng(seed).permutation`` picks ``count`` of them, returned
   in corpus order. Same seed, same Python docs -> same selection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

MIN_TOKENS = 32
MAX_TOKENS = 128
_HEADING_UNDERLINE = re.compile(r"^([*=\-~^\"'`#+])\1{2,}$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")


@dataclass(frozen=True)
class TextSample:
    """One selected text: where it came from and what it says."""

    topic: str
    paragraph: int
    text: str


def language_reference_topics() -> dict[str, str]:
    """``pydoc_data.topics.topics``: topic name -> plain-text section of the reference."""
    from pydoc_data.topics import topics

    return dict(topics)


def is_prose(paragraph: str) -> bool:
    """A paragraph of running English: unindented lines, no grammar, no heading, mostly letters."""
    lines = paragraph.splitlines()
    if not lines or any(line[:1].isspace() for line in lines):
        return False
    if "::=" in paragraph or any(_HEADING_UNDERLINE.match(line.strip()) for line in lines):
        return False
    letters = sum(ch.isalpha() for ch in paragraph)
    return letters >= 0.6 * len(paragraph.replace(" ", "").replace("\n", ""))


def prose_paragraphs(topic_text: str) -> Iterator[tuple[int, str]]:
    """``(index, text)`` of the prose paragraphs of one topic, lines joined by spaces."""
    for index, block in enumerate(re.split(r"\n\s*\n", topic_text)):
        block = block.strip("\n")
        if is_prose(block):
            yield index, " ".join(line.strip() for line in block.splitlines())


def pack_sentences(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedily pack consecutive sentences of ``text`` into runs that ``fits`` accepts.

    A single sentence that does not fit on its own is dropped.
    """
    runs: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{current} {sentence}".strip()
        if fits(candidate):
            current = candidate
            continue
        if current:
            runs.append(current)
        current = sentence if fits(sentence) else ""
    if current:
        runs.append(current)
    return runs


def candidate_texts(
    token_count: Callable[[str], int],
    min_tokens: int = MIN_TOKENS,
    max_tokens: int = MAX_TOKENS,
) -> list[TextSample]:
    """All eligible texts of the language reference, in corpus order, without duplicates."""

    def fits(text: str) -> bool:
        return token_count(text) <= max_tokens

    seen: set[str] = set()
    candidates: list[TextSample] = []
    topics = language_reference_topics()
    for topic in sorted(topics):
        for index, paragraph in prose_paragraphs(topics[topic]):
            pieces = [paragraph] if fits(paragraph) else pack_sentences(paragraph, fits)
            for piece in pieces:
                if piece in seen or token_count(piece) < min_tokens:
                    continue
                seen.add(piece)
                candidates.append(TextSample(topic=topic, paragraph=index, text=piece))
    return candidates


def draw_texts(candidates: list[TextSample], count: int, seed: int = 0) -> list[TextSample]:
    """``count`` candidates drawn without replacement by ``default_rng(seed)``, in corpus order."""
    if count > len(candidates):
        raise ValueError(f"asked for {count} texts, the corpus has {len(candidates)}")
    chosen = np.random.default_rng(seed).permutation(len(candidates))[:count]
    return [candidates[i] for i in sorted(chosen.tolist())]


def select_texts(
    token_count: Callable[[str], int],
    count: int,
    seed: int = 0,
    min_tokens: int = MIN_TOKENS,
    max_tokens: int = MAX_TOKENS,
) -> list[TextSample]:
    """``draw_texts(candidate_texts(...), count, seed)``."""
    return draw_texts(candidate_texts(token_count, min_tokens, max_tokens), count, seed)
