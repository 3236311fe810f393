"""Background summaries and masked batch evaluation.

The interventional value of a coalition of features for a row ``x`` is the model's
average output when the features in the coalition keep ``x``'s values and the others
take a background row's values. :func:`masked_predict` evaluates it for every explained
row and every mask in one stacked, chunked computation:

    v[i, k] = sum_b w_b f(where(masks[k], X[i], background[b]))

Shapley values (exact, kernel, permutation), LIME, permutation importance and partial
dependence are all this primitive with different masks and backgrounds. Work is cut
into chunks of ``batch_size`` hybrid rows; each chunk builds its rows, calls the model
once and reduces over the background before returning, so memory stays bounded by
``batch_size`` whatever the number of rows, masks and background rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from ._batching import batch_units, chunk_bounds, run_chunks

if TYPE_CHECKING:
    from ._typing import RandomStateLike

MODEL_ROWS = 8192
"""With ``batch_size="auto"``, most rows per model call: models run fastest on chunks that
stay in cache (a network's activations, a forest's work arrays), and one call on every
row at once would hold all of them."""

__all__ = [
    "AdaptiveCalls",
    "Background",
    "KMeansBackground",
    "kmeans_background",
    "MODEL_ROWS",
    "masked_predict",
    "predict_built",
    "predict_rows",
    "sample_background",
]


@dataclass(frozen=True, eq=False)
class Background:
    """Encoded background rows and their weights.

    Attributes
    ----------
    data : ndarray of shape (n_background, n_features)
        Encoded rows (see ``validate_X``).
    weights : ndarray of shape (n_background,)
        Non-negative, summing to one.
    """

    data: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        if self.data.ndim != 2 or len(self.weights) != len(self.data):
            raise ValueError(
                f"Background needs rows of shape (n_background, n_features) and one weight per "
                f"row; got data of shape {self.data.shape} and {len(self.weights)} weights."
            )

    @property
    def n_samples(self) -> int:
        return len(self.data)

    def mean(self) -> np.ndarray:
        """Weighted mean row (NaN-aware): the reference of linear and gradient methods."""
        present = ~np.isnan(self.data)
        totals = np.where(present, self.data, 0.0).T @ self.weights
        mass = present.T.astype(np.float64) @ self.weights
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(mass > 0, totals / mass, np.nan)


@dataclass(frozen=True)
class KMeansBackground:
    """Ask an explainer to summarise its background by k-means instead of sampling.

    Pass it as ``background=KMeansBackground(20)``: at ``fit`` the explainer replaces
    the rows of ``X`` by ``n_clusters`` weighted representatives (see
    :func:`kmeans_background`). Fewer background rows mean proportionally fewer model
    evaluations.

    Parameters
    ----------
    n_clusters : int, default=10
    """

    n_clusters: int = 10

    def __post_init__(self):
        if not isinstance(self.n_clusters, (int, np.integer)) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be a positive int; got {self.n_clusters!r}.")


def sample_background(X: np.ndarray, *, max_samples: int = 100, random_state: RandomStateLike = None) -> Background:
    """At most ``max_samples`` rows of encoded ``X`` drawn without replacement.

    All rows are kept, in order, when there are no more than ``max_samples``.
    """
    n_samples = len(X)
    if n_samples <= max_samples:
        rows = np.arange(n_samples)
    else:
        rows = np.sort(check_random_state(random_state).choice(n_samples, max_samples, replace=False))
    return Background(X[rows], np.full(len(rows), 1.0 / len(rows)))


def kmeans_background(
    X: np.ndarray, is_categorical: ArrayLike, *, n_clusters: int = 10, random_state: RandomStateLike = None
) -> Background:
    """Summarise encoded ``X`` by ``n_clusters`` weighted rows found by k-means.

    Clustering runs on standardised numeric columns (missing values imputed with the
    median for the distance only) and one-hot categorical columns. Each summary row
    takes the mean of its cluster's numeric values (NaN when all are missing) and the
    most frequent level of each categorical column, never an average of codes, so no
    impossible category is created. Weights are the clusters' shares of the rows.
    """
    n_samples, n_features = X.shape
    if n_samples <= n_clusters:
        return Background(X.copy(), np.full(n_samples, 1.0 / n_samples))
    design = _clustering_design(X, is_categorical)
    labels = KMeans(n_clusters=n_clusters, n_init=3, random_state=check_random_state(random_state)).fit_predict(design)
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    keep = counts > 0
    centers = np.empty((n_clusters, n_features))
    for j in range(n_features):
        column = X[:, j]
        missing = np.isnan(column) | (is_categorical[j] & (column < 0))
        if is_categorical[j]:
            # Level (or missing, the last slot) most frequent in each cluster.
            n_levels = int(np.nanmax(column, initial=-1)) + 2
            slot = np.where(missing, n_levels - 1, column).astype(np.intp)
            table = np.bincount(labels * n_levels + slot, minlength=n_clusters * n_levels)
            best = table.reshape(n_clusters, n_levels).argmax(axis=1).astype(np.float64)
            centers[:, j] = np.where(best == n_levels - 1, np.nan, best)
        else:
            sums = np.bincount(labels, weights=np.where(missing, 0.0, column), minlength=n_clusters)
            present = np.bincount(labels, weights=~missing, minlength=n_clusters)
            with np.errstate(invalid="ignore", divide="ignore"):
                centers[:, j] = np.where(present > 0, sums / present, np.nan)
    return Background(centers[keep], counts[keep] / counts.sum())


def _clustering_design(X, is_categorical):
    parts = []
    for j in range(X.shape[1]):
        column = X[:, j]
        if is_categorical[j]:
            codes = np.where(np.isnan(column) | (column < 0), -1, column).astype(np.intp)
            levels = np.unique(codes)
            parts.append((codes[:, None] == levels[None, :]).astype(np.float64))
        else:
            filled = np.where(np.isnan(column), np.nanmedian(column) if (~np.isnan(column)).any() else 0.0, column)
            scale = filled.std()
            parts.append(((filled - filled.mean()) / (scale if scale > 0 else 1.0))[:, None])
    return np.hstack(parts)


def masked_predict(
    model_output: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    masks: np.ndarray,
    background: Background,
    *,
    average: bool = True,
    batch_size: int | Literal["auto"] = "auto",
    n_jobs: int | None = None,
    verbose: bool | int = False,
) -> np.ndarray:
    """Model outputs of rows of ``X`` with masked features taken from background rows.

    Parameters
    ----------
    model_output : callable
        Maps encoded rows of shape (n, n_features) to outputs of shape (n, n_outputs),
        typically a :class:`~glassbox._core.ModelOutput`.
    X : ndarray of shape (n_samples, n_features)
        Encoded rows to explain.
    masks : ndarray of bool of shape (n_masks, n_features) or (n_samples, n_masks, n_features)
        ``True`` keeps the row's value, ``False`` takes the background's. One set shared
        by every row, or one set per row.
    background : Background
    average : bool, default=True
        Average over the background rows with their weights.
    batch_size : int or "auto", default="auto"
        Hybrid rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Chunks run through joblib with this many workers; the result does not depend
        on it.
    verbose : bool, default=False
        Report progress on standard error.

    Returns
    -------
    values : ndarray of shape (n_samples, n_masks, n_outputs)
        Or ``(n_samples, n_masks, n_background, n_outputs)`` with ``average=False``.
    """
    X = np.asarray(X, dtype=np.float64)
    masks = np.asarray(masks, dtype=bool)
    n_samples, n_features = X.shape
    if masks.shape[-1] != n_features or masks.ndim not in (2, 3) or (masks.ndim == 3 and len(masks) != n_samples):
        raise ValueError(
            f"masks must have shape (n_masks, {n_features}) or ({n_samples}, n_masks, {n_features}); "
            f"got {masks.shape}."
        )
    n_masks = masks.shape[-2]
    n_background = background.n_samples
    n_total = n_samples * n_masks * n_background
    rows = batch_units(batch_size, row_cells=n_features, unit_cells=n_features, max_rows=MODEL_ROWS)
    if rows >= n_background:  # whole (row, mask) groups per chunk: averaged without bookkeeping
        rows -= rows % n_background
    bounds = chunk_bounds(n_total, rows)
    args = [(model_output, X, masks, background, start, stop, average) for start, stop in bounds]
    results = run_chunks(_masked_chunk, args, n_jobs=n_jobs, verbose=verbose, desc="masked evaluation")
    if not average:
        return np.concatenate(results).reshape(n_samples, n_masks, n_background, -1)
    n_outputs = results[0][1].shape[1] if results else 0
    values = np.zeros((n_samples * n_masks, n_outputs))
    for first_group, sums in results:  # chunk order: the same sum for any n_jobs
        values[first_group : first_group + len(sums)] += sums
    return values.reshape(n_samples, n_masks, n_outputs)


def _masked_chunk(model_output, X, masks, background, start, stop, average):
    n_masks, n_background = masks.shape[-2], background.n_samples
    # The chunk covers (row, mask) groups first..last, each of n_background hybrid rows;
    # building whole groups by broadcasting is several times faster than gathering.
    first, last = start // n_background, (stop - 1) // n_background
    groups = np.arange(first, last + 1)
    row, mask = groups // n_masks, groups % n_masks
    keep = masks[mask] if masks.ndim == 2 else masks[row, mask]  # (n_groups, n_features)
    hybrids = np.where(keep[:, None, :], X[row][:, None, :], background.data[None])  # (n_groups, B, p)
    offset = first * n_background
    hybrids = hybrids.reshape(-1, X.shape[1])[start - offset : stop - offset]  # (chunk, n_features)
    outputs = model_output(hybrids)  # (chunk, n_outputs)
    if not average:
        return outputs
    if start == offset and (stop - start) % n_background == 0:  # whole groups
        return first, np.einsum("gbo,b->go", outputs.reshape(-1, n_background, outputs.shape[1]), background.weights)
    flat = np.arange(start, stop)
    bg = flat % n_background
    group = flat // n_background  # row * n_masks + mask, non-decreasing
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sums = np.add.reduceat(outputs * background.weights[bg][:, None], starts, axis=0)
    return group[0], sums


def predict_rows(
    model_output: Callable[[np.ndarray], np.ndarray],
    Z: np.ndarray,
    *,
    batch_size: int | Literal["auto"] = "auto",
    n_jobs: int | None = None,
    verbose: bool | int = False,
) -> np.ndarray:
    """Evaluate ``model_output`` on a large stack of encoded rows in bounded chunks.

    Returns an array of shape (n_rows, n_outputs) equal to ``model_output(Z)``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    rows = batch_units(batch_size, row_cells=Z.shape[1], unit_cells=Z.shape[1], max_rows=MODEL_ROWS)
    bounds = chunk_bounds(len(Z), rows)
    results = run_chunks(
        _rows_chunk, [(model_output, Z, s, e) for s, e in bounds], n_jobs=n_jobs, verbose=verbose, desc="predicting"
    )
    return np.concatenate(results)


