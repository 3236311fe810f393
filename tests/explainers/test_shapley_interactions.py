"""SHAP interaction values against the Shapley interaction index enumerated from its definition.

The reference enumerates every coalition of the game (interventional: the model on
hybrid rows averaged over the background; path-dependent: each tree's conditional
expectation following the training cover, written in ``test_treeshap``) and applies

    Phi_ij = sum_{S in N - ij} |S|! (M - |S| - 2)! / (2 (M - 1)!) [v(S+ij) - v(S+i) - v(S+j) + v(S)]

with the main effect ``Phi_ii = phi_i - sum_{j != i} Phi_ij`` and ``phi`` enumerated too.
"""

import importlib.util
from math import factorial
from pathlib import Path
from unittest import mock

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.explainers import InteractionExplanation, ShapleyExplainer
from glassbox.explainers._treeshap import TreeShap, _interactions
from glassbox.explainers._treeshap._interactions import TreeInteractions
from glassbox.models import TreeClassifier

_spec = importlib.util.spec_from_file_location("treeshap_references", Path(__file__).with_name("test_treeshap.py"))
refs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refs)


# ---------------------------------------------------------------------------------------
# The index from its definition
# ---------------------------------------------------------------------------------------


def interaction_index(v, p):
    """Interaction values (p, p, o) of the game v (2**p, o) indexed by coalition bit mask."""
    phi = refs.shapley_from_game(v, p)
    Phi = np.zeros((p, p) + v.shape[1:])
    for i in range(p):
        for j in range(p):
            if i == j:
                continue
            for S in range(2**p):
                if S >> i & 1 or S >> j & 1:
                    continue
                s = bin(S).count("1")
                weight = factorial(s) * factorial(p - s - 2) / (2 * factorial(p - 1))
                Phi[i, j] += weight * (v[S | 1 << i | 1 << j] - v[S | 1 << i] - v[S | 1 << j] + v[S])
    for i in range(p):
        Phi[i, i] = phi[i] - Phi[i].sum(axis=0)
    return Phi


def interventional_game(output, x, background, weights):
    p = len(x)
    masks = refs.coalition_masks(p)
    hybrids = np.where(masks[:, None, :], x, background[None, :, :]).reshape(-1, p)
    outputs = np.asarray(output(hybrids), dtype=float).reshape(len(masks), len(background), -1)
    return np.einsum("mbo,b->mo", outputs, weights)


def path_dependent_game(trees, x, float32=True):
    values = [sum(refs.conditional_expectation(t, x, known, float32) for t in trees)
              for known in refs.coalition_masks(len(x))]
    return np.asarray(values).reshape(2 ** len(x), -1)


def tree_interactions(model, X, background=None, weights=None):
    """Full interaction values of the tree module: off-diagonal pass plus TreeSHAP's values."""
    off = TreeInteractions(model, background=background, background_weights=weights).explain(X)
    phi, _ = TreeShap(model, background=background, background_weights=weights).explain(X)
    p = X.shape[1]
    off[:, np.arange(p), np.arange(p)] = phi - off.sum(axis=2)
    return off


# ---------------------------------------------------------------------------------------
# Tree method against enumeration
# ---------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(refs.small_problems(), st.sampled_from([0, 10]))
def test_random_small_trees_equal_the_enumerated_index(problem, graded_bits):
    # graded_bits=0: every interventional leaf goes through its background patterns one by one.
    model, X, background, weights = problem
    with mock.patch.object(_interactions, "_MAX_GRADED_BITS", graded_bits):
        check_small_problem(model, X, background, weights)


def check_small_problem(model, X, background, weights):
    x = X[:3]
    p = X.shape[1]
    ours = tree_interactions(model, x)
    trees = refs.forest_trees(model)
    for i in range(len(x)):
        expected = interaction_index(path_dependent_game(trees, x[i]), p)
        np.testing.assert_allclose(ours[i], expected, rtol=0, atol=1e-9)
    ours = tree_interactions(model, x, background, weights)
    for i in range(len(x)):
        expected = interaction_index(interventional_game(model.predict, x[i], background, weights), p)
        np.testing.assert_allclose(ours[i], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["forest-multiclass", "gb-multiclass", "hgb-missing", "forest-missing"])
