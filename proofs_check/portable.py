r"""Elementary functions for the samplers that give the same bits on every CPU.

NumPy's ``exp``, ``log`` and ``power`` ufuncs dispatch on the CPU at run time: on a machine with
AVX-512 they run other kernels than on one without, and the last bit of the result differs (seen
here: ``10.0 ** u`` and ``np.exp`` change under ``NPY_DISABLE_CPU_FEATURES=AVX512F ...``). A
sampler that used them would draw other instances on another machine, and every page would change.
So the samplers use the functions below instead. They are built only from operations IEEE 754
rounds correctly (``+ - * /``, ``rint``, ``frexp``, ``ldexp``), in a fixed order, elementwise:
vector width, FMA and thread count cannot change a bit. Accuracy is a few ulps (Horner on a
reduced argument), which is all a sampler needs. :func:`matmul` does the same for products: BLAS
kernels without FMA (pre-Haswell cores) round products differently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_LN2_HI = 6.93147180369123816490e-01  # ln 2 with its last 32 bits zero: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LN10 = 2.302585092994045684  # ln 10 (rounded to float64)
_EXP_TERMS = 14  # |r| <= ln2/2: r^14/14! < 1e-18
_LOG_TERMS = 12  # |f| <= 0.1716: f^25/25 < 1e-20


def exp(x: Any) -> np.ndarray:
    """``e^x`` elementwise (``0`` below ``-745``, ``inf`` above ``709.78``)."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.clip(np.where(np.isfinite(x), x, 0.0), -745.0, 709.0)
    k = np.rint(safe / _LN2_HI)
    r = (safe - k * _LN2_HI) - k * _LN2_LO
    p = np.ones_like(r)
    for j in range(_EXP_TERMS, 0, -1):  # Horner: 1 + r/1 (1 + r/2 (1 + ...))
        p = 1.0 + p * (r / j)
    out = np.ldexp(p, k.astype(np.int64))
    out = np.where(x > 709.78, np.inf, out)
    out = np.where(x < -745.0, 0.0, out)
    return np.where(np.isnan(x), np.nan, np.where(x == np.inf, np.inf, out))


def log(x: Any) -> np.ndarray:
    """``ln x`` elementwise for ``x > 0`` (``-inf`` at 0, ``nan`` below)."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x) & (x > 0)
    m, e = np.frexp(np.where(ok, x, 1.0))
    low = m < 0.7071067811865476  # keep m in [sqrt(1/2), sqrt(2))
    m = np.where(low, m * 2.0, m)
    e = np.where(low, e - 1, e).astype(np.float64)
    f = (m - 1.0) / (m + 1.0)  # ln m = 2 atanh f
    f2 = f * f
    s = np.zeros_like(f)
    for j in range(_LOG_TERMS, -1, -1):
        s = 1.0 / (2 * j + 1) + f2 * s
    out = (e * _LN2_HI + (2.0 * f * s + e * _LN2_LO)).astype(np.float64)
    out = np.where(x == 0, -np.inf, out)
    out = np.where(x == np.inf, np.inf, out)
    return np.where(ok | (x == 0) | (x == np.inf), out, np.nan)


def pow10(x: Any) -> np.ndarray:
    """``10^x`` elementwise."""
    return exp(np.asarray(x, dtype=np.float64) * _LN10)


def log_uniform(rng: np.random.Generator, lo: float, hi: float, size: Any) -> np.ndarray:
    """``10^u`` with ``u ~ U(lo, hi)``: scales spread over decades."""
    return pow10(rng.uniform(lo, hi, size))


def softmax(S: Any, mask: Any | None = None, axis: int = -1) -> np.ndarray:
    """Row softmax with :func:`exp` (masked entries get weight 0)."""
    S = np.asarray(S, dtype=np.float64)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    top = np.max(S, axis=axis, keepdims=True)
    E = exp(S - np.where(np.isfinite(top), top, 0.0))
    return E / E.sum(axis=axis, keepdims=True)


def matmul(a: Any, b: Any) -> np.ndarray:
    """``a @ b`` (batched over leading axes) by elementwise products summed in a fixed order.

    The sum runs along a middle axis, which NumPy accumulates one slice at a time: the same
    order whatever the vector width.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if b.ndim == 1:
        return matmul(a, b[:, None])[..., 0]
    if a.ndim == 1:
        return matmul(a[None, :], b)[..., 0, :]
    return (a[..., :, :, None] * b[..., None, :, :]).sum(axis=-2)


def settle(x: Any, bits: int = 30) -> np.ndarray:
    """Each entry rounded to ``bits`` significant bits.

    For the few sampler steps that need LAPACK (a QR, a pseudo-inverse), whose last bits depend
    on the BLAS kernels: two machines agree after this unless an entry falls within a few ulps of
    a rounding boundary (probability about ``2^(bits - 50)`` per entry).
    """
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)
    return np.ldexp(np.rint(m * 2.0**bits) / 2.0**bits, e)


def ridge_solve(M: Any, C: Any, rcond: float = 1e-6) -> np.ndarray:
    r"""``V = argmin ||M V - C||_F^2 + lam ||V||_F^2`` with ``lam = rcond ||M||_F^2`` (batched).

    A deterministic stand-in for ``pinv(M) @ C`` in the samplers: LAPACK's SVD of an
    ill-conditioned ``M`` differs between BLAS kernels far beyond the last bit. Here the normal
    equations ``(M^T M + lam I) V = M^T C`` are solved by a Cholesky factorisation written with
    elementwise operations and :func:`matmul`: the same bits on every machine.
    """
    M = np.asarray(M, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    Mt = np.swapaxes(M, -1, -2)
    G = matmul(Mt, M)
    k = G.shape[-1]
    lam = rcond * (M * M).sum(axis=(-2, -1))[..., None, None] + 1e-300
    G = G + lam * np.eye(k)
    R = matmul(Mt, C)
    L = np.zeros_like(G)
    for j in range(k):  # Cholesky, column by column
        diag = G[..., j, j] - (L[..., j, :j] * L[..., j, :j]).sum(axis=-1)
        L[..., j, j] = np.sqrt(np.maximum(diag, 1e-300))
        below = G[..., j + 1 :, j] - (L[..., j + 1 :, :j] * L[..., j, None, :j]).sum(axis=-1)
        L[..., j + 1 :, j] = below / L[..., j, j, None]
    Y = np.zeros_like(R)
    for j in range(k):  # forward: L Y = R
        Y[..., j, :] = (R[..., j, :] - matmul(L[..., j, None, :j], Y[..., :j, :])[..., 0, :]) / L[
            ..., j, j, None
        ]
    V = np.zeros_like(R)
    for j in range(k - 1, -1, -1):  # backward: L^T V = Y
        rest = matmul(np.swapaxes(L, -1, -2)[..., j, None, j + 1 :], V[..., j + 1 :, :])
        V[..., j, :] = (Y[..., j, :] - rest[..., 0, :]) / L[..., j, j, None]
    return V
