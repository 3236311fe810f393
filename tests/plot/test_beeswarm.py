"""BeeswarmDisplay: one swarm per feature, ordered, stacked by density, coloured by value."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from glassbox import Explanation
from glassbox.models import TreeClassifier, TreeRegressor
from glassbox.plot import BeeswarmDisplay
from glassbox.plot._beeswarm import _N_BINS, _swarm_offsets

GREY = to_rgba("#b0b0b0")[:3]


def rgb(colors):
    """Colours without their alpha (the points are drawn translucent)."""
    return np.asarray(colors)[..., :3]


def _rows(X, n):
    return X.iloc[:n] if hasattr(X, "iloc") else X[:n]


def test_swarm_rows_hold_the_attributions_of_each_feature_in_order(data):
    container, task, X, y = data
    model = (TreeClassifier if task == "classifier" else TreeRegressor)(max_leaf_nodes=6, random_state=0).fit(X, y)
    exp = model.explain(_rows(X, 80))
    output = exp.output_names[-1]
    disp = BeeswarmDisplay.from_explanation(exp, output=output).plot()

    values = exp[:, :, output].values[:, :, 0]
    order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")
    ticks = disp.ax_.get_yticks()
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == list(exp.feature_names[order])
    assert list(ticks) == list(range(exp.n_features))[::-1]  # the most important on top
    for row, j, points in zip(ticks, order, disp.points_):
        offsets = points.get_offsets()
        np.testing.assert_array_equal(offsets[:, 0], values[:, j])  # one point per row, in row order
        assert np.abs(offsets[:, 1] - row).max() <= 0.4 + 1e-12
    assert disp.ax_.get_xlabel() == f"Saabas value (impact on {output})"
    if container == "pandas":
        islands = exp.data[:, list(exp.feature_names).index("island")]
        points = disp.points_[list(exp.feature_names[order]).index("island")]
        colors = points.get_facecolors()
        for level in ("Biscoe", "Dream", "Torgersen"):
            assert len(np.unique(colors[islands == level], axis=0)) == 1
        assert len(np.unique(colors, axis=0)) == 3
        assert disp.colorbar_.ax.get_ylabel() == "feature value (levels by mean effect)"
    else:
        assert disp.colorbar_.ax.get_ylabel() == "feature value"
    assert disp.ax_.get_legend() is None  # levels are read on the colour scale, never from a legend
    assert [t.get_text() for t in disp.colorbar_.ax.get_yticklabels()] == ["low", "high"]


def test_colours_follow_values_levels_and_missing():
    n = 21
    x = np.r_[np.nan, np.arange(20.0)]
    levels = np.array(["a", "b", np.nan] * 7, dtype=object)
    data = np.column_stack([x.astype(object), levels])
    values = np.column_stack([np.linspace(-1, 1, n), np.linspace(0, 0.5, n)])[:, :, None]
    exp = Explanation(values, data=data, feature_names=["x", "c"], output_names=["y"], method="demo")
    disp = BeeswarmDisplay.from_explanation(exp).plot(cmap="viridis")

    numeric = rgb(disp.points_[0].get_facecolors())
    low, high = np.percentile(x[1:], [5, 95])
    expected = rgb(colormaps["viridis"](np.clip((x[1:] - low) / (high - low), 0, 1)))
    np.testing.assert_allclose(numeric[1:], expected)
    np.testing.assert_allclose(numeric[0], GREY)  # missing
    np.testing.assert_allclose(numeric[-1], rgb(colormaps["viridis"](1.0)))  # above the 95th percentile

    # The levels on the same scale, by their mean attribution: b (0.26) above a (0.24).
    categorical = rgb(disp.points_[1].get_facecolors())
    np.testing.assert_allclose(categorical[levels == "a"], np.tile(rgb(colormaps["viridis"](0.0)), (7, 1)))
    np.testing.assert_allclose(categorical[levels == "b"], np.tile(rgb(colormaps["viridis"](1.0)), (7, 1)))
    np.testing.assert_allclose(categorical[2::3], np.tile(GREY, (7, 1)))
    assert disp.ax_.get_xlabel() == "demo (impact on y)"


def test_many_levels_spread_over_the_scale_in_the_order_of_their_effect():
    rng = np.random.default_rng(0)
    levels = np.array([f"level {k}" for k in range(70)], dtype=object)
    column = rng.choice(levels, 700)
    effect_of = dict(zip(levels, rng.permutation(70) / 10.0))
    values = np.array([effect_of[v] for v in column]) + rng.normal(scale=0.01, size=700)
    exp = Explanation(values[:, None, None], data=column[:, None], feature_names=["status"], method="shapley-tree")
    disp = BeeswarmDisplay.from_explanation(exp).plot()
    colors = rgb(disp.points_[0].get_facecolors())
    ranks = np.argsort(np.argsort([effect_of[v] for v in levels]))  # each level's place by effect
    for level, rank in zip(levels, ranks):
        np.testing.assert_allclose(colors[column == level], np.tile(rgb(colormaps["coolwarm"](rank / 69)),
                                                                    ((column == level).sum(), 1)))
    assert disp.ax_.get_legend() is None
    assert disp.ax_.get_xlabel() == "SHAP value (impact on 0)"


def test_the_features_left_out_are_summed_into_one_grey_row():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 5, 1)) * np.array([100.0, 10.0, 1.0, 1.0, 1.0])[:, None]
    exp = Explanation(values, data=rng.normal(size=(30, 5)), feature_names=list("abcde"))
    disp = BeeswarmDisplay.from_explanation(exp, max_features=2).plot()
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["a", "b", "3 other features"]
    np.testing.assert_allclose(disp.points_[2].get_offsets()[:, 0], values[:, 2:, 0].sum(axis=1))
    np.testing.assert_allclose(rgb(disp.points_[2].get_facecolors()), np.tile(GREY, (30, 1)))


def test_without_data_every_point_is_grey_and_there_is_no_scale():
    exp = Explanation(np.arange(12.0).reshape(6, 2, 1), feature_names=["a", "b"])
    disp = BeeswarmDisplay.from_explanation(exp).plot()
    assert disp.colorbar_ is None and disp.ax_.get_legend() is None
    for points in disp.points_:
        np.testing.assert_allclose(rgb(points.get_facecolors()), np.tile(GREY, (6, 1)))


def test_a_global_explanation_is_refused_with_the_alternative():
    exp = Explanation(np.ones((3, 1)), feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="needs a local explanation.*Use ImportanceDisplay"):
        BeeswarmDisplay.from_explanation(exp)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 200), elements=st.floats(-5, 5, allow_nan=False)))
def test_swarm_offsets_stack_the_points_of_each_bin(values):
    offsets = _swarm_offsets(values)
    assert np.all(np.abs(offsets) <= 1)
    low, high = values.min(), values.max()
    bins = np.round(_N_BINS * (values - low) / (high - low)) if high > low else np.zeros(len(values))
    sizes = {b: int((bins == b).sum()) for b in np.unique(bins)}
    tallest = max(k // 2 for k in sizes.values())  # ceil((k - 1) / 2): the largest bin's top layer
    scale = tallest if tallest > 0 else 1
    for b, k in sizes.items():
        layers = np.sort(np.round(offsets[bins == b] * scale))
        expected = np.sort([np.ceil(r / 2) * (1 if r % 2 else -1) for r in range(k)])  # 0, +1, -1, +2...
        np.testing.assert_array_equal(layers, expected)