def test_interventional_multiclass_and_missing_equal_the_enumerated_index(name):
    model, X = refs.fitted(name)
    output = model.decision_function if name.startswith(("gb", "hgb")) and hasattr(model, "classes_") else (
        model.predict_proba if hasattr(model, "classes_") else model.predict)
    background, weights = X[:6], np.full(6, 1 / 6)
    ours = tree_interactions(model, X[10:12], background, weights)
    for i in range(2):
        expected = interaction_index(interventional_game(output, X[10 + i], background, weights), X.shape[1])
        np.testing.assert_allclose(ours[i], expected.reshape(ours[i].shape), rtol=0, atol=1e-9)


def test_path_dependent_multiclass_equals_the_enumerated_index():
    model, X = refs.fitted("forest-multiclass")
    ours = tree_interactions(model, X[:2])
    trees = refs.forest_trees(model)
    for i in range(2):
        np.testing.assert_allclose(ours[i], interaction_index(path_dependent_game(trees, X[i]), X.shape[1]),
                                   rtol=0, atol=1e-10)


@pytest.mark.parametrize("graded_bits", [0, 10])
def test_deep_paths_with_many_features_keep_the_index(graded_bits, monkeypatch):
    # Leaves with up to 8 distinct path features and a background of repeated patterns.
    monkeypatch.setattr(_interactions, "_MAX_GRADED_BITS", graded_bits)
    X, y = make_regression(400, 8, n_informative=8, random_state=1)
    model = RandomForestRegressor(3, max_depth=12, random_state=0).fit(X, y)
    background = np.repeat(X[:5], 3, axis=0)
    weights = np.full(15, 1 / 15)
    ours = tree_interactions(model, X[20:21], background, weights)[0]
    expected = interaction_index(interventional_game(model.predict, X[20], background, weights), 8)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-8)
    trees = refs.forest_trees(model)
    ours = tree_interactions(model, X[20:21])[0]
    np.testing.assert_allclose(ours, interaction_index(path_dependent_game(trees, X[20]), 8), rtol=0, atol=1e-8)


# ---------------------------------------------------------------------------------------
# Through ShapleyExplainer: the contract
# ---------------------------------------------------------------------------------------


def check_adds_up(explainer, X, inter):
    shap = explainer.explain(X)
    np.testing.assert_allclose(inter.values.sum(axis=2), shap.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(inter.output(), shap.output(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(inter.values, inter.values.transpose(0, 2, 1, 3), rtol=0, atol=1e-12)


@pytest.mark.parametrize("perturbation", ["interventional", "tree_path_dependent"])
def test_tree_method_on_a_multiclass_forest_adds_up(perturbation):
    X, y = make_classification(200, 5, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=list("abcde"))
    model = RandomForestClassifier(10, max_depth=5, random_state=0).fit(X, y)
    explainer = ShapleyExplainer(model, background=20, feature_perturbation=perturbation, random_state=0).fit(X)
    inter = explainer.explain_interactions(X.iloc[:6])
    assert isinstance(inter, InteractionExplanation) and inter.shape == (6, 5, 5, 3)
    assert list(inter.feature_names) == list("abcde") and list(inter.output_names) == [0, 1, 2]
    np.testing.assert_allclose(inter.output(), model.predict_proba(X.iloc[:6]), rtol=0, atol=1e-9)
    check_adds_up(explainer, X.iloc[:6], inter)


def test_tree_method_with_categories_and_missing_values_equals_the_enumerated_index():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=300), "colour": pd.Categorical(rng.choice(["red", "blue", "green"], 300)),
                      "age": rng.normal(size=300)})
    X.loc[rng.random(300) < 0.2, "age"] = np.nan
    y = (X["colour"] == "red") * X["size"] + np.nan_to_num(X["age"].to_numpy()) * (X["size"] > 0)
    model = HistGradientBoostingRegressor(max_iter=20, categorical_features="from_dtype", random_state=0).fit(X, y)
    explainer = ShapleyExplainer(model, background=X.iloc[:8], method="tree").fit(X)
    rows = X.iloc[40:43]
    inter = explainer.explain_interactions(rows)
    check_adds_up(explainer, rows, inter)
    assert inter.data[0, 1] == X["colour"].iloc[40]  # shown as the category, not its code
    predict = lambda Z: model.predict(pd.DataFrame(Z, columns=X.columns).astype({"colour": X["colour"].dtype}))  # noqa: E731
    background = X.iloc[:8].astype(object).to_numpy()
    for i in range(3):
        expected = interaction_index(
            interventional_game(predict, rows.iloc[i].astype(object).to_numpy(), background, np.full(8, 1 / 8)), 3)
        np.testing.assert_allclose(inter.values[i], expected, rtol=0, atol=1e-9)