class AdaptiveCalls:
    """:func:`predict_rows` for stacks of rows chunk after chunk, in calls of the size the
    model runs fastest on.

    With ``batch_size="auto"`` the model calls hold at most :data:`MODEL_ROWS` rows, which
    keeps a network's activations in cache; but other models pay a fixed cost per call
    (a forest dispatches its trees to threads at every call), and then one call of the
    whole chunk is faster. The first stack of at least ``4 * MODEL_ROWS`` rows is
    evaluated in two calls of ``MODEL_ROWS`` rows and one of the rest, and their CPU
    times per row decide (CPU time: a machine shared with other work stretches the
    wall time of one call and not of the other): later stacks go to the model in one
    call when that took at least 15% less time per row than the faster of the two
    others, in calls of ``MODEL_ROWS`` rows otherwise. Outputs do not depend on the
    choice (a model's output for a row does not depend on the other rows of the call),
    only the time does. With an int ``batch_size`` calls hold ``batch_size`` rows, as in
    :func:`predict_rows`. The timings are kept per thread, and a copy pickled to a worker
    process starts afresh.

    Parameters
    ----------
    batch_size : int or "auto"

    Examples
    --------
    >>> import numpy as np
    >>> calls = AdaptiveCalls("auto")
    >>> out = calls(lambda Z: Z[:, :1] * 2.0, np.ones((40_000, 3)))
    >>> out.shape, calls.whole is not None
    ((40000, 1), True)
    """

    def __init__(self, batch_size: int | Literal["auto"]) -> None:
        self.batch_size = batch_size
        self._local = threading.local()

    @property
    def whole(self) -> bool | None:
        """Whether this thread calls the model once per stack; ``None`` before it knows."""
        return getattr(self._local, "whole", None)

    def __call__(self, model_output: Callable[[np.ndarray], np.ndarray], Z: np.ndarray) -> np.ndarray:
        """``model_output(Z)`` of shape (n_rows, n_outputs), in calls of the chosen size."""
        if self.batch_size != "auto" or (self.whole is None and len(Z) < 4 * MODEL_ROWS):
            return predict_rows(model_output, Z, batch_size=self.batch_size)
        if self.whole is not None:
            return model_output(Z) if self.whole else predict_rows(model_output, Z)
        parts, seconds = [], []
        for start, stop in ((0, MODEL_ROWS), (MODEL_ROWS, 2 * MODEL_ROWS), (2 * MODEL_ROWS, len(Z))):
            begin = time.process_time()
            parts.append(model_output(Z[start:stop]))
            seconds.append((time.process_time() - begin) / (stop - start))
        self._local.whole = bool(seconds[2] < 0.85 * min(seconds[:2]))
        return np.concatenate(parts)

    def __getstate__(self) -> dict:
        return {"batch_size": self.batch_size}

    def __setstate__(self, state: dict) -> None:
        self.batch_size = state["batch_size"]
        self._local = threading.local()


