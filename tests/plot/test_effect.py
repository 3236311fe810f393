"""EffectDisplay: curves with a missing mark, bars, and heatmaps of pairs."""

import numpy as np
import pandas as pd
import pytest

from glassbox import Effect
from glassbox.explainers import PartialDependence
from glassbox.models import TreeClassifier, TreeRegressor
from glassbox.plot import EffectDisplay


def _tick_labels(axis):
    axis.figure.canvas.draw()  # the locator places the ticks at draw time
    return [(tick, label.get_text()) for tick, label in zip(axis.get_ticklocs(), axis.get_ticklabels())]


def test_the_missing_level_of_a_numeric_curve_is_its_own_mark():
    grid = np.array([0.0, 1.0, 2.0, 4.0, np.nan])
    values = np.array([0.0, 1.0, 4.0, 16.0, 7.0])[:, None]
    individual = np.stack([values - 1, values + 1])
    effect = Effect(("age",), (grid,), values, individual=individual, lower=values - 0.5, upper=values + 0.5,
                    method="pdp", output_names=["risk"])
    disp = EffectDisplay.from_effect(effect).plot()

    curve = disp.lines_[0]
    np.testing.assert_array_equal(curve.get_xdata(), grid[:4])
    np.testing.assert_array_equal(curve.get_ydata(), values[:4, 0])
    assert len(disp.lines_) == 3 and disp.band_ is not None
    marker, points = disp.missing_markers_
    (x_missing,) = marker.get_xdata()
    assert x_missing > 4.0
    assert marker.get_ydata().tolist() == [7.0]
    assert points.get_ydata().tolist() == [6.0, 8.0]  # the individual values at the missing level
    np.testing.assert_allclose(disp.missing_band_.get_segments()[0], [[x_missing, 6.5], [x_missing, 7.5]])
    ticks = _tick_labels(disp.ax_.xaxis)
    assert ticks[-1] == (x_missing, "missing")
    assert all(tick <= 4.0 + 1e-9 for tick, _ in ticks[:-1]) and len(ticks) > 2
    assert disp.ax_.get_xlabel() == "age" and disp.ax_.get_ylabel() == "pdp (risk)"


def test_a_missing_level_no_row_reached_is_left_out():
    grid = np.array([0.0, 1.0, np.nan])
    effect = Effect(("x",), (grid,), np.array([[1.0], [2.0], [0.0]]), counts=np.array([5, 5, 0]))
    disp = EffectDisplay.from_effect(effect).plot()
    assert disp.missing_markers_ == [] and disp.missing_band_ is None
    assert "missing" not in [label for _, label in _tick_labels(disp.ax_.xaxis)]

    levels = np.array(["a", "b", np.nan], dtype=object)
    for counts, labels in (([3, 2, 0], ["a", "b"]), ([3, 2, 1], ["a", "b", "missing"])):
        effect = Effect(("c",), (levels,), np.array([[1.0], [2.0], [0.5]]), counts=np.array(counts),
                        lower=np.zeros((3, 1)), upper=np.full((3, 1), 3.0), is_categorical=(True,))
        disp = EffectDisplay.from_effect(effect).plot(order="grid")
        assert [t.get_text() for t in disp.ax_.get_yticklabels()] == labels
        assert [bar.get_width() for bar in disp.bars_] == [1.0, 2.0, 0.5][: len(labels)]


def test_a_numeric_pair_is_a_heatmap_to_scale():
    x, y = np.array([0.0, 1.0, 3.0]), np.array([10.0, 20.0])
    values = (x[:, None] + y[None, :])[:, :, None]  # (3, 2, 1)
    effect = Effect(("a", "b"), (x, y), values, method="ale", output_names=["y"])
    disp = effect.plot()
    mesh = disp.mesh_
    np.testing.assert_array_equal(mesh.get_array().reshape(2, 3), values[:, :, 0].T)  # rows: b, columns: a
    corners = mesh.get_coordinates()  # (n_y + 1, n_x + 1, 2)
    np.testing.assert_allclose(corners[0, :, 0], [-0.5, 0.5, 2.0, 4.0])  # halfway to the neighbours
    np.testing.assert_allclose(corners[:, 0, 1], [5.0, 15.0, 25.0])
    assert disp.colorbar_.ax.get_ylabel() == "accumulated local effect (y)"
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("a", "b")
    assert disp.lines_ == [] and disp.bars_ is None


def test_a_pair_with_levels_and_missing_values_labels_each_cell():
    x = np.array([0.0, 2.0, np.nan])
    levels = np.array(["p", "q", np.nan], dtype=object)
    values = np.arange(9.0).reshape(3, 3, 1)
    counts = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0]])  # no row misses the level
    effect = Effect(("a", "c"), (x, levels), values, counts=counts, is_categorical=(False, True))
    disp = EffectDisplay(effect).plot(colorbar=False, cmap="magma")
    cells = disp.mesh_.get_array().reshape(2, 4)  # rows: p, q; columns: 0, 2, the gap, missing
    np.testing.assert_array_equal(cells.mask[:, 2], [True, True])
    np.testing.assert_array_equal(cells[:, [0, 1, 3]], values[:, :2, 0].T)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["p", "q"]
    ticks = _tick_labels(disp.ax_.xaxis)
    assert ticks[-1][1] == "missing"
    corners = disp.mesh_.get_coordinates()[0, :, 0]
    assert corners[-2] < ticks[-1][0] < corners[-1]  # in the middle of the missing cell
    assert disp.colorbar_ is None and disp.mesh_.get_cmap().name == "magma"


