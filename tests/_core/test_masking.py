"""Masked batch evaluation, background summaries, the prediction adapter and seeding."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression

from glassbox._core import (
    Background,
    ModelOutput,
    chunk_rngs,
    draw_seed,
    kmeans_background,
    masked_predict,
    predict_built,
    predict_rows,
    run_chunks,
    sample_background,
    validate_X,
)


class Model(BaseEstimator):
    pass


def _linear_output(n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, n_features))
    y = X @ rng.normal(size=n_features)
    holder = Model()
    validate_X(holder, X, reset=True)
    return X, ModelOutput(LinearRegression().fit(X, y), holder._feature_schema)


def _brute_force(f, X, masks, background):
    """v[i, k] = sum_b w_b f(where(mask_k, x_i, z_b)) with one model call per hybrid row."""
    out = np.zeros((len(X), len(masks), f(X[:1]).shape[1]))
    for i, x in enumerate(X):
        for k, mask in enumerate(masks):
            for z, w in zip(background.data, background.weights):
                out[i, k] += w * f(np.where(mask, x, z)[None, :])[0]
    return out


def test_masked_predict_equals_brute_force():
    X, f = _linear_output()
    rng = np.random.default_rng(1)
    masks = rng.random((6, 4)) < 0.5
    background = Background(X[:7], rng.dirichlet(np.ones(7)))
    np.testing.assert_allclose(masked_predict(f, X[:5], masks, background), _brute_force(f, X[:5], masks, background))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.sampled_from([1, 2]))  # one pool of workers, started once
def test_chunked_equals_unchunked_for_any_batch_size_and_jobs(batch_size, n_jobs):
    X, f = _linear_output(3)
    masks = np.array([[True, False, True], [False, False, False], [True, True, True]])
    background = sample_background(X, max_samples=5, random_state=0)
    whole = masked_predict(f, X[:4], masks, background, batch_size=10_000)
    chunked = masked_predict(f, X[:4], masks, background, batch_size=batch_size, n_jobs=n_jobs if n_jobs > 1 else None)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)


def test_per_row_masks_and_no_averaging():
    X, f = _linear_output(3)
    masks = np.random.default_rng(2).random((4, 5, 3)) < 0.5
    background = sample_background(X, max_samples=3, random_state=0)
    every = masked_predict(f, X[:4], masks, background, average=False, batch_size=7)
    assert every.shape == (4, 5, 3, 1)
    for i in range(4):
        np.testing.assert_allclose(every[i, :, 2, :], f(np.where(masks[i], X[i], background.data[2])))
    averaged = masked_predict(f, X[:4], masks, background)
    np.testing.assert_allclose(averaged, np.einsum("nkbo,b->nko", every, background.weights))


def test_full_and_empty_masks_give_prediction_and_background_mean():
    X, f = _linear_output()
    background = sample_background(X, max_samples=10, random_state=0)
    v = masked_predict(f, X[:3], np.array([[True] * 4, [False] * 4]), background)
    np.testing.assert_allclose(v[:, 0], f(X[:3]))
    np.testing.assert_allclose(v[:, 1], np.broadcast_to(f(background.data).mean(axis=0), (3, 1)))


def test_masks_of_wrong_shape_are_rejected():
    X, f = _linear_output()
    with pytest.raises(ValueError, match=r"masks must have shape \(n_masks, 4\)"):
        masked_predict(f, X[:2], np.ones((3, 5), dtype=bool), sample_background(X))


def test_predict_rows_is_chunk_invariant():
    X, f = _linear_output()
    np.testing.assert_allclose(predict_rows(f, X, batch_size=7, n_jobs=2), f(X))


class _Tiled:
    """Rows start:stop of X stacked three times, each copy shifted by its index."""

    def __init__(self, X):
        self.X = X

    def __call__(self, start, stop):
        flat = np.arange(start, stop)
        return self.X[flat % len(self.X)] + (flat // len(self.X))[:, None]


def test_predict_built_equals_predicting_the_materialised_stack():
    X, f = _linear_output()
    stack = _Tiled(X)(0, 3 * len(X))
    import joblib

    for batch_size, n_jobs in [("auto", None), (7, 1), (7, 2)]:
        # Threads: the builder is defined in this test module, which worker processes cannot import.
        with joblib.parallel_config(backend="threading"):
            out = predict_built(f, _Tiled(X), 3 * len(X), n_features=X.shape[1], batch_size=batch_size, n_jobs=n_jobs)
        np.testing.assert_allclose(out, f(stack))


def test_same_seed_same_draws_for_any_n_jobs():
    def draw(rng, size):
        return rng.normal(size=size)

    seed = draw_seed(0)
    serial = run_chunks(draw, [(rng, 5) for rng in chunk_rngs(seed, 6)], n_jobs=1)
    parallel = run_chunks(draw, [(rng, 5) for rng in chunk_rngs(seed, 6)], n_jobs=2)
    np.testing.assert_array_equal(np.concatenate(serial), np.concatenate(parallel))
    assert draw_seed(0) == draw_seed(np.random.RandomState(0))
    assert not np.array_equal(serial[0], serial[1])  # chunks are independent streams


def test_dask_backend_gives_the_same_result():
    distributed = pytest.importorskip("distributed")
    import joblib

    X, f = _linear_output()
    masks = np.random.default_rng(3).random((5, 4)) < 0.5
    background = sample_background(X, max_samples=8, random_state=0)
    local = masked_predict(f, X[:6], masks, background, batch_size=16)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None):
        with joblib.parallel_config(backend="dask"):
            on_cluster = masked_predict(f, X[:6], masks, background, batch_size=16, n_jobs=2)
    np.testing.assert_array_equal(on_cluster, local)


def test_sample_background_keeps_small_data_and_draws_without_replacement():
    X = np.arange(20.0).reshape(10, 2)
    assert sample_background(X, max_samples=50).n_samples == 10
    drawn = sample_background(X, max_samples=4, random_state=0)
    assert drawn.n_samples == 4 and len(np.unique(drawn.data[:, 0])) == 4
    np.testing.assert_allclose(drawn.weights.sum(), 1.0)
    np.testing.assert_array_equal(drawn.data, sample_background(X, max_samples=4, random_state=0).data)


def test_kmeans_background_never_averages_categories():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins()
    holder = Model()
    X = validate_X(holder, frame, reset=True)
    is_categorical = holder._feature_schema.is_categorical
    summary = kmeans_background(X, is_categorical, n_clusters=6, random_state=0)
    assert summary.n_samples == 6
    np.testing.assert_allclose(summary.weights.sum(), 1.0)
    codes = summary.data[:, is_categorical]
    assert np.all(np.isnan(codes) | (codes == np.round(codes)))
    # Numeric centres are means of their members: weighted they give the column mean.
    body_mass = list(holder._feature_schema.feature_names).index("body_mass_g")
    np.testing.assert_allclose(summary.data[:, body_mass] @ summary.weights, np.nanmean(X[:, body_mass]), rtol=0.01)


def test_model_output_resolution_and_names():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "pos", "neg")
    holder = Model()
    validate_X(holder, X, reset=True)
    schema = holder._feature_schema
    clf = LogisticRegression().fit(X, y)
    proba = ModelOutput(clf, schema)
    assert proba.method == "predict_proba" and proba.output_names.tolist() == ["neg", "pos"]
    decision = ModelOutput(clf, schema, output="decision_function")
    assert decision.output_names.tolist() == ["pos"]
    np.testing.assert_allclose(decision(X)[:, 0], clf.decision_function(X))
    with pytest.raises(ValueError, match="is a classifier: its predict returns labels"):
        ModelOutput(clf, schema, output="predict")
    with pytest.raises(ValueError, match="LinearRegression has no predict_proba"):
        ModelOutput(LinearRegression().fit(X, X[:, 0]), schema, output="predict_proba")


def test_model_output_refuses_nan():
    class NaNModel(LinearRegression):
        def predict(self, X):
            return np.full(len(X), np.nan)

    X = np.ones((3, 1))
    holder = Model()
    validate_X(holder, X, reset=True)
    f = ModelOutput(NaNModel().fit(X, [1.0, 2.0, 3.0]), holder._feature_schema)
    with pytest.raises(ValueError, match="returned NaN or infinity for 3 of 3 rows"):
        f(X)


def test_model_output_decodes_frames_for_the_model():
    frame = pd.DataFrame({"c": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]})

    class NeedsFrame(BaseEstimator):
        def fit(self, X, y):
            self.n_features_in_ = 2
            return self

        def predict(self, X):
            assert isinstance(X, pd.DataFrame) and set(X["c"]) <= {"a", "b"}
            return (X["c"] == "b") * 10.0 + X["x"]

    holder = Model()
    encoded = validate_X(holder, frame, reset=True)
    f = ModelOutput(NeedsFrame().fit(frame, None), holder._feature_schema)
    np.testing.assert_allclose(f(encoded)[:, 0], [1.0, 12.0, 3.0, 14.0])
