"""The theory's conditions measured on real pretrained transformers: all-MiniLM-L6-v2 (a BERT
encoder, ``model``/``forward``) and SmolLM2-135M-Instruct (a Llama decoder read from its GGUF,
``decoder_model``/``llama_forward``).

``run_empirical`` and ``render_table`` are imported lazily so that the model,
text and forward-pass modules stay importable on their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proofs_check.empirical.report_table import render_table
    from proofs_check.empirical.runner import run_empirical

__all__ = ["render_table", "run_empirical"]


def __getattr__(name: str) -> Any:
    if name == "run_empirical":
        from proofs_check.empirical.runner import run_empirical

        return run_empirical
    if name == "render_table":
        from proofs_check.empirical.report_table import render_table

        return render_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
