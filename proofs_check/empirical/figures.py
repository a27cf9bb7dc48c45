"""PNG figures of the run, drawn with matplotlib's Agg canvas (no pyplot, no global backend).

- ``sink_mass_heatmap.png``: mean attention mass on each head's sink target (the encoder: its
  dominant key; the decoder: token 0, the sail-sg first-token importance), layer x head;
- ``t3_margins.png``: histograms of the T3 row cosines ``cos(z_i, δ_i)`` for the sink
  target (model values and zero-value convention) and the diagonal target; the
  condition holds in a row iff its cosine is ``>= 0``;
- ``t3f_margins.png``: histograms over head instances of T3.f's relative margin
  ``(nu(X+BV) - nu(X+AV)) / (nu(X+BV) + nu(X+AV))`` per target (T3.f holds iff ``>= 0``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SINK_HEATMAP = "sink_mass_heatmap.png"
T3_HISTOGRAMS = "t3_margins.png"
T3F_HISTOGRAMS = "t3f_margins.png"
TARGET_TITLES = {
    "sink": "B = 1 e_s^T (model values)",
    "sink_zero_value": "B = 1 e_s^T (v_s := 0)",
    "diagonal": "B = I (diagonal)",
}


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=120, metadata={"Software": None})
    return path


def sink_mass_heatmap(summary: dict[str, Any], path: Path) -> Path:
    """Layer x head heat map of the mean mass ``mean_i A_is`` on each head's sink target ``s``."""
    mass = np.asarray(summary["sinks"]["target_mass_by_layer_head"], dtype=float)
    layers, heads = mass.shape
    row_height = 0.55 if layers <= 12 else 0.32
    figure = Figure(figsize=(1.6 + 0.62 * heads, 1.6 + row_height * layers), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(mass, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for (l, h), value in np.ndenumerate(mass):
        axes.text(
            h,
            l,
            f"{value:.2f}",
            ha="center",
            va="center",
            fontsize=7 if heads * layers <= 100 else 5,
            color="white" if value < 0.6 else "black",
        )
    axes.set_xticks(range(heads))
    axes.set_yticks(range(layers))
    axes.set_xlabel("head")
    axes.set_ylabel("layer")
    target = "token 0" if summary.get("model_key") == "smollm2" else "the dominant key"
    axes.set_title(
        f"{summary['model']['name']}\nmean attention mass on {target} "
        f"({summary['text']['n_sequences']} sequences)",
        fontsize=9,
    )
    figure.colorbar(image, ax=axes, label="mean_i A_is")
    return _save(figure, path)


def _histograms(
    panels: list[tuple[str, np.ndarray, str]], edges: np.ndarray, xlabel: str, ylabel: str
) -> Figure:
    """One panel per ``(title, counts, holding line)``, the ``>= 0`` region shaded."""
    figure = Figure(figsize=(4.0 * len(panels), 3.4), layout="constrained")
    for index, (title, counts, holding) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        counts = np.asarray(counts, dtype=float)
        axes.stairs(counts / max(counts.sum(), 1.0), edges, fill=True, alpha=0.8)
        axes.axvspan(0.0, 1.0, color="tab:green", alpha=0.08)
        axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_title(f"{title}\n{holding}", fontsize=9)
        axes.set_xlabel(xlabel)
        if index == 0:
            axes.set_ylabel(ylabel)
    return figure


def t3_histograms(summary: dict[str, Any], path: Path) -> Path:
    """One histogram of the row cosines per T3 target, with the ``>= 0`` region shaded."""
    smoothing = summary["t3_smoothing"]
    panels = [
        (
            TARGET_TITLES[t],
            smoothing[t]["cosine_histogram"],
            f"rows holding: {smoothing[t]['fraction_of_rows']:.1%}",
        )
        for t in TARGET_TITLES
        if t in smoothing
    ]
    edges = np.asarray(smoothing["cosine_bin_edges"], dtype=float)
    figure = _histograms(panels, edges, "cos(z_i, δ_i)  (T3 holds iff ≥ 0)", "fraction of rows")
    return _save(figure, path)


def _decade_label(edge: float) -> str:
    if edge == 0.0:
        return "0"
    exponent = int(round(np.log10(abs(edge))))
    return f"{'−' if edge < 0 else ''}1e{exponent}"


def t3f_histograms(summary: dict[str, Any], path: Path) -> Path:
    """One histogram per target of T3.f's relative margin over head instances, in signed decades
    (bins of equal width on the page: the margins span many orders of magnitude)."""
    forms = summary["t3_forms"]
    edges = np.asarray(forms["margin_bin_edges"], dtype=float)
    positions = np.arange(len(edges), dtype=float)
    centre = float(np.flatnonzero(edges == 0.0)[0])
    targets = [t for t in TARGET_TITLES if t in forms]
    figure = Figure(figsize=(4.6 * len(targets), 3.6), layout="constrained")
    for index, target in enumerate(targets):
        axes = figure.add_subplot(1, len(targets), index + 1)
        counts = np.asarray(forms[target]["t3f_relative_margin_histogram"], dtype=float)
        axes.stairs(counts / max(counts.sum(), 1.0), positions, fill=True, alpha=0.8)
        axes.axvspan(centre, positions[-1], color="tab:green", alpha=0.08)
        axes.axvline(centre, color="black", linewidth=0.8)
        axes.set_xticks(positions[::2], [_decade_label(e) for e in edges[::2]], fontsize=6)
        holding = forms[target]["T3.f"]["heads"]
        axes.set_title(f"{TARGET_TITLES[target]}\nheads holding: {holding:.1%}", fontsize=9)
        axes.set_xlabel("(ν_B − ν_A) / (ν_B + ν_A), signed decades (holds iff ≥ 0)")
        if index == 0:
            axes.set_ylabel("fraction of head instances")
    figure.suptitle(summary["model"]["name"], fontsize=9)
    return _save(figure, path)


def write_figures(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """The three figures into ``out_dir``."""
    return [
        sink_mass_heatmap(summary, out_dir / SINK_HEATMAP),
        t3_histograms(summary, out_dir / T3_HISTOGRAMS),
        t3f_histograms(summary, out_dir / T3F_HISTOGRAMS),
    ]
