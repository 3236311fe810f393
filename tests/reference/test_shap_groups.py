"""Shapley values of feature groups against shap's Kernel SHAP over groups.

shap's ``KernelExplainer`` takes its background as ``DenseData(data, group_names,
groups)`` and then values each group as one player; with a budget of every coalition of
the groups it enumerates them and its values are the exact Shapley values of the group
game, which ``ShapleyExplainer(groups=...)`` computes with ``method="exact"`` (and with
``method="kernel"`` given every coalition).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestClassifier
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.explainers import ShapleyExplainer

shap = pytest.importorskip("shap")
DenseData = pytest.importorskip("shap.utils._legacy").DenseData


def shap_group_values(predict, background, rows, groups, n_outputs):
    """shap's Kernel SHAP over ``groups`` (lists of positions) with every coalition: (n, players, outputs)."""
    names = [str(k) for k in range(len(groups))]
    data = DenseData(background, names, [np.asarray(g) for g in groups])
    explainer = shap.KernelExplainer(predict, data)
    values = explainer.shap_values(rows, nsamples=2 ** len(groups) + 2, l1_reg=False, silent=True)
    values = np.asarray(values)
    return values.reshape(len(rows), len(groups), n_outputs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # any fitted network will do
def test_exact_groups_equal_shap_kernel_over_groups():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0))
    model.fit(X, y)
    predict = lambda Z: model.predict(pd.DataFrame(Z, columns=X.columns))  # noqa: E731
    groups = {"serum": ["s1", "s2", "s3", "s4"], "body": ["bmi", "bp"]}
    background, rows = X.iloc[:12], X.iloc[100:105]
    ours = ShapleyExplainer(model, method="exact", groups=groups, background=background).fit(X)
    exp = ours.explain(rows)
    positions = [[X.columns.get_loc(c) for c in g] for g in groups.values()]
    positions += [[j] for j, c in enumerate(X.columns) if not any(c in g for g in groups.values())]
    theirs = shap_group_values(predict, background.to_numpy(), rows.to_numpy(), positions, 1)
    scale = np.ptp(predict(X.to_numpy()))
    assert np.abs(exp.values - theirs).max() <= 1e-6 * scale
    kernel = ShapleyExplainer(model, method="kernel", groups=groups, background=background,
                              n_samples=2 ** len(positions)).fit(X).explain(rows)
    assert np.abs(kernel.values - theirs).max() <= 1e-6 * scale


def test_one_hot_family_probabilities_equal_shap():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["u", "v", "w"])
    colour = rng.choice(3, 200)
    X = X.join(pd.DataFrame(np.eye(3)[colour], columns=["c_red", "c_green", "c_blue"]))
    target = (X.u + 2 * X.c_red - X.c_blue * X.v > 0.3).astype(int) + (X.w > 1)
    forest = RandomForestClassifier(30, max_depth=5, random_state=0).fit(X, target)
    groups = {"colour": ["c_red", "c_green", "c_blue"]}
    background, rows = X.iloc[:10], X.iloc[50:54]
    exp = ShapleyExplainer(forest, method="exact", groups=groups, background=background).fit(X).explain(rows)
    theirs = shap_group_values(lambda Z: forest.predict_proba(pd.DataFrame(Z, columns=X.columns)),
                               background.to_numpy(), rows.to_numpy(), [[3, 4, 5], [0], [1], [2]], 3)
    assert exp.shape == (4, 4, 3)
    np.testing.assert_allclose(exp.values, theirs, atol=1e-9)

