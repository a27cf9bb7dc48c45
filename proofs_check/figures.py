r"""Figures of the synthetic study (``proofs-check figures --out DIR``): PNG, Agg canvas, deterministic.

* ``depth_mu.png``: ``mu(X_l) / mu(X_0)`` versus depth for dense stacks without residual (T6.c),
  zero-value sink stacks (T6.a) and diagonal stacks (T6.b); median and 10-90 % band.
* ``cost_ratio.png``: ``c_diag / c_sink`` (exact conic optima) versus the width ``d`` and versus the
  cone spread of unit tokens, with T4.e's guaranteed ratio
  ``(n-1) L_1 gamma_u gamma_v / (L_n sigma_max(X~)^2)`` drawn (ratio ``> 1``: the sink is cheaper).
* ``t3_margins.png``: per token family, the T3 row margins as cosines ``cos(z_i, delta_i)``
  (T3.b holds in row ``i`` iff ``>= 0``) for the zero-value sink target and the diagonal target.

Every figure is drawn from fixed seeds (``make_figures(out_dir, seed)``); matplotlib's PNG metadata
(software version) is dropped so identical inputs give identical files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jax
import numpy as np
import sympy as sp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from proofs_check.backend import JAX
from proofs_check.checks.depth import (
    DenseStackSampler,
    DiagonalStackSampler,
    SinkStackSampler,
    dense_stack_observables,
    diagonal_stack_observables,
    sigma_min_float,
    sink_stack_observables,
)
from proofs_check.instances import TOKEN_FAMILIES, rng_for, sample_tokens
from proofs_check.observables.costs import diag_cost, sink_cost
from proofs_check.observables.geometry import halfspace_margin, vertex_margin
from theory import costs as T4

DEPTH_FIGURE = "depth_mu.png"
COST_FIGURE = "cost_ratio.png"
T3_FIGURE = "t3_margins.png"

DEPTH_SHAPE = (16, 8)
DEPTH_LAYERS = 32
DEPTH_STACKS = 24
COST_N, COST_EPS, COST_REPEATS = 8, 0.1, 3
COST_WIDTHS = (2, 4, 8, 16, 32)
COST_SPREAD_WIDTH, COST_SPREAD = 8, 0.3
COST_SPREADS = (0.05, 0.1, 0.2, 0.4, 0.7, 1.0)
T3_SHAPE, T3_INSTANCES = (16, 8), 40


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=110, metadata={"Software": None})
    return path


# ----------------------------------------------------------------------------------------------
# mu versus depth
# ----------------------------------------------------------------------------------------------


def _mu_curves(
    sampler: Any, observables: Any, rng: np.random.Generator, prepare: Any = None
) -> np.ndarray:
    """``mu(X_l) / mu(X_0)`` for ``l = 0..L`` (rows: stacks)."""
    n, d = DEPTH_SHAPE
    batch = {k: np.asarray(v) for k, v in sampler(rng, n, d, DEPTH_STACKS).items()}
    if prepare is not None:
        extra = [prepare({k: v[b] for k, v in batch.items()}) for b in range(DEPTH_STACKS)]
        for name in extra[0]:
            batch[name] = np.stack([e[name] for e in extra])
    out = jax.device_get(jax.jit(jax.vmap(lambda inst: observables(inst, JAX)))(batch))
    mu = np.concatenate([np.asarray(out["mu_prev"])[:, :1], np.asarray(out["mu_next"])], axis=1)
    return mu / mu[:, :1]


def depth_figure(path: Path, seed: int) -> Path:
    """Median and 10-90 % band of ``mu(X_l)/mu(X_0)`` for dense, sink and diagonal stacks."""
    layers = {DEPTH_SHAPE: DEPTH_LAYERS}
    curves = {
        "dense, no residual (T6.c)": _mu_curves(
            DenseStackSampler(layers), dense_stack_observables, rng_for(seed, "figure:depth", 0)
        ),
        "zero-value sink + residual (T6.a)": _mu_curves(
            SinkStackSampler(layers), sink_stack_observables, rng_for(seed, "figure:depth", 1)
        ),
        "diagonal + residual (T6.b)": _mu_curves(
            DiagonalStackSampler(layers),
            diagonal_stack_observables,
            rng_for(seed, "figure:depth", 2),
            prepare=sigma_min_float,
        ),
    }
    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    axes = figure.add_subplot()
    depth = np.arange(DEPTH_LAYERS + 1)
    floor = 1e-300
    for (label, mu), color in zip(
        curves.items(), ("tab:red", "tab:blue", "tab:green"), strict=True
    ):
        mu = np.maximum(mu, floor)
        lo, mid, hi = np.quantile(mu, [0.1, 0.5, 0.9], axis=0)
        axes.plot(depth, mid, color=color, label=label)
        axes.fill_between(depth, lo, hi, color=color, alpha=0.15)
    axes.set_yscale("log")
    axes.set_ylim(1e-24, 1e3)
    axes.set_xlabel("layer l")
    axes.set_ylabel("mu(X_l) / mu(X_0)")
    n, d = DEPTH_SHAPE
    axes.set_title(
        f"oversmoothing with depth (n = {n}, d = {d}, {DEPTH_STACKS} stacks each)", fontsize=9
    )
    axes.legend(fontsize=8, loc="lower left")
    return _save(figure, path)


# ----------------------------------------------------------------------------------------------
# c_diag / c_sink versus width and cone spread
# ----------------------------------------------------------------------------------------------


def cone_tokens(rng: np.random.Generator, n: int, d: int, spread: float) -> tuple[np.ndarray, int]:
    """Unit tokens ``normalize(e + spread g / sqrt(d))`` (total spread fixed, spread over ``d``
    dimensions) and a sink at an extreme point (a vertex)."""
    e = rng.standard_normal(d)
    e /= np.linalg.norm(e)
    X = e + spread * rng.standard_normal((n, d)) / math.sqrt(d)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    s = int(np.argmax(X @ rng.standard_normal(d)))
    return X, s


_RATIO = sp.lambdify(
    [T4.n, T4.eps, T4.gamma_u, T4.gamma_v, T4.sigma_max_sq], T4.RATIO_BOUND, modules="math"
)


def cost_point(X: np.ndarray, s: int, eps: float) -> tuple[float, float] | None:
    """``(c_diag / c_sink, T4.e bound)`` for one token set, or ``None`` if a solve did not converge."""
    sink, diag = sink_cost(X, s, eps), diag_cost(X, eps)
    if not (sink.converged and diag.converged):
        return None
    centred = X - X.mean(axis=0)
    bound = _RATIO(
        X.shape[0],
        eps,
        halfspace_margin(X).distance,
        vertex_margin(X, s).distance,
        float(np.linalg.norm(centred, 2) ** 2),
    )
    return diag.value / sink.value, bound


def _cost_series(rng: np.random.Generator, settings: list[tuple[int, float]]) -> np.ndarray:
    rows = []
    for d, spread in settings:
        for _ in range(COST_REPEATS):
            X, s = cone_tokens(rng, COST_N, d, spread)
            point = cost_point(X, s, COST_EPS)
            rows.append((d, spread, *(point if point else (math.nan, math.nan))))
    return np.asarray(rows, dtype=float)


def cost_figure(path: Path, seed: int) -> Path:
    """Two panels: ``c_diag/c_sink`` versus ``d`` and versus the cone spread, with T4.e's bound."""
    rng = rng_for(seed, "figure:costs", 0)
    by_width = _cost_series(rng, [(d, COST_SPREAD) for d in COST_WIDTHS])
    by_spread = _cost_series(rng, [(COST_SPREAD_WIDTH, r) for r in COST_SPREADS])
    figure = Figure(figsize=(9.0, 3.8), layout="constrained")
    panels = (
        (by_width, 0, "width d", f"cone spread {COST_SPREAD}"),
        (by_spread, 1, "cone spread (norm of the perturbation)", f"d = {COST_SPREAD_WIDTH}"),
    )
    for index, (data, column, xlabel, fixed) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        x = data[:, column]
        axes.scatter(
            x, data[:, 2], s=18, color="tab:purple", label="c_diag / c_sink (conic solver)"
        )
        axes.scatter(x, data[:, 3], s=18, marker="_", color="black", label="its T4.e lower bound")
        keys = sorted(set(x.tolist()))
        bound = [np.nanmedian(data[x == k, 3]) for k in keys]
        axes.plot(keys, bound, color="black", linestyle="--", linewidth=0.8)
        axes.axhline(1.0, color="gray", linewidth=0.8)
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.xaxis.set_major_formatter(ScalarFormatter())
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xticks(keys)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("c_diag / c_sink")
        axes.set_title(
            f"n = {COST_N}, eps = {COST_EPS}, unit tokens in a cone, {fixed}", fontsize=9
        )
        axes.legend(fontsize=7)
    return _save(figure, path)


