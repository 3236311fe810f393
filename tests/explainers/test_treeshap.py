"""TreeSHAP: exact against brute-force Shapley values, efficiency on every model kind.

The references here are written from the definitions, independently of the module:
interventional values average the model over background rows for every coalition;
path-dependent values take the conditional expectation of each tree by following the
row on known features and the training cover on unknown ones. Both enumerate every
coalition, so they are exact and slow.
"""

import dataclasses
import tracemalloc
from math import factorial
from unittest import mock

import joblib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor

from glassbox._core import read_tree_model
from glassbox.explainers._treeshap import (
    TreeShap,
    _engines,
    _explainer,
    _linear,
    _pairs,
    _planner,
    _slots,
    is_tree_model,
    tree_shap,
)

# ---------------------------------------------------------------------------------------
# Brute-force references
# ---------------------------------------------------------------------------------------


def shapley_from_game(values, n_features):
    """Shapley values from v(S) for every coalition S (bit mask), shape (2**p, o)."""
    phi = np.zeros((n_features,) + values.shape[1:])
    for mask in range(2**n_features):
        size = bin(mask).count("1")
        for j in range(n_features):
            if not mask >> j & 1:
                weight = factorial(size) * factorial(n_features - size - 1) / factorial(n_features)
                phi[j] += weight * (values[mask | 1 << j] - values[mask])
    return phi


def coalition_masks(n_features):
    return np.array([[mask >> j & 1 for j in range(n_features)] for mask in range(2**n_features)], bool)


def brute_interventional(output, x, background, weights):
    """Shapley values of v(S) = sum_b w_b output(x_S, z_b,not S); shape (p, o)."""
    n_features = len(x)
    masks = coalition_masks(n_features)
    hybrids = np.where(masks[:, None, :], x, background[None, :, :]).reshape(-1, n_features)
    outputs = np.asarray(output(hybrids), dtype=float).reshape(len(masks), len(background), -1)
    return shapley_from_game(np.einsum("mbo,b->mo", outputs, weights), n_features)


def sklearn_tree_nodes(tree, value):
    """(left, right, feature, threshold, missing_left, cover, value) of a fitted tree_."""
    missing = getattr(tree, "missing_go_to_left", np.zeros(tree.node_count, np.uint8))
    return (
        tree.children_left,
        tree.children_right,
        tree.feature,
        tree.threshold,
        missing.astype(bool),
        tree.weighted_n_node_samples,
        value,
    )


def conditional_expectation(nodes, x, known, float32):
    """E[tree | x on the known features], following the cover elsewhere (recursive)."""
    left, right, feature, threshold, missing_left, cover, value = nodes

    def visit(node):
        if left[node] < 0:
            return value[node]
        f = feature[node]
        if known[f]:
            v = np.float32(x[f]) if float32 else x[f]
            goes_left = missing_left[node] if np.isnan(v) else v <= threshold[node]
            return visit(left[node] if goes_left else right[node])
        return (cover[left[node]] * visit(left[node]) + cover[right[node]] * visit(right[node])) / cover[node]

    return visit(0)


def brute_path_dependent(trees, x, float32=True):
    """Path-dependent Shapley values of a sum of trees given as node tuples; (p, o)."""
    n_features = len(x)
    values = np.array(
        [sum(conditional_expectation(t, x, known, float32) for t in trees) for known in coalition_masks(n_features)]
    )
    return shapley_from_game(values.reshape(len(values), -1), n_features)


def forest_trees(model):
    """Node tuples of a decision tree or forest, values scaled as the model sums them."""
    members = getattr(model, "estimators_", [model])
    trees = []
    for member in members:
        tree = member.tree_
        if hasattr(model, "classes_"):
            value = tree.value[:, 0, :] / tree.value[:, 0, :].sum(axis=1, keepdims=True)
        else:
            value = tree.value[:, :, 0]
        trees.append(sklearn_tree_nodes(tree, value / len(members)))
    return trees


def hgb_trees(model):
    trees = []
    for iteration in model._predictors:
        nodes = iteration[0].nodes
        left = np.where(nodes["is_leaf"], -1, nodes["left"].astype(int))
        right = np.where(nodes["is_leaf"], -1, nodes["right"].astype(int))
        trees.append(
            (
                left,
                right,
                nodes["feature_idx"],
                nodes["num_threshold"],
                nodes["missing_go_to_left"].astype(bool),
                nodes["count"].astype(float),
                nodes["value"][:, None],
            )
        )
    return trees


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------


def regression_data(n_samples=300, n_features=5, seed=0, missing=0.0):
    X, y = make_regression(n_samples=n_samples, n_features=n_features, n_informative=n_features, random_state=seed)
    if missing:
        X[np.random.default_rng(seed).random(X.shape) < missing] = np.nan
    return X, y / y.std()


def classification_data(n_classes=3, n_samples=300, n_features=5, seed=0):
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )


