"""TreeSumClassifier and TreeSumRegressor: the greedy growth against its definition and
imodels' FIGS, the budget, local contributions, exports, TreeSHAP and bad input."""

import sqlite3
import warnings
from itertools import product
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from scipy.special import expit, softmax
from sklearn.datasets import load_diabetes, make_classification

from glassbox import complexity
from glassbox._core import InvalidParameterError
from glassbox.explainers import ShapleyExplainer
from glassbox.models import TreeSumClassifier, TreeSumRegressor


# -- data and helpers ----------------------------------------------------------------
@pytest.fixture(scope="module")
def penguins():
    data = load_penguins()
    return data.drop(columns="species"), data["species"]


def continuous(n_samples=60, n_features=3, seed=0, task="regression"):
    """Continuous features (no ties) and a target with interactions."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    score = X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2 % n_features]) + 0.3 * rng.normal(size=n_samples)
    if task == "regression":
        return X, 3 * score
    if task == "binary":
        return X, (score > np.median(score)).astype(int)
    return X, np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))


def reference_growth(X, y, task, l2, max_splits, min_gain=0.0, min_samples_leaf=1):
    """FIGS from its definition, with no histogram: at each step every split of every leaf
    of every tree, and of the root of a new tree, is scored by the decrease of the
    second-order loss, sum_k G_k^2 / (H_k + l2) over the children minus the leaf's, with
    thresholds between consecutive distinct values; the best moves its rows by a Newton
    step, unless its decrease is below ``min_gain`` times the deviance of the start (the
    squared error, or twice the log-loss); both children must hold ``min_samples_leaf``
    rows. Returns the training scores after each step (the start first)."""
    n = len(X)
    if task == "regression":
        Y = y[:, None].astype(float)
        F = np.tile(Y.mean(axis=0), (n, 1))
    elif task == "binary":
        Y = y[:, None].astype(float)
        F = np.full((n, 1), np.log(Y.mean() / (1 - Y.mean())))
    else:
        Y = np.eye(y.max() + 1)[y]
        F = np.tile(np.log(Y.mean(axis=0)) - np.log(Y.mean(axis=0)).mean(), (n, 1))
    if task == "regression":
        deviance = ((Y - F) ** 2).sum()
    else:
        p = expit(F) if task == "binary" else softmax(F, axis=1)
        deviance = -2 * (np.log(p) * Y + np.log(1 - p) * (1 - Y)).sum() if task == "binary" else (
            -2 * (np.log(p) * Y).sum())
    leaves = [np.ones(n, bool)]  # leaves of every tree, as row masks
    history = [F.copy()]
    for _ in range(max_splits):
        if task == "regression":
            g, h = F - Y, np.ones_like(F)
        else:
            p = expit(F) if task == "binary" else softmax(F, axis=1)
            g, h = p - Y, p * (1 - p)

        def score(mask, g=g, h=h):
            return (g[mask].sum(0) ** 2 / (h[mask].sum(0) + l2)).sum()

        best = (0.0, None)
        candidates = [(i, leaf) for i, leaf in enumerate(leaves)] + [(None, np.ones(n, bool))]  # None: a new tree
        for i, mask in candidates:
            for j in range(X.shape[1]):
                values = np.unique(X[mask, j])
                for low, high in zip(values[:-1], values[1:]):
                    left = mask & (X[:, j] <= (low + high) / 2)
                    if min(left.sum(), (mask & ~left).sum()) < min_samples_leaf:
                        continue
                    gain = score(left) + score(mask & ~left) - score(mask)
                    if gain > best[0] * (1 + 1e-9):
                        best = (gain, (i, mask, left))
        if best[1] is None or best[0] < min_gain * deviance:
            break
        i, mask, left = best[1]
        if i is not None:
            del leaves[i]
        for child in (left, mask & ~left):
            F[child] -= g[child].sum(0) / (h[child].sum(0) + l2)
            leaves.append(child)
        history.append(F.copy())
    return history


def as_records(X):
    return X.astype(object).where(X.notna(), None).to_dict("records")


def run_sql(model, X):
    connection = sqlite3.connect(":memory:")
    X.astype(object).where(X.notna(), None).to_sql("rows", connection, index=False)
    return pd.read_sql(model.to_sql(table="rows"), connection)


def run_python(model):
    source = model.to_python()
    assert "import" not in source.replace("import math", "")
    namespace = {}
    exec(source, namespace)
    return namespace


def scores_of(model, X):
    return model.predict(X)[:, None] if not hasattr(model, "classes_") else (
        model.decision_function(X).reshape(len(X), -1)
    )


# -- the growth against its definition and against FIGS ---------------------------------
@pytest.mark.parametrize(("task", "l2", "min_gain"), [
    ("regression", 0.0, 0.0), ("regression", 3.0, 1e-4), ("binary", 5.0, 1e-4), ("multiclass", 5.0, 0.0),
    ("binary", 0.5, 0.0), ("regression", 0.0, 0.03), ("binary", 5.0, 0.02), ("multiclass", 5.0, 0.02),
])
def test_growth_follows_the_definition_step_by_step(task, l2, min_gain):
    X, y = continuous(task=task)
    history = reference_growth(X, y, task, l2, max_splits=8, min_gain=min_gain)
    model_class = TreeSumRegressor if task == "regression" else TreeSumClassifier
    if min_gain >= 0.01:
        assert len(history) - 1 < 8  # the cases where min_gain stops the growth
    for splits in range(min(len(history) + 1, 9)):  # one more than it grew, when it stopped
        model = model_class(max_splits=splits, l2_regularization=l2, min_gain=min_gain, max_bins=255,
                            min_samples_leaf=1).fit(X, y)
        assert model.complexity_ == min(splits, len(history) - 1)
        np.testing.assert_allclose(scores_of(model, X), history[model.complexity_], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("task", "min_samples_leaf"), [("regression", 6), ("binary", 9), ("multiclass", 7)])
def test_growth_with_leaves_too_light_to_split_follows_the_definition(task, min_samples_leaf):
    """Leaves of fewer than twice min_samples_leaf rows are never scored again (no split of
    theirs is valid): the growth still takes the best valid split at every step, on every
    leaf that can be split, over many trees of small leaves."""
    X, y = continuous(n_samples=50, task=task, seed=3)
    history = reference_growth(X, y, task, 1.0, max_splits=14, min_samples_leaf=min_samples_leaf)
    model_class = TreeSumRegressor if task == "regression" else TreeSumClassifier
    model = model_class(max_splits=14, l2_regularization=1.0, min_gain=0.0, max_bins=255,
                        min_samples_leaf=min_samples_leaf).fit(X, y)
    assert model.complexity_ == len(history) - 1
    assert model.n_trees_ > 2
    assert min(t.n_samples[t.leaves].min() for t in model.trees_) < 2 * min_samples_leaf  # leaves that cannot split
    np.testing.assert_allclose(scores_of(model, X), history[-1], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_stops_on_separable_classes(n_classes):
    """Separable classes: the log-loss falls with every split that pushes the scores further,
    by less and less; min_gain stops it where the gain is a negligible share of the prior's
    loss, after every training row is classified right."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 10, size=(400, 3)).astype(float)
    y = np.digitize(X[:, 0], [5] if n_classes == 2 else [3, 7])
    model = TreeSumClassifier(max_splits=100).fit(X, y)
    assert model.complexity_ <= 30
    assert (model.predict(X) == y).all()
    assert TreeSumClassifier(max_splits=100, min_gain=0.0).fit(X, y).complexity_ == 100  # without the rule


