"""Sparse linear models: exact budget, closed forms, explanations, exports, bad input."""

import re
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox import complexity
from glassbox._core import InvalidParameterError
from glassbox.models import SparseLinearClassifier, SparseLinearRegressor


# -- data ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def breast_cancer():
    return load_breast_cancer(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def penguins():
    frame = load_penguins()
    return frame.drop(columns="species"), frame["species"]


def sparse_regression(n=400, seed=0):
    """y = 3 + 2 x0 - 1.5 x3 + 0.5 x7 + small noise, ten columns of different scales."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10)) * np.linspace(0.5, 5, 10)
    y = 3 + 2 * X[:, 0] - 1.5 * X[:, 3] + 0.5 * X[:, 7] + 0.05 * rng.normal(size=n)
    return X, y


def coloured_frame(n=300, seed=0):
    """A numeric column, a categorical one (blue most frequent) and a column with missing values."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["blue", "red", "green"], size=n, p=[0.5, 0.3, 0.2])
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    b[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"a": a, "colour": pd.Categorical(colour), "b": b})


# -- the budget ---------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13, 21, 30])
def test_exact_budget_on_breast_cancer(breast_cancer, k):
    X, y = breast_cancer
    model = SparseLinearClassifier(max_features=k).fit(X, y)
    assert model.complexity_ == k == model.support_.sum() == np.count_nonzero(model.coef_)
    assert complexity(model) == k


def test_budget_counts_a_categorical_column_once_and_its_levels_in_complexity(penguins):
    X, y = penguins
    model = SparseLinearRegressor(max_features=1).fit(X[["island", "year"]], X["bill_depth_mm"].fillna(17.0))
    assert model.support_.tolist() == [True, False]
    # Biscoe is the most frequent island, so the reference: Dream and Torgersen get a term each.
    assert model.reference_levels_[0] == "Biscoe"
    assert sorted(model.terms_[model.coef_ != 0]) == ["island = Dream", "island = Torgersen"]
    assert model.complexity_ == 2


def test_multiclass_selects_features_for_all_classes_at_once():
    X, y = load_wine(return_X_y=True)
    model = SparseLinearClassifier(max_features=4).fit(X, y)
    used = model.coef_ != 0  # (n_classes, n_terms)
    assert used.sum(axis=1).tolist() == [4, 4, 4]
    assert (used == used[0]).all()
    assert model.complexity_ == 12
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-8)  # symmetric multinomial
    np.testing.assert_allclose(model.intercept_.sum(), 0, atol=1e-8)


def test_none_budget_uses_every_column_that_varies():
    X, y = sparse_regression()
    X[:, 5] = 4.0
    model = SparseLinearRegressor(max_features=None).fit(X, y)
    assert model.support_.tolist() == [True] * 5 + [False] + [True] * 4


# -- closed forms -------------------------------------------------------------------
def test_recovers_the_support_and_coefficients_of_a_sparse_problem():
    X, y = sparse_regression()
    model = SparseLinearRegressor(max_features=3, alpha=0.0).fit(X, y)
    assert np.flatnonzero(model.support_).tolist() == [0, 3, 7]
    # The unpenalised refit is least squares on the chosen columns.
    ols = LinearRegression().fit(X[:, [0, 3, 7]], y)
    np.testing.assert_allclose(model.coef_[[0, 3, 7]], ols.coef_, rtol=1e-10)
    np.testing.assert_allclose(model.intercept_, ols.intercept_, rtol=1e-10)
    np.testing.assert_allclose(model.coef_[[0, 3, 7]], [2.0, -1.5, 0.5], atol=0.01)


def test_recovers_the_support_of_a_sparse_logistic_problem_and_refits_without_shrinkage():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 8))
    logit = 0.5 + 1.5 * X[:, 1] - 1.0 * X[:, 4]
    y = (rng.random(3000) < 1 / (1 + np.exp(-logit))).astype(int)
    model = SparseLinearClassifier(max_features=2, alpha=0.0).fit(X, y)
    assert np.flatnonzero(model.support_).tolist() == [1, 4]
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X[:, [1, 4]], y)
    np.testing.assert_allclose(model.coef_[0, [1, 4]], reference.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-6)
    np.testing.assert_allclose(model.coef_[0, [1, 4]], [1.5, -1.0], atol=0.15)


