"""Quantile, categorical and missing-value bins.

Rules, additive models, ALE and LIME all discretise features the same way, so the bins
are learnt here once:

- a numeric column gets at most ``max_bins`` value bins (one per distinct value when there
  are few enough of them; otherwise bins of about equal counts, a value that holds a large
  share of the rows a bin of its own), with thresholds at midpoints between distinct
  training values, never repeated; bin ``b`` holds the values
  ``thresholds[b - 1] < x <= thresholds[b]``;
- a categorical column gets one bin per level, the bin index being the level's code;
- every column has one more bin, the last, for missing values (and for categories
  ``fit`` never saw).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._params import Interval, validate_params
from ._validation import validate_X

if TYPE_CHECKING:
    from ._typing import EstimatorT, RandomStateLike
    from ._validation import FeatureSchema

__all__ = ["Bins", "QuantileBinner", "apply_bins", "bin_labels", "fit_bins"]

# Most values (rows x columns) cut in one pass of :func:`_numeric_thresholds`, whose arrays
# of the pass's values take about eight times their size (a few tens of MB here).
_VALUES_PER_PASS = 2**19


@dataclass(frozen=True, eq=False)
class Bins:
    """Learnt bins of every feature of an encoded table.

    Attributes
    ----------
    thresholds : tuple of length n_features
        Sorted upper edges of the value bins of a numeric feature (``None`` for a
        categorical one); ``len(thresholds[j]) + 1`` value bins.
    n_bins : ndarray of shape (n_features,)
        Value bins plus the missing bin, per feature.
    edges : tuple of length n_features
        ``[min, upper..., max]`` of the training values of a numeric feature, where
        ``upper`` is the largest training value of each bin below a threshold (``None``
        for a categorical one): the grid of data values ALE evaluates at, as Apley and
        Zhu define it.
    is_categorical : ndarray of bool of shape (n_features,)
    """

    thresholds: tuple
    n_bins: np.ndarray
    edges: tuple
    is_categorical: np.ndarray

    @property
    def missing_bin(self) -> np.ndarray:
        """Index of the missing bin of each feature, shape (n_features,)."""
        return self.n_bins - 1


def fit_bins(
    X: np.ndarray,
    is_categorical: ArrayLike,
    *,
    max_bins: int = 32,
    categories: Sequence[Any] | None = None,
    subsample: int | None = 200_000,
    random_state: RandomStateLike = None,
) -> Bins:
    """Learn :class:`Bins` from an encoded array.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Encoded as by ``validate_X``: NaN is missing, categorical columns hold codes.
    is_categorical : ndarray of bool of shape (n_features,)
    max_bins : int, default=32
        Most value bins of a numeric feature (the missing bin comes on top).
    categories : sequence of length n_features, default=None
        Levels of each categorical column; by default ``max code + 1`` levels.
    subsample : int or None, default=200_000
        Quantiles are computed on at most this many rows.
    random_state : int, RandomState or None
        Draws the subsample.
    """
    n_samples, n_features = X.shape
    if subsample is not None and n_samples > subsample:
        rows = check_random_state(random_state).choice(n_samples, subsample, replace=False)
        X_fit = X[rows]
    else:
        X_fit = X
    thresholds, edges = [], []
    n_bins = np.empty(n_features, dtype=np.intp)
    numeric_columns = np.flatnonzero(~np.asarray(is_categorical, dtype=bool))
    per_pass = max(1, _VALUES_PER_PASS // max(len(X_fit), 1))  # the pass holds several arrays of its values
    numeric = {}
    for start in range(0, len(numeric_columns), per_pass):
        numeric.update(_numeric_thresholds(X_fit, numeric_columns[start:start + per_pass], max_bins))
    for j in range(n_features):
        column = X_fit[:, j]
        if j in numeric:  # cut with the other columns
            cuts, upper, low, high = numeric[j]
        elif is_categorical[j]:
            if categories is not None:
                n_levels = len(categories[j])
            else:
                n_levels = int(np.nanmax(column, initial=-1)) + 1
            thresholds.append(None)
            edges.append(None)
            n_bins[j] = max(n_levels, 1) + 1
            continue
        else:
            values = column[~np.isnan(column)]
            cuts, upper = _quantile_thresholds(values, max_bins)
            low, high = (values.min(), values.max()) if len(values) else (np.nan, np.nan)
        thresholds.append(cuts)
        edges.append(np.concatenate([[low], upper, [high]]))
        n_bins[j] = len(cuts) + 2
    return Bins(tuple(thresholds), n_bins, tuple(edges), np.asarray(is_categorical, dtype=bool))


def apply_bins(bins: Bins, X: np.ndarray) -> np.ndarray:
    """Bin index of every cell of encoded ``X``, shape (n_samples, n_features), int32.

    Values beyond the training range fall in the outermost value bins; NaN and unknown
    categories (code -1) fall in the missing bin.
    """
    X = np.asarray(X, dtype=np.float64)
    out = np.empty(X.shape, dtype=np.int32)
    for j, cuts in enumerate(bins.thresholds):
        column = X[:, j]
        missing = np.isnan(column)
        if cuts is None:
            codes = np.where(missing | (column < 0), bins.missing_bin[j], column)
            out[:, j] = np.minimum(codes, bins.missing_bin[j]).astype(np.int32)
        else:
            out[:, j] = np.searchsorted(cuts, column, side="left")
            out[missing, j] = bins.missing_bin[j]
    return out


def bin_labels(bins: Bins, schema: FeatureSchema, j: int) -> list[str]:
    """A readable label per bin of feature ``j``: ``(a, b]``, the level, ``missing`` last.

    Parameters
    ----------
    bins : Bins
    schema : FeatureSchema
        The schema the bins were learnt on (it knows the levels).
    j : int

    Returns
    -------
    labels : list of str of length ``bins.n_bins[j]``
    """
    cuts = bins.thresholds[j]
    if cuts is None:
        labels = [str(level) for level in schema.categories[j]]
    else:
        bounds = ["-inf", *(f"{c:.4g}" for c in cuts), "inf"]
        labels = [f"({lo}, {hi}]" for lo, hi in zip(bounds[:-1], bounds[1:])]
    return [*labels, "missing"]


def _quantile_thresholds(values, max_bins):
    """Thresholds that keep information: midpoints between distinct training values.

    With at most ``max_bins`` distinct values, each gets a bin of its own. Otherwise the
    bins hold about equal counts: a value holding at least ``1 / max_bins`` of the rows
    (a point mass, such as the zeros of a zero-inflated column) is a bin of its own, and
    the runs of values between point masses share the other bins in proportion to their
    rows, cut at the count-weighted quantiles of their distinct values. Edges are never
    repeated and no bin is empty on the training values.

    Returns the thresholds and, below each, the largest training value of its bin.
    """
    distinct, counts = np.unique(values, return_counts=True)
    after = np.arange(len(distinct) - 1) if len(distinct) <= max_bins else _cuts_by_count(counts, max_bins)
    return _midpoints(distinct[after], distinct[after + 1]), distinct[after]


def _numeric_thresholds(X, columns, max_bins):
    """:func:`_quantile_thresholds` of the present values of many numeric ``columns`` of ``X``
    at once, and their least and largest values: ``{column: (cuts, upper, low, high)}``.

    Only columns with no point mass are answered (the others take the general path): their
    cuts are those of one run of distinct values, found for every column in one pass over
    the columns' sorted values laid end to end.
    """
    if not len(columns):
        return {}
    ordered = np.sort(X[:, columns], axis=0).T  # (n_columns, n_rows), missing values last
    present = ~np.isnan(ordered)
    new = present.copy()
    new[:, 1:] &= ordered[:, 1:] != ordered[:, :-1]  # the first row of each distinct value
    starts = np.flatnonzero(new)  # on the flat (column, row) axis
    column_of = starts // ordered.shape[1]
    n_present = present.sum(axis=1)
    ends = np.concatenate([starts[1:], [0]])
    last = np.r_[column_of[1:] != column_of[:-1], True] if len(starts) else np.zeros(0, dtype=bool)
    ends[last] = column_of[last] * ordered.shape[1] + n_present[column_of[last]]
    counts = ends - starts  # rows of each distinct value
    distinct = ordered.ravel()[starts]
    n_distinct = np.bincount(column_of, minlength=len(columns))
    first = np.concatenate([[0], np.cumsum(n_distinct)[:-1]])
    largest = np.zeros(len(columns), dtype=np.intp)
    np.maximum.at(largest, column_of, counts)
    few = n_distinct <= max_bins  # a bin per distinct value
    one_run = ~few & (largest * max_bins < n_present)  # no point mass: one run of equal-count bins
    answered = few | one_run
    # Cut positions on the flat distinct axis: after every distinct value but the last of a
    # column with few, at the quantiles of one run otherwise.
    every = np.flatnonzero(few[column_of] & ~last)
    k = np.where(one_run, np.minimum(max_bins, n_distinct), 0)
    after = np.sort(np.concatenate([every, _runs_cuts(counts, first, first + n_distinct, k)]))
    cuts, upper = _midpoints(distinct[after], distinct[after + 1]), distinct[after]
    split = np.searchsorted(column_of[after], np.arange(len(columns) + 1)) if len(after) else np.zeros(len(columns) + 1, dtype=np.intp)
    out = {}
    for c in np.flatnonzero(answered):
        a, b = split[c], split[c + 1]
        low, high = (distinct[first[c]], distinct[first[c] + n_distinct[c] - 1]) if n_distinct[c] else (np.nan, np.nan)
        out[int(columns[c])] = (cuts[a:b], upper[a:b], low, high)
    return out


def _midpoints(low, high):
    """A threshold in ``[low, high)`` for each pair ``low < high``: the midpoint, computed
    without overflow, and ``low`` where rounding would put it on ``high``."""
    middle = low / 2 + high / 2
    return np.where(middle < high, middle, low)


def _cuts_by_count(counts, max_bins):
    """Positions ``i`` (cut after distinct value ``i``) of at most ``max_bins - 1`` cuts."""
    n_distinct, total = len(counts), counts.sum()
    masses = np.flatnonzero(counts * max_bins >= total)
    if not len(masses):  # one run of every distinct value, cut into as many bins as it allows
        return _run_cuts(counts, 0, n_distinct, min(max_bins, n_distinct))
    masses = masses[np.argsort(-counts[masses], kind="stable")]  # largest first, if the budget runs out
    cuts = set()
    for i in masses:
        around = {c for c in (i - 1, i) if 0 <= c < n_distinct - 1} - cuts
        if len(cuts) + len(around) > max_bins - 1:
            break
        cuts |= around
    # Runs of distinct values between cuts; each gets one bin and may take more.
    bounds = [0, *sorted(c + 1 for c in cuts), n_distinct]  # run r: distinct values bounds[r]..bounds[r + 1] - 1
    # The largest count per bin gets the next bin (the first run on ties), while runs have
    # distinct values to spare: the d-th bin of a run (d >= 2) comes at its count / (d - 1),
    # and these quotients fall with d, so the bins go to the largest quotients overall.
    starts, ends = np.asarray(bounds[:-1], dtype=np.intp), np.asarray(bounds[1:], dtype=np.intp)
    lengths = ends - starts
    prefix = np.concatenate([[0], np.cumsum(counts)])  # rows before each distinct value
    run_counts = (prefix[ends] - prefix[starts]).astype(np.float64)
    run = np.repeat(np.arange(len(lengths)), lengths - 1)
    d = np.arange(len(run)) - np.repeat(np.cumsum(lengths - 1) - (lengths - 1), lengths - 1) + 2
    order = np.lexsort((run, -(run_counts[run] / (d - 1))))[: max(max_bins - len(lengths), 0)]
    n_bins = 1 + np.bincount(run[order], minlength=len(lengths))
    placed = [np.fromiter(cuts, dtype=np.intp, count=len(cuts)), _runs_cuts(counts, starts, ends, n_bins, prefix)]
    return np.unique(np.concatenate(placed))


def _run_cuts(counts, a, b, k):
    """Sorted cut positions that split the run of distinct values ``a..b-1`` into ``k`` bins
    (as :func:`_runs_cuts` for one run, in fewer steps)."""
    if k < 2:
        return np.empty(0, dtype=np.intp)
    cumulative = np.cumsum(counts[a:b])[:-1]  # rows up to each cut position of the run
    j = np.arange(1, k)
    position = np.searchsorted(cumulative, j * (cumulative[-1] + counts[b - 1]) / k, side="left")
    shifted = np.maximum.accumulate(np.maximum(position - j, -1))
    return a + np.minimum(shifted, len(cumulative) - k) + j


def _runs_cuts(counts, starts, ends, ks, prefix=None):
    """Sorted cut positions that split each run of distinct values ``starts[r]..ends[r] - 1``
    into ``ks[r]`` bins, all runs at once."""
    if prefix is None:
        prefix = np.concatenate([[0], np.cumsum(counts)])
    cut = ks >= 2
    starts, ends, ks = starts[cut], ends[cut], ks[cut]
    if not len(ks):
        return np.empty(0, dtype=np.intp)
    run = np.repeat(np.arange(len(ks)), ks - 1)
    a, b, k = starts[run], ends[run], ks[run]
    j = np.arange(len(run)) - np.repeat(np.cumsum(ks - 1) - (ks - 1), ks - 1) + 1  # 1 .. k - 1 in each run
    before = prefix[a]  # rows before the run
    # the first value at which the run's rows reach the share j / k (a lower quantile): the
    # run's rows up to a cut position are prefix[position + 1] - before, whole numbers
    share = j * (prefix[b] - before) / k
    position = np.minimum(np.searchsorted(prefix[1:], share + before, side="left"), b - 1) - a
    # strictly after the previous cut, leaving room for the cuts still to place: with
    # ``position - j`` made non-decreasing (within each run) and capped, consecutive cuts
    # differ by >= 1
    offset = run * (len(counts) + 2)
    shifted = np.maximum.accumulate(np.maximum(position - j, -1) + offset) - offset
    return a + np.minimum(shifted, b - a - 1 - k) + j


class QuantileBinner(TransformerMixin, BaseEstimator):
    """Discretise features: quantile bins, one bin per category, a bin for missing values.

    Numeric columns get at most ``max_bins`` value bins cut at quantiles (one per
    distinct value when there are at most ``max_bins`` of them); categorical columns
    (pandas category, object and string columns) get one bin per category, in the order
    of their sorted levels. The last bin of every column holds missing values and
    categories that ``fit`` never saw. Values outside the training range go to the
    outermost value bins.

    Parameters
    ----------
    max_bins : int, default=32
        Most value bins per numeric feature, not counting the missing bin.
    subsample : int or None, default=200_000
        Quantiles are computed on at most this many rows; ``None`` uses all rows.
    random_state : int, RandomState instance or None, default=None
        Draws the subsample.

    Attributes
    ----------
    bins_ : Bins
        Thresholds, edges and bin counts of every feature.
    n_bins_ : ndarray of shape (n_features_in_,)
        Bins per feature, the missing bin included.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox._core import QuantileBinner
    >>> X = np.array([[1.0], [2.0], [3.0], [np.nan]])
    >>> QuantileBinner(max_bins=2).fit(X).transform(X).ravel().tolist()
    [0, 0, 1, 2]
    """

    _parameter_constraints = {
        "max_bins": [Interval(Integral, 2, None, closed="left")],
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self, max_bins: int = 32, *, subsample: int | None = 200_000, random_state: RandomStateLike = None
    ) -> None:
        self.max_bins = max_bins
        self.subsample = subsample
        self.random_state = random_state

    def fit(self: EstimatorT, X: ArrayLike, y: Any = None) -> EstimatorT:
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        schema = self._feature_schema
        self.bins_ = fit_bins(
            X_encoded,
            schema.is_categorical,
            max_bins=self.max_bins,
            categories=schema.categories,
            subsample=self.subsample,
            random_state=self.random_state,
        )
        self.n_bins_ = self.bins_.n_bins
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self)
        X_encoded = validate_X(self, X, reset=False, handle_unknown="use_encoded_value")
        return apply_bins(self.bins_, X_encoded)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self._feature_schema.feature_names, dtype=object)

    def bin_labels(self, feature: int | str) -> list[str]:
        """Readable label of every bin of ``feature`` (name or index).

        Numeric bins read ``(a, b]``, categorical bins as their level, the last bin
        ``missing``.
        """
        check_is_fitted(self)
        schema = self._feature_schema
        return bin_labels(self.bins_, schema, schema.index_of(feature))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = []  # bin indices are integers
        return tags