def test_regressor_grows_as_imodels_figs():
    FIGSRegressor = pytest.importorskip("imodels").FIGSRegressor  # the extra `reference`, which CI installs

    X, y = continuous(n_samples=120, n_features=4, seed=3)
    for splits in (1, 3, 6, 12):
        figs = FIGSRegressor(max_rules=splits).fit(X, y)
        ours = TreeSumRegressor(max_splits=splits, max_bins=255, min_samples_leaf=1).fit(X, y)
        assert ours.n_trees_ == len(figs.trees_) and ours.complexity_ == figs.complexity_
        np.testing.assert_allclose(ours.predict(X), figs.predict(X), rtol=1e-9, atol=1e-9)


def test_first_split_is_cart_stump_on_the_target():
    from sklearn.tree import DecisionTreeRegressor

    X, y = load_diabetes(return_X_y=True)
    stump = DecisionTreeRegressor(max_depth=1).fit(X, y).tree_
    tree = TreeSumRegressor(max_splits=1, max_bins=255).fit(X, y).trees_[0]
    assert tree.feature[0] == stump.feature[0]
    left = X[:, stump.feature[0]] <= stump.threshold[0]
    np.testing.assert_array_equal(X[:, tree.feature[0]] <= tree.threshold[0], left)


# -- the budget and the trees ---------------------------------------------------------
@pytest.mark.parametrize("budget", [0, 1, 5, 20])
def test_budget_is_the_number_of_splits(budget):
    X, y = make_classification(300, 6, random_state=0)
    model = TreeSumClassifier(max_splits=budget).fit(X, y)
    assert model.complexity_ == complexity(model) == budget
    assert sum(len(t.leaves) - 1 for t in model.trees_) == budget
    assert len(model.rules_) == model.n_trees_ == len(model.trees_)


def test_zero_splits_is_one_leaf_of_the_prior(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=0).fit(X, y)
    frequencies = y.value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(model.predict_proba(X), np.tile(frequencies, (len(X), 1)), atol=1e-12)
    regressor = TreeSumRegressor(max_splits=0).fit(X, X["year"])
    np.testing.assert_allclose(regressor.predict(X), X["year"].mean())
    assert "tree 1 (0 splits)" in str(model) and model.to_sql() and run_python(model)["predict"]({})


