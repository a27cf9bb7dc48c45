"""The bodies of ``proofs-check search``, ``replay`` and ``mutate``, and the adversarial phase of
``verify`` (the click declarations live in :mod:`proofs_check.cli`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from proofs_check import interrupt
from proofs_check.search.database import (
    DEFAULT_DIR,
    CorruptEntry,
    CounterexampleDB,
    Entry,
    load_entry,
)
from proofs_check.search.driver import VERIFY_CONFIG, Searcher
from proofs_check.search.outcome import SearchOutcome
from proofs_check.search.snippet import snippet
from theory.core import Kind

SCHEMA_VERSION = 1


class CommandError(Exception):
    """A user error (one line; the CLI turns it into exit status 2)."""


def open_db(db_dir: Path | None, use_db: bool) -> CounterexampleDB | None:
    """The database, its directory probed before any work starts: one warning (and no saving)
    if it cannot be written; a run never fails because of its cache."""
    if not use_db:
        return None
    db = CounterexampleDB(db_dir if db_dir is not None else DEFAULT_DIR)
    db.check_writable()
    return db


def record_sources(db: CounterexampleDB | None, checks: list[Any]) -> None:
    """Tell the database where each user conjecture came from (saved with its entries)."""
    if db is None:
        return
    for check in checks:
        source = getattr(check, "source", "")
        if source:
            db.sources[check.statement.id] = source


# ----------------------------------------------------------------------------------------------
# verify: the adversarial phase after each statement
# ----------------------------------------------------------------------------------------------


def verify_phases(seed: int, db: CounterexampleDB | None, adversary: bool) -> Searcher | None:
    """The phases around each statement's random phase in ``verify`` (reuse, target, save):
    ``None`` when there is neither a database nor an adversary."""
    if not adversary and db is None:
        return None
    return Searcher(seed, db, config=VERIFY_CONFIG)


# ----------------------------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------------------------


def resolve_targets(targets: tuple[str, ...]) -> list[Any]:
    """Ids, claims, conjecture files (as ``verify``) and mutant ids (``T1.a~flip:c0``)."""
    from proofs_check.runner import TargetError, resolve
    from proofs_check.search import resolve_check

    out: list[Any] = []
    plain = []
    for t in targets:
        if "~" in t:
            try:
                out.append(resolve_check(t))
            except KeyError:
                raise CommandError(
                    f"unknown mutant id {t!r} (see `proofs-check mutate --list`)"
                ) from None
        else:
            plain.append(t)
    if plain or not targets:
        try:
            out = resolve(plain) + out
        except TargetError as exc:
            raise CommandError(str(exc)) from None
    return out


def _expected_found(outcome: SearchOutcome) -> bool:
    return outcome.statement.kind is Kind.CONTROL


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, str, float], None]]:
    """A transient rich progress bar on stderr (off when stderr is not a terminal, or ``--quiet``)."""
    console = Console(stderr=True)
    enabled = not quiet and console.is_terminal
    if not enabled:
        yield lambda label, message, fraction: None
        return
    columns = (
        TextColumn("{task.fields[label]}"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(label: str, message: str, fraction: float) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(message, total=1.0, label=label)
            bar.update(tasks[label], description=message, completed=min(max(fraction, 0.0), 1.0))

        yield update


# ----------------------------------------------------------------------------------------------
# search
# ----------------------------------------------------------------------------------------------


def run_search(
    targets: tuple[str, ...],
    budget: float,
    seed: int,
    quiet: bool,
    db: CounterexampleDB | None,
    replay: bool = True,
) -> tuple[list[SearchOutcome], dict[str, Any]]:
    checks = resolve_targets(targets)
    record_sources(db, checks)
    outcomes = []
    with progress_bar(quiet) as update:
        for check in checks:
            if interrupt.requested():
                break
            label = check.statement.id
            searcher = Searcher(seed, db, progress=lambda m, f, lb=label: update(lb, m, f))
            outcome = searcher.search(check, budget, replay=replay)
            if interrupt.requested() and outcome.found is None and outcome.error is None:
                outcome.error = "interrupted (Ctrl-C) before the search was done"
            update(label, outcome.status.lower(), 1.0)
            outcome.source = getattr(check, "target", "") or None
            outcomes.append(outcome)
    payload = {
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "budget_s": budget,
        "all_as_expected": all(_as_expected(o) for o in outcomes) and len(outcomes) == len(checks),
        "results": [o.to_json() for o in outcomes],
    }
    not_run = [c.statement.id for c in checks[len(outcomes) :]]
    if not_run:
        payload["interrupted"] = True
        payload["not_run"] = not_run
    return outcomes, payload


def _as_expected(outcome: SearchOutcome) -> bool:
    if outcome.error is not None:
        return False
    return (outcome.found is not None) == _expected_found(outcome)


def print_search(outcomes: list[SearchOutcome], console: Console | None = None) -> None:
    console = console or _stdout_console()
    for o in outcomes:
        st = o.statement
        head = f"{st.id} ({st.kind.value}): "
        if o.error:
            console.print(head + f"ERROR: {o.error}", markup=False, highlight=False)
            continue
        if o.found is None:
            tight = "-" if o.worst_slack is None else f"{o.worst_slack:+.2e}"
            console.print(
                head
                + f"no counterexample in {o.elapsed_s:.1f} s ({o.method}, {o.rounds} round(s), "
                f"tightest slack {tight})",
                markup=False,
                highlight=False,
            )
            continue
        f = o.found
        shape = f"n={f.shape[0]}, d={f.shape[1]}" if f.shape else "?"
        was = (
            f" (shrunk from n={f.unshrunk_shape[0]}, d={f.unshrunk_shape[1]})"
            if f.unshrunk_shape and tuple(f.unshrunk_shape) != tuple(f.shape or ())
            else ""
        )
        lines = [
            head + f"FOUND in {f.elapsed_s:.2f} s ({o.method}; {f.origin})",
            f"  counterexample {shape}{was}, case {f.case}: {f.certificate.summary()}",
        ]
        if f.saved_to is not None:
            lines.append(f"  saved to {f.saved_to}")
        if st.kind is Kind.THEOREM:
            lines.append("  FINDING: a certified counterexample to a THEOREM")
        if f.replayable:
            lines.append("  paste into a test:")
            code = snippet(st.id, f.instance, f.case, f.certificate.summary(), o.source)
            lines.append(textwrap.indent(code, "    "))
        else:
            lines.append(
                "  (found by the check's own run: it has no instance-level certifier, so the "
                "instance is neither shrunk nor saved; it is in the --json output)"
            )
        for line in lines:
            console.print(line, markup=False, highlight=False, soft_wrap=True)


# ----------------------------------------------------------------------------------------------
# replay
# ----------------------------------------------------------------------------------------------


ReplayRow = tuple[Path, str, bool | None, str]


def run_replay(paths: tuple[Path, ...]) -> list[ReplayRow]:
    """Re-certify saved files: ``(path, statement id, certified, one-line summary)`` each;
    ``certified`` is ``None`` for a file that could not be replayed at all (unreadable, failing the
    schema, an unknown statement, an instance the check cannot evaluate): the summary says why,
    and the next file is replayed all the same."""
    rows: list[ReplayRow] = []
    for path in paths:
        try:
            entry = load_entry(path)
        except CorruptEntry as exc:
            kind = "" if str(exc).startswith("cannot read") else "corrupt counterexample file: "
            rows.append((path, "?", None, f"{kind}{exc}"))
            continue
        rows.append(_replay_entry(path, entry))
    return rows


def _replay_entry(path: Path, entry: Entry) -> ReplayRow:
    from proofs_check.search.replay import replayer_for

    sid = entry.statement_id
    try:
        check = _check_of(entry)
    except CommandError as exc:
        return (path, sid, None, str(exc))
    replayer = replayer_for(check)
    if replayer is None:
        return (path, sid, None, f"{sid} cannot re-certify a single instance")
    try:
        cert = replayer(entry.instance, entry.case)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        from proofs_check.conjecture import is_users_own

        if not isinstance(exc, Exception) and not is_users_own(exc):
            raise
        return (path, sid, None, f"cannot re-certify this instance: {_instance_error(exc, entry)}")
    if cert.certified:
        return (path, sid, True, cert.summary())
    return (path, sid, False, f"NOT a counterexample any more: {cert.summary()}")


def _check_of(entry: Entry) -> Any:
    """The check an entry belongs to: a registered statement, a mutant, or the user conjecture
    at the entry's ``source``."""
    from proofs_check.search import resolve_check

    try:
        return resolve_check(entry.statement_id)
    except KeyError:
        pass
    if entry.source is None:
        raise CommandError(
            f"unknown statement id {entry.statement_id!r} (see `proofs-check list`; a user "
            "conjecture's entry records its file only from this version on)"
        )
    from proofs_check.conjecture import ConjectureError, load_conjectures

    try:
        (check,) = load_conjectures(entry.source)
    except ConjectureError as exc:
        raise CommandError(f"cannot load its conjecture {entry.source}: {exc}") from None
    return check


