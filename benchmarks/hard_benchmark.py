r"""The hard benchmark (issue 14, item 3): time to the first certified counterexample on false
statements whose violations are rare under their own sampler, engine against five baselines, and
the same methods on each statement's true twin, where none may find anything.

Targets: ``hard_statements.FALSE`` (12 statements, their exact witnesses kept only in
``tests/test_hard_targets.py``) and their twins ``hard_statements.TRUE``. Methods
(``baselines.py`` and :func:`cma_search` here): the engine (``proofs_check.search`` without the
database), random search with the statement's sampler (jitted check and NumPy oracle),
Hypothesis with ``target``, SciPy's differential evolution, CMA-ES (``cma``, in the test extra).
Every (target, method) runs in a fresh interpreter, its seeds
one after the other, each with the same budget; a miss counts as the budget (shown ``>B``).

Also, per false statement, ``proofs_check.verify`` in its default run (samples 2000, adversary on):
its verdict, which must be REFUTED.

Usage::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/hard_benchmark.py                # ~35 min
    PYTHONPATH=$PWD .venv/bin/python benchmarks/hard_benchmark.py --budget 60    # the issue's budget
    PYTHONPATH=$PWD .venv/bin/python benchmarks/hard_benchmark.py --budget 10 --seeds 0 \
        --targets t1a_thin causal_hull --no-twins --no-verify                        # a subset

A benchmark, not a test: it prints tables and asserts nothing; the machine's load
(``os.getloadavg``) is printed beside them (wall-clock seconds on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import METHODS, NOT_APPLICABLE, Parameterised, _certified, _Found, _Timeout  # noqa: E402
from hard_statements import FALSE, KIND, TRUE, TWIN  # noqa: E402


def cma_search(check: Any, seed: int, budget: float) -> float | None | str:
    """CMA-ES (``cma.CMAEvolutionStrategy``) on the parameterisation and penalised score that
    Hypothesis and differential evolution use, started at a sampled instance, ``sigma0 = 1``; a new
    sampled start (next shape of the schedule) when it stops."""
    import cma  # the test extra (pyproject.toml), pinned in requirements.lock
    import numpy as np

    from proofs_check.instances import rng_for
    from proofs_check.search.adversary import relation_check_of
    from proofs_check.search.driver import shape_schedule
    from proofs_check.search.space import space_of

    start = time.perf_counter()
    rc = relation_check_of(check)
    if rc is None:
        return NOT_APPLICABLE
    space = space_of(rc.sample, rc.shapes, rc.domain)
    schedule = shape_schedule(rc.shapes)
    for round_ in range(10**9):
        n, d = schedule[round_ % len(schedule)]
        sample = rc.sample(rng_for(seed, f"cma:{rc.statement.id}", round_), n, d, 1)
        par = Parameterised(rc, space, sample)
        if par.theta0.size < 2:
            return NOT_APPLICABLE
        opts = {"seed": seed * 1000 + round_ + 1, "verbose": -9, "maxiter": 400}
        es = cma.CMAEvolutionStrategy(par.theta0, 1.0, opts)
        try:
            while not es.stop():
                cands = es.ask()
                values = []
                for flat in cands:
                    if time.perf_counter() - start > budget:
                        raise _Timeout
                    inst = par.instance(np.asarray(flat))
                    try:
                        score, violated = par.score(inst)
                    except Exception:
                        values.append(1e3)
                        continue
                    if violated and _certified(rc, space, inst):
                        raise _Found
                    values.append(score)
                es.tell(cands, values)
        except _Found:
            return time.perf_counter() - start
        except _Timeout:
            return None
    return None


ORIGINS: list[str] = []  # where each engine run found its first certified counterexample


def engine_search(check: Any, seed: int, budget: float) -> float | None:
    """``baselines.engine_search``, and the origin of the find (a screened start, an adversary
    round, ...) kept in :data:`ORIGINS`."""
    from proofs_check.search.driver import Searcher

    found = Searcher(seed, db=None).search(check, budget, replay=False).found
    ORIGINS.append("-" if found is None else found.origin)
    if found is None:
        return None
    return found.first_certified_s if found.first_certified_s is not None else found.elapsed_s


ALL_METHODS = {**METHODS, "engine": engine_search, "CMA-ES": cma_search}
BASELINE_NAMES = tuple(m for m in ALL_METHODS if m != "engine")


def check_of(target: str) -> Any:
    conj = FALSE.get(target) or TRUE.get(target)
    if conj is None:
        raise SystemExit(f"unknown target {target}; known: {', '.join([*FALSE, *TRUE])}")
    return conj.compile("bench")


def fmt(value: float | None, budget: float) -> str:
    return f">{budget:g}" if value is None else f"{value:.2f}"


# -- workers (one fresh interpreter each) ---------------------------------------------------------


def worker(target: str, method: str, seeds: list[int], budget: float) -> None:
    import hypothesis  # noqa: F401  (imports are not charged to any method)
    import scipy.optimize  # noqa: F401

    from proofs_check.certify import certify_relations  # noqa: F401

    check = check_of(target)
    times: list[Any] = []
    for seed in seeds:
        try:
            value = ALL_METHODS[method](check, seed, budget)
        except Exception as exc:  # a method that crashes finds nothing
            print(f"{target} {method} seed {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
            value = None
        if value == NOT_APPLICABLE:
            times = [value]
            break
        times.append(None if value is None or value > budget else value)
    print("RESULT" + json.dumps({"times": times, "origins": ORIGINS}))


def verify_worker(target: str) -> None:
    import proofs_check

    t0 = time.perf_counter()
    (ev,) = proofs_check.verify(FALSE[target])
    print("RESULT" + json.dumps({"verdict": ev.verdict, "s": time.perf_counter() - t0}))


def _run_worker(args: list[str]) -> Any:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        print(f"  worker {args[:3]} failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return json.loads(line[len("RESULT") :])


def measure(target: str, method: str, seeds: list[int], budget: float) -> dict[str, Any]:
    """Per-seed times, the median (the budget for a miss), and the load when it ran."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    args = ["--worker", target, method, "--budget", str(budget), "--seeds", *map(str, seeds)]
    out = _run_worker(args) or {"times": [None] * len(seeds), "origins": []}
    times, origins = out["times"], out["origins"]
    shown = ", ".join(t if isinstance(t, str) else fmt(t, budget) for t in times)
    print(
        f"  {target:20s} {method:16s} [{shown}] load {load:.1f} "
        f"(wall {time.perf_counter() - t0:.1f} s)" + (f" {origins}" if origins else ""),
        file=sys.stderr,
        flush=True,
    )
    if times and isinstance(times[0], str):
        return {"times": times, "median": times[0], "load": load, "origins": origins}
    return {
        "times": times,
        "median": statistics.median(budget if t is None else t for t in times),
        "found": sum(t is not None for t in times),
        "load": load,
        "origins": origins,
    }


