"""Growing a sum of small trees greedily together, on histograms over the core's bins.

The model is ``F(x) = sum over trees of value[leaf the row reaches]``. It starts as one
tree of a single leaf holding the initial prediction (the weighted mean, or the prior
log-odds); each step adds the one split that lowers the loss most, among every split of
every current leaf and every split of a new tree's root (Tan et al. 2022, FIGS). A split
of a leaf moves the rows of its two children by a Newton step, ``-G / (H + l2)`` of the
children's summed gradients and hessians (for the squared loss and ``l2=0``, the mean
residual).

Every candidate is scored from histograms: per slot (a leaf that may be split, or the
potential new root, which holds every row), per bin of every feature, the sums of the
gradients, hessians and weights, one ``np.bincount`` per column over a flattened ``(slot,
bin)`` index, as HistGradientBoosting does. A split changes the predictions of
its rows only, so only their gradients are updated: the histograms of the two new
leaves are counted from those rows, and every other slot the rows belong to (a leaf of
each other tree, and the new-root slot) gets the change of their gradients added.

Candidate splits of a feature (bins of :func:`~glassbox._core.fit_bins`; the last bin of
every feature holds its missing values):

- a numeric feature: ``x <= threshold`` between two consecutive value bins;
- a categorical feature: one level against the rest, ``x != level`` on the left;
- either, with missing values sent to the side that lowers the loss (to the larger
  child when the leaf holds none);
- any feature: present against missing values, ``x is not missing`` on the left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from .._core import softmax_rows

__all__ = ["GrownTree", "grow_tree_sum", "make_loss"]

# Split operators of the grown nodes, as TreeNodes spells them.
_OPS = ("<=", "!=", "not missing")
_LE, _NE, _NOT_MISSING = 0, 1, 2
# Kinds of bin: a numeric bin that a threshold may follow, the last numeric value bin,
# a category level, the missing bin.
_THRESHOLD, _LAST_VALUE, _LEVEL, _MISSING = 0, 1, 2, 3
_RELATIVE_TOLERANCE = 1e-12  # with min_gain=0, a split must still lower the loss by more than rounding
_TIE_TOLERANCE = 1e-9  # gains this close (relatively) are equal
_ONE_COUNT_CELLS = 4096  # up to this many (row, feature) cells, the columns are counted in one np.bincount


# -- losses -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Loss:
    """Gradients and hessians of a loss in the raw score ``F`` (n_samples, n_outputs)."""

    name: str  # "squared_error", "log_loss" (binary) or "softmax" (multiclass)
    l2: float = 0.0  # added to the hessian sum of a leaf: a ridge penalty on its value

    @property
    def constant_hessian(self) -> bool:
        """The squared loss's hessian is the row weight: it changes with the tree structure only."""
        return self.name == "squared_error"

    def initial(self, Y, w):
        """The best constant score, shape (n_outputs,)."""
        mean = np.average(Y, axis=0, weights=w)
        if self.name == "squared_error":
            return mean
        prior = np.clip(mean, 1e-12, 1 - 1e-12)
        if self.name == "log_loss":
            return np.log(prior / (1 - prior))
        return np.log(prior) - np.log(prior).mean()

    def gradients(self, F, Y, w):
        """``(g, h)`` of shapes (n, n_outputs) and (n, n_outputs), or (n, 1) for a constant hessian."""
        if self.name == "squared_error":
            return w[:, None] * (F - Y), w[:, None]
        p = expit(F) if self.name == "log_loss" else softmax_rows(F)
        return w[:, None] * (p - Y), w[:, None] * np.maximum(p * (1 - p), 1e-16)

    def deviance(self, F, Y, w):
        """The weighted squared error, or twice the weighted log-loss, of the scores ``F``: the
        unit of a split's gain (the decrease of the second-order loss it scores)."""
        if self.name == "squared_error":
            return float(w @ ((F - Y) ** 2).sum(axis=1))
        if self.name == "log_loss":
            log_p = -np.logaddexp(0.0, np.where(Y > 0.5, -F, F))  # log P(the row's class)
        else:
            log_p = (Y * _log_softmax(F)).sum(axis=1, keepdims=True)
        return float(-2.0 * (w @ log_p.sum(axis=1)))