MODELS = {
    "tree-regressor": (lambda: DecisionTreeRegressor(max_depth=6, random_state=0), "regression"),
    "tree-classifier": (lambda: DecisionTreeClassifier(max_depth=5, random_state=0), "multiclass"),
    "extra-tree": (lambda: ExtraTreeRegressor(max_depth=7, random_state=0), "regression"),
    "forest-regressor": (lambda: RandomForestRegressor(15, max_depth=6, random_state=0), "regression"),
    "forest-binary": (lambda: RandomForestClassifier(15, max_depth=6, random_state=0), "binary"),
    "forest-multiclass": (lambda: RandomForestClassifier(15, max_depth=6, random_state=0), "multiclass"),
    "extra-trees-regressor": (lambda: ExtraTreesRegressor(15, max_depth=6, random_state=0), "regression"),
    "extra-trees-classifier": (lambda: ExtraTreesClassifier(15, max_depth=6, random_state=0), "multiclass"),
    "forest-multioutput": (lambda: RandomForestRegressor(10, max_depth=5, random_state=0), "multioutput"),
    "forest-missing": (lambda: RandomForestRegressor(10, max_depth=6, random_state=0), "missing"),
    "gb-regressor": (lambda: GradientBoostingRegressor(n_estimators=30, random_state=0), "regression"),
    "gb-huber": (lambda: GradientBoostingRegressor(loss="huber", n_estimators=20, random_state=0), "regression"),
    "gb-binary": (lambda: GradientBoostingClassifier(n_estimators=30, random_state=0), "binary"),
    "gb-multiclass": (lambda: GradientBoostingClassifier(n_estimators=20, random_state=0), "multiclass"),
    "gb-zero-init": (lambda: GradientBoostingRegressor(init="zero", n_estimators=20, random_state=0), "regression"),
    "hgb-regressor": (lambda: HistGradientBoostingRegressor(max_iter=30, random_state=0), "regression"),
    "hgb-missing": (lambda: HistGradientBoostingRegressor(max_iter=30, random_state=0), "missing"),
    "hgb-binary": (lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), "binary"),
    "hgb-multiclass": (lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0), "multiclass"),
}


def fitted(name):
    make, data = MODELS[name]
    if data == "regression":
        X, y = regression_data()
    elif data == "missing":
        X, y = regression_data(missing=0.15)
    elif data == "multioutput":
        X, y = regression_data()
        y = np.column_stack([y, np.sin(3 * y)])
    else:
        X, y = classification_data(2 if data == "binary" else 3)
    return make().fit(X, y), X


# ---------------------------------------------------------------------------------------
# Efficiency and agreement with brute force
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("interventional", [False, True], ids=["path-dependent", "interventional"])
def test_values_add_up_to_the_explained_output(name, interventional):
    model, X = fitted(name)
    background = X[200:240] if interventional else None
    values, base, method = tree_shap(model, X[:60], background=background)
    explained = np.asarray(getattr(model, method)(X[:60]), dtype=float).reshape(60, -1)
    assert values.shape == (60, X.shape[1], explained.shape[1])
    np.testing.assert_allclose(base + values.sum(axis=1), explained, rtol=0, atol=1e-8)


@pytest.mark.parametrize("name", ["forest-multiclass", "gb-multiclass", "hgb-missing", "forest-missing"])
def test_interventional_equals_the_brute_force(name):
    model, X = fitted(name)
    background, weights = X[200:212], np.linspace(1.0, 2.0, 12)
    weights /= weights.sum()
    values, base, method = tree_shap(model, X[:4], background=background, background_weights=weights)
    output = getattr(model, method)
    for i in range(4):
        expected = brute_interventional(output, X[i], background, weights)
        np.testing.assert_allclose(values[i], expected, rtol=0, atol=1e-10)
    mean_output = np.asarray(output(background), dtype=float).reshape(12, -1).T @ weights
    np.testing.assert_allclose(base[0], mean_output, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["forest-multiclass", "forest-missing", "tree-regressor", "extra-trees-regressor"])
def test_path_dependent_equals_the_brute_force(name):
    model, X = fitted(name)
    values, base, _ = tree_shap(model, X[:3])
    trees = forest_trees(model)
    for i in range(3):
        np.testing.assert_allclose(values[i], brute_path_dependent(trees, X[i]), rtol=0, atol=1e-10)
    # The base value is the cover-weighted mean output: every feature unknown.
    unknown = np.zeros(X.shape[1], bool)
    np.testing.assert_allclose(base[0], sum(conditional_expectation(t, X[0], unknown, True) for t in trees))


def test_path_dependent_hist_gradient_boosting_with_missing_values_equals_the_brute_force():
    model, X = fitted("hgb-missing")
    values, _, _ = tree_shap(model, X[:3])
    trees = hgb_trees(model)
    for i in range(3):
        np.testing.assert_allclose(values[i], brute_path_dependent(trees, X[i], float32=False), rtol=0, atol=1e-10)


@st.composite
def small_problems(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n_features = draw(st.integers(1, 5))
    n_samples = draw(st.integers(8, 60))
    # Few distinct values: ties, repeated splits on one feature, thresholds hit exactly.
    X = rng.integers(0, draw(st.integers(2, 6)), size=(n_samples, n_features)).astype(float)
    X += rng.normal(scale=draw(st.sampled_from([0.0, 0.3])), size=X.shape)
    if draw(st.booleans()):
        X[rng.random(X.shape) < 0.15] = np.nan
    y = rng.normal(size=n_samples) + np.nan_to_num(X[:, 0])
    kind = draw(st.sampled_from(["tree", "forest", "extra"]))
    depth = draw(st.integers(1, 6))
    if kind == "tree":
        model = DecisionTreeRegressor(max_depth=depth, random_state=seed)
    elif kind == "forest":
        model = RandomForestRegressor(n_estimators=3, max_depth=depth, random_state=seed)
    else:
        model = ExtraTreesRegressor(n_estimators=3, max_depth=depth, random_state=seed)
    model.fit(X, y)
    n_background = draw(st.integers(1, 6))
    weights = rng.random(n_background) + 0.1
    return model, X, X[rng.integers(0, n_samples, n_background)], weights / weights.sum()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.sampled_from([1, 50, 10**6]))