def test_budget_larger_than_the_data_can_use_stops_early():
    X, y = [[0.0], [1.0], [2.0], [3.0]], [1.0, 1.0, 5.0, 5.0]
    model = TreeSumRegressor(max_splits=10, min_samples_leaf=1).fit(X, y)
    assert model.complexity_ == 1  # the residuals are zero after one split: nothing lowers the loss
    np.testing.assert_allclose(model.predict(X), y)


def test_max_trees_and_max_depth():
    X, y = continuous(n_samples=200, n_features=4)
    one = TreeSumRegressor(max_splits=10, max_trees=1).fit(X, y)
    assert one.n_trees_ == 1 and one.complexity_ == 10
    shallow = TreeSumRegressor(max_splits=10, max_depth=1).fit(X, y)
    assert shallow.n_trees_ == 10 and all(len(t.left) == 3 for t in shallow.trees_)
    capped = TreeSumRegressor(max_splits=3, max_depth=1, max_trees=2).fit(X, y)
    assert capped.complexity_ == 2  # two stumps, and nothing else may grow


def test_min_samples_leaf_is_respected():
    X, y = continuous(n_samples=200)
    model = TreeSumRegressor(max_splits=30, min_samples_leaf=15).fit(X, y)
    assert all((t.n_samples[t.leaves] >= 15).all() for t in model.trees_)


def test_min_samples_leaf_counts_weight_as_repeated_rows():
    X, y = continuous(n_samples=120)
    weight = np.random.default_rng(0).integers(1, 4, size=len(y))
    weighted = TreeSumRegressor(max_splits=12, max_bins=255).fit(X, y, sample_weight=weight)  # a bin per value
    repeated = TreeSumRegressor(max_splits=12, max_bins=255).fit(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9, atol=1e-9)
    assert all((t.weight[t.leaves] >= 8).all() for t in weighted.trees_)


@pytest.mark.parametrize("model_class", [TreeSumRegressor, TreeSumClassifier])
def test_default_leaves_hold_eight_rows(model_class):
    # With one row allowed, 30 splits on 200 rows of noise isolate single rows.
    X, y = continuous(n_samples=200, task="regression" if model_class is TreeSumRegressor else "binary")
    model = model_class(max_splits=30).fit(X, y)
    assert all((t.n_samples[t.leaves] >= 8).all() for t in model.trees_)
    loose = model_class(max_splits=30, min_samples_leaf=1).fit(X, y)
    assert min(t.n_samples[t.leaves].min() for t in loose.trees_) < 8


def test_split_values_are_weighted_means_of_their_leaves():
    X, y = continuous(n_samples=200)
    model = TreeSumRegressor(max_splits=10).fit(X, y)
    for tree in model.trees_:
        split = np.flatnonzero(tree.left >= 0)
        a, b = tree.left[split], tree.right[split]
        mean = (tree.weight[a, None] * tree.value[a] + tree.weight[b, None] * tree.value[b]) / tree.weight[split, None]
        np.testing.assert_allclose(tree.value[split], mean, rtol=1e-12)
        # the root is the tree's mean over the training rows
        np.testing.assert_allclose(tree.value[0], tree.value[tree.apply(X)].mean(axis=0), rtol=1e-9, atol=1e-9)


# -- explanations ---------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), budget=st.integers(0, 12), task=st.sampled_from(["regression", "binary", "multiclass"]))
def test_local_contributions_add_up_to_the_score(seed, budget, task):
    X, y = continuous(n_samples=80, n_features=3, seed=seed, task=task)
    model = (TreeSumRegressor if task == "regression" else TreeSumClassifier)(max_splits=budget).fit(X, y)
    score = scores_of(model, X)
    for by in ("feature", "tree"):
        exp = model.explain(X, by=by)
        np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), score, rtol=1e-9, atol=1e-9)
    by_tree = model.explain(X, by="tree").values
    for t, tree in enumerate(model.trees_):
        np.testing.assert_allclose(by_tree[:, t], tree.value[tree.apply(X)] - tree.value[0], atol=1e-12)


def test_contributions_follow_each_path(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=6).fit(X, y)
    values = model.explain(X.iloc[:20]).values
    encoded = model._encode(X.iloc[:20])
    expected = np.zeros_like(values)
    for tree in model.trees_:
        for i, leaf in enumerate(tree.apply(encoded)):
            node = leaf
            while tree.parent[node] >= 0:
                parent = tree.parent[node]
                expected[i, tree.feature[parent]] += tree.value[node] - tree.value[parent]
                node = parent
    np.testing.assert_allclose(values, expected, atol=1e-12)
    unused = [j for j in range(X.shape[1]) if all(j not in t.feature for t in model.trees_)]
    assert unused and not values[:, unused].any()


