"""Owen values of a hierarchy of features against shap's PartitionExplainer.

shap's ``PartitionExplainer`` with a ``Partition`` masker values the features of a
binary hierarchy (a scipy linkage matrix, passed as ``clustering``) by recursing from the
root: each node's two children are the players of a two-player game in the context
fixed above them. With a budget covering every node it computes the Owen (Winter) values
of that hierarchy over the background rows, which ``ShapleyExplainer`` computes from
``groups`` written as the same binary tree of dicts with ``method="exact"``.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.explainers import ShapleyExplainer

shap = pytest.importorskip("shap")


def linkage_of(tree, n_features):
    """The scipy linkage matrix of a binary tree of nested pairs of column positions."""
    rows, counter = [], [n_features]

    def walk(node):
        if not isinstance(node, list):
            return node, 1
        (a, na), (b, nb) = walk(node[0]), walk(node[1])
        rows.append([a, b, float(len(rows) + 1), na + nb])
        counter[0] += 1
        return counter[0] - 1, na + nb

    walk(tree)
    return np.asarray(rows, dtype=np.float64)


def groups_of(tree, names):
    """The same binary tree as ``groups``: a dict per pair, a one-column group per leaf."""
    if not isinstance(tree, list):
        return [names[tree]]
    out = {}
    for k, child in enumerate(tree):
        out[names[child] if not isinstance(child, list) else f"n{id(child)}_{k}"] = groups_of(child, names)
    return out


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # any fitted network will do
@pytest.mark.parametrize("tree", [
    [[[0, 1], [2, 3]], [[4, 5], [6, [7, [8, 9]]]]],
    [[[[2, 3], 1], 0], [[4, 5], [[6, 7], [8, 9]]]],
])
def test_exact_owen_values_equal_shap_partition(tree):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0))
    model.fit(X, y)
    names = list(X.columns)
    background, rows = X.iloc[:8], X.iloc[100:104]

    def predict(Z):
        return model.predict(pd.DataFrame(Z, columns=names))

    masker = shap.maskers.Partition(background.to_numpy(), clustering=linkage_of(tree, len(names)))
    theirs = shap.PartitionExplainer(predict, masker)(rows.to_numpy(), max_evals=4000)
    ours = ShapleyExplainer(model, method="exact", groups=groups_of(tree, names), background=background).fit(X)
    exp = ours.explain(rows)
    order = [names.index(str(name)) for name in exp.feature_names]  # players in the order of the dict
    scale = np.ptp(predict(X.to_numpy()))
    assert np.abs(exp.values[:, :, 0] - theirs.values[:, order]).max() <= 1e-9 * scale
    assert np.abs(exp.base_values[:, 0] - theirs.base_values).max() <= 1e-9 * scale