def test_random_small_trees_equal_the_brute_force(problem, expected_rows):
    # expected_rows changes which leaves get tables and how they merge into blocks.
    model, X, background, weights = problem
    x = X[:3]
    explainer = TreeShap(model, expected_rows=expected_rows)
    values, _ = explainer.explain(x)
    trees = forest_trees(model)
    for i in range(len(x)):
        np.testing.assert_allclose(values[i], brute_path_dependent(trees, x[i]), rtol=0, atol=1e-9)
    explainer = TreeShap(model, background=background, background_weights=weights, expected_rows=expected_rows)
    values, _ = explainer.explain(x)
    for i in range(len(x)):
        expected = brute_interventional(model.predict, x[i], background, weights)
        np.testing.assert_allclose(values[i], expected, rtol=0, atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(), st.integers(1, 3))
def test_tables_read_a_few_at_a_time_equal_the_brute_force(problem, group):
    # Tables are read and summed in groups (_slots.SlotReader); groups of 1 to 3 tables
    # cross every boundary between groups, in block tables and in symmetric trees (stumps).
    model, X, background, weights = problem
    x = X[:3]
    trees = forest_trees(model)
    with mock.patch.object(_slots, "_CACHE_CELLS", 0), mock.patch.object(_slots, "_MIN_GROUP", group):
        values, _ = TreeShap(model).explain(x)
        intervened, _ = TreeShap(model, background=background, background_weights=weights).explain(x)
    for i in range(len(x)):
        np.testing.assert_allclose(values[i], brute_path_dependent(trees, x[i]), rtol=0, atol=1e-9)
        expected = brute_interventional(model.predict, x[i], background, weights)
        np.testing.assert_allclose(intervened[i], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["forest-multiclass", "forest-multioutput", "gb-multiclass"])
def test_tables_read_a_few_at_a_time_with_several_outputs_equal_the_brute_force(name):
    model, X = fitted(name)
    with mock.patch.object(_slots, "_CACHE_CELLS", 0), mock.patch.object(_slots, "_MIN_GROUP", 2):
        values, _, method = tree_shap(model, X[:3])
        background, weights = X[200:206], np.full(6, 1 / 6)
        intervened, _, _ = tree_shap(model, X[:3], background=background)
    # Several outputs: each group's values are read output by output.
    assert values.shape[2] > 1
    expected, _, _ = tree_shap(model, X[:3])
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    for i in range(3):
        brute = brute_interventional(getattr(model, method), X[i], background, weights)
        np.testing.assert_allclose(intervened[i], brute, rtol=0, atol=1e-10)
    if not name.startswith("gb"):
        trees = forest_trees(model)
        for i in range(3):
            np.testing.assert_allclose(values[i], brute_path_dependent(trees, X[i]), rtol=0, atol=1e-10)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_random_small_trees_without_tables_equal_the_brute_force(problem):
    # Every leaf through the linear pass (path-dependent) and the compatible pairs (interventional).
    model, X, background, weights = problem
    x = X[:3]
    with mock.patch.object(_planner, "_MAX_TABLE_BITS", 0):
        path_dependent = TreeShap(model, expected_rows=5).explain(x)[0]
        interventional = TreeShap(model, background=background, background_weights=weights).explain(x)[0]
    trees = forest_trees(model)
    for i in range(len(x)):
        np.testing.assert_allclose(path_dependent[i], brute_path_dependent(trees, x[i]), rtol=0, atol=1e-9)
        expected = brute_interventional(model.predict, x[i], background, weights)
        np.testing.assert_allclose(interventional[i], expected, rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------------
# Deep trees: the formulas used without tables
# ---------------------------------------------------------------------------------------


@st.composite
def deep_problems(draw):
    """Trees grown to purity on noisy targets (depth 8 to 25), few features for the brute force."""
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n_features = draw(st.integers(2, 6))
    n_samples = draw(st.integers(80, 300))
    X = rng.normal(size=(n_samples, n_features))
    if draw(st.booleans()):  # ties and thresholds hit exactly
        X = np.round(X, 1)
    if draw(st.booleans()):
        X[rng.random(X.shape) < 0.1] = np.nan
    n_classes = draw(st.sampled_from([0, 2, 3, 4]))  # 0: regression
    signal = np.nan_to_num(X[:, 0])
    if n_classes:
        y = (np.floor(signal + rng.normal(scale=1.5, size=n_samples)) % n_classes).astype(int)
        y[:n_classes] = np.arange(n_classes)  # every class present
        kind = draw(st.sampled_from([RandomForestClassifier, ExtraTreesClassifier]))
    else:
        y = signal + rng.normal(size=n_samples)
        kind = draw(st.sampled_from([RandomForestRegressor, ExtraTreesRegressor]))
    model = kind(n_estimators=2, random_state=seed).fit(X, y)
    n_background = draw(st.integers(1, 8))
    weights = rng.random(n_background) + 0.1
    return model, X, X[rng.integers(0, n_samples, n_background)], weights / weights.sum()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_problems(), st.sampled_from([0, None]))
