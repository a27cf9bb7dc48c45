"""proofs_check: compiled numeric checks, search and certification for the statements in ``theory``.

Stages, one module each: instances -> observables -> checks -> (search) -> certify -> report; the
CLI is ``proofs-check`` (also ``python -m proofs_check``).
"""

import jax

jax.config.update("jax_enable_x64", True)