def test_glassbox_tree_with_categories_adds_up():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=200), "kind": pd.Categorical(rng.choice(["a", "b", "c"], 200))})
    X.loc[rng.random(200) < 0.1, "x"] = np.nan
    y = ((X["kind"] == "a") ^ (X["x"].fillna(0) > 0)).astype(int)
    model = TreeClassifier(max_leaf_nodes=8).fit(X, y)
    explainer = ShapleyExplainer(model, feature_perturbation="tree_path_dependent").fit(X)
    inter = explainer.explain_interactions(X.iloc[:10])
    check_adds_up(explainer, X.iloc[:10], inter)
    assert np.abs(inter.values[:, 0, 1]).max() > 0  # the model is an interaction


def test_gradient_boosting_binary_explains_the_raw_score():
    X, y = make_classification(200, 4, n_informative=3, n_redundant=0, random_state=0)
    model = GradientBoostingClassifier(n_estimators=15, random_state=0).fit(X, y)
    explainer = ShapleyExplainer(model, feature_perturbation="tree_path_dependent").fit(X)
    inter = explainer.explain_interactions(X[:5])
    np.testing.assert_allclose(inter.output()[:, 0], model.decision_function(X[:5]), rtol=0, atol=1e-9)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 5), st.integers(0, 2**16))
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exact_method_equals_the_enumerated_index(p, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, p))
    y = X[:, 0] * X[:, -1] + np.sin(X).sum(axis=1)
    model = MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=seed % 100).fit(X, y)
    explainer = ShapleyExplainer(model, method="exact", background=5, random_state=seed).fit(X)
    inter = explainer.explain_interactions(X[:2])
    background, weights = explainer.background_.data, explainer.background_.weights
    for i in range(2):
        expected = interaction_index(interventional_game(model.predict, X[i], background, weights), p)
        np.testing.assert_allclose(inter.values[i], expected, rtol=0, atol=1e-9)
    check_adds_up(explainer, X[:2], inter)


def test_linear_method_has_no_interactions():
    X, y = make_regression(100, 4, random_state=0)
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    linear = ShapleyExplainer(model, method="linear").fit(X)
    inter = linear.explain_interactions(X[:4])
    off = inter.values * (1 - np.eye(4))[None, :, :, None]
    assert np.abs(off).max() == 0.0
    check_adds_up(linear, X[:4], inter)
    exact = ShapleyExplainer(model, method="exact", background=linear.background_.data).fit(X)
    np.testing.assert_allclose(exact.explain_interactions(X[:4]).values, inter.values, rtol=0, atol=1e-8)


def test_tree_method_in_a_pipeline_folds_derived_columns():
    X, y = make_regression(150, 3, random_state=0)
    model = make_pipeline(StandardScaler(), RandomForestRegressor(5, max_depth=4, random_state=0)).fit(X, y)
    explainer = ShapleyExplainer(model, method="tree", background=10, random_state=0).fit(X)
    inter = explainer.explain_interactions(X[:3])
    check_adds_up(explainer, X[:3], inter)
    expected = interaction_index(interventional_game(model.predict, X[0], explainer.background_.data,
                                                     explainer.background_.weights), 3)
    np.testing.assert_allclose(inter.values[0], expected, rtol=0, atol=1e-9)


def test_batch_size_and_n_jobs_do_not_change_values():
    X, y = make_regression(200, 5, random_state=0)
    model = RandomForestRegressor(8, max_depth=6, random_state=0).fit(X, y)
    base = TreeInteractions(model, background=X[:20]).explain(X[:30])
    with joblib.parallel_config(backend="threading"):
        chunked = TreeInteractions(model, background=X[:20]).explain(X[:30], batch_size=7, n_jobs=2)
    np.testing.assert_allclose(chunked, base, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kernel", "permutation"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sampling_methods_are_refused(method):
    X, y = make_regression(60, 3, random_state=0)
    explainer = ShapleyExplainer(MLPRegressor(max_iter=20), method=method, background=5, n_samples=20,
                                 random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"supports method='tree', 'exact' and 'linear'.*method='exact'"):
        explainer.explain_interactions(X[:2])


def test_groups_are_refused():
    X, y = make_regression(60, 3, random_state=0)
    explainer = ShapleyExplainer(LinearRegression(), method="exact", groups={"g": [0, 1]}, background=5).fit(X, y)
    with pytest.raises(ValueError, match="groups=None"):
        explainer.explain_interactions(X[:2])


def test_unfitted_and_wrong_columns():
    X, y = make_regression(60, 3, random_state=0)
    explainer = ShapleyExplainer(LogisticRegression())
    with pytest.raises(Exception, match="not fitted"):
        explainer.explain_interactions(X)
    explainer = ShapleyExplainer(RandomForestRegressor(3, max_depth=3), method="tree", background=5).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        explainer.explain_interactions(X[:, :2])


# ---------------------------------------------------------------------------------------
# The result type
# ---------------------------------------------------------------------------------------


@pytest.fixture
def interactions():
    X, y = make_regression(100, 4, random_state=0)
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, np.digitize(y, [-50, 50]))
    return ShapleyExplainer(model, method="tree", background=10, random_state=0).fit(X).explain_interactions(
        X.iloc[:7])