def test_ridge_refit_penalises_standardised_coefficients():
    X, y = sparse_regression()
    alpha = 0.3
    model = SparseLinearRegressor(max_features=None, alpha=alpha).fit(X, y)
    # Half the mean squared error plus alpha / 2 |w|^2 on standardised columns is Ridge(n * alpha).
    ridge = make_pipeline(StandardScaler(), Ridge(alpha=len(X) * alpha)).fit(X, y)
    np.testing.assert_allclose(model.standardized_coef_, ridge[-1].coef_, rtol=1e-9)
    np.testing.assert_allclose(model.predict(X), ridge.predict(X), rtol=1e-9)


def test_standardised_coefficients_and_global_explanation():
    X, y = load_diabetes(return_X_y=True, scaled=False)
    model = SparseLinearRegressor(max_features=4).fit(X, y)
    np.testing.assert_allclose(model.standardized_coef_, model.coef_ * X.std(axis=0), rtol=1e-10)
    exp = model.explain()
    assert exp.shape == (10, 1) and not exp.is_local
    # For numeric columns the spread of a column's contribution is |standardised coefficient|.
    np.testing.assert_allclose(exp.values[:, 0], np.abs(model.standardized_coef_), rtol=1e-10)
    np.testing.assert_allclose(exp.base_values, [model.predict(X.mean(axis=0, keepdims=True))[0]], rtol=1e-10)


def test_global_explanation_of_a_categorical_is_the_spread_of_its_contribution(penguins):
    X, y = penguins
    model = SparseLinearClassifier(max_features=3).fit(X, y)
    contributions = model.explain(X).values  # (n, p, o)
    np.testing.assert_allclose(model.explain().values, contributions.std(axis=0), rtol=1e-8, atol=1e-12)


def test_predictions_do_not_depend_on_the_scale_of_the_columns(breast_cancer):
    X, y = breast_cancer
    plain = SparseLinearClassifier(max_features=5).fit(X, y)
    scaled = make_pipeline(StandardScaler(), SparseLinearClassifier(max_features=5)).fit(X, y)
    np.testing.assert_array_equal(plain.support_, scaled[-1].support_)
    np.testing.assert_allclose(plain.predict_proba(X), scaled.predict_proba(X), atol=1e-8)


def test_probabilities_agree_with_the_decision_function():
    X, y = load_iris(return_X_y=True)
    model = SparseLinearClassifier(max_features=2).fit(X, y)
    scores = model.decision_function(X)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(expected), rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X), np.argmax(scores, axis=1))


# -- local explanations -------------------------------------------------------------
def test_local_explanation_is_coef_times_centred_value(breast_cancer):
    X, y = breast_cancer
    model = SparseLinearClassifier(max_features=6).fit(X, y)
    exp = model.explain(X.iloc[:20])
    assert exp.shape == (20, 30, 1) and exp.output_names.tolist() == [1]
    expected = model.coef_[0] * (X.iloc[:20].to_numpy() - X.to_numpy().mean(axis=0))
    np.testing.assert_allclose(exp.values[:, :, 0], expected, atol=1e-10)
    np.testing.assert_allclose(exp.output()[:, 0], model.decision_function(X.iloc[:20]), atol=1e-10)


@pytest.mark.parametrize("estimator", [SparseLinearClassifier(max_features=4), SparseLinearRegressor(max_features=4)])
def test_local_explanations_add_up_with_categoricals_and_missing_values(penguins, estimator):
    X, y = penguins
    if isinstance(estimator, SparseLinearRegressor):
        keep = X["body_mass_g"].notna()
        X, y = X[keep].drop(columns="body_mass_g").assign(species=y[keep]), X.loc[keep, "body_mass_g"]
    model = clone(estimator).fit(X, y)
    exp = model.explain(X)
    output = model.decision_function(X) if hasattr(model, "decision_function") else model.predict(X)
    np.testing.assert_allclose(exp.output(), np.asarray(output).reshape(len(X), -1), atol=1e-10)
    assert list(exp.feature_names) == list(X.columns)
    # Unused columns contribute nothing; data shows categories as themselves.
    assert (exp.values[:, ~model.support_] == 0).all()
    assert set(exp[:, "island"].data.ravel()) == {"Biscoe", "Dream", "Torgersen"}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_samples=st.integers(8, 60),
    k=st.integers(1, 4),
    n_classes=st.sampled_from([0, 2, 3]),
)
def test_efficiency_property(seed, n_samples, k, n_classes):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "x0": rng.normal(size=n_samples) * 100,
        "x1": np.where(rng.random(n_samples) < 0.2, np.nan, rng.normal(size=n_samples)),
        "c": rng.choice(["u", "v", "w"], size=n_samples),
        "x3": rng.exponential(size=n_samples),
    })
    if n_classes:
        y = np.arange(n_samples) % n_classes
        model = SparseLinearClassifier(max_features=k)
    else:
        y = X["x0"].to_numpy() / 100 + rng.normal(size=n_samples)
        model = SparseLinearRegressor(max_features=k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, ConvergenceWarning))
        model.fit(X, y)
    output = model.decision_function(X) if n_classes else model.predict(X)
    np.testing.assert_allclose(model.explain(X).output(), np.asarray(output).reshape(n_samples, -1),
                               atol=1e-9 * max(1.0, np.abs(output).max()))


