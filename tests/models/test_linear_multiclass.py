"""A multiclass sparse linear model spends ``max_terms`` one coefficient (a term in one class) at a time."""

import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from palmerpenguins import load_penguins
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss

from glassbox.models import SparseLinearClassifier


def one_coefficient_problem(n=1500, seed=0):
    """Three classes whose scores differ by ``2 * x4`` in class 1 only: one coefficient."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)) * np.array([1.0, 3.0, 0.5, 2.0, 1.0, 4.0])
    scores = np.zeros((n, 3))
    scores[:, 1] = 2.0 * X[:, 4]
    p = np.exp(scores - logsumexp(scores, axis=1, keepdims=True))
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return X, y


def single_coefficient_fits(X, y, n_classes):
    """Maximum likelihood of every model with free intercepts and one coefficient, by brute force.

    Returns ``{(class, column): (mean log-loss, coefficient)}``.
    """
    Y = np.eye(n_classes)[y]
    fits = {}
    for j in range(X.shape[1]):
        for k in range(n_classes):
            def loss(params, j=j, k=k):
                eta = np.tile(params[:n_classes], (len(X), 1))
                eta[:, k] += params[-1] * X[:, j]
                log_p = eta - logsumexp(eta, axis=1, keepdims=True)
                residual = np.exp(log_p) - Y  # the gradient of the mean log-loss in eta
                gradient = np.append(residual.mean(axis=0), (residual[:, k] * X[:, j]).mean())
                return -(Y * log_p).sum(axis=1).mean(), gradient

            result = minimize(loss, np.zeros(n_classes + 1), jac=True, method="BFGS", options={"gtol": 1e-9})
            fits[(k, j)] = (result.fun, result.x[-1])
    return fits


def test_max_terms_one_finds_the_one_coefficient_of_a_multiclass_signal():
    X, y = one_coefficient_problem()
    model = SparseLinearClassifier(max_features=None, max_terms=1, alpha=0.0).fit(X, y)
    assert model.complexity_ == 1
    assert list(zip(*np.nonzero(model.coef_))) == [(1, 4)]
    fits = single_coefficient_fits(X, y, 3)
    best = min(fits, key=lambda key: fits[key][0])
    assert best == (1, 4)
    np.testing.assert_allclose(model.coef_[1, 4], fits[best][1], rtol=1e-5)
    np.testing.assert_allclose(log_loss(y, model.predict_proba(X)), fits[best][0], rtol=1e-7)
    assert abs(model.coef_[1, 4] - 2.0) < 0.3  # the coefficient of the signal, not shrunk
    assert abs(model.intercept_.sum()) < 1e-12


@pytest.fixture(scope="module")
def iris_single_fits():
    X, y = load_iris(return_X_y=True)
    return single_coefficient_fits(X, y, 3)


@pytest.mark.parametrize("k", [1, 2])
def test_iris_below_one_coefficient_per_class_is_not_the_constant_model(k, iris_single_fits):
    X, y = load_iris(return_X_y=True)
    model = SparseLinearClassifier(max_features=None, max_terms=k).fit(X, y)
    assert model.complexity_ == k
    proba = model.predict_proba(X)
    best_single = min(loss for loss, _ in iris_single_fits.values())
    # As good as the best one-coefficient model (up to the light ridge on a separable class),
    # far from the constant model's log(3); with two, better than any one.
    assert log_loss(y, proba) <= best_single + 0.02 < np.log(3) - 0.5
    if k == 2:
        assert log_loss(y, proba) < best_single - 0.1


def test_a_budget_that_binds_keeps_some_classes_of_a_term_at_zero():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = SparseLinearClassifier(max_features=None, max_terms=3).fit(X, y)
    coef = model.coef_
    assert model.complexity_ == np.count_nonzero(coef) == 3
    assert (coef == 0).any(axis=0)[(coef != 0).any(axis=0)].all()  # no term in every class
    # the text names a term only in the scores it enters
    lines = model.to_text().splitlines()[1:]
    assert sum(line.count("×") for line in lines) == 3
    for k, line in enumerate(lines):
        assert line.count("×") == np.count_nonzero(coef[k])
    # exports compute the same probabilities, and explanations add up to the scores
    check_exports_and_explanation(model, X.iloc[::7])
    np.testing.assert_allclose(model.intercept_.sum(), 0.0, atol=1e-10)


def test_exports_and_explanations_of_a_budget_on_categories_and_missing_values():
    frame = load_penguins()
    X, y = frame.drop(columns="species"), frame["species"]
    model = SparseLinearClassifier(max_features=None, max_terms=5).fit(X, y)
    assert model.complexity_ == 5 and any(" = " in name for name in model.terms_[(model.coef_ != 0).any(axis=0)])
    explanation = check_exports_and_explanation(model, X)
    # a column's global importance is the spread of its contribution, levels summed first
    contribution = explanation.values  # (n, n_features, K), centred at the training mean
    np.testing.assert_allclose(model.explain().values, contribution.std(axis=0), atol=1e-10)


def test_every_coefficient_the_terms_can_take_is_the_multinomial_refit():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = SparseLinearClassifier(max_features=None, max_terms=12).fit(X, y)  # 4 terms x 3 classes
    plain = SparseLinearClassifier(max_features=None).fit(X, y)
    np.testing.assert_allclose(full.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(full.coef_.sum(axis=0), 0.0, atol=1e-8)  # the ridge's choice among equal scores


def check_exports_and_explanation(model, frame):
    """SQL and Python exports compute the model's scores; explanations add up to them."""
    with sqlite3.connect(":memory:") as connection:
        frame.to_sql("rows", connection, index=False)
        sql = pd.read_sql(model.to_sql(table="rows"), connection)
    np.testing.assert_allclose(sql.iloc[:, :-1].to_numpy(), model.predict_proba(frame), atol=1e-12)
    namespace = {}
    exec(compile(model.to_python(), "<exported>", "exec"), namespace)
    np.testing.assert_allclose([namespace["decision_function"](r) for r in frame.to_dict("records")],
                               model.decision_function(frame), rtol=0, atol=1e-12)
    explanation = model.explain(frame)
    np.testing.assert_allclose(explanation.values.sum(axis=1) + explanation.base_values,
                               model.decision_function(frame), atol=1e-10)
    return explanation