def test_global_explanation_is_the_mean_absolute_contribution(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=6).fit(X, y)
    local = model.explain(X)
    np.testing.assert_allclose(model.explain().values, np.abs(local.values).mean(axis=0), rtol=1e-12)
    by_tree = np.abs(model.explain(X, by="tree").values).mean(axis=0)
    np.testing.assert_allclose(model.explain(by="tree").values, by_tree, rtol=1e-12)
    assert list(model.explain(by="tree").feature_names) == [f"tree {t + 1}" for t in range(model.n_trees_)]
    np.testing.assert_allclose(model.feature_importances_.sum(), 1.0)


def test_tree_explanation_data_holds_the_leaf_rules(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=4).fit(X, y)
    exp = model.explain(X.iloc[:10], by="tree")
    table = model.leaf_rules()
    leaves = model.apply(X.iloc[:10])
    for t in range(model.n_trees_):
        assert list(exp.data[:, t]) == [table.loc[(t + 1, leaf), "rule"] for leaf in leaves[:, t]]


# -- exports ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression"])
def test_sql_and_python_exports_match_predict(penguins, kind):
    X, y = penguins
    if kind == "binary":
        y = y.where(y == "Adelie", "other")
    if kind == "regression":
        X, y = X.dropna(subset=["body_mass_g"]), None
        X, y = X.drop(columns="body_mass_g"), X["body_mass_g"]
        model = TreeSumRegressor(max_splits=12).fit(X, y)
    else:
        model = TreeSumClassifier(max_splits=12).fit(X, y)
    rows = X.assign(island=X["island"].where(X.index % 17 != 0, "Atlantis"))  # unseen categories too
    result = run_sql(model, rows)
    namespace = run_python(model)
    records = as_records(rows)
    if kind == "regression":
        np.testing.assert_allclose(result["prediction"], model.predict(rows), rtol=1e-12)
        np.testing.assert_allclose([namespace["predict"](r) for r in records], model.predict(rows), rtol=1e-12)
        return
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(result[[f"proba_{c}" for c in model.classes_]], proba, rtol=1e-9, atol=1e-12)
    assert result["prediction"].astype(str).tolist() == model.predict(rows).astype(str).tolist()
    np.testing.assert_allclose([namespace["predict_proba"](r) for r in records], proba, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([namespace["decision_function"](r) for r in records], model.decision_function(rows),
                               rtol=1e-12)
    assert [namespace["predict"](r) for r in records] == model.predict(rows).tolist()


def test_text_shows_every_tree_and_how_they_add_up(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=5).fit(X, y)
    text = model.to_text()
    assert text.startswith("score of each class = " + " + ".join(f"tree {t + 1}" for t in range(model.n_trees_)))
    assert str(model) == text
    assert sum(line.startswith("tree ") and "split" in line for line in text.splitlines()) == model.n_trees_
    first_leaf = model.trees_[0].leaves[0]
    values = ", ".join(f"{c} {v:+.4g}" for c, v in zip(model.classes_, model.trees_[0].value[first_leaf]))
    assert f"values: {values}" in text
    regressor = TreeSumRegressor(max_splits=2).fit([[0.0], [1.0], [2.0], [3.0]], [1.0, 2.0, 5.0, 6.0])
    assert regressor.to_text().splitlines()[0] == "prediction = tree 1"


def test_leaf_rules_table(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=5).fit(X, y)
    table = model.leaf_rules()
    assert list(table.columns) == ["rule", "n_samples", *(f"value({c})" for c in model.classes_)]
    assert len(table) == sum(len(t.leaves) for t in model.trees_)
    leaves = model.apply(X)
    scores = sum(table.xs(t + 1, level="tree").iloc[leaves[:, t], 2:].to_numpy() for t in range(model.n_trees_))
    np.testing.assert_allclose(scores, model.decision_function(X), atol=1e-12)


# -- missing values and categories -------------------------------------------------
def test_missingness_itself_can_be_the_split():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    missing = rng.random(200) < 0.3
    X[missing, 0] = np.nan
    model = TreeSumClassifier(max_splits=1).fit(X, missing.astype(int))
    tree = model.trees_[0]
    assert tree.op[0] == "not missing" and tree.feature[0] == 0
    assert "x0 is missing" in model.to_text() and "x0 is not missing" in model.to_text()
    assert (model.predict(X) == missing).all()


def test_missing_values_go_where_they_fit_best_or_to_the_larger_child():
    rng = np.random.default_rng(1)
    x = rng.normal(size=400)
    y = (x > 0.5).astype(float)
    x_missing = x.copy()
    x_missing[rng.random(400) < 0.2] = np.nan
    y[np.isnan(x_missing)] = 1.0  # missing rows look like the right side
    model = TreeSumRegressor(max_splits=1).fit(x_missing[:, None], y)
    assert model.trees_[0].missing_left[0] == False  # noqa: E712 (numpy bool)
    clean = TreeSumRegressor(max_splits=1).fit(x[:, None], (x > 1.0).astype(float))
    larger = clean.trees_[0].n_samples[1] >= clean.trees_[0].n_samples[2]
    assert clean.trees_[0].missing_left[0] == larger
    assert clean.predict([[np.nan]])[0] == clean.predict([[-10.0]] if larger else [[10.0]])[0]


def test_unseen_category_follows_every_not_equal_branch(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=12).fit(X, y)
    on_island = [(t, n) for t, tree in enumerate(model.trees_) for n in np.flatnonzero(tree.op == "!=")
                 if model._feature_schema.feature_names[tree.feature[n]] == "island"]
    assert on_island
    rows = X.assign(island="Atlantis")
    encoded = model._encode(rows)
    for t, node in on_island:  # every row with an unseen island takes the != (left) branch
        tree = model.trees_[t]
        assert (encoded[:, tree.feature[node]] != tree.threshold[node]).all()
    assert np.isfinite(model.predict_proba(rows)).all()


def test_zero_weights_are_dropped_rows(penguins):
    X, y = penguins
    weight = np.where(np.arange(len(X)) % 5 == 0, 0.0, 1.0)
    weighted = TreeSumClassifier(max_splits=10).fit(X, y, sample_weight=weight)
    kept = weight > 0
    dropped = TreeSumClassifier(max_splits=10).fit(X[kept], y[kept])
    np.testing.assert_allclose(weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-9, atol=1e-12)


# -- TreeSHAP reads the sum -----------------------------------------------------------
def brute_force_shapley(predict, x, background):
    """Interventional Shapley values of a row, enumerating every coalition; (p, o)."""
    n_features = len(x)
    masks = np.array(list(product([False, True], repeat=n_features)))
    hybrids = np.concatenate([np.where(mask, x, background) for mask in masks])
    values = np.asarray(predict(hybrids), dtype=float).reshape(len(masks), len(background), -1).mean(axis=1)
    index = {tuple(mask): i for i, mask in enumerate(masks)}
    phi = np.zeros((n_features, values.shape[1]))
    for mask in masks:
        size = int(mask.sum())
        for j in np.flatnonzero(~mask):
            with_j = mask.copy()
            with_j[j] = True
            weight = factorial(size) * factorial(n_features - size - 1) / factorial(n_features)
            phi[j] += weight * (values[index[tuple(with_j)]] - values[index[tuple(mask)]])
    return phi


@pytest.mark.parametrize("kind", ["regression", "multiclass"])
def test_tree_shapley_values_equal_the_brute_force(penguins, kind):
    X, y = penguins
    X = X.drop(columns=["year", "sex"])
    if kind == "regression":
        X, y = X.drop(columns="body_mass_g").assign(species=y), X["body_mass_g"]
        keep = y.notna()
        X, y = X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
        model = TreeSumRegressor(max_splits=10).fit(X, y)
    else:
        model = TreeSumClassifier(max_splits=10).fit(X, y)
    background = X.iloc[100:108]
    explainer = ShapleyExplainer(model, method="tree", background=background).fit(X)
    exp = explainer.explain(X.iloc[:4])
    schema = model._feature_schema

    def predict(Z):
        rows = schema.decode(Z)
        return model.predict(rows) if kind == "regression" else model.decision_function(rows)

    encoded, encoded_background = model._encode(X.iloc[:4]), model._encode(background)
    for i in range(4):
        expected = brute_force_shapley(predict, encoded[i], encoded_background)
        np.testing.assert_allclose(exp.values[i], expected, atol=1e-9)


def test_path_dependent_tree_shapley_values_equal_the_brute_force(penguins):
    X, y = penguins
    X = X.drop(columns=["year", "sex"])
    model = TreeSumClassifier(max_splits=10).fit(X, y)
    explainer = ShapleyExplainer(model, method="tree", feature_perturbation="tree_path_dependent").fit(X)
    exp = explainer.explain(X.iloc[:3])
    encoded = model._encode(X.iloc[:3])

    def expectation(tree, x, known):  # E[tree | x on the known features], the training weight elsewhere
        def visit(node):
            if tree.left[node] < 0:
                return tree.value[node]
            if not known[tree.feature[node]]:
                a, b = tree.left[node], tree.right[node]
                return (tree.weight[a] * visit(a) + tree.weight[b] * visit(b)) / tree.weight[node]
            v = x[tree.feature[node]]
            if np.isnan(v):
                left = tree.missing_left[node]
            else:
                left = v != tree.threshold[node] if tree.op[node] == "!=" else v <= tree.threshold[node]
            return visit(tree.left[node] if left else tree.right[node])

        return visit(0)

    n_features = X.shape[1]
    masks = list(product([False, True], repeat=n_features))
    for i in range(3):
        game = {m: sum(expectation(t, encoded[i], np.array(m)) for t in model.trees_) for m in masks}
        expected = np.zeros((n_features, len(model.classes_)))
        for mask in masks:
            for j in np.flatnonzero(~np.array(mask)):
                with_j = tuple(True if k == j else mask[k] for k in range(n_features))
                size = sum(mask)
                weight = factorial(size) * factorial(n_features - size - 1) / factorial(n_features)
                expected[j] += weight * (game[with_j] - game[mask])
        np.testing.assert_allclose(exp.values[i], expected, atol=1e-9)


# -- bad input --------------------------------------------------------------------------
def test_constant_column_is_never_split_and_has_no_importance():
    X, y = continuous(n_samples=150)
    X = np.column_stack([X, np.full(150, 7.0)])
    model = TreeSumRegressor(max_splits=20).fit(X, y)
    assert all(3 not in tree.feature for tree in model.trees_)
    assert model.feature_importances_[3] == 0


def test_column_with_a_single_present_value_can_only_split_on_missingness():
    X, y = continuous(n_samples=150)
    lonely = np.full(150, np.nan)
    lonely[7] = 1.0
    X = np.column_stack([X, lonely])
    model = TreeSumRegressor(max_splits=40).fit(X, y)
    ops = {tree.op[node] for tree in model.trees_ for node in np.flatnonzero(tree.feature == 3)}
    assert ops <= {"not missing"}
    assert np.isfinite(model.predict(X)).all()
    assert np.isfinite(model.predict(np.column_stack([X[:, :3], np.full(150, 2.0)]))).all()


@pytest.mark.parametrize(
    ("params", "name"),
    [({"max_splits": -1}, "max_splits"), ({"max_trees": 0}, "max_trees"), ({"max_depth": 0}, "max_depth"),
     ({"shrinkage": "often"}, "shrinkage"), ({"shrinkage": -1.0}, "shrinkage"), ({"max_bins": 1}, "max_bins"),
     ({"min_samples_leaf": 0}, "min_samples_leaf"), ({"l2_regularization": -1.0}, "l2_regularization"),
     ({"min_gain": -0.1}, "min_gain"), ({"min_gain": 1.5}, "min_gain")],
)
def test_invalid_parameters_name_the_parameter(params, name):
    with pytest.raises(InvalidParameterError, match=name):
        TreeSumClassifier(**params).fit([[0.0], [1.0]], [0, 1])


def test_other_bad_input_is_a_clear_error(penguins):
    X, y = penguins
    with pytest.raises(ValueError, match="at least 2 classes"):
        TreeSumClassifier().fit(X, np.zeros(len(X)))
    model = TreeSumClassifier(max_splits=3).fit(X, y)
    with pytest.raises(ValueError, match="by must be 'feature' or 'tree'"):
        model.explain(X, by="term")
    with pytest.raises(ValueError, match="needs a numeric target"):
        TreeSumRegressor().fit(X, y)
    with pytest.raises(ValueError, match="shrinkage='cv'.*at least 2 rows of every class"):
        TreeSumClassifier(shrinkage="cv").fit([[0.0], [1.0], [2.0]], [0, 0, 1])


def test_columns_are_matched_by_name_and_categories_as_themselves(penguins):
    X, y = penguins
    model = TreeSumClassifier(max_splits=8).fit(X, y)
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_allclose(model.predict_proba(shuffled), model.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(model.predict(X)) <= set(y.unique())



@pytest.mark.parametrize("n_columns", [1, 3, 7])
@pytest.mark.parametrize("per_tree", [False, True])
def test_histograms_are_the_brute_force_sums_counted_either_way(monkeypatch, n_columns, per_tree):
    """The histogram of (slot, column, bin) sums, counted in one np.bincount or one per
    column, equals the sums of a loop over rows, trees and features, to the bit for either,
    whether every tree's slots get the rows' values or each tree its own values."""
    from glassbox.models import _treesum_growth

    rng = np.random.default_rng(n_columns)
    n_rows, n_features, n_bins = 50, 4, 7
    codes = rng.integers(0, n_bins, size=(n_rows, n_features)) + n_bins * np.arange(n_features)
    slots = rng.integers(-1, 5, size=(3, n_rows))  # three trees; -1: the row is in no slot
    values = rng.normal(size=(3, n_rows, n_columns) if per_tree else (n_rows, n_columns))
    expected = np.zeros((6, n_columns, n_features * n_bins))
    for t, i, j in product(range(3), range(n_rows), range(n_features)):
        if slots[t, i] >= 0:
            expected[slots[t, i], :, codes[i, j]] += values[t, i] if per_tree else values[i]
    counted = []
    for limit in (0, 10**9):  # one bincount per column, then one for all
        monkeypatch.setattr(_treesum_growth, "_ONE_COUNT_CELLS", limit)
        hist = _treesum_growth._Histograms(n_features * n_bins, n_columns, capacity=6)
        touched = hist.add(slots, codes, values)
        np.testing.assert_array_equal(touched, np.unique(slots[slots >= 0]))
        np.testing.assert_allclose(hist.A, expected, rtol=1e-12, atol=1e-12)
        counted.append(hist.A)
    np.testing.assert_array_equal(counted[0], counted[1])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), budget=st.integers(1, 10), task=st.sampled_from(["regression", "binary", "multiclass"]),
       zero_weights=st.booleans())
