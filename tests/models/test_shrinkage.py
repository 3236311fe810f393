"""Hierarchical shrinkage of the trees and the sums of trees: against imodels' HSTree, the
formula along each path, cross-validation, and every output using the shrunk values."""

import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from palmerpenguins import load_penguins
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox._core import InvalidParameterError
from glassbox.explainers import ShapleyExplainer
from glassbox.models import TreeClassifier, TreeRegressor, TreeSumClassifier, TreeSumRegressor
from glassbox.models._shrinkage import SHRINKAGE_GRID


@pytest.fixture(scope="module")
def penguins():
    data = load_penguins()
    return data.drop(columns="species"), data["species"]


def path_formula(nodes, shrinkage):
    """v~(leaf) = v(root) + sum over the path of (v(child) - v(parent)) / (1 + lambda / N(parent)),
    walked from each node up to the root."""
    shrunk = np.empty_like(nodes.value)
    for node in range(len(nodes.left)):
        total, child = 0.0, node
        while nodes.parent[child] >= 0:
            parent = nodes.parent[child]
            total = total + (nodes.value[child] - nodes.value[parent]) / (1 + shrinkage / nodes.weight[parent])
            child = parent
        shrunk[node] = nodes.value[0] + total
    return shrunk


@pytest.mark.parametrize("shrinkage", [0.5, 10.0, 100.0])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_trees_shrink_as_imodels_hstree(shrinkage, task):
    imodels = pytest.importorskip("imodels")  # the extra `reference`, which CI installs

    if task == "classification":
        X, y = load_breast_cancer(return_X_y=True)
        cart, hstree, model = DecisionTreeClassifier, imodels.HSTreeClassifier, TreeClassifier
    else:
        X, y = load_diabetes(return_X_y=True)
        cart, hstree, model = DecisionTreeRegressor, imodels.HSTreeRegressor, TreeRegressor
    method = "predict_proba" if task == "classification" else "predict"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = hstree(cart(max_leaf_nodes=10, random_state=0), reg_param=shrinkage).fit(X, y)
    ours = model(max_leaf_nodes=10, shrinkage=shrinkage, random_state=0).fit(X, y)
    expected = getattr(reference, method)(X)
    np.testing.assert_allclose(getattr(ours, method)(X), expected, rtol=1e-12, atol=1e-12)
    assert ours.shrinkage_ == shrinkage and ours.complexity_ == 9


def test_no_shrinkage_is_cart(penguins):
    X, y = penguins
    plain = TreeClassifier(max_leaf_nodes=8, random_state=0).fit(X, y)
    for shrinkage in (None, 0.0):
        model = TreeClassifier(max_leaf_nodes=8, shrinkage=shrinkage, random_state=0).fit(X, y)
        np.testing.assert_array_equal(model.nodes_.value, plain.nodes_.value)
        assert model.shrinkage_ == 0.0


@pytest.mark.parametrize("shrinkage", [1.0, 30.0])
def test_every_node_follows_the_path_formula(penguins, shrinkage):
    X, y = penguins
    raw = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y).nodes_
    shrunk = TreeClassifier(max_leaf_nodes=12, shrinkage=shrinkage, random_state=0).fit(X, y).nodes_
    np.testing.assert_allclose(shrunk.value, path_formula(raw, shrinkage), rtol=1e-12)
    # a convex combination of the path's values: probabilities that sum to one
    assert (shrunk.value >= 0).all() and np.allclose(shrunk.value.sum(axis=1), 1.0)


def test_shrunk_values_reach_every_output(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, shrinkage=20.0, random_state=0).fit(X, y)
    cart = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert not np.allclose(proba, cart.predict_proba(X))
    exp = model.explain(X)
    np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), proba, rtol=0, atol=1e-12)
    rows = X.astype(object).where(X.notna(), None)
    connection = sqlite3.connect(":memory:")
    rows.to_sql("rows", connection, index=False)
    result = pd.read_sql(model.to_sql(table="rows"), connection)
    np.testing.assert_allclose(result[[f"proba_{c}" for c in model.classes_]], proba, rtol=0, atol=1e-12)
    namespace = {}
    exec(model.to_python(), namespace)
    python = [namespace["predict_proba"](r) for r in rows.to_dict("records")]
    np.testing.assert_allclose(python, proba, rtol=0, atol=1e-12)
    table = model.leaf_rules()
    np.testing.assert_allclose(table[[f"p({c})" for c in model.classes_]].to_numpy()[model.apply(X)], proba)
    shapley = ShapleyExplainer(model, method="tree", background=X.iloc[:30]).fit(X).explain(X.iloc[:5])
    np.testing.assert_allclose(shapley.base_values + shapley.values.sum(axis=1), proba[:5], atol=1e-9)


