"""Permutation importance: closed forms, scorers, groups, seeds and bad input."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import make_column_transformer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from glassbox._core import InvalidParameterError
from glassbox.explainers import PermutationImportance

COEF = np.array([2.0, -1.0, 0.5, 0.0])


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    y = X @ COEF + 0.1 * rng.normal(size=1000)
    return X, y, LinearRegression().fit(X, y)


class CountingRegressor(RegressorMixin, BaseEstimator):
    """A fitted linear model that counts its predict calls and rows."""

    def __init__(self, coef):
        self.coef = coef

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        self.calls_, self.rows_, self.largest_ = 0, 0, 0
        return self

    def predict(self, X):
        self.calls_ += 1
        self.rows_ += len(X)
        self.largest_ = max(self.largest_, len(X))
        return np.asarray(X, dtype=float) @ self.coef


def test_prediction_based_importance_of_linear_model_is_2_coef2_var(linear):
    X, _, model = linear
    n_repeats = 40
    exp = PermutationImportance(model, n_repeats=n_repeats, random_state=0).fit(X).explain(X)
    # Over random permutations of the sample, E[I_j] = 2 coef_j**2 var(x_j) exactly.
    expected = 2 * model.coef_**2 * X.var(axis=0)
    tolerance = 5 * exp.std[:, 0] / np.sqrt(n_repeats) + 1e-12
    assert np.all(np.abs(exp.values[:, 0] - expected) <= tolerance)
    assert exp.shape == (4, 1) and list(exp.output_names) == ["prediction"]
    assert list(exp.feature_names) == ["x0", "x1", "x2", "x3"]
    assert exp.method == "permutation_importance" and exp.base_values is None


def test_score_based_importance_of_standardised_linear_model_is_near_2_coef2(linear):
    X, y, model = linear
    exp = PermutationImportance(model, scoring="neg_mean_squared_error", n_repeats=20, random_state=0)
    values = exp.fit(X).explain(X, y).values[:, 0]
    np.testing.assert_allclose(values, 2 * COEF**2, rtol=0.15, atol=0.02)


def test_score_based_importance_agrees_with_scikit_learn_in_expectation(linear):
    X, y, model = linear
    ours = PermutationImportance(model, scoring="r2", n_repeats=30, random_state=0).fit(X).explain(X, y)
    theirs = permutation_importance(model, X, y, scoring="r2", n_repeats=30, random_state=0)
    standard_error = np.hypot(ours.std[:, 0], theirs.importances_std) / np.sqrt(30)
    assert np.all(np.abs(ours.values[:, 0] - theirs.importances_mean) <= 5 * standard_error + 1e-12)
    np.testing.assert_allclose(ours.base_values, [model.score(X, y)])


def test_several_scorers_share_permutations_and_model_calls(linear):
    X, y, _ = linear
    model = CountingRegressor(COEF).fit(X)
    explainer = PermutationImportance(model, scoring=["r2", "neg_mean_absolute_error"], n_repeats=3, random_state=0,
                                      batch_size=13 * len(X))
    exp = explainer.fit(X).explain(X, y)
    assert list(exp.output_names) == ["r2", "neg_mean_absolute_error"]
    # Every permuted row of every feature and repeat, plus the rows themselves, once.
    assert model.rows_ == (1 + 4 * 3) * len(X)
    assert model.calls_ == 1  # one chunk: one model call for all scorers
    for s, name in enumerate(exp.output_names):
        alone = PermutationImportance(model, scoring=name, n_repeats=3, random_state=0).fit(X).explain(X, y)
        np.testing.assert_array_equal(exp.values[:, s], alone.values[:, 0])
        np.testing.assert_array_equal(exp.std[:, s], alone.std[:, 0])


def test_dict_of_scorers_and_callables_that_use_the_rows(linear):
    X, y, model = linear
    scoring = {
        "mse": "neg_mean_squared_error",
        "by_hand": lambda est, X_, y_: -mean_squared_error(y_, est.predict(X_)),
        "score_method": lambda est, X_, y_: est.score(X_, y_),  # not cached: runs the model itself
    }
    exp = PermutationImportance(model, scoring=scoring, n_repeats=4, random_state=1).fit(X).explain(X, y)
    np.testing.assert_allclose(exp.values[:, 0], exp.values[:, 1], atol=1e-12)
    r2 = PermutationImportance(model, scoring="r2", n_repeats=4, random_state=1).fit(X).explain(X, y)
    np.testing.assert_allclose(exp.values[:, 2], r2.values[:, 0], atol=1e-12)


def test_grouped_features_share_one_permutation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    X = np.c_[x, x, rng.normal(size=500)]
    model = CountingRegressor(np.array([1.0, -1.0, 0.5])).fit(X)  # x0 - x1 cancels on the data
    grouped = PermutationImportance(model, groups={"pair": [0, "x1"]}, n_repeats=5, random_state=0).fit(X).explain(X)
    assert list(grouped.feature_names) == ["pair", "x2"]
    assert grouped.values[0, 0] == 0.0  # permuted together, x0 - x1 stays 0
    single = PermutationImportance(model, n_repeats=5, random_state=0).fit(X).explain(X)
    assert single.values[0, 0] > 1.0 and single.values[1, 0] > 1.0  # alone, each breaks the pair


def test_group_errors_name_the_problem(linear):
    X, _, model = linear
    with pytest.raises(ValueError, match="'x9' \\(in groups\\['size'\\]\\) is not a feature of X; the features are"):
        PermutationImportance(model, groups={"size": ["x0", "x9"]}).fit(X)
    with pytest.raises(ValueError, match="groups\\['none'\\] is empty"):
        PermutationImportance(model, groups={"none": []}).fit(X)
    with pytest.raises(ValueError, match="group name 'x1' is also the name of a feature"):
        PermutationImportance(model, groups={"x1": ["x0"]}).fit(X)


@pytest.mark.parametrize("scoring", [None, "r2"])
def test_chunks_are_reduced_one_group_at_a_time(linear, scoring):
    # Each model call holds at most batch_size rows (whole blocks of permuted rows, or one
    # block when a block is larger), and the result does not depend on the batch.
    X, y, _ = linear
    results = []
    for batch_size, largest in [(13 * len(X), (13 if scoring else 12) * len(X)), (2 * len(X) + 1, 2 * len(X)),
                                (300, 300)]:
        model = CountingRegressor(COEF).fit(X)
        exp = PermutationImportance(model, scoring=scoring, n_repeats=3, random_state=2,
                                    batch_size=batch_size).fit(X).explain(X, y)
        assert model.largest_ == largest, batch_size
        assert model.rows_ == 13 * len(X)
        results.append(exp)
    for exp in results[1:]:
        np.testing.assert_allclose(exp.values, results[0].values, rtol=1e-12)
        np.testing.assert_allclose(exp.std, results[0].std, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("scoring", [None, "r2"])
def test_memory_does_not_hold_every_prediction_of_every_repeat(scoring):
    # 20 repeats of 4 features of 20,000 rows: holding every prediction (81 blocks) and
    # every permutation at once takes 26 MB; one group of blocks at a time, a few MB.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 4))
    y = X @ COEF
    model = CountingRegressor(COEF).fit(X)
    explainer = PermutationImportance(model, scoring=scoring, n_repeats=20, random_state=0, batch_size=4096).fit(X)
    tracemalloc.start()
    explainer.explain(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8e6, peak


def test_same_seed_same_result_for_any_n_jobs(linear):
    X, y, model = linear
    kwargs = dict(n_repeats=3, random_state=7, batch_size=700)
    one = PermutationImportance(model, n_jobs=1, **kwargs).fit(X).explain(X)
    two = PermutationImportance(model, n_jobs=2, **kwargs).fit(X).explain(X)
    np.testing.assert_array_equal(one.values, two.values)
    np.testing.assert_array_equal(one.std, two.std)
    scored = PermutationImportance(model, scoring="r2", n_jobs=2, **kwargs).fit(X).explain(X, y)
    again = PermutationImportance(model, scoring="r2", n_jobs=1, **kwargs).fit(X).explain(X, y)
    np.testing.assert_array_equal(scored.values, again.values)
    other = PermutationImportance(model, n_repeats=3, random_state=8).fit(X).explain(X)
    assert not np.array_equal(one.values, other.values)


def test_classifier_prediction_based_importance_per_class():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=300) > 0, "yes", "no")
    model = LogisticRegression().fit(X, y)
    exp = PermutationImportance(model, n_repeats=3, random_state=0).fit(X).explain(X)
    assert list(exp.output_names) == ["no", "yes"]
    # p(no) = 1 - p(yes): both classes change by the same squared amount.
    np.testing.assert_allclose(exp.values[:, 0], exp.values[:, 1])
    assert np.argmax(exp.values[:, 0]) == 0
    accuracy = PermutationImportance(model, scoring="accuracy", random_state=0).fit(X).explain(X, y)
    assert accuracy.values[0, 0] > 0.2 and np.abs(accuracy.values[1:, 0]).max() < 0.05


def test_categorical_features_are_permuted_as_categories():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], 400), "size": rng.normal(size=400)})
    y = frame["colour"].map({"red": 3.0, "green": 0.0, "blue": -3.0}) + 0.1 * frame["size"]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"), LinearRegression()
    ).fit(frame, y)
    exp = PermutationImportance(model, scoring="r2", n_repeats=3, random_state=0).fit(frame).explain(frame, y)
    assert list(exp.feature_names) == ["colour", "size"]
    assert exp.values[0, 0] > 1.0 > 0.01 > exp.values[1, 0]


def test_sample_weight_of_ones_changes_nothing_and_scales_freely(linear):
    X, y, model = linear
    explainer = PermutationImportance(model, n_repeats=2, random_state=0).fit(X)
    plain = explainer.explain(X)
    np.testing.assert_allclose(explainer.explain(X, sample_weight=np.ones(len(X))).values, plain.values)
    weights = np.random.default_rng(0).uniform(size=len(X))
    np.testing.assert_allclose(
        explainer.explain(X, sample_weight=3 * weights).values, explainer.explain(X, sample_weight=weights).values
    )
    assert not np.allclose(explainer.explain(X, sample_weight=weights).values, plain.values)


def test_permutation_importance_is_global_and_not_a_transformer(linear):
    X, _, model = linear
    explainer = PermutationImportance(model).fit(X)
    assert not hasattr(explainer, "transform")
    assert not explainer.explain(X).is_local


def test_bad_scoring_and_missing_target(linear):
    X, y, model = linear
    with pytest.raises(ValueError, match="need the target: pass y"):
        PermutationImportance(model, scoring="r2").fit(X).explain(X)
    with pytest.raises(ValueError, match="X has 1000 samples but y has 10"):
        PermutationImportance(model, scoring="r2").fit(X).explain(X, y[:10])
    with pytest.raises(ValueError, match="must hold one or more scorer names"):
        PermutationImportance(model, scoring=["r2", lambda *a: 0.0]).fit(X)
    with pytest.raises(ValueError, match="names a scorer twice"):
        PermutationImportance(model, scoring=["r2", "r2"]).fit(X)
    with pytest.raises(InvalidParameterError, match="'scoring' parameter of PermutationImportance"):
        PermutationImportance(model, scoring="not_a_scorer").fit(X)
    with pytest.raises(InvalidParameterError, match="'n_repeats'"):
        PermutationImportance(model, n_repeats=0).fit(X)
