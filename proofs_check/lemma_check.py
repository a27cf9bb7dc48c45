r"""Every lemma of the trusted base (:mod:`theory.lemmas`) evaluated on random instances.

A *world* draws one random instance of a setting (a softmax row, the rank-one construction of T1.d,
a PSD score matrix, a head's values, a smoothing instance, a cost program, a diagonal head, a layer)
and computes every observable the setting's lemmas mention, in float64 NumPy. ``adversarial=True``
draws near-equality instances (equal competitors, equal non-sink values, eps near 1/2, tokens
nearly collapsed, ...), where a wrong lemma would fail first. Schemata draw their variables at
random inside their side conditions. A lemma holds on a draw when its relation holds up to a
relative ``TOL`` (float64 rounding); a side condition that fails skips the draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from proofs_check.checks.relations import lambdify_modules
from theory.kernel import EQ, orient
from theory.lemmas import LEMMAS, Lemma

TOL = 1e-9
COST_DRAWS = 3
World = dict[str, float]


def _softmax(S: np.ndarray) -> np.ndarray:
    E = np.exp(S - S.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def _tokens(rng: np.random.Generator, n: int, d: int, adversarial: bool) -> np.ndarray:
    X = rng.normal(size=(n, d))
    if adversarial:
        X = X[:1] + 1e-3 * X  # nearly collapsed
    return X


def _shape(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(2, 7)), int(rng.integers(1, 5))


def softmax_world(rng: np.random.Generator, adversarial: bool) -> World:
    n, d = _shape(rng)
    X = _tokens(rng, n, d, adversarial)
    W = rng.normal(size=(d, d)) * (0.01 if adversarial else 1.0)
    s, i = int(rng.integers(n)), int(rng.integers(n))
    S = X @ W @ X.T
    A = _softmax(S)
    comp = np.arange(n) != s
    terms = np.exp(S[i, comp] - S[i, s])
    rest = float(A[i, comp].sum())
    eps = 0.5 - 1e-9 if adversarial else float(rng.uniform(0.01, 0.99))
    return {
        "n": n,
        "eps": eps,
        "rival_sum": float(terms.sum()),
        "rival_max": float(terms.max()),
        "margin": float(np.min(S[i, s] - S[i, comp])),
        "log_odds": float(np.log(A[i, s]) - np.log(rest)),
        "rest": rest,
        "eta": float(rng.uniform(1e-6, 1.0)),
    }


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x)


def construction_world(rng: np.random.Generator, adversarial: bool) -> World:
    from proofs_check.observables.geometry import hull_distance, vertex_points

    n, d = _shape(rng)
    d = max(d, 2)
    base = _unit(rng.normal(size=d))
    X = base + (0.05 if adversarial else 0.3) * rng.normal(size=(n, d))
    s = int(np.argmax(np.linalg.norm(X, axis=1)))
    X[s] *= 2.0
    hu, hv = hull_distance(X), hull_distance(vertex_points(X, s))
    if hu.distance <= 1e-6 or hv.distance <= 1e-6:
        return {}
    u, v = hu.direction, hv.direction
    gu = float(np.min(X @ u))
    gv = float(np.min((X[s] - np.delete(X, s, axis=0)) @ v))
    eps = 0.5 - 1e-9 if adversarial else float(rng.uniform(1e-4, 0.49))
    c = math.log((n - 1) * (1 - eps) / eps) / (gu * gv)
    Wc = c * np.outer(u, v)
    i = int(rng.integers(n))
    S = X @ Wc @ X.T
    comp = np.arange(n) != s
    return {
        "n": n,
        "eps": eps,
        "gamma_u": gu,
        "gamma_v": gv,
        "c_scale": c,
        "ux_row": float(X[i] @ u),
        "vd_min": float(np.min((X[s] - X[comp]) @ v)),
        "margin": float(np.min(S[i, s] - S[i, comp])),
        "fro_norm": float(np.linalg.norm(Wc)),
        "rest_sink_construction": float(_softmax(S[i])[comp].sum()),
    }


def psd_world(rng: np.random.Generator, adversarial: bool) -> World:
    n, d = _shape(rng)
    X = _tokens(rng, n, d, adversarial)
    M = rng.normal(size=(d, d))
    W = M @ M.T * (10.0 if not adversarial else 0.1)
    s = int(np.argmax(np.linalg.norm(X, axis=1)))
    others = [j for j in range(n) if j != s]
    if not others:
        return {}
    j = int(rng.choice(others))
    A = _softmax(X @ W @ X.T)
    return {
        "competitor": 1.0,
        "attn_ss": float(A[s, s]),
        "attn_sj": float(A[s, j]),
        "attn_js": float(A[j, s]),
        "attn_jj": float(A[j, j]),
        "ip_js": float(X[j] @ W @ X[s]),
        "nj2": float(X[j] @ W @ X[j]),
        "ns2": float(X[s] @ W @ X[s]),
        "rest_max": float(np.max(1 - A[:, s])),
    }


def values_world(rng: np.random.Generator, adversarial: bool) -> World:
    from proofs_check.observables.geometry import hull_distance

    n, d = _shape(rng)
    n = max(n, 3)
    scores = rng.normal(size=n) * (0.01 if adversarial else 2.0)
    A = _softmax(scores)
    V = rng.normal(size=(n, d))
    s = int(rng.integers(n))
    if adversarial:
        V[np.arange(n) != s] = V[(s + 1) % n]  # all non-sink values equal: both bounds tight
    comp = np.arange(n) != s
    zero_sink = rng.random() < 0.5
    if zero_sink:
        V[s] = 0.0
    rest = float(A[comp].sum())
    y = A @ V
    c = (A[comp] @ V[comp]) / rest
    Z = np.linalg.norm(V, axis=1) == 0
    nz = ~Z
    restZ = float(A[nz].sum())
    cZ = (A[nz] @ V[nz]) / restZ
    j = int(np.flatnonzero(comp)[0])
    return {
        "rest": rest,
        "resid_norm": float(np.linalg.norm(y - A[s] * V[s])),
        "out_norm": float(np.linalg.norm(y)),
        "c_norm": float(np.linalg.norm(c)),
        "delta": hull_distance(V[comp]).distance,
        "R": float(np.max(np.linalg.norm(V[comp], axis=1))),
        "sink_value_norm": float(np.linalg.norm(V[s])),
        "rest_zero": restZ,
        "cz_norm": float(np.linalg.norm(cZ)),
        "delta_zero": hull_distance(V[nz]).distance,
        "R_zero": float(np.max(np.linalg.norm(V[nz], axis=1))),
        "attn_weight": float(A[j]),
        "conv_weight": float(A[j] / rest),
        "conv_weight_sum": float(np.sum(A[comp] / rest)),
        "off_mass": float(A[comp].sum()),
    }


def smoothing_world(rng: np.random.Generator, adversarial: bool) -> World:
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    A = _softmax(rng.normal(size=(n, n)))
    B = np.eye(n) if rng.random() < 0.5 else np.tile(np.eye(n)[0], (n, 1))
    if adversarial and rng.random() < 0.5:
        B = A.copy()  # Delta = 0: every margin is 0, the boundary of T3.b's condition
    V = rng.normal(size=(n, d))
    P = np.eye(n) - np.ones((n, n)) / n

    def f(alpha: np.ndarray) -> float:
        D = np.diag(alpha)
        return float(np.sum((P @ (X + ((np.eye(n) - D) @ A + D @ B) @ V)) ** 2))

    Z = P @ (X + A @ V)
    Delta = (B - A) @ V
    m = np.sum(Z * Delta, axis=1)
    if adversarial:  # push every margin to >= 0 or pick the row of the least margin exactly
        alpha = np.zeros(n)
        alpha[int(np.argmin(m))] = rng.uniform(0, 1)
    else:
        alpha = rng.uniform(0, 1, n)
    lin = alpha * m
    i = int(np.argmin(m))
    q_i = float(np.sum((P[:, [i]] * Delta[i][None, :]) ** 2))
    t_star = min(1.0, -m[i] / q_i) if m[i] < 0 and q_i > 0 else 0.0
    e_i = np.zeros(n)
    e_i[i] = t_star
    U = float(np.sum(Z * Delta))
    Q = float(np.sum((P @ Delta) ** 2))
    t = float(rng.uniform(0, 1))
    tu_star = min(1.0, -U / Q) if U < 0 and Q > 0 else 0.0
    return {
        "f_alpha": f(alpha),
        "f_zero": f(np.zeros(n)),
        "lin_pos": float(np.sum(np.maximum(lin, 0))),
        "lin_neg": float(np.sum(np.maximum(-lin, 0))),
        "quad_term": float(np.sum((P @ np.diag(alpha) @ Delta) ** 2)),
        "margin_min": float(m[i]),
        "t_star": t_star,
        "q_edge": q_i,
        "f_witness": f(e_i),
        "uniform_margin": U,
        "q_unif": Q,
        "t_unif": t,
        "t_unif_star": tu_star,
        "f_unif": f(np.full(n, t)),
        "f_unif_witness": f(np.full(n, tu_star)),
    }


def _uniform_world(rng: np.random.Generator, adversarial: bool) -> World:
    w = smoothing_world(rng, adversarial)
    return {**w, "f_alpha": w["f_unif"], "f_witness": w["f_unif_witness"]}


def endpoint_world(rng: np.random.Generator, adversarial: bool) -> World:
    """T3.e: the endpoint ``alpha = 1`` for a sink target (any sink value), ``B = I`` or a random ``B``."""
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    A = _softmax(rng.normal(size=(n, n)) * (0.01 if adversarial else 2.0))
    V = rng.normal(size=(n, d))
    kind = int(rng.integers(3))  # 0: sink 1 e_s^T, 1: B = I, 2: a random row-stochastic B
    s = int(rng.integers(n))
    B = (np.tile(np.eye(n)[s], (n, 1)), np.eye(n), _softmax(rng.normal(size=(n, n))))[kind]
    P = np.eye(n) - np.ones((n, n)) / n
    fro2 = lambda M: float(np.sum(M**2))  # noqa: E731
    Z = P @ (X + A @ V)
    Delta = (B - A) @ V
    AV = A @ V
    return {
        "f_one": fro2(P @ (X + B @ V)),
        "f_zero": fro2(Z),
        "endpoint_margin": 2 * float(np.sum(Z * Delta)) + fro2(P @ Delta),
        "mu_sq_x": fro2(P @ X),
        "sink_target": 1.0 if kind == 0 else 0.0,
        "sink_update_change": 2 * float(np.sum((P @ X) * AV)) + fro2(P @ AV),
        "diagonal_endpoint": 2 * float(np.sum(Z * (V - AV))) + fro2(P @ (V - AV)),
        "target_kind": float(kind),
    }


def scale_free_world(rng: np.random.Generator, adversarial: bool) -> World:
    """T3.f: two outputs ``X + AV``, ``X + BV``; the "dense" one is either (the lemmas are about any
    output ``Y``). Adversarial: ``m_A = -x_bar``, so the mean row of ``X + AV`` vanishes."""
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    A = _softmax(rng.normal(size=(n, n)))
    B = np.tile(np.eye(n)[0], (n, 1)) if rng.random() < 0.5 else np.eye(n)
    V = rng.normal(size=(n, d))
    if adversarial:
        a = A.mean(axis=0)  # the mean row of AV is a V: shift V so that it is -x_bar
        V = V - np.outer(a, X.mean(axis=0) + a @ V) / float(a @ a)
    Y1, Y2 = X + A @ V, X + B @ V
    if rng.random() < 0.5:
        Y1, Y2 = Y2, Y1
    P = np.eye(n) - np.ones((n, n)) / n

    def parts(Y: np.ndarray) -> tuple[float, float, float, float]:
        mu, F = float(np.linalg.norm(P @ Y)), float(np.sum(Y**2))
        return mu**2 / F, F, mu, float(np.linalg.norm(Y.mean(axis=0)))

    (nd, Fd, md, bd), (ns, Fs, ms, bs) = parts(Y1), parts(Y2)
    return {
        "n": n,
        "nu_dense": nd,
        "norm_sq_dense": Fd,
        "mu_dense": md,
        "mean_dense": bd,
        "nu_sparse": ns,
        "norm_sq_sparse": Fs,
        "mu_sparse": ms,
        "mean_sparse": bs,
        "nu_lhs": md * bs,
        "nu_rhs": ms * bd,
    }


def angle_world(rng: np.random.Generator, adversarial: bool) -> World:
    """T3.g: two tokens of one norm ``r`` and a common update ``c`` (adversarial: nearly equal
    tokens and a tiny ``c``)."""
    d = int(rng.integers(2, 6))
    r = float(rng.uniform(0.1, 5.0))
    xi = r * _unit(rng.normal(size=d))
    xj = r * _unit(xi + 1e-4 * rng.normal(size=d)) if adversarial else r * _unit(rng.normal(size=d))
    c = rng.normal(size=d) * (1e-3 if adversarial else 1.0)
    cos = lambda a, b: float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))  # noqa: E731
    return {
        "cos_before": cos(xi, xj),
        "cos_after": cos(xi + c, xj + c),
        "dual_i": float(c @ xi),
        "dual_j": float(c @ xj),
        "token_norm_sq": float(xi @ xi),
        "update_norm_sq": float(c @ c),
    }


def cost_world(rng: np.random.Generator, adversarial: bool) -> World:
    from proofs_check.observables.costs import diag_cost, sink_cost
    from proofs_check.observables.geometry import hull_distance, vertex_points

    n, d = 3, 2
    base = _unit(rng.normal(size=d))
    X = base + 0.3 * rng.normal(size=(n, d))
    s = int(np.argmax(np.linalg.norm(X, axis=1)))
    X[s] *= 2.0
    eps = 0.49 if adversarial else float(rng.uniform(0.01, 0.45))
    Ln = math.log((n - 1) * (1 - eps) / eps)
    out: World = {"n": n, "d": d, "eps": eps}
    hu, hv = hull_distance(X), hull_distance(vertex_points(X, s))
    cs = sink_cost(X, s, eps) if hu.distance > 1e-6 and hv.distance > 1e-6 else None
    if cs is not None and cs.converged and cs.W is not None:
        Ws = cs.W
        pairs = [(i, j) for i in range(n) for j in range(n) if j != s]
        p = [np.linalg.norm(X[i]) * np.linalg.norm(X[s] - X[j]) for i, j in pairs]
        i, j = pairs[int(np.argmin(p))]
        out.update(
            c_sink=cs.value,
            c_scale=Ln / (hu.distance * hv.distance),
            sink_pair_min=float(min(p)),
            opt_margin=float(X[i] @ Ws @ (X[s] - X[j])),
        )
    Xd = np.eye(3) + (0.3 if adversarial else 0.15) * rng.normal(size=(3, 3))  # spread tokens
    out["d"] = 3
    G = Xd @ Xd.T
    gaps = np.array([[G[i, i] - G[i, j] for j in range(n) if j != i] for i in range(n)])
    g = float(gaps.min())
    cd = diag_cost(Xd, eps)
    if cd.converged and cd.W is not None:
        Wd = cd.W
        Xc = Xd - Xd.mean(axis=0)
        dists = [(np.sum((Xd[i] - Xd[j]) ** 2), i, j) for i in range(n) for j in range(i + 1, n)]
        q, i, j = min(dists)
        out.update(
            c_diag=cd.value,
            sigma_max_sq=float(np.linalg.norm(Xc, 2) ** 2),
            opt_pairing=float(np.sum(Wd * (Xc.T @ Xc))),
            pair_dist_min_sq=float(q),
            opt_pair_quad=float((Xd[i] - Xd[j]) @ Wd @ (Xd[i] - Xd[j])),
        )
    if "c_scale" in out:
        u, v = hu.direction, hv.direction
        Wc = out["c_scale"] * np.outer(u, v)
        A = np.exp(X @ Wc @ X.T - (X @ Wc @ X.T).max(axis=1, keepdims=True))
        A /= A.sum(axis=1, keepdims=True)
        out["rest_sink_construction"] = float(np.max(1 - A[:, s]))
    row = int(rng.integers(n))
    S = (Ln / g) * G if g > 0 else G
    out.update(
        g=g,
        gap_row=float(gaps[row].min()),
        id_margin=float(min(S[row, row] - S[row, j] for j in range(n) if j != row)),
    )
    # the tolerances of c_sink, c_diag (solver optima) are the solver's: relative 1e-6
    return out


def diagonal_world(rng: np.random.Generator, adversarial: bool) -> World:
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    W = rng.normal(size=(d, d)) * 3
    WV = rng.normal(size=(d, d))
    A = _softmax(X @ W @ X.T)
    V = X @ WV
    Y = A @ V
    i = int(rng.integers(n))
    j = int((i + 1 + rng.integers(n - 1)) % n)
    # the Jacobian by the closed form (T5.b), its spectral norm
    J = A[i, j] * (WV.T + np.outer(V[j] - Y[i], W.T @ X[i]))
    others = np.arange(n) != i
    return {
        "out_dev": float(np.linalg.norm(Y[i] - V[i])),
        "rest_row": float(1 - A[i, i]),
        "rest_max": float(np.max(1 - np.diag(A))),
        "spread": float(np.max(np.linalg.norm(V[others] - V[i], axis=1))),
        "R": float(np.max(np.linalg.norm(V, axis=1))),
        "eps": float(np.max(1 - np.diag(A))),
        "jac_norm": float(np.linalg.norm(J, 2)),
        "attn": float(A[i, j]),
        "wv_norm": float(np.linalg.norm(WV, 2)),
        "value_gap": float(np.linalg.norm(V[j] - Y[i])),
        "query_gain": float(np.linalg.norm(W.T @ X[i])),
        "competitor": 1.0,
    }


def layer_world(rng: np.random.Generator, adversarial: bool) -> World:
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    P = np.eye(n) - np.ones((n, n)) / n
    s = 0
    S = rng.normal(size=(n, n))
    S[:, s] += 6.0 if not adversarial else 1.0
    A = _softmax(S)
    V = rng.normal(size=(n, d))
    V[s] = 0.0
    Y = A @ V
    eps_l = float(np.max(1 - A[:, s]))
    R_l = float(np.max(np.linalg.norm(V, axis=1)))
    Xn = X + Y
    # no residual (T6.c)
    An = _softmax(rng.normal(size=(n, n)))
    diam = lambda Z: float(max(np.linalg.norm(a - b) for a in Z for b in Z))  # noqa: E731
    pos = np.array([[np.sum(np.maximum(An[a] - An[b], 0)) for b in range(n)] for a in range(n)])
    return {
        "n": n,
        "mu_prev": float(np.linalg.norm(P @ X)),
        "mu_next": float(np.linalg.norm(P @ Xn)),
        "update_centered": float(np.linalg.norm(P @ Y)),
        "update_fro": float(np.linalg.norm(Y)),
        "eps_l": eps_l,
        "R_l": R_l,
        "diam_prev": diam(X),
        "diam_next": diam(An @ X),
        "mass_diff": float(pos.max()),
        "dobrushin": float(
            1 - min(np.sum(np.minimum(An[a], An[b])) for a in range(n) for b in range(n))
        ),
        "one_minus_tau": float(1 - n * An.min()),
    }


def _diag_layer_world(rng: np.random.Generator, adversarial: bool) -> World:
    """T6.b's layer: mu_next of X + A X W_V with A nearly diagonal, eps_l, R_l of that layer."""
    n, d = _shape(rng)
    n = max(n, 2)
    X = _tokens(rng, n, d, adversarial)
    P = np.eye(n) - np.ones((n, n)) / n
    WV = rng.normal(size=(d, d)) * 0.5
    A = _softmax(rng.normal(size=(n, n)) + (8 if not adversarial else 1) * np.eye(n))
    V = X @ WV
    E = (A - np.eye(n)) @ V
    M = np.eye(d) + WV
    return {
        "n": n,
        "mu_prev": float(np.linalg.norm(P @ X)),
        "mu_next": float(np.linalg.norm(P @ (X + A @ V))),
        "eps_l": float(np.max(1 - np.diag(A))),
        "R_l": float(np.max(np.linalg.norm(V, axis=1))),
        "sigma_min_v": float(np.linalg.svd(M, compute_uv=False).min()),
        "xm_norm": float(np.linalg.norm(P @ X @ M)),
        "err_centered": float(np.linalg.norm(P @ E)),
        "err_fro": float(np.linalg.norm(E)),
    }


