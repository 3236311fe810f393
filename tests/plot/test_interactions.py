"""Interaction displays: the heatmap of mean |interaction| and the dependence plot."""

import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from glassbox.explainers import InteractionExplanation, ShapleyExplainer
from glassbox.models import TreeClassifier
from glassbox.plot import InteractionDependenceDisplay, InteractionHeatmapDisplay

GREY = to_rgba("#b0b0b0")[:3]


@pytest.fixture(scope="module")
def penguin_interactions(penguins):
    X, species, _ = penguins
    tree = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, species)
    return ShapleyExplainer(tree, feature_perturbation="tree_path_dependent").fit(X).explain_interactions(X.iloc[:80])


def test_heatmap_shows_the_mean_absolute_values_ordered_by_total(penguin_interactions):
    inter = penguin_interactions
    disp = InteractionHeatmapDisplay.from_interactions(inter, output="Gentoo").plot()
    mean_abs = np.abs(inter[:, :, "Gentoo"].values[:, :, :, 0]).mean(axis=0)
    order = np.argsort(-mean_abs.sum(axis=1), kind="stable")
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert labels == list(inter.feature_names[order])
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == labels
    np.testing.assert_allclose(disp.image_.get_array(), mean_abs[np.ix_(order, order)])
    assert "Gentoo" in disp.colorbar_.ax.get_ylabel()


def test_heatmap_keeps_the_largest_features():
    values = np.zeros((3, 4, 4, 1))
    values[:, 3, 3] = 5.0
    values[:, 1, 1] = 1.0
    disp = InteractionHeatmapDisplay.from_interactions(InteractionExplanation(values), max_features=2).plot()
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["x3", "x1"]
    with pytest.raises(ValueError, match="square"):
        InteractionHeatmapDisplay(np.zeros((2, 3)), ["a", "b"])


def test_dependence_is_coloured_by_the_strongest_interacting_feature():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(60, 3))
    values = np.zeros((60, 3, 3, 1))
    values[:, 0, 0, 0] = data[:, 0]
    values[:, 0, 2, 0] = values[:, 2, 0, 0] = 0.5 * data[:, 0] * data[:, 2]
    values[:, 0, 1, 0] = values[:, 1, 0, 0] = 0.01 * data[:, 1]
    inter = InteractionExplanation(values, data=data, feature_names=["a", "b", "c"], output_names=["y"])
    disp = InteractionDependenceDisplay.from_interactions(inter, "a").plot(cmap="viridis")
    assert disp.color_name == "c"
    offsets = disp.points_.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], data[:, 0])
    np.testing.assert_allclose(offsets[:, 1], values[:, 0].sum(axis=1)[:, 0])
    low, high = np.percentile(data[:, 2], [5, 95])
    expected = colormaps["viridis"](np.clip((data[:, 2] - low) / (high - low), 0, 1))[:, :3]
    np.testing.assert_allclose(disp.points_.get_facecolors()[:, :3], expected)
    assert disp.ax_.get_xlabel() == "a" and disp.colorbar_.ax.get_ylabel() == "c"
    assert disp.ax_.get_ylabel() == "SHAP value of a (y)"
    pair = InteractionDependenceDisplay.from_interactions(inter, "a", interaction="b", y="interaction").plot()
    np.testing.assert_allclose(pair.points_.get_offsets()[:, 1], 0.02 * data[:, 1])
    main = InteractionDependenceDisplay.from_interactions(inter, "a", y="main_effect").plot()
    np.testing.assert_allclose(main.points_.get_offsets()[:, 1], data[:, 0])


def test_dependence_of_a_category_with_missing_values(penguin_interactions):
    inter = penguin_interactions
    disp = inter.plot("island", interaction="bill_length_mm", output="Adelie")
    labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
    islands = inter.data[:, list(inter.feature_names).index("island")]
    assert labels == sorted(set(islands.astype(str)))
    positions = disp.points_.get_offsets()[:, 0]
    assert [labels[int(p)] for p in positions] == list(islands.astype(str))
    bill = pd.isna(inter.data[:, list(inter.feature_names).index("bill_length_mm")].astype(float))
    assert bill.any()
    np.testing.assert_allclose(disp.points_.get_facecolors()[bill, :3], np.tile(GREY, (bill.sum(), 1)))


def test_dependence_of_a_numeric_feature_with_missing_values_has_a_missing_tick(penguin_interactions):
    disp = penguin_interactions.plot("bill_length_mm")
    column = penguin_interactions.data[:, list(penguin_interactions.feature_names).index("bill_length_mm")]
    missing = pd.isna(column.astype(float))
    positions = disp.points_.get_offsets()[:, 0]
    assert np.all(positions[missing] > np.nanmax(column.astype(float)))
    disp.figure_.canvas.draw()
    assert "missing" in [t.get_text() for t in disp.ax_.get_xticklabels()]


def test_plot_picks_the_heatmap_without_a_feature(penguin_interactions):
    assert isinstance(penguin_interactions.plot(), InteractionHeatmapDisplay)
    with pytest.raises(ValueError, match="other than"):
        InteractionDependenceDisplay.from_interactions(penguin_interactions, "sex", interaction="sex")
    with pytest.raises(ValueError, match="with data"):
        InteractionDependenceDisplay.from_interactions(InteractionExplanation(np.zeros((2, 2, 2, 1))), 0)
