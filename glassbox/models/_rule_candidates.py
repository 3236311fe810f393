"""Candidate conditions of a rule list as sets of bins, and their class counts.

The candidate conditions are single-column tests: ``x <= t`` and ``x > t`` at quantile
thresholds of each numeric column (with ``... or x is missing`` variants when the column
has missing values), ``x = level`` for the levels of each categorical column (and, with
``negations``, ``x != level``), and ``x is missing``. Their truth values on the training
rows form a boolean matrix ``C`` of shape ``(n_samples, n_conditions)``. Every candidate
holds on a set of bins of its column (a run of consecutive bins less at most one of them,
and possibly the missing bin), so ``C`` factorises as
``C = B @ A``: ``B`` of shape ``(n_samples, n_bins)`` is the one-hot bin of every cell
and ``A`` of shape ``(n_bins, n_conditions)`` says which bins each condition holds on.
The class counts of every rule of one or two conditions come from matrix products,
with no loop over rows or candidates (see :mod:`._rule_search` for how the search uses
them).
"""

from __future__ import annotations

import copy

import numpy as np

from .._core import fit_bins
from ._conditions import Conditions

__all__ = ["_CandidateSpace"]


# -- candidate conditions ------------------------------------------------------------------
def _as_arrays(block):
    """A column's candidates ``(feature, op, value, missing, lo, hi, extra, hole)``,
    scalars broadcast to the length of the array parts, as eight 1-D arrays."""
    sizes = [np.size(part) for part in block if np.ndim(part)]
    n = max(sizes) if sizes else 1
    return [np.broadcast_to(np.asarray(part, dtype=object if k == 1 else None), (n,)) for k, part in enumerate(block)]


