"""``proofs-check``: list, verify, and the later stages (figures, docs, empirical, search, ...).

Every user error (unknown id, bad file, bad option) is one line on stderr and exit status 2; a run
whose statements are not all as expected exits 1; success exits 0. No tracebacks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE = 0, 1, 2


class UserError(click.ClickException):
    """An error the user can fix; printed as one line."""

    exit_code = EXIT_USAGE


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
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Instances per statement.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as JSON.",
)
@click.option("--quiet", is_flag=True, help="No progress line on stderr.")
def verify(
    targets: tuple[str, ...], seed: int, samples: int, json_path: Path | None, quiet: bool
) -> None:
    """Verify TARGETS: ids (T1.a, T2-F1), claims (T3), or conjecture files (FILE.py[::NAME]).

    Exit 0 iff every theorem HOLDS and every control is REFUTED (certified)."""
    from proofs_check.report import all_as_expected, print_report, report_json, write_json_atomic
    from proofs_check.runner import TargetError, resolve, run_all

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

    results = run_all(checks, seed, samples, on_done=progress)
    print_report(results)
    Console(stderr=True).print(
        f"{len(results)} statements in {time.perf_counter() - start:.1f} s", highlight=False
    )
    if json_path is not None:
        write_json_atomic(json_path, report_json(results, seed, samples))
    sys.exit(EXIT_OK if all_as_expected(results) else EXIT_UNEXPECTED)


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
