"""The search for a rule list: candidate conditions as sets of bins, beam search, local search.

The candidate conditions are single-column tests: ``x <= t`` and ``x > t`` at quantile
thresholds of each numeric column (with ``... or x is missing`` variants when the column
has missing values), ``x = level`` for the levels of each categorical column, and
``x is missing``. Their truth values on the training rows form a boolean matrix ``C`` of
shape ``(n_samples, n_conditions)``. Every candidate holds on a set of bins of its column
(a run of consecutive value bins, and possibly the missing bin), so ``C`` factorises as
``C = B @ A``: ``B`` of shape ``(n_samples, n_bins)`` is the one-hot bin of every cell
and ``A`` of shape ``(n_bins, n_conditions)`` says which bins each condition holds on.
The class counts of every rule of one or two conditions come from matrix products,
with no loop over rows or candidates:

- one condition: ``C.T @ W = A.T @ (B.T @ W)``, with ``W`` of shape
  ``(n_samples, n_classes)`` the weighted one-hot target of the rows no rule captures
  yet (``B.T @ W`` is a histogram per bin);
- two conditions, class ``k``: ``C.T @ (W[:, k, None] * C) = A.T @ H_k @ A``, with
  ``H_k = B.T @ (W[:, k, None] * B)`` the joint histogram of every pair of bins, of
  shape ``(n_bins, n_bins)``, updated as rules capture rows. The columns of ``A`` are
  runs of bins, so a product with ``A`` is a difference of cumulative sums.

A rule's score is the gain in log-likelihood (cross-entropy) of the whole list when it
is placed before the default rule, each rule predicting the class frequencies of the
rows it captures. The list found by the beam search is then improved by local search
on the same likelihood: a rule inserted at any position, or put in place of another,
changes only which rule captures the rows reaching that position, so every candidate
is scored from one histogram per following rule.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.special import xlogy

from .._core import fit_bins
from ._conditions import Conditions

__all__ = ["_CandidateSpace", "_RuleListSearch"]

# While the list grows, the log-likelihood of the rows a candidate rule leaves to later
# rules is counted with this weight: the captured rows are final, the rest will still be
# split. At 1 the search is purely greedy and takes large impure rules early.
_REST_WEIGHT = 0.8
# Sweeps of local search on the finished list (fill, replace, swap: see _refine).
_REFINE_SWEEPS = 2
# Rules the swap step of the local search tries to drop (those that matter least).
_N_SWAPS = 2
# Shorter rules extended by one condition, and best rules kept per level, at least.
_N_SEEDS = 8
# Most cells (classes x bins x bins) of the joint bin histogram; past it, rules of two
# conditions are grown from the best single conditions instead of scored exhaustively.
_MAX_PAIR_CELLS = 2**25
# Relative tolerance below which two weighted counts are equal.
_RTOL = 1e-9


def _first_true(holds, n_rules, n_samples):
    """Column of the first True of each row of ``holds`` (n_samples, n_rules), or
    ``n_rules`` (the default rule) when there is none."""
    if n_rules == 0:
        return np.zeros(n_samples, dtype=np.intp)
    return np.argmax(np.column_stack([holds, np.ones(n_samples, dtype=bool)]), axis=1)


def _log_likelihood(counts):
    """``sum_k c_k log(c_k / sum(c))`` over the last axis: the log-likelihood of a group
    with weighted class counts ``c`` under its own class frequencies."""
    total = counts.sum(axis=-1)
    return xlogy(counts, counts).sum(axis=-1) - xlogy(total, total)


def _split_gain(captured, parent, rest_weight=1.0):
    """Gain in log-likelihood from splitting a group with class counts ``parent`` (K,)
    into the rows a rule captures (``captured``, shape (..., K)) and the rest, whose
    log-likelihood counts with weight ``rest_weight``."""
    rest = _log_likelihood(parent - captured) - _log_likelihood(parent)
    return _log_likelihood(captured) + rest_weight * rest


def _xlogx32(x):
    """``x log x`` in float32 (0 at 0): precise enough to rank all pairs, and fast."""
    x = np.asarray(x, dtype=np.float32)
    return x * np.log(np.maximum(x, np.float32(1e-30)))


def _top(scores, k):
    """Indices of the ``k`` largest finite scores, best first."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) > k:
        finite = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return finite[np.argsort(-scores[finite], kind="stable")]


