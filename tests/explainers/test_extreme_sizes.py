"""Sizes at the edges of what the explainers are built for (#14's bad inputs): a forest of
10,000 one-leaf trees, a tree of depth over 100, batches of one row."""

import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

from glassbox.explainers import ShapleyExplainer

MODES = ["tree_path_dependent", "interventional"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    return X, X[:, 0] + rng.normal(size=len(X))


@pytest.fixture(scope="module")
def stumpless_forest(data):
    X, y = data
    forest = RandomForestRegressor(n_estimators=10_000, min_samples_split=10**6, bootstrap=False, random_state=0)
    return forest.fit(X, y)


@pytest.mark.slow  # fitting 10,000 trees takes most of it
@pytest.mark.parametrize("mode", MODES)
def test_a_forest_of_one_leaf_trees_gives_zero_values_and_the_mean_as_base(data, stumpless_forest, mode):
    X, y = data
    forest = stumpless_forest
    assert all(tree.tree_.node_count == 1 for tree in forest.estimators_)
    exp = ShapleyExplainer(forest, method="tree", feature_perturbation=mode, background=X[:20]).fit(X).explain(X[:30])
    np.testing.assert_array_equal(exp.values, 0.0)
    np.testing.assert_allclose(exp.base_values[:, 0], y.mean(), rtol=1e-12)


def path_dependent_by_definition(tree, x):
    """Shapley values of E[f(x) | x_S] (the cover-weighted descent) over every subset S."""
    t = tree.tree_

    def expectation(node, S):
        if t.children_left[node] < 0:
            return t.value[node, 0, 0]
        left, right = t.children_left[node], t.children_right[node]
        if t.feature[node] in S:
            return expectation(left if x[t.feature[node]] <= t.threshold[node] else right, S)
        w = t.weighted_n_node_samples
        return (w[left] * expectation(left, S) + w[right] * expectation(right, S)) / w[node]

    p = len(x)
    values = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            for S in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
                values[j] += weight * (expectation(0, {*S, j}) - expectation(0, set(S)))
    return values, expectation(0, set())


@pytest.mark.parametrize("mode", MODES)
def test_a_tree_deeper_than_a_hundred_levels_matches_the_definition(mode):
    # A target growing fourfold per row: nearly every split isolates the largest row, a
    # chain more than a hundred levels deep.
    rng = np.random.default_rng(1)
    n = 160
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=n), rng.normal(size=n)])
    tree = DecisionTreeRegressor(random_state=0).fit(X, 4.0 ** np.arange(n))
    assert tree.get_depth() > 100
    background, rows = X[::8], X[::15]
    exp = ShapleyExplainer(tree, method="tree", feature_perturbation=mode, background=background).fit(X).explain(rows)
    if mode == "interventional":
        reference = ShapleyExplainer(tree, method="exact", background=background).fit(X).explain(rows)
        expected, base = reference.values[..., 0], reference.base_values[:, 0]
    else:
        pairs = [path_dependent_by_definition(tree, x) for x in rows]
        expected, base = np.array([v for v, _ in pairs]), np.array([b for _, b in pairs])
    scale = np.abs(tree.predict(X)).max()
    np.testing.assert_allclose(exp.base_values[:, 0], base, rtol=1e-12)
    np.testing.assert_allclose(exp.values[..., 0], expected, atol=1e-12 * scale)


@pytest.mark.parametrize("method", ["exact", "kernel", "permutation"])
def test_batches_of_one_row_give_the_same_values(data, method):
    X, y = data
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    kwargs = dict(method=method, background=X[:7], n_samples=14 if method != "exact" else "auto", random_state=0)
    one = ShapleyExplainer(model, batch_size=1, **kwargs).fit(X).explain(X[:3])
    auto = ShapleyExplainer(model, **kwargs).fit(X).explain(X[:3])
    np.testing.assert_allclose(one.values, auto.values, rtol=1e-12, atol=1e-14)
