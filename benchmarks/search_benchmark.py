r"""Time to the first certified counterexample: the engine against four baselines.

Targets: every registered control (its check as registered) and every mutant known to be false
(the ``KNOWN_FALSE`` table of ``tests/test_mutate.py``; the witnesses there are not given to any
method); then, in a separate table, the two targets of ``hard_targets.py`` that lie outside the
samplers' typical set. Methods (``baselines.py``): the engine (``proofs-check search`` without the
database), pure random search with the check's sampler through the jitted check and through the
NumPy oracle, Hypothesis (``@given`` + ``target``), and SciPy's differential evolution on the same
parameterisation.

Every (target, method) runs in a fresh interpreter (no compiled function, solver cache or imported
state is shared between methods), its seeds one after the other, each with the same budget; a run
that finds nothing counts as the budget (shown ``>B``). Per target: the median over seeds of each
method, the best baseline (smallest median) and the ratio best-baseline / engine; at the bottom the
medians over targets.

Usage::

    .venv/bin/python benchmarks/search_benchmark.py                 # budget 10 s, seeds 0 1 2
    .venv/bin/python benchmarks/search_benchmark.py --budget 5 --seeds 0 --targets T1-F2 flat

A benchmark, not a test: it prints tables and asserts nothing. The machine load
(``os.getloadavg``) is printed with them: the numbers are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import BASELINES, METHODS, NOT_APPLICABLE  # noqa: E402
from hard_targets import HARD  # noqa: E402

from proofs_check.checks import registry  # noqa: E402
from proofs_check.search.mutate import mutant_by_id  # noqa: E402
from theory.core import Kind  # noqa: E402


def known_false_mutants() -> list[str]:
    spec = importlib.util.spec_from_file_location("_kf", HERE.parent / "tests" / "test_mutate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return sorted(module.KNOWN_FALSE)


def main_targets() -> list[str]:
    controls = [sid for sid, c in registry().items() if c.statement.kind is Kind.CONTROL]
    return controls + known_false_mutants()


def check_of(target: str):
    if target in HARD:
        return HARD[target]()
    if "~" in target:
        mutant = mutant_by_id(target)
        if mutant is None:
            raise SystemExit(f"unknown mutant {target}")
        return mutant.check
    return registry()[target]


def fmt(value: float | None, budget: float) -> str:
    return f">{budget:g}" if value is None else f"{value:.2f}"


# -- one (target, method) in this interpreter ------------------------------------------------------


def worker(target: str, method: str, seeds: list[int], budget: float) -> None:
    import hypothesis  # noqa: F401  (imports are not charged to any method)
    import scipy.optimize  # noqa: F401

    from proofs_check.certify import certify_relations  # noqa: F401

    check = check_of(target)
    times: list[float | None | str] = []
    for seed in seeds:
        try:
            value = METHODS[method](check, seed, budget)
        except Exception as exc:  # a method that crashes finds nothing
            print(f"{target} {method} seed {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
            value = None
        if value == NOT_APPLICABLE:
            times = [NOT_APPLICABLE]
            break
        times.append(None if value is None or value > budget else value)
    print("RESULT" + json.dumps(times))


def measure(target: str, method: str, seeds: list[int], budget: float) -> float | None:
    """The median over seeds (the budget for a miss); ``None``: not applicable."""
    cmd = [sys.executable, __file__, "--worker", target, method, "--budget", str(budget)]
    cmd += ["--seeds", *map(str, seeds)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        print(f"  {target} {method}: worker failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return budget
    times = json.loads(line[len("RESULT") :])
    shown = ", ".join(t if isinstance(t, str) else fmt(t, budget) for t in times)
    print(
        f"  {target:20s} {method:16s} [{shown}] (wall {time.perf_counter() - t0:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    if times == [NOT_APPLICABLE]:
        return None
    return statistics.median(budget if t is None else t for t in times)


def run(targets: list[str], methods: list[str], seeds: list[int], budget: float) -> list:
    return [(t, {m: measure(t, m, seeds, budget) for m in methods}) for t in targets]


def print_table(rows, methods, budget) -> None:
    base = [m for m in methods if m in BASELINES]
    with_ratio = "engine" in methods and bool(base)
    head = ["target", *methods] + (["best baseline", "ratio"] if with_ratio else [])
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))

    def cell(value: float | None) -> str:
        if value is None:
            return NOT_APPLICABLE
        return fmt(None if value >= budget else value, budget)

    ratios, best_medians = [], []
    for target, med in rows:
        cells = [target] + [cell(med[m]) for m in methods]
        applicable = [m for m in base if med[m] is not None]
        if with_ratio and applicable:
            best = min(applicable, key=lambda m: med[m])
            ratio = med[best] / max(med["engine"], 1e-3)
            ratios.append(ratio)
            best_medians.append(med[best])
            cells += [f"{best} {cell(med[best])}", f"{ratio:.1f}x"]
        print(" | ".join(cells))
    overall = ["median over targets"]
    for m in methods:
        values = [med[m] for _, med in rows if med[m] is not None]
        overall.append(cell(statistics.median(values)) if values else NOT_APPLICABLE)
    if ratios:
        overall += [cell(statistics.median(best_medians)), f"{statistics.median(ratios):.1f}x"]
    print(" | ".join(overall))
    if "engine" in methods:
        found = sum(1 for _, med in rows if med["engine"] < budget)
        print(
            f"engine found {found} of {len(rows)} targets within {budget:g} s (median over seeds)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--worker", nargs=2, metavar=("TARGET", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.seeds, args.budget)
        return
    methods = [m for m in METHODS if m in args.methods]
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"budget {args.budget:g} s; seeds {args.seeds}; one interpreter per (target, method)\n"
    )
    if args.targets:
        print_table(run(args.targets, methods, args.seeds, args.budget), methods, args.budget)
        return
    print("Controls and known-false mutants:\n")
    print_table(run(main_targets(), methods, args.seeds, args.budget), methods, args.budget)
    print("\nOutside the samplers' typical set (hard_targets.py), not in the medians above:\n")
    print_table(run(list(HARD), methods, args.seeds, args.budget), methods, args.budget)


if __name__ == "__main__":
    main()
