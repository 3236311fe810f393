"""Bad input to every transparent model family: a feature with one distinct value, a
feature missing on every row but one, a zero budget, a budget larger than the data can
use, a category seen only in the rows the additive models hold out to stop on, and one
seen only when predicting. Each has a defined behaviour, and each message names the
parameter."""

import warnings

import numpy as np
import pandas as pd
import pytest

import glassbox.models._additive_base as additive_base
from glassbox._core import InvalidParameterError
from glassbox.models import (
    AdditiveClassifier,
    AdditiveRegressor,
    RuleListClassifier,
    SparseLinearClassifier,
    SparseLinearRegressor,
    TreeClassifier,
    TreeRegressor,
    TreeSumClassifier,
    TreeSumRegressor,
)

FAMILIES = {
    "SparseLinearClassifier": lambda **k: SparseLinearClassifier(**{"max_features": 3, **k}),
    "SparseLinearRegressor": lambda **k: SparseLinearRegressor(**{"max_features": 3, **k}),
    "TreeClassifier": lambda **k: TreeClassifier(**{"max_leaf_nodes": 8, "random_state": 0, **k}),
    "TreeRegressor": lambda **k: TreeRegressor(**{"max_leaf_nodes": 8, "random_state": 0, **k}),
    "RuleListClassifier": lambda **k: RuleListClassifier(**{"max_rules": 4, **k}),
    "AdditiveClassifier": lambda **k: AdditiveClassifier(**{"outer_bags": 2, "max_rounds": 300, "interactions": 1,
                                                            "random_state": 0, **k}),
    "AdditiveRegressor": lambda **k: AdditiveRegressor(**{"outer_bags": 2, "max_rounds": 300, "interactions": 1,
                                                          "random_state": 0, **k}),
    "TreeSumClassifier": lambda **k: TreeSumClassifier(**{"max_splits": 8, **k}),
    "TreeSumRegressor": lambda **k: TreeSumRegressor(**{"max_splits": 8, **k}),
}


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.choice(["u", "v", "w"], n))})
    signal = X["a"] + 1.5 * (X["c"] == "u") + 0.5 * rng.normal(size=n)
    return X, np.where(signal > 0.5, "yes", "no"), signal.to_numpy()


def _fit(name, X, **params):
    _, y_class, y_value = _data(len(X))
    y = y_class if name.endswith("Classifier") else y_value
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="max_features=", category=UserWarning)
        return FAMILIES[name](**params).fit(X, y), y