# -- text ---------------------------------------------------------------------------
def test_text_reads_as_an_equation_with_named_terms():
    frame = coloured_frame()
    frame["b"] = frame["b"].fillna(0.0)
    y = 1.0 + 2.0 * frame["a"] - 3.0 * (frame["colour"] == "red") + 0.5 * (frame["colour"] == "green")
    model = SparseLinearRegressor(max_features=2, alpha=0.0).fit(frame, y)
    # Columns in order of importance (a: sd 2; colour: sd 1.4), levels of a column together.
    assert model.to_text() == "y = 1 + 2 × a + 0.5 × [colour = green] − 3 × [colour = red]\nwhere colour: reference level blue"
    assert str(model) == model.to_text()
    assert model.complexity_ == 3


def test_text_names_missing_indicators_and_the_fill_value():
    frame = coloured_frame()
    observed = frame["b"].notna()
    y = 1.0 + 2.0 * frame["b"].fillna(0.0) + 4.0 * ~observed
    model = SparseLinearRegressor(max_features=1, alpha=0.0).fit(frame, y)
    fill = frame["b"].mean()
    # A missing b adds 4 = 2 * fill + the coefficient of the indicator.
    indicator = 4.0 - 2.0 * fill
    assert model.to_text(precision=3) == (
        f"y = 1 + 2 × b + {indicator:.3g} × [b is missing]\n"
        f"where b: a missing value counts as {fill:.3g}".replace("-", "−")
    )
    assert model.complexity_ == 2 and model.support_.tolist() == [False, False, True]


def test_binary_text_gives_the_log_odds_of_either_class():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    y = pd.Series(np.array(["malignant", "benign"])[y])  # classes_: benign, malignant
    model = SparseLinearClassifier(max_features=2).fit(X, y)
    default, second, first = (model.to_text(), model.to_text(positive_class="malignant"),
                              model.to_text(positive_class="benign"))
    assert default == second and second.startswith("logit p(malignant) = ")
    assert first.startswith("logit p(benign) = ")

    def numbers(text):  # the intercept, then each signed coefficient
        head, *terms = re.split(r" (?=[+−] )", text.splitlines()[0].split(" = ", 1)[1])
        return [float(head.replace("−", "-"))] + [float(t.replace("− ", "-").replace("+ ", "").split(" ×")[0])
                                                  for t in terms]

    coef = np.atleast_2d(model.coef_)[0]
    expected = [model.intercept_[0], *coef[coef != 0]]
    assert sorted(numbers(second)) == pytest.approx(sorted(expected), rel=1e-3)
    assert sorted(numbers(first)) == pytest.approx(sorted(-np.asarray(expected)), rel=1e-3)
    with pytest.raises(ValueError, match="positive_class must be one of the classes 'benign', 'malignant'; got 'x'"):
        model.to_text(positive_class="x")
    iris = SparseLinearClassifier(max_features=1).fit(*load_iris(return_X_y=True))
    with pytest.raises(ValueError, match="this model has 3 classes, one score each"):
        iris.to_text(positive_class=0)


def test_multiclass_text_has_one_score_per_class():
    X, y = load_iris(return_X_y=True, as_frame=True)
    y = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y])
    lines = SparseLinearClassifier(max_features=1).fit(X, y).to_text().splitlines()
    assert lines[0] == "p(class) = exp(score(class)) / sum of exp(score) over setosa, versicolor, virginica"
    assert [line.split(" = ")[0] for line in lines[1:]] == ["score(setosa)", "score(versicolor)", "score(virginica)"]
    assert all(line.count("×") == 1 for line in lines[1:])


