"""The relaxed lasso of the sparse linear models: the blend, its ends, its cross-validation."""

import sqlite3
import warnings
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression
from sklearn.model_selection import KFold

from glassbox._core import InvalidParameterError
from glassbox.models import SparseLinearClassifier, SparseLinearRegressor
from glassbox.models._linear_relax import RELAX_GRID


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True, as_frame=True, scaled=False)


def standardise(X):
    return X.mean().to_numpy(), X.std(ddof=0).to_numpy()


# -- the two ends of the blend ------------------------------------------------------------
def test_relax_one_is_the_unpenalised_refit_on_the_lasso_support(diabetes):
    X, y = diabetes
    model = SparseLinearRegressor(max_features=None, max_terms=4, relax=1.0, alpha=0.0).fit(X, y)
    support = model.coef_ != 0
    assert support.sum() == 4 and model.relax_ == 1.0
    ols = LinearRegression().fit(X.loc[:, support], y)
    np.testing.assert_allclose(model.coef_[support], ols.coef_, rtol=1e-8)
    np.testing.assert_allclose(model.intercept_, ols.intercept_, rtol=1e-8)


@pytest.mark.parametrize("k", [2, 4, 7])
def test_relax_zero_is_scikit_learns_lasso_at_the_budgets_penalty(diabetes, k):
    X, y = diabetes
    model = SparseLinearRegressor(max_features=None, max_terms=k, relax=0.0).fit(X, y)
    assert np.count_nonzero(model.coef_) == k
    mean, scale = standardise(X)
    # Half the mean squared error of the standardised target plus penalty_ * |coef|: in
    # the units of y, scikit-learn's alpha is penalty_ times the standard deviation of y.
    lasso = Lasso(alpha=model.penalty_ * y.std(ddof=0), tol=1e-12, max_iter=100_000).fit((X - mean) / scale, y)
    np.testing.assert_allclose(model.coef_, lasso.coef_ / scale, rtol=0, atol=1e-7 * np.abs(model.coef_).max())
    np.testing.assert_allclose(model.intercept_, lasso.intercept_ - (lasso.coef_ / scale) @ mean, rtol=1e-9)


@pytest.mark.parametrize("params", [{"max_features": 3}, {"max_features": None, "max_terms": 20}],
                         ids=["columns", "every-term"])
def test_relax_zero_is_the_lasso_for_a_budget_of_columns_and_for_every_term(diabetes, params):
    # Numeric columns are groups of one: the group lasso is the lasso. With every term
    # allowed, the penalty is the largest at which all ten are active.
    X, y = diabetes
    with pytest.warns(UserWarning, match="max_terms=20") if "max_terms" in params else nullcontext():
        model = SparseLinearRegressor(**params, relax=0.0).fit(X, y)
    assert np.count_nonzero(model.coef_) == (3 if params["max_features"] else 10) and model.penalty_ > 0
    mean, scale = standardise(X)
    lasso = Lasso(alpha=model.penalty_ * y.std(ddof=0), tol=1e-12, max_iter=100_000).fit((X - mean) / scale, y)
    np.testing.assert_allclose(model.coef_, lasso.coef_ / scale, rtol=0, atol=1e-7 * np.abs(model.coef_).max())


def test_relax_zero_is_scikit_learns_l1_logistic_regression_at_the_budgets_penalty():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    model = SparseLinearClassifier(max_features=None, max_terms=3, relax=0.0).fit(X, y)
    assert np.count_nonzero(model.coef_) == 3
    mean, scale = standardise(X)
    # The mean log-loss plus penalty_ * |coef| is scikit-learn's summed loss with C = 1 / (n * penalty_).
    peer = LogisticRegression(l1_ratio=1.0, C=1 / (len(y) * model.penalty_), solver="saga", tol=1e-12,
                              max_iter=200_000).fit((X - mean) / scale, y)
    np.testing.assert_allclose(model.coef_, peer.coef_ / scale, rtol=0, atol=1e-6 * np.abs(model.coef_).max())
    np.testing.assert_allclose(model.intercept_, peer.intercept_ - (peer.coef_ / scale) @ mean, atol=1e-6)


@pytest.fixture(scope="module")
def penguin_ends():
    frame = load_penguins()
    X, y = frame.drop(columns="species"), frame["species"]  # three classes, categories, missing values
    return X, y, [SparseLinearClassifier(max_features=None, max_terms=6, relax=r).fit(X, y) for r in (0.0, 1.0)]


@pytest.mark.parametrize("relax", [0.25, 0.75])
def test_a_blend_is_the_weighted_sum_of_its_ends(penguin_ends, relax):
    X, y, ends = penguin_ends
    blend = SparseLinearClassifier(max_features=None, max_terms=6, relax=relax).fit(X, y)
    assert ends[0].penalty_ == ends[1].penalty_ == blend.penalty_
    np.testing.assert_allclose(blend.coef_, (1 - relax) * ends[0].coef_ + relax * ends[1].coef_, atol=1e-12)
    np.testing.assert_allclose(blend.intercept_, (1 - relax) * ends[0].intercept_ + relax * ends[1].intercept_,
                               atol=1e-12)
    assert blend.complexity_ == ends[1].complexity_ <= 6


