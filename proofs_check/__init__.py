"""proofs_check: compiled numeric checks, search and certification for the statements in ``theory``.

Stages, one module each: instances -> observables -> checks -> (search) -> certify -> report; the
CLI is ``proofs-check`` (also ``python -m proofs_check``).
"""

from proofs_check import interrupt as _interrupt

if _interrupt.cli_is_starting():  # Ctrl-C while JAX imports: one line and exit 130, no traceback
    _interrupt.install()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