def test_training_leaves_of_the_growth_are_those_apply_finds(seed, budget, task, zero_weights):
    """fit reads each training row's leaf from the growth, not from apply: both must agree on
    every row (missing values, categories, rows of zero weight, whose values the bins never
    saw), and so must the training importances computed either way, to the bit."""
    rng = np.random.default_rng(seed)
    n = 80
    X = pd.DataFrame({
        "a": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "b": rng.integers(0, 4, n).astype(float),
        "c": np.where(rng.random(n) < 0.1, None, rng.choice(["x", "y", "z"], n)).astype(object),
    })
    y = X["a"].fillna(0) + (X["c"] == "x") + rng.normal(scale=0.3, size=n)
    if task != "regression":
        y = pd.cut(y, 2 if task == "binary" else 3, labels=False)
    w = np.where(rng.random(n) < 0.2, 0.0, 1.0) if zero_weights else None
    if zero_weights:
        X.loc[w == 0, "a"] *= 10  # beyond the range the bins were learnt on
    model_class = TreeSumRegressor if task == "regression" else TreeSumClassifier
    model = model_class(max_splits=budget, min_samples_leaf=3).fit(X, y, sample_weight=w)
    from glassbox.models import _treesum_base, _treesum_growth

    X_encoded = model._encode(X)
    grown = _treesum_growth.grow_tree_sum(
        _treesum_base.apply_bins(model.bins_, X_encoded), model.bins_, *_growth_inputs(model, y, w, len(X)),
        max_splits=budget, max_trees=None, max_depth=None, min_samples_leaf=3, min_gain=model.min_gain,
    )
    for tree, nodes in zip(grown, model.trees_):
        np.testing.assert_array_equal(tree.row_leaf, nodes.apply(X_encoded))
    weights = np.ones(n) if w is None else w
    by_apply = model._training_importances(X_encoded, weights)
    np.testing.assert_array_equal(by_apply[0], model._importances)
    np.testing.assert_array_equal(by_apply[1], model._tree_importances)