# -- the cross-validation -----------------------------------------------------------------
def brute_force_scores(X, y, penalties, n_folds=10):
    """Held-out half squared error of the relaxed lasso at each penalty and gamma, by scikit-learn.

    The columns and the target are standardised on all rows (as the model's design is),
    each fold fits scikit-learn's Lasso and least squares on the Lasso's support.
    """
    mean, scale = standardise(X)
    Z = ((X - mean) / scale).to_numpy()
    t = ((y - y.mean()) / y.std(ddof=0)).to_numpy()
    scores = np.zeros((len(penalties), len(RELAX_GRID)))
    for train, test in KFold(n_folds, shuffle=True, random_state=0).split(Z):
        for i, penalty in enumerate(penalties):
            lasso = Lasso(alpha=penalty, tol=1e-12, max_iter=100_000).fit(Z[train], t[train])
            support = lasso.coef_ != 0
            refit = (LinearRegression().fit(Z[train][:, support], t[train]).predict(Z[test][:, support])
                     if support.any() else np.full(len(test), t[train].mean()))
            for j, gamma in enumerate(RELAX_GRID):
                prediction = gamma * refit + (1 - gamma) * lasso.predict(Z[test])
                scores[i, j] += 0.5 * np.mean((prediction - t[test]) ** 2) / n_folds
    return scores


@pytest.mark.parametrize("k", [3, pytest.param(6, marks=pytest.mark.slow)])
def test_cv_chooses_what_a_brute_force_cross_validation_chooses(diabetes, k):
    X, y = diabetes
    model = SparseLinearRegressor(max_features=None, max_terms=k, relax="cv", alpha=0.0).fit(X, y)
    penalties = model.relax_penalties_
    assert np.all(np.diff(penalties) < 0) and model.relax_scores_.shape == (len(penalties), len(RELAX_GRID))
    expected = brute_force_scores(X, y, penalties)
    np.testing.assert_allclose(model.relax_scores_, expected, rtol=1e-6)
    i, j = np.unravel_index(np.argmin(expected), expected.shape)
    assert model.penalty_ == penalties[i] and model.relax_ == RELAX_GRID[j]
    # The chosen point is the blend at that penalty, on its support, within the budget.
    fixed = SparseLinearRegressor(max_features=None, max_terms=k, relax=0.0, alpha=0.0).fit(X, y)
    assert model.complexity_ <= k == fixed.complexity_


def test_cv_on_too_few_rows_of_a_class_keeps_the_refit():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:40], y.iloc[:40].copy()
    y.iloc[:] = 0
    y.iloc[0] = 1  # one row of class 1: no two folds can hold it
    model = SparseLinearClassifier(max_features=None, max_terms=2, relax="cv").fit(X, y)
    refit = SparseLinearClassifier(max_features=None, max_terms=2, relax=1.0).fit(X, y)
    assert model.relax_ == 1.0 and model.relax_scores_ is None
    np.testing.assert_array_equal(model.coef_, refit.coef_)


# -- everything else still holds -----------------------------------------------------------
@pytest.mark.parametrize("estimator", [SparseLinearClassifier, SparseLinearRegressor])
def test_cv_models_export_and_explain_like_they_predict(estimator):
    frame = load_penguins()
    if estimator is SparseLinearClassifier:
        X, y = frame.drop(columns="species"), frame["species"]
    else:
        frame = frame[frame["body_mass_g"].notna()]
        X, y = frame.drop(columns="body_mass_g"), frame["body_mass_g"]
    model = estimator(max_features=None, max_terms=5, relax="cv").fit(X, y)
    assert 0 < model.complexity_ <= 5
    connection = sqlite3.connect(":memory:")
    X.to_sql("penguins", connection, index=False)
    rows = connection.execute(model.to_sql(table="penguins")).fetchall()
    namespace = {}
    exec(model.to_python(), namespace)
    records = X.to_dict("records")
    assert [r[-1] for r in rows] == model.predict(X).tolist() == [namespace["predict"](r) for r in records]
    local = model.explain(X)
    output = model.decision_function(X) if estimator is SparseLinearClassifier else model.predict(X)
    np.testing.assert_allclose(local.output().reshape(output.shape), output, atol=1e-9)
    text_terms = model.to_text().count("×")
    assert text_terms == model.complexity_


def test_relax_outside_zero_one_is_an_error_that_names_what_is_expected(diabetes):
    X, y = diabetes
    for relax in (1.5, -0.1, "auto"):
        with pytest.raises(InvalidParameterError, match="relax"):
            SparseLinearRegressor(relax=relax).fit(X, y)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000), max_terms=st.integers(1, 12), relax=st.sampled_from([0.0, 0.5, "cv"]),
       n_classes=st.integers(1, 3))
def test_a_relaxed_model_stays_within_the_budget_and_adds_up(seed, max_terms, relax, n_classes):
    """Any blend, on a categorical column of many levels and missing values: at most
    ``max_terms`` coefficients, and the explanation adds up to the output."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 12, 150)
    a, b = rng.normal(size=150), rng.normal(size=150)
    b[rng.random(150) < 0.15] = np.nan
    X = pd.DataFrame({"a": a, "city": [f"c{v}" for v in level], "b": b})
    score = a + 1.5 * (level < 3) + 0.5 * np.nan_to_num(b) + 0.5 * rng.normal(size=150)
    if n_classes == 1:
        model, y = SparseLinearRegressor(max_features=None, max_terms=max_terms, relax=relax), score
    else:
        model = SparseLinearClassifier(max_features=None, max_terms=max_terms, relax=relax)
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, ConvergenceWarning))
        model.fit(X, y)
    assert model.complexity_ == np.count_nonzero(model.coef_) <= max_terms
    assert relax == "cv" or model.relax_ == relax
    output = model.predict(X) if n_classes == 1 else model.decision_function(X)
    np.testing.assert_allclose(model.explain(X).output().reshape(output.shape), output, atol=1e-9)