def farkas_world(rng: np.random.Generator, adversarial: bool) -> World:
    """Points with ``sum_k lambda_k p_k = 0`` (shifted so), a random bilinear margin ``l``."""
    k, d = int(rng.integers(2, 7)), int(rng.integers(1, 4))
    P = rng.normal(size=(k, d))
    lam = rng.dirichlet(np.ones(k))
    if adversarial:
        lam = np.where(np.arange(k) == 0, 1 - 1e-9 * (k - 1), 1e-9)
    P = P - lam @ P  # now sum_k lambda_k p_k = 0 (up to rounding)
    q, W = rng.normal(size=d), rng.normal(size=(d, d))
    margins = P @ W @ q  # l(p) = p^T W q: linear in p
    residual = float(np.linalg.norm(lam @ P))
    return {
        "farkas_pairing": float(lam @ margins) / max(1.0, float(np.abs(margins).max())),
        "hull_residual": 0.0 if residual < 1e-12 else residual,  # 0 up to the shift's rounding
    }


WORLDS: dict[str, Callable[[np.random.Generator, bool], World]] = {
    "farkas": farkas_world,
    "softmax": softmax_world,
    "construction": construction_world,
    "psd": psd_world,
    "values": values_world,
    "smoothing": smoothing_world,
    "uniform": _uniform_world,
    "endpoint": endpoint_world,
    "scale_free": scale_free_world,
    "angle": angle_world,
    "costs": cost_world,
    "diagonal": diagonal_world,
    "layer": layer_world,
    "diagonal_layer": _diag_layer_world,
}