def test_random_deep_forests_equal_the_brute_force(problem, max_table_bits):
    # max_table_bits 0: every leaf through the formulas without tables; None: as planned.
    model, X, background, weights = problem
    assert max(tree.get_depth() for tree in model.estimators_) >= 6
    x = X[-3:]
    bits = _planner._MAX_TABLE_BITS if max_table_bits is None else max_table_bits
    with mock.patch.object(_planner, "_MAX_TABLE_BITS", bits):
        path_dependent, base, method = tree_shap(model, x)
        interventional, _, _ = tree_shap(model, x, background=background, background_weights=weights)
    output = getattr(model, method)
    trees = forest_trees(model)
    for i in range(len(x)):
        np.testing.assert_allclose(path_dependent[i], brute_path_dependent(trees, x[i]), rtol=0, atol=1e-9)
        expected = brute_interventional(output, x[i], background, weights)
        np.testing.assert_allclose(interventional[i], expected, rtol=0, atol=1e-9)
    unknown = np.zeros(X.shape[1], bool)
    np.testing.assert_allclose(base[0], sum(conditional_expectation(t, x[0], unknown, True) for t in trees), atol=1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_problems(), st.sampled_from([3, 10**4]))
def test_linear_pass_per_tree_group_equal_the_brute_force(problem, expected_rows):
    # Every tree its own pass, with its own K (half its most path features) and its own
    # subtree tables, read after going down: of one bit (3 rows expected) or up to ten.
    model, X, _, _ = problem
    x = X[-3:]
    with (
        mock.patch.object(_planner, "_MAX_TABLE_BITS", 0),
        mock.patch.object(_linear, "_GROUP_NODES", 1),
    ):
        explainer = TreeShap(model, expected_rows=expected_rows)
        values, _ = explainer.explain(x)
    linear = explainer._plan.engines[-1]
    assert isinstance(linear, _linear._LinearPathDependent) and len(linear.groups) == len(model.estimators_)
    trees = forest_trees(model)
    for i in range(len(x)):
        np.testing.assert_allclose(values[i], brute_path_dependent(trees, x[i]), rtol=0, atol=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_problems())
def test_compatible_pairs_per_tree_group_equal_the_brute_force(problem):
    # Every tree its own group, with its own numbering of failed-feature sets.
    model, X, background, weights = problem
    x = X[-3:]
    with (
        mock.patch.object(_planner, "_MAX_TABLE_BITS", 0),
        mock.patch.object(_pairs, "_GROUP_NODES", 1),
    ):
        explainer = TreeShap(model, background=background, background_weights=weights, expected_rows=3)
        values, _ = explainer.explain(x)
    pairs = explainer._plan.engines[-1]
    assert isinstance(pairs, _pairs._CompatiblePairs) and len(pairs.groups) == len(model.estimators_)
    output = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    for i in range(len(x)):
        expected = brute_interventional(output, x[i], background, weights)
        np.testing.assert_allclose(values[i].reshape(expected.shape), expected, rtol=0, atol=1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_problems(), st.integers(65, 200), st.integers(0, 2**16), st.booleans())
def test_compatible_pairs_over_several_words_equal_the_brute_force(problem, n_background, seed, equal_weights):
    # More than 64 background rows: the bit sets have two to four words per (node, row),
    # laid out word-major; equal weights are folded into the closed forms.
    model, X, _, _ = problem
    rng = np.random.default_rng(seed)
    background = X[rng.integers(0, len(X), n_background)]
    weights = np.full(n_background, 1 / n_background) if equal_weights else rng.random(n_background) + 0.1
    weights /= weights.sum()
    x = X[-3:]
    with mock.patch.object(_planner, "_MAX_TABLE_BITS", 0):
        explainer = TreeShap(
            model, background=background, background_weights=None if equal_weights else weights, expected_rows=3
        )
        values, _ = explainer.explain(x)
    pairs = explainer._plan.engines[-1]
    assert isinstance(pairs, _pairs._CompatiblePairs) and pairs.n_words >= 2
    output = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    for i in range(len(x)):
        expected = brute_interventional(output, x[i], background, weights)
        np.testing.assert_allclose(values[i].reshape(expected.shape), expected, rtol=0, atol=1e-9)


@pytest.fixture
def without_tables(monkeypatch):
    """Every leaf with a path feature goes through the formulas without tables."""
    monkeypatch.setattr(_planner, "_MAX_TABLE_BITS", 0)


@pytest.mark.parametrize("name", ["forest-multiclass", "forest-missing", "gb-multiclass", "hgb-missing"])
def test_deep_tree_formulas_equal_the_tables(name, without_tables, monkeypatch):
    model, X = fitted(name)
    background = X[200:230]
    deep = [tree_shap(model, X[:40]), tree_shap(model, X[:40], background=background)]
    monkeypatch.undo()
    tabled = [tree_shap(model, X[:40]), tree_shap(model, X[:40], background=background)]
    for (v_deep, b_deep, _), (v_table, b_table, _) in zip(deep, tabled):
        np.testing.assert_allclose(v_deep, v_table, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b_deep, b_table, rtol=0, atol=1e-12)


def test_deep_tree_is_exact(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 30))
    y = np.sin(X).sum(axis=1)
    model = DecisionTreeRegressor(random_state=0).fit(X, y)  # depth about 20, paths with 15+ features
    assert model.get_depth() > 15
    for background in (None, X[:25]):
        explainer = TreeShap(model, background=background, expected_rows=40)
        assert not isinstance(explainer._plan.engines[-1], _planner._Plan)  # the formulas without tables
        values, base = explainer.explain(X[-40:])
        np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X[-40:]), rtol=0, atol=1e-8)


