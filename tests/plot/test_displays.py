"""Displays are checked by their artists under the Agg backend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from glassbox import Effect, Explanation  # noqa: E402
from glassbox.plot import EffectDisplay, ImportanceDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_importance_bars_are_sorted_with_error_bars():
    values = np.array([[[1.0], [-3.0], [0.5]], [[1.0], [1.0], [-0.5]]])
    exp = Explanation(values, feature_names=["a", "b", "c"], output_names=["y"], method="shap")
    disp = ImportanceDisplay.from_explanation(exp).plot()
    assert isinstance(disp, ImportanceDisplay)
    widths = [bar.get_width() for bar in disp.bars_]
    assert widths == [2.0, 1.0, 0.5]  # mean |value|: b, a, c
    ticks = sorted(zip(disp.ax_.get_yticks(), (t.get_text() for t in disp.ax_.get_yticklabels())))
    assert [label for _, label in ticks] == ["c", "a", "b"]  # bottom to top: largest on top
    assert disp.bars_.errorbar is not None
    assert disp.ax_.get_xlabel() == "mean |shap| (y)"


def test_numeric_effect_draws_curve_individuals_and_band():
    grid = np.linspace(0, 1, 5)
    values = (grid**2)[:, None]
    effect = Effect(("x",), (grid,), values, individual=np.stack([values, values + 1, values - 1]),
                    lower=values - 0.1, upper=values + 0.1, method="pdp")
    disp = effect.plot()
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), grid**2)
    assert len(disp.lines_) == 4 and disp.band_ is not None
    assert disp.ax_.get_xlabel() == "x" and disp.ax_.get_ylabel() == "pdp (0)"


def test_categorical_effect_draws_bars_with_a_missing_level():
    levels = np.array(["a", "b", np.nan], dtype=object)
    effect = Effect(("c",), (levels,), np.array([[1.0], [2.0], [0.5]]), is_categorical=(True,))
    disp = EffectDisplay.from_effect(effect).plot()
    assert [b.get_height() for b in disp.bars_] == [1.0, 2.0, 0.5]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["a", "b", "missing"]


def test_waterfall_adds_up_from_base_to_output():
    from glassbox.plot import WaterfallDisplay

    values = np.array([[[0.5], [-2.0], [0.1], [0.3]]])
    exp = Explanation(values, base_values=[[1.0]], data=np.array([[63.0, np.nan, 1.0, 2.0]]),
                      feature_names=["age", "bmi", "a", "b"], output_names=["risk"])
    disp = WaterfallDisplay.from_explanation(exp, max_features=2).plot()
    widths = [bar.get_width() for bar in disp.bars_]
    lefts = [bar.get_x() for bar in disp.bars_]
    assert widths == pytest.approx([-2.0, 0.5, 0.4])  # largest first, the rest summed
    assert lefts == pytest.approx([1.0, -1.0, -0.5])  # each bar starts where the last ended
    ticks = sorted(zip(disp.ax_.get_yticks(), (t.get_text() for t in disp.ax_.get_yticklabels())), reverse=True)
    assert [label for _, label in ticks] == ["bmi = missing", "age = 63", "2 other features"]
    assert disp.ax_.get_xlabel() == "risk: base 1 -> output -0.1"


def test_tradeoff_display_marks_front_and_choice():
    from glassbox.plot import TradeoffDisplay

    results = {
        "mean_test_auc": np.array([0.8, 0.7, 0.85, 0.9]),
        "std_test_auc": np.zeros(4),
        "mean_test_complexity": -np.array([2.0, 3.0, 4.0, 9.0]),
        "params": [{"family": "tree"}, {"family": "tree"}, {"family": "rules"}, {"family": "box"}],
    }
    disp = TradeoffDisplay.from_cv_results(results, "auc", chosen=2, labels=lambda p: p["family"]).plot()
    assert [len(p.get_offsets()) for p in disp.points_] == [2, 1, 1]
    np.testing.assert_array_equal(disp.front_line_.get_xdata(), [2.0, 4.0, 9.0])
    assert disp.chosen_marker_.get_xdata().tolist() == [4.0]
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["tree", "rules", "box", "Pareto front", "chosen"]
