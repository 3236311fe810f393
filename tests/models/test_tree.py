"""TreeClassifier and TreeRegressor: the leaf budget, agreement with scikit-learn's CART,
rules, text, SQL and Python exports, local contributions and bad input."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox import complexity
from glassbox._core import InvalidParameterError, validate_X
from glassbox.models import TreeClassifier, TreeRegressor


# -- data and helpers ----------------------------------------------------------------
@pytest.fixture(scope="module")
def penguins():
    data = load_penguins()
    return data.drop(columns="species"), data["species"]


@pytest.fixture(scope="module")
def cancer_with_missing():
    X, y = load_breast_cancer(return_X_y=True)
    X = X.copy()
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X, y


@pytest.fixture(scope="module")
def diabetes_with_missing():
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X = X.copy()
    rng = np.random.default_rng(1)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X, y


def indicator_design(X):
    """CART's input built independently of glassbox: numeric columns as they are, one
    indicator per sorted level of each string column, NaN where the category is missing."""
    columns, owner = [], []
    for j, name in enumerate(X.columns):
        column = X[name]
        if pd.api.types.is_numeric_dtype(column):
            columns.append(column.to_numpy(dtype=float))
            owner.append(j)
            continue
        for level in sorted(column.dropna().unique()):
            columns.append(np.where(column.isna(), np.nan, (column == level).to_numpy(dtype=float)))
            owner.append(j)
    return np.column_stack(columns), np.asarray(owner)


def as_records(X):
    """Rows as dicts, missing values as None."""
    return X.astype(object).where(X.notna(), None).to_dict("records")


def run_sql(model, X):
    connection = sqlite3.connect(":memory:")
    X.astype(object).where(X.notna(), None).to_sql("rows", connection, index=False)
    return pd.read_sql(model.to_sql(table="rows"), connection)


def run_python(model):
    source = model.to_python()
    assert "import" not in source
    namespace = {}
    exec(source, namespace)
    return namespace


# -- the leaf budget -----------------------------------------------------------------
@pytest.mark.parametrize("budget", [1, 2, 3, 5, 8, 13, 21])
def test_leaf_budget_is_exact(budget):
    for model, (X, y) in [
        (TreeClassifier(max_leaf_nodes=budget, random_state=0), load_breast_cancer(return_X_y=True)),
        (TreeRegressor(max_leaf_nodes=budget, random_state=0), load_diabetes(return_X_y=True)),
    ]:
        model.fit(X, y)
        assert model.n_leaves_ == budget
        assert model.complexity_ == complexity(model) == budget - 1
        assert len(model.rules_) == budget
        np.testing.assert_array_equal(np.unique(model.apply(X)), np.arange(budget))


def test_budget_larger_than_possible_grows_every_possible_split():
    # Three distinct values allow at most three leaves, whatever the budget.
    X = np.repeat([[0.0], [1.0], [2.0]], 5, axis=0)
    y = X[:, 0] + np.tile(np.linspace(0, 0.1, 5), 3)
    model = TreeRegressor(max_leaf_nodes=50).fit(X, y)
    assert model.n_leaves_ == 3 and model.complexity_ == 2
    # Pure leaves are not split.
    classifier = TreeClassifier(max_leaf_nodes=10).fit([[0], [1], [2], [3]], [0, 0, 1, 1])
    assert classifier.n_leaves_ == 2


def test_single_leaf_budget_predicts_the_class_frequencies():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = TreeClassifier(max_leaf_nodes=1).fit(X, y)
    frequencies = np.bincount(y) / len(y)
    np.testing.assert_array_equal(model.predict_proba(X.iloc[:3]), np.tile(frequencies, (3, 1)))
    assert model.complexity_ == 0
    assert model.to_text() == f"|--- class: 1 (p={frequencies[1]:.2f}, n=569)"
    assert model.leaf_rules()["rule"].tolist() == ["always"]
    exp = model.explain(X.iloc[:3])
    assert not exp.values.any()
    np.testing.assert_array_equal(exp.base_values, np.tile(frequencies, (3, 1)))
    np.testing.assert_allclose(run_sql(model, X.iloc[:3]).iloc[:, :2].to_numpy(), model.predict_proba(X.iloc[:3]))
    assert run_python(model)["predict"](as_records(X)[0]) == 1


# -- agreement with scikit-learn's CART ----------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_leaf_nodes": 20, "min_samples_leaf": 5, "criterion": "entropy"},
        {"max_leaf_nodes": None, "max_depth": 4, "class_weight": "balanced"},
        {"max_leaf_nodes": 30, "ccp_alpha": 0.005, "class_weight": {0: 3.0, 1: 1.0}},
    ],
)
def test_classifier_predicts_as_scikit_learn_cart_on_numeric_data(cancer_with_missing, params):
    X, y = cancer_with_missing
    model = TreeClassifier(random_state=0, **params).fit(X, y)
    reference = DecisionTreeClassifier(random_state=0, **{"max_leaf_nodes": 8, **params}).fit(X, y)
    np.testing.assert_array_equal(model.tree_estimator_.tree_.feature, reference.tree_.feature)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    X_new = X + np.random.default_rng(2).normal(scale=0.05, size=X.shape) * np.nanstd(X, axis=0)
    np.testing.assert_array_equal(model.predict_proba(X_new), reference.predict_proba(X_new))
    np.testing.assert_array_equal(model.predict(X_new), reference.predict(X_new))


@pytest.mark.parametrize(
    "params",
    [{}, {"max_leaf_nodes": None, "min_samples_leaf": 10}, {"max_leaf_nodes": 12, "criterion": "absolute_error"}],
)
def test_regressor_predicts_as_scikit_learn_cart_on_numeric_data(diabetes_with_missing, params):
    X, y = diabetes_with_missing
    model = TreeRegressor(random_state=0, **params).fit(X, y)
    reference = DecisionTreeRegressor(random_state=0, **{"max_leaf_nodes": 8, **params}).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    X_new = X + np.random.default_rng(3).normal(scale=0.05, size=X.shape) * np.nanstd(X, axis=0)
    np.testing.assert_array_equal(model.predict(X_new), reference.predict(X_new))


@st.composite
def numeric_tables(draw):
    """Numeric rows without missing values (continuous, few repeated values, or values
    that float32 merges), a target, and the tree's parameters."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, p = draw(st.integers(4, 60)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["continuous", "few values", "float32 neighbours"]))
    if kind == "continuous":
        X = rng.normal(size=(n, p))
    elif kind == "few values":
        X = rng.integers(0, 4, size=(n, p)) / 4.0
    else:  # distinct in float64, some equal once scikit-learn casts them to float32
        X = 1.0 + rng.integers(0, 20, size=(n, p)) * 1e-8 + rng.integers(0, 3, size=(n, p)) * 1e-3
    y = rng.integers(0, draw(st.integers(2, 3)), size=n)
    y[:2] = [0, 1]  # at least two classes
    params = {"max_leaf_nodes": draw(st.integers(2, 12)), "min_samples_leaf": draw(st.integers(1, 3)),
              "random_state": draw(st.integers(0, 5))}
    return X, y, params


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=numeric_tables(), as_regression=st.booleans())
def test_grows_scikit_learn_cart_split_by_split_on_numeric_data(data, as_regression):
    """On numeric data without missing values the tree is scikit-learn's: the same column
    at every node, every training row in the same node, the same leaf values, and rows
    recombined from the training values routed alike."""
    X, y, params = data
    if as_regression:
        y = y + np.linspace(0.0, 0.5, len(y))
    model = (TreeRegressor if as_regression else TreeClassifier)(**params).fit(X, y)
    reference = (DecisionTreeRegressor if as_regression else DecisionTreeClassifier)(**params).fit(X, y)
    tree = reference.tree_
    is_split = tree.children_left >= 0
    np.testing.assert_array_equal(model.nodes_.left, tree.children_left)
    np.testing.assert_array_equal(model.nodes_.feature, np.where(is_split, tree.feature, -1))
    np.testing.assert_array_equal(model.nodes_.n_samples, tree.n_node_samples)
    np.testing.assert_array_equal(model.nodes_.apply(X), reference.apply(X))
    recombined = np.column_stack([np.random.default_rng(0).permutation(X[:, j]) for j in range(X.shape[1])])
    if as_regression:
        np.testing.assert_array_equal(model.predict(X), reference.predict(X))
        np.testing.assert_array_equal(model.predict(recombined), reference.predict(recombined))
    else:
        np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
        np.testing.assert_array_equal(model.predict_proba(recombined), reference.predict_proba(recombined))


