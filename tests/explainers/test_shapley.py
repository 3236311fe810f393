"""ShapleyExplainer: exact, kernel, permutation, linear and tree Shapley values.

The references are independent of the implementation: a brute-force enumeration of
the interventional game written here with one model call per hybrid row, closed forms
for linear models, and the Shapley axioms.
"""

import itertools
import logging
import math
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.cluster import KMeans
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor

import glassbox
from glassbox import KMeansBackground
from glassbox.explainers import ShapleyExplainer


# -- test doubles and references ---------------------------------------------------------
class FunctionRegressor(RegressorMixin, BaseEstimator):
    """A regressor computing ``function(X)`` (rows of floats); ``fit`` only records the width."""

    def __init__(self, function=None):
        self.function = function

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return self.function(np.asarray(X, dtype=np.float64))


class NaNClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are NaN when the first feature is positive."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=np.float64)
        p = np.where(X[:, :1] > 0, np.nan, 0.25)
        return np.hstack([p, 1 - p])


def brute_force_shapley(f, x, background, weights=None):
    """Interventional Shapley values of one row by the definition, (p, n_outputs)."""
    p = len(x)
    weights = np.full(len(background), 1.0 / len(background)) if weights is None else weights

    def v(coalition):
        total = 0.0
        for z, w in zip(background, weights):
            hybrid = z.copy()
            hybrid[list(coalition)] = x[list(coalition)]
            total = total + w * np.atleast_1d(f(hybrid[None, :])[0])
        return total

    phi = np.zeros((p, len(np.atleast_1d(v(())))))
    for i in range(p):
        others = [j for j in range(p) if j != i]
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for coalition in itertools.combinations(others, size):
                phi[i] += weight * (v(coalition + (i,)) - v(coalition))
    return phi


def nonlinear(X):
    """A model with interactions of orders two to ``p`` (for any number of features ``p``)."""
    p = X.shape[1]
    out = np.sin(X[:, 0]) + X[:, 0] * X[:, min(1, p - 1)]
    if p > 2:
        out = out + np.maximum(X[:, 2], 0) * X[:, 1] - 0.5 * X[:, 2] ** 2
    if p > 3:
        out = out + np.tanh(X[:, 3:].sum(axis=1)) * X[:, 0]
    return out


