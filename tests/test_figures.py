"""The synthetic figures: written, non-empty PNGs, deterministic."""

from proofs_check import figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_make_figures_writes_three_pngs(tmp_path):
    paths = figures.make_figures(tmp_path / "figs", seed=0)
    names = sorted(p.name for p in paths)
    assert names == sorted([figures.DEPTH_FIGURE, figures.COST_FIGURE, figures.T3_FIGURE])
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000, path


def test_depth_figure_is_deterministic(tmp_path):
    a = figures.depth_figure(tmp_path / "a.png", seed=1).read_bytes()
    b = figures.depth_figure(tmp_path / "b.png", seed=1).read_bytes()
    assert a == b


def test_cost_point_respects_the_t4e_bound():
    import numpy as np

    X, s = figures.cone_tokens(np.random.default_rng(0), 6, 4, 0.1)
    ratio, bound = figures.cost_point(X, s, 0.1)
    assert ratio >= bound > 0