def deep_forest(n_estimators, seed=0, n_classes=2, missing=0.0):
    """A forest of unlimited depth on noisy labels: trees of depth 20 to 40."""
    X, y = make_classification(
        n_samples=3000, n_features=12, n_informative=6, n_classes=n_classes, flip_y=0.45, random_state=seed
    )
    if missing:
        X[np.random.default_rng(seed).random(X.shape) < missing] = np.nan
    model = RandomForestClassifier(n_estimators, random_state=seed).fit(X[:2500], y[:2500])
    return model, X


def shap_values(model, X, background=None):
    shap = pytest.importorskip("shap")
    if background is None:
        explainer = shap.TreeExplainer(model)
    else:
        explainer = shap.TreeExplainer(model, data=background, feature_perturbation="interventional")
    values = np.asarray(explainer.shap_values(X, check_additivity=False))
    return values.reshape(len(X), X.shape[1], -1), np.ravel(explainer.expected_value)


@pytest.mark.parametrize("interventional", [False, True], ids=["path-dependent", "interventional"])
@pytest.mark.parametrize("n_classes, missing", [(2, 0.0), (4, 0.0), (3, 0.1)], ids=["binary", "4-class", "missing"])
def test_deep_forest_agrees_with_shap(interventional, n_classes, missing):
    model, X = deep_forest(4, n_classes=n_classes, missing=missing)
    assert min(tree.get_depth() for tree in model.estimators_) >= 20
    background = X[2500:2600] if interventional else None
    explainer = TreeShap(model, background=background, expected_rows=60)
    assert any(not isinstance(engine, _planner._Plan) for engine in explainer._plan.engines)
    values, base = explainer.explain(X[2600:2660])
    reference, reference_base = shap_values(model, X[2600:2660], background)
    np.testing.assert_allclose(values, reference, rtol=0, atol=1e-8)
    np.testing.assert_allclose(base[0], reference_base, rtol=0, atol=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("interventional", [False, True])
def test_deep_forest_of_many_trees_agrees_with_shap(interventional):
    model, X = deep_forest(30, seed=1)
    assert max(tree.get_depth() for tree in model.estimators_) >= 30  # and at least 19
    background = X[2500:2600] if interventional else None
    rows = X[2600:2900]
    values, base, _ = tree_shap(model, rows, background=background)
    reference, reference_base = shap_values(model, rows, background)
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(base + values.sum(axis=1), proba, rtol=0, atol=1e-12)
    # shap's interventional sums over 30 deep trees add up only to about 5e-8 here (its
    # own additivity error): agreement is asked to that precision, never looser than 1e-8.
    shap_error = np.abs(reference_base + reference.sum(axis=1) - proba).max()
    np.testing.assert_allclose(values, reference, rtol=0, atol=max(1e-8, shap_error))
    np.testing.assert_allclose(base[0], reference_base, rtol=0, atol=1e-8)


@pytest.mark.parametrize("interventional", [False, True])
def test_tree_of_depth_100_with_100_path_features(interventional):
    # Each split isolates the row of largest target through that row's own feature.
    X = np.vstack([np.zeros(100), np.eye(100)])
    y = 2.0 ** np.arange(101)
    model = DecisionTreeRegressor(random_state=0).fit(X, y)
    assert model.get_depth() == 100
    background = X[::5] if interventional else None
    values, base, _ = tree_shap(model, X[60:], background=background)
    reference, _ = shap_values(model, X[60:], background)
    scale = y.max()  # shap's interventional values are as precise as its float32 thresholds
    np.testing.assert_allclose(values / scale, reference / scale, rtol=0, atol=1e-7 if interventional else 1e-12)
    np.testing.assert_allclose((base[:, 0] + values.sum(axis=(1, 2)) - model.predict(X[60:])) / scale, 0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Agreement with shap
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["forest-regressor", "forest-multiclass", "gb-regressor", "gb-binary", "hgb-regressor", "hgb-missing"]
)
def test_path_dependent_agrees_with_shap(name):
    shap = pytest.importorskip("shap")
    model, X = fitted(name)
    values, base, _ = tree_shap(model, X[:50])
    explainer = shap.TreeExplainer(model)
    reference = np.asarray(explainer.shap_values(X[:50], check_additivity=False)).reshape(values.shape)
    np.testing.assert_allclose(values, reference, rtol=0, atol=1e-6)
    np.testing.assert_allclose(base[0], np.ravel(explainer.expected_value), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["forest-regressor", "forest-multiclass", "extra-trees-regressor", "gb-binary"])
def test_interventional_agrees_with_shap(name):
    # shap's interventional values of HistGradientBoosting models do not add up to
    # the model output (they miss the brute force by about 1e-2); those are checked
    # against the brute force above instead.
    shap = pytest.importorskip("shap")
    model, X = fitted(name)
    background = X[200:300]
    values, base, _ = tree_shap(model, X[:50], background=background)
    explainer = shap.TreeExplainer(model, data=background, feature_perturbation="interventional")
    reference = np.asarray(explainer.shap_values(X[:50], check_additivity=False)).reshape(values.shape)
    np.testing.assert_allclose(values, reference, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------
# HistGradientBoosting categorical features
# ---------------------------------------------------------------------------------------


def categorical_problem():
    rng = np.random.default_rng(0)
    n = 400
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 6, n).astype(float), rng.normal(size=n)])
    X[rng.random(n) < 0.1, 1] = np.nan
    y = X[:, 0] + np.array([0.0, 2.0, -1.0, 3.0, 0.5, -2.0])[np.nan_to_num(X[:, 1], nan=0).astype(int)] + X[:, 2]
    return X, y