def test_unfitted_model_prints_its_parameters():
    assert str(SparseLinearClassifier(max_features=3)) == "SparseLinearClassifier(max_features=3)"


# -- exports ------------------------------------------------------------------------
def run_sql(model, frame):
    with sqlite3.connect(":memory:") as connection:
        frame.to_sql("training rows", connection, index=False)
        return pd.read_sql(model.to_sql(table="training rows"), connection)


def run_python(model, frame):
    namespace = {}
    source = model.to_python()
    assert "glassbox" not in source
    exec(compile(source, "<exported>", "exec"), namespace)
    return namespace, frame.to_dict("records")


@pytest.mark.parametrize("data", ["breast_cancer", "penguins"])
def test_classifier_exports_match_predictions(data, request):
    X, y = request.getfixturevalue(data)
    model = SparseLinearClassifier(max_features=4).fit(X, y)
    proba, labels = model.predict_proba(X), model.predict(X)
    sql = run_sql(model, X)
    assert list(sql.columns) == [f"proba_{c}" for c in model.classes_] + ["prediction"]
    np.testing.assert_allclose(sql.iloc[:, :-1].to_numpy(), proba, atol=1e-9)
    np.testing.assert_array_equal(sql["prediction"].to_numpy(), labels)
    namespace, rows = run_python(model, X)
    np.testing.assert_allclose([namespace["predict_proba"](r) for r in rows], proba, atol=1e-9)
    np.testing.assert_array_equal(np.array([namespace["predict"](r) for r in rows]), labels)
    np.testing.assert_allclose(np.array([namespace["decision_function"](r) for r in rows]).reshape(len(X), -1),
                               model.decision_function(X).reshape(len(X), -1), rtol=0, atol=1e-12)


def test_regressor_exports_match_predictions(penguins):
    X, _ = penguins
    keep = X["body_mass_g"].notna()
    X, y = X[keep].drop(columns="body_mass_g"), X.loc[keep, "body_mass_g"]
    model = SparseLinearRegressor(max_features=4).fit(X, y)
    prediction = model.predict(X)
    namespace, rows = run_python(model, X)
    # The exported function adds the terms in the model's order: the same floats.
    np.testing.assert_array_equal([namespace["predict"](r) for r in rows], prediction)
    sql = run_sql(model, X)
    assert list(sql.columns) == ["prediction"]
    np.testing.assert_allclose(sql["prediction"].to_numpy(), prediction, rtol=1e-12)


def test_exports_handle_unseen_categories_and_missing_values_like_predict():
    frame = coloured_frame()
    y = frame["a"] + (frame["colour"] == "red") + frame["b"].fillna(1.0)
    model = SparseLinearRegressor(max_features=3).fit(frame, y)
    new = pd.DataFrame({"a": [0.5, np.nan], "colour": ["purple", None], "b": [np.nan, 2.0]})
    namespace, rows = run_python(model, new)
    np.testing.assert_array_equal([namespace["predict"](r) for r in rows], model.predict(new))
    np.testing.assert_allclose(run_sql(model, new)["prediction"], model.predict(new), rtol=1e-12)


# -- scikit-learn integration -------------------------------------------------------
def test_grid_search_over_the_budget(breast_cancer):
    X, y = breast_cancer
    search = GridSearchCV(SparseLinearClassifier(), {"max_features": [1, 3, 6]}, cv=3, scoring="roc_auc").fit(X, y)
    assert search.best_params_["max_features"] in (1, 3, 6)
    assert complexity(search) == search.best_params_["max_features"]
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < scores[2]  # six features rank better than one


def test_pipeline_and_clone(penguins):
    X, y = penguins
    pipeline = make_pipeline(SparseLinearClassifier(max_features=3)).fit(X, y)
    model = SparseLinearClassifier(max_features=3).fit(X, y)
    np.testing.assert_array_equal(pipeline.predict_proba(X), model.predict_proba(X))
    assert pipeline.score(X, y) > 0.95
    copy = clone(pipeline[-1])
    assert copy.get_params() == pipeline[-1].get_params() and not hasattr(copy, "coef_")