# -- tables -------------------------------------------------------------------------------------


def _cell(entry: dict[str, Any], budget: float) -> str:
    med = entry["median"]
    if isinstance(med, str):
        return med
    return fmt(None if entry["found"] == 0 or med >= budget else med, budget)


def false_table(rows: dict[str, dict[str, Any]], methods: list[str], budget: float) -> dict:
    base = [m for m in methods if m in BASELINE_NAMES]
    head = ["target", "kind", *methods, "best baseline", "ratio", "load"]
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    ratios, engine_all = [], True
    for target, med in rows.items():
        numeric = [m for m in base if not isinstance(med[m]["median"], str)]
        cells = [target, KIND[target]] + [_cell(med[m], budget) for m in methods]
        eng = med.get("engine")
        if eng is not None and not isinstance(eng["median"], str):
            engine_all &= eng["found"] == len(eng["times"])
        if numeric and eng is not None:
            best = min(numeric, key=lambda m: med[m]["median"])
            ratio = med[best]["median"] / max(eng["median"], 1e-3)
            ratios.append(ratio)
            missed = _cell(med[best], budget).startswith(">")  # every baseline missed
            if missed and _cell(eng, budget).startswith(">"):
                ratios.pop()  # nobody found it: no ratio
                cells += [f"{best} {_cell(med[best], budget)}", "- (all missed)"]
            else:
                shown = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"
                ratio_text = f"{'>=' if missed else ''}{shown}x"
                cells += [f"{best} {_cell(med[best], budget)}", ratio_text]
        else:
            cells += ["-", "-"]
        loads = [x for m in methods for x in med[m].get("loads", [med[m]["load"]])]
        cells.append(f"{min(loads):.1f}-{max(loads):.1f}")
        print(" | ".join(cells))
    if "engine" in methods:
        print("\nwhere the engine found its first certified counterexample (per seed):")
        for target, med in rows.items():
            print(f"  {target}: {'; '.join(med['engine'].get('origins') or ['-'])}")
    summary = {"median_ratio": statistics.median(ratios) if ratios else None}
    summary["engine_certified_all"] = engine_all
    if ratios:
        print(f"median ratio best baseline / engine: {summary['median_ratio']:.1f}x")
    print(f"engine certified every target in every seed within {budget:g} s: {engine_all}")
    return summary


def twin_table(rows: dict[str, dict[str, Any]], methods: list[str], budget: float) -> bool:
    head = ["true twin", *methods]
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    clean = True
    for target, med in rows.items():
        cells = [target]
        for m in methods:
            entry = med[m]
            if isinstance(entry["median"], str):
                cells.append(entry["median"])
                continue
            clean &= entry["found"] == 0
            cells.append("none" if entry["found"] == 0 else f"FOUND {entry['found']}")
        print(" | ".join(cells))
    print(f"no method found a certified counterexample on any true twin ({budget:g} s): {clean}")
    return clean