def _growth_inputs(model, y, w, n):
    """The target, weights and loss that fit hands the growth."""
    from glassbox.models._treesum_growth import make_loss

    Y, loss_name = model._target(y, n)
    return Y, np.ones(n) if w is None else w, make_loss(loss_name, model.l2_regularization)


def test_softmax_and_log_softmax_are_scipys_to_the_bit():
    """The growth (and the linear solver) take the (log-)softmax without scipy's dispatch: the same arithmetic, so
    the same bits, on ordinary, large and infinite scores."""
    from scipy.special import log_softmax

    from glassbox._core import softmax_rows
    from glassbox.models._treesum_growth import _log_softmax

    rng = np.random.default_rng(0)
    F = rng.normal(scale=30, size=(200, 4))
    F[0] = [1e308, -1e308, 0.0, 5.0]
    F[1, 2] = -np.inf
    np.testing.assert_array_equal(softmax_rows(F[1:]), softmax(F[1:], axis=1))
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_array_equal(_log_softmax(F), log_softmax(F, axis=1))


def test_histograms_count_a_second_group_with_more_columns(monkeypatch):
    """The other trees' slots get the change of the gradient columns only and the new leaves
    every column, in one count: the sums of a loop over rows, either way of counting."""
    from glassbox.models import _treesum_growth

    rng = np.random.default_rng(1)
    n_rows, n_features, n_bins = 40, 3, 5
    codes = rng.integers(0, n_bins, size=(n_rows, n_features)) + n_bins * np.arange(n_features)
    others = rng.integers(-1, 4, size=(2, n_rows))  # two other trees: slots 0..3
    children = rng.integers(4, 6, size=n_rows)  # the new leaves: slots 4 and 5
    change, full = rng.normal(size=(n_rows, 2)), rng.normal(size=(n_rows, 3))
    expected = np.zeros((6, 3, n_features * n_bins))
    for i, j in product(range(n_rows), range(n_features)):
        for t in range(2):
            if others[t, i] >= 0:
                expected[others[t, i], :2, codes[i, j]] += change[i]
        expected[children[i], :, codes[i, j]] += full[i]
    counted = []
    for limit in (0, 10**9):
        monkeypatch.setattr(_treesum_growth, "_ONE_COUNT_CELLS", limit)
        hist = _treesum_growth._Histograms(n_features * n_bins, 3, capacity=6)
        touched = hist.add(others, codes, change, more=(children, full))
        np.testing.assert_array_equal(touched, np.unique(np.r_[others[others >= 0], children]))
        np.testing.assert_array_equal(hist.dirty, np.isin(np.arange(6), touched))
        np.testing.assert_allclose(hist.A, expected, rtol=1e-12, atol=1e-12)
        counted.append(hist.A)
    np.testing.assert_array_equal(counted[0], counted[1])