def _instance_error(exc: BaseException, entry: Entry) -> str:
    from proofs_check.runner import error_line

    if isinstance(exc, KeyError):
        return f"the instance has no field {exc.args[0]!r} (it has {', '.join(entry.instance)})"
    if isinstance(exc, IndexError):
        return (
            f"an index (case {entry.case}, or an index field) is out of range ({error_line(exc)})"
        )
    return error_line(exc)


# ----------------------------------------------------------------------------------------------
# mutate
# ----------------------------------------------------------------------------------------------


def run_mutate(
    targets: tuple[str, ...],
    budget: float,
    seed: int,
    quiet: bool,
    db: CounterexampleDB | None,
    list_only: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from proofs_check.search.mutate import mutants_of

    checks = resolve_targets(targets)
    record_sources(db, checks)
    rows = []
    with progress_bar(quiet) as update:
        for check in checks:
            if interrupt.requested():
                break
            mutants = mutants_of(check)
            if not mutants:
                continue
            row: dict[str, Any] = {"theorem": check.statement.id, "mutants": []}
            searcher = Searcher(seed, db)
            for k, m in enumerate(mutants):
                if interrupt.requested():
                    break
                entry = {"id": m.id, "operator": m.operator, "description": m.description}
                if not list_only:
                    update(check.statement.id, f"{k + 1}/{len(mutants)} {m.id}", k / len(mutants))
                    outcome = searcher.search(m.check, budget)
                    entry.update(
                        killed=outcome.found is not None,
                        seconds=round(
                            outcome.found.elapsed_s if outcome.found else outcome.elapsed_s, 3
                        ),
                        error=outcome.error,
                        certificate=(
                            outcome.found.certificate.summary() if outcome.found else None
                        ),
                    )
                row["mutants"].append(entry)
            if not list_only:
                update(check.statement.id, "done", 1.0)
            rows.append(row)
    payload = {"schema_version": SCHEMA_VERSION, "seed": seed, "budget_s": budget, "theorems": rows}
    return rows, payload


def print_mutate(rows: list[dict[str, Any]], list_only: bool) -> None:
    console = _stdout_console()
    if list_only:
        for row in rows:
            for m in row["mutants"]:
                console.print(f"{m['id']:28s} {m['description']}", markup=False, highlight=False)
        return
    table = Table(title="proofs-check mutate", header_style="bold")
    for col in ("theorem", "mutants", "killed", "survivors"):
        table.add_column(col, justify="right" if col in ("mutants", "killed") else "left")
    total = killed = 0
    for row in rows:
        ms = row["mutants"]
        k = sum(1 for m in ms if m.get("killed"))
        total, killed = total + len(ms), killed + k
        survivors = ", ".join(m["id"].split("~", 1)[1] for m in ms if not m.get("killed")) or "-"
        table.add_row(row["theorem"], str(len(ms)), str(k), survivors)
    console.print(table)
    console.print(f"{killed} of {total} mutants killed", highlight=False)


def _stdout_console() -> Console:
    """A console that does not squeeze lines when stdout is a pipe or a file."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160)