def _distinct_best(candidates, k):
    """The ``k`` best ``(score, support, rule)`` candidates, one per (score, support):
    such rules capture the same rows. Among equal scores, fewer conditions and then the
    smaller support (the more specific rule) come first."""
    out, seen = [], set()
    for candidate in sorted(candidates, key=lambda c: (-c[0], len(c[2]), c[1], c[2])):
        key = (round(float(candidate[0]), 6), round(float(candidate[1]), 6))
        if key not in seen:
            seen.add(key)
            out.append(candidate)
            if len(out) == k:
                break
    return out


# -- candidate conditions ------------------------------------------------------------------
def _as_arrays(block):
    """A column's candidates ``(feature, op, value, missing, lo, hi, extra)``, scalars
    broadcast to the length of the array parts, as seven 1-D arrays."""
    sizes = [np.size(part) for part in block if np.ndim(part)]
    n = max(sizes) if sizes else 1
    return [np.broadcast_to(np.asarray(part, dtype=object if k == 1 else None), (n,)) for k, part in enumerate(block)]


class _CandidateSpace:
    """Candidate conditions as sets of bins, and the bin of every training cell.

    Attributes
    ----------
    conditions : Conditions
        The ``n_conditions`` candidates.
    lo, hi, extra : ndarray of int of shape (n_conditions,)
        Condition ``i`` holds on the flat bins ``lo[i] <= b < hi[i]`` and on the flat bin
        ``extra[i]`` (``-1`` for none): these are the columns of ``A``.
    flat_bins : ndarray of int of shape (n_samples, n_features)
        The flat bin of every training cell (``B`` as indices); column ``j``'s bins
        follow those of column ``j - 1``: its value bins, then its missing bin.
    n_bins : int
        Total number of flat bins.
    """

    def __init__(self, conditions, lo, hi, extra, flat_bins, n_bins):
        self.conditions = conditions
        self.lo, self.hi, self.extra = lo, hi, extra
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
    def build(cls, X, used, schema, *, max_bins):
        """Candidates of encoded training rows ``X``, learnt on the rows where ``used``
        (those of positive weight); candidates that hold on all of them or on none are
        left out."""
        n_samples, n_features = X.shape
        bins = fit_bins(X[used], schema.is_categorical, max_bins=max_bins, categories=schema.categories, subsample=None)
        flat = np.empty(X.shape, dtype=np.intp)
        blocks = []  # per column: the candidates' (feature, op, value, missing, lo, hi, extra)
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
                blocks.append((j, "==", kept.astype(float), False, start, start + 1, -1))
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
                blocks.append((j, fields[0], np.repeat(cuts, len(kinds)), *fields[1:]))
            if has_missing:
                blocks.append((j, "missing", np.nan, False, offset + n_values, offset + n_values + 1, -1))
            flat[:, j] = offset + local
            offset += n_values + 1
        parts = [_as_arrays(block) for block in blocks]
        feature, op, value, missing, lo, hi, extra = (
            np.concatenate([part[k] for part in parts]) if parts else np.empty(0) for k in range(7)
        )
        conditions = Conditions.from_lists(feature, op, value, missing)
        lo, hi, extra = lo.astype(np.intp), hi.astype(np.intp), extra.astype(np.intp)
        # Only the bins some training row falls in are kept: a run of bins stays a run.
        occupied = np.bincount(flat.ravel(), minlength=offset) > 0
        rank = np.concatenate([[0], np.cumsum(occupied)])  # new index of each old bin
        extra = np.where((extra >= 0) & occupied[np.maximum(extra, 0)], rank[np.maximum(extra, 0)], -1)
        space = cls(conditions, rank[lo], rank[hi], extra, rank[flat], int(rank[-1]))
        n_used = np.bincount(space.flat_bins[used].ravel(), minlength=space.n_bins)
        rows = space.condition_counts(n_used[:, None].astype(float))[:, 0]
        return space.subset((rows > 0) & (rows < used.sum()))

    def subset(self, keep):
        """The same space with only the candidates where ``keep``."""
        keep = np.flatnonzero(keep)
        out = copy.copy(self)  # the bins of the rows are shared
        out.conditions, out.lo, out.hi, out.extra = self.conditions[keep], self.lo[keep], self.hi[keep], self.extra[keep]
        return out

    def __len__(self):
        return len(self.lo)

    def condition_counts(self, hist):
        """``A.T @ hist``: sums over the bins of each condition, shape (n_conditions, ...).

        ``hist`` has the flat bins on its first axis.
        """
        prefix = np.concatenate([np.zeros((1,) + hist.shape[1:], hist.dtype), np.cumsum(hist, axis=0)])
        out = prefix[self.hi] - prefix[self.lo]
        has_extra = self.extra >= 0
        out[has_extra] += hist[self.extra[has_extra]]
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
        has_extra = np.flatnonzero(self.extra >= 0)
        block = max(1, min(256, block_cells // max(m, 1)))
        for start in range(0, m, block):
            stop = min(m, start + block)
            counts = np.empty((n_classes, stop, stop - start), dtype=np.float32)
            extra = has_extra[has_extra < stop]
            for k in range(n_classes):
                cumulative = prefix[k][:, start:stop]
                counts[k] = cumulative[self.hi[:stop]] - cumulative[self.lo[:stop]]
                counts[k, extra] += per_bin[k][self.extra[extra], start:stop]
            yield start, stop, counts

    def rule_holds(self, rule, rows=None):
        """Whether training rows (all, or the positions ``rows``) satisfy every condition
        of ``rule`` (a tuple of candidate indices), shape (n_rows,)."""
        out = np.ones(self.flat_bins.shape[0] if rows is None else len(rows), dtype=bool)
        for i in rule:
            b = self.bins_by_column[self.conditions.feature[i]]  # (n_samples,), contiguous
            b = b if rows is None else b[rows]
            out &= ((b >= self.lo[i]) & (b < self.hi[i])) | (b == self.extra[i])
        return out


# -- the search ----------------------------------------------------------------------------
class _State:
    """A partial rule list in the beam."""

    def __init__(self, rules, uncovered, loglik, score, pair_hist):
        self.rules = rules  # tuple of rules, each a sorted tuple of candidate indices
        self.uncovered = uncovered  # (n,) bool: rows no rule captures
        self.loglik = loglik  # training log-likelihood of the list
        self.score = score  # the same with the uncovered rows weighted by _REST_WEIGHT
        self.pair_hist = pair_hist  # (K, n_bins, n_bins) over the uncovered rows, or None


class _RuleListSearch:
    """Beam search for a rule list on a candidate space, then local search."""

    def __init__(self, space, labels, weight, n_classes, *, max_rules, max_conditions, min_support, beam_width):
        self.space = space
        self.labels = labels  # (n,) class index
        self.weight = weight  # (n,)
        self.n_classes = n_classes
        self.target = np.zeros((len(labels), n_classes))  # (n, K) weighted one-hot: W
        self.target[np.arange(len(labels)), labels] = weight
        self.max_rules = max_rules
        self.max_conditions = max_conditions
        self.min_support = min_support
        self.beam_width = beam_width
        self.hist_weight = None if np.all(weight == 1.0) else weight  # None: unweighted counts
        self.n_seeds = max(_N_SEEDS, beam_width)
        self._holds = {}  # rule -> whether each training row satisfies it
        self.exhaustive_pairs = max_conditions >= 2 and n_classes * space.n_bins**2 <= _MAX_PAIR_CELLS

    # -- shared counting -------------------------------------------------------------
    def first_firing(self, rules, rows=None):
        """Position of the first of ``rules`` each training row satisfies (``len(rules)``
        for none), for all rows or the positions ``rows``."""
        n = len(self.labels) if rows is None else len(rows)
        if not rules:
            return np.zeros(n, dtype=np.intp)
        holds = np.column_stack([self.rule_holds(rule) for rule in rules])  # (n_samples, n_rules)
        return _first_true(holds if rows is None else holds[rows], len(rules), n)

    def rule_holds(self, rule):
        """Whether each training row satisfies ``rule``, cached."""
        if rule not in self._holds:
            if len(self._holds) > 4096:
                self._holds.clear()
            self._holds[rule] = self.space.rule_holds(rule)
        return self._holds[rule]

    def cell_counts(self, cell, n_cells, rows=None):
        """Weighted class counts of the rows in each cell, shape (n_cells, K)."""
        rows = np.arange(len(self.labels)) if rows is None else rows
        index = cell * self.n_classes + self.labels[rows]
        return np.bincount(index, self.weight[rows], minlength=n_cells * self.n_classes).reshape(n_cells, -1)

    def _supported(self, support, n_parent):
        """Whether a rule capturing ``support`` of ``n_parent`` leaves enough on both sides."""
        return (support >= self.min_support) & (n_parent - support >= self.min_support)

    # -- beam search -----------------------------------------------------------------
    def run(self):
        """The rules of the best list found, each a tuple of candidate indices."""
        n = len(self.labels)
        everything = np.ones(n, dtype=bool)
        pair_hist = None
        if self.exhaustive_pairs:
            pair_hist = self.space.pair_histogram(np.arange(n), self.labels, self.hist_weight, self.n_classes)
        loglik = float(_log_likelihood(self.target.sum(axis=0)))
        beam, finished = [_State((), everything, loglik, _REST_WEIGHT * loglik, pair_hist)], []
        for step in range(self.max_rules):
            last = step == self.max_rules - 1
            rest_weight = 1.0 if last else _REST_WEIGHT  # nothing follows the last rule
            children = []
            for state in beam:
                options = self._best_rules(state, rest_weight)
                if not options:
                    finished.append(state)
                children += [(state.score + score, gain, state, rule) for score, gain, rule in options]
            children.sort(key=lambda child: -child[0])
            beam, seen = [], set()
            for score, gain, state, rule in children:
                if round(score, 6) in seen:  # lists that split the rows alike score alike
                    continue
                seen.add(round(score, 6))
                beam.append(self._extend(state, rule, gain, score, last=last))
                if len(beam) == self.beam_width:
                    break
        rules = list(max(finished + beam, key=lambda state: state.loglik).rules)
        for _ in range(_REFINE_SWEEPS):
            rules, changed = self._refine(rules)
            if not changed:
                break
        return rules

    def _extend(self, state, rule, gain, score, *, last):
        rows = np.flatnonzero(state.uncovered)
        captured = rows[self.space.rule_holds(rule, rows)]
        uncovered = state.uncovered.copy()
        uncovered[captured] = False
        pair_hist = None
        if state.pair_hist is not None and not last:
            pair_hist = state.pair_hist - self.space.pair_histogram(captured, self.labels, self.hist_weight, self.n_classes)
        return _State(state.rules + (rule,), uncovered, state.loglik + gain, score, pair_hist)

    def _best_rules(self, state, rest_weight):
        """The best ``beam_width`` rules to append to ``state``, as (score, gain, rule):
        the gain in log-likelihood with the rows left weighted by ``rest_weight``, and
        the plain gain."""
        space = self.space
        rows = np.flatnonzero(state.uncovered)
        group = np.where(state.uncovered, 0, -1)
        hist = space.histogram(group, self.labels, self.hist_weight, 1, self.n_classes)[:, 0]  # (n_bins, K) = B.T @ W
        parent = self.target[rows].sum(axis=0)  # (K,)
        counts = space.condition_counts(hist)  # (m, K) = C.T @ W
        support = counts.sum(axis=1)
        gain = np.where(self._supported(support, parent.sum()), _split_gain(counts, parent, rest_weight), -np.inf)
        level = [(gain[i], support[i], (int(i),)) for i in _top(gain, self.n_seeds)]
        found = list(level)
        for size in range(2, self.max_conditions + 1):
            if size == 2 and self.exhaustive_pairs:
                level = self._best_pairs(state, hist, parent, support, rest_weight)
            else:
                grown = [g for *_, rule in level for g in self._grow(rule, rows, parent, rest_weight)]
                level = _distinct_best(grown, self.n_seeds)
            found += level
        options = []
        for *_, rule in _distinct_best(found, self.n_seeds):
            captured = self.target[rows[space.rule_holds(rule, rows)]].sum(axis=0)  # exact, float64
            plain = float(_split_gain(captured, parent))
            if plain > _RTOL * max(parent.sum(), 1.0):
                options.append((float(_split_gain(captured, parent, rest_weight)), plain, rule, captured.sum()))
        options.sort(key=lambda option: (-round(option[0], 9), len(option[2]), option[3], option[2]))
        return [option[:3] for option in options[: self.beam_width]]

    def _grow(self, rule, rows, parent, rest_weight):
        """The best rules of ``rule`` and one more condition, every condition scored."""
        space = self.space
        rows = rows[space.rule_holds(rule, rows)]
        group = np.full(len(self.labels), -1)
        group[rows] = 0
        counts = space.condition_counts(space.histogram(group, self.labels, self.hist_weight, 1, self.n_classes)[:, 0])
        support = counts.sum(axis=1)
        valid = self._supported(support, parent.sum()) & (support < self.weight[rows].sum() * (1 - _RTOL))
        valid[list(rule)] = False
        gain = np.where(valid, _split_gain(counts, parent, rest_weight), -np.inf)
        return [(gain[i], support[i], tuple(sorted(rule + (int(i),)))) for i in _top(gain, self.n_seeds)]

    def _best_pairs(self, state, hist, parent, support1, rest_weight):
        """The best rules of two conditions, every pair scored at once (in float32; the
        caller rescores the best exactly)."""
        n_parent = parent.sum()
        parent_rest = _xlogx32(parent).sum() - _xlogx32(n_parent)
        best = []
        for start, stop, counts in self.space.pair_count_blocks(state.pair_hist, hist):
            captured = _xlogx32(counts).sum(axis=0)  # (stop, block)
            rest = _xlogx32(parent[:, None, None] - counts).sum(axis=0)
            support = counts.sum(axis=0)
            score = captured - _xlogx32(support) + rest_weight * (rest - _xlogx32(n_parent - support) - parent_rest)
            tolerance = 1 - 1e-6  # float32 counts
            valid = self._supported(support, n_parent)
            valid &= np.arange(stop)[:, None] < np.arange(start, stop)[None, :]  # each pair once
            valid &= support < support1[:stop, None] * tolerance  # more than condition j alone
            valid &= support < support1[None, start:stop] * tolerance  # more than condition i alone
            score = np.where(valid, score, -np.inf).ravel()
            for flat in _top(score, self.n_seeds):
                j, i = divmod(int(flat), stop - start)
                best.append((score[flat], support[j, i], (j, start + i)))
        return _distinct_best(best, self.n_seeds)

    # -- coordinate ascent -------------------------------------------------------------
    def _refine(self, rules):
        """One sweep of local search on the log-likelihood of the whole list.

        Fill: while the list is shorter than ``max_rules``, insert the best rule at the
        best position. Replace: put in place of each rule the best rule given the
        others. Swap: drop one of the ``_N_SWAPS`` rules that matter least when its removal,
        followed by the best insertion, increases the likelihood. Rules left capturing no weight are dropped. Returns
        the new rules and whether anything changed.
        """
        changed = False
        while len(rules) < self.max_rules:
            gain, position, rule = self._best_insertion(rules)
            if rule is None:
                break
            rules, changed = self._alive(rules[:position] + [rule] + rules[position:]), True
        position = 0
        while position < len(rules):
            _, rule = self._best_rule_at(rules, position, insert=False)
            if rule is not None:
                rules, changed = self._alive(rules[:position] + [rule] + rules[position + 1 :]), True
            position += 1
        if len(rules) == self.max_rules:
            loglik = self._loglik(rules)
            without = [self._alive(rules[:drop] + rules[drop + 1 :]) for drop in range(len(rules))]
            losses = [self._loglik(fewer) for fewer in without]
            for drop in np.argsort(losses)[::-1][:_N_SWAPS]:  # the rules that matter least first
                fewer = without[drop]
                gain, position, rule = self._best_insertion(fewer)
                if rule is not None and losses[drop] + gain > loglik + _RTOL * abs(loglik):
                    rules, changed = self._alive(fewer[:position] + [rule] + fewer[position:]), True
                    break
        return rules, changed

    def _best_insertion(self, rules):
        """``(gain, position, rule)`` of the best rule to insert anywhere in ``rules``."""
        options = [self._best_rule_at(rules, position, insert=True) for position in range(len(rules) + 1)]
        position = int(np.argmax([gain for gain, _ in options]))
        return options[position][0], position, options[position][1]

    def _loglik(self, rules):
        """Training log-likelihood of the list ``rules``."""
        first = self.first_firing(rules)
        return float(_log_likelihood(self.cell_counts(first, len(rules) + 1)).sum())

    def _alive(self, rules):
        """``rules`` without those that capture no training weight."""
        alive = np.bincount(self.first_firing(rules), self.weight, minlength=len(rules) + 1)[:-1] > 0
        return [rule for rule, keep in zip(rules, alive) if keep]

    def _best_rule_at(self, rules, position, *, insert):
        """The rule to insert at ``position`` (or to put in place of the rule there)
        that most increases the log-likelihood of the whole list, and the increase;
        ``(0.0, None)`` when no rule does.

        A row reaching ``position`` that the new rule does not capture goes to the first
        of the following rules it satisfies, which does not depend on the new rule. So,
        with ``cell`` that following rule (or the default) for each row, the class counts
        of every cell for every candidate come from one histogram per cell:
        ``counts(cell) - counts(cell and candidate)``.
        """
        space = self.space
        reach = np.flatnonzero(self.first_firing(rules) >= position)  # rows reaching the position
        following = rules[position:] if insert else rules[position + 1 :]
        cell = self.first_firing(following, reach)  # (n_reach,)
        n_cells = len(following) + 1  # the following rules and the default
        totals = self.cell_counts(cell, n_cells, reach)  # (n_cells, K)

        def loglik(captured):
            """Log-likelihood of the list from ``position`` on, for candidates capturing
            ``captured`` (n_cells, K, ...) of each cell; -inf where a rule would capture
            too little or leave a following rule too little (nothing is allowed: it is
            then dropped). Cells and classes lead, so the sums run over whole arrays."""
            rest = totals.reshape(totals.shape + (1,) * (captured.ndim - 2)) - captured
            by_class = captured.sum(axis=0)  # (K, ...)
            support, rest_support = by_class.sum(axis=0), rest.sum(axis=1)  # (...), (n_cells, ...)
            valid = (support >= self.min_support) & (rest_support[-1] >= self.min_support)
            valid &= ((rest_support >= self.min_support) | (rest_support <= _RTOL * self.min_support)).all(axis=0)
            value = xlogy(by_class, by_class).sum(axis=0) - xlogy(support, support)
            value += xlogy(rest, rest).sum(axis=(0, 1)) - xlogy(rest_support, rest_support).sum(axis=0)
            return np.where(valid, value, -np.inf), support

        def extended(rule):
            """Counts per cell and class of ``rule`` and each condition: (n_cells, K, m)."""
            group = np.full(len(self.labels), -1)
            inside = space.rule_holds(rule, reach)
            group[reach[inside]] = cell[inside]
            hist = space.histogram(group, self.labels, self.hist_weight, n_cells, self.n_classes)
            counts = space.condition_counts(hist.reshape(space.n_bins, -1))  # (m, n_cells * K)
            return np.ascontiguousarray(counts.T).reshape(n_cells, self.n_classes, -1)

        if insert:
            current = float(_log_likelihood(totals).sum())
        else:
            inside = space.rule_holds(rules[position], reach)
            current = float(loglik(self.cell_counts(cell[inside], n_cells, reach[inside])[:, :, None])[0][0])
        best_value, best_rule = current + 1e-9 * max(1.0, abs(current)), None
        value, support = loglik(extended(()))
        level = [(value[i], support[i], (int(i),)) for i in _top(value, self.n_seeds)]
        for size in range(1, self.max_conditions + 1):
            if size > 1:
                grown = []
                for _, rule_support, rule in level:
                    value, support = loglik(extended(rule))
                    value = np.where(support < rule_support * (1 - _RTOL), value, -np.inf)
                    value[list(rule)] = -np.inf
                    grown += [(value[i], support[i], tuple(sorted(rule + (int(i),)))) for i in _top(value, self.n_seeds)]
                level = _distinct_best(grown, self.n_seeds)
            for value, _, rule in level:
                if value > best_value:
                    best_value, best_rule = float(value), rule
        if best_rule is None or (not insert and best_rule == rules[position]):
            return 0.0, None
        return best_value - current, best_rule