def _log_softmax(F):
    """The log-softmax of each row: scipy's arithmetic without its per-call dispatch."""
    top = np.max(F, axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0
    shifted = F - top
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def make_loss(name: str, l2: float = 0.0) -> _Loss:
    """The loss ``"squared_error"``, ``"log_loss"`` (one log-odds) or ``"softmax"``."""
    return _Loss(name, l2)


# -- the result --------------------------------------------------------------------------
@dataclass
class GrownTree:
    """One grown tree as growing lists of node attributes (node 0 the root)."""

    value: list  # (n_outputs,) arrays: the leaf values while the node was a leaf
    weight: list  # training weight reaching the node
    count: list  # training rows of positive weight reaching the node
    depth: list
    left: list = field(default_factory=list)
    right: list = field(default_factory=list)
    feature: list = field(default_factory=list)
    op: list = field(default_factory=list)  # "<=", "!=", "not missing"; "" at a leaf
    threshold: list = field(default_factory=list)  # threshold, level code or inf; NaN at a leaf
    missing_left: list = field(default_factory=list)
    row_leaf: np.ndarray | None = None  # (n_samples,) the leaf of each training row

    @classmethod
    def leaf(cls, value, weight, count):
        tree = cls(value=[], weight=[], count=[], depth=[])
        tree.add_node(value, weight, count, 0)
        return tree

    def add_node(self, value, weight, count, depth):
        self.value.append(np.asarray(value, dtype=np.float64))
        self.weight.append(float(weight))
        self.count.append(int(count))
        self.depth.append(depth)
        self.left.append(-1)
        self.right.append(-1)
        self.feature.append(-1)
        self.op.append("")
        self.threshold.append(np.nan)
        self.missing_left.append(False)
        return len(self.value) - 1


# -- the histogram layout ------------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    """Where each feature's bins sit on the flat bin axis, and which splits each bin offers.

    A numeric feature's bins are its value bins then its missing bin; a categorical
    feature's, its levels then its missing bin.
    """

    offset: np.ndarray  # (n_features,) first flat bin of each feature
    counts: np.ndarray  # (n_features,) bins of each feature
    n_bins: int  # total bins over the features
    feature: np.ndarray  # (n_bins,) feature of each flat bin
    local: np.ndarray  # (n_bins,) bin index within its feature
    kind: np.ndarray  # (n_bins,) _THRESHOLD, _LAST_VALUE, _LEVEL or _MISSING
    levels: np.ndarray  # flat bins of the category levels
    missing: np.ndarray  # (n_features,) flat missing bin of each feature
    missing_left_bins: np.ndarray  # flat bins that may send missing values left
    level_features: np.ndarray  # feature of each level bin
    disallowed: np.ndarray  # (n_bins,) bins whose split may not send missing values right (the last value)
    disallowed_left: np.ndarray  # for missing_left_bins: whose split may not send them left ("missing")
    missing_of_left_bins: np.ndarray  # the missing bin of each of missing_left_bins' features

    @classmethod
    def from_bins(cls, bins, had_missing):
        counts = np.asarray(bins.n_bins, dtype=np.intp)
        offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        feature = np.repeat(np.arange(len(counts)), counts)
        local = np.arange(counts.sum()) - offset[feature]
        last = counts[feature] - 1
        categorical = bins.is_categorical[feature]
        kind = np.where(categorical, _LEVEL, np.where(local == last - 1, _LAST_VALUE, _THRESHOLD))
        kind = np.where(local == last, _MISSING, kind)
        missing_left = np.flatnonzero(had_missing[feature] & ((kind == _THRESHOLD) | (kind == _LEVEL)))
        levels, missing = np.flatnonzero(kind == _LEVEL), offset + counts - 1
        return cls(offset, counts, int(counts.sum()), feature, local, kind, levels, missing, missing_left,
                   feature[levels], kind == _LAST_VALUE, kind[missing_left] == _MISSING, missing[feature[missing_left]])


# -- split finding ------------------------------------------------------------------------
@dataclass
class _Best:
    """The best split of each evaluated slot."""

    gain: np.ndarray  # (n_slots,) -inf where none is valid
    bin: np.ndarray  # (n_slots,) flat bin of the split
    missing_left: np.ndarray  # (n_slots,) bool
    left: np.ndarray  # (n_slots, n_columns) histogram sums of the left child
    right: np.ndarray  # (n_slots, n_columns) and of the right child


def _best_splits(A, layout, n_outputs, min_samples_leaf, l2):
    """Best split of every slot from its histograms ``A`` (n_slots, n_columns, n_bins).

    The columns are the gradient sums (``n_outputs``), the hessian sums (1 or
    ``n_outputs``) and the rows' weights. A split is scored by its decrease of the
    second-order loss, ``sum_k G_k^2 / (H_k + l2)`` over the children minus the leaf's;
    both children must hold a training weight of ``min_samples_leaf`` (rows, for unit
    weights). Every slot is scored in one pass over the array: the number of numpy
    calls does not grow with the slots.
    """
    n_slots = len(A)
    left = np.cumsum(A, axis=2)  # (n_slots, n_columns, n_bins)
    end = left[:, :, layout.missing]  # (n_slots, n_columns, n_features)
    before = np.concatenate([np.zeros_like(end[:, :, :1]), end[:, :, :-1]], axis=2)
    present = left[:, :, layout.missing - 1] - before  # every value bin of each feature
    left -= before[:, :, layout.feature]  # the feature's bins up to this one
    if len(layout.levels):
        left[:, :, layout.levels] = present[:, :, layout.level_features] - A[:, :, layout.levels]  # other levels
    left[:, :, layout.missing] = present  # present against missing values
    total = end[:, :, :1]  # (n_slots, n_columns, 1): every row once (the first feature's bins)

    # Missing values to the right (or present against missing); then to the left, for the
    # bins of the features that held missing values at fit (elsewhere it is the same split).
    bins_left = layout.missing_left_bins
    sides = [(left, layout.disallowed)]
    if len(bins_left):
        left_with_missing = left[:, :, bins_left] + A[:, :, layout.missing_of_left_bins]
        sides.append((left_with_missing, layout.disallowed_left))
    least = min_samples_leaf * (1 - _TIE_TOLERANCE)  # weights summed in another order
    slots = np.arange(n_slots)
    best = []
    for side, disallowed in sides:
        score = _children_score(side, total, n_outputs, l2)  # (n_slots, n_side_bins)
        rows = side[:, -1]
        score[(rows < least) | (total[:, -1] - rows < least) | disallowed] = -np.inf
        choice = _first_best(score, axis=1)
        best.append((score[slots, choice], choice))
    to_left = np.zeros(n_slots, dtype=bool)
    score, b = best[0]
    chosen = left[slots, :, b]  # (n_slots, n_columns)
    if len(best) == 2:  # missing values left only where strictly better
        margin = _TIE_TOLERANCE * np.abs(np.where(np.isfinite(score), score, 0.0))
        to_left = best[1][0] > score + margin
        if to_left.any():
            score = np.where(to_left, best[1][0], score)
            b = np.where(to_left, bins_left[best[1][1]], b)
            chosen = np.where(to_left[:, None], left_with_missing[slots, :, best[1][1]], chosen)
    total = total[:, :, 0]
    gain = score - _score(total, n_outputs, l2)
    # Where the leaf holds no missing value of the feature, they go to the larger child.
    no_missing = A[slots, -1, layout.missing[layout.feature[b]]] == 0
    rows_left = chosen[:, -1]
    missing_left = np.where(no_missing, rows_left >= total[:, -1] - rows_left, to_left)
    return _Best(gain, b, missing_left, chosen, total - chosen)


def _children_score(left, total, n_outputs, l2):
    """``sum_k G_k^2 / (H_k + l2)`` over both children of every candidate, shape (n_slots, n_bins)."""
    G, H = left[:, :n_outputs], left[:, n_outputs:-1]
    right = total[:, :n_outputs] - G  # the right child's G, then its score
    H_right = total[:, n_outputs:-1] - H
    right *= right
    H_right += l2
    right /= H_right
    score = G * G
    score /= H + l2
    score += right  # 0 / 0 where a side is empty: dropped
    return score[:, 0] if n_outputs == 1 else score.sum(axis=1)


def _first_best(gain, axis=None):
    """The first position of the largest gain along ``axis``, counting as equal the gains
    within rounding error of it: equal splits are chosen in a fixed order (first feature,
    first threshold), whether rows come repeated or weighted."""
    top = np.max(gain, axis=axis, keepdims=axis is not None)
    return np.argmax(gain >= top - _TIE_TOLERANCE * np.abs(top), axis=axis)


def _score(sums, n_outputs, l2):
    """``sum_k G_k^2 / (H_k + l2)`` of histogram sums (..., n_columns)."""
    G, H = sums[..., :n_outputs], sums[..., n_outputs:-1]
    return (G * G / (H + l2)).sum(axis=-1)


# -- growth ----------------------------------------------------------------------------
class _Histograms:
    """Per slot, column and flat bin: sums of gradients, hessians and weights, shape
    (capacity, n_columns, n_bins), with each slot's best split once it is scored.

    Slots are reused once their leaf is split; the arrays grow when every slot is taken.
    ``dirty`` marks the slots whose sums changed since their best split was found.
    """

    def __init__(self, n_bins, n_columns, capacity):
        self.n_bins = n_bins
        self.A = np.zeros((capacity, n_columns, n_bins))
        self.free = list(range(capacity))[::-1]
        self.dirty = np.zeros(capacity, dtype=bool)
        self.gain = np.full(capacity, -np.inf)  # the cached best split of each slot
        self.bin = np.zeros(capacity, dtype=np.intp)
        self.missing_left = np.zeros(capacity, dtype=bool)
        self.sums = np.zeros((capacity, 2, n_columns))  # its left and right children's sums

    def take(self):
        if not self.free:
            capacity = len(self.A)
            for name in ("A", "dirty", "gain", "bin", "missing_left", "sums"):
                array = getattr(self, name)
                setattr(self, name, np.concatenate([array, np.zeros_like(array)]))
            self.free = list(range(2 * capacity - 1, capacity - 1, -1))
        return self.free.pop()

    def release(self, slot):
        self.A[slot] = 0.0
        self.free.append(slot)

    def score(self, slots, layout, n_outputs, min_samples_leaf, l2):
        """Find and keep the best split of each of ``slots`` (an int array)."""
        with np.errstate(divide="ignore", invalid="ignore"):  # empty sides score 0 / 0, then -inf
            best = _best_splits(self.A[slots], layout, n_outputs, min_samples_leaf, l2)
        self.gain[slots], self.bin[slots], self.missing_left[slots] = best.gain, best.bin, best.missing_left
        self.sums[slots, 0], self.sums[slots, 1] = best.left, best.right
        self.dirty[slots] = False

    def add(self, slots, codes, values, more=None):
        """Add rows' ``values`` into the first columns of their slots; mark those slots dirty.

        ``slots`` has shape (n,) or (m, n): one slot per row, or per row in each of ``m``
        trees (-1: none); ``values`` (n, k) holds the rows' values for every slot row, or
        (m, n, k) one set per slot row; ``codes`` (n, n_features) holds the rows' flat
        bins. ``more``: another ``(slots, values)`` pair of the same rows, counted in the
        same pass after the first, with as many columns or more. The rows are counted
        into the touched slots only, by ``np.bincount`` over a flat ``(column, slot,
        bin)`` index (rows without a slot into one more slot per column, dropped).
        Returns the touched slots.
        """
        groups = [(np.atleast_2d(slots), values)] + ([(np.atleast_2d(more[0]), more[1])] if more is not None else [])
        capacity, n_bins = len(self.A), self.n_bins
        seen = np.zeros(capacity + 1, dtype=bool)
        for group_slots, _ in groups:
            seen[group_slots.ravel() + 1] = True
        touched = np.flatnonzero(seen[1:])
        if not len(touched):
            return touched
        self.dirty[touched] = True
        compact = np.full(capacity + 1, len(touched))
        compact[touched + 1] = np.arange(len(touched))
        n_rows, n_features = codes.shape
        size = len(touched) * n_bins
        block = size + n_bins  # each column's sums, then the dropped rows without a slot
        n_columns = groups[-1][1].shape[-1]
        # Every cell's flat (slot, bin), group after group; each column's value of every
        # cell, laid out as the cells, in one broadcast copy per group: the columns every
        # group has over all cells, the others over the last group's cells only.
        all_slots = np.concatenate([group_slots for group_slots, _ in groups]) if len(groups) == 2 else groups[0][0]
        cells = ((compact[all_slots + 1] * n_bins)[:, :, None] + codes).ravel()
        shared = groups[0][1].shape[-1]
        weights = np.empty((shared, len(all_slots), n_rows, n_features))
        extra = np.empty((n_columns - shared, len(groups[-1][0]), n_rows, n_features))
        start = 0
        for group_slots, group_values in groups:
            by_row = group_values.T[:, None] if group_values.ndim == 2 else group_values.transpose(2, 0, 1)
            weights[:, start:start + len(group_slots)] = by_row[:shared, :, :, None]
            start += len(group_slots)
        extra[...] = by_row[shared:, :, :, None]
        weights = weights.reshape(shared, len(cells))
        extra = extra.reshape(n_columns - shared, len(groups[-1][0]) * n_rows * n_features)
        last_cells = cells[len(cells) - extra.shape[1]:]

        def column(c):
            return (cells, weights[c]) if c < shared else (last_cells, extra[c - shared])

        # Every column in one np.bincount while the cells are few (the calls cost more than
        # the counting), one per column otherwise (faster on many rows): the same sums,
        # added in the same order.
        if len(cells) <= _ONE_COUNT_CELLS:
            parts = [column(c) for c in range(n_columns)]
            index = np.concatenate([cell + block * c for c, (cell, _) in enumerate(parts)])
            counts = np.bincount(index, np.concatenate([v for _, v in parts]), minlength=n_columns * block)
            sums = counts.reshape(n_columns, block)[:, :size]
            self.A[touched, :n_columns] += sums.reshape(n_columns, len(touched), n_bins).transpose(1, 0, 2)
        else:
            for c in range(n_columns):
                sums = np.bincount(*column(c), minlength=block)[:size]
                self.A[touched, c] += sums.reshape(len(touched), n_bins)
        return touched


def grow_tree_sum(binned, bins, Y, w, loss, *, max_splits, max_trees, max_depth, min_samples_leaf, min_gain=0.0):
    """Grow the trees greedily together; see the module docstring.

    Parameters
    ----------
    binned : ndarray of int of shape (n_samples, n_features)
        Bin of every cell (:func:`~glassbox._core.apply_bins` of ``bins``).
    bins : Bins
    Y : ndarray of shape (n_samples, n_outputs)
        The target: values, a 0/1 column or one-hot classes.
    w : ndarray of shape (n_samples,)
        Row weights.
    loss : _Loss
    max_splits, max_trees, max_depth, min_samples_leaf
        The budget and limits (``None`` for no limit on trees or depth).
    min_gain : float, default=0.0
        The least decrease of the deviance (:meth:`_Loss.deviance`) a split must bring,
        as a share of the constant model's deviance.

    Returns
    -------
    trees : list of GrownTree
        The first tree holds the initial prediction; ``row_leaf`` the leaf of each row
        of ``binned``. The growth stops before
        ``max_splits`` splits when no split lowers the deviance by ``min_gain`` of the
        constant model's.
    """
    had_missing = (binned == np.asarray(bins.n_bins) - 1).any(axis=0)
    layout = _Layout.from_bins(bins, had_missing)
    codes = binned.astype(np.intp) + layout.offset  # (n_samples, n_features) flat bins
    n_samples, n_outputs = Y.shape
    positive = (w > 0).astype(np.float64)[:, None]  # rows that count
    F = np.tile(loss.initial(Y, w), (n_samples, 1))
    g, h = loss.gradients(F, Y, w)
    # A split must lower the deviance by a share min_gain of the constant model's.
    tolerance = max(min_gain, _RELATIVE_TOLERANCE) * loss.deviance(F, Y, w)

    least = min_samples_leaf * (1 - _TIE_TOLERANCE)  # the least weight of a leaf, as _best_splits reads it
    hist = _Histograms(layout.n_bins, n_outputs + h.shape[1] + 1, capacity=min(2 * max_splits + 2, 64))
    new_root, first = hist.take(), hist.take()  # the potential new tree, and the first tree's root
    # The last histogram column is the rows' weight: min_samples_leaf bounds a leaf's
    # training weight, so a row of weight 2 counts as two rows, as repeating it would.
    hist.add(np.full(n_samples, first), codes, np.hstack([g, h, w[:, None]]))
    hist.A[new_root] = hist.A[first]
    hist.dirty[new_root] = True
    track_root = max_trees is None or max_trees > 1
    owner = {first: (0, 0), new_root: (-1, 0)}  # slot -> (tree, node); tree -1 is a new tree
    trees = [GrownTree.leaf(F[0], w.sum(), positive.sum())]
    trees[0].row_leaf = np.zeros(n_samples, dtype=np.intp)
    # Per tree, the slot of each row's leaf; the row after the last tree's is the new root's
    # (every row), so the other slots of a split's rows are one gather.
    row_slot = np.full((min(8, max_splits + 2), n_samples), new_root, dtype=np.intp)
    row_slot[0] = first
    active = [first]  # leaves that may be split, oldest first: they win ties
    root_open = False
    for _ in range(max_splits):
        candidates = np.asarray(active + ([new_root] if root_open else []), dtype=np.intp)
        if not len(candidates):
            break
        stale = candidates[hist.dirty[candidates]]
        if len(stale):
            hist.score(stale, layout, n_outputs, min_samples_leaf, loss.l2)
            # A leaf without a valid split never has one (validity depends on its rows'
            # weights only): it is scored no more.
            if np.isneginf(hist.gain[stale]).any():
                active = [s for s in active if hist.gain[s] != -np.inf]
        gains = hist.gain[candidates]
        if not gains.max() > tolerance:
            break
        slot = int(candidates[_first_best(gains)])
        flat_bin, missing_left = int(hist.bin[slot]), bool(hist.missing_left[slot])
        sums_left, sums_right = hist.sums[slot]
        tree_id, node = owner.pop(slot)
        if tree_id < 0:  # the root of a new tree: it starts as a leaf of value 0
            tree_id = len(trees)
            trees.append(GrownTree.leaf(np.zeros(n_outputs), w.sum(), positive.sum()))
            trees[-1].row_leaf = np.zeros(n_samples, dtype=np.intp)
            if len(row_slot) < len(trees) + 1:
                row_slot = np.concatenate([row_slot, np.full_like(row_slot, new_root)])
            owner[new_root] = (-1, 0)
        tree = trees[tree_id]
        rows = np.flatnonzero(row_slot[tree_id] == slot)

        # The split, and the side of each of its rows.
        j, local, kind = int(layout.feature[flat_bin]), int(layout.local[flat_bin]), int(layout.kind[flat_bin])
        column = binned[rows, j]
        is_missing = column == bins.n_bins[j] - 1
        if kind == _MISSING:
            op, threshold, missing_left = _NOT_MISSING, np.inf, False
            goes_left = ~is_missing
        elif kind == _LEVEL:
            op, threshold = _NE, float(local)
            goes_left = np.where(is_missing, missing_left, column != local)
        else:
            op, threshold = _LE, float(bins.thresholds[j][local])
            goes_left = np.where(is_missing, missing_left, column <= local)
        steps = [-s[:n_outputs] / (s[n_outputs:-1] + loss.l2) for s in (sums_left, sums_right)]  # Newton steps
        depth = tree.depth[node] + 1
        w_rows = w[rows]
        children = [
            tree.add_node(tree.value[node] + step, w_rows[side].sum(), positive[rows[side]].sum(), depth)
            for side, step in zip((goes_left, ~goes_left), steps)
        ]
        tree.left[node], tree.right[node] = children
        tree.row_leaf[rows] = np.where(goes_left, children[0], children[1])
        tree.feature[node], tree.op[node], tree.threshold[node] = j, _OPS[op], threshold
        tree.missing_left[node] = missing_left

        # The rows' new scores and gradients; the change goes to every other slot they are in.
        F[rows] += np.where(goes_left[:, None], steps[0], steps[1])
        g_new, h_new = loss.gradients(F[rows], Y[rows], w_rows)
        change = g_new - g[rows] if loss.constant_hessian else np.hstack([g_new - g[rows], h_new - h[rows]])
        g[rows] = g_new
        if not loss.constant_hessian:
            h[rows] = h_new
        n_slot_rows = len(trees) + track_root  # the trees', then the new root's
        others = row_slot[np.flatnonzero(np.arange(n_slot_rows) != tree_id)[:, None], rows]

        # The two new leaves, counted from their rows.
        if slot != new_root:
            hist.release(slot)
        active = [s for s in active if s != slot]
        # A leaf too deep, or too light for two children of min_samples_leaf, gets no slot:
        # it can never be split, so its sums are never needed.
        new_slots = [-1, -1]
        if max_depth is None or depth < max_depth:
            for side, child in enumerate(children):
                if tree.weight[child] >= 2 * least:
                    new_slots[side] = hist.take()
                    owner[new_slots[side]] = (tree_id, child)
                    active.append(new_slots[side])
                    hist.dirty[new_slots[side]] = True
        child_slots = np.where(goes_left, new_slots[0], new_slots[1])
        row_slot[tree_id, rows] = child_slots
        # One count for the other slots (the change of the gradients; the weights stay)
        # and the new leaves (their rows' sums), in this order.
        hist.add(others, codes[rows], change, more=(child_slots, np.hstack([g_new, h_new, w_rows[:, None]])))
        root_open = track_root and (max_trees is None or len(trees) < max_trees)
    return trees
