"""Partial dependence, ICE and accumulated local effects: closed forms, properties, errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeRegressor

from glassbox import Effect
from glassbox._core import InvalidParameterError
from glassbox.explainers import AccumulatedLocalEffects, PartialDependence

COLOURS = {"red": 1.0, "green": -1.0, "blue": 0.5}
MISSING_B, MISSING_COLOUR = 2.0, 3.0


class AdditiveModel(RegressorMixin, BaseEstimator):
    """f = sin(a) + b**2 (2 when b is missing) + colour term (3 when missing), plus a shift."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        self.calls_, self.rows_ = 0, 0
        return self

    @staticmethod
    def shapes(frame):
        a = frame["a"].to_numpy(float)
        b = frame["b"].to_numpy(float)
        colour = frame["colour"].map(COLOURS).to_numpy(dtype=float)
        return np.sin(a), np.where(np.isnan(b), MISSING_B, b**2), np.where(np.isnan(colour), MISSING_COLOUR, colour)

    def predict(self, X):
        self.calls_ += 1
        self.rows_ += len(X)
        return sum(self.shapes(X)) + self.shift


def shape_of(feature, grid):
    frame = pd.DataFrame({"a": 0.0, "b": 0.0, "colour": "red"}, index=range(len(grid)))
    frame[feature] = grid
    return AdditiveModel.shapes(frame)[["a", "b", "colour"].index(feature)]


@pytest.fixture(scope="module")
def additive():
    rng = np.random.default_rng(0)
    n = 600
    b = rng.normal(size=n)
    b[rng.random(n) < 0.1] = np.nan
    colour = rng.choice(list(COLOURS), size=n).astype(object)
    colour[rng.random(n) < 0.05] = None
    frame = pd.DataFrame({"a": rng.uniform(-3, 3, n), "b": b, "colour": colour})
    return frame, AdditiveModel().fit(frame)


@pytest.mark.parametrize(
    "explainer", [PartialDependence(None, grid_resolution=15), AccumulatedLocalEffects(None, max_bins=12)]
)
def test_effects_of_an_additive_model_are_its_shape_functions_up_to_a_constant(additive, explainer):
    frame, model = additive
    effects = explainer.set_params(estimator=model).fit(frame).explain(frame)
    assert [e.feature_names for e in effects] == [("a",), ("b",), ("colour",)]
    for effect in effects:
        name, grid = effect.feature_names[0], effect.grid[0]
        difference = effect.values[:, 0] - shape_of(name, grid)
        assert np.ptp(difference) < 1e-10, name
    b, colour = effects[1], effects[2]
    assert np.isnan(b.grid[0][-1])  # missing values are a point of their own
    assert set(colour.grid[0][:-1]) == set(COLOURS) and pd.isna(colour.grid[0][-1])  # levels, never codes
    assert colour.is_categorical == (True,) and b.is_categorical == (False,)


def test_partial_dependence_equals_scikit_learn_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    explainer = PartialDependence(model, grid_resolution=12, kind="both").fit(X)
    effect = explainer.explain(X, features=1)
    theirs = partial_dependence(model, X, [1], custom_values={1: explainer.grid_values_[1]}, kind="both")
    np.testing.assert_allclose(effect.values[:, 1], theirs["average"][0], atol=1e-12)
    np.testing.assert_allclose(effect.individual[:, :, 1], theirs["individual"][0], atol=1e-12)
    np.testing.assert_allclose(effect.values, effect.individual.mean(axis=0))  # the average of ICE curves


@pytest.mark.parametrize(
    "model, constant_offset",
    [
        (DecisionTreeRegressor(max_depth=6, random_state=0), False),
        (RandomForestRegressor(n_estimators=15, max_depth=6, random_state=0), False),
        (GradientBoostingRegressor(n_estimators=30, random_state=0), True),
        (HistGradientBoostingRegressor(max_iter=30, random_state=0), True),
    ],
)
def test_recursion_matches_scikit_learn(model, constant_offset):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3))
    y = X[:, 0] ** 2 + X[:, 0] * X[:, 1] - X[:, 2]
    model.fit(X, y)
    explainer = PartialDependence(model, grid_resolution=20, method="recursion").fit(X)
    for features in ([0], [0, 2]):
        ours = explainer.explain(X, features=tuple(features)).values[..., 0]
        custom = {j: explainer.grid_values_[j] for j in features}
        theirs = partial_dependence(model, X, features, method="recursion", custom_values=custom)["average"][0]
        difference = ours - theirs
        # scikit-learn leaves out the constant initial prediction of gradient boosting; we add it.
        assert np.ptp(difference) < 1e-10
        assert (abs(difference.mean()) > 0.1) == constant_offset


