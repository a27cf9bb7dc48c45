"""SmolLM2's byte-level BPE tokenizer, rebuilt from the vocabulary and merges inside the GGUF.

The GGUF stores ``tokenizer.ggml.tokens`` (49,152 strings, GPT-2 byte-to-unicode alphabet),
``tokenizer.ggml.merges`` (48,900 ranked pairs) and ``tokenizer.ggml.pre = "smollm"``: llama.cpp's
pre-tokenizer for it first isolates every digit (``\\p{N}``), then applies GPT-2's regex. That is
the ``tokenizers`` pipeline ``Digits(individual_digits=True)`` then ``ByteLevel(add_prefix_space=
False)`` that the Hugging Face ``tokenizer.json`` of SmolLM2 declares. Control tokens (type 3:
``<|endoftext|>``, ``<|im_start|>``, ...) are registered as special tokens so they are never split.

``tokenizer.ggml.add_bos_token`` is false: an encoding is exactly the text's tokens, and the first
of them (position 0, usually the first word, e.g. ``The``) is where the causal decoder's sink sits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from proofs_check.empirical.tokenization import Encoding

CONTROL_TOKEN_TYPE = 3


def _contents(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        raise ValueError(f"the GGUF file has no tokenizer field {key!r}")
    return field.contents()


class ByteLevelBpeTokenizer:
    """``tokenizers.Tokenizer`` (BPE, byte level, digits split) built from GGUF metadata."""

    def __init__(self, reader: Any) -> None:
        from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

        if _contents(reader, "tokenizer.ggml.model") != "gpt2":
            raise ValueError("only GPT-2-style byte-level BPE vocabularies are implemented")
        pre = _contents(reader, "tokenizer.ggml.pre")
        if pre != "smollm":
            raise ValueError(f"pre-tokenizer {pre!r} is not implemented (expected 'smollm')")
        tokens = list(_contents(reader, "tokenizer.ggml.tokens"))
        types = list(_contents(reader, "tokenizer.ggml.token_type"))
        merges = [tuple(m.split(" ", 1)) for m in _contents(reader, "tokenizer.ggml.merges")]
        self.add_bos = bool(_contents(reader, "tokenizer.ggml.add_bos_token"))
        vocab = {token: index for index, token in enumerate(tokens)}
        tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
            ]
        )
        tokenizer.decoder = decoders.ByteLevel()
        tokenizer.add_special_tokens(
            [
                AddedToken(token, special=True, normalized=False)
                for token, kind in zip(tokens, types, strict=True)
                if kind == CONTROL_TOKEN_TYPE
            ]
        )
        self._tokenizer = tokenizer

    def _encoding(self, encoded: Any) -> Encoding:
        ids = np.asarray(encoded.ids, dtype=np.int64)
        return Encoding(ids=ids, tokens=tuple(encoded.tokens), type_ids=np.zeros_like(ids))

    def encode(self, text: str) -> Encoding:
        """The text's tokens, nothing added (no BOS, no EOS)."""
        return self._encoding(self._tokenizer.encode(text, add_special_tokens=False))

    def encode_batch(self, texts: list[str]) -> list[Encoding]:
        """``encode`` for many texts in one call."""
        return [
            self._encoding(e) for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)
        ]

    def decode(self, ids: np.ndarray) -> str:
        return self._tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)