def test_missing_values_seen_only_at_predict_follow_scikit_learn():
    X, y = load_breast_cancer(return_X_y=True)
    model = TreeClassifier(max_leaf_nodes=16, random_state=0).fit(X, y)
    reference = DecisionTreeClassifier(max_leaf_nodes=16, random_state=0).fit(X, y)
    X_missing = X.copy()
    X_missing[np.random.default_rng(4).random(X.shape) < 0.3] = np.nan
    np.testing.assert_array_equal(model.predict_proba(X_missing), reference.predict_proba(X_missing))


def test_training_rows_with_categories_fall_where_cart_put_them(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    design, _ = indicator_design(X)
    np.testing.assert_array_equal(model.predict_proba(X), model.tree_estimator_.predict_proba(design))


def test_numeric_thresholds_are_float64_midpoints_of_training_values():
    X = np.array([[0.1], [0.2], [0.3], [0.4]])
    model = TreeClassifier().fit(X, [0, 0, 1, 1])
    assert model.tree_estimator_.tree_.threshold[0] != 0.25  # scikit-learn's float32 midpoint
    assert model.rules_[0].value.tolist() == [0.25]
    assert '"x0" <= 0.25)' in model.to_sql()


# -- rules, text and exports ---------------------------------------------------------
def test_text_of_numeric_split_says_where_missing_values_go():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, np.nan]})
    y = ["a", "a", "a", "b", "b", "b", "b"]
    model = TreeClassifier(max_leaf_nodes=2).fit(X, y)
    assert model.to_text() == (
        "|--- x <= 4 (n=3)\n"
        "|   |--- class: a (p=1.00, n=3)\n"
        "|--- (x > 4 or x is missing) (n=4)\n"
        "|   |--- class: b (p=1.00, n=4)"
    )
    assert str(model) == model.to_text()