_BY_PREFIX = (
    ("rank_one_", "construction"),
    ("construction_", "construction"),
    ("halfspace_", "construction"),
    ("vertex_", "construction"),
    ("psd_", "psd"),
    ("softmax_ratio", "psd"),
    ("sink_weight", "psd"),
    ("sink_own", "psd"),
    ("competitor_", "psd"),
    ("softmax_weight_positive", "psd"),
    ("uniform_", "uniform"),
    ("sink_cost", "costs"),
    ("optimal_", "costs"),
    ("margin_at_most", "costs"),
    ("pair_sum", "costs"),
    ("holder", "costs"),
    ("closest_pair", "costs"),
    ("scaled_identity", "costs"),
    ("gap_at", "costs"),
    ("diag_cost", "costs"),
    ("diagonal_layer", "diagonal_layer"),
    ("least_singular", "diagonal_layer"),
    ("centering_contracts_error", "diagonal_layer"),
)
_EXACT = {
    "sparsification_identity": "smoothing",
    "linear_part_nonnegative": "smoothing",
    "negative_part_vanishes": "smoothing",
    "quadratic_part_nonnegative": "smoothing",
    "edge_witness_value": "smoothing",
    "edge_step_positive": "smoothing",
    "edge_step_below_root": "smoothing",
    "diagonal_deviation_triangle": "diagonal",
    "row_rest_at_most_max": "diagonal",
    "spread_nonnegative": "diagonal",
    "spread_at_most_two_radius": "diagonal",
    "jacobian_triangle": "diagonal",
    "cross_weight_at_most_rest": "diagonal",
    "attn_nonnegative": "diagonal",
    "wv_norm_nonnegative": "diagonal",
    "value_gap_nonnegative": "diagonal",
    "query_gain_nonnegative": "diagonal",
    "mu_reverse_triangle": "layer",
    "centering_contracts_update": "layer",
    "sink_layer_update_rows": "layer",
    "dobrushin_pair_bound": "layer",
    "dobrushin_mass_bound": "layer",
    "dobrushin_is_pair_mass": "layer",
    "endpoint_identity": "endpoint",
    "sink_target_leaves_mu": "endpoint",
    "dense_update_expansion": "endpoint",
    "diagonal_endpoint_margin": "endpoint",
    "nu_definition": "scale_free",
    "frobenius_pythagoras": "scale_free",
    "mu_nonnegative": "scale_free",
    "mean_norm_nonnegative": "scale_free",
    "nu_lhs_definition": "scale_free",
    "nu_rhs_definition": "scale_free",
    "cosine_after_common_update": "angle",
    "token_norm_sq_positive": "angle",
    "update_norm_sq_nonnegative": "angle",
    "cosine_at_most_one": "angle",
    "contraction_factor_nonnegative": "layer",
    "diameter_nonnegative": "layer",
    "output_target_positive": "softmax",
    "farkas_convex_combination": "farkas",
}
_VALUES = (
    "residual_",
    "hull_",
    "rest_nonnegative",
    "zero_",
    "radius_",
    "output_is",
    "rest_zero",
    "softmax_normalisation",
)


