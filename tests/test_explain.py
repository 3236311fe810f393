"""glassbox.explain(): the entry point that picks an explainer."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

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
        glassbox.explain(LinearRegression().fit(X, [1.0, 2.0, 3.0]))


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