def test_slicing_keeps_every_axis_and_both_feature_axes(interactions):
    part = interactions[1:3, ["c", "a"], 2]
    assert part.shape == (2, 2, 2, 1)
    np.testing.assert_array_equal(part.values[:, 0, 1, 0], interactions.values[1:3, 2, 0, 2])
    assert list(part.feature_names) == ["c", "a"] and list(part.output_names) == [2]
    np.testing.assert_array_equal(part.base_values, interactions.base_values[1:3, [2]])
    np.testing.assert_array_equal(part.data, interactions.data[1:3][:, [2, 0]])
    with pytest.raises(KeyError, match="z"):
        interactions[:, "z"]
    with pytest.raises(IndexError, match="Too many"):
        interactions[0, 0, 0, 0]


def test_reductions_and_frame(interactions):
    shapley, main = interactions.shapley_values(), interactions.main_effects()
    assert shapley.shape == main.shape == (7, 4, 3)
    np.testing.assert_array_equal(main.values[:, 1], interactions.values[:, 1, 1])
    frame = interactions.to_frame()
    assert len(frame) == interactions.values.size
    assert list(frame.columns) == ["sample", "feature", "other", "output", "value"]
    row = frame[(frame["sample"] == 3) & (frame.feature == "b") & (frame.other == "d") & (frame.output == 1)]
    assert row.value.item() == interactions.values[3, 1, 3, 1]
    strength = np.abs(interactions.values[:, 0, 1:, 0]).mean(axis=0)
    assert interactions.strongest_interaction("a") == ["b", "c", "d"][int(np.argmax(strength))]
    assert "4 x 4 features" in repr(interactions)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match=r"n_features, n_features, n_outputs"):
        InteractionExplanation(np.zeros((2, 3, 4, 1)))
    with pytest.raises(ValueError, match="base_values"):
        InteractionExplanation(np.zeros((2, 3, 3, 1)), base_values=np.zeros((3, 2)))


def test_categories_first_seen_in_the_explained_rows():
    # The explainer extends its schema with a level fit never saw; the trees send it the
    # way of unknown categories, as predict does.
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=300), "colour": pd.Categorical(rng.choice(["red", "blue", "green"], 300))})
    y = (X["colour"] == "red") * X["size"] + X["size"] ** 2
    model = HistGradientBoostingRegressor(max_iter=10, categorical_features="from_dtype", random_state=0).fit(X, y)
    explainer = ShapleyExplainer(model, method="tree", background=X.iloc[:10]).fit(X.iloc[:200])
    rows = X.iloc[:3].copy()
    rows["colour"] = pd.Categorical(["purple", "red", "blue"])
    inter = explainer.explain_interactions(rows)
    np.testing.assert_allclose(inter.output()[:, 0], model.predict(rows), rtol=0, atol=1e-9)
    assert list(inter.data[:, 1]) == ["purple", "red", "blue"]
    check_adds_up(explainer, rows, inter)


@pytest.mark.parametrize("interventional", [False, True])
def test_peak_memory_grows_only_by_the_result(interventional):
    # Small trees (work arrays far smaller than the results) and a fixed batch_size:
    # explaining eight times the rows costs the larger result and nothing else.
    X, y = make_regression(300, 6, n_informative=6, random_state=0)
    model = RandomForestRegressor(2, max_depth=3, random_state=0).fit(X, y)
    interactions = TreeInteractions(model, background=X[:20] if interventional else None)
    small, large = np.tile(X[:50], (40, 1)), np.tile(X[:50], (320, 1))  # results of 0.6 and 4.6 MB
    peaks = [refs.peak_memory(lambda rows=rows: interactions.explain(rows, batch_size=500)) for rows in (small, large)]
    result_growth = (len(large) - len(small)) * 6 * 6 * 8
    assert peaks[1] - peaks[0] <= result_growth + 2**20
