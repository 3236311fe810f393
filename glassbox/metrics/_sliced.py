"""Scores per cohort: where a model is worse, and for whom.

:func:`sliced_scores` cuts the rows by the levels of a categorical column, the bins of a
numeric one, or the cells of a pair of columns, and scores the model in each slice with a
bootstrap confidence interval, beside the slice's base rate and its gap to the overall
score. The model is asked for its outputs once; a bootstrap resample is a vector of
multinomial counts of the rows, and the usual metrics are weighted sums of stored
per-row quantities, so a thousand resamples of a slice cost a few matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.utils.validation import check_is_fitted

from .._core import AUTO_CELLS, apply_bins, chunk_rngs, draw_seed, feature_index, fit_bins, format_number, plain

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike

__all__ = ["sliced_scores"]

_MISSING = "missing"


def sliced_scores(
    estimator: Any,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    by: Hashable | pd.Series | tuple | Sequence[Hashable | pd.Series | tuple],
    scoring: str | Callable[..., float] | None = None,
    n_bins: int = 4,
    min_size: int = 30,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state: RandomStateLike = None,
) -> pd.DataFrame:
    """Score a fitted model on each slice of the rows, with a bootstrap interval.

    A slice is a level of a categorical column (missing values are the level
    ``"missing"``), a bin of a numeric column (quantile bins from the core's
    ``fit_bins``: a value holding many rows, such as the zeros of a zero-inflated
    column, is a bin of its own), or a cell of two such columns crossed. The model
    predicts every row once; the interval is the percentile interval of the score
    over ``n_bootstrap`` resamples of the slice's rows.

    Parameters
    ----------
    estimator : fitted estimator
    X : array-like or DataFrame of shape (n_samples, n_features)
        The rows the model scores (held-out rows, to judge a model).
    y : array-like of shape (n_samples,)
    by : column, Series, pair, or list of them
        What to slice by: a column of ``X`` (its name, or its position for an
        array), a Series of ``n_samples`` values the model does not see (a protected
        attribute left out of the features, say; its name labels it), a tuple of two
        of these crossed, or a list of such, each sliced on its own:
        ``by=["sex", ("sex", "race")]``.
    scoring : str or callable, default=None
        A scikit-learn scoring name or a scorer ``scorer(estimator, X, y)``; ``None``
        is the estimator's ``score`` (accuracy for a classifier, R² for a regressor).
        ``"accuracy"``, ``"balanced_accuracy"``, ``"roc_auc"``, ``"roc_auc_ovr"``,
        ``"r2"``, ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"`` and
        ``"neg_mean_absolute_error"`` reweight the stored outputs; any other scorer is
        called on every resample, which predicts again.
    n_bins : int, default=4
        Most bins of a numeric column (quartiles by default).
    min_size : int, default=30
        Slices with fewer rows are marked ``too_small``.
    n_bootstrap : int, default=1000
        Resamples of each slice; 0 gives no interval.
    confidence : float, default=0.95
        Coverage of the interval.
    random_state : int, RandomState instance or None, default=None
        Seeds the resamples.

    Returns
    -------
    scores : DataFrame
        One row per non-empty slice, the entries of ``by`` in order and each one's
        slices in the order of its levels or bins (missing last), with columns
        ``feature`` (the column, or ``"a × b"``), ``slice`` (the level; the range of
        the bin's values, ``"3 to 7.5"``; ``"level, level"`` for a pair), ``n``,
        ``score``, ``lower`` and ``upper`` (the interval), ``base_rate`` (the share of
        the positive class ``classes_[1]`` for a binary classifier, of the slice's
        most frequent class for more classes) or ``target_mean`` (a regressor),
        ``gap`` (``score`` minus the overall score) and ``too_small`` (fewer than
        ``min_size`` rows, or a score the slice does not define, such as ROC AUC
        with a single class). ``scores.attrs`` holds ``overall``, ``overall_lower``,
        ``overall_upper`` and ``scoring``.

    Notes
    -----
    A resample of a slice's ``n`` rows gives each row a multinomial count, and the
    resampled score is the score weighted by these counts. For accuracy the number
    of correct rows in a resample is then a binomial draw, so the interval is the
    binomial interval of the slice's accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from glassbox.metrics import sliced_scores
    >>> rng = np.random.default_rng(0)
    >>> group = pd.Series(rng.choice(["a", "b"], 600), name="group")
    >>> X = pd.DataFrame({"x": rng.normal(size=600)})
    >>> y = (X["x"] + np.where(group == "a", 0.2, 2.0) * rng.normal(size=600) > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> scores = sliced_scores(model, X, y, by=group, random_state=0)
    >>> scores[["slice", "n"]].values.tolist()
    [['a', 278], ['b', 322]]
    >>> bool(scores["score"].iloc[0] > scores["score"].iloc[1])  # worse where the noise is
    True
    """
    check_is_fitted(estimator)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    y = np.asarray(y)
    if len(y) != len(frame):
        raise ValueError(f"sliced_scores needs one target per row: X has {len(frame)} rows, y has {len(y)}.")
    if not isinstance(n_bins, Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}.")
    if not isinstance(min_size, Integral) or min_size < 0:
        raise ValueError(f"min_size must be a non-negative integer; got {min_size!r}.")
    if not isinstance(n_bootstrap, Integral) or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be a non-negative integer; got {n_bootstrap!r}.")
    if not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    specs = _slicings(by, frame)
    metric = _Metric(estimator, frame, y, scoring)
    classifier = is_classifier(estimator)
    seed = draw_seed(random_state)

    groups = []  # (feature label, slice label, rows)
    for names, columns in specs:
        codes, labels = _cross([_slice_codes(column, n_bins) for column in columns])
        for code in np.unique(codes):
            groups.append((" × ".join(names), labels[code], np.flatnonzero(codes == code)))
    rngs = chunk_rngs(seed, len(groups) + 1)
    overall, overall_band = metric.score(np.arange(len(y)), n_bootstrap, confidence, rngs[0])
    rows = []
    for (feature, label, index), rng in zip(groups, rngs[1:]):
        score, (lower, upper) = metric.score(index, n_bootstrap, confidence, rng)
        rows.append({
            "feature": feature, "slice": label, "n": len(index), "score": score, "lower": lower, "upper": upper,
            **_base_rate(estimator, y[index], classifier), "gap": score - overall,
            "too_small": bool(len(index) < min_size or not np.isfinite(score)),
        })
    columns = ["feature", "slice", "n", "score", "lower", "upper", "base_rate" if classifier else "target_mean",
               "gap", "too_small"]
    scores = pd.DataFrame(rows, columns=columns)
    scores.attrs.update(overall=overall, overall_lower=overall_band[0], overall_upper=overall_band[1],
                        scoring=metric.name)
    return scores


# -- what to slice by --------------------------------------------------------------------
def _slicings(by, frame):
    """``[(names, columns), ...]``: one entry per slicing, one or two (name, Series) each."""
    entries = list(by) if isinstance(by, list) else [by]
    if not entries:
        raise ValueError("by names no column to slice by; give a column, a Series, a pair, or a list of them.")
    specs = []
    for entry in entries:
        atoms = entry if isinstance(entry, tuple) else (entry,)
        if len(atoms) not in (1, 2):
            raise ValueError(f"A slicing crosses one or two columns; got {len(atoms)} in {entry!r}.")
        columns = [_column(atom, frame) for atom in atoms]
        specs.append(([name for name, _ in columns], [values for _, values in columns]))
    return specs


def _column(atom, frame):
    if isinstance(atom, pd.Series):
        if len(atom) != len(frame):
            raise ValueError(f"The Series {atom.name!r} in by has {len(atom)} values for {len(frame)} rows of X.")
        return str(atom.name), atom.reset_index(drop=True)
    names = np.asarray([str(c) for c in frame.columns], dtype=object)
    j = feature_index(names, atom, where="X", context=" (in by)")
    return str(names[j]), frame.iloc[:, j].reset_index(drop=True)


def _slice_codes(column, n_bins):
    """Codes of one column's slices (ints from 0) and their labels, missing last."""
    values = column.to_numpy()
    is_numeric = pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
    if is_numeric:
        x = values.astype(np.float64)[:, None]
        bins = fit_bins(x, [False], max_bins=n_bins, subsample=None)
        codes = apply_bins(bins, x)[:, 0].astype(np.intp)
        labels = []
        for b in range(bins.n_bins[0] - 1):
            inside = x[codes == b, 0]
            low, high = (inside.min(), inside.max()) if len(inside) else (np.nan, np.nan)
            labels.append(format_number(low) if low == high else f"{format_number(low)} to {format_number(high)}")
        return codes, [*labels, _MISSING]
    missing = pd.isna(column).to_numpy()
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = list(column.cat.categories)
    else:
        levels = sorted(dict.fromkeys(values[~missing].tolist()), key=lambda v: (str(type(v)), v))
    position = {level: k for k, level in enumerate(levels)}
    codes = np.fromiter((len(levels) if m else position[v] for v, m in zip(values, missing)), dtype=np.intp,
                        count=len(values))
    return codes, [str(plain(level)) for level in levels] + [_MISSING]


def _cross(coded):
    """One code per cell of the crossed columns, and each cell's label."""
    if len(coded) == 1:
        return coded[0]
    (first, first_labels), (second, second_labels) = coded
    codes = first * len(second_labels) + second
    labels = [f"{a}, {b}" for a in first_labels for b in second_labels]
    return codes, labels


def _base_rate(estimator, y, classifier):
    if not classifier:
        return {"target_mean": float(np.mean(y.astype(np.float64))) if len(y) else np.nan}
    classes = estimator.classes_
    if len(classes) == 2:
        return {"base_rate": float(np.mean(y == classes[1]))}
    _, counts = np.unique(y, return_counts=True)
    return {"base_rate": float(counts.max() / len(y))}


# -- the metric, on stored outputs -----------------------------------------------------------
class _Metric:
    """A score of the model's stored outputs on any rows, under bootstrap weights."""

    def __init__(self, estimator, frame, y, scoring):
        if scoring is None:
            scoring = "accuracy" if is_classifier(estimator) else "r2"
        self.name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
        self.estimator, self.frame, self.y = estimator, frame, y
        self.weighted = _WEIGHTED.get(scoring) if isinstance(scoring, str) else None
        if self.weighted is None:
            self.scorer = check_scoring(estimator, scoring=scoring)
            return
        kind, function = self.weighted
        if kind == "label":
            self.response = np.asarray(estimator.predict(frame))
        elif kind == "value":
            self.response = np.asarray(estimator.predict(frame), dtype=np.float64)
        elif kind == "binary_score":
            if len(estimator.classes_) != 2:
                raise ValueError(f"scoring={self.name!r} needs a binary classifier; {type(estimator).__name__} has "
                                 f"{len(estimator.classes_)} classes. Use 'roc_auc_ovr'.")
            if hasattr(estimator, "decision_function"):  # the order of scikit-learn's roc_auc scorer
                self.response = np.asarray(estimator.decision_function(frame), dtype=np.float64).reshape(-1)
            else:
                self.response = np.asarray(estimator.predict_proba(frame), dtype=np.float64)[:, 1]
        else:  # "proba"
            self.response = np.asarray(estimator.predict_proba(frame), dtype=np.float64)
        self.function = function

    def score(self, index, n_bootstrap, confidence, rng):
        """The score of rows ``index`` and its percentile interval."""
        if self.weighted is None:
            return self._score_by_calls(index, n_bootstrap, confidence, rng)
        # Rows sorted by their output: a ranking metric then needs no sort per resample, and
        # resampled counts are exchangeable, so the order changes no other metric.
        index = index[np.argsort(self.response[index] if self.response.ndim == 1 else index, kind="stable")]
        n = len(index)
        response, y = self.response[index], self.y[index]
        classes = getattr(self.estimator, "classes_", None)
        point = float(self.function(response, y, np.ones((1, n)), classes)[0])
        if n_bootstrap == 0 or n == 0:
            return point, (np.nan, np.nan)
        per_chunk = max(1, AUTO_CELLS // n)
        draws = []
        for start in range(0, n_bootstrap, per_chunk):
            size = min(per_chunk, n_bootstrap - start)
            # Multinomial counts of the n rows in each resample: n uniform draws, counted per resample.
            picks = rng.integers(n, size=(size, n)) + (n * np.arange(size))[:, None]
            counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n)
            # float32 holds counts and their sums exactly up to 2**24 rows.
            draws.append(self.function(response, y, counts.astype(np.float32), classes))
        return point, _interval(np.concatenate(draws), confidence)

    def _score_by_calls(self, index, n_bootstrap, confidence, rng):
        def one(rows):
            try:
                return float(self.scorer(self.estimator, self.frame.iloc[rows], self.y[rows]))
            except ValueError:  # a score the rows do not define (one class for ROC AUC...)
                return np.nan

        point = one(index) if len(index) else np.nan
        if n_bootstrap == 0 or len(index) == 0:
            return point, (np.nan, np.nan)
        draws = np.array([one(index[rng.integers(len(index), size=len(index))]) for _ in range(n_bootstrap)])
        return point, _interval(draws, confidence)


def _interval(draws, confidence):
    finite = draws[np.isfinite(draws)]
    if len(finite) < max(2, len(draws) // 2):  # the score is undefined on most resamples
        return np.nan, np.nan
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


# Each weighted metric: f(response, y, W, classes) -> scores of shape (n_weightings,), where
# W of shape (n_weightings, n_rows) holds each row's count (ones for the plain score). Per-row
# quantities take W's dtype, so that a product never copies W.
def _accuracy(pred, y, W, classes):
    return W @ (pred == y).astype(W.dtype) / W.sum(axis=1)


def _balanced_accuracy(pred, y, W, classes):
    labels = np.unique(y)
    member = (y[:, None] == labels[None, :]).astype(W.dtype)  # (n, n_labels)
    hits = W @ (member * (pred == y)[:, None])
    totals = W @ member
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(totals > 0, hits / totals, np.nan)
    return np.nanmean(recall, axis=1) if len(labels) else np.full(len(W), np.nan)


def _weighted_auc(score, positive, W):
    """ROC AUC of ``score`` for the boolean ``positive`` under each row of weights ``W``.

    Rows are sorted by score (unless they come sorted); within a run of tied scores a
    positive counts half of the negatives it ties with, as in the Mann-Whitney statistic.
    """
    if np.any(np.diff(score) < 0):
        order = np.argsort(score, kind="stable")
        score, positive, W = score[order], positive[order], W[:, order]
    starts = np.flatnonzero(np.r_[True, score[1:] != score[:-1]])  # each run of ties
    pos = np.add.reduceat(W * positive.astype(W.dtype), starts, axis=1)  # (n_weightings, n_runs)
    neg = np.add.reduceat(W, starts, axis=1) - pos
    below = np.cumsum(neg, axis=1) - neg  # negatives strictly below each run
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
    return np.where((total_pos > 0) & (total_neg > 0), auc, np.nan)


def _roc_auc(score, y, W, classes):
    if len(score) == 0:
        return np.full(len(W), np.nan)
    return _weighted_auc(score, y == classes[1], W)


def _roc_auc_ovr(proba, y, W, classes):
    if len(proba) == 0:
        return np.full(len(W), np.nan)
    per_class = np.column_stack([_weighted_auc(proba[:, k], y == c, W) for k, c in enumerate(classes)])
    return per_class.mean(axis=1)  # NaN when a class is absent, as scikit-learn refuses it


def _errors(pred, y, W):
    """Target and errors centred on the target's mean (well conditioned in float32)."""
    y = y.astype(np.float64)
    centre = y.mean() if len(y) else 0.0
    return (y - centre).astype(W.dtype), (y - pred).astype(W.dtype)


def _r2(pred, y, W, classes):
    centred, error = _errors(pred, y, W)
    total = W.sum(axis=1)
    sse = W @ error**2
    sst = W @ centred**2 - (W @ centred) ** 2 / total
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1 - sse / sst
    flat = sst <= 1e-6 * np.maximum(W @ centred**2, np.finfo(W.dtype).tiny)  # a constant target
    return np.where(flat, np.where(sse <= 0, 1.0, 0.0), r2)  # as scikit-learn: 1 if predicted exactly


def _neg_mse(pred, y, W, classes):
    return -(W @ _errors(pred, y, W)[1] ** 2) / W.sum(axis=1)


def _neg_rmse(pred, y, W, classes):
    return -np.sqrt(-_neg_mse(pred, y, W, classes))


def _neg_mae(pred, y, W, classes):
    return -(W @ np.abs(_errors(pred, y, W)[1])) / W.sum(axis=1)


_WEIGHTED = {
    "accuracy": ("label", _accuracy),
    "balanced_accuracy": ("label", _balanced_accuracy),
    "roc_auc": ("binary_score", _roc_auc),
    "roc_auc_ovr": ("proba", _roc_auc_ovr),
    "r2": ("value", _r2),
    "neg_mean_squared_error": ("value", _neg_mse),
    "neg_root_mean_squared_error": ("value", _neg_rmse),
    "neg_mean_absolute_error": ("value", _neg_mae),
}