# ----------------------------------------------------------------------------------------------
# T3 margins per family
# ----------------------------------------------------------------------------------------------


def t3_cosines(rng: np.random.Generator, family: str, target: str) -> np.ndarray:
    """Row cosines ``<z_i, delta_i>/(||z_i|| ||delta_i||)`` of T3 on random heads of one token family."""
    from proofs_check.observables import smoothing as T3

    n, d = T3_SHAPE
    out = []
    fam = np.full(T3_INSTANCES, TOKEN_FAMILIES.index(family))
    s = rng.integers(0, n, T3_INSTANCES)
    X = sample_tokens(rng, fam, n, d, s)
    W = (
        rng.standard_normal((T3_INSTANCES, d, d))
        * (10.0 ** rng.uniform(-1.0, 1.0, T3_INSTANCES))[:, None, None]
    )
    WV = rng.standard_normal((T3_INSTANCES, d, d)) / np.sqrt(d)
    for b in range(T3_INSTANCES):
        S = X[b] @ W[b] @ X[b].T
        A = np.exp(S - S.max(axis=1, keepdims=True))
        A /= A.sum(axis=1, keepdims=True)
        V = X[b] @ WV[b]
        if target == "sink":
            B, V = T3.sink_target(n, int(s[b])), T3.zero_sink_value(V, int(s[b]))
        else:
            B = T3.diagonal_target(n)
        margins = T3.smoothing_condition(X[b], A, B, V).row_margins
        Z = T3.centred_dense_output(T3.NUMPY, X[b], A, V)
        Delta = T3.sparsification_shift(T3.NUMPY, A, B, V)
        scale = np.linalg.norm(Z, axis=1) * np.linalg.norm(Delta, axis=1)
        out.append(np.where(scale > 0, margins / np.where(scale > 0, scale, 1.0), 0.0))
    return np.concatenate(out)


