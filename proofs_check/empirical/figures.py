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
    figure = Figure(figsize=(1.0 + 0.62 * heads, 1.4 + 0.55 * layers), layout="constrained")
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
        f"{summary['model']['name']}: mean attention mass on {target} "
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


def t3f_histograms(summary: dict[str, Any], path: Path) -> Path:
    """One histogram of T3.f's relative margin per target, over head instances."""
    forms = summary["t3_forms"]
    panels = [
        (
            TARGET_TITLES[t],
            forms[t]["t3f_relative_margin_histogram"],
            f"heads holding: {forms[t]['T3.f']['heads']:.1%}",
        )
        for t in TARGET_TITLES
        if t in forms
    ]
    edges = np.asarray(forms["margin_bin_edges"], dtype=float)
    figure = _histograms(
        panels,
        edges,
        "(ν_B − ν_A) / (ν_B + ν_A)  (T3.f holds iff ≥ 0)",
        f"fraction of head instances\n{summary['model']['name']}",
    )
    return _save(figure, path)


def write_figures(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """The three figures into ``out_dir``."""
    return [
        sink_mass_heatmap(summary, out_dir / SINK_HEATMAP),
        t3_histograms(summary, out_dir / T3_HISTOGRAMS),
        t3f_histograms(summary, out_dir / T3F_HISTOGRAMS),
    ]
