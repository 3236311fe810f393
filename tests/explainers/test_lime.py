"""LimeExplainer: closed forms on linear models, the batched local fits against
scikit-learn's Ridge on the very same neighbourhoods, feature selection against brute
force, reproducibility, categorical and missing values, bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.dummy import DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, lars_path
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassbox import Explanation
from glassbox._core import InvalidParameterError, apply_bins, row_rngs
from glassbox.explainers import LimeExplainer


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4)) * np.array([1.0, 2.0, 0.5, 3.0]) + np.array([0.0, 5.0, -1.0, 2.0])
    coef = np.array([4.0, -2.0, 1.0, 0.5])
    return X, X @ coef + 3.0, coef


@pytest.fixture(scope="module")
def wine_model():
    X, y = load_wine(return_X_y=True, as_frame=True)
    return X, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def neighbourhood(explainer, rows):
    """The samples, design, kernel weights and model outputs ``explain`` uses for ``rows``."""
    encoded = np.asarray(rows, dtype=np.float64)
    samples, design, row_design, distance2 = explainer._neighbourhood.sample(encoded, row_rngs(explainer._seed, encoded))
    np.testing.assert_allclose(distance2, ((design - row_design[:, None, :]) ** 2).sum(axis=2), atol=1e-9)
    weights = explainer._neighbourhood.weights(distance2)
    outputs = np.stack([explainer._model_output(s) for s in samples])
    return samples, design, row_design, weights, outputs


# -- closed forms ----------------------------------------------------------------------
def test_continuous_lime_of_linear_model_recovers_its_coefficients(linear_data):
    X, y, coef = linear_data
    model = LinearRegression().fit(X, y)
    lime = LimeExplainer(model, sampling="continuous", num_samples=300, num_features=None, alpha=0.0,
                         random_state=0).fit(X)
    exp = lime.explain(X[:20])
    slopes = exp.values[:, :, 0] / (X[:20] - lime.mean_)
    np.testing.assert_allclose(slopes, np.broadcast_to(coef, slopes.shape), rtol=1e-7)
    np.testing.assert_allclose(exp.fidelity, 1.0, atol=1e-9)
    # The local model is the model: values plus base value give the prediction.
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:20]), rtol=1e-9)
    np.testing.assert_allclose(lime.mean_, X.mean(axis=0))
    np.testing.assert_allclose(lime.scale_, X.std(axis=0))


def test_ridge_penalty_shrinks_little_with_many_samples(linear_data):
    X, y, coef = linear_data
    model = LinearRegression().fit(X, y)
    exp = LimeExplainer(model, sampling="continuous", num_samples=20000, num_features=None,
                        random_state=1).fit(X).explain(X[:5])
    slopes = exp.values[:, :, 0] / (X[:5] - X.mean(axis=0))
    np.testing.assert_allclose(slopes, np.broadcast_to(coef, slopes.shape), rtol=2e-3)


def test_quartile_lime_of_linear_model_is_the_bin_contrast(linear_data):
    # Features are drawn independently from their training values and the model is
    # additive, so E[f | z] is linear in the same-bin indicators z: the weight of
    # feature j is coef_j * (mean of x_j in the row's quartile - mean outside it).
    X, y, coef = linear_data
    model = LinearRegression().fit(X, y)
    lime = LimeExplainer(model, num_samples=50000, num_features=None, alpha=0.0, random_state=0).fit(X)
    rows = X[:8]
    exp = lime.explain(rows)
    train_bins, row_bins = apply_bins(lime.bins_, X), apply_bins(lime.bins_, rows)
    same = train_bins[None, :, :] == row_bins[:, None, :]  # (rows, train, p)
    inside = (same * X).sum(axis=1) / same.sum(axis=1)
    outside = (~same * X).sum(axis=1) / (~same).sum(axis=1)
    expected = coef * (inside - outside)
    values = exp.values[:, :, 0]
    # Sampling error: the residual spread (about 4) over the effective sample size.
    np.testing.assert_allclose(values, expected, atol=0.25)
    clear = np.abs(expected) > 0.25
    assert (np.sign(values[clear]) == np.sign(expected[clear])).all()
    # Order: wherever one feature's expected weight clearly exceeds another's.
    magnitude, expected_magnitude = np.abs(values), np.abs(expected)
    apart = expected_magnitude[:, :, None] - expected_magnitude[:, None, :] > 0.5
    assert (magnitude[:, :, None] > magnitude[:, None, :])[apart].all()
    assert apart.sum() >= 20


def test_binary_classes_get_opposite_values():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    for selection in ("forward", "highest_weights", "lasso_path"):
        exp = LimeExplainer(model, num_samples=500, num_features=5, feature_selection=selection,
                            random_state=0).fit(X).explain(X[:4])
        np.testing.assert_allclose(exp.values[:, :, 0], -exp.values[:, :, 1], atol=1e-9)
        np.testing.assert_allclose(exp.base_values.sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(exp.fidelity[:, 0], exp.fidelity[:, 1], atol=1e-9)
        assert ((exp.values[:, :, 1] != 0).sum(axis=1) <= 5).all()
        assert list(exp.output_names) == [0, 1]


def test_constant_model_has_zero_values_and_perfect_fidelity(linear_data):
    X, y, _ = linear_data
    exp = LimeExplainer(DummyRegressor(), num_samples=200, random_state=0).fit(X, y).explain(X[:3])
    np.testing.assert_allclose(exp.values, 0.0, atol=1e-12)
    np.testing.assert_allclose(exp.base_values, y.mean())
    np.testing.assert_array_equal(exp.fidelity, 1.0)


# -- the batched local fits against scikit-learn on the same neighbourhoods ---------------
def reference_selection(design, target, weights, row_design, k, method):
    """Feature selection of the lime package, with scikit-learn estimators."""
    p = design.shape[1]
    if method == "forward":
        chosen = []
        for _ in range(k):
            scores = {
                j: LinearRegression().fit(design[:, chosen + [j]], target, sample_weight=weights)
                .score(design[:, chosen + [j]], target, sample_weight=weights)
                for j in range(p) if j not in chosen
            }
            chosen.append(max(scores, key=scores.get))
        return sorted(chosen)
    if method == "highest_weights":
        ridge = Ridge(alpha=0.01).fit(design, target, sample_weight=weights)
        return sorted(np.argsort(-np.abs(ridge.coef_ * row_design), kind="stable")[:k])
    centred = (design - np.average(design, axis=0, weights=weights)) * np.sqrt(weights)[:, None]
    response = (target - np.average(target, weights=weights)) * np.sqrt(weights)
    _, _, path = lars_path(centred, response, method="lasso")
    sizes = np.count_nonzero(path, axis=0)
    return sorted(np.flatnonzero(path[:, np.flatnonzero(sizes <= k)[-1]]))


@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
@pytest.mark.parametrize("method", ["forward", "highest_weights", "lasso_path", "none"])
def test_local_models_match_sklearn_ridge_on_the_same_samples(wine_model, sampling, method):
    X, model = wine_model
    k = 3
    lime = LimeExplainer(model, sampling=sampling, num_samples=400, num_features=k, feature_selection=method,
                         alpha=1.0, random_state=0).fit(X)
    rows = X.iloc[[0, 70, 150]]
    exp = lime.explain(rows)
    _, design, row_design, weights, outputs = neighbourhood(lime, rows)
    for i in range(len(rows)):
        for o in range(outputs.shape[2]):
            target = outputs[i, :, o]
            if method == "none":
                chosen = list(range(X.shape[1]))
            else:
                chosen = reference_selection(design[i], target, weights[i], row_design[i], k, method)
            assert list(np.flatnonzero(exp.values[i, :, o])) == chosen, (i, o)
            ridge = Ridge(alpha=1.0).fit(design[i][:, chosen], target, sample_weight=weights[i])
            np.testing.assert_allclose(exp.values[i, chosen, o], ridge.coef_ * row_design[i, chosen], rtol=1e-6,
                                       atol=1e-10)
            np.testing.assert_allclose(exp.base_values[i, o], ridge.intercept_, rtol=1e-6, atol=1e-10)
            score = ridge.score(design[i][:, chosen], target, sample_weight=weights[i])
            np.testing.assert_allclose(exp.fidelity[i, o], score, atol=1e-8)


@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
def test_coef_and_intercept_are_the_closed_form_weighted_ridge(wine_model, sampling):
    # The normal equations of the weighted ridge with an unpenalised intercept, solved
    # directly on the same samples, weights and outputs.
    X, model = wine_model
    alpha = 2.0
    lime = LimeExplainer(model, sampling=sampling, num_samples=300, num_features=None, alpha=alpha,
                         random_state=5).fit(X)
    rows = X.iloc[[3, 80, 160]]
    exp = lime.explain(rows)
    _, design, row_design, weights, outputs = neighbourhood(lime, rows)
    for i in range(len(rows)):
        Z = np.column_stack([np.ones(len(design[i])), design[i]])
        penalty = alpha * np.eye(Z.shape[1])
        penalty[0, 0] = 0.0
        beta = np.linalg.solve(Z.T @ (weights[i][:, None] * Z) + penalty, Z.T @ (weights[i][:, None] * outputs[i]))
        np.testing.assert_allclose(exp.coef[i], beta[1:], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(exp.intercept[i], beta[0], rtol=1e-6, atol=1e-9)
    # values are the contributions: weight times the row's interpretable value.
    np.testing.assert_allclose(exp.values, exp.coef * row_design[:, :, None], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(exp.intercept, exp.base_values)
    if sampling == "quartile":
        np.testing.assert_array_equal(exp.values, exp.coef)  # the row is in its own bin: z(x) = 1


def test_coef_is_zero_and_std_zero_for_features_left_out(wine_model):
    X, model = wine_model
    exp = LimeExplainer(model, num_samples=400, num_features=3, random_state=0).fit(X).explain(X.iloc[:4])
    left_out = exp.values == 0
    assert (left_out.sum(axis=1) == X.shape[1] - 3).all()
    np.testing.assert_array_equal(exp.coef[left_out], 0.0)
    np.testing.assert_array_equal(exp.std[left_out], 0.0)
    assert (exp.std[~left_out] > 0).all()
    sliced = exp[1:3, ["alcohol", "proline"]]
    np.testing.assert_array_equal(sliced.coef, exp.coef[1:3][:, [0, 12]])
    np.testing.assert_array_equal(sliced.intercept, exp.intercept[1:3])


@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
def test_std_matches_the_spread_over_seeds(sampling):
    # The jackknife standard error of one explanation against the standard deviation of
    # the weights over 40 independent neighbourhoods of the same rows.
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :8]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    rows = X[:6]
    params = dict(sampling=sampling, num_samples=1000, num_features=None, output="log_odds")
    runs = [LimeExplainer(model, random_state=seed, **params).fit(X).explain(rows) for seed in range(40)]
    spread = np.std([run.values for run in runs], axis=0, ddof=1)  # (6, 8, 1)
    reported = np.mean([run.std for run in runs], axis=0)
    ratio = reported / spread
    # Each spread is itself estimated from 40 runs (about 11% error), so compare the
    # median over the 48 weights and bound every single ratio loosely.
    assert 0.85 < np.median(ratio) < 1.15, np.median(ratio)
    assert (ratio > 0.5).all() and (ratio < 2.0).all(), ratio.ravel()


def test_kernel_and_neighbourhood_follow_the_lime_package(wine_model):
    X, model = wine_model
    lime = LimeExplainer(model, num_samples=300, random_state=0).fit(X)
    assert lime.kernel_width_ == pytest.approx(0.75 * np.sqrt(X.shape[1]))
    samples, design, row_design, weights, _ = neighbourhood(lime, X.iloc[:2])
    np.testing.assert_array_equal(samples[:, 0], X.iloc[:2].to_numpy())  # the row itself comes first
    assert set(np.unique(design)) <= {0.0, 1.0} and (row_design == 1).all()
    distance2 = ((1 - design) ** 2).sum(axis=2)
    np.testing.assert_allclose(weights, np.sqrt(np.exp(-distance2 / lime.kernel_width_**2)))
    # Every sampled value is a training value of its column.
    for j in range(X.shape[1]):
        assert np.isin(samples[:, :, j], X.iloc[:, j].to_numpy()).all()


# -- reproducibility -----------------------------------------------------------------------
@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
def test_same_seed_same_result_for_any_n_jobs_and_batch_size(wine_model, sampling):
    X, model = wine_model
    rows = X.iloc[:7]
    params = dict(sampling=sampling, num_samples=300, num_features=4, random_state=3)
    serial = LimeExplainer(model, **params).fit(X).explain(rows)
    parallel = LimeExplainer(model, n_jobs=2, batch_size=700, **params).fit(X).explain(rows)
    np.testing.assert_allclose(parallel.values, serial.values, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(parallel.fidelity, serial.fidelity, rtol=1e-10)
    other = LimeExplainer(model, **{**params, "random_state": 4}).fit(X).explain(rows)
    assert not np.allclose(other.values, serial.values)


@settings(max_examples=10, deadline=None)
@given(order=st.permutations(range(8)), size=st.integers(1, 8))
def test_a_row_is_explained_the_same_alone_or_in_any_batch(wine_model, order, size):
    X, model = wine_model
    lime = LimeExplainer(model, num_samples=200, num_features=3, random_state=0).fit(X)
    everything = lime.explain(X.iloc[:8])
    picked = np.asarray(order[:size])
    some = lime.explain(X.iloc[picked])
    np.testing.assert_allclose(some.values, everything.values[picked], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(some.base_values, everything.base_values[picked], rtol=1e-9)


# -- categorical and missing values ----------------------------------------------------------
@pytest.fixture(scope="module")
def penguins():
    frame = load_penguins().drop(columns="year")
    y = frame.pop("species")
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
            remainder=make_pipeline(SimpleImputer(), StandardScaler()),
        ),
        LogisticRegression(max_iter=2000),
    ).fit(frame, y)
    return frame, y, model


@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
def test_categorical_values_are_drawn_as_levels_with_training_frequencies(penguins, sampling):
    frame, _, model = penguins
    lime = LimeExplainer(model, sampling=sampling, num_samples=4000, random_state=0).fit(frame)
    samples, *_ = neighbourhood(lime, lime._feature_schema.encode(frame.iloc[:2]))
    island = list(frame.columns).index("island")
    codes = samples[:, 1:, island].ravel()
    assert np.isin(codes, [0.0, 1.0, 2.0]).all()  # levels, never averaged codes
    shares = np.bincount(codes.astype(int), minlength=3) / len(codes)
    expected = frame["island"].value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(shares, expected, atol=0.02)
    sex = list(frame.columns).index("sex")
    np.testing.assert_allclose(np.isnan(samples[:, 1:, sex]).mean(), frame["sex"].isna().mean(), atol=0.01)


@pytest.mark.parametrize("sampling", ["quartile", "continuous"])
def test_rows_with_categories_and_missing_values_are_explained(penguins, sampling):
    frame, _, model = penguins
    rows = frame.iloc[[0, 3, 8]]  # row 3 is missing every measurement and sex
    exp = LimeExplainer(model, sampling=sampling, num_samples=500, random_state=0).fit(frame).explain(rows)
    assert exp.values.shape == (3, 6, 3) and np.isfinite(exp.values).all()
    assert exp.data[0, 0] == "Torgersen" and pd.isna(exp.data[1, 1])
    assert ((exp.fidelity >= 0) & (exp.fidelity <= 1)).all()
    assert list(exp.output_names) == ["Adelie", "Chinstrap", "Gentoo"]


def test_category_never_seen_at_fit_is_explained(penguins):
    frame, _, model = penguins
    lime = LimeExplainer(model, num_samples=300, random_state=0).fit(frame[frame.island != "Dream"])
    dream = frame[frame.island == "Dream"].iloc[:2]
    exp = lime.explain(dream)
    assert list(exp.data[:, 0]) == ["Dream", "Dream"]
    assert np.isfinite(exp.values).all()


# -- the transformer API and the result ---------------------------------------------------------
def test_transform_gives_the_attribution_matrix(wine_model):
    X, model = wine_model
    lime = LimeExplainer(model, num_samples=200, random_state=0).fit(X)
    matrix = lime.transform(X.iloc[:4])
    exp = lime.explain(X.iloc[:4])
    assert matrix.shape == (4, 13 * 3)
    np.testing.assert_array_equal(matrix[:, :13], exp.values[:, :, 0])
    names = lime.get_feature_names_out()
    assert names[0] == "0__alcohol" and len(names) == 39
    frame = lime.set_output(transform="pandas").transform(X.iloc[:4])
    assert list(frame.columns) == list(names)


def test_fidelity_follows_slicing(wine_model):
    X, model = wine_model
    exp = LimeExplainer(model, num_samples=200, random_state=0).fit(X).explain(X.iloc[:5])
    part = exp[1:3, "alcohol", 2]
    np.testing.assert_array_equal(part.fidelity, exp.fidelity[1:3, [2]])
    assert exp.method == "lime-quartile"
    with pytest.raises(ValueError, match=r"fidelity of shape \(5,\) does not match values of shape \(5, 13, 3\)"):
        Explanation(exp.values, fidelity=exp.fidelity[:, 0])


# -- bad input ----------------------------------------------------------------------------------
def test_feature_names_not_in_fit_are_rejected(wine_model):
    X, model = wine_model
    lime = LimeExplainer(model, num_samples=50).fit(X)
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- colour"):
        lime.explain(X.rename(columns={"hue": "colour"}))
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- hue"):
        lime.explain(X.drop(columns="hue"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"num_features": 0}, "'num_features' parameter of LimeExplainer must be an int in the range"),
        ({"feature_selection": "greedy"}, "'feature_selection' parameter of LimeExplainer must be one of"),
        ({"sampling": "normal"}, "'sampling' parameter of LimeExplainer must be one of"),
        ({"kernel_width": 0.0}, "'kernel_width' parameter of LimeExplainer must be a float in the range"),
        ({"num_samples": 1}, "'num_samples' parameter of LimeExplainer must be an int in the range"),
    ],
)
def test_invalid_parameters_name_what_was_expected(wine_model, params, message):
    X, model = wine_model
    with pytest.raises(InvalidParameterError, match=message):
        LimeExplainer(model, **params).fit(X)


def test_labels_of_a_classifier_cannot_be_explained(wine_model):
    X, model = wine_model
    with pytest.raises(ValueError, match="is a classifier: its predict returns labels"):
        LimeExplainer(model, output="predict").fit(X)


@pytest.mark.parametrize("sampling", ["continuous", "quartile"])
def test_finite_inputs_give_finite_local_models(sampling):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    X[5, 1] = 1e300  # finite, but its square is not
    exp = LimeExplainer(model, sampling=sampling, num_samples=500, random_state=0).fit(X).explain(X[3:7])
    assert np.isfinite(exp.values).all() and np.isfinite(exp.base_values).all()