def test_cross_validation_picks_the_lowest_held_out_log_loss():
    X, y = load_breast_cancer(return_X_y=True)
    model = TreeClassifier(max_leaf_nodes=16, shrinkage="cv", random_state=0).fit(X, y)
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    expected = np.zeros(len(SHRINKAGE_GRID))
    for train, test in folds.split(X, y):
        for i, shrinkage in enumerate(SHRINKAGE_GRID):
            fold = TreeClassifier(max_leaf_nodes=16, shrinkage=shrinkage, random_state=0).fit(X[train], y[train])
            expected[i] += log_loss(y[test], np.clip(fold.predict_proba(X[test]), 1e-15, 1), labels=[0, 1]) / 5
    np.testing.assert_allclose(model.shrinkage_scores_, expected, rtol=1e-9)
    assert model.shrinkage_ == SHRINKAGE_GRID[int(np.argmin(expected))] > 0
    refit = TreeClassifier(max_leaf_nodes=16, shrinkage=model.shrinkage_, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), refit.predict_proba(X))


def test_cross_validated_regressor_and_grid_search_clone(penguins):
    X, y = penguins
    keep = X["body_mass_g"].notna()
    X, y = X[keep].drop(columns="body_mass_g").assign(species=y[keep]), X.loc[keep, "body_mass_g"]
    model = TreeRegressor(max_leaf_nodes=16, shrinkage="cv", random_state=0).fit(X, y)
    assert model.shrinkage_ in SHRINKAGE_GRID and len(model.shrinkage_scores_) == len(SHRINKAGE_GRID)
    assert model.shrinkage_ == SHRINKAGE_GRID[int(np.argmin(model.shrinkage_scores_))]


# -- the sums of trees ------------------------------------------------------------------
@pytest.mark.parametrize("model_class", [TreeSumClassifier, TreeSumRegressor])
def test_sum_shrinks_each_of_its_trees(penguins, model_class):
    X, y = penguins
    if model_class is TreeSumRegressor:
        keep = X["body_mass_g"].notna()
        X, y = X[keep].drop(columns="body_mass_g"), X.loc[keep, "body_mass_g"]
    raw = model_class(max_splits=12).fit(X, y)
    shrunk = model_class(max_splits=12, shrinkage=15.0).fit(X, y)
    for before, after in zip(raw.trees_, shrunk.trees_):
        np.testing.assert_array_equal(before.left, after.left)
        np.testing.assert_allclose(after.value, path_formula(before, 15.0), rtol=1e-12, atol=1e-12)
    exp = shrunk.explain(X)
    score = shrunk.predict(X) if model_class is TreeSumRegressor else shrunk.decision_function(X)
    np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), score.reshape(len(X), -1), atol=1e-9)


def test_infinite_shrinkage_leaves_each_tree_its_mean(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=12, shrinkage=1e15).fit(X, y)
    base = sum(tree.value[0] for tree in model.trees_)
    np.testing.assert_allclose(model.decision_function(X), np.tile(base, (len(X), 1)), atol=1e-9)


def test_sum_with_cross_validated_shrinkage(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=16, shrinkage="cv", random_state=0).fit(X, y)
    assert model.shrinkage_ == SHRINKAGE_GRID[int(np.argmin(model.shrinkage_scores_))]
    assert model.complexity_ == 16


def test_bad_shrinkage_names_the_parameter():
    with pytest.raises(InvalidParameterError, match="shrinkage"):
        TreeClassifier(shrinkage=-1.0).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(InvalidParameterError, match="shrinkage"):
        TreeRegressor(shrinkage="auto").fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="shrinkage='cv'.*at least 2 rows of every class"):
        TreeClassifier(shrinkage="cv").fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 0, 1])


def test_pruning_path_ignores_shrinkage():
    X, y = load_breast_cancer(return_X_y=True)
    path = TreeClassifier(max_leaf_nodes=None, shrinkage="cv", random_state=0).cost_complexity_path(X, y)
    expected = TreeClassifier(max_leaf_nodes=None, random_state=0).cost_complexity_path(X, y)
    np.testing.assert_array_equal(path.ccp_alphas, expected.ccp_alphas)
