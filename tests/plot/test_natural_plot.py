"""Explanation.plot() and Effect.plot() pick the display a reader expects."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from glassbox import Effect, Explanation
from glassbox.models import SparseLinearClassifier, SparseLinearRegressor
from glassbox.plot import (
    BeeswarmDisplay,
    EffectDisplay,
    ImportanceDisplay,
    WaterfallDisplay,
    plot_effect,
    plot_explanation,
)


def test_explanations_of_a_model_pick_bars_swarm_or_waterfall(data):
    _, task, X, y = data
    model = (SparseLinearClassifier if task == "classifier" else SparseLinearRegressor)(max_features=3).fit(X, y)
    rows = X.iloc[:40] if hasattr(X, "iloc") else X[:40]
    output = model.explain().output_names[-1]

    bars = model.explain().plot(output=output)
    assert isinstance(bars, ImportanceDisplay)
    assert [b.get_width() for b in bars.bars_] == pytest.approx(sorted(model.explain()[:, output].values[:, 0])[::-1])

    local = model.explain(rows)
    swarm = local.plot(output=output, max_features=2)
    assert isinstance(swarm, BeeswarmDisplay)
    assert len(swarm.points_) == 3 and len(swarm.points_[0].get_offsets()) == 40

    one = local[[5]]
    waterfall = one.plot(output=output)
    assert isinstance(waterfall, WaterfallDisplay)
    ends = [bar.get_x() + bar.get_width() for bar in waterfall.bars_]
    assert ends[-1] == pytest.approx(one[:, :, output].output()[0, 0])  # base value plus every push


def test_a_single_row_without_base_value_is_a_swarm_of_one():
    exp = Explanation(np.array([[[1.0], [-2.0]]]), feature_names=["a", "b"])
    disp = plot_explanation(exp)
    assert isinstance(disp, BeeswarmDisplay)
    assert [p.get_offsets()[0, 0] for p in disp.points_] == [-2.0, 1.0]


def test_effects_pick_a_curve_bars_or_heatmap_and_pass_styles():
    _, ax = plt.subplots()
    curve = Effect(("x",), (np.arange(3.0),), np.ones((3, 1)))
    disp = curve.plot(ax=ax, color="black", linewidth=4)
    assert disp.ax_ is ax and disp.lines_[0].get_linewidth() == 4 and disp.mesh_ is None
    bars = Effect(("c",), (np.array(["a", "b"], dtype=object),), np.ones((2, 1)), is_categorical=(True,))
    assert len(plot_effect(bars).bars_) == 2
    pair = Effect(("x", "c"), (np.arange(3.0), np.array(["a", "b"], dtype=object)), np.ones((3, 2, 2)),
                  is_categorical=(False, True), output_names=["no", "yes"])
    disp = pair.plot(output="yes")
    assert isinstance(disp, EffectDisplay) and disp.mesh_ is not None and disp.bars_ is None
    assert disp.colorbar_.ax.get_ylabel() == "effect (yes)"
