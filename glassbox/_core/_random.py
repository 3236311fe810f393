"""Seeding: one integer seed per fit, spawned per chunk or keyed by the row explained.

Every random draw in glassbox comes from one integer seed drawn from ``random_state``
at ``fit`` (:func:`draw_seed`). Work cut into chunks takes one generator per chunk
(:func:`chunk_rngs`); work done row by row takes a generator keyed by the row's own
values (:func:`row_rngs`), so a row's draws do not depend on the other rows, on how the
rows are chunked, or on ``n_jobs`` and the joblib backend.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import check_random_state

__all__ = ["chunk_rngs", "cv_folds", "draw_seed", "row_keys", "row_rngs"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def draw_seed(random_state: int | np.random.RandomState | np.random.Generator | None) -> int:
    """One integer seed from ``random_state`` (int, RandomState, Generator or None)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def cv_folds(
    n_folds: int, n_samples: int, labels: ArrayLike | None = None, random_state: int | None = None
) -> KFold | StratifiedKFold | None:
    """Shuffled folds for choosing a parameter by cross-validation on the training rows.

    Stratified by ``labels`` when given (a classifier's classes), in at most as many
    folds as the smallest class has rows; otherwise in at most one fold per row. ``None``
    when fewer than 2 folds are possible. Split with ``folds.split(X, labels)``.

    Examples
    --------
    >>> cv_folds(10, 100, [0] * 97 + [1] * 3, random_state=0).n_splits
    3
    >>> cv_folds(5, 1) is None
    True
    """
    if labels is None:
        n_splits, splitter = min(n_folds, n_samples), KFold
    else:
        n_splits, splitter = min(n_folds, int(np.unique(labels, return_counts=True)[1].min())), StratifiedKFold
    return splitter(n_splits, shuffle=True, random_state=random_state) if n_splits >= 2 else None


def chunk_rngs(seed: int, n_chunks: int) -> list[np.random.Generator]:
    """Independent generators for ``n_chunks`` chunks spawned from one ``seed``."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_chunks)]


def row_keys(X: ArrayLike) -> np.ndarray:
    """A 64-bit digest of each row's values, shape (n_rows,), dtype uint64.

    Each 64-bit word of a row is mixed in by the splitmix64 finaliser, one feature at a
    time over all rows. ``-0.0`` and ``0.0`` give one key, and so does every NaN, so
    equal rows (missing values included) have equal keys.
    """
    X = np.asarray(X, dtype=np.float64)
    canonical = np.where(np.isnan(X), np.nan, X) + 0.0
    words = np.ascontiguousarray(canonical).view(np.uint64).reshape(len(X), -1)
    key = np.full(len(X), _GOLDEN, dtype=np.uint64)
    for column in words.T:  # a loop over features, each step over all rows
        key = _splitmix(key ^ column)
    return key


def row_rngs(seed: int, X: ArrayLike) -> list[np.random.Generator]:
    """One generator per row of encoded ``X``, keyed by ``seed`` and the row's values.

    A row draws the same random numbers wherever it sits in ``X`` and however the rows
    are chunked or parallelised, so a sampled explanation of a row depends only on the
    row and ``seed``: explaining it alone, in a batch or in another order gives the same
    result. Equal rows get equal streams (see :func:`row_keys`).
    """
    keys = row_keys(X)
    high, low = (keys >> np.uint64(32)).tolist(), (keys & np.uint64(0xFFFFFFFF)).tolist()
    return [np.random.default_rng(np.random.SeedSequence([seed, h, lo])) for h, lo in zip(high, low)]


def _splitmix(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