def test_hist_gradient_boosting_categorical_splits_numpy():
    X, y = categorical_problem()
    model = HistGradientBoostingRegressor(max_iter=15, categorical_features=[1], random_state=0).fit(X, y)
    assert any(p[0].nodes["is_categorical"].any() for p in model._predictors)
    X_new = X[:6].copy()
    X_new[0, 1] = 9.0  # a category never seen in fit is routed like a missing value
    background = X[300:308]
    values, base, _ = tree_shap(model, X_new, background=background)
    np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X_new), rtol=0, atol=1e-8)
    weights = np.full(8, 1 / 8)
    for i in range(len(X_new)):
        expected = brute_interventional(model.predict, X_new[i], background, weights)
        np.testing.assert_allclose(values[i], expected, rtol=0, atol=1e-10)
    values, base, _ = tree_shap(model, X_new)
    np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X_new), rtol=0, atol=1e-8)


def test_hist_gradient_boosting_categorical_dataframe_with_decode():
    pd = pytest.importorskip("pandas")
    X, y = categorical_problem()
    levels = np.array(["a", "b", "c", "d", "e", "f"])
    # The categorical column comes second; the model's preprocessor puts it first.
    frame = pd.DataFrame(
        {
            "x0": X[:, 0],
            "colour": pd.Categorical.from_codes(np.nan_to_num(X[:, 1], nan=-1).astype(int), categories=levels),
            "x2": X[:, 2],
        }
    )
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype", random_state=0)
    model.fit(frame, y > np.median(y))

    def decode(Z):
        codes = np.nan_to_num(Z[:, 1], nan=-1).astype(int)
        return pd.DataFrame(
            {"x0": Z[:, 0], "colour": pd.Categorical.from_codes(codes, categories=levels), "x2": Z[:, 2]}
        )

    background = X[300:310]
    values, base, method = tree_shap(model, X[:8], background=background, decode=decode)
    assert method == "decision_function"
    np.testing.assert_allclose(
        base[:, 0] + values.sum(axis=(1, 2)), model.decision_function(decode(X[:8])), rtol=0, atol=1e-8
    )
    weights = np.full(10, 1 / 10)
    for i in range(3):
        expected = brute_interventional(lambda Z: model.decision_function(decode(Z)), X[i], background, weights)
        np.testing.assert_allclose(values[i], expected, rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------------------
# glassbox's own trees
# ---------------------------------------------------------------------------------------


def penguins():
    pytest.importorskip("palmerpenguins")
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=["body_mass_g"])
    return frame.drop(columns=["body_mass_g", "year"]), frame["body_mass_g"].to_numpy()


def test_glassbox_tree_regressor_with_categories_and_missing_values():
    from glassbox.models import TreeRegressor

    X, y = penguins()
    model = TreeRegressor(max_leaf_nodes=10, random_state=0).fit(X, y)
    assert (model.nodes_.op == "!=").any()  # splits on a category level
    encoded = model._encode(X)
    rows, background = encoded[:5], encoded[100:108]
    values, base, method = tree_shap(model, rows, background=background)
    assert method == "predict"

    def predict(Z):
        return model.predict(model._feature_schema.decode(Z))

    weights = np.full(8, 1 / 8)
    for i in range(len(rows)):
        np.testing.assert_allclose(values[i], brute_interventional(predict, rows[i], background, weights), atol=1e-8)
    # The caller's encoding may differ from the model's: decode re-encodes the rows.
    decoded, _, _ = tree_shap(model, rows, background=background, decode=model._feature_schema.decode)
    np.testing.assert_allclose(decoded, values, rtol=0, atol=1e-10)
    values, base, _ = tree_shap(model, encoded[:40])
    np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X.iloc[:40]), rtol=0, atol=1e-8)