# -- bad input ----------------------------------------------------------------------
# -- the budget of terms ---------------------------------------------------------------
def many_levels(n=400, seed=0, n_levels=25):
    """A categorical column of many levels (some with an effect), two numeric columns,
    one with missing values."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, n_levels, n)
    a, b = rng.normal(size=n), rng.normal(size=n)
    b[rng.random(n) < 0.15] = np.nan
    frame = pd.DataFrame({"a": a, "city": [f"c{v}" for v in level], "b": b})
    score = a + 1.5 * (level < 3) - (level == 7) + 0.5 * np.nan_to_num(b)
    return frame, score + 0.3 * rng.normal(size=n)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), max_terms=st.integers(1, 30), max_features=st.sampled_from([None, 1, 2, 3]),
       n_classes=st.integers(1, 3))
def test_the_count_of_non_zero_coefficients_never_exceeds_max_terms(seed, max_terms, max_features, n_classes):
    frame, score = many_levels(n=200, seed=seed)
    if n_classes == 1:
        model = SparseLinearRegressor(max_features=max_features, max_terms=max_terms)
        y = score
    else:
        model = SparseLinearClassifier(max_features=max_features, max_terms=max_terms)
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, ConvergenceWarning))
        model.fit(frame, y)
    flat = np.atleast_2d(model.coef_)
    assert model.complexity_ == np.count_nonzero(flat) <= max_terms
    assert max_features is None or model.support_.sum() <= max_features
    if max_features is None:  # the budget is used up to the terms there are
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (UserWarning, ConvergenceWarning))
            every = clone(model).set_params(max_terms=None).fit(frame, y)
        assert model.complexity_ == min(max_terms, every.complexity_)  # a coefficient at a time


def test_max_terms_follows_the_lasso_path_of_the_standardised_columns():
    from sklearn.linear_model import lars_path

    X, y = sparse_regression(seed=3)
    X = X + 0.5 * X[:, [0]]  # correlated columns: the order of entry is not that of the coefficients
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    _, active, _ = lars_path(Xs, (y - y.mean()) / y.std(), method="lasso")
    for k in range(1, 6):
        model = SparseLinearRegressor(max_features=None, max_terms=k).fit(X, y)
        assert set(np.flatnonzero(model.coef_)) == set(active[:k])


def test_max_terms_keeps_the_strongest_levels_and_the_others_read_as_the_reference():
    frame, y = many_levels(n=2000, seed=1)
    model = SparseLinearRegressor(max_features=None, max_terms=5).fit(frame, y)
    assert model.complexity_ == 5
    levels = {name for name, c in zip(model.terms_, model.coef_) if c != 0 and name.startswith("city")}
    assert levels and levels <= {"city = c0", "city = c1", "city = c2", "city = c7"}
    rows = pd.DataFrame({"a": 0.0, "city": ["c10", "c11", model.reference_levels_[1]], "b": 0.0})
    prediction = model.predict(rows)
    assert prediction[0] == prediction[1] == prediction[2]


def test_max_terms_that_binds_does_not_warn_about_the_default_max_features():
    X, y = sparse_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseLinearRegressor(max_terms=3).fit(X[:, :4], y)  # 4 columns, max_features=10
    assert model.complexity_ == 3


def test_max_terms_above_the_terms_there_are_warns_and_uses_them_all():
    frame, y = many_levels(n=300, seed=2, n_levels=4)  # a, b, b is missing, 3 levels of city: 6 terms
    with pytest.warns(UserWarning, match="max_terms=40 is more than the 6 non-zero coefficients"):
        model = SparseLinearRegressor(max_features=None, max_terms=40).fit(frame, y)
    assert model.complexity_ == 6
    with pytest.raises(InvalidParameterError, match="'max_terms' parameter of SparseLinearRegressor"):
        SparseLinearRegressor(max_terms=0).fit(frame, y)


def test_a_column_missing_but_on_one_row_enters_only_as_its_missing_indicator():
    X, y = sparse_regression()
    lonely = np.full(len(X), np.nan)
    lonely[0] = 12.0
    frame = pd.DataFrame(X[:, :3], columns=["x0", "x1", "x2"]).assign(lonely=lonely)
    model = SparseLinearRegressor(max_features=None).fit(frame, y)
    assert model.fill_values_[3] == 12.0
    used = {name for name, c in zip(model.terms_, model.coef_) if c != 0}
    assert "lonely" not in used and "lonely is missing" in used  # the value alone does not vary
    changed = frame.assign(lonely=np.where(np.isnan(lonely), np.nan, -5.0))
    np.testing.assert_array_equal(model.predict(changed), model.predict(frame))


def test_one_class_target_is_an_error():
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class: 'yes'."):
        SparseLinearClassifier().fit(np.ones((5, 2)), ["yes"] * 5)


def test_budget_larger_than_possible_is_clipped_with_a_warning():
    X, y = sparse_regression()
    X[:, 9] = 1.0
    with pytest.warns(UserWarning, match="max_features=12 is more than the 9 features that vary in X"):
        model = SparseLinearRegressor(max_features=12).fit(X, y)
    assert model.complexity_ == 9 and not model.support_[9]


def test_constant_and_all_missing_columns_are_never_used():
    X, y = sparse_regression()
    frame = pd.DataFrame(X[:, :3], columns=["x0", "x1", "x2"]).assign(constant=7.0, empty=np.nan, empty_cat=None)
    model = SparseLinearRegressor(max_features=3).fit(frame, y)
    assert model.support_.tolist() == [True, True, True, False, False, False]
    assert np.isnan(model.fill_values_[4])
    changed = frame.assign(constant=-100.0, empty=5.0)
    np.testing.assert_array_equal(model.predict(changed), model.predict(frame))


def test_unseen_category_reads_as_the_reference_level():
    frame = coloured_frame()
    y = frame["a"] + 2 * (frame["colour"] == "red") - (frame["colour"] == "green")
    model = SparseLinearRegressor(max_features=2).fit(frame, y)
    assert model.reference_levels_[1] == "blue"
    rows = pd.DataFrame({"a": [0.3, 0.3, 0.3], "colour": ["purple", "blue", None], "b": [0.0, 0.0, 0.0]})
    prediction = model.predict(rows)
    assert prediction[0] == prediction[1] == prediction[2]
    exp = model.explain(rows)
    np.testing.assert_allclose(exp.output()[:, 0], prediction, atol=1e-10)
    assert exp.values[0, 1, 0] == exp.values[1, 1, 0]


def test_missing_value_where_fit_saw_none_counts_as_the_mean():
    X, y = sparse_regression()
    model = SparseLinearRegressor(max_features=3).fit(X, y)
    row = X[:1].copy()
    row[0, 0] = np.nan
    imputed = X[:1].copy()
    imputed[0, 0] = X[:, 0].mean()
    np.testing.assert_allclose(model.predict(row), model.predict(imputed), rtol=1e-12)
    assert model.explain(row).values[0, 0, 0] == 0.0


def test_reordered_columns_give_the_same_predictions(penguins):
    X, y = penguins
    model = SparseLinearClassifier(max_features=3).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X[X.columns[::-1]]), model.predict_proba(X))


def test_categorical_column_is_never_read_as_numbers():
    rng = np.random.default_rng(0)
    codes = rng.choice(["1", "2", "10"], size=200, p=[0.5, 0.25, 0.25])
    y = np.where(codes == "2", 5.0, 0.0) + rng.normal(scale=0.1, size=200)
    model = SparseLinearRegressor(max_features=1).fit(pd.DataFrame({"code": codes}), y)
    assert set(model.terms_) == {"code = 10", "code = 2"} and model.reference_levels_[0] == "1"
    assert model.predict(pd.DataFrame({"code": ["2"]}))[0] == pytest.approx(5.0, abs=0.05)


def test_invalid_parameters_name_what_is_expected():
    with pytest.raises(InvalidParameterError, match="'max_features' parameter of SparseLinearRegressor must be"):
        SparseLinearRegressor(max_features=0).fit(np.ones((3, 1)), [1.0, 2.0, 3.0])
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        SparseLinearClassifier(alpha=-1.0).fit(np.ones((3, 1)), [0, 1, 0])


def test_separable_classes_without_ridge_warn_about_convergence():
    X = np.arange(20.0)[:, None]
    y = (X[:, 0] > 9.5).astype(int)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        SparseLinearClassifier(max_features=1, alpha=0.0, max_iter=20).fit(X, y)
    model = SparseLinearClassifier(max_features=1).fit(X, y)  # the default light ridge keeps it finite
    assert (model.predict(X) == y).all() and np.isfinite(model.coef_).all()
