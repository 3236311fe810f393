"""Groups of columns for the tree and linear methods of ShapleyExplainer.

The references are written here from the definitions, apart from the code under test:
the group game is enumerated coalition by coalition, with the path-dependent value of a
coalition computed by the recursion of Lundberg et al. (2020, Algorithm 1) on the
model's own node arrays (a split on a column of a kept group follows the row, any other
split averages its children by cover), and the interventional value by calling the
model on hybrid rows. The linear method is compared with its closed form summed over a
group's columns and with the exact method on the same groups.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassbox.explainers import ShapleyExplainer

N_FEATURES = 5


def shapley_by_enumeration(value, n_players):
    """Shapley values (n_players, n_outputs) of the game ``value(frozenset) -> (n_outputs,)``."""
    cache = {}

    def v(coalition):
        if coalition not in cache:
            cache[coalition] = np.asarray(value(coalition), dtype=np.float64)
        return cache[coalition]

    phi = []
    for i in range(n_players):
        others = [k for k in range(n_players) if k != i]
        total = 0.0
        for size in range(n_players):
            weight = math.factorial(size) * math.factorial(n_players - size - 1) / math.factorial(n_players)
            for coalition in itertools.combinations(others, size):
                total = total + weight * (v(frozenset(coalition) | {i}) - v(frozenset(coalition)))
        phi.append(total)
    return np.asarray(phi)


def node_arrays(model):
    """Each tree of a scikit-learn ensemble as (left, right, feature, threshold, missing_left, cover,
    value (n_nodes, n_outputs), float32 inputs), scaled so that the explained output is their sum."""
    trees = []
    if isinstance(model, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        for per_class in model._predictors:
            for k, predictor in enumerate(per_class):
                nodes = predictor.nodes
                value = np.zeros((len(nodes), len(per_class)))
                value[:, k] = nodes["value"]
                left = np.where(nodes["is_leaf"], -1, nodes["left"].astype(np.intp))
                trees.append((left, nodes["right"].astype(np.intp), nodes["feature_idx"].astype(np.intp),
                              nodes["num_threshold"], nodes["missing_go_to_left"].astype(bool),
                              nodes["count"].astype(float), value, False))
        return trees
    if isinstance(model, (GradientBoostingClassifier, GradientBoostingRegressor)):
        stages = model.estimators_
        for stage in stages:
            for k, estimator in enumerate(stage):
                t = estimator.tree_
                value = np.zeros((t.node_count, stages.shape[1]))
                value[:, k] = model.learning_rate * t.value[:, 0, 0]
                trees.append(_sklearn_tree(t, value))
        return trees
    for estimator in model.estimators_:  # forests: the mean of the trees' outputs
        t = estimator.tree_
        value = t.value[:, 0, :]
        if hasattr(model, "classes_"):  # class fractions
            value = value / value.sum(axis=1, keepdims=True)
        value = value / len(model.estimators_)
        trees.append(_sklearn_tree(t, value))
    return trees


def _sklearn_tree(t, value):
    return (t.children_left, t.children_right, t.feature, t.threshold, t.missing_go_to_left.astype(bool),
            t.weighted_n_node_samples, value, True)


def path_dependent_value(trees, x, kept_columns):
    """Sum over trees of the cover-weighted expectation given the kept columns (Algorithm 1)."""
    total = 0.0
    for tree in trees:
        row = x.astype(np.float32).astype(np.float64) if tree[-1] else x
        total = total + _expectation(tree, row, kept_columns, 0)
    return total


def _expectation(tree, row, kept_columns, node):
    left, right, feature, threshold, missing_left, cover, value, _ = tree
    if left[node] < 0:
        return value[node]
    j = feature[node]
    if j in kept_columns:
        goes_left = missing_left[node] if np.isnan(row[j]) else row[j] <= threshold[node]
        return _expectation(tree, row, kept_columns, left[node] if goes_left else right[node])
    a, b = left[node], right[node]
    return (cover[a] * _expectation(tree, row, kept_columns, a)
            + cover[b] * _expectation(tree, row, kept_columns, b)) / cover[node]


def group_values(model, output, x, players, perturbation, background):
    """Shapley values (n_players, n_outputs) of the group game of row ``x``."""
    if perturbation == "tree_path_dependent":
        trees = node_arrays(model)

        def value(coalition):
            return path_dependent_value(trees, x, {j for k in coalition for j in players[k]})
    else:
        def value(coalition):
            hybrids = background.copy()
            kept = [j for k in coalition for j in players[k]]
            hybrids[:, kept] = x[kept]
            out = np.asarray(getattr(model, output)(hybrids), dtype=np.float64)
            return (out.reshape(len(hybrids), -1)).mean(axis=0)

    return shapley_by_enumeration(value, len(players))


def players_of(labels):
    """Groups {name: columns} from a label per column (label 0: no group), and the player list."""
    groups = {}
    for j, label in enumerate(labels):
        if label:
            groups.setdefault(f"g{label}", []).append(j)
    grouped = {j for columns in groups.values() for j in columns}
    return groups, list(groups.values()) + [[j] for j in range(len(labels)) if j not in grouped]


MODELS = {
    ("forest", "regression"): lambda s: RandomForestRegressor(4, max_depth=4, random_state=s),
    ("forest", "multiclass"): lambda s: RandomForestClassifier(4, max_depth=3, random_state=s),
    ("extra", "multiclass"): lambda s: ExtraTreesClassifier(3, max_depth=3, random_state=s),
    ("boosting", "regression"): lambda s: GradientBoostingRegressor(n_estimators=4, max_depth=3, random_state=s),
    ("boosting", "multiclass"): lambda s: GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=s),
    ("hist", "regression"): lambda s: HistGradientBoostingRegressor(max_iter=4, max_depth=3, min_samples_leaf=5),
    ("hist", "multiclass"): lambda s: HistGradientBoostingClassifier(max_iter=3, max_depth=3, min_samples_leaf=5),
}


def fitted(family, task, seed, missing):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, N_FEATURES))
    y = X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) + X[:, 3] * (X[:, 4] > 0)
    if task == "multiclass":
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    if missing and family != "boosting":  # GradientBoosting* refuses missing values
        X[rng.random(X.shape) < 0.15] = np.nan
    model = MODELS[family, task](seed).fit(X, y)
    output = "predict_proba" if family in ("forest", "extra") and task == "multiclass" else (
        "decision_function" if task == "multiclass" else "predict")
    return X, model, output


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model_key=st.sampled_from(sorted(MODELS)),
    seed=st.integers(0, 10_000),
    missing=st.booleans(),
    labels=st.lists(st.integers(0, 3), min_size=N_FEATURES, max_size=N_FEATURES),
    perturbation=st.sampled_from(["interventional", "tree_path_dependent"]),
)
def test_tree_groups_equal_the_brute_force_group_game(model_key, seed, missing, labels, perturbation):
    X, model, output = fitted(*model_key, seed, missing)
    groups, players = players_of(labels)
    background = X[:6]
    explainer = ShapleyExplainer(model, method="tree", groups=groups, background=background,
                                 feature_perturbation=perturbation).fit(X)
    assert explainer.output_names_.shape[0] == explainer.explain(X[:1]).values.shape[2]
    exp = explainer.explain(X[10:13])
    assert exp.values.shape[1] == len(players)
    for r, x in enumerate(X[10:13]):
        expected = group_values(model, output, x, players, perturbation, background)
        np.testing.assert_allclose(exp.values[r], expected, rtol=1e-9, atol=1e-9)
    model_output = getattr(model, output)(X[10:13]).reshape(3, -1)
    np.testing.assert_allclose(exp.output(), model_output, rtol=1e-9, atol=1e-9)  # efficiency


@pytest.mark.parametrize("perturbation", ["interventional", "tree_path_dependent"])
def test_tree_groups_of_one_column_equal_the_ungrouped_values(perturbation):
    X, model, _ = fitted("hist", "multiclass", 3, missing=True)
    kwargs = dict(method="tree", background=X[:10], feature_perturbation=perturbation)
    plain = ShapleyExplainer(model, **kwargs).fit(X).explain(X[:5])
    single = ShapleyExplainer(model, groups={f"c{j}": [j] for j in range(N_FEATURES)}, **kwargs).fit(X).explain(X[:5])
    np.testing.assert_allclose(single.values, plain.values, rtol=1e-10, atol=1e-12)


def mixed_frame(seed=0, n=120):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.normal(50, 10, n),
        "income": rng.lognormal(3, 0.5, n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "size": rng.normal(size=n),
        "lag1": rng.normal(size=n),
    })
    frame.loc[rng.random(n) < 0.1, "size"] = np.nan
    y = (frame["age"] / 10 * (frame["colour"] == "red") + np.log(frame["income"]) * frame["lag1"]
         + frame["size"].fillna(0))
    return frame, y


def test_tree_groups_through_a_pipeline_equal_the_exact_method():
    """Groups of raw columns, one of them one-hot encoded: the tree method plays the game of the
    raw columns (all indicators of a category at once), which the exact method plays by masking."""
    frame, y = mixed_frame()
    front = make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough")
    model = make_pipeline(front, HistGradientBoostingRegressor(max_iter=20, max_depth=3)).fit(frame, y)
    groups = {"person": ["age", "colour"], "signal": ["size", "lag1"]}
    kwargs = dict(groups=groups, background=frame[:15])
    tree = ShapleyExplainer(model, method="tree", **kwargs).fit(frame)
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(frame)
    a, b = tree.explain(frame[20:26]), exact.explain(frame[20:26])
    assert list(a.feature_names) == ["person", "signal", "income"]
    np.testing.assert_allclose(a.values, b.values, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.base_values, b.base_values, rtol=1e-12)


def test_auto_picks_the_tree_method_with_groups():
    X, model, _ = fitted("forest", "regression", 0, missing=False)
    explainer = ShapleyExplainer(model, groups={"pair": [0, 1]}, background=X[:5]).fit(X)
    assert explainer.method_ == "tree"
    exact = ShapleyExplainer(model, method="exact", groups={"pair": [0, 1]}, background=X[:5]).fit(X)
    np.testing.assert_allclose(explainer.explain(X[:3]).values, exact.explain(X[:3]).values, atol=1e-9)


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_linear_groups_sum_the_closed_form_and_equal_the_exact_method(task):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, N_FEATURES))
    score = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    if task == "regression":
        model, output = LinearRegression().fit(X, score), "predict"
    else:
        y = score > 0 if task == "binary" else np.digitize(score, [-1, 1])
        model, output = LogisticRegression().fit(X, y), "decision_function"
    groups = {"first": [0, 3], "last": [4, 1]}
    kwargs = dict(groups=groups, background=X[:20], output=output)
    linear = ShapleyExplainer(model, method="linear", **kwargs).fit(X)
    exp = linear.explain(X[30:35])
    coef = np.atleast_2d(model.coef_)  # (n_outputs, p)
    per_column = (X[30:35, :, None] - X[:20].mean(axis=0)[None, :, None]) * coef.T[None]
    closed = np.stack([per_column[:, [0, 3]].sum(1), per_column[:, [4, 1]].sum(1), per_column[:, 2]], axis=1)
    np.testing.assert_allclose(exp.values, closed, rtol=1e-9, atol=1e-9)
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(X).explain(X[30:35])
    np.testing.assert_allclose(exp.values, exact.values, rtol=1e-8, atol=1e-8)


def test_linear_groups_through_a_pipeline_equal_the_exact_method():
    frame, y = mixed_frame(2)
    frame = frame.fillna(0.0)
    front = make_column_transformer((OneHotEncoder(), ["colour"]), remainder=StandardScaler())
    model = make_pipeline(front, LinearRegression()).fit(frame, y)
    kwargs = dict(groups={"person": ["colour", "age"], "lags": ["lag1", "size"]}, background=frame[:25])
    linear = ShapleyExplainer(model, **kwargs).fit(frame)
    assert linear.method_ == "linear"
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(frame)
    np.testing.assert_allclose(linear.explain(frame[:8]).values, exact.explain(frame[:8]).values, atol=1e-8)


@pytest.mark.parametrize("method", ["tree", "linear"])
@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"one": [0, 1], "two": [1, 2]}, r"groups overlap: column 'x1' is in both groups\['one'\] and groups\['two'\]"),
        ({"one": [0, 9]}, r"9 \(in groups\['one'\]\) is out of range"),
    ],
)
def test_tree_and_linear_methods_refuse_bad_groups(method, groups, message):
    X, model, _ = fitted("forest", "regression", 0, missing=False)
    if method == "linear":
        model = LinearRegression().fit(X, X.sum(axis=1))
    with pytest.raises(ValueError, match=message):
        ShapleyExplainer(model, method=method, groups=groups, background=X[:5]).fit(X)


@pytest.mark.boost
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_tree_groups_of_boosting_libraries_with_categories_equal_the_exact_method(library):
    """The libraries' trees read their model columns (categories natively, missing values
    by their default directions); a group of a numeric and a categorical column is one player."""
    module = pytest.importorskip(library)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 5)), columns=list("abcde"))
    X["cat"] = pd.Categorical(rng.choice(["x", "y", "z"], 300))
    X.loc[rng.random(300) < 0.1, "a"] = np.nan
    y = (X.a.fillna(0) * X.b + (X.cat == "x") * X.c + X.d > 0).astype(int)
    if library == "lightgbm":
        model = module.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    else:
        model = module.XGBClassifier(n_estimators=20, enable_categorical=True, tree_method="hist").fit(X, y)
    groups = {"ab": ["a", "b"], "mixed": ["c", "cat"]}
    kwargs = dict(groups=groups, background=X[:10])
    tree = ShapleyExplainer(model, method="tree", **kwargs).fit(X).explain(X[20:25])
    exact = ShapleyExplainer(model, method="exact", output="decision_function", **kwargs).fit(X).explain(X[20:25])
    np.testing.assert_allclose(tree.values, exact.values, atol=1e-6)  # XGBoost's float32 thresholds
    path = ShapleyExplainer(model, method="tree", groups=groups, feature_perturbation="tree_path_dependent").fit(X)
    np.testing.assert_allclose(path.explain(X[20:25]).output()[:, 0], model.predict(X[20:25], output_margin=True)
                               if library == "xgboost" else model.predict(X[20:25], raw_score=True), atol=1e-6)