def brute_force_best_split(A, n_bins, categorical, had_missing, n_outputs, min_samples_leaf, l2):
    """The best split of one slot's histogram ``A`` (n_columns, n_bins), candidate by
    candidate with explicit sums: ``(gain, flat bin, missing_left)``, or ``None``."""
    from glassbox.models._treesum_growth import _TIE_TOLERANCE

    def score(sums):
        return float((sums[:n_outputs] ** 2 / (sums[n_outputs:-1] + l2)).sum())

    total = A[:, :n_bins[0]].sum(axis=1)
    least = min_samples_leaf * (1 - _TIE_TOLERANCE)
    sides = ([], [])  # (score, flat bin, left sums): missing values right, then left
    offset = 0
    for nb, is_cat, has_missing in zip(n_bins, categorical, had_missing):
        missing = offset + nb - 1
        present = A[:, offset:missing].sum(axis=1)
        for local in range(nb - 1):
            flat = offset + local
            if is_cat:
                left = present - A[:, flat]
            elif local == nb - 2:
                continue  # every present value left: the missingness split below
            else:
                left = A[:, offset:flat + 1].sum(axis=1)
            for side, sums in enumerate([left, left + A[:, missing]] if has_missing else [left]):
                if min(sums[-1], total[-1] - sums[-1]) >= least:
                    sides[side].append((score(sums) + score(total - sums), flat, sums))
        if min(present[-1], total[-1] - present[-1]) >= least:
            sides[0].append((score(present) + score(total - present), missing, present))
        offset += nb

    def first_best(candidates):
        if not candidates:
            return None
        top = max(c[0] for c in candidates)
        return next(c for c in candidates if c[0] >= top - _TIE_TOLERANCE * abs(top))

    right, left = first_best(sides[0]), first_best(sides[1])
    if right is None and left is None:
        return None
    to_left = left is not None and (right is None or left[0] > right[0] + _TIE_TOLERANCE * abs(right[0]))
    best_score, flat, sums = left if to_left else right
    feature = np.searchsorted(np.cumsum(n_bins), flat, side="right")
    missing = int(np.cumsum(n_bins)[feature] - 1)
    if A[-1, missing] == 0:  # no missing value in the leaf: they go to the larger child
        to_left = sums[-1] >= total[-1] - sums[-1]
    return best_score - score(total), flat, bool(to_left)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_outputs=st.sampled_from([1, 3]), constant_hessian=st.booleans(),
       n_features=st.integers(1, 4), min_samples_leaf=st.integers(1, 6), l2=st.sampled_from([0.0, 2.0]))
