"""WordPiece tokenisation with the checkpoint's own ``tokenizer.json``.

The shipped tokenizer pads and truncates to 128 tokens; both are switched off here,
so an encoding is exactly ``[CLS] wordpieces [SEP]`` and its length is the true length.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Encoding:
    """One tokenised sequence: ids, their strings, and the segment ids (all zero here)."""

    ids: np.ndarray
    tokens: tuple[str, ...]
    type_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.tokens)


class WordPieceTokenizer:
    """Thin wrapper around ``tokenizers.Tokenizer`` with padding and truncation off."""

    def __init__(self, tokenizer_path: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    def encode(self, text: str) -> Encoding:
        """``[CLS] + wordpieces(text) + [SEP]``."""
        encoded = self._tokenizer.encode(text)
        return Encoding(
            ids=np.asarray(encoded.ids, dtype=np.int64),
            tokens=tuple(encoded.tokens),
            type_ids=np.asarray(encoded.type_ids, dtype=np.int64),
        )

    def encode_batch(self, texts: list[str]) -> list[Encoding]:
        """``encode`` for many texts (the Rust tokenizer runs them in one call)."""
        return [
            Encoding(
                ids=np.asarray(e.ids, dtype=np.int64),
                tokens=tuple(e.tokens),
                type_ids=np.asarray(e.type_ids, dtype=np.int64),
            )
            for e in self._tokenizer.encode_batch(texts)
        ]
