"""The conditions an anchor is made of, and the samples drawn under an anchor.

An explained row's candidate conditions come from the core's bins
(:func:`~glassbox._core.fit_bins`), learnt on the ``X`` given to ``fit``:

- a numeric feature in value bin ``k`` of ``m`` gives ``x <= t_k`` (unless ``k`` is the
  last bin) and ``x > t_{k-1}`` (unless ``k`` is the first): the two sides of its own
  bin, which together read as the bin, ``t_{k-1} < x <= t_k``; a missing value gives
  ``x is missing``;
- a categorical feature gives ``x = level`` (``x is missing`` when it is missing).

Every condition is a range of *keys* on one feature, inclusive: the bin index of a
numeric value (the missing bin last), the code of a categorical level (``n_levels`` for
missing, ``-1`` for a level ``fit`` never saw), so that whether a row satisfies an
anchor is a vectorised comparison of its keys.

Samples under an anchor follow the tabular sampler of Ribeiro, Singh and Guestrin
(2018): random rows of the training data whose anchored features are replaced by those
of a random training row satisfying the anchor, all together, so that the anchored
values keep the data's dependence among them (as alibi's sampler does). When no
training row satisfies the anchor (its coverage is 0), each anchored feature that
violates its condition is replaced on its own, as in the paper's code: by the row's
own value for an equality (a level, missing), by the value of a random training row
satisfying it for an interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core import apply_bins, fit_bins

__all__ = ["AnchorRanges", "AnchorSpace", "Conditions"]

_UNSEEN = -1
"""Key of a categorical level that ``fit`` never saw: no training row has it."""


@dataclass(frozen=True, eq=False)
class Conditions:
    """The candidate conditions of one explained row: ranges of keys, one feature each.

    Attributes
    ----------
    feature : ndarray of int of shape (n_conditions,)
    low, high : ndarray of int of shape (n_conditions,)
        Inclusive range of keys the condition allows.
    exact : ndarray of bool of shape (n_conditions,)
        Whether the condition fixes the value (a level, missing) rather than an interval.
    """

    feature: np.ndarray
    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray

    def __len__(self):
        return len(self.feature)

    def ranges(self, anchor):
        """The features an anchor constrains and their ranges: the conditions of each
        feature intersected. ``anchor`` is a tuple of condition positions.

        Returns ``(features, low, high, exact)``, arrays of one entry per feature.
        """
        chosen = np.asarray(anchor, dtype=np.intp)
        features = np.unique(self.feature[chosen])
        low = np.full(len(features), np.iinfo(np.int32).min, dtype=np.int64)
        high = np.full(len(features), np.iinfo(np.int32).max, dtype=np.int64)
        slot = np.searchsorted(features, self.feature[chosen])
        np.maximum.at(low, slot, self.low[chosen])
        np.minimum.at(high, slot, self.high[chosen])
        exact = np.zeros(len(features), dtype=bool)
        np.logical_or.at(exact, slot, self.exact[chosen])
        return features, low, high, exact


@dataclass(frozen=True, eq=False)
class AnchorRanges:
    """An anchor as ranges of keys.

    Attributes
    ----------
    features : ndarray of int of shape (k,)
        The anchored features.
    low, high : ndarray of int of shape (k,)
        Inclusive range of keys of each (its conditions intersected).
    exact : ndarray of bool of shape (k,)
        Whether the feature's value is fixed (a level, missing).
    """

    features: np.ndarray
    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray


class AnchorSpace:
    """The training data an anchor is sampled from and measured on, with its bins.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The encoded ``X`` given to ``fit``.
    schema : FeatureSchema
    max_bins : int
        Most value bins per numeric feature (quartiles with 4).
    random_state : int
        Seeds the subsample the bins are learnt on (for very large ``X``).
    """

    def __init__(self, X, schema, *, max_bins, random_state):
        self.data = np.asarray(X, dtype=np.float64)
        self.schema = schema
        self.bins = fit_bins(
            self.data, schema.is_categorical, max_bins=max_bins, categories=schema.categories,
            random_state=random_state,
        )
        self.keys = apply_bins(self.bins, self.data)  # (n, p); categorical: code, missing last
        n_keys = int(self.bins.n_bins.max())
        # Training values sorted by key per feature, and where each key starts: the rows
        # satisfying an interval of keys are one contiguous run.
        order = np.argsort(self.keys, axis=0, kind="stable")
        self.sorted_values = np.take_along_axis(self.data, order, axis=0)
        counts = np.stack([np.bincount(k, minlength=n_keys) for k in self.keys.T])  # (p, n_keys)
        self.starts = np.concatenate([np.zeros((len(counts), 1), dtype=np.int64), np.cumsum(counts, axis=1)], axis=1)

    @property
    def n_samples(self):
        return len(self.data)

    def row_keys(self, Z):
        """Keys of encoded explained rows, shape (n_rows, n_features).

        A categorical level ``fit`` never saw gets a key no training row has.
        """
        keys = apply_bins(self.bins, Z).astype(np.int64)
        for j in np.flatnonzero(self.bins.is_categorical):
            codes = Z[:, j]
            n_levels = self.bins.missing_bin[j]
            unseen = ~np.isnan(codes) & ((codes < 0) | (codes >= n_levels))
            keys[unseen, j] = _UNSEEN
        return keys

    def conditions(self, keys):
        """The candidate :class:`Conditions` of a row with ``keys`` (shape (n_features,))."""
        feature, low, high, exact = [], [], [], []
        missing_bin = self.bins.missing_bin
        for j, key in enumerate(keys.tolist()):
            if self.bins.is_categorical[j] or key == missing_bin[j]:
                feature.append(j), low.append(key), high.append(key), exact.append(True)
                continue
            last = missing_bin[j] - 1  # the last value bin
            if key < last:  # x <= t_key
                feature.append(j), low.append(0), high.append(key), exact.append(False)
            if key > 0:  # x > t_{key-1}
                feature.append(j), low.append(key), high.append(last), exact.append(False)
        return Conditions(
            np.asarray(feature, dtype=np.intp), np.asarray(low, dtype=np.int64),
            np.asarray(high, dtype=np.int64), np.asarray(exact, dtype=bool),
        )

    def prepare(self, conditions, anchor):
        """The :class:`AnchorRanges` of ``anchor``, a tuple of positions in ``conditions``."""
        if not anchor:
            empty = np.zeros(0, dtype=np.int64)
            return AnchorRanges(empty.astype(np.intp), empty, empty, empty.astype(bool))
        return AnchorRanges(*conditions.ranges(anchor))

    def satisfied(self, ranges):
        """Positions of the training rows that satisfy an anchor."""
        chosen = self.keys[:, ranges.features]
        return np.flatnonzero(((chosen >= ranges.low) & (chosen <= ranges.high)).all(axis=1))

    def coverage(self, ranges):
        """Share of the training rows satisfying the anchor."""
        return len(self.satisfied(ranges)) / self.n_samples

    def sample(self, row, ranges, n, rng):
        """``n`` encoded samples under an anchor, shape (n, n_features).

        Random training rows whose anchored features are replaced together by those of
        a random training row satisfying the anchor; when none does, each anchored
        feature violating its condition is replaced on its own (see the module
        docstring). The draws from ``rng`` depend on the request only.
        """
        picked = rng.integers(self.n_samples, size=n)
        Z = self.data[picked]
        features = ranges.features
        if not len(features):
            return Z
        rows = self.satisfied(ranges)
        if len(rows):
            donors = rows[rng.integers(len(rows), size=n)]
            Z[:, features] = self.data[donors[:, None], features]
            return Z
        low, high, exact = ranges.low, ranges.high, ranges.exact
        keys = self.keys[picked[:, None], features]  # (n, k)
        violates = (keys < low) | (keys > high)
        first = self.starts[features, np.clip(low, 0, None)]
        count = np.where(exact, 0, self.starts[features, np.clip(high, -1, None) + 1] - first)  # (k,)
        uniform = rng.random((n, len(features)))
        position = first + np.minimum((uniform * count).astype(np.int64), np.maximum(count - 1, 0))
        pooled = self.sorted_values[np.minimum(position, self.n_samples - 1), features]  # (n, k)
        replacement = np.where(count > 0, pooled, row[features])
        Z[:, features] = np.where(violates, replacement, Z[:, features])
        return Z

    def describe(self, conditions, anchor, row, schema):
        """One line per anchored feature: ``feature, operator, value, text``.

        ``schema`` decodes the row's levels (it may know levels ``fit`` never saw).
        """
        features, low, high, exact = conditions.ranges(anchor) if anchor else ([], [], [], [])
        lines = []
        for j, lo, hi, is_exact in zip(features, low, high, exact):
            name = str(schema.feature_names[j])
            if is_exact and np.isnan(row[j]):
                lines.append((name, "is missing", None, f"{name} is missing"))
            elif is_exact:
                level = schema.levels_of(row[j : j + 1], j)[0]
                lines.append((name, "=", level, f"{name} = {level}"))
            else:
                lines.append(self._interval(name, j, int(lo), int(hi)))
        return pd.DataFrame(lines, columns=["feature", "operator", "value", "text"])

    def _interval(self, name, j, low, high):
        cuts = self.bins.thresholds[j]
        last = self.bins.missing_bin[j] - 1
        if low == 0:
            return name, "<=", float(cuts[high]), f"{name} <= {cuts[high]:.4g}"
        if high == last:
            return name, ">", float(cuts[low - 1]), f"{name} > {cuts[low - 1]:.4g}"
        bounds = (float(cuts[low - 1]), float(cuts[high]))
        return name, "in", bounds, f"{bounds[0]:.4g} < {name} <= {bounds[1]:.4g}"