def world_of(lemma: Lemma) -> str | None:
    """The world a lemma is tested in (``None`` for a schema: its variables are drawn directly)."""
    if lemma.variables:
        return None
    if lemma.id in _EXACT:
        return _EXACT[lemma.id]
    for prefix, world in _BY_PREFIX:
        if lemma.id.startswith(prefix):
            return world
    if lemma.id.startswith(_VALUES):
        return "values"
    return "softmax"


def _schema_values(lemma: Lemma, rng: np.random.Generator, adversarial: bool) -> World:
    """Positive draws (tiny ones when adversarial) for ``a``, ``b``; any real for ``x``."""
    scale = 1e-6 if adversarial else 3.0
    return {
        v: float(rng.normal() * 30) if v == "x" else float(rng.uniform(1e-12, scale))
        for v in lemma.variables
    }


def _holds(rel: sp.Basic, env: World, tol: float) -> bool | None:
    lhs, op, rhs = orient(rel)
    names = sorted({s.name for s in rel.free_symbols})
    if any(nm not in env for nm in names):
        return None
    syms = [sp.Symbol(nm) for nm in names]
    relabel = {s: sp.Symbol(s.name) for s in rel.free_symbols}
    f = sp.lambdify(
        syms, [lhs.xreplace(relabel), rhs.xreplace(relabel)], modules=lambdify_modules("numpy")
    )
    try:
        a, b = (float(x) for x in f(*[env[nm] for nm in names]))
    except (ZeroDivisionError, OverflowError, ValueError):
        return None  # outside the observables' domain on this draw
    if not (math.isfinite(a) and math.isfinite(b)):
        return None
    scale = max(abs(a) + abs(b), max(abs(env[nm]) for nm in names) if names else 0.0, 1e-300)
    if op == EQ:
        return abs(a - b) <= tol * max(scale, 1.0)
    return a - b >= -tol * scale  # a strict lemma in float64: up to rounding


