"""The core tree reader: the shape of child arrays, and fitted models read as node arrays."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    AdaBoostRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeRegressor

from glassbox._core import (
    count_tree_splits,
    is_tree_model,
    read_tree_model,
    tree_depths,
    tree_leaves,
    tree_levels,
    tree_parents,
    tree_preorder,
)
from glassbox.models import TreeClassifier, TreeRegressor


def walk(left, right, root):
    """Reference: (node, parent, depth) depth first, left before right, one node at a time."""
    out, stack = [], [(root, -1, 0)]
    while stack:
        node, parent, depth = stack.pop()
        out.append((node, parent, depth))
        if left[node] >= 0:
            stack += [(right[node], node, depth + 1), (left[node], node, depth + 1)]
    return out


@pytest.fixture(scope="module")
def forest():
    X, y = make_regression(300, 5, random_state=0)
    return RandomForestRegressor(n_estimators=4, max_depth=7, random_state=0).fit(X, y)


def test_structure_of_one_tree_matches_a_walk(forest):
    tree = forest.estimators_[0].tree_
    left, right = tree.children_left.astype(np.intp), tree.children_right.astype(np.intp)
    nodes, parents, depths = map(np.array, zip(*walk(left, right, 0)))
    np.testing.assert_array_equal(tree_preorder(left, right), nodes)
    np.testing.assert_array_equal(tree_parents(left, right)[nodes], parents)
    np.testing.assert_array_equal(tree_depths(left, right)[nodes], depths)
    np.testing.assert_array_equal(tree_leaves(left, right), nodes[left[nodes] < 0])
    levels = tree_levels(left, right)
    assert len(levels) == tree.max_depth + 1
    assert sorted(np.concatenate(levels).tolist()) == list(range(tree.node_count))


def test_structure_of_trees_side_by_side(forest):
    ensemble = read_tree_model(forest)
    left, right, roots = ensemble.left, ensemble.right, ensemble.roots
    reference = [step for root in roots for step in walk(left, right, root)]
    nodes, parents, depths = map(np.array, zip(*reference))
    np.testing.assert_array_equal(tree_preorder(left, right, roots), nodes)
    np.testing.assert_array_equal(tree_parents(left, right)[nodes], parents)
    np.testing.assert_array_equal(tree_depths(left, right, roots)[nodes], depths)
    np.testing.assert_array_equal(ensemble.tree_of, np.repeat(np.arange(4), np.diff(np.r_[roots, len(left)])))


def test_a_single_leaf():
    left = right = np.array([-1])
    assert tree_preorder(left, right).tolist() == [0] == tree_leaves(left, right).tolist()
    assert tree_parents(left, right).tolist() == [-1] and tree_depths(left, right).tolist() == [0]


@pytest.mark.parametrize("kind", ["forest", "boosting", "hist", "glassbox"])
def test_read_model_predicts_the_raw_output(kind):
    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    if kind == "forest":
        model, method = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y), "predict"
    elif kind == "boosting":
        model, method = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y), "decision_function"
    elif kind == "hist":
        model, method = HistGradientBoostingRegressor(max_iter=5).fit(X, y), "predict"
    else:
        model, method = TreeClassifier(max_leaf_nodes=5, random_state=0).fit(X, y), "predict_proba"
    ensemble = read_tree_model(model)
    assert ensemble.output_method == method
    expected = np.asarray(getattr(model, method)(X[:20]), dtype=np.float64).reshape(20, -1)
    np.testing.assert_allclose(ensemble.predict(ensemble.model_input(X[:20])), expected, rtol=0, atol=1e-9)


def test_which_models_are_read():
    assert is_tree_model(TreeRegressor()) and is_tree_model(DecisionTreeRegressor())
    assert not is_tree_model(Ridge()) and not is_tree_model(AdaBoostRegressor())
    with pytest.raises(TypeError, match="got Ridge"):
        read_tree_model(Ridge())


def test_splits_are_counted_over_every_tree():
    X, y = make_regression(200, 4, random_state=0)
    boosted = AdaBoostRegressor(DecisionTreeRegressor(max_leaf_nodes=3), n_estimators=4, random_state=0).fit(X, y)
    assert count_tree_splits(boosted) == sum(t.get_n_leaves() - 1 for t in boosted.estimators_)
    assert count_tree_splits(Ridge().fit(X, y)) is None
