"""The run's headline numbers as one ``rich`` table for the terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _percent(value: float | None) -> str:
    """One decimal, or two significant digits for small non-zero fractions (0.014%)."""
    if value is None:
        return "n/a"
    if 0.0 < abs(value) < 0.001:
        return f"{100.0 * value:.2g}%"
    return f"{100.0 * value:.1f}%"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _tokens(counts: dict[str, int], total: int) -> str:
    """The four most frequent tokens with their shares (JSON may have re-sorted the keys)."""
    if not counts:
        return "none"
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:4]
    return ", ".join(f"{token} {count / total:.1%}" for token, count in ranked)


def _sink_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    sinks = summary["sinks"]
    instances = sinks["head_instances"]
    rows = [
        (
            "sinks",
            f"head instances with an ε-sink, ε={eps}",
            f"{_percent(fraction)} ({round(fraction * instances)} of {instances})",
        )
        for eps, fraction in sinks["fraction_of_head_instances_with_eps_sink"].items()
    ]
    importance = sinks.get("first_token_importance")
    if importance:
        rows.append(
            (
                "sinks",
                f"first-token sink rate (sail-sg, mean_i A_i0 > {importance['epsilon']})",
                _percent(importance["sink_rate"]),
            )
        )
    return rows


def _form_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    forms = summary.get("t3_forms")
    if not forms:
        return []
    rows = []
    for target in ("sink", "sink_zero_value", "diagonal"):
        for form in forms["forms"]:
            if form == "T3.g" and target != "sink":
                continue  # the common update does not depend on the target
            cell = forms[target][form]
            label = "common update" if form == "T3.g" else f"B = {target}"
            rows.append(
                (
                    form,
                    f"{label}: rows / heads / layers",
                    " / ".join(
                        "n/a" if cell[key] is None else _percent(cell[key])
                        for key in ("rows", "heads", "layers")
                    ),
                )
            )
    return rows


def _depth_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    depth = summary.get("t6_depth")
    if not depth or not depth.get("layer_instances"):
        return []
    return [
        (
            "T6.a",
            f"layer instances / violations / informative ({depth['sequences']} sequences)",
            f"{depth['layer_instances']} / {depth['t6a_violations']} / "
            f"{_percent(depth['t6a_fraction_informative'])}",
        ),
        (
            "T6.d",
            "head instances / violations / median δ(A)",
            f"{depth['t6d_head_instances']} / {depth['t6d_violations']} / "
            f"{_number(depth['t6d_dobrushin']['median'])}",
        ),
    ]


def _rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    sinks, t1, t2 = summary["sinks"], summary["t1_geometry"], summary["t2_switch"]
    t3, t4 = summary["t3_smoothing"], summary["t4_costs"]
    rows = _sink_rows(summary)
    rows += [
        (
            "sinks",
            "median ε* (smallest ε with a sink)",
            _number(sinks["min_sink_epsilon"]["median"]),
        ),
        ("sinks", "mean mass on the dominant key", _number(sinks["dominant_key_mass"]["mean"])),
        ("sinks", "dominant keys", _tokens(sinks["dominant_key_tokens"], sinks["head_instances"])),
    ]
    if t1.get("applies", True):
        rows += _t1_rows(t1)
    else:
        rows.append(("T1", "not measured", "scores are not bilinear (RoPE)"))
    rows += _t2_rows(t2)
    if "t3_forms" not in summary:  # a summary from before the five readings
        rows += [
            (
                "T3",
                f"B = {target}: rows / heads / uniform",
                " / ".join(
                    _percent(t3[target][key])
                    for key in ("fraction_of_rows", "fraction_of_heads", "fraction_uniform")
                ),
            )
            for target in ("sink", "sink_zero_value", "diagonal")
        ]
    rows += _form_rows(summary)
    rows += _depth_rows(summary)
    if t4.get("instances"):
        rows += _t4_rows(t4)
    return rows


def _t1_rows(t1: dict[str, Any]) -> list[tuple[str, str, str]]:
    pooled = t1["pooled_in_open_halfspace_by_layer"]
    return [
        (
            "T1",
            "token sets in an open half-space",
            _percent(t1["fraction_of_token_sets_in_open_halfspace"]),
        ),
        ("T1", "median gamma_u / median ||x||", _number(t1["relative_halfspace_margin"]["median"])),
        (
            "T1",
            f"all sequences pooled ({t1['pooled_tokens_per_layer']} tokens) in a half-space",
            f"{sum(pooled)} of {len(pooled)} layers",
        ),
        ("T1", "sink token is a vertex", _percent(t1["fraction_of_head_instances_sink_is_vertex"])),
        (
            "T1",
            "bias-free conditions hold",
            _percent(t1["fraction_of_head_instances_bias_free_conditions_hold"]),
        ),
        (
            "T1.f",
            "median key-bias share of the sink margin",
            _number(t1["key_bias"]["bias_share_of_mean_margin"]["median"]),
        ),
        (
            "T1.f",
            "key bias alone ranks the sink first",
            _percent(t1["key_bias"]["fraction_of_head_instances_key_bias_alone_ranks_sink_first"]),
        ),
    ]


def _t2_rows(t2: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [
        (
            "T2",
            "median ||v_s|| / mean ||v_j||",
            _number(t2["sink_value_norm_over_mean_other"]["median"]),
        )
    ]
    if "rows_checked" not in t2:
        return rows
    return rows + [
        ("T2", "rows checked", str(t2["rows_checked"])),
        (
            "T2.b",
            "violations (lower / upper)",
            f"{t2['lower_bound_violations']} / {t2['upper_bound_violations']}",
        ),
    ]


def _t4_rows(t4: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            "T4",
            f"token subsets (n={t4['subset_size']}, ε={t4['epsilon']})",
            str(t4["instances"]),
        ),
        ("T4", "sink cheaper than diagonal", _percent(t4["fraction_sink_cheaper"])),
        ("T4.e", "sufficient condition holds", _percent(t4["fraction_t4e_condition_holds"])),
        ("T4", "median c_diag / c_sink", _number(t4["diag_over_sink"]["median"])),
        ("T4", "bound violations", str(sum(t4["bound_violations"].values()))),
    ]


def render_table(summary: dict[str, Any]) -> Table:
    """One table: check, quantity, value."""
    table = Table(
        title=f"{summary['model']['name']} on {summary['text']['n_sequences']} sequences "
        f"of {summary['text']['source']} (seed {summary['text']['seed']})",
        show_lines=False,
    )
    table.add_column("check", style="bold cyan", no_wrap=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for check, quantity, value in _rows(summary):
        table.add_row(check, quantity, value)
    return table