def test_all_slots_scored_at_once_equal_the_brute_force_of_each(seed, n_outputs, constant_hessian, n_features,
                                                                min_samples_leaf, l2):
    """One vectorised pass over every slot's histograms finds, for each slot, the best split
    that a loop over every candidate (thresholds, levels, missingness; missing values either
    way) finds from explicit sums: the same gain, bin and side of the missing values."""
    from types import SimpleNamespace

    from glassbox.models._treesum_growth import _best_splits, _Layout

    rng = np.random.default_rng(seed)
    n_bins = rng.integers(2, 7, size=n_features) + 1  # value bins, then the missing bin
    categorical = rng.random(n_features) < 0.4
    had_missing = rng.random(n_features) < 0.5
    layout = _Layout.from_bins(SimpleNamespace(n_bins=n_bins, is_categorical=categorical), had_missing)
    n_slots, n_rows = 5, 30
    n_columns = n_outputs + (1 if constant_hessian else n_outputs) + 1
    A = np.zeros((n_slots, n_columns, layout.n_bins))
    for s in range(n_slots):  # each slot: rows with random bins, gradients, hessians and weights
        rows = rng.integers(4, n_rows)
        codes = [rng.integers(0, nb - (0 if m and rng.random() < 0.6 else 1), size=rows) + o
                 for nb, m, o in zip(n_bins, had_missing, layout.offset)]
        g = rng.normal(size=(rows, n_outputs))
        w = rng.integers(1, 3, size=rows).astype(float)
        h = w[:, None] if constant_hessian else w[:, None] * rng.uniform(0.05, 0.25, size=(rows, n_outputs))
        values = np.hstack([g, h, w[:, None]])
        for code in codes:
            np.add.at(A[s].T, code, values)
    with np.errstate(divide="ignore", invalid="ignore"):
        best = _best_splits(A, layout, n_outputs, min_samples_leaf, l2)
    for s in range(n_slots):
        expected = brute_force_best_split(A[s], n_bins, categorical, had_missing, n_outputs, min_samples_leaf, l2)
        if expected is None:
            assert best.gain[s] == -np.inf
            continue
        gain, flat, missing_left = expected
        np.testing.assert_allclose(best.gain[s], gain, rtol=1e-9, atol=1e-9)
        assert (best.bin[s], best.missing_left[s]) == (flat, missing_left)
        np.testing.assert_allclose(best.left[s] + best.right[s], A[s, :, :n_bins[0]].sum(axis=1), rtol=1e-9, atol=1e-9)