def test_text_of_a_split_between_missing_and_present_values():
    X = pd.DataFrame({"x": [1.0, 3.0, 5.0, np.nan, np.nan]})
    model = TreeClassifier().fit(X, ["a", "a", "a", "b", "b"])
    assert model.to_text() == (
        "|--- x is not missing (n=3)\n"
        "|   |--- class: a (p=1.00, n=3)\n"
        "|--- x is missing (n=2)\n"
        "|   |--- class: b (p=1.00, n=2)"
    )
    assert '"x" IS NOT NULL' in model.to_sql()
    encoded = validate_X(model, X, reset=False)
    np.testing.assert_array_equal(model.rules_[0].evaluate(encoded)[:, 0], X["x"].notna())
    np.testing.assert_array_equal(model.rules_[1].evaluate(encoded)[:, 0], X["x"].isna())
    predict = run_python(model)["predict"]
    assert [predict({"x": v}) for v in (7.0, None, float("nan"))] == ["a", "b", "b"]


def test_text_of_a_categorical_split_names_the_level():
    X = pd.DataFrame({"colour": ["red", "blue", "green", "blue", "red", "blue"], "x": [1, 2, 3, 4, 5, 6]})
    y = np.where(X["colour"] == "blue", "cold", "warm")
    model = TreeClassifier(max_leaf_nodes=2).fit(X, y)
    assert model.to_text() == (
        "|--- colour != blue (n=3)\n"
        "|   |--- class: warm (p=1.00, n=3)\n"
        "|--- colour = blue (n=3)\n"
        "|   |--- class: cold (p=1.00, n=3)"
    )