def merge(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], float, list[int]]:
    """The false statements' rows of several ``--json`` records (same budget, other seeds) as one
    table: per (target, method) every seed's time, the median over all of them, every load."""
    records = [json.loads(p.read_text()) for p in paths]
    budgets = {r["budget"] for r in records}
    if len(budgets) != 1:
        raise SystemExit(f"records with different budgets {sorted(budgets)} cannot be merged")
    budget = budgets.pop()
    seeds = [s for r in records for s in r["seeds"]]
    rows: dict[str, dict[str, Any]] = {}
    for r in records:
        for target, by_method in r.get("false", {}).items():
            for method, entry in by_method.items():
                into = rows.setdefault(target, {}).setdefault(
                    method, {"times": [], "loads": [], "origins": []}
                )
                into["times"] += entry["times"]
                into["loads"].append(entry["load"])
                into["origins"] += entry.get("origins", [])
    for by_method in rows.values():
        for entry in by_method.values():
            times = entry["times"]
            entry["load"] = max(entry["loads"])
            if times and isinstance(times[0], str):
                entry["median"] = times[0]
                continue
            entry["median"] = statistics.median(budget if t is None else t for t in times)
            entry["found"] = sum(t is not None for t in times)
    return rows, budget, seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=10.0, help="the issue's target: 60")
    parser.add_argument("--twin-budget", type=float, default=5.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--twin-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--targets", nargs="*", default=None, help="false targets (default all)")
    parser.add_argument("--methods", nargs="*", default=list(ALL_METHODS))
    parser.add_argument("--no-false", action="store_true", help="skip the false statements' table")
    parser.add_argument("--no-twins", action="store_true")
    parser.add_argument("--no-verify", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write every measurement here")
    parser.add_argument("--merge", type=Path, nargs="+", help="print one table from --json files")
    parser.add_argument("--worker", nargs=2, metavar=("TARGET", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--verify-worker", metavar="TARGET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.seeds, args.budget)
        return
    if args.verify_worker:
        verify_worker(args.verify_worker)
        return
    if args.merge:
        rows, budget, seeds = merge(args.merge)
        methods = [m for m in ALL_METHODS if all(m in r for r in rows.values())]
        print(f"merged {len(args.merge)} records; budget {budget:g} s; seeds {seeds}\n")
        false_table(rows, methods, budget)
        return
    targets = args.targets or list(FALSE)
    unknown = [t for t in targets if t not in FALSE]
    if unknown:
        raise SystemExit(f"unknown false target {unknown[0]}; known: {', '.join(FALSE)}")
    methods = [m for m in ALL_METHODS if m in args.methods]
    twin_budget, twin_seeds = args.twin_budget, args.twin_seeds
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a machine shared with "
        f"other engineers); budget {args.budget:g} s; seeds {args.seeds}; one interpreter per "
        f"(target, method)\n"
    )
    record: dict[str, Any] = {"budget": args.budget, "seeds": args.seeds, "load": os.getloadavg()}
    if not args.no_false:
        rows = {t: {m: measure(t, m, args.seeds, args.budget) for m in methods} for t in targets}
        record["false"] = rows
        print("False statements (time to the first certified counterexample, median of seeds):\n")
        record["summary"] = false_table(rows, methods, args.budget)
    if not args.no_twins:
        twins = {
            TWIN[t]: {m: measure(TWIN[t], m, twin_seeds, twin_budget) for m in methods}
            for t in targets
        }
        record["twins"] = twins
        print(f"\nTrue twins (budget {twin_budget:g} s, seeds {twin_seeds}):\n")
        record["twins_clean"] = twin_table(twins, methods, twin_budget)
    if not args.no_verify:
        print("\nverify (default run: samples 2000, adversary on) on each false statement:\n")
        verdicts = {}
        for t in targets:
            load = os.getloadavg()[0]
            out = _run_worker(["--verify-worker", t]) or {"verdict": "ERROR (worker)", "s": 0.0}
            verdicts[t] = {**out, "load": load}
            print(f"{t}: {out['verdict']} ({out['s']:.1f} s, load {load:.1f})", flush=True)
        right = sum(v["verdict"] == "REFUTED" for v in verdicts.values())
        print(f"verify classifies {right} of {len(verdicts)} false statements correctly (REFUTED)")
        record["verify"] = verdicts
    if args.json is not None:
        from proofs_check.atomic import write_text_atomic

        write_text_atomic(args.json, json.dumps(record, indent=1, default=str))


if __name__ == "__main__":
    main()
