"""LIME's neighbourhoods: the batched sampler against a plain per-row, per-feature
reference that draws the same random numbers and bins every sampled value; and the
chunks' memory, which must stay bounded by ``batch_size`` whatever ``num_samples``."""

import tracemalloc

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression

from glassbox._core import apply_bins, row_rngs
from glassbox.explainers import LimeExplainer


def reference_sample(neighbourhood, rows, rngs):
    """The neighbourhood of every row, one feature and one sample at a time.

    Each row draws, from its generator, the positions of the features it does not move
    (``integers(0, n_pool, uint16)`` over samples x those features), then the Gaussian
    noise of those it moves; a drawn value is the training value at its position, and it
    is in the row's bin when ``apply_bins`` puts both in the same bin (a category never
    seen at fit shares its bin with no value).
    """
    pool, bins = neighbourhood.pool, neighbourhood.bins
    n_features, n_pool = pool.shape
    n_samples = neighbourhood.num_samples
    numeric = (neighbourhood.n_levels == 0) & (neighbourhood.scale > 0)
    samples = np.empty((len(rows), n_samples, n_features))
    design = np.empty(samples.shape)
    row_design = np.ones(rows.shape)
    for i, (row, rng) in enumerate(zip(rows, rngs)):
        moving = [j for j in range(n_features) if neighbourhood.continuous and numeric[j] and not np.isnan(row[j])]
        drawn = [j for j in range(n_features) if j not in moving]
        picks = rng.integers(0, n_pool, size=(n_samples, len(drawn)), dtype=np.uint16)
        noise = rng.standard_normal((n_samples, len(moving))) if moving else None
        row_bins = apply_bins(bins, row[None, :])[0]
        for k, j in enumerate(drawn):
            unseen = neighbourhood.n_levels[j] > 0 and not np.isnan(row[j]) and row[j] >= neighbourhood.n_levels[j]
            for s in range(n_samples):
                value = pool[j, picks[s, k]]
                samples[i, s, j] = value
                value_bin = apply_bins(bins, np.where(np.arange(n_features) == j, value, 0.0)[None, :])[0, j]
                design[i, s, j] = float(value_bin == row_bins[j] and not unseen)
        for k, j in enumerate(moving):
            row_design[i, j] = (row[j] - neighbourhood.mean[j]) / neighbourhood.scale[j]
            samples[i, :, j] = row[j] + noise[:, k] * neighbourhood.scale[j]
            design[i, :, j] = row_design[i, j] + noise[:, k]
    samples[:, 0], design[:, 0] = rows, row_design
    distance2 = ((design - row_design[:, None, :]) ** 2).sum(axis=2)
    return samples, design, row_design, distance2


@st.composite
def tables(draw):
    """A training frame of numeric (some constant, some with missing values) and
    categorical columns, and encoded rows to explain: training rows, rows missing
    values, and rows with a category never seen at fit."""
    n_rows = draw(st.integers(4, 40))
    kinds = draw(st.lists(st.sampled_from(["numeric", "missing", "constant", "categorical"]), min_size=1, max_size=4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    columns = {}
    for j, kind in enumerate(kinds):
        if kind == "categorical":
            levels = ["a", "b", "c"][: draw(st.integers(1, 3))]
            values = rng.choice([*levels, None], size=n_rows, p=[0.8 / len(levels)] * len(levels) + [0.2])
            columns[f"x{j}"] = pd.Categorical(values, categories=levels)
        elif kind == "constant":
            columns[f"x{j}"] = np.full(n_rows, 2.5)
        else:
            values = rng.integers(0, draw(st.integers(1, 30)), n_rows) * rng.normal()
            if kind == "missing":
                values = np.where(rng.random(n_rows) < 0.3, np.nan, values)
            columns[f"x{j}"] = values
    return pd.DataFrame(columns), kinds, seed


@settings(max_examples=15, deadline=None)
@given(table=tables(), sampling=st.sampled_from(["quartile", "continuous"]), num_samples=st.integers(2, 30))
def test_sampler_equals_the_reference_on_random_tables(table, sampling, num_samples):
    frame, kinds, seed = table
    model = _AnyTable().fit(frame)  # the sampler is tested alone: the model is never called
    lime = LimeExplainer(model, sampling=sampling, num_samples=num_samples, prefit=True, random_state=seed).fit(frame)
    encoded = lime._feature_schema.encode(frame)
    rows = [encoded[: min(5, len(encoded))], np.full((1, len(kinds)), np.nan)]
    unseen = encoded[:1].copy()
    for j, kind in enumerate(kinds):
        if kind == "categorical":
            unseen[0, j] = lime._neighbourhood.n_levels[j]  # a level fit never saw
    rows = np.concatenate([*rows, unseen])
    got = lime._neighbourhood.sample(rows, row_rngs(lime._seed, rows))
    expected = reference_sample(lime._neighbourhood, rows, row_rngs(lime._seed, rows))
    np.testing.assert_array_equal(got[0], expected[0])  # the very same values, NaN included
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[2], expected[2])
    np.testing.assert_allclose(got[3], expected[3], rtol=1e-12, atol=1e-12)


class _AnyTable(DummyRegressor):
    """A regressor fitted on any table (categories and missing values included)."""

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        self.constant_ = np.zeros((1, 1))
        self.n_outputs_ = 1
        return self

    def predict(self, X):
        return np.zeros(len(X))


def test_chunk_memory_is_bounded_by_batch_size_with_few_samples():
    # 20 Gram matrices of a row outweigh its samples when they are few: 20 * 32**2
    # floats against 20 * 30. Chunks sized by the samples alone held all 60 rows and
    # their moments (10 MiB) for a batch of 2000 model rows (0.5 MiB).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 30))
    model = LinearRegression().fit(X, X @ rng.normal(size=30))
    lime = LimeExplainer(model, num_samples=20, batch_size=2000, random_state=0).fit(X)
    lime.explain(X[:10])
    tracemalloc.start()
    exp = lime.explain(X[:60])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    result = sum(a.nbytes for a in (exp.values, exp.coef, exp.std, exp.data, exp.base_values, exp.intercept,
                                    exp.fidelity))
    batch_bytes = 2000 * X.shape[1] * 8
    assert peak - result < 6 * batch_bytes, (peak - result) / batch_bytes