def test_regressor_text_shows_leaf_means():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    model = TreeRegressor(max_leaf_nodes=2).fit(X, [1.0, 2.0, 10.0, 12.0])
    assert model.to_text() == (
        "|--- x <= 2.5 (n=2)\n|   |--- value: 1.5 (n=2)\n|--- x > 2.5 (n=2)\n|   |--- value: 11 (n=2)"
    )
    rules = model.leaf_rules()
    assert rules["rule"].tolist() == ["x <= 2.5", "x > 2.5"]
    assert rules["prediction"].tolist() == [1.5, 11.0]


def test_rules_state_each_feature_once_with_the_tightest_bounds(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=16, random_state=0).fit(X, y)
    for rule in model.rules_:
        pairs = list(zip(rule.feature.tolist(), rule.op.tolist()))
        assert len(pairs) == len(set(pairs))


def test_leaf_rules_table(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=6, random_state=0).fit(X, y)
    table = model.leaf_rules()
    leaves = model.apply(X)
    np.testing.assert_array_equal(table["n_samples"], np.bincount(leaves, minlength=6))
    proba = table[[f"p({label})" for label in model.classes_]].to_numpy()
    np.testing.assert_array_equal(proba[leaves], model.predict_proba(X))
    np.testing.assert_array_equal(table["prediction"].to_numpy()[leaves], model.predict(X))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_sql_and_python_exports_match_predict_on_penguins(penguins, kind):
    X, y = penguins
    if kind == "regressor":
        X, y = X.drop(columns="body_mass_g")[y.notna()], X["body_mass_g"]
        keep = y.notna()
        X, y = X[keep.to_numpy()], y[keep]
        model = TreeRegressor(max_leaf_nodes=12, random_state=0).fit(X, y)
        expected = model.predict(X)[:, None]
    else:
        model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
        expected = model.predict_proba(X)
    sql = run_sql(model, X)
    np.testing.assert_allclose(sql.iloc[:, : expected.shape[1]].to_numpy(dtype=float), expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(sql["prediction"].to_numpy(), model.predict(X))
    module = run_python(model)
    rows = as_records(X)
    np.testing.assert_array_equal([module["predict"](row) for row in rows], model.predict(X))
    if kind == "classifier":
        proba = np.array([module["predict_proba"](row) for row in rows])
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-9)
        assert module["CLASSES"] == ["Adelie", "Chinstrap", "Gentoo"]


@st.composite
def tables(draw):
    """A small table with a numeric and a categorical column, both with missing values,
    a target, and new rows that also hold values and a category fit never saw."""
    n = draw(st.integers(8, 40))
    numbers = st.one_of(st.sampled_from([0.0, 1.0, 2.5, 4.0, 7.0]), st.just(np.nan))
    levels = st.sampled_from(["a", "b", "c", None])
    X = pd.DataFrame({"num": draw(st.lists(numbers, min_size=n, max_size=n)),
                      "cat": pd.Series(draw(st.lists(levels, min_size=n, max_size=n)), dtype=object)})
    y = np.asarray(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    m = draw(st.integers(1, 15))
    new = pd.DataFrame({
        "num": draw(st.lists(st.one_of(st.floats(-1, 8), st.just(np.nan)), min_size=m, max_size=m)),
        "cat": pd.Series(draw(st.lists(st.sampled_from(["a", "b", "c", "unseen", None]), min_size=m, max_size=m)),
                         dtype=object),
    })
    return X, y, new, draw(st.integers(1, 10))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tables(), as_regression=st.booleans())