def test_recursion_of_an_additive_boosted_model_matches_brute_force_up_to_a_constant():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, size=(500, 3))
    X[rng.random(500) < 0.1, 1] = np.nan
    y = np.sin(X[:, 0]) + np.nan_to_num(X[:, 1], nan=1.5) ** 2
    model = HistGradientBoostingRegressor(max_depth=2, max_leaf_nodes=2, max_iter=60, random_state=0).fit(X, y)
    for j in range(3):
        recursion = PartialDependence(model, grid_resolution=15).fit(X).explain(X, features=j)
        brute = PartialDependence(model, grid_resolution=15, method="brute").fit(X).explain(X, features=j)
        assert np.ptp(recursion.values - brute.values) < 1e-10  # stumps: an additive model
        assert np.isnan(recursion.grid[0][-1]) == (j == 1)  # the missing point, reached by the trees' routing


def test_recursion_of_forest_classifier_gives_class_probabilities():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    model = RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    effect = PartialDependence(model, grid_resolution=10, method="recursion").fit(X).explain(X, features="x0")
    assert list(effect.output_names) == ["no", "yes"]
    np.testing.assert_allclose(effect.values.sum(axis=1), 1.0)
    assert effect.values[-1, 1] > effect.values[0, 1]


def test_ice_curves_of_a_linear_model_are_parallel_and_pairs_have_no_interaction():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 3))
    model = LinearRegression().fit(X, X @ [1.0, 2.0, -3.0])
    explainer = PartialDependence(model, kind="individual", grid_resolution=8).fit(X)
    effect = explainer.explain(X, features="x2")
    assert effect.individual.shape == (100, 8, 1)
    steps = np.diff(effect.individual[..., 0], axis=1)
    np.testing.assert_allclose(steps, np.broadcast_to(np.diff(effect.values[:, 0]), steps.shape))
    pair = explainer.explain(X, features=("x0", "x1"))
    v = pair.values[..., 0]
    np.testing.assert_allclose(v - v[:1] - v[:, :1] + v[0, 0], 0.0, atol=1e-10)
    assert pair.individual.shape == (100, 8, 8, 1)


def test_two_feature_partial_dependence_of_a_product_is_the_product():
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["u", "v", "w"])

    class Product(RegressorMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.n_features_in_ = 3
            return self

        def predict(self, X):
            return X["u"].to_numpy() * X["v"].to_numpy() + X["w"].to_numpy()

    effect = PartialDependence(Product().fit(X), grid_resolution=6).fit(X).explain(X, features=("u", "v"))
    u, v = effect.grid
    np.testing.assert_allclose(effect.values[..., 0], np.outer(u, v) + X["w"].mean(), atol=1e-12)


def test_partial_dependence_bands(additive):
    frame, model = additive
    ice = PartialDependence(model, band="ice", kind="both", confidence=0.8, grid_resolution=8).fit(frame)
    effect = ice.explain(frame, features="a")
    np.testing.assert_allclose(effect.lower, np.quantile(effect.individual, 0.1, axis=0))
    np.testing.assert_allclose(effect.upper, np.quantile(effect.individual, 0.9, axis=0))
    boot = PartialDependence(model, band="bootstrap", grid_resolution=8, random_state=0).fit(frame)
    first, again = boot.explain(frame, features="b"), boot.explain(frame, features="b")
    np.testing.assert_array_equal(first.lower, again.lower)
    assert np.all(first.lower <= first.upper) and np.all(first.upper - first.lower > 0)
    assert first.individual is None  # kind="average": the rows were evaluated for the band only


def test_grid_is_quantiles_within_percentiles_or_distinct_values():
    rng = np.random.default_rng(7)
    X = np.c_[rng.normal(size=1000), rng.integers(0, 4, size=1000)]
    explainer = PartialDependence(LinearRegression(), grid_resolution=11, percentiles=(0.1, 0.9))
    explainer.fit(X, X[:, 0])
    np.testing.assert_allclose(explainer.grid_values_[0], np.quantile(X[:, 0], np.linspace(0.1, 0.9, 11)))
    np.testing.assert_array_equal(explainer.grid_values_[1], [0, 1, 2, 3])


def test_constant_feature_has_a_one_point_grid(additive):
    frame, model = additive
    constant = frame.assign(a=1.25)
    pd_effect = PartialDependence(model).fit(constant).explain(constant, features="a")
    np.testing.assert_array_equal(pd_effect.grid[0], [1.25])
    np.testing.assert_allclose(pd_effect.values[0, 0], model.predict(constant).mean())
    ale_effect = AccumulatedLocalEffects(model).fit(constant).explain(constant, features="a")
    np.testing.assert_array_equal(ale_effect.grid[0], [1.25])
    np.testing.assert_array_equal(ale_effect.values, [[0.0]])
    assert ale_effect.counts.tolist() == [len(frame)]


def test_ale_makes_exactly_two_model_calls_per_row_and_feature():
    rng = np.random.default_rng(8)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500), "colour": "red"})
    model = AdditiveModel().fit(X)
    AccumulatedLocalEffects(model).fit(X).explain(X, features=["a", "b"])
    assert model.rows_ == 2 * 500 * 2
    assert model.calls_ == 1  # every feature in one stacked call