class _CandidateSpace:
    """Candidate conditions as sets of bins, and the bin of every training cell.

    Attributes
    ----------
    conditions : Conditions
        The ``n_conditions`` candidates.
    lo, hi, extra, hole : ndarray of int of shape (n_conditions,)
        Condition ``i`` holds on the flat bins ``lo[i] <= b < hi[i]`` but ``hole[i]``,
        and on the flat bin ``extra[i]`` (``-1`` for none): these are the columns of
        ``A``. A hole is a level left out of its column (``x != level``).
    flat_bins : ndarray of int of shape (n_samples, n_features)
        The flat bin of every training cell (``B`` as indices); column ``j``'s bins
        follow those of column ``j - 1``: its value bins, then its missing bin.
    n_bins : int
        Total number of flat bins.
    """

    def __init__(self, conditions, lo, hi, extra, hole, flat_bins, n_bins):
        self.conditions = conditions
        self.lo, self.hi, self.extra, self.hole = lo, hi, extra, hole
        self.flat_bins = flat_bins
        self.bins_by_column = np.ascontiguousarray(flat_bins.T)  # (n_features, n_samples)
        self.n_bins = n_bins
        # Sparse form of B: the cells outside their column's most frequent bin (most
        # cells of one-hot input are in the zero bin), and where each column's bins start.
        self.column_start = flat_bins.min(axis=0) if flat_bins.size else np.zeros(flat_bins.shape[1], np.intp)
        n_rows = np.bincount(flat_bins.ravel(), minlength=n_bins)
        self.mode_bin = np.asarray([self.column_start[j] + np.argmax(n_rows[self.column_start[j]:end])
                                    for j, end in enumerate([*self.column_start[1:], n_bins])], dtype=np.intp)
        off_mode = flat_bins != self.mode_bin[None, :]
        self.cell_rows = np.nonzero(off_mode)[0]
        self.cell_bins = flat_bins[off_mode]

    @classmethod
    def build(cls, X, used, schema, *, max_bins, negations=False):
        """Candidates of encoded training rows ``X``, learnt on the rows where ``used``
        (those of positive weight); candidates that hold on all of them or on none are
        left out. With ``negations``, ``x != level`` for the levels of each categorical
        column of three or more occupied bins (with two, it is the other bin's condition)."""
        n_samples, n_features = X.shape
        bins = fit_bins(X[used], schema.is_categorical, max_bins=max_bins, categories=schema.categories, subsample=None)
        flat = np.empty(X.shape, dtype=np.intp)
        blocks = []  # per column: the candidates' (feature, op, value, missing, lo, hi, extra, hole)
        offset = 0
        for j in range(n_features):
            column = X[:, j]
            is_missing = np.isnan(column)
            has_missing = bool(is_missing[used].any())
            if schema.is_categorical[j]:
                # A bin per kept level (the max_bins most frequent), one for the others.
                codes = column[~is_missing].astype(np.intp)
                frequency = np.bincount(codes[used[~is_missing]], minlength=len(schema.categories[j]))
                kept = np.sort(np.argsort(-frequency, kind="stable")[: min(max_bins, np.count_nonzero(frequency))])
                slot = np.full(len(frequency), len(kept), dtype=np.intp)
                slot[kept] = np.arange(len(kept))
                n_values = len(kept) + 1
                local = np.full(n_samples, n_values, dtype=np.intp)
                local[~is_missing] = slot[codes]
                start = offset + np.arange(len(kept))
                blocks.append((j, "==", kept.astype(float), False, start, start + 1, -1, -1))
                if negations and len(np.unique(local[used])) >= 3:
                    # x != level: every bin of the column but the level's; the missing bin
                    # too when the column has missing values, so that it is then the
                    # exact complement of x == level.
                    blocks.append((j, "!=", kept.astype(float), has_missing, offset, offset + n_values + has_missing,
                                   -1, start))
            else:
                cuts = bins.thresholds[j]
                n_values = len(cuts) + 1
                local = np.searchsorted(cuts, column, side="left")  # bin b: cuts[b-1] < x <= cuts[b]
                local[is_missing] = n_values
                split = offset + 1 + np.arange(len(cuts))  # first bin above each threshold
                first, end, missing_bin = offset, offset + n_values, offset + n_values
                # (op, or missing, first bin, end bin, extra bin) of x <= t and x > t ...
                kinds = [("<=", False, first, split, -1), (">", False, split, end, -1)]
                if has_missing:  # ... and of the same or x is missing
                    kinds += [("<=", True, first, split, missing_bin), (">", True, split, end + 1, -1)]
                # Each field of every kind at every threshold, thresholds outermost.
                fields = [
                    np.column_stack([np.broadcast_to(kind[f], len(cuts)) for kind in kinds]).ravel() for f in range(5)
                ]
                blocks.append((j, fields[0], np.repeat(cuts, len(kinds)), *fields[1:], -1))
            if has_missing:
                blocks.append((j, "missing", np.nan, False, offset + n_values, offset + n_values + 1, -1, -1))
            flat[:, j] = offset + local
            offset += n_values + 1
        parts = [_as_arrays(block) for block in blocks]
        feature, op, value, missing, lo, hi, extra, hole = (
            np.concatenate([part[k] for part in parts]) if parts else np.empty(0) for k in range(8)
        )
        conditions = Conditions.from_lists(feature, op, value, missing)
        lo, hi, extra, hole = (part.astype(np.intp) for part in (lo, hi, extra, hole))
        # Only the bins some training row falls in are kept: a run of bins stays a run.
        occupied = np.bincount(flat.ravel(), minlength=offset) > 0
        rank = np.concatenate([[0], np.cumsum(occupied)])  # new index of each old bin
        extra, hole = (np.where((b >= 0) & occupied[np.maximum(b, 0)], rank[np.maximum(b, 0)], -1) for b in (extra, hole))
        space = cls(conditions, rank[lo], rank[hi], extra, hole, rank[flat], int(rank[-1]))
        n_used = np.bincount(space.flat_bins[used].ravel(), minlength=space.n_bins)
        rows = space.condition_counts(n_used[:, None].astype(float))[:, 0]
        return space.subset((rows > 0) & (rows < used.sum()))

    def subset(self, keep):
        """The same space with only the candidates where ``keep``."""
        keep = np.flatnonzero(keep)
        out = copy.copy(self)  # the bins of the rows are shared
        out.conditions, out.lo, out.hi = self.conditions[keep], self.lo[keep], self.hi[keep]
        out.extra, out.hole = self.extra[keep], self.hole[keep]
        return out

    def rows(self, rows):
        """The same candidates on the training rows ``rows`` only (positions)."""
        return _CandidateSpace(self.conditions, self.lo, self.hi, self.extra, self.hole, self.flat_bins[rows],
                               self.n_bins)

    def __len__(self):
        return len(self.lo)

    def condition_counts(self, hist):
        """``A.T @ hist``: sums over the bins of each condition, shape (n_conditions, ...).

        ``hist`` has the flat bins on its first axis.
        """
        prefix = np.concatenate([np.zeros((1,) + hist.shape[1:], hist.dtype), np.cumsum(hist, axis=0)])
        out = prefix[self.hi] - prefix[self.lo]
        has_extra, has_hole = self.extra >= 0, self.hole >= 0
        out[has_extra] += hist[self.extra[has_extra]]
        out[has_hole] -= hist[self.hole[has_hole]]
        return out

    def histogram(self, group, labels, weight, n_groups, n_classes):
        """Weighted class counts per group and bin: ``B.T @ W`` for each group, shape
        (n_bins, n_groups, K). ``group``, ``labels``, ``weight`` are per row; rows with
        group ``-1`` are left out."""
        rows = np.flatnonzero(group >= 0)
        if len(rows) * self.flat_bins.shape[1] > 2 * len(self.cell_rows):
            return self._sparse_histogram(group, labels, weight, n_groups, n_classes)
        flat = self.flat_bins[rows]  # (n_rows, p)
        index = (flat * n_groups + group[rows, None]) * n_classes + labels[rows, None]
        weights = None if weight is None else np.repeat(weight[rows], flat.shape[1])
        counts = np.bincount(index.ravel(), weights, minlength=self.n_bins * n_groups * n_classes)
        return counts.reshape(self.n_bins, n_groups, n_classes).astype(np.float64, copy=False)

    def _sparse_histogram(self, group, labels, weight, n_groups, n_classes):
        """:meth:`histogram` from the cells outside each column's most frequent bin: that
        bin gets the group's total less the column's other bins."""
        cell_group = group[self.cell_rows]
        inside = cell_group >= 0
        cell_rows = self.cell_rows[inside]
        index = (self.cell_bins[inside] * n_groups + cell_group[inside]) * n_classes + labels[cell_rows]
        weights = None if weight is None else weight[cell_rows]
        counts = np.bincount(index, weights, minlength=self.n_bins * n_groups * n_classes)
        counts = counts.reshape(self.n_bins, n_groups, n_classes).astype(np.float64, copy=False)
        rows = np.flatnonzero(group >= 0)
        totals = np.bincount(group[rows] * n_classes + labels[rows], None if weight is None else weight[rows],
                             minlength=n_groups * n_classes).reshape(n_groups, n_classes)
        counts[self.mode_bin] = totals - np.add.reduceat(counts, self.column_start, axis=0)
        return counts

    def pair_histogram(self, rows, labels, weight, n_classes):
        """``B.T @ (W[:, k, None] * B)`` over ``rows`` for each class ``k``, shape
        (K, n_bins, n_bins), for pairs of bins of different columns.

        A row has one bin per column, so the same-column blocks of the product are
        diagonal (the histogram); they are left at zero and the caller adds them. The
        product is counted by whichever is cheaper: one index per row and pair of
        columns, or a matrix product of the one-hot rows of each class (many columns of
        few bins, as one-hot input has).
        """
        n_bins, n_features = self.n_bins, self.flat_bins.shape[1]
        if n_features < 2 or len(rows) == 0:
            return np.zeros((n_classes, n_bins, n_bins))
        if self._pairs_by_product():
            return self._pair_histogram_product(rows, labels, weight, n_classes)
        first, second = np.triu_indices(n_features, 1)
        out = np.zeros(n_classes * n_bins * n_bins)
        step = max(1, 2**22 // len(first))  # chunks of rows bound the index memory
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            flat = self.flat_bins[chunk]
            index = (labels[chunk, None] * n_bins + flat[:, first]) * n_bins + flat[:, second]
            weights = None if weight is None else np.repeat(weight[chunk], len(first))
            out += np.bincount(index.ravel(), weights, minlength=len(out))
        out = out.reshape(n_classes, n_bins, n_bins)
        return out + out.transpose(0, 2, 1)

    def _pairs_by_product(self):
        """Whether a matrix product counts pairs of bins faster than bincount: per row,
        ``p (p - 1) / 2`` indices against about ``n_bins**2 / 2`` multiply-adds of a
        symmetric product, each about 40 times cheaper (measured)."""
        n_features = self.flat_bins.shape[1]
        return n_features * (n_features - 1) / 2 > self.n_bins**2 / 80

    def _pair_histogram_product(self, rows, labels, weight, n_classes):
        """:meth:`pair_histogram` as ``D.T @ D`` per class, ``D`` the one-hot bins of the
        class's rows (scaled by the square root of their weights), in chunks of rows."""
        n_bins = self.n_bins
        out = np.zeros((n_classes, n_bins, n_bins))
        # Unweighted counts are whole numbers, exact in float32 below 2**24 rows.
        dtype = np.float32 if weight is None and len(rows) < 2**24 else np.float64
        step = max(1, 2**21 // n_bins)  # chunks of rows bound the one-hot memory
        for k in range(n_classes):
            of_class = rows[labels[rows] == k]
            for start in range(0, len(of_class), step):
                chunk = of_class[start : start + step]
                dense = np.zeros((len(chunk), n_bins), dtype=dtype)
                cells = self.flat_bins[chunk] + n_bins * np.arange(len(chunk))[:, None]
                dense.ravel()[cells] = 1.0 if weight is None else np.sqrt(weight[chunk])[:, None]
                out[k] += dense.T @ dense
        diagonal = np.arange(n_bins)
        out[:, diagonal, diagonal] = 0.0
        return out

    def pair_count_blocks(self, pair_hist, hist, *, block_cells=2**22):
        """Class counts of every pair of conditions, ``C.T @ (W[:, k, None] * C)`` for
        each class ``k``, in blocks of columns of the (m, m) table.

        ``pair_hist`` (K, n_bins, n_bins) is :meth:`pair_histogram` and ``hist``
        (n_bins, K) the histogram of the same rows. ``A.T @ H_k @ A`` is a cumulative
        sum of ``H_k`` over the bins of each condition, first along one axis, then
        along the other. Yields ``(start, stop, counts)``: ``counts[k, j, i - start]``,
        of shape (K, stop, stop - start) in float32, is the weight of class ``k`` where
        conditions ``j`` and ``i`` both hold, for ``start <= i < stop`` and every
        ``j < stop`` (the pairs ``j < i`` are the upper triangle).
        """
        m, n_classes = len(self), hist.shape[1]
        diagonal = np.arange(self.n_bins)
        per_bin, prefix = [], []
        for k in range(n_classes):
            table = pair_hist[k].copy()
            table[diagonal, diagonal] += hist[:, k]  # the same-column blocks of B.T W B
            left = np.ascontiguousarray(self.condition_counts(table).T, dtype=np.float32)  # (n_bins, m) = (A.T H)^T
            per_bin.append(left)
            prefix.append(np.concatenate([np.zeros((1, m), np.float32), np.cumsum(left, axis=0)]))
        has_extra, has_hole = np.flatnonzero(self.extra >= 0), np.flatnonzero(self.hole >= 0)
        block = max(1, min(256, block_cells // max(m, 1)))
        for start in range(0, m, block):
            stop = min(m, start + block)
            counts = np.empty((n_classes, stop, stop - start), dtype=np.float32)
            extra, hole = has_extra[has_extra < stop], has_hole[has_hole < stop]
            for k in range(n_classes):
                cumulative = prefix[k][:, start:stop]
                counts[k] = cumulative[self.hi[:stop]] - cumulative[self.lo[:stop]]
                counts[k, extra] += per_bin[k][self.extra[extra], start:stop]
                counts[k, hole] -= per_bin[k][self.hole[hole], start:stop]
            yield start, stop, counts

    def rule_holds(self, rule, rows=None):
        """Whether training rows (all, or the positions ``rows``) satisfy every condition
        of ``rule`` (a tuple of candidate indices), shape (n_rows,)."""
        out = np.ones(self.flat_bins.shape[0] if rows is None else len(rows), dtype=bool)
        for i in rule:
            b = self.bins_by_column[self.conditions.feature[i]]  # (n_samples,), contiguous
            b = b if rows is None else b[rows]
            out &= (((b >= self.lo[i]) & (b < self.hi[i])) & (b != self.hole[i])) | (b == self.extra[i])
        return out


# -- the search ----------------------------------------------------------------------------
