"""Paths of the nodes of a tree ensemble, the router and the descent of fail patterns."""

from __future__ import annotations

import numpy as np

from ..._core import tree_parents


class _Paths:
    """Root-to-node paths of every node of an ensemble, computed level by level.

    Attributes
    ----------
    levels : list of ndarray
        Nodes at depth 0, 1, ...
    parent, is_left : ndarray of shape (n_nodes,)
    n_unique : ndarray of shape (n_nodes,)
        Distinct features on the path from the root to the node (``d``).
    features : ndarray of shape (n_nodes, width)
        Those features in order of first use on the path; -1 beyond ``n_unique``.
    bit : ndarray of shape (n_nodes,)
        Slot, in the path features of the node, of its parent's split feature.
    ratio : ndarray of shape (n_nodes, width)
        Product of the cover ratios of the path's splits on each path feature.
    n_internal : ndarray of shape (n_nodes,)
        Internal nodes in the subtree of the node.
    internal : ndarray of shape (n_internal,)
        The internal nodes, sorted by split feature: the rows of ``goes_left``.
    gpos : ndarray of shape (n_nodes,)
        Row of an internal node in ``goes_left``, -1 at leaves.
    """

    def __init__(self, ens):
        n = ens.n_nodes
        left, right = ens.left, ens.right
        levels = ens.levels()
        parent = tree_parents(left, right)
        is_left = np.zeros(n, bool)
        is_left[left[left >= 0]] = True
        width = max(1, min(len(levels) - 1, ens.n_model_features))
        features = np.full((n, width), -1, np.intp)
        n_unique = np.zeros(n, np.intp)
        bit = np.full(n, -1, np.intp)
        ratio = np.ones((n, width))
        cover = ens.cover.astype(np.float64, copy=False)
        flat_features, flat_ratio = features.reshape(-1), ratio.reshape(-1)
        for children in levels[1:]:
            # A child's path is its parent's, with the parent's feature added (a new
            # slot) or its ratio updated; written row by row, then the one slot per
            # child through flat indices (2-d fancy indexing costs twice as much).
            p = parent[children]
            f = ens.feature[p]
            path = features[p]
            features[children] = path
            match = path == f[:, None]
            first = match.argmax(axis=1)
            found = match[np.arange(len(children)), first]
            slot = np.where(found, first, n_unique[p])
            flat = children * width + slot
            flat_features[flat] = f
            n_unique[children] = n_unique[p] + ~found
            bit[children] = slot
            ratio[children] = ratio[p]
            with np.errstate(invalid="ignore", divide="ignore"):
                step = np.where(cover[p] > 0, cover[children] / cover[p], 0.0)
            flat_ratio[flat] *= step
        n_internal = np.zeros(n, np.intp)
        for level in reversed(levels):
            inner = level[left[level] >= 0]
            n_internal[inner] = 1 + n_internal[left[inner]] + n_internal[right[inner]]
        internal = np.flatnonzero(left >= 0)
        internal = internal[np.argsort(ens.feature[internal], kind="stable")]
        gpos = np.full(n, -1, np.intp)
        gpos[internal] = np.arange(len(internal))
        self.levels, self.parent, self.is_left = levels, parent, is_left
        self.features, self.n_unique, self.bit, self.ratio = features, n_unique, bit, ratio
        self.n_internal, self.internal, self.gpos = n_internal, internal, gpos

    def with_ancestors(self, targets):
        """Mask of the nodes ``targets`` and every node above them, shape (n_nodes,)."""
        keep = np.zeros(len(self.parent), bool)
        keep[targets] = True
        for level in reversed(self.levels[1:]):
            keep[self.parent[level[keep[level]]]] = True
        return keep