@pytest.fixture(scope="module")
def nonlinear_problem():
    """Rows, a model, its background and the exact values of the first ten rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10))
    model = FunctionRegressor(nonlinear).fit(X)
    background = X[-8:]
    reference = ShapleyExplainer(model, method="exact", background=background).fit(X)
    return X, model, background, reference.explain(X[:10]).values


# -- exact ---------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    n_features=st.integers(1, 4),
    n_background=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_exact_equals_brute_force_enumeration(n_features, n_background, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_background + 2, n_features))
    a, B = rng.normal(size=n_features), rng.normal(size=(n_features, n_features))
    c = rng.normal(size=n_features)

    def f(Z):
        return Z @ a + np.einsum("ni,ij,nj->n", Z, B, Z) + np.sin(Z @ c) * Z[:, 0]

    model = FunctionRegressor(f).fit(X)
    background = X[:n_background]
    exp = ShapleyExplainer(model, method="exact", background=background).fit(X).explain(X[-2:])
    for row in range(2):
        expected = brute_force_shapley(f, X[-2 + row], background)
        np.testing.assert_allclose(exp.values[row], expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(exp.base_values[:, 0], f(background).mean(), rtol=1e-12)


def test_exact_efficiency_with_weighted_background():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    model = FunctionRegressor(nonlinear).fit(X)
    explainer = ShapleyExplainer(model, method="exact", background=KMeansBackground(6), random_state=0).fit(X)
    assert not np.allclose(explainer.background_.weights, explainer.background_.weights[0])
    exp = explainer.explain(X[:7])
    np.testing.assert_allclose(exp.output()[:, 0], nonlinear(X[:7]), rtol=0, atol=1e-8)
    expected = brute_force_shapley(nonlinear, X[0], explainer.background_.data, explainer.background_.weights)
    np.testing.assert_allclose(exp.values[0], expected, atol=1e-9)


def test_symmetry_dummy_and_linearity_axioms():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 4))
    # Swapping columns 0 and 1 maps the background onto itself: row k becomes row 29 - k.
    X[:, 1] = X[::-1, 0]
    X[15:, 2:] = X[14::-1, 2:]
    rows = np.array([[0.7, 0.7, -1.2, 3.0], [-0.3, -0.3, 0.4, -2.0]])

    def f(Z):  # symmetric in features 0 and 1; feature 3 is a dummy
        return Z[:, 0] * Z[:, 1] + np.exp(Z[:, 2] / 3) * (Z[:, 0] + Z[:, 1])

    def g(Z):
        return np.cos(Z[:, 0]) * Z[:, 2] + Z[:, 1] ** 3

    def explain(function):
        model = FunctionRegressor(function).fit(X)
        return ShapleyExplainer(model, method="exact", background=X).fit(X).explain(rows).values

    phi_f, phi_g = explain(f), explain(g)
    np.testing.assert_allclose(phi_f[:, 0], phi_f[:, 1], atol=1e-12)  # symmetry
    np.testing.assert_allclose(phi_f[:, 3], 0.0, atol=1e-12)  # dummy
    np.testing.assert_allclose(explain(lambda Z: f(Z) + 2.5 * g(Z)), phi_f + 2.5 * phi_g, atol=1e-10)  # linearity


def test_exact_refuses_too_many_features_and_names_kernel():
    X = np.random.default_rng(0).normal(size=(20, 17))
    model = LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"at most 16 features; X has 17.*method='kernel'"):
        ShapleyExplainer(model, method="exact").fit(X)


# -- linear --------------------------------------------------------------------------------
def test_linear_is_the_closed_form_and_equals_exact():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 5))
    model = Ridge().fit(X, X @ rng.normal(size=5) + 1.0)
    linear = ShapleyExplainer(model, background=KMeansBackground(7), random_state=0).fit(X)
    assert linear.method_ == "linear"
    exp = linear.explain(X[:10])
    reference = linear.background_.weights @ linear.background_.data
    np.testing.assert_allclose(exp.values[:, :, 0], model.coef_ * (X[:10] - reference), atol=1e-12)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:10]), rtol=0, atol=1e-8)
    exact = ShapleyExplainer(model, method="exact", background=KMeansBackground(7), random_state=0).fit(X)
    np.testing.assert_allclose(exp.values, exact.explain(X[:10]).values, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("output", ["decision_function", "log_odds"])
def test_linear_logistic_and_scaled_pipeline_equal_exact(n_classes, output):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 4)) * [1.0, 10.0, 0.1, 3.0]
    y = np.digitize(X[:, 0] + X[:, 1] / 10 + rng.normal(size=120), [-0.5, 0.5][: n_classes - 1])
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    if output == "log_odds" and n_classes == 3:  # multinomial log-odds are not linear
        with pytest.raises(ValueError, match="output='decision_function'"):
            ShapleyExplainer(model, method="linear", output=output, background=20).fit(X)
        return
    kwargs = dict(output=output, background=20, random_state=0)
    linear = ShapleyExplainer(model, method="linear", **kwargs).fit(X).explain(X[:8])
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(X).explain(X[:8])
    np.testing.assert_allclose(linear.values, exact.values, atol=1e-9)
    target = model.decision_function(X[:8]).reshape(8, -1)
    if output == "log_odds":
        target = np.hstack([-target, target])
    np.testing.assert_allclose(linear.output(), target, rtol=0, atol=1e-8)


def test_linear_refuses_probabilities_and_nonlinear_models():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 3))
    classifier = LogisticRegression().fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="output='log_odds'.*method='exact' or method='kernel'"):
        ShapleyExplainer(classifier, method="linear").fit(X)
    # Auto explains the default probabilities with a model-agnostic method instead.
    assert ShapleyExplainer(classifier, background=10).fit(X).method_ == "exact"
    poisson = PoissonRegressor().fit(X, np.exp(X[:, 0]))  # coef_ but a log link
    with pytest.raises(ValueError, match="does not on the background"):
        ShapleyExplainer(poisson, method="linear").fit(X)
    with pytest.raises(ValueError, match="needs a linear model with coef_"):
        ShapleyExplainer(KNeighborsRegressor().fit(X, X[:, 0]), method="linear").fit(X)


def test_linear_duck_types_glassbox_sparse_linear_models():
    models = pytest.importorskip("glassbox.models")
    if not hasattr(models, "SparseLinearRegressor"):
        pytest.skip("glassbox.models.SparseLinearRegressor is not available")
    from palmerpenguins import load_penguins

    frame = load_penguins().drop(columns=["species", "year"])
    X, y = frame.drop(columns="body_mass_g"), frame["body_mass_g"].fillna(4200.0)
    model = models.SparseLinearRegressor(max_features=4).fit(X, y)
    linear = ShapleyExplainer(model, background=25, random_state=0).fit(X)
    assert linear.method_ == "linear"
    exp = linear.explain(X.iloc[:15])
    exact = ShapleyExplainer(model, method="exact", background=25, random_state=0).fit(X).explain(X.iloc[:15])
    np.testing.assert_allclose(exp.values, exact.values, atol=1e-8)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X.iloc[:15]), rtol=1e-12, atol=1e-8)


# -- kernel and permutation --------------------------------------------------------------------
def test_kernel_with_every_coalition_is_exact(nonlinear_problem):
    X, model, background, reference = nonlinear_problem
    explainer = ShapleyExplainer(model, method="kernel", n_samples=1022, background=background, random_state=0)
    exp = explainer.fit(X).explain(X[:10])
    assert explainer.n_samples_ == 1022  # 2**10 - 2: every coalition
    np.testing.assert_allclose(exp.values, reference, atol=1e-10)
    np.testing.assert_allclose(exp.std, 0.0)


@pytest.mark.parametrize("method, budgets", [("kernel", [40, 100, 400, 800]), ("permutation", [10, 40, 400])])
def test_sampling_methods_converge_and_their_standard_errors_cover_the_error(nonlinear_problem, method, budgets):
    X, model, background, reference = nonlinear_problem
    errors = []
    for n_samples in budgets:
        explainer = ShapleyExplainer(model, method=method, n_samples=n_samples, background=background, random_state=1)
        exp = explainer.fit(X).explain(X[:10])
        np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:10]), rtol=0, atol=1e-8)
        error = np.abs(exp.values - reference)
        assert (error <= 4 * exp.std + 1e-12).mean() >= 0.95
        errors.append(np.sqrt((error**2).mean()))
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert errors[-1] < errors[0] / 3


def test_kernel_fits_interactions_up_to_third_order_once_the_budget_allows():
    # Against one background row the game is the model at hybrid rows: here a polynomial
    # of order 3 in the coalition's indicators, which the third-order fit recovers exactly.
    rng = np.random.default_rng(13)
    X = rng.normal(size=(30, 10))

    def f(Z):
        return Z[:, 0] * Z[:, 1] * Z[:, 2] + Z[:, 3] * Z[:, 4] - Z[:, 5] * Z[:, 6] * Z[:, 7] + np.sin(Z[:, 8])

    model = FunctionRegressor(f).fit(X)
    exact = ShapleyExplainer(model, method="exact", background=X[:1]).fit(X).explain(X[1:6])
    # 10 + 45 + 120 terms need 1.5 x 175 = 263 coalitions; 1022 would enumerate them all.
    # Below, the features are fitted alone and the triples are not recovered.
    for n_samples, error in [(80, 1e-3), (200, 1e-3), (270, 1e-9), (400, 1e-9)]:
        explainer = ShapleyExplainer(model, method="kernel", n_samples=n_samples, background=X[:1], random_state=0)
        sampled = explainer.fit(X).explain(X[1:6])
        if error > 1e-6:  # features only: pairs of complements cancel pairwise terms, not triples
            assert np.abs(sampled.values - exact.values).max() > error
        else:
            np.testing.assert_allclose(sampled.values, exact.values, atol=error)
            np.testing.assert_allclose(sampled.std, 0.0, atol=1e-7)


def test_kernel_standard_errors_match_the_spread_over_seeds(nonlinear_problem):
    X, model, background, _ = nonlinear_problem
    runs = [
        ShapleyExplainer(model, method="kernel", n_samples=100, background=background, random_state=seed)
        .fit(X)
        .explain(X[:4])
        for seed in range(30)
    ]
    spread = np.std([run.values for run in runs], axis=0)
    reported = np.mean([run.std for run in runs], axis=0)
    ratio = np.median(reported / spread)
    assert 0.6 < ratio < 1.5


def test_kernel_budget_too_small_is_refused():
    X = np.random.default_rng(0).normal(size=(20, 12))
    model = Ridge().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="at least 26 coalitions.*method=.permutation."):
        ShapleyExplainer(model, method="kernel", n_samples=10).fit(X)


def test_auto_picks_exact_for_few_features_and_kernel_beyond():
    rng = np.random.default_rng(6)
    for n_features, expected in [(11, "exact"), (12, "kernel")]:
        X = rng.normal(size=(30, n_features))
        model = FunctionRegressor(nonlinear).fit(X)
        explainer = ShapleyExplainer(model, background=3, random_state=0).fit(X)
        assert explainer.method_ == expected
    assert explainer.n_samples_ == 2 * 12 + 2048


@pytest.mark.parametrize("method", ["kernel", "permutation"])
def test_same_seed_same_values_for_any_n_jobs_and_batch_size(method):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 7))
    model = FunctionRegressor(nonlinear).fit(X)

    def run(random_state=3, **kwargs):
        explainer = ShapleyExplainer(model, method=method, n_samples=40, background=10, random_state=random_state,
                                     **kwargs)
        return explainer.fit(X).explain(X[:6])

    one = run(n_jobs=1, batch_size=97)
    with joblib.parallel_config(backend="threading"):  # the chunks do not depend on the backend either
        two = run(n_jobs=2, batch_size=97)
    np.testing.assert_array_equal(one.values, two.values)
    np.testing.assert_array_equal(one.std, two.std)
    np.testing.assert_allclose(run(batch_size=1000).values, one.values, atol=1e-12)
    assert np.abs(run(random_state=4).values - one.values).max() > 1e-6  # the seed matters


def test_a_row_is_explained_the_same_alone_or_among_others():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(40, 6))
    model = FunctionRegressor(nonlinear).fit(X)
    for method in ("kernel", "permutation"):
        explainer = ShapleyExplainer(model, method=method, n_samples=20, background=5, random_state=0).fit(X)
        np.testing.assert_allclose(explainer.transform(X[3:4]), explainer.transform(X[:8])[3:4], atol=1e-12)


# -- classifiers, pipelines, categoricals, missing values ------------------------------------
@pytest.fixture(scope="module")
def penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins()
    return frame.drop(columns=["species", "year"]), frame["species"]


def _penguin_pipeline(final):
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    front = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
        (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
    )
    return make_pipeline(front, final)


def test_pipeline_with_one_hot_encoder_is_explained_in_raw_columns(penguins):
    X, y = penguins
    model = _penguin_pipeline(LogisticRegression(max_iter=1000)).fit(X, y)
    rows = X.iloc[[0, 3, 8, 150, 300]]  # row 3 is missing everything but the island
    exact = ShapleyExplainer(model, background=15, random_state=0).fit(X)
    exp = exact.explain(rows)
    assert exact.method_ == "exact" and exp.shape == (5, 6, 3)
    assert list(exp.feature_names) == list(X.columns) and list(exp.output_names) == ["Adelie", "Chinstrap", "Gentoo"]
    assert exp.data[0, 0] == "Torgersen" and pd.isna(exp.data[1, 5])
    np.testing.assert_allclose(exp.output(), model.predict_proba(rows), rtol=0, atol=1e-8)
    # Probabilities add up to one, so each feature's values add up to zero over the classes.
    np.testing.assert_allclose(exp.values.sum(axis=2), 0.0, atol=1e-12)
    # On the decision function the one-hot columns fold back and equal exact enumeration.
    kwargs = dict(output="decision_function", background=15, random_state=0)
    linear = ShapleyExplainer(model, **kwargs).fit(X)
    assert linear.method_ == "linear"
    folded = linear.explain(rows)
    np.testing.assert_allclose(folded.values, ShapleyExplainer(model, method="exact", **kwargs).fit(X).explain(rows).values,
                               atol=1e-9)
    np.testing.assert_allclose(folded.output(), model.decision_function(rows), rtol=0, atol=1e-8)


def test_pipeline_that_mixes_columns_cannot_be_folded():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(9)
    X = rng.normal(size=(50, 4))
    model = make_pipeline(PCA(2), LinearRegression()).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="Cannot attribute the columns made by PCA.*method='exact'"):
        ShapleyExplainer(model, method="linear").fit(X)
    assert ShapleyExplainer(model, background=5).fit(X).method_ == "exact"


def test_transform_feeds_a_pipeline_and_names_its_columns(penguins):
    X, y = penguins
    model = _penguin_pipeline(LogisticRegression(max_iter=1000)).fit(X, y)
    explainer = ShapleyExplainer(model, method="kernel", n_samples=20, background=5, random_state=0)
    pipe = Pipeline([("why", explainer), ("cohorts", KMeans(3, n_init=2, random_state=0))]).fit(X.iloc[:40])
    assert pipe.predict(X.iloc[:40]).shape == (40,)
    names = pipe.named_steps["why"].get_feature_names_out()
    assert len(names) == 18 and names[0] == "Adelie__island"


# -- glassbox.explain, progress, bad input ------------------------------------------------------
def test_glassbox_explain_uses_shapley_for_other_models():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(30, 3))
    model = KNeighborsRegressor(3).fit(X, X[:, 0] * X[:, 1])
    exp = glassbox.explain(model, X[:5], background=5, random_state=0)
    assert exp.method == "shapley-exact"
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:5]), atol=1e-8)


def test_verbose_reports_progress(caplog):
    X = np.random.default_rng(11).normal(size=(20, 4))
    model = FunctionRegressor(nonlinear).fit(X)
    with caplog.at_level(logging.INFO, logger="glassbox"):
        ShapleyExplainer(model, method="exact", background=4, verbose=True).fit(X).explain(X[:3])
    messages = [r.getMessage() for r in caplog.records if r.name == "glassbox"]
    assert any(m.startswith("masked evaluation: ") and " chunks, " in m and m.endswith(" left") for m in messages)


def test_bad_input_gets_errors_that_name_the_fix():
    rng = np.random.default_rng(12)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    with pytest.raises(NotFittedError, match="prefit=True but LinearRegression is not fitted"):
        ShapleyExplainer(LinearRegression(), prefit=True).fit(frame)
    with pytest.raises(ValueError, match="background does not match"):
        ShapleyExplainer(LinearRegression(), background=frame.rename(columns={"c": "z"})).fit(frame, frame["a"])
    classifier = NaNClassifier().fit(frame, np.arange(30) % 2)
    explainer = ShapleyExplainer(classifier, background=frame[frame.a < 0]).fit(frame)
    with pytest.raises(ValueError, match=r"NaNClassifier.predict_proba returned NaN"):
        explainer.explain(frame[frame.a > 0])
    with pytest.raises(ValueError, match="tree_path_dependent' applies to method='tree' only"):
        ShapleyExplainer(Ridge(), method="exact", feature_perturbation="tree_path_dependent").fit(frame, frame["a"])


# -- tree ------------------------------------------------------------------------------------------
def test_tree_method_refuses_other_models():
    pytest.importorskip("glassbox.explainers._treeshap")
    X = np.random.default_rng(13).normal(size=(30, 3))
    with pytest.raises(ValueError, match="method='tree' explains decision trees.*got KNeighborsRegressor.*method='kernel'"):
        ShapleyExplainer(KNeighborsRegressor().fit(X, X[:, 0]), method="tree").fit(X)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n_features=st.integers(2, 5), depth=st.integers(1, 4))
def test_tree_equals_exact_on_random_forests(seed, n_features, depth):
    pytest.importorskip("glassbox.explainers._treeshap")
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, n_features))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, 1]) + rng.normal(size=60)
    model = RandomForestRegressor(5, max_depth=depth, random_state=seed).fit(X, y)
    tree = ShapleyExplainer(model, background=6, random_state=0).fit(X)
    assert tree.method_ == "tree"
    exp = tree.explain(X[:5])
    exact = ShapleyExplainer(model, method="exact", background=6, random_state=0).fit(X).explain(X[:5])
    np.testing.assert_allclose(exp.values, exact.values, atol=1e-8)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:5]), rtol=0, atol=1e-8)


def test_tree_multiclass_gradient_boosting_explains_the_additive_score():
    pytest.importorskip("glassbox.explainers._treeshap")
    from sklearn.datasets import load_iris
    from sklearn.ensemble import GradientBoostingClassifier

    X, y = load_iris(return_X_y=True)
    model = GradientBoostingClassifier(n_estimators=15, max_depth=2, random_state=0).fit(X, y)
    for perturbation in ("interventional", "tree_path_dependent"):
        explainer = ShapleyExplainer(model, background=20, feature_perturbation=perturbation, random_state=0).fit(X)
        exp = explainer.explain(X[::15])
        assert explainer.method_ == "tree" and exp.shape == (10, 4, 3)
        assert list(exp.output_names) == [0, 1, 2]
        np.testing.assert_allclose(exp.output(), model.decision_function(X[::15]), rtol=0, atol=1e-8)
    exact = ShapleyExplainer(model, method="exact", output="decision_function", background=20, random_state=0)
    tree = ShapleyExplainer(model, background=20, random_state=0).fit(X)
    np.testing.assert_allclose(tree.explain(X[::15]).values, exact.fit(X).explain(X[::15]).values, atol=1e-8)
    with pytest.raises(ValueError, match="method='tree' cannot explain GradientBoostingClassifier on output='predict_proba'"):
        ShapleyExplainer(model, method="tree", output="predict_proba").fit(X)


def test_tree_at_the_end_of_a_one_hot_pipeline_folds_and_adds_up(penguins):
    pytest.importorskip("glassbox.explainers._treeshap")
    from sklearn.ensemble import RandomForestClassifier

    X, y = penguins
    model = _penguin_pipeline(RandomForestClassifier(20, max_depth=4, random_state=0)).fit(X, y)
    rows = X.iloc[[0, 3, 8, 150, 300]]
    for perturbation in ("interventional", "tree_path_dependent"):
        explainer = ShapleyExplainer(model, background=15, feature_perturbation=perturbation, random_state=0).fit(X)
        exp = explainer.explain(rows)
        assert explainer.method_ == "tree" and exp.shape == (5, 6, 3)
        np.testing.assert_allclose(exp.output(), model.predict_proba(rows), rtol=0, atol=1e-8)


def test_tree_reads_categorical_histogram_boosting_on_a_frame(penguins):
    pytest.importorskip("glassbox.explainers._treeshap")
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = penguins
    X = X.astype({"island": "category", "sex": "category"})
    model = HistGradientBoostingClassifier(max_iter=15, categorical_features="from_dtype", random_state=0).fit(X, y)
    rows = X.iloc[[0, 3, 8, 150, 300]]
    tree = ShapleyExplainer(model, background=20, random_state=0).fit(X)
    exp = tree.explain(rows)
    assert tree.method_ == "tree" and exp.data[0, 0] == "Torgersen"
    np.testing.assert_allclose(exp.output(), model.decision_function(rows), rtol=0, atol=1e-8)
    exact = ShapleyExplainer(model, method="exact", output="decision_function", background=20, random_state=0)
    np.testing.assert_allclose(exp.values, exact.fit(X).explain(rows).values, atol=1e-8)


@pytest.mark.parametrize("method", ["tree", "exact", "kernel", "permutation"])
def test_a_regressor_of_two_targets_gets_one_output_per_target(method):
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    Y = np.column_stack([X[:, 0] + X[:, 1], 2 * X[:, 2]])
    forest = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, Y)
    exp = ShapleyExplainer(forest, method=method, background=20, random_state=0).fit(X).explain(X[:4])
    assert exp.shape == (4, 3, 2)
    assert exp.output_names.tolist() == ["prediction_0", "prediction_1"]
    np.testing.assert_allclose(exp.output(), forest.predict(X[:4]), atol=1e-8)


@pytest.mark.parametrize("model", ["mlp", "hgb"])
def test_a_classifier_fitted_on_one_class_is_explained_on_that_class(model):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.full(60, "only")
    estimator = {"mlp": MLPClassifier(max_iter=50, random_state=0), "hgb": HistGradientBoostingClassifier()}[model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    explainer = ShapleyExplainer(estimator, background=20, random_state=0).fit(X)
    exp = explainer.explain(X[:3])
    assert exp.shape == (3, 3, 1) and exp.output_names.tolist() == ["only"]
    np.testing.assert_allclose(exp.output()[:, 0], estimator.predict_proba(X[:3])[:, 0], atol=1e-8)
    if hasattr(estimator, "decision_function"):
        with pytest.raises(ValueError, match="fitted on the single class 'only'.*output='predict_proba'"):
            ShapleyExplainer(estimator, output="decision_function").fit(X)


def test_the_linear_method_names_what_the_model_cannot_take():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    model = LinearRegression().fit(X, 2 * X["a"])
    missing = X.astype("Float64")
    missing.loc[2, "b"] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN .missing values., which LinearRegression does not"):
        ShapleyExplainer(model, method="linear").fit(missing)
    text = X.astype(object)
    text.loc[2, "b"] = "oops"
    with pytest.raises(ValueError, match="LinearRegression takes numbers, but these columns hold values that are not: 'b'"):
        ShapleyExplainer(model, method="linear").fit(text)


@pytest.mark.parametrize("method", ["exact", "kernel", "permutation"])
def test_batches_of_one_row_give_the_same_values(method):
    # A batch smaller than one background block (#14's bad inputs): the work is cut
    # finer, the values are the same.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, X[:, 0] + rng.normal(size=len(X)))
    kwargs = dict(method=method, background=X[:7], n_samples=14 if method != "exact" else "auto", random_state=0)
    one = ShapleyExplainer(model, batch_size=1, **kwargs).fit(X).explain(X[:3])
    auto = ShapleyExplainer(model, **kwargs).fit(X).explain(X[:3])
    np.testing.assert_allclose(one.values, auto.values, rtol=1e-12, atol=1e-14)
