"""Subtrees at the bottom of deep trees, read from tables by the linear pass.

The linear pass (:mod:`._linear`) carries, for every row and node, the product ``G`` of
the path features' factors at ``K`` quadrature nodes. Below a node ``u``, everything the
row changes is fixed by a few bits, the subtree's *state*: whether the row satisfies so
far each feature split both above ``u`` and inside the subtree, and the direction it
takes at each internal node of the subtree. For every state, a table holds

* ``J``: the sum over the subtree's leaves of their value times the product of the
  factor ratios from ``u`` down to them (``H(u) = G(u) * J``), and
* ``M_f``: for each feature ``f`` split inside the subtree, the sum over its edges on
  ``f`` of the edge's weight times that sum below the edge, so that the subtree adds
  ``sum_k G(u)_k M_f[k]`` to the value of ``f``.

So the rows skip the subtree's nodes: one table read and a dot product of length ``K``
per feature. The tables are built by the same pass run over the states instead of rows.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

_BUILD_CELLS = 2**22  # floats of work arrays while building one batch of tables


def _edge_factors(paths, children, parents, has_previous, t, w):
    """Factor ratios and weights of the edges into ``children``, at the quadrature nodes.

    A path feature's factor is ``r + t (1 - r)`` while the row satisfies its splits so
    far and ``r (1 - t)`` once it fails one (``r``: the product of the cover ratios of
    its splits so far). An edge multiplies ``G`` by the ratio of the factor after the
    edge to the factor before it, which depends on the case: the row satisfies the
    feature after and before the edge (0), only before (1), or neither (2).

    Returns
    -------
    ratios : ndarray of shape (m, 3, K)
        Factor ratio per case.
    weights : ndarray of shape (m, 3, K)
        The edge's weight ``w (h_after - h_before)`` per case, with
        ``h = (s - r) / factor``; zero in case "neither".
    """
    slot = paths.bit[children]
    r = np.maximum(paths.ratio[children, slot], 1e-300)[:, None]  # a zero cover would divide by zero
    r_before = np.where(has_previous, np.maximum(paths.ratio[parents, slot], 1e-300), 1.0)[:, None]
    satisfied, satisfied_before = r + t * (1.0 - r), r_before + t * (1.0 - r_before)
    ratios = np.stack(
        [
            satisfied / satisfied_before,
            r * (1.0 - t) / satisfied_before,
            np.broadcast_to(r / r_before, satisfied.shape),
        ],
        axis=1,
    )
    h_before = (1.0 - r_before) / satisfied_before
    only_before = w * (-1.0 / (1.0 - t) - h_before)
    both = w * ((1.0 - r) / satisfied - h_before)
    return ratios, np.stack([both, only_before, np.zeros_like(both)], axis=1)


def _reduction(rows, n_rows):
    """Sparse matrix adding column ``i`` of its operand into row ``rows[i]``."""
    rows = np.asarray(rows, np.intp).ravel()
    return sparse.csc_matrix((np.ones(len(rows)), rows, np.arange(len(rows) + 1)), shape=(n_rows, len(rows)))


def _group_rank(groups, n_groups):
    """Rank of each element among those of its group, in order, and the group sizes."""
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups, minlength=n_groups)
    start = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.empty(len(groups), np.intp)
    rank[order] = np.arange(len(groups)) - start[groups[order]]
    return rank, counts


def block_roots(ens, paths, in_trees, max_bits):
    """Roots of the subtrees read from tables, and what the tables need of them.

    A subtree qualifies when its state has at most ``max_bits`` bits: the number of its
    internal nodes plus the number of its split features already split above it.
    The roots are the highest qualifying internal nodes of the trees ``in_trees``.

    Returns
    -------
    roots : ndarray of int
    features : ndarray of shape (n_nodes, max_bits)
        The distinct split features of each qualifying subtree, -1 padded.
    above : ndarray of shape (n_nodes, width) bool
        For each node, which of its path feature slots are split again below it.
    """
    n, left, right = ens.n_nodes, ens.left, ens.right
    cap = max(int(max_bits), 1)
    features = np.full((n, cap), -1, np.intp)
    small = np.zeros(n, bool)
    for level in reversed(paths.levels):
        leaf = left[level] < 0
        small[level[leaf]] = True
        inner = level[~leaf]
        inner = inner[small[left[inner]] & small[right[inner]] & (paths.n_internal[inner] <= max_bits)]
        if len(inner) == 0:
            continue
        candidates = np.sort(
            np.concatenate([ens.feature[inner][:, None], features[left[inner]], features[right[inner]]], axis=1), axis=1
        )
        repeated = np.zeros(candidates.shape, bool)
        repeated[:, 1:] = candidates[:, 1:] == candidates[:, :-1]
        candidates[repeated] = -1
        features[inner] = -np.sort(-candidates, axis=1)[:, :cap]  # distinct features first
        small[inner] = True
    path = paths.features
    above = np.zeros(path.shape, bool)
    for j in range(cap):
        above |= (features[:, j, None] == path) & (features[:, j, None] >= 0)
    bits = above.sum(axis=1) + paths.n_internal
    eligible = small & (bits <= max_bits) & (left >= 0)
    parent = paths.parent
    parent_eligible = np.zeros(n, bool)
    parent_eligible[parent >= 0] = eligible[parent[parent >= 0]]
    return np.flatnonzero(eligible & ~parent_eligible & in_trees), features, above


class _SubtreeTables:
    """Tables ``J`` and ``M`` of the subtrees rooted at ``roots``, by number of features.

    Attributes
    ----------
    n_bits : ndarray of shape (n_blocks,)
        Bits of each subtree's state: its features split above it (``above``, in slot
        order), then the directions at its internal nodes (level order).
    n_features : ndarray of shape (n_blocks,)
    features : ndarray of shape (n_blocks, max_bits)
    above : ndarray of shape (n_blocks, width) bool
    J, M : dict of ndarray
        By number of features ``f``: ``J[f]`` of shape (n_states, width * K) and
        ``M[f]`` of shape (n_states, f * width * K), the states of the subtrees with
        ``f`` features one after the other from ``state_base``.
    direction : ndarray of shape (n_blocks, max_internal)
        Router rows of the subtrees' internal nodes, by bit after the features split
        above; -1 beyond.
    """

    def __init__(self, ens, paths, roots, features, above, t, w):
        self.roots = roots
        self.K, self.width = len(t), ens.value.shape[1]
        self.features = features[roots]
        self.n_features = (self.features >= 0).sum(axis=1)
        self.above = above[roots]
        self.n_bits = self.above.sum(axis=1) + paths.n_internal[roots]
        sizes = 2**self.n_bits
        self.state_base = np.zeros(len(roots), np.intp)
        self.J, self.M = {}, {}
        for f in np.unique(self.n_features):
            group = np.flatnonzero(self.n_features == f)
            self.state_base[group] = np.r_[0, np.cumsum(sizes[group])[:-1]]
            self.J[int(f)] = np.zeros((int(sizes[group].sum()), self.width * self.K))
            self.M[int(f)] = np.zeros((int(sizes[group].sum()), int(f) * self.width * self.K))
        node_bit = np.full(ens.n_nodes, -1, np.intp)
        node_block = np.full(ens.n_nodes, -1, np.intp)
        nodes = 2 * paths.n_internal[roots] + 1
        for n_bits in np.unique(self.n_bits):
            group = np.flatnonzero(self.n_bits == n_bits)
            # batches of subtrees whose work arrays stay within _BUILD_CELLS
            cells = nodes[group] * 2.0**n_bits * self.K * (self.width + 2)
            cuts = np.flatnonzero(np.diff(np.floor(np.cumsum(cells) / _BUILD_CELLS))) + 1
            for batch in np.split(group, cuts):
                self._build(ens, paths, batch, int(n_bits), t, w, node_bit, node_block)
        inner = np.flatnonzero(node_block >= 0)
        self.direction = np.full((len(roots), int(paths.n_internal[roots].max(initial=1))), -1, np.intp)
        block = node_block[inner]
        self.direction[block, node_bit[inner] - self.above[block].sum(axis=1)] = paths.gpos[inner]

    def _build(self, ens, paths, blocks, n_bits, t, w, node_bit, node_block):
        """The pass of :mod:`._linear` over the states of the subtrees ``blocks``."""
        left, right, K, width = ens.left, ens.right, self.K, self.width
        n_states = 2**n_bits
        states = np.arange(n_states)
        roots, nb, slots = self.roots[blocks], len(blocks), paths.features.shape[1]
        above = self.above[blocks]
        # Rows of ``satisfied``: one per (block, slot) holding the state's bit for the
        # features split above, then the edges met, then an always-true row (index -1).
        bit_of_slot = np.where(above, np.cumsum(above, axis=1) - 1, 0).ravel()
        n_edges = int(2 * paths.n_internal[roots].sum())
        satisfied = np.ones((nb * slots + n_edges + 1, n_states), bool)
        satisfied[: nb * slots] = ((states >> bit_of_slot[:, None]) & 1).astype(bool) | ~above.ravel()[:, None]
        last = np.where(above, np.arange(nb * slots).reshape(nb, slots), -1)
        size, frontier, block = nb * slots, roots, np.arange(nb)
        G = np.ones((nb, n_states, K))
        next_bit = above.sum(axis=1)
        top, levels = None, []
        feature_list = self.features[blocks]
        while True:
            inner = np.flatnonzero(left[frontier] >= 0)
            if len(inner) == 0:
                break
            top = inner if top is None else top
            parents, parent_block = frontier[inner], block[inner]
            rank, counts = _group_rank(parent_block, nb)
            bit = next_bit[parent_block] + rank
            next_bit += counts
            node_bit[parents], node_block[parents] = bit, blocks[parent_block]
            children = np.concatenate([left[parents], right[parents]])
            m, twice = len(children), np.concatenate([inner, inner])
            slot = paths.bit[children]
            previous = last[twice, slot]
            last = last[twice]
            last[np.arange(m), slot] = size + np.arange(m)
            both_parents = np.concatenate([parents, parents])
            ratios, weights = _edge_factors(paths, children, both_parents, previous >= 0, t, w)
            goes_left = ((states >> np.concatenate([bit, bit])[:, None]) & 1).astype(bool)
            ok = goes_left == (np.arange(m) < len(parents))[:, None]
            before = satisfied[previous]
            s = ok & before
            satisfied[size : size + m] = s
            case = np.subtract(2, before.view(np.int8), dtype=np.intp)
            case -= s.view(np.int8)
            case += 3 * np.arange(m)[:, None]
            g = ratios.reshape(3 * m, K).take(case, axis=0)  # (m, n_states, K)
            weight = weights.reshape(3 * m, K).take(case, axis=0)
            g.reshape(2, len(parents), n_states, K)[...] *= G[inner][None]
            leaf = left[children] < 0
            child_block = np.concatenate([parent_block, parent_block])
            feature_slot = np.argmax(feature_list[child_block] == ens.feature[both_parents][:, None], axis=1)
            levels.append((children, child_block, leaf, weight, g[leaf], feature_slot))
            size += m
            frontier, block, G = children, child_block, g
        fmax = feature_list.shape[1]
        below, targets, terms = None, [], []
        for children, child_block, leaf, weight, g_leaf, feature_slot in reversed(levels):
            m = len(children)
            H = np.empty((m, n_states, width, K))
            H[leaf] = ens.value[children[leaf]][:, None, :, None] * g_leaf[:, :, None, :]
            if below is not None:
                half = len(below) // 2
                H[~leaf] = below[:half] + below[half:]
            terms.append((weight[:, :, None, :] * H).reshape(m, -1))
            targets.append(child_block * fmax + feature_slot)
            below = H
        M = _reduction(np.concatenate(targets), nb * fmax) @ np.concatenate(terms)
        J = np.empty((nb, n_states, width * K))
        half = len(below) // 2
        J[top] = (below[:half] + below[half:]).reshape(len(top), n_states, width * K)
        M = M.reshape(nb, fmax, n_states, width * K)
        n_features = self.n_features[blocks]
        for f in np.unique(n_features):
            chosen = np.flatnonzero(n_features == f)
            index = (self.state_base[blocks[chosen]][:, None] + states).ravel()
            self.J[int(f)][index] = J[chosen].reshape(-1, width * K)
            self.M[int(f)][index] = M[chosen, :f].transpose(0, 2, 1, 3).reshape(len(index), -1)

    def cells(self):
        """Floats held by the tables."""
        return sum(a.size for a in self.J.values()) + sum(a.size for a in self.M.values())