def test_rules_partition_rows_and_every_export_agrees_with_predict(data, as_regression):
    X, y, X_new, budget = data
    if as_regression:
        model = TreeRegressor(max_leaf_nodes=budget, random_state=0).fit(X, y.astype(float))
        expected = model.predict(X_new)[:, None]
    else:
        if len(np.unique(y)) < 2:
            y = np.arange(len(y)) % 2
        model = TreeClassifier(max_leaf_nodes=budget, random_state=0).fit(X, y)
        expected = model.predict_proba(X_new)
    encoded = validate_X(model, X_new, reset=False, handle_unknown="use_encoded_value")
    holds = np.column_stack([rule.evaluate(encoded).all(axis=1) for rule in model.rules_])  # (m, n_leaves)
    np.testing.assert_array_equal(holds.sum(axis=1), 1)
    np.testing.assert_array_equal(holds.argmax(axis=1), model.apply(X_new))
    sql = run_sql(model, X_new)
    np.testing.assert_allclose(sql.iloc[:, : expected.shape[1]].to_numpy(dtype=float), expected, rtol=0, atol=1e-9)
    module = run_python(model)
    predictions = [module["predict"](row) for row in as_records(X_new)]
    np.testing.assert_array_equal(predictions, model.predict(X_new))
    exp = model.explain(X_new)
    np.testing.assert_allclose(exp.output(), expected, rtol=0, atol=1e-12)


# -- explanations --------------------------------------------------------------------
def saabas_by_walking_the_path(model, design, owner, n_features):
    """Contributions from scikit-learn's decision_path, one row at a time."""
    tree = model.tree_estimator_.tree_
    value = tree.value[:, 0, :]
    if hasattr(model, "classes_"):
        value = value / value.sum(axis=1, keepdims=True)
    path = model.tree_estimator_.decision_path(design).toarray().astype(bool)
    out = np.zeros((len(design), n_features, value.shape[1]))
    for i, nodes in enumerate(path):
        visited = np.flatnonzero(nodes)  # root first: children have larger ids
        for parent, child in zip(visited[:-1], visited[1:]):
            out[i, owner[tree.feature[parent]]] += value[child] - value[parent]
    return out


def test_local_contributions_of_classifier_add_up_and_match_the_path(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    exp = model.explain(X)
    assert exp.shape == (len(X), X.shape[1], 3)
    assert list(exp.output_names) == ["Adelie", "Chinstrap", "Gentoo"]
    np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), model.predict_proba(X), rtol=0, atol=1e-12)
    design, owner = indicator_design(X)
    np.testing.assert_allclose(exp.values, saabas_by_walking_the_path(model, design, owner, X.shape[1]), atol=1e-12)
    unused = model.feature_importances_ == 0
    assert not exp.values[:, unused].any()


def test_local_contributions_of_regressor_add_up(diabetes_with_missing):
    X, y = diabetes_with_missing
    model = TreeRegressor(max_leaf_nodes=20, random_state=0).fit(X, y)
    exp = model.explain(X)
    assert exp.shape == (len(X), X.shape[1], 1)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(exp.base_values[:, 0], np.mean(y))
    owner = np.arange(X.shape[1])
    np.testing.assert_allclose(exp.values, saabas_by_walking_the_path(model, X, owner, X.shape[1]), atol=1e-10)