def t3_figure(path: Path, seed: int) -> Path:
    """Violins of the T3 row cosines per token family, for the zero-value sink and the diagonal."""
    figure = Figure(figsize=(10.0, 4.6), layout="constrained")
    targets = (
        ("sink", "B = 1 e_s^T, v_s := 0 (zero-value sink)"),
        ("diagonal", "B = I (diagonal)"),
    )
    for index, (target, title) in enumerate(targets):
        axes = figure.add_subplot(2, 1, index + 1)
        data = [
            t3_cosines(rng_for(seed, f"figure:t3:{target}", k), fam, target)
            for k, fam in enumerate(TOKEN_FAMILIES)
        ]
        axes.violinplot(data, showmedians=True, widths=0.8)
        axes.axhspan(0.0, 1.0, color="tab:green", alpha=0.08)
        axes.axhline(0.0, color="black", linewidth=0.8)
        labels = [
            f"{fam}\n{np.mean(v >= 0):.0%} hold"
            for fam, v in zip(TOKEN_FAMILIES, data, strict=True)
        ]
        axes.set_xticks(range(1, len(TOKEN_FAMILIES) + 1), labels, fontsize=7)
        axes.set_ylabel("cos(z_i, δ_i)")
        axes.set_ylim(-1.05, 1.05)
        axes.set_title(f"T3 row margins (condition holds iff >= 0): {title}", fontsize=9)
    return _save(figure, path)


# ----------------------------------------------------------------------------------------------


def make_figures(out_dir: Path, seed: int = 0) -> list[Path]:
    """Draw every figure into ``out_dir`` (created if needed); return the written paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        depth_figure(out_dir / DEPTH_FIGURE, seed),
        cost_figure(out_dir / COST_FIGURE, seed),
        t3_figure(out_dir / T3_FIGURE, seed),
    ]
