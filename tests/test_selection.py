"""FeatureSelector: explainer-driven selection in a tuned Pipeline."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from glassbox.explainers import ShapleyExplainer
from glassbox.models import TreeRegressor
from glassbox.selection import FeatureSelector


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(150, 6)), columns=[f"f{j}" for j in range(6)])
    y = 4 * X["f2"] - 3 * X["f5"] + 1.0 * X["f0"] + 0.1 * rng.normal(size=150)
    return X, y


def test_ranks_by_mean_absolute_shapley_value(data):
    X, y = data
    selector = FeatureSelector(ShapleyExplainer(LinearRegression(), method="linear"), max_features=2).fit(X, y)
    coef = LinearRegression().fit(X, y).coef_
    np.testing.assert_allclose(selector.importances_, np.abs(coef * (X - X.mean())).mean().to_numpy(), rtol=0.05)
    assert list(selector.get_feature_names_out()) == ["f2", "f5"]
    assert list(selector.set_output(transform="pandas").transform(X).columns) == ["f2", "f5"]


def test_threshold_and_default_mean_rule(data):
    X, y = data
    explainer = ShapleyExplainer(LinearRegression(), method="linear")
    by_threshold = FeatureSelector(explainer, threshold=0.5).fit(X, y)
    assert by_threshold.get_support(indices=True).tolist() == [0, 2, 5]
    default = FeatureSelector(explainer).fit(X, y)
    assert set(default.get_support(indices=True)) == {2, 5}


def test_tuned_in_a_pipeline(data):
    X, y = data
    pipe = Pipeline([("select", FeatureSelector(ShapleyExplainer(Ridge(), method="linear"))), ("model", Ridge())])
    search = GridSearchCV(pipe, {"select__max_features": [1, 2, 3]}, cv=3).fit(X, y)
    assert search.best_params_ == {"select__max_features": 3}
    assert search.best_estimator_[-1].n_features_in_ == 3


def test_budget_larger_than_the_features_is_a_clear_error(data):
    X, y = data
    with pytest.raises(ValueError, match="max_features=9 is larger than the 6 features of X"):
        FeatureSelector(ShapleyExplainer(Ridge()), max_features=9).fit(X, y)


def test_transform_matches_columns_by_name(data):
    X, y = data
    selector = FeatureSelector(ShapleyExplainer(LinearRegression(), method="linear"), max_features=2).fit(X, y)
    shuffled = X[list(X.columns[::-1])]
    np.testing.assert_array_equal(selector.transform(shuffled), selector.transform(X))


def test_transform_refuses_values_that_fit_would_refuse(data):
    X, y = data
    frame = X.iloc[:, :3].assign(kind=["a", "b", "c"] * 50)
    bad = frame.assign(kind=[{"a": 1}] * 150)
    message = "Column 'kind': argument must be a string or a real number, not 'dict'"
    selector = FeatureSelector(ShapleyExplainer(TreeRegressor(max_leaf_nodes=4), background=10), max_features=2)
    with pytest.raises(TypeError, match=message):
        selector.fit(bad, y)
    selector.fit(frame, y)
    with pytest.raises(TypeError, match=message):
        selector.transform(bad)