def test_glassbox_tree_classifier_path_dependent_equals_the_brute_force():
    from glassbox.models import TreeClassifier

    X, _ = penguins()
    model = TreeClassifier(max_leaf_nodes=8, random_state=0).fit(X.drop(columns="species"), X["species"])
    encoded = model._encode(X.drop(columns="species"))
    values, base, method = tree_shap(model, encoded[:4])
    assert method == "predict_proba" and values.shape == (4, 5, 3)
    nodes, cover = model.nodes_, model.tree_estimator_.tree_.weighted_n_node_samples

    def conditional(x, known):  # the model's routing: a category level goes right
        def visit(node):
            if nodes.left[node] < 0:
                return nodes.value[node]
            f, v = nodes.feature[node], x[nodes.feature[node]]
            if not known[f]:
                children = nodes.left[node], nodes.right[node]
                return sum(cover[c] * visit(c) for c in children) / cover[node]
            if np.isnan(v):
                goes_left = nodes.missing_left[node]
            else:
                goes_left = v != nodes.threshold[node] if nodes.op[node] == "!=" else v <= nodes.threshold[node]
            return visit(nodes.left[node] if goes_left else nodes.right[node])

        return visit(0)

    for i in range(4):
        game = np.array([conditional(encoded[i], known) for known in coalition_masks(5)])
        np.testing.assert_allclose(values[i], shapley_from_game(game, 5), rtol=0, atol=1e-10)
    np.testing.assert_allclose(base[0], conditional(encoded[0], np.zeros(5, bool)), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Chunking, reuse, outputs
# ---------------------------------------------------------------------------------------


def test_batch_size_and_n_jobs_do_not_change_values():
    model, X = fitted("forest-multiclass")
    background = X[200:230]
    reference = tree_shap(model, X[:50], background=background)[0]
    for kwargs in ({"batch_size": 7}, {"batch_size": 1}):
        np.testing.assert_array_equal(tree_shap(model, X[:50], background=background, **kwargs)[0], reference)
    with joblib.parallel_config(backend="threading"):
        parallel = tree_shap(model, X[:50], background=background, n_jobs=2, batch_size=16)[0]
    np.testing.assert_array_equal(parallel, reference)


def test_batch_size_of_one_row_with_a_background_of_many_rows():
    model, X = deep_forest(2)
    background = X[2500:2700]  # 200 rows: bit sets of several words
    with mock.patch.object(_planner, "_MAX_TABLE_BITS", 0):
        reference = tree_shap(model, X[2700:2720], background=background)[0]
        np.testing.assert_array_equal(tree_shap(model, X[2700:2720], background=background, batch_size=1)[0], reference)
    np.testing.assert_allclose(tree_shap(model, X[2700:2720], background=background)[0], reference, rtol=0, atol=1e-10)


def peak_memory(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("interventional", [False, True])
def test_batch_size_larger_than_memory_allows_is_cut(interventional):
    model, X = deep_forest(2)
    rows = np.tile(X[2500:], (4, 1))  # 2000 rows
    background = X[:50] if interventional else None
    explainer = TreeShap(model, background=background)
    reference = explainer.explain(rows[:100])[0]
    budget = 2**18  # floats per chunk
    with mock.patch.object(_explainer, "_MAX_CHUNK_CELLS", budget):
        peak = peak_memory(lambda: explainer.explain(rows, batch_size=10**12))
        values = explainer.explain(rows, batch_size=10**12)[0]
    np.testing.assert_array_equal(values[:100], reference)
    result = values.nbytes
    assert peak < 2 * result + 4 * 8 * budget + 2**20


@pytest.mark.parametrize("interventional", [False, True])
def test_peak_memory_grows_only_by_the_result(interventional):
    model, X = deep_forest(2)
    background = X[:50] if interventional else None
    explainer = TreeShap(model, background=background)
    small, large = np.tile(X[2500:], (2, 1)), np.tile(X[2500:], (8, 1))
    peaks = [peak_memory(lambda rows=rows: explainer.explain(rows, batch_size=100)) for rows in (small, large)]
    result_growth = (len(large) - len(small)) * X.shape[1] * 2 * 8 * 2  # values and their copy in input columns
    assert peaks[1] - peaks[0] <= result_growth + 2**20


@pytest.mark.parametrize("interventional", [False, True])
def test_ten_thousand_single_leaf_trees(interventional):
    X, y = regression_data()
    forest = RandomForestRegressor(n_estimators=2, random_state=0).fit(X, np.full(len(X), 3.0))
    forest.estimators_ = forest.estimators_[:1] * 10_000
    forest.n_estimators = 10_000
    background = X[:10] if interventional else None
    values, base, _ = tree_shap(forest, X[:5], background=background)
    np.testing.assert_array_equal(values, 0.0)
    np.testing.assert_allclose(base, 3.0, rtol=1e-12)


def test_probabilities_adding_up_to_one_are_explained_once():
    model, X = fitted("forest-multiclass")
    ensemble = read_tree_model(model)
    reduced, mix, _ = _engines._reduced_outputs(ensemble, interventional=False)
    assert mix.shape == (2, 3) and reduced.value.shape[1] == 2
    np.testing.assert_allclose(reduced.value @ mix, ensemble.value - ensemble.value[ensemble.roots][ensemble.tree_of])
    # Covers that are not the sums of their children's: path-dependent values of a
    # constant tree are not zero, so nothing is reduced (interventional ones are).
    inner = np.flatnonzero(ensemble.left >= 0)
    cover = ensemble.cover.copy()
    cover[inner[:3]] *= 1.5
    skewed = dataclasses.replace(ensemble, cover=cover)
    assert _engines._reduced_outputs(skewed, interventional=False)[1] is None
    assert _engines._reduced_outputs(skewed, interventional=True)[1] is not None


def test_precomputed_explainer_is_reusable():
    model, X = fitted("gb-regressor")
    explainer = TreeShap(model)
    first, base = explainer.explain(X[:30])
    np.testing.assert_array_equal(explainer.explain(X[:30])[0], first)
    np.testing.assert_array_equal(explainer.explain(X[10:20])[0], first[10:20])
    np.testing.assert_allclose(base[0], explainer.expected_value)
    assert explainer.explain(X[:0])[0].shape == (0, X.shape[1], 1)


@pytest.mark.parametrize("interventional", [False, True])
def test_single_leaf_trees_only_shift_the_base_value(interventional):
    X, y = regression_data()
    background = X[:10] if interventional else None
    constant = DecisionTreeRegressor().fit(X, np.full(len(X), 3.0))
    values, base, _ = tree_shap(constant, X[:5], background=background)
    np.testing.assert_array_equal(values, 0.0)
    np.testing.assert_array_equal(base, 3.0)
    # A forest mixing a single-leaf tree with others.
    forest = RandomForestRegressor(n_estimators=4, max_depth=3, random_state=0).fit(X, y)
    forest.estimators_[0] = constant
    values, base, _ = tree_shap(forest, X[:5], background=background)
    np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), forest.predict(X[:5]), rtol=0, atol=1e-10)


def test_default_outputs():
    assert tree_shap(fitted("forest-binary")[0], fitted("forest-binary")[1][:2])[2] == "predict_proba"
    assert tree_shap(fitted("gb-binary")[0], fitted("gb-binary")[1][:2])[2] == "decision_function"
    model, X = fitted("hgb-multiclass")
    values, base, method = tree_shap(model, X[:2], output="decision_function")
    assert method == "decision_function" and values.shape == (2, X.shape[1], 3) and base.shape == (2, 3)