def _output(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_feature_with_one_distinct_value_is_never_used(name):
    X, _, _ = _data()
    model, _ = _fit(name, X.assign(k=4.0))
    local = model.explain(X.assign(k=4.0))
    k = list(local.feature_names).index("k")
    np.testing.assert_array_equal(local.values[:, k], 0.0)  # no contribution on any row
    assert "k" not in model.to_text()


@pytest.mark.parametrize("name", FAMILIES)
def test_features_that_all_have_one_value_give_the_constant_model(name):
    X = pd.DataFrame({"k": np.full(150, 4.0), "level": pd.Categorical(["u"] * 150)})
    model, y = _fit(name, X)
    if name.startswith("SparseLinear"):
        with pytest.warns(UserWarning, match=f"max_features=3 is more than the 0 features that vary in X; {name} is "
                                             "its intercept alone, the constant model"):
            FAMILIES[name]().fit(X, y)
    assert model.complexity_ == 0
    out = _output(model, X)
    np.testing.assert_allclose(out, np.broadcast_to(out[0], out.shape), rtol=0, atol=1e-12)  # one prediction
    if name.endswith("Regressor"):
        np.testing.assert_allclose(out, y.mean(), rtol=1e-9)
    else:
        labels, counts = np.unique(y, return_counts=True)
        assert set(model.predict(X)) == {labels[np.argmax(counts)]}


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
@pytest.mark.parametrize("name", FAMILIES)
def test_a_feature_missing_on_every_row_but_one(name, kind):
    X, _, _ = _data()
    value = 2.5 if kind == "numeric" else "z"
    column = pd.Series([value] + [np.nan] * (len(X) - 1), dtype=float if kind == "numeric" else "category")
    model, _ = _fit(name, X.assign(m=column))
    rows = X.assign(m=column).iloc[:6]
    out = _output(model, rows)
    assert np.isfinite(out).all()
    if out.ndim == 2:
        np.testing.assert_allclose(out.sum(axis=1), 1.0)
    local = model.explain(rows)  # the contributions still add up to the model's output
    assert np.isfinite(local.values).all() and local.values.shape[1] == 4


ZERO_BUDGETS = [
    ("SparseLinearClassifier", "max_features"),
    ("SparseLinearRegressor", "max_terms"),
    ("TreeClassifier", "max_leaf_nodes"),
    ("TreeRegressor", "max_depth"),
    ("RuleListClassifier", "max_rules"),
    ("RuleListClassifier", "max_conditions"),
    ("AdditiveClassifier", "max_rounds"),
    ("TreeSumClassifier", "max_trees"),
    ("TreeSumRegressor", "max_depth"),
]


@pytest.mark.parametrize(("name", "parameter"), ZERO_BUDGETS)
def test_a_zero_budget_that_allows_no_model_is_an_error_naming_the_parameter(name, parameter):
    X, _, _ = _data()
    with pytest.raises(InvalidParameterError, match=f"The '{parameter}' parameter of {name} must be .* Got 0"):
        _fit(name, X, **{parameter: 0})


@pytest.mark.parametrize("name", ["TreeSumClassifier", "TreeSumRegressor"])
def test_max_splits_zero_is_the_constant_model(name):
    X, _, _ = _data()
    model, y = _fit(name, X, max_splits=0)
    assert model.complexity_ == 0
    if name == "TreeSumRegressor":
        np.testing.assert_allclose(model.predict(X), y.mean(), rtol=1e-12)
    else:
        share = np.mean(y == "yes")
        np.testing.assert_allclose(model.predict_proba(X)[:, 1], share, rtol=1e-12)


@pytest.mark.parametrize("name", ["AdditiveClassifier", "AdditiveRegressor"])
def test_interactions_zero_boosts_no_pair(name):
    X, _, _ = _data()
    model, _ = _fit(name, X, interactions=0)
    assert not any(" × " in str(term) for term in model.explain().feature_names)


def _same_model(name, X, large, exact):
    """The model with a budget past what the data can use, and with the budget it used."""
    first, _ = _fit(name, X, **large)
    second, _ = _fit(name, X, **exact(first))
    np.testing.assert_array_equal(_output(first, X), _output(second, X))
    assert first.to_text() == second.to_text()
    return first


def test_more_features_than_vary_is_a_warning_naming_max_features():
    X, y, _ = _data(40)
    with pytest.warns(UserWarning, match="max_features=1000 is more than the 3 features that vary in X; "
                                         "SparseLinearClassifier uses all 3"):
        SparseLinearClassifier(max_features=1000).fit(X.assign(k=1.0), y)
    _same_model("SparseLinearClassifier", X, {"max_features": 1000}, lambda model: {"max_features": None})


@pytest.mark.parametrize(("name", "large", "exact"), [
    ("TreeClassifier", {"max_leaf_nodes": 1000}, lambda model: {"max_leaf_nodes": model.complexity_ + 1}),
    ("TreeRegressor", {"max_leaf_nodes": 1000}, lambda model: {"max_leaf_nodes": model.complexity_ + 1}),
    ("RuleListClassifier", {"max_rules": 1000}, lambda model: {"max_rules": len(model.rules_)}),
    ("AdditiveClassifier", {"interactions": 1000}, lambda model: {"interactions": 3}),  # 3 pairs of 3 features
])
def test_a_budget_larger_than_the_data_can_use_stops_where_the_data_does(name, large, exact):
    X, _, _ = _data(40)
    model = _same_model(name, X, large, exact)
    assert model.complexity_ < next(iter(large.values()))


def test_a_sum_of_trees_stops_once_the_features_determine_the_target():
    # A sum of trees spends its budget while some split lowers the training loss, which on
    # noisy data is every split (a new tree can always start); on a target its features
    # determine, it stops once that target is fitted.
    X, _, _ = _data(40)
    y = X["c"].map({"u": 1.0, "v": 2.0, "w": 4.0}).to_numpy(float)
    model = TreeSumRegressor(max_splits=1000).fit(X, y)
    assert model.complexity_ == 2
    np.testing.assert_allclose(model.predict(X), y, atol=1e-12)
    exact = TreeSumRegressor(max_splits=2).fit(X, y)
    assert exact.to_text() == model.to_text()


@pytest.mark.parametrize("name", FAMILIES)
def test_a_level_seen_only_when_predicting_reads_as_missing(name):
    X, _, _ = _data()
    model, _ = _fit(name, X)
    rows = X.iloc[:5].copy()
    unseen = rows.assign(c=pd.Categorical(["never"] * 5))
    missing = rows.assign(c=pd.Categorical([np.nan] * 5, categories=["u"]))
    np.testing.assert_array_equal(_output(model, unseen), _output(model, missing))


@pytest.mark.parametrize("cls", [AdditiveClassifier, AdditiveRegressor])
def test_a_level_seen_only_in_the_rows_held_out_to_stop_on_contributes_nothing(cls, monkeypatch):
    # The bags depend on y and the seed only: find the rows every bag holds out, then give
    # them a level of their own, which no bag ever trains on.
    drawn = []
    original = additive_base._draw_bags
    monkeypatch.setattr(additive_base, "_draw_bags", lambda *a, **k: drawn.append(original(*a, **k)) or drawn[-1])
    X, y_class, y_value = _data(200)
    y = y_class if cls is AdditiveClassifier else y_value
    params = dict(outer_bags=2, interactions=[("a", "c")], max_rounds=300, random_state=0)
    cls(**params).fit(X, y)
    held = np.intersect1d(*drawn[-1].val_rows)[:3]
    assert len(held) >= 2
    levels = X["c"].astype(object)
    levels.iloc[held] = "late"
    X_late = X.assign(c=pd.Categorical(levels))
    model = cls(**params).fit(X_late, y)
    assert np.array_equal(np.intersect1d(*drawn[-1].val_rows)[:len(held)], held)  # the same bags

    main, pair = (shape for shape in model.shape_functions() if "c" in shape.feature_names)
    late = list(main.grid[0]).index("late")
    assert main.values[late, 0] == 0.0 and main.counts[late] == len(held)  # its rows are there, untrained on
    axis = pair.feature_names.index("c")
    np.testing.assert_array_equal(np.take(pair.values, list(pair.grid[axis]).index("late"), axis=axis), 0.0)
    local = model.explain(X_late.iloc[held])
    np.testing.assert_array_equal(local.values[:, 2], 0.0)  # the column c contributes nothing
    unseen = X_late.iloc[held].assign(c=pd.Categorical(["never"] * len(held)))  # the same as a level never seen
    np.testing.assert_allclose(_output(model, X_late.iloc[held]), _output(model, unseen), rtol=1e-12)
