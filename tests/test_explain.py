"""glassbox.explain(): the entry point that picks an explainer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeClassifier

import glassbox
from glassbox._explain import _REGISTRY


def test_registered_explainer_is_used_by_priority(monkeypatch):
    monkeypatch.setattr("glassbox._explain._REGISTRY", list(_REGISTRY))
    calls = []

    class Recorder:
        def __init__(self, model, **kwargs):
            calls.append(kwargs)

        def fit(self, X):
            self.X = X
            return self

        def explain(self, X):
            return ("explained", len(X))

    glassbox.register_explainer("low", lambda m: True, lambda m, **k: (_ for _ in ()).throw(AssertionError()),
                                priority=-100)
    glassbox.register_explainer("high", lambda m: isinstance(m, LinearRegression), Recorder, priority=100)
    X = np.arange(6.0).reshape(3, 2)
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    assert glassbox.explain(model, X, random_state=0) == ("explained", 3)
    assert calls == [{"random_state": 0}]


def test_no_explainer_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("glassbox._explain._REGISTRY", [])
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(TypeError, match="No registered explainer accepts LinearRegression"):
        glassbox.explain(LinearRegression().fit(X, [1.0, 2.0, 3.0]), X)
    with pytest.raises(ValueError, match="needs the rows to explain"):
        glassbox.explain(SVR().fit(X, [1.0, 2.0, 3.0]))  # no importance of its own


def test_without_rows_a_linear_model_gives_its_coefficients_in_closed_form():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    model = LinearRegression().fit(X, 2 * X["a"] - 3 * X["b"] + 5)
    explanation = glassbox.explain(model)
    assert explanation.values.shape == (3, 1) and explanation.method == "coefficients"
    np.testing.assert_allclose(explanation.values[:, 0], [2, -3, 0], atol=1e-10)
    np.testing.assert_allclose(explanation.base_values, [5], atol=1e-10)
    assert list(explanation.feature_names) == ["a", "b", "c"]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_without_rows_a_classifier_s_coefficients_give_its_decision_function(n_classes):
    X, y = load_iris(return_X_y=True)
    keep = y < n_classes
    X, y = X[keep], np.array(["setosa", "versicolor", "virginica"])[y[keep]]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    explanation = glassbox.explain(model)
    scores = X @ explanation.values + explanation.base_values
    decision = model.decision_function(X)
    np.testing.assert_allclose(scores, decision.reshape(len(X), -1), rtol=1e-10, atol=1e-10)
    expected = model.classes_[1:] if n_classes == 2 else model.classes_  # binary: the positive class's log-odds
    assert list(explanation.output_names) == list(expected)
    assert list(explanation.feature_names) == ["x0", "x1", "x2", "x3"]


def _impurity_importance(tree):
    """Mean decrease in impurity of one fitted tree, from its node arrays."""
    t = tree.tree_
    decrease = np.zeros(t.n_features)
    for node in np.flatnonzero(t.children_left >= 0):
        left, right = t.children_left[node], t.children_right[node]
        decrease[t.feature[node]] += (
            t.weighted_n_node_samples[node] * t.impurity[node]
            - t.weighted_n_node_samples[left] * t.impurity[left]
            - t.weighted_n_node_samples[right] * t.impurity[right]
        )
    return decrease / decrease.sum()


def test_without_rows_trees_give_their_impurity_decrease_recomputed_from_their_nodes():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    forest = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, y.astype(float))
    single = glassbox.explain(tree)
    assert single.method == "impurity_importance" and single.values.shape == (30, 1)
    np.testing.assert_allclose(single.values[:, 0], _impurity_importance(tree), rtol=1e-10)
    mean = np.mean([_impurity_importance(t) for t in forest.estimators_], axis=0)
    np.testing.assert_allclose(glassbox.explain(forest).values[:, 0], mean / mean.sum(), rtol=1e-10)
    assert list(glassbox.explain(forest).feature_names) == list(X.columns)


def test_without_rows_models_with_no_importance_of_their_own_get_clear_errors():
    X, y = load_breast_cancer(return_X_y=True)
    boosted = HistGradientBoostingClassifier(max_iter=5).fit(X, y)  # no feature_importances_
    with pytest.raises(ValueError, match="HistGradientBoostingClassifier needs the rows to explain"):
        glassbox.explain(boosted)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)  # coefficients of scaled columns
    with pytest.raises(ValueError, match="Pipeline needs the rows to explain"):
        glassbox.explain(pipeline)
    with pytest.raises(TypeError, match="takes no options; got \\['random_state'\\]"):
        glassbox.explain(DecisionTreeClassifier(max_depth=2).fit(X, y), random_state=0)


def test_a_newcomers_first_call_is_reproducible():
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.svm import SVR

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.iloc[:200]
    hgb = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y.iloc[:200])
    first, second = glassbox.explain(hgb, X.iloc[:20]), glassbox.explain(hgb, X.iloc[:20])
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_array_equal(first.base_values, second.base_values)
    np.testing.assert_allclose(first.output()[:, 0], hgb.predict(X.iloc[:20]), atol=1e-8)
    svr = SVR().fit(X.iloc[:, :4], y.iloc[:200])
    a, b = glassbox.explain(svr, X.iloc[:150, :4]), glassbox.explain(svr, X.iloc[:150, :4])  # a sampled background
    np.testing.assert_array_equal(a.base_values, b.base_values)