def test_is_tree_model():
    from glassbox.models import TreeClassifier

    assert is_tree_model(RandomForestRegressor()) and is_tree_model(HistGradientBoostingClassifier())
    assert is_tree_model(TreeClassifier())
    assert is_tree_model(DecisionTreeClassifier()) and is_tree_model(GradientBoostingRegressor())
    assert not is_tree_model(Ridge()) and not is_tree_model("a tree")


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


def test_unsupported_model_names_the_alternative():
    X, y = regression_data()
    with pytest.raises(TypeError, match=r"got Ridge.*method='kernel'"):
        tree_shap(Ridge().fit(X, y), X[:2])


def test_not_fitted_model():
    with pytest.raises(NotFittedError, match="RandomForestRegressor is not fitted"):
        tree_shap(RandomForestRegressor(), np.zeros((2, 3)))


@pytest.mark.parametrize(
    "name, output, match",
    [
        ("gb-binary", "predict_proba", r"predict_proba is not\. Use output='decision_function', or method='kernel'"),
        ("hgb-multiclass", "log_odds", r"Use output='decision_function'"),
        ("forest-binary", "decision_function", r"Use output='predict_proba', or method='kernel'"),
        ("forest-regressor", "predict_proba", r"Use output='predict'"),
        ("forest-regressor", "probability", r"output must be one of"),
    ],
)
def test_output_that_is_not_a_sum_of_trees(name, output, match):
    model, X = fitted(name)
    with pytest.raises(ValueError, match=match):
        tree_shap(model, X[:2], output=output)


def test_models_whose_output_is_not_additive():
    X, y = regression_data()
    with pytest.raises(ValueError, match=r"loss='poisson'.*method='kernel'"):
        tree_shap(HistGradientBoostingRegressor(loss="poisson", max_iter=5).fit(X, np.exp(y)), X[:2])
    with pytest.raises(ValueError, match=r"starts from the predictions of LinearRegression.*method='kernel'"):
        tree_shap(GradientBoostingRegressor(init=LinearRegression(), n_estimators=5).fit(X, y), X[:2])
    model = GradientBoostingRegressor(init=DummyRegressor(strategy="median"), n_estimators=5).fit(X, y)
    values, base, _ = tree_shap(model, X[:3])
    np.testing.assert_allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X[:3]), atol=1e-8)
    X2, y2 = classification_data()
    with pytest.raises(ValueError, match="one probability array per target"):
        tree_shap(RandomForestClassifier(3).fit(X2, np.column_stack([y2, y2])), X2[:2])


def test_rows_and_background_of_the_wrong_shape():
    model, X = fitted("forest-regressor")
    with pytest.raises(ValueError, match=r"X must have shape \(n_rows, 5\).*got shape \(2, 4\)"):
        tree_shap(model, X[:2, :4])
    with pytest.raises(ValueError, match=r"background must have shape \(n_rows, 5\)"):
        tree_shap(model, X[:2], background=X[:5, :3])
    with pytest.raises(ValueError, match="background_weights must be 5 non-negative numbers"):
        tree_shap(model, X[:2], background=X[:5], background_weights=[1.0, -1.0, 1.0, 1.0, 1.0])


def test_hist_gradient_boosting_nodes_without_the_expected_fields(monkeypatch):
    model, X = fitted("hgb-regressor")
    nodes = model._predictors[0][0].nodes
    kept = [name for name in nodes.dtype.names if name != "missing_go_to_left"]
    monkeypatch.setattr(model._predictors[0][0], "nodes", nodes[kept])
    with pytest.raises(ValueError, match=r"without the fields \['missing_go_to_left'\].*method='kernel'"):
        tree_shap(model, X[:2])


def test_the_tree_method_refuses_columns_the_model_would_refuse():
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    import glassbox
    from glassbox.explainers import ShapleyExplainer

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="Feature names must be in the same order as they were in fit"):
        ShapleyExplainer(model, method="tree").fit(X[["c", "b", "a"]])
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- z"):
        glassbox.explain(model, X.rename(columns={"a": "z"}))
    stray = X.astype(object)
    stray.loc[3, "a"] = "oops"
    with pytest.raises(ValueError, match="trees compare numbers, but these columns of X hold strings.*'a'"):
        ShapleyExplainer(model, method="tree").fit(stray)
    # Explaining rows whose columns come in another order matches them by name: values add up.
    explainer = ShapleyExplainer(model, method="tree").fit(X)
    exp = explainer.explain(X[["b", "c", "a"]].iloc[:5])
    np.testing.assert_allclose(exp.output()[:, 0], model.decision_function(X.iloc[:5]), atol=1e-8)


def test_feature_sets_of_the_compatible_pairs_are_numbered_by_their_members():
    # The sets of failed features keyed as 62-bit words, numbered as np.unique numbers rows.
    rng = np.random.default_rng(0)
    for n_features, n_words in [(30, 1), (100, 2)]:
        keys = rng.integers(0, 4, size=(500, n_words)) << rng.integers(0, 60, size=(1, n_words))
        set_of, members = _pairs._number_sets(keys, n_features)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        np.testing.assert_array_equal(set_of, inverse.ravel())
        bits = (unique[:, np.arange(n_features) // 62] >> (np.arange(n_features) % 62)) & 1
        np.testing.assert_array_equal(members.toarray(), bits)
