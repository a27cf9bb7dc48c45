"""One mechanism for every statement: solver-defined observables on every backend, sides of an
equivalence, the phases in order (reuse first), the ball functions, and the flat public API."""

from __future__ import annotations

import flint
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from test_database import saved_t1f4

import proofs_check
from proofs_check.backend import ARB, JAX, to_arb_array
from proofs_check.certify import arb_eval
from proofs_check.checks import registry
from proofs_check.checks.engine import RelationCheck
from proofs_check.observables.solved import gamma_u, gamma_v, hull_distance
from proofs_check.runner import run_all
from proofs_check.search.database import CounterexampleDB
from proofs_check.search.driver import Searcher
from proofs_check.search.numeric import FLOAT
from theory.core import Condition, Kind, Statement

# -- solver-defined observables ------------------------------------------------------------------


def test_hull_distance_is_exactly_zero_when_the_origin_is_in_the_hull():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    ball = hull_distance(ARB, to_arb_array(X))
    assert ball.is_exact() and ball == 0  # so a strict "> 0" conclusion can be refuted
    assert hull_distance(FLOAT, X) == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_enclosures_contain_the_float_values_on_every_backend(seed):
    rng = np.random.default_rng(seed)
    n, d = 3 + seed, 2 + seed % 3
    X = rng.standard_normal((n, d)) + (2.0 if seed % 2 else 0.0)
    s = seed % n
    jitted = jax.jit(lambda X: jnp.stack([gamma_u(JAX, X), gamma_v(JAX, X, s)]))(jnp.asarray(X))
    for k, (obs, args) in enumerate(((gamma_u, (X,)), (gamma_v, (X, s)))):
        value = float(obs(FLOAT, *args))
        assert float(jitted[k]) == pytest.approx(value, rel=1e-12, abs=1e-15)
        exact_args = (to_arb_array(args[0]),) + args[1:]
        ball = obs(ARB, *exact_args)
        assert ball.contains(flint.arb(value)) or abs(float(ball.mid()) - value) < 1e-9


def test_an_inexact_ball_is_widened_to_contain_every_point():
    X = np.array([[2.0, 1.0], [3.0, -1.0]])
    wide = np.array([[flint.arb(v, 1e-3) for v in row] for row in X], dtype=object)
    ball = hull_distance(ARB, wide)
    for delta in (-1e-3, 0.0, 1e-3):
        assert ball.contains(flint.arb(hull_distance(FLOAT, X + delta)))


def test_the_adversary_differentiates_through_the_hull_distance():
    """Envelope theorem at the minimum-norm point, against central differences."""
    X = np.array([[1.0, 1.0], [2.0, 0.5], [1.5, 3.0], [0.5, 2.0]])
    grad = np.asarray(jax.jit(jax.grad(lambda X: gamma_v(JAX, X, 2)))(jnp.asarray(X)))
    h, numeric = 1e-6, np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        E = np.zeros_like(X)
        E[idx] = h
        numeric[idx] = (gamma_v(FLOAT, X + E, 2) - gamma_v(FLOAT, X - E, 2)) / (2 * h)
    assert np.allclose(grad, numeric, atol=1e-6)


# -- ball functions ----------------------------------------------------------------------------------


def test_ball_arithmetic_knows_hyperbolic_functions_and_elementwise_min():
    x = sp.Symbol("x")
    ball = arb_eval(sp.tanh(x) + sp.atanh(x / 2), {"x": flint.arb(1) / 3})
    assert ball.contains(flint.arb(np.tanh(1 / 3) + np.arctanh(1 / 6)))
    a = np.array([flint.arb(1), flint.arb(3)], dtype=object)
    assert [float(v) for v in ARB.minimum(a, flint.arb(2))] == [1.0, 2.0]
    assert [float(v) for v in ARB.maximum(a, flint.arb(2))] == [2.0, 3.0]


# -- sides ------------------------------------------------------------------------------------------

_x, _y = sp.symbols("x y")
_TWO_SIDES = Statement(
    id="TEST.sides",
    name="sign_of_x_decides_y",
    title="x > 0 => y > 0 and x <= 0 => y <= 0",
    kind=Kind.THEOREM,
    claim="test",
    hypotheses=(),
    conclusions=(
        Condition("x > 0 => y > 0", sp.Gt(_y, 0), given=(sp.Gt(_x, 0),)),
        Condition("x <= 0 => y <= 0", sp.Le(_y, 0), given=(sp.Le(_x, 0),)),
    ),
)


def _sampler(positive_fraction: float):
    def sample(rng, n, d, batch):
        x = np.where(rng.random(batch) < positive_fraction, 1.0, -1.0) * rng.uniform(1, 2, batch)
        return {"x": x}

    return sample


def _xy(inst, ops):
    return {"x": inst["x"], "y": 3 * inst["x"]}