class _Router:
    """Which way every row goes at every internal node, for all nodes at once."""

    def __init__(self, ens, internal):
        self.ens = ens
        # Internal nodes come sorted by feature, unless by player (groups of columns): then
        # they are compared in runs of one column and put back in their order.
        order = np.argsort(ens.feature[internal], kind="stable")
        self.order = None if np.array_equal(order, np.arange(len(order))) else order
        by_column = internal[order]
        features = ens.feature[by_column]
        bounds = np.r_[0, np.flatnonzero(np.diff(features)) + 1, len(features)]
        self.groups = [(int(features[s]), s, e) for s, e in zip(bounds[:-1], bounds[1:]) if e > s]
        self.thresholds = ens.threshold[by_column]
        self.missing_left = ens.missing_left[by_column]
        self.internal = internal
        self.special = None  # rows of the splits that are not plain thresholds
        categorical = ens.categorical
        if categorical is not None and categorical[internal].any():
            self.special = np.flatnonzero(categorical[internal])

    def __call__(self, XT):
        """``goes_left`` of shape (n_internal + 1, n_rows) for model-input columns ``XT``.

        The last row is always False: padding indices read it.
        """
        n_rows = XT.shape[1]
        out = np.empty((len(self.internal) + 1, n_rows), bool)
        out[-1] = False
        work = out if self.order is None else np.empty((len(self.internal), n_rows), bool)
        for f, s, e in self.groups:
            x = XT[f]
            np.greater_equal.outer(self.thresholds[s:e], x, out=work[s:e])
            missing = np.isnan(x)
            if missing.any():
                work[s:e, missing] = self.missing_left[s:e, None]
        if self.order is not None:
            out[self.order] = work
        if self.special is not None:
            nodes = np.repeat(self.internal[self.special][:, None], n_rows, axis=1)
            out[self.special] = self.ens.route(nodes, XT[self.ens.feature[nodes[:, 0]]])
        return out


class _Descent:
    """Fail patterns at chosen nodes, by one pass down the levels above them.

    The fail pattern of a node has bit ``k`` set when the row fails a split on the
    ``k``-th distinct feature of the node's path. A child's pattern is its parent's
    with the bit of the parent's feature set when the row goes the other way. Every
    needed parent computes both children at once, level by level; int16 holds the
    patterns of tables (at most _MAX_TABLE_BITS bits), int64 those of deep leaves.
    """

    def __init__(self, paths, targets, dtype=np.int16):
        self.dtype = dtype
        n = len(paths.parent)
        keep = paths.with_ancestors(targets)
        left_of = np.full(n, -1, np.intp)
        right_of = np.full(n, -1, np.intp)
        children = np.flatnonzero(paths.parent >= 0)
        left_of[paths.parent[children[paths.is_left[children]]]] = children[paths.is_left[children]]
        right_of[paths.parent[children[~paths.is_left[children]]]] = children[~paths.is_left[children]]
        pos = np.full(n, -1, np.intp)
        frontier = paths.levels[0][keep[paths.levels[0]]]
        pos[frontier] = np.arange(len(frontier))
        self.n_roots = len(frontier)
        size = len(frontier)
        self.steps = []
        while True:
            parents = frontier[(left_of[frontier] >= 0) & (keep[left_of[frontier]] | keep[right_of[frontier]])]
            if len(parents) == 0:
                break
            m = len(parents)
            left, right = left_of[parents], right_of[parents]
            pos[left] = size + np.arange(m)
            pos[right] = size + m + np.arange(m)
            self.steps.append(
                (
                    pos[parents],
                    paths.gpos[parents],
                    np.left_shift(1, paths.bit[left]).astype(dtype)[:, None],
                    np.left_shift(1, paths.bit[right]).astype(dtype)[:, None],
                    size,
                    m,
                )
            )
            size += 2 * m
            frontier = np.concatenate([left, right])
            frontier = frontier[keep[frontier]]
        self.size = size
        self.targets = pos[targets]

    def __call__(self, goes_left):
        """Fail patterns of the targets, shape (n_targets, n_rows)."""
        fail = np.empty((self.size, goes_left.shape[1]), self.dtype)
        fail[: self.n_roots] = 0
        for parent, gpos, left_bit, right_bit, start, m in self.steps:
            left = goes_left[gpos]
            known = fail[parent]
            np.bitwise_or(known, np.where(left, 0, left_bit), out=fail[start : start + m])
            np.bitwise_or(known, np.where(left, right_bit, 0), out=fail[start + m : start + 2 * m])
        return fail[self.targets]
