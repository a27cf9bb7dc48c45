"""Hypothesis-driven fuzz of the two places where untrusted input enters: the counterexample
database loader (random JSON-ish documents, and random edits of a genuine entry: nothing but
``CorruptEntry`` may come out) and the CLI option parser (random option values for every
subcommand: a click usage error or parsed values that satisfy every documented bound)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check.cli import MAX_BUDGET_S, MAX_SAMPLES, cli
from proofs_check.search.database import (
    FORMAT,
    CorruptEntry,
    Entry,
    parse_entry,
    writable_dir_problem,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GOOD = {
    "format": FORMAT,
    "version": 1,
    "statement_id": "T1-F4",
    "case": 0,
    "instance": {
        "X": {"kind": "rational", "shape": [2, 1], "values": ["-4/5", "-5/6"]},
        "W": {"kind": "rational", "shape": [1, 1], "values": ["1444/81"]},
        "s": {"kind": "int", "shape": [], "values": [1]},
    },
    "certificate": {"certified": True},
    "found_by": "test",
    "seed": 0,
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["1/0", "p/q", "-4/5", "1e999", FORMAT, "rational", "int", "bool", "str"])
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _parse(doc: object) -> Entry | None:
    """``parse_entry`` on a document; ``None`` when it was rejected with the documented error."""
    text = json.dumps(doc, allow_nan=True)
    try:
        entry = parse_entry(text)
    except CorruptEntry as exc:
        assert str(exc) and "\n" not in str(exc)  # one line
        return None
    return entry


def test_the_genuine_entry_parses():
    entry = _parse(GOOD)
    assert entry is not None and entry.statement_id == "T1-F4"
    assert entry.instance["X"].shape == (2, 1) and int(entry.instance["s"]) == 1


@FUZZ
@given(json_ish)
def test_random_documents_raise_only_corrupt_entry(doc):
    assert _parse(doc) is None  # a random document is never a counterexample


@FUZZ
@given(st.dictionaries(st.sampled_from(sorted(GOOD)), json_ish, max_size=8))
def test_random_top_level_fields_raise_only_corrupt_entry(fields):
    entry = _parse({**GOOD, **fields})
    if entry is not None:  # accepted: the fields the schema checks have their documented types
        assert isinstance(entry.statement_id, str) and 0 <= entry.case < 2**31
        assert entry.seed is None or isinstance(entry.seed, int)


@FUZZ
@given(
    st.sampled_from(["X", "W", "s"]),
    st.dictionaries(st.sampled_from(["kind", "shape", "values"]), json_ish, min_size=1),
)
def test_random_instance_fields_raise_only_corrupt_entry(field, changes):
    instance = {**GOOD["instance"], field: {**GOOD["instance"][field], **changes}}
    entry = _parse({**GOOD, "instance": instance})
    if entry is not None:  # accepted: then it is exactly what the schema promises
        for value in entry.instance.values():
            assert value.size >= 1 and value.ndim <= 8


@FUZZ
@given(st.text(max_size=200))
def test_random_text_raises_only_corrupt_entry(text):
    try:
        entry = parse_entry(text)
    except CorruptEntry as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(entry, Entry) and entry.instance


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"format": "proofs-check counterexample", "a": ' + "[" * 5000 + "]" * 5000 + "}",
        json.dumps(GOOD).replace('"case": 0', '"case": NaN'),
        json.dumps(GOOD).replace('"case": 0', f'"case": {10**400}'),
        json.dumps(GOOD).replace('"values": [1]', f'"values": [{2**64}]'),
        json.dumps(GOOD).replace('"-4/5"', '"' + "9" * 30_000 + '"'),
    ],
)
def test_documented_hostile_files_are_corrupt_entries(text):
    with pytest.raises(CorruptEntry):
        parse_entry(text)


# -- the option parser -------------------------------------------------------------------------

OPTION_VALUES = {
    "--seed": ["0", "7", "-1", "1e3", "x", "", str(2**70), "-0"],
    "--samples": ["1", "12", "0", "-5", "2.5", "many", "1000000", "1000001", str(10**30)],
    "--budget": ["1", "0.5", "0", "-1", "inf", "-inf", "nan", "1e300", "1e6", "x"],
    "--json": ["-", "", "r.json", "sub/r.json", "afile/r.json", "/proc/x.json", "."],
    "--out": ["out", "", "afile/x"],
    "--db": ["db", "afile/db", ""],
    "--sequences": ["1", "0", "-2", "x"],
}
FLAGS = ["--quiet", "--no-db", "--no-adversary", "--adversary", "--no-replay", "--list", "--check"]


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(cli.commands)))
    command = cli.commands[name]
    known = {opt for p in command.params for opt in getattr(p, "opts", [])}
    pool = [o for o in OPTION_VALUES if o in known] + [f for f in FLAGS if f in known]
    args: list[str] = []
    for opt in draw(st.lists(st.sampled_from(pool or ["--help"]), max_size=4)):
        args.append(opt)
        if opt in OPTION_VALUES:
            args.append(draw(st.sampled_from(OPTION_VALUES[opt])))
    if draw(st.booleans()):
        args.append(draw(st.sampled_from(["T1.a", "--bogus", "-x", "T1-F4"])))
    return name, args


@settings(max_examples=200, deadline=None)
@given(command_lines())
def test_option_parser_gives_a_usage_error_or_values_within_bounds(line):
    name, args = line
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            Path("afile").write_text("")
            try:
                ctx = cli.commands[name].make_context(name, list(args))
            except (click.UsageError, click.BadParameter) as exc:
                assert exc.format_message().strip() and "\n" not in exc.format_message().strip()
                return
            except click.exceptions.Exit:  # --help
                return
            params = ctx.params
            assert params.get("seed", 0) >= 0
            assert 1 <= params.get("samples", 1) <= MAX_SAMPLES and params.get("sequences", 1) >= 1
            budget = params.get("budget", 1.0)
            assert math.isfinite(budget) and 0 < budget <= MAX_BUDGET_S
            json_path = params.get("json_path")
            if json_path is not None and str(json_path) != "-":
                assert not json_path.is_dir() and writable_dir_problem(json_path.parent) is None
            # the probes left nothing behind
            assert sorted(p.name for p in Path(".").iterdir()) == ["afile"]
        finally:
            os.chdir(cwd)