def _rows_chunk(model_output, Z, start, stop):
    return model_output(Z[start:stop])


def predict_built(
    model_output: Callable[[np.ndarray], np.ndarray],
    build_rows: Callable[[int, int], np.ndarray],
    n_rows: int,
    *,
    n_features: int,
    batch_size: int | Literal["auto"] = "auto",
    n_jobs: int | None = None,
    verbose: bool | int = False,
) -> np.ndarray:
    """Evaluate ``model_output`` on a stack of ``n_rows`` rows built chunk by chunk.

    :func:`predict_rows` for a stack too large to hold at once (every repeat of every
    permuted feature, both bin edges of every feature): ``build_rows(start, stop)``
    returns the encoded rows ``start:stop`` of the stack, of shape
    ``(stop - start, n_features)``, so memory stays bounded by ``batch_size``. It must
    depend on its arguments only (draw random numbers before, not inside), so that the
    result is the same for any ``n_jobs``, and pickle (a module-level class rather than
    a closure) for other joblib backends.

    Returns
    -------
    outputs : ndarray of shape (n_rows, ...)
        ``model_output`` of the rows of the stack, in order.
    """
    rows = batch_units(batch_size, row_cells=n_features, unit_cells=n_features, max_rows=MODEL_ROWS)
    args = [(model_output, build_rows, start, stop) for start, stop in chunk_bounds(n_rows, rows)]
    results = run_chunks(_built_chunk, args, n_jobs=n_jobs, verbose=verbose, desc="predicting")
    return np.concatenate(results)


def _built_chunk(model_output, build_rows, start, stop):
    return model_output(build_rows(start, stop))