def test_effects_of_a_fitted_model_are_drawn_as_computed(data):
    container, task, X, y = data
    model = (TreeClassifier if task == "classifier" else TreeRegressor)(max_leaf_nodes=6, random_state=0).fit(X, y)
    explainer = PartialDependence(model, grid_resolution=8).fit(X)
    first, second = ("bill_length_mm", "island") if container == "pandas" else ("x0", "x1")
    output = explainer.output_names_[-1]
    curve, pair = explainer.explain(X, features=[first, (first, second)])

    disp = curve.plot(output=output)
    present = ~np.isnan(curve.grid[0].astype(float))
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), curve[output].values[present, 0])
    if container == "pandas":  # bill_length_mm has missing values
        assert disp.missing_markers_[0].get_ydata().tolist() == [curve[output].values[-1, 0]]
    else:
        assert disp.missing_markers_ == []

    disp = pair.plot(output=output)
    cells = np.ma.masked_invalid(disp.mesh_.get_array()).compressed()
    assert sorted(cells) == pytest.approx(sorted(pair[output].values[..., 0].ravel()))
    assert disp.ax_.get_ylabel() == second


def test_the_curve_covers_the_datas_range_with_its_deciles():
    # A zero-inflated column whose decisive region lies beyond the grid's end.
    rng = np.random.default_rng(0)
    gain = np.where(rng.random(2000) < 0.9, 0.0, rng.exponential(9000.0, 2000))
    grid = np.linspace(0.0, 5000.0, 12)
    effect = Effect(("capital_gain",), (grid,), (grid / 5000.0)[:, None], method="partial_dependence",
                    output_names=[">50K"])
    disp = EffectDisplay.from_effect(effect, X=pd.DataFrame({"capital_gain": gain}),
                                     output_label="probability of >50K").plot()
    ticks = np.asarray([segment[0][0] for segment in disp.deciles_.get_segments()])
    np.testing.assert_allclose(ticks, np.quantile(gain, np.linspace(0, 1, 11)))
    low, high = disp.ax_.get_xlim()
    assert low <= 0.0 and high >= gain.max()  # the axis reaches the largest value, past the grid
    assert disp.ax_.get_ylabel() == "partial dependence (probability of >50K)"
    assert EffectDisplay.from_effect(effect).plot().deciles_ is None  # without data, no ticks


def test_an_ale_grid_with_a_repeated_edge_is_still_a_curve():
    # ALE evaluates at the data values bounding each bin: a value holding many rows repeats.
    grid = np.array([0.0, 0.0, 0.0, 114.0, 2174.0, 99999.0])
    effect = Effect(("capital_gain",), (grid,), np.arange(6.0)[:, None], method="ale")
    disp = EffectDisplay.from_effect(effect).plot()
    assert disp.bars_ is None
    np.testing.assert_array_equal(disp.lines_[0].get_xdata(), grid)


def test_crowded_levels_across_a_heatmap_stand_upright():
    levels = np.array([f"Married-civ-spouse {k}" for k in range(12)], dtype=object)
    values = np.arange(24.0).reshape(12, 2, 1)
    effect = Effect(("marital_status", "age"), (levels, np.array([20.0, 40.0])), values,
                    is_categorical=(True, False))
    disp = EffectDisplay.from_effect(effect).plot()
    assert {label.get_rotation() for label in disp.ax_.get_xticklabels()} == {90.0}
    few = Effect(("sex", "age"), (np.array(["f", "m"], dtype=object), np.array([20.0, 40.0])),
                 values[:2], is_categorical=(True, False))
    assert {label.get_rotation() for label in EffectDisplay.from_effect(few).plot().ax_.get_xticklabels()} == {0.0}


def test_the_missing_tick_keeps_clear_of_the_last_number():
    # A curve over 60..300 of incomes reaching 959, with a missing level: the axis is
    # stretched to the data's maximum, and its last number must not run into "missing".
    from glassbox.plot._words import overlapping_labels

    grid = np.append(np.linspace(60.0, 300.0, 20), np.nan)
    effect = Effect(("Income",), (grid,), np.linspace(0.4, 0.16, 21)[:, None], counts=np.full(21, 5),
                    method="partial_dependence")
    income = pd.DataFrame({"Income": np.append(np.linspace(6.0, 959.0, 200), np.nan)})
    for width in (3.0, 4.0, 5.0, 6.5):
        disp = EffectDisplay.from_effect(effect, X=income).plot()
        disp.figure_.set_size_inches(width, 3.5)
        labels = [t.get_text() for t in disp.ax_.get_xticklabels()]
        assert labels[-1] == "missing"
        assert overlapping_labels(disp.figure_) == [], (width, labels)
