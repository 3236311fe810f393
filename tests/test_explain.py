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


def test_with_rows_and_kind_global_a_linear_model_gives_its_coefficients_per_standard_deviation():
    # Closed form: the coefficients of the same least-squares fit on standardised columns.
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"metres": rng.normal(0, 1, 200), "grams": rng.normal(500, 300, 200),
                      "count": rng.poisson(3, 200).astype(float)})
    y = 2 * X["metres"] + 0.01 * X["grams"] - X["count"] + rng.normal(0, 0.1, 200)
    model = LinearRegression().fit(X, y)
    explanation = glassbox.explain(model, X, kind="global")
    standardised = LinearRegression().fit((X - X.mean()) / X.std(ddof=0), y)
    assert explanation.method == "standardized_coefficients" and explanation.values.shape == (3, 1)
    np.testing.assert_allclose(explanation.values[:, 0], standardised.coef_, rtol=1e-9)
    np.testing.assert_allclose(explanation.values[:, 0], model.coef_ * X.std(ddof=0).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(explanation.base_values, [standardised.intercept_], rtol=1e-9)  # output at the mean
    assert list(explanation.feature_names) == ["metres", "grams", "count"]
    from glassbox.plot._words import method_words

    assert method_words(explanation.method) == "coefficient per standard deviation"
    # The columns are taken by name, whatever their order in X.
    shuffled = glassbox.explain(model, X[["count", "metres", "grams"]], kind="global")
    np.testing.assert_allclose(shuffled.values, explanation.values, rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_classifier_s_standardised_coefficients_per_class_score(n_classes):
    X, y = load_iris(return_X_y=True)
    keep = y < n_classes
    X, y = X[keep], y[keep]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    explanation = glassbox.explain(model, X, kind="global")
    np.testing.assert_allclose(explanation.values, (model.coef_ * X.std(axis=0)).T, rtol=1e-12)
    decision = model.decision_function(X.mean(axis=0, keepdims=True)).reshape(1, -1)[0]
    np.testing.assert_allclose(explanation.base_values, decision, rtol=1e-10)
    assert list(explanation.output_names) == list(model.classes_[1:] if n_classes == 2 else model.classes_)


def test_explain_with_rows_stays_local_and_kind_says_what_is_asked(monkeypatch):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:100, :4]
    model = LinearRegression().fit(X, y.iloc[:100])
    local = glassbox.explain(model, X.iloc[:5])  # Shapley values, as before
    assert local.is_local and local.method.startswith("shapley")
    assert glassbox.explain(model, X.iloc[:5], kind="local").values.tolist() == local.values.tolist()
    np.testing.assert_array_equal(glassbox.explain(model, kind="global").values, glassbox.explain(model).values)
    with pytest.raises(ValueError, match="kind must be 'local', 'global' or None"):
        glassbox.explain(model, X, kind="both")
    with pytest.raises(ValueError, match="kind='local' explains rows: pass them"):
        glassbox.explain(model, kind="local")
    with pytest.raises(ValueError, match="impurity importance of DecisionTreeClassifier is measured on its training"):
        glassbox.explain(DecisionTreeClassifier(max_depth=2).fit(X, y.iloc[:100]), X, kind="global")
    with pytest.raises(ValueError, match="kind='global' reads the importance a model carries itself"):
        glassbox.explain(SVR().fit(X, y.iloc[:100]), X, kind="global")
    with pytest.raises(ValueError, match="X lacks the column\\(s\\) 'mean area'"):
        glassbox.explain(model, X.drop(columns="mean area"), kind="global")
    with pytest.raises(ValueError, match="needs at least two rows of X and no missing or infinite values"):
        glassbox.explain(model, X.iloc[:5].assign(**{"mean area": np.nan}), kind="global")
    with pytest.raises(ValueError, match="must have the 4 columns LinearRegression was fitted on"):
        glassbox.explain(model, X.to_numpy()[:, :3], kind="global")


def test_a_glassbox_model_s_global_explanation_takes_no_rows():
    from glassbox.models import SparseLinearRegressor

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = SparseLinearRegressor(max_features=2).fit(X.iloc[:, :5], y)
    np.testing.assert_array_equal(glassbox.explain(model, kind="global").values, model.explain().values)
    assert glassbox.explain(model, X.iloc[:3, :5]).is_local
    with pytest.raises(ValueError, match="is learned in fitting and takes no X"):
        glassbox.explain(model, X.iloc[:, :5], kind="global")
