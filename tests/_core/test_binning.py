"""Quantile, categorical and missing bins."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox._core import QuantileBinner, apply_bins, fit_bins


def test_few_distinct_values_get_one_bin_each():
    X = np.array([[3.0], [1.0], [2.0], [2.0], [np.nan]])
    binner = QuantileBinner(max_bins=8).fit(X)
    assert binner.transform(X).ravel().tolist() == [2, 0, 1, 1, 3]
    assert binner.n_bins_.tolist() == [4]
    assert binner.bin_labels(0) == ["(-inf, 1.5]", "(1.5, 2.5]", "(2.5, inf]", "missing"]


def test_quantile_bins_are_balanced():
    X = np.random.default_rng(0).normal(size=(10_000, 1))
    counts = np.bincount(QuantileBinner(max_bins=10).fit(X).transform(X).ravel())
    assert len(counts) == 10 and counts.min() > 900 and counts.max() < 1100


def test_categories_get_one_bin_per_level_and_unseen_go_to_missing():
    frame = pd.DataFrame({"c": ["b", "a", None, "c"], "x": [1.0, 2.0, 3.0, 4.0]})
    binner = QuantileBinner().fit(frame)
    assert binner.transform(frame)[:, 0].tolist() == [1, 0, 3, 2]
    assert binner.bin_labels("c") == ["a", "b", "c", "missing"]
    assert binner.transform(pd.DataFrame({"c": ["zzz"], "x": [1.0]}))[0, 0] == 3


def test_out_of_range_values_fall_in_edge_bins():
    X = np.arange(10.0)[:, None]
    binner = QuantileBinner(max_bins=4).fit(X)
    assert binner.transform(np.array([[-1e9], [1e9]])).ravel().tolist() == [0, 3]


def test_constant_and_all_missing_columns():
    X = np.column_stack([np.ones(5), np.full(5, np.nan)])
    bins = fit_bins(X, np.array([False, False]))
    assert bins.n_bins.tolist() == [2, 2]
    assert apply_bins(bins, X).tolist() == [[0, 1]] * 5


def test_subsample_is_seeded():
    X = np.random.default_rng(1).normal(size=(5_000, 1))
    a = fit_bins(X, np.array([False]), max_bins=16, subsample=500, random_state=3)
    b = fit_bins(X, np.array([False]), max_bins=16, subsample=500, random_state=3)
    np.testing.assert_array_equal(a.thresholds[0], b.thresholds[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=200), st.integers(2, 16))
def test_bins_are_ordered_and_within_budget(values, max_bins):
    X = np.asarray(values)[:, None]
    bins = fit_bins(X, np.array([False]), max_bins=max_bins)
    index = apply_bins(bins, X).ravel()
    assert bins.n_bins[0] - 1 <= max_bins
    order = np.argsort(X.ravel(), kind="stable")
    assert np.all(np.diff(index[order]) >= 0)  # monotone in the value
    assert index.max() < bins.n_bins[0] - 1  # no value lands in the missing bin


def _check_information_kept(column, bins, max_bins):
    cuts = bins.thresholds[0]
    present = column[~np.isnan(column)]
    index = apply_bins(bins, column[:, None]).ravel()[~np.isnan(column)]
    assert len(cuts) <= max_bins - 1
    assert np.all(np.diff(cuts) > 0)  # sorted, never a repeated edge
    assert np.bincount(index, minlength=len(cuts) + 1).min() > 0  # no empty bin on the training values
    distinct = np.unique(present)
    if len(distinct) <= max_bins:  # every distinct value separable
        assert len(np.unique(index)) == len(distinct)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.0, 2.5, -3.0, 1e6, 7.0, 7.0]) | st.floats(-1e6, 1e6), min_size=2,
             max_size=300),
    st.integers(2, 40),
)
def test_bins_keep_information(values, max_bins):
    column = np.asarray(values)
    _check_information_kept(column, fit_bins(column[:, None], np.array([False]), max_bins=max_bins), max_bins)


def test_a_point_mass_is_a_bin_of_its_own_and_rare_values_keep_theirs():
    # 92% zeros and about a hundred distinct rare values, like capital gains.
    rng = np.random.default_rng(0)
    column = np.where(rng.random(20_000) < 0.92, 0.0, rng.integers(1, 100, 20_000) * 100.0)
    bins = fit_bins(column[:, None], np.array([False]), max_bins=32)
    _check_information_kept(column, bins, 32)
    index = apply_bins(bins, column[:, None]).ravel()
    zero_bins = np.unique(index[column == 0])
    assert len(zero_bins) == 1 and not np.isin(zero_bins, index[column != 0]).any()  # zeros alone
    assert len(bins.thresholds[0]) == 31  # the whole budget is used among the rare values
    counts = np.bincount(index)
    others = np.delete(counts, zero_bins)
    assert others.max() <= 2.5 * others.mean()  # and shared out evenly


def test_extreme_values_give_finite_thresholds_between_them():
    column = np.array([-1e308, -1.0, 0.0, 1.0, 1e308, 1e308])
    bins = fit_bins(column[:, None], np.array([False]), max_bins=8)
    cuts = bins.thresholds[0]
    assert np.isfinite(cuts).all()
    assert apply_bins(bins, column[:, None]).ravel().tolist() == [0, 1, 2, 3, 4, 4]


def _cuts_one_at_a_time(counts, max_bins):
    """The cuts of ``_cuts_by_count`` as its definition places them, one at a time: point
    masses (largest first) get their own bin; then each bin goes to the run with the most
    rows per bin (the first on ties), and a run's cuts are its lower quantiles, each
    strictly after the last and leaving room for those still to place."""
    import heapq

    n, total = len(counts), counts.sum()
    masses = np.flatnonzero(counts * max_bins >= total)
    cuts = set()
    for i in masses[np.argsort(-counts[masses], kind="stable")]:
        around = {c for c in (i - 1, i) if 0 <= c < n - 1} - cuts
        if len(cuts) + len(around) > max_bins - 1:
            break
        cuts |= around
    bounds = [0, *sorted(c + 1 for c in cuts), n]
    runs = list(zip(bounds[:-1], bounds[1:]))
    run_counts = [float(counts[a:b].sum()) for a, b in runs]
    n_bins = [1] * len(runs)
    spare = [(-run_counts[r], r) for r, (a, b) in enumerate(runs) if b - a > 1]
    heapq.heapify(spare)
    for _ in range(max_bins - len(runs)):
        if not spare:
            break
        _, best = heapq.heappop(spare)
        n_bins[best] += 1
        if n_bins[best] < runs[best][1] - runs[best][0]:
            heapq.heappush(spare, (-run_counts[best] / n_bins[best], best))
    for (a, b), k in zip(runs, n_bins):
        cumulative = np.cumsum(counts[a:b])[:-1]
        previous = -1
        for j in range(1, k):
            position = int(np.searchsorted(cumulative, j * (cumulative[-1] + counts[b - 1]) / k, side="left"))
            position = min(max(position, previous + 1), len(cumulative) - (k - j))
            cuts.add(a + position)
            previous = position
    return np.asarray(sorted(cuts), dtype=np.intp)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=3, max_size=120), st.integers(2, 40),
       st.lists(st.integers(0, 119), max_size=3))
def test_cuts_are_those_placed_one_at_a_time(counts, max_bins, heavy):
    from glassbox._core._binning import _cuts_by_count

    counts = np.asarray(counts)
    for i in heavy:  # point masses
        counts[i % len(counts)] *= 50
    np.testing.assert_array_equal(_cuts_by_count(counts, max_bins), _cuts_one_at_a_time(counts, max_bins))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 150), n_features=st.integers(1, 6), max_bins=st.integers(2, 40))
def test_columns_cut_together_as_each_alone(seed, n, n_features, max_bins):
    """fit_bins cuts the numeric columns without point masses in one pass over all of them:
    the thresholds and edges of each column are those of _quantile_thresholds on its present
    values alone, for columns of every shape (few or many distinct values, point masses, all
    missing)."""
    from glassbox._core._binning import _quantile_thresholds

    rng = np.random.default_rng(seed)
    makers = [
        lambda: rng.normal(size=n),
        lambda: rng.integers(0, rng.integers(1, 30), n).astype(float),
        lambda: np.where(rng.random(n) < 0.4, 0.0, rng.exponential(size=n)),
        lambda: np.full(n, np.nan),
        lambda: np.round(rng.normal(size=n), 1),
    ]
    X = np.column_stack([makers[rng.integers(len(makers))]() for _ in range(n_features)])
    X[rng.random(X.shape) < 0.1] = np.nan
    bins = fit_bins(X, np.zeros(n_features, dtype=bool), max_bins=max_bins)
    for j in range(n_features):
        values = X[~np.isnan(X[:, j]), j]
        cuts, upper = _quantile_thresholds(values, max_bins)
        np.testing.assert_array_equal(bins.thresholds[j], cuts)
        low, high = (values.min(), values.max()) if len(values) else (np.nan, np.nan)
        np.testing.assert_array_equal(bins.edges[j], np.concatenate([[low], upper, [high]]))


def test_columns_cut_in_passes_as_in_one(monkeypatch):
    """Numeric columns are cut a few at a time (the pass's memory grows with its values):
    the bins are those of one pass over every column, to the bit."""
    import glassbox._core._binning as binning

    rng = np.random.default_rng(11)
    X = np.column_stack([rng.normal(size=300), rng.integers(0, 5, 300).astype(float),
                         np.where(rng.random(300) < 0.4, 0.0, rng.exponential(size=300)),
                         rng.integers(0, 3, 300).astype(float), np.round(rng.normal(size=300), 1),
                         rng.uniform(size=300)])
    X[rng.random(X.shape) < 0.1] = np.nan
    is_categorical = np.array([False, False, False, True, False, False])
    whole = fit_bins(X, is_categorical, max_bins=16)
    monkeypatch.setattr(binning, "_VALUES_PER_PASS", 2 * 300)  # two columns a pass, the last alone
    passes = []
    cut = binning._numeric_thresholds
    monkeypatch.setattr(binning, "_numeric_thresholds", lambda X, c, m: passes.append(list(c)) or cut(X, c, m))
    parts = fit_bins(X, is_categorical, max_bins=16)
    assert passes == [[0, 1], [2, 4], [5]]
    for j in range(X.shape[1]):
        for name in ("thresholds", "edges"):
            a, b = getattr(whole, name)[j], getattr(parts, name)[j]
            assert (a is None and b is None) or np.array_equal(a, b)
    np.testing.assert_array_equal(whole.n_bins, parts.n_bins)