@dataclass(frozen=True)
class LemmaResult:
    lemma: str
    world: str | None
    tried: int
    met: int
    failures: int


def check_lemma(lemma: Lemma, seed: int, draws: int, tol: float = TOL) -> LemmaResult:
    """Evaluate ``lemma`` on ``draws`` random and as many adversarial instances."""
    world = world_of(lemma)
    rng = np.random.default_rng([seed, sum(lemma.id.encode())])
    tol = 1e-6 if world == "costs" else tol  # a conic solver's optimum: its own accuracy
    if world == "costs":
        draws = min(draws, COST_DRAWS)  # each draw solves two conic programs
    met = failures = 0
    for k in range(2 * draws):
        adversarial = k >= draws
        env = (
            _schema_values(lemma, rng, adversarial)
            if world is None
            else WORLDS[world](rng, adversarial)
        )
        if not env:
            continue
        requires = [_holds(r, env, 1e-12) for r in lemma.requires]
        if any(r is not True for r in requires):
            continue
        ok = _holds(lemma.relation, env, tol)
        if ok is None:
            continue
        met += 1
        failures += not ok
    return LemmaResult(lemma.id, world, 2 * draws, met, failures)


def check_all(seed: int = 0, draws: int = 20) -> list[LemmaResult]:
    return [check_lemma(lem, seed, draws) for lem in LEMMAS.values()]
