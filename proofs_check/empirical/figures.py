"""PNG figures of the run, drawn with matplotlib's Agg canvas (no pyplot, no global backend).

- ``sink_mass_heatmap.png``: mean attention mass on the dominant key, layer x head;
- ``t3_margins.png``: histograms of the T3 row cosines ``cos(z_i, δ_i)`` for the sink
  target (model values and zero-value convention) and the diagonal target; the
  condition holds in a row iff its cosine is ``>= 0``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SINK_HEATMAP = "sink_mass_heatmap.png"
T3_HISTOGRAMS = "t3_margins.png"
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
    """Layer x head heat map of the mean mass ``max_j mean_i A_ij`` on the dominant key."""
    mass = np.asarray(summary["sinks"]["dominant_key_mass_by_layer_head"], dtype=float)
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
            fontsize=7,
            color="white" if value < 0.6 else "black",
        )
    axes.set_xticks(range(heads))
    axes.set_yticks(range(layers))
    axes.set_xlabel("head")
    axes.set_ylabel("layer")
    axes.set_title(
        f"{summary['model']['name']}: mean attention mass on the dominant key "
        f"({summary['text']['n_sequences']} sequences)",
        fontsize=9,
    )
    figure.colorbar(image, ax=axes, label="mean_i A_is")
    return _save(figure, path)


def t3_histograms(summary: dict[str, Any], path: Path) -> Path:
    """One histogram of the row cosines per T3 target, with the ``>= 0`` region shaded."""
    smoothing = summary["t3_smoothing"]
    edges = np.asarray(smoothing["cosine_bin_edges"], dtype=float)
    targets = [t for t in TARGET_TITLES if t in smoothing]
    figure = Figure(figsize=(4.0 * len(targets), 3.4), layout="constrained")
    for index, target in enumerate(targets):
        axes = figure.add_subplot(1, len(targets), index + 1)
        counts = np.asarray(smoothing[target]["cosine_histogram"], dtype=float)
        axes.stairs(counts / max(counts.sum(), 1.0), edges, fill=True, alpha=0.8)
        axes.axvspan(0.0, 1.0, color="tab:green", alpha=0.08)
        axes.axvline(0.0, color="black", linewidth=0.8)
        holding = smoothing[target]["fraction_of_rows"]
        axes.set_title(f"{TARGET_TITLES[target]}\nrows holding: {holding:.1%}", fontsize=9)
        axes.set_xlabel("cos(z_i, δ_i)  (T3 holds iff ≥ 0)")
        if index == 0:
            axes.set_ylabel("fraction of rows")
    return _save(figure, path)


def write_figures(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Both figures into ``out_dir``."""
    return [
        sink_mass_heatmap(summary, out_dir / SINK_HEATMAP),
        t3_histograms(summary, out_dir / T3_HISTOGRAMS),
    ]