def test_each_side_of_an_equivalence_is_counted_and_a_thin_side_is_vacuous():
    balanced = RelationCheck(
        _TWO_SIDES, _sampler(0.5), _xy, ((2, 1),), min_met=10, min_per_side=20
    ).run(0, 200)
    assert balanced.verdict == "HOLDS"
    assert sum(balanced.sides.values()) == balanced.met == 200
    assert min(balanced.sides.values()) >= 20
    thin = RelationCheck(
        _TWO_SIDES, _sampler(0.02), _xy, ((2, 1),), min_met=10, min_per_side=20
    ).run(0, 200)
    assert thin.met == 200  # every instance met the hypotheses: nothing was edited
    assert thin.verdict == "VACUOUS" and thin.thin_sides == ["x > 0"]


# -- phases ----------------------------------------------------------------------------------------


def test_the_database_is_replayed_first_and_its_counterexample_reported(tmp_path):
    db = CounterexampleDB(tmp_path)
    saved_t1f4(db)
    (ev,) = run_all([registry()["T1-F4"]], 0, 400, phases=Searcher(0, db), adversary=False)
    assert ev.verdict == "REFUTED"
    assert ev.counterexample.family == "database"  # though the random phase refutes it too
    (fresh,) = run_all([registry()["T1-F4"]], 0, 400)
    assert fresh.verdict == "REFUTED" and fresh.counterexample.family != "database"


# -- the public API -----------------------------------------------------------------------------------


def test_the_flat_namespace_resolves_every_public_name():
    for name in proofs_check.__all__:
        assert getattr(proofs_check, name) is not None, name
    assert proofs_check.hull_distance is proofs_check.observables.hull_distance
    assert callable(proofs_check.search)  # the package and the function: one name


def test_verify_and_certify_instance_from_python():
    (ev,) = proofs_check.verify("T1-F4", samples=200, adversary=False)
    assert ev.verdict == "REFUTED"
    cx = ev.counterexample
    cert = proofs_check.certify_instance("T1-F4", cx.instance, cx.case)
    assert cert.certified
    assert not proofs_check.certify_instance(
        "T1-F4", {**cx.instance, "W": 0 * np.asarray(cx.instance["W"], dtype=float)}, cx.case
    ).certified  # the same instance with W = 0 holds


# -- the domain as data ---------------------------------------------------------------------------


def _top_quantities(inst, ops):
    A = proofs_check.attention(ops, inst["X"], inst["W"])
    return {"top": ops.max(A, axis=-1)}


def test_a_domain_is_validated_when_built():
    from theory.domain import Domain, DomainError, FieldSpec, Sizes

    with pytest.raises(DomainError, match="unknown kind"):
        FieldSpec("W", "positive")
    with pytest.raises(DomainError, match="lo < hi"):
        FieldSpec("eps", "interval", 0.5, 0.1)
    with pytest.raises(DomainError, match="n_max"):
        Sizes(n_min=9, n_max=3)
    with pytest.raises(DomainError, match="declared twice"):
        Domain((FieldSpec("W", "psd"), FieldSpec("W", "free")))
    conj = proofs_check.Conjecture(
        name="sizes_outside",
        conclusion=sp.Ge(sp.Symbol("top"), sp.Rational(1, 2)),
        quantities=_top_quantities,
        instances=proofs_check.attention_instances(),
        shapes=[(2, 2), (3, 2)],
        domain=Domain(sizes=Sizes(n_min=9)),
    )
    with pytest.raises(proofs_check.ConjectureError, match="n >= 9"):
        conj.validate()


def test_the_search_and_the_shrinker_stay_inside_the_declared_sizes():
    from theory.domain import Domain, Sizes

    conj = proofs_check.Conjecture(
        name="top_at_least_half",
        title="max_j A_ij >= 1/2 (false from n = 3 on)",
        conclusion=sp.Ge(sp.Symbol("top"), sp.Rational(1, 2)),
        quantities=_top_quantities,
        instances=proofs_check.attention_instances(weight_families=["gaussian"]),
        shapes=[(3, 2), (6, 2), (8, 3)],
        expect="REFUTED",
        domain=Domain(sizes=Sizes(n_min=6)),
    )
    outcome = proofs_check.search(conj, budget_s=30)
    assert outcome.found is not None and outcome.found.certificate.certified
    assert outcome.found.shape[0] >= 6  # shrunk, but never below the declared n >= 6


def _flat_instances(rng, n, d, batch):
    return {"X": rng.standard_normal((batch, n, d)), "W": 1e-3 * rng.standard_normal((batch, d, d))}


def test_the_search_grows_n_beyond_the_declared_shapes():
    """max_j A_ij >= 1/100 holds for every declared n <= 32 when W is tiny (A is nearly uniform,
    1/n >= 1/32), and fails only from n ~ 100 on: the search must go there."""
    conj = proofs_check.Conjecture(
        name="top_at_least_one_percent",
        conclusion=sp.Ge(sp.Symbol("top"), sp.Rational(1, 100)),
        quantities=_top_quantities,
        instances=_flat_instances,
        shapes=[(4, 2), (16, 2), (32, 2)],
        expect="REFUTED",
    )
    outcome = proofs_check.search(conj, budget_s=60)
    assert outcome.found is not None and outcome.found.certificate.certified
    assert outcome.found.shape[0] > 32  # shrunk, still longer than any declared shape