def test_global_importance_sums_the_levels_of_a_category(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    exp = model.explain()
    _, owner = indicator_design(X)
    expected = np.bincount(owner, weights=model.tree_estimator_.feature_importances_, minlength=X.shape[1])
    np.testing.assert_allclose(exp.values[:, 0], expected)
    np.testing.assert_allclose(exp.values.sum(), 1.0)
    assert list(exp.feature_names) == list(X.columns)
    assert exp.to_frame().loc["island", "importance"] > 0


# -- bad input -----------------------------------------------------------------------
def test_one_class_target_is_a_clear_error():
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class: 'yes'."):
        TreeClassifier().fit([[0.0], [1.0]], ["yes", "yes"])


def test_invalid_budget_is_a_clear_error():
    with pytest.raises(InvalidParameterError, match="'max_leaf_nodes' parameter of TreeClassifier must be"):
        TreeClassifier(max_leaf_nodes=0).fit([[0.0], [1.0]], [0, 1])


def test_constant_and_all_missing_columns_are_never_split():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.assign(constant=1.0, empty=np.nan, empty_category=pd.Series([None] * len(X), dtype=object))
    model = TreeClassifier(max_leaf_nodes=20, random_state=0).fit(X, y)
    useless = [X.columns.get_loc(c) for c in ("constant", "empty", "empty_category")]
    assert model.n_leaves_ == 20
    assert not model.feature_importances_[useless].any()
    assert not any(np.isin(rule.feature, useless).any() for rule in model.rules_)


def test_unseen_category_follows_every_not_equal_branch(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    X_new = X.iloc[:40].assign(island="Atlantis")
    design, owner = indicator_design(X.iloc[:40])
    design[:, owner == X.columns.get_loc("island")] = 0.0  # no island level holds
    np.testing.assert_array_equal(model.predict_proba(X_new), model.tree_estimator_.predict_proba(design))
    np.testing.assert_allclose(model.explain(X_new).output(), model.predict_proba(X_new), atol=1e-12)
    module = run_python(model)
    np.testing.assert_array_equal([module["predict"](row) for row in as_records(X_new)], model.predict(X_new))


def test_column_order_is_matched_by_name(penguins):
    X, y = penguins
    model = TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y)
    reordered = X[X.columns[::-1]]
    np.testing.assert_array_equal(model.predict_proba(reordered), model.predict_proba(X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X.rename(columns={"island": "isle"}))


# -- trade-off, search and pipelines ---------------------------------------------------
def test_cost_complexity_path_is_scikit_learn_path_with_leaf_counts():
    X, y = load_breast_cancer(return_X_y=True)
    params = {"max_leaf_nodes": None, "min_samples_leaf": 3, "random_state": 0}
    path = TreeClassifier(**params).cost_complexity_path(X, y)
    reference = DecisionTreeClassifier(**params).cost_complexity_pruning_path(X, y)
    np.testing.assert_array_equal(path.ccp_alphas, reference.ccp_alphas)
    np.testing.assert_array_equal(path.impurities, reference.impurities)
    assert path.n_leaves[-1] == 1 and np.all(np.diff(path.n_leaves) < 0)
    np.testing.assert_array_equal(path.complexity, path.n_leaves - 1)
    distinct = np.flatnonzero((path.ccp_alphas > 0) & (np.diff(path.ccp_alphas, append=np.inf) > 0))
    for step in distinct:
        pruned = TreeClassifier(**params, ccp_alpha=float(path.ccp_alphas[step])).fit(X, y)
        assert pruned.n_leaves_ == path.n_leaves[step]


def test_cost_complexity_path_leaves_the_model_unfitted(penguins):
    X, y = penguins
    model = TreeClassifier()
    model.cost_complexity_path(X, y)
    assert not hasattr(model, "tree_estimator_")


def test_grid_search_over_the_leaf_budget():
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    budgets = [2, 4, 8, 16]
    search = GridSearchCV(TreeClassifier(random_state=0), {"max_leaf_nodes": budgets}, cv=cv, scoring="roc_auc")
    search.fit(X, y)
    for budget, score in zip(budgets, search.cv_results_["mean_test_score"]):
        direct = cross_val_score(TreeClassifier(max_leaf_nodes=budget, random_state=0), X, y, cv=cv, scoring="roc_auc")
        assert score == pytest.approx(direct.mean(), abs=1e-12)
    assert complexity(search) == search.best_params_["max_leaf_nodes"] - 1


def test_pipeline_passes_categories_through_by_name(penguins):
    X, y = penguins
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    prepare = ColumnTransformer(
        [("num", SimpleImputer(strategy="median"), numeric), ("cat", "passthrough", ["island", "sex"])],
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipeline = make_pipeline(prepare, TreeClassifier(max_leaf_nodes=10, random_state=0)).fit(X, y)
    prepared = prepare.fit_transform(X)
    direct = TreeClassifier(max_leaf_nodes=10, random_state=0).fit(prepared, y)
    np.testing.assert_array_equal(pipeline.predict_proba(X), direct.predict_proba(prepared))
    assert list(pipeline[-1].feature_names_in_) == numeric + ["island", "sex"]
    assert complexity(pipeline) == 9