def test_ale_of_a_linear_model_has_its_slopes_even_for_correlated_features():
    rng = np.random.default_rng(9)
    x0 = rng.normal(size=800)
    X = np.c_[x0, x0 + 0.1 * rng.normal(size=800)]
    model = LinearRegression().fit(X, 2 * X[:, 0] - 3 * X[:, 1])
    for j, effect in enumerate(AccumulatedLocalEffects(model, max_bins=10).fit(X).explain(X)):
        slopes = np.diff(effect.values[:, 0]) / np.diff(effect.grid[0])
        np.testing.assert_allclose(slopes, model.coef_[j])
        mean_over_rows = np.sum(effect.counts[1:] * (effect.values[1:, 0] + effect.values[:-1, 0]) / 2)
        assert abs(mean_over_rows) < 1e-9  # centred


@settings(max_examples=25, deadline=None)
@given(shift=st.floats(-1e3, 1e3, allow_nan=False), seed=st.integers(0, 2**16))
def test_ale_ignores_a_constant_output_shift(shift, seed):
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({
        "a": rng.normal(size=n), "b": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "colour": rng.choice(list(COLOURS), size=n),
    })
    plain = AccumulatedLocalEffects(AdditiveModel().fit(frame), max_bins=5).fit(frame).explain(frame)
    shifted = AccumulatedLocalEffects(AdditiveModel(shift=shift).fit(frame), max_bins=5).fit(frame).explain(frame)
    for p, s in zip(plain, shifted):
        np.testing.assert_allclose(p.values, s.values, atol=1e-9 * max(1.0, abs(shift)))


def test_second_order_ale_is_the_pure_interaction():
    rng = np.random.default_rng(10)
    X = rng.uniform(0, 1, size=(1000, 3))

    class Model(RegressorMixin, BaseEstimator):
        def __init__(self, main=0.0):
            self.main = main

        def fit(self, X, y=None):
            self.n_features_in_ = 3
            return self

        def predict(self, X):
            return X[:, 0] * X[:, 1] + self.main * (np.sin(3 * X[:, 0]) + X[:, 1] ** 3 + X[:, 2])

    pair = AccumulatedLocalEffects(Model().fit(X), max_bins=6).fit(X).explain(X, features=(0, 1))
    u, v = pair.grid
    cross = np.diff(np.diff(pair.values[..., 0], axis=0), axis=1)
    np.testing.assert_allclose(cross, np.outer(np.diff(u), np.diff(v)), atol=1e-12)
    with_main = AccumulatedLocalEffects(Model(main=1.0).fit(X), max_bins=6).fit(X).explain(X, features=(0, 1))
    np.testing.assert_allclose(with_main.values, pair.values, atol=1e-10)  # main effects removed
    assert pair.counts.shape == (7, 7) and pair.counts.sum() == 1000


def test_ale_orders_categories_by_similarity():
    rng = np.random.default_rng(11)
    level = rng.choice(["high", "low", "mid"], size=900)
    centre = pd.Series(level).map({"low": 0.0, "mid": 5.0, "high": 10.0}).to_numpy()
    frame = pd.DataFrame({"level": level, "x": centre + rng.normal(size=900)})
    explainer = AccumulatedLocalEffects(AdditiveModel().fit(frame)).fit(frame)  # ordering needs no model call
    levels = explainer._feature_schema.categories[0]
    assert levels[explainer.level_orders_[0].astype(int)].tolist() in (["low", "mid", "high"], ["high", "mid", "low"])
    ordered = frame.assign(level=pd.Categorical(level, categories=["mid", "low", "high"], ordered=True))
    explainer.fit(ordered)
    levels = explainer._feature_schema.categories[0]
    assert levels[explainer.level_orders_[0].astype(int)].tolist() == ["mid", "low", "high"]


def test_ale_of_class_probabilities_sums_to_zero_over_classes():
    rng = np.random.default_rng(12)
    frame = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    y = np.array(["a", "b", "c"])[(frame["x"] > 0).astype(int) + (frame["z"] > 1).astype(int)]
    model = LogisticRegression().fit(frame, y)
    for effect in AccumulatedLocalEffects(model, max_bins=8).fit(frame).explain(frame):
        assert list(effect.output_names) == ["a", "b", "c"]
        np.testing.assert_allclose(effect.values.sum(axis=-1), 0.0, atol=1e-12)


