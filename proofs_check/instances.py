r"""Instance families (THEORY.md, "Instance families the checks must cover"), drawn in batches.

Sampling is NumPy (a seeded ``np.random.Generator``, vectorised over the batch): it costs no
compilation, and every batch is then evaluated by jitted, vmapped JAX code. Each sampler draws every
family for the whole batch and picks one per instance by its family index, so one call covers a mix.

Tokens ``X`` (B, n, d): Gaussian, unit (LayerNorm-like), narrow cone (anisotropic), clustered,
nearly collapsed, one massive token, ties (duplicated rows), antipodal pairs, a slightly longer sink
in a cone. Score matrices ``W`` (B, d, d): Gaussian at a random scale, low-rank, PSD, a planted
rank-one sink ``c u v^T``, a scaled identity. Values ``V`` (B, n, dv): Gaussian projections, a
zero-value sink, equal non-sink values, cancelling pairs, a hull nearly through 0.
"""

from __future__ import annotations

import zlib

import numpy as np

from proofs_check import portable

TOKEN_FAMILIES = (
    "gaussian",
    "unit",
    "cone",
    "clustered",
    "collapsed",
    "massive",
    "ties",
    "antipodal",
    "long_sink",
)

WEIGHT_FAMILIES = ("gaussian", "low_rank", "psd", "planted_sink", "identity")

VALUE_FAMILIES = ("gaussian", "zero_sink", "equal_others", "cancelling", "near_zero_hull")


def rng_for(seed: int, statement_id: str, stream: int = 0) -> np.random.Generator:
    """A generator that depends only on (run seed, statement id, stream): reproducible, independent."""
    return np.random.default_rng([seed, zlib.crc32(statement_id.encode()), stream])


def _unit_rows(Z: np.ndarray) -> np.ndarray:
    return Z / np.linalg.norm(Z, axis=-1, keepdims=True)


def _pick(families: np.ndarray, variants: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack(variants)  # (F, B, ...)
    return stacked[families, np.arange(families.shape[0])]


def choose(rng: np.random.Generator, allowed: tuple[int, ...], size: int) -> np.ndarray:
    """Family indices drawn uniformly from ``allowed``."""
    return np.asarray(allowed)[rng.integers(0, len(allowed), size)]


def sample_tokens(
    rng: np.random.Generator, families: np.ndarray, n: int, d: int, s: np.ndarray
) -> np.ndarray:
    """Tokens (B, n, d), family ``families[b]`` for instance ``b``; ``s`` marks the sink."""
    B = families.shape[0]
    G = rng.standard_normal((B, n, d))
    e = _unit_rows(rng.standard_normal((B, 1, d)))
    rows = np.arange(n)[None, :, None]
    sink = rows == s[:, None, None]
    cone_spread = portable.log_uniform(rng, -2.0, -0.3, B)[:, None, None]
    centers = rng.standard_normal((B, 3, d))
    labels = rng.integers(0, 3, (B, n))
    big = portable.log_uniform(rng, 1.0, 2.0, B)[:, None, None]
    which = rng.integers(0, n, B)[:, None, None]
    dup = (rng.random((B, n, 1)) < 0.5) & (rows > 0)
    long_spread = portable.log_uniform(rng, -2.0, -0.7, B)[:, None, None]
    kappa = 1.0 + rng.uniform(0.0, 0.6, B)[:, None, None]
    long_base = _unit_rows(e + long_spread * G)
    variants = [
        G,
        _unit_rows(G),
        _unit_rows(e + cone_spread * G),
        np.take_along_axis(centers, labels[:, :, None], axis=1) + 0.05 * G,
        e + 1e-3 * G,
        np.where(rows == which, big * G, G),
        np.where(dup, np.roll(G, 1, axis=1), G),
        np.where(rows % 2 == 1, -np.roll(G, 1, axis=1), G),
        np.where(sink, kappa * long_base, long_base),
    ]
    return _pick(families, variants)


def sample_score_matrices(
    rng: np.random.Generator, families: np.ndarray, X: np.ndarray, s: np.ndarray
) -> np.ndarray:
    """Score matrices (B, d, d) of the given families, for tokens ``X`` and sinks ``s``."""
    B, n, d = X.shape
    G = rng.standard_normal((B, d, d)) / np.sqrt(d)
    scale = portable.log_uniform(rng, -1.0, 1.5, B)[:, None, None]
    a, b = rng.standard_normal((2, B, d))
    others = (np.arange(n)[None, :] != s[:, None])[:, :, None]
    mean_all = X.mean(axis=1)
    mean_others = np.where(others, X, 0.0).sum(axis=1) / max(n - 1, 1)
    u = mean_all / (np.linalg.norm(mean_all, axis=-1, keepdims=True) + 1e-300)
    v = X[np.arange(B), s] - mean_others
    v = v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-300)
    c = portable.log_uniform(rng, 0.0, 2.5, B)[:, None, None]
    variants = [
        scale * G,
        scale * a[:, :, None] * b[:, None, :] / d,
        scale * G @ np.swapaxes(G, 1, 2),
        c * u[:, :, None] * v[:, None, :],
        c * np.eye(d)[None],
    ]
    return _pick(families, variants)


def sample_values(
    rng: np.random.Generator, families: np.ndarray, X: np.ndarray, s: np.ndarray, dv: int
) -> np.ndarray:
    """Value rows (B, n, dv) of the given families."""
    B, n, d = X.shape
    Wv = rng.standard_normal((B, d, dv)) / np.sqrt(d)
    V = X @ Wv
    rows = np.arange(n)[None, :, None]
    sink = rows == s[:, None, None]
    target = rng.standard_normal((B, 1, dv))
    offset = rng.standard_normal((B, 1, dv))
    variants = [
        V,
        np.where(sink, 0.0, V),
        np.where(sink, V, target),
        np.where(rows % 2 == 1, -np.roll(V, 1, axis=1), V),
        1e-4 * offset + 1e-3 * V,
    ]
    return _pick(families, variants)


def sample_eps(rng: np.random.Generator, size: int) -> np.ndarray:
    """``eps`` in (0, 1/2): log-uniform near 0, uniform in the bulk, and just below 1/2."""
    which = rng.integers(0, 3, size)
    near_zero = portable.log_uniform(rng, -8.0, -1.0, size)
    bulk = rng.uniform(0.01, 0.49, size)
    near_half = 0.5 - portable.log_uniform(rng, -8.0, -2.0, size)
    return np.choose(which, [near_zero, bulk, near_half])
