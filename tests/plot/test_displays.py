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
    exp = Explanation(values, feature_names=["a", "b", "c"], output_names=["y"], method="shapley-tree")
    disp = ImportanceDisplay.from_explanation(exp).plot()
    assert isinstance(disp, ImportanceDisplay)
    widths = [bar.get_width() for bar in disp.bars_]
    assert widths == [2.0, 1.0, 0.5]  # mean |value|: b, a, c
    ticks = sorted(zip(disp.ax_.get_yticks(), (t.get_text() for t in disp.ax_.get_yticklabels())))
    assert [label for _, label in ticks] == ["c", "a", "b"]  # bottom to top: largest on top
    assert disp.bars_.errorbar is not None
    assert disp.ax_.get_xlabel() == "mean |SHAP value| (impact on y)"
    words = ImportanceDisplay.from_explanation(exp, output_label="log-odds of >50K").plot()
    assert words.ax_.get_xlabel() == "mean |SHAP value| (impact on log-odds of >50K)"


def test_importance_bars_and_their_error_bars_never_go_below_zero():
    # Permutation importances near zero, one negative, with a spread larger than the value.
    exp = Explanation(np.array([[0.5], [0.02], [-0.03]]), std=np.array([[0.1], [0.05], [0.04]]),
                      feature_names=["a", "b", "c"], output_names=["y"], method="permutation_importance")
    disp = ImportanceDisplay.from_explanation(exp).plot()
    assert [bar.get_width() for bar in disp.bars_] == pytest.approx([0.5, 0.02, 0.0])
    segments = disp.bars_.errorbar.lines[2][0].get_segments()  # one horizontal segment per bar
    assert [segment[0][0] for segment in segments] == pytest.approx([0.4, 0.0, 0.0])  # the lower ends
    assert [segment[1][0] for segment in segments] == pytest.approx([0.6, 0.07, 0.04])
    assert disp.ax_.get_xlim()[0] == 0
    assert disp.ax_.get_xlabel() == "permutation importance (impact on y)"


def test_importance_folds_the_tail_into_one_bar():
    values = np.arange(30.0, 0.0, -1.0)[:, None]
    exp = Explanation(values, feature_names=[f"f{k}" for k in range(30)], output_names=["y"])
    disp = ImportanceDisplay.from_explanation(exp).plot()
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels[:20] == [f"f{k}" for k in range(20)] and labels[20] == "10 other features"
    assert disp.bars_[20].get_width() == pytest.approx(values[20:].sum())


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
    disp = EffectDisplay.from_effect(effect).plot()  # horizontal, the largest effect on top
    assert [b.get_width() for b in disp.bars_] == [2.0, 1.0, 0.5]
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["b", "a", "missing"]
    assert [b.get_y() + b.get_height() / 2 for b in disp.bars_] == [2, 1, 0]
    kept = EffectDisplay.from_effect(effect).plot(order="grid")
    assert [t.get_text() for t in kept.ax_.get_yticklabels()] == ["a", "b", "missing"]


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
    assert [t.get_text() for t in disp.bar_labels_] == ["-2", "+0.5", "+0.4"]  # every bar says its value
    assert disp.base_label_.get_text() == "E[f(X)] = 1" and disp.output_label_.get_text() == "f(x) = -0.1"
    assert disp.base_label_.get_position()[0] == 1.0 and disp.output_label_.get_position()[0] == pytest.approx(-0.1)
    low, high = disp.ax_.get_xlim()
    assert low < -1.0 and high > 1.0  # the base and output lines stand off the frame
    assert disp.ax_.get_xlabel() == "risk"


def test_a_waterfall_in_log_odds_is_drawn_in_probability():
    from scipy.special import expit

    from glassbox.plot import WaterfallDisplay

    values = np.array([[[2.0], [-0.5], [0.25]]])
    exp = Explanation(values, base_values=[[-1.0]], data=np.array([[15024.0, 0.5, 1e6]]),
                      feature_names=["gain", "b", "c"], output_names=[">50K"])
    disp = WaterfallDisplay.from_explanation(exp, link="logit").plot()
    ends = expit(-1.0 + np.cumsum([0.0, 2.0, -0.5, 0.25]))
    assert [bar.get_x() for bar in disp.bars_] == pytest.approx(ends[:-1])
    assert [bar.get_width() for bar in disp.bars_] == pytest.approx(np.diff(ends))
    assert disp.output_label_.get_text() == f"f(x) = {ends[-1]:.3f}"
    assert [t.get_text() for t in disp.ax_.get_yticklabels()][0] == "gain = 15,024"
    assert [t.get_text() for t in disp.ax_.get_yticklabels()][2] == "c = 1,000,000"
    assert disp.ax_.get_xlabel() == "probability of >50K"


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
    assert disp.ax_.get_ylabel() == "mean cross-validated ROC AUC"  # the metric in words, not its key


def test_tradeoff_tick_labels_keep_a_space_between_them_over_many_decades():
    # A black box of complexity 2,500 beside models of 1 to 18: "1,000" and "2,000" must not touch.
    from glassbox.plot import TradeoffDisplay

    cv_results = {"mean_test_r2": np.array([0.1, 0.3, 0.34, 0.33]), "std_test_r2": np.full(4, 0.01),
                  "mean_test_complexity": -np.array([1.0, 5.0, 18.0, 2500.0])}
    disp = TradeoffDisplay.from_cv_results(cv_results, "r2").plot()
    assert disp.ax_.get_ylabel() == "mean cross-validated R²"
    disp.figure_.canvas.draw()
    renderer = disp.figure_.canvas.get_renderer()
    boxes = sorted((label.get_window_extent(renderer) for label in disp.ax_.get_xticklabels()
                    if label.get_visible() and label.get_text()), key=lambda box: box.x0)
    assert len(boxes) >= 3
    assert min(b.x0 - a.x1 for a, b in zip(boxes, boxes[1:])) > 3  # pixels between neighbours