def test_ale_per_bin_band_is_the_t_interval_of_each_bin(additive):
    frame, _ = additive
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(
        frame[["a"]].assign(z=frame["a"] ** 2), np.sin(frame["a"])
    )
    X = frame[["a"]].assign(z=frame["a"] ** 2)
    explainer = AccumulatedLocalEffects(model, max_bins=5, band="per_bin", confidence=0.9).fit(X)
    effect = explainer.explain(X, features="a")
    edges = explainer.bins_.edges[0]
    k = 2  # the third bin, ending at grid point 3
    inside = X[(X["a"] > edges[k]) & (X["a"] <= edges[k + 1])]
    diff = model.predict(inside.assign(a=edges[k + 1])) - model.predict(inside.assign(a=edges[k]))
    half = stats.t.ppf(0.95, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    np.testing.assert_allclose(effect.upper[k + 1, 0] - effect.values[k + 1, 0], half)
    np.testing.assert_allclose(effect.values[k + 1, 0] - effect.lower[k + 1, 0], half)
    assert effect.lower[0, 0] == effect.upper[0, 0] == effect.values[0, 0]


def test_ale_bootstrap_band_is_reproducible_for_any_n_jobs(additive):
    frame, _ = additive
    X = frame[["a"]].assign(z=np.cos(frame["a"]))
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, np.sin(X["a"]) + X["z"])
    kwargs = dict(max_bins=6, band="bootstrap", random_state=3, batch_size=500)
    one = AccumulatedLocalEffects(model, n_jobs=1, **kwargs).fit(X).explain(X, features=["a", ("a", "z")])
    two = AccumulatedLocalEffects(model, n_jobs=2, **kwargs).fit(X).explain(X, features=["a", ("a", "z")])
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.lower, b.lower)
        np.testing.assert_array_equal(a.upper, b.upper)
        assert np.all(a.lower <= a.upper) and np.any(a.upper > a.lower)


def test_features_select_one_effect_or_a_list(additive):
    frame, model = additive
    explainer = AccumulatedLocalEffects(model).fit(frame)
    assert isinstance(explainer.explain(frame, features="a"), Effect)
    assert isinstance(explainer.explain(frame, features=1), Effect)
    assert explainer.explain(frame, features=("a", "b")).is_2d
    listed = explainer.explain(frame, features=["colour", ("a", "b"), 0])
    assert [e.feature_names for e in listed] == [("colour",), ("a", "b"), ("a",)]


def test_bad_input_gets_clear_errors(additive):
    frame, model = additive
    ale = AccumulatedLocalEffects(model).fit(frame)
    pdp = PartialDependence(model).fit(frame)
    with pytest.raises(ValueError, match="'age' is not a feature of X; the features are 'a', 'b', 'colour'"):
        ale.explain(frame, features="age")
    with pytest.raises(ValueError, match="'age' is not a feature of X"):
        pdp.explain(frame, features=["a", ("a", "age")])
    with pytest.raises(ValueError, match="Second-order ALE is defined for two numeric features, but 'colour' is"):
        ale.explain(frame, features=("a", "colour"))
    with pytest.raises(ValueError, match="Feature 5 is out of range: X has 3 features"):
        ale.explain(frame, features=5)
    with pytest.raises(ValueError, match="one feature or a pair"):
        pdp.explain(frame, features=("a", "b", "colour"))
    with pytest.raises(ValueError, match="two different features"):
        pdp.explain(frame, features=("a", "a"))
    with pytest.raises(ValueError, match="band='per_bin' is defined for one-feature effects"):
        AccumulatedLocalEffects(model, band="per_bin").fit(frame).explain(frame, features=("a", "b"))
    constant = frame.assign(b=2.0)
    with pytest.raises(ValueError, match="needs two features that vary, but 'b' was constant"):
        AccumulatedLocalEffects(model).fit(constant).explain(constant, features=("a", "b"))
    with pytest.raises(ValueError, match="method='recursion' traverses scikit-learn tree models.*got AdditiveModel"):
        PartialDependence(model, method="recursion").fit(frame).explain(frame, features="a")
    with pytest.raises(ValueError, match="method='recursion' computes the average curve"):
        PartialDependence(model, method="recursion", kind="both").fit(frame)
    with pytest.raises(ValueError, match="percentiles must satisfy"):
        PartialDependence(model, percentiles=(0.9, 0.1)).fit(frame)
    with pytest.raises(InvalidParameterError, match="'band' parameter of AccumulatedLocalEffects"):
        AccumulatedLocalEffects(model, band="ice").fit(frame)
