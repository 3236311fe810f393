"""Oblivious (symmetric) trees: one table per tree, indexed by the leaf a row reaches.

In an oblivious tree, as CatBoost grows them, every node of a level splits on the same
feature at the same threshold: a row's path is fixed by ``D`` direction bits ``G`` (bit
``k``: it goes left at level ``k``), and every leaf shares the same ``d <= D`` path
features. For the leaf whose own directions are ``L``, the row fails exactly the
features of the levels where ``G`` and ``L`` differ: its fail pattern is
``M[G ^ L]``, with ``M`` mapping a set of levels to the set of their features' slots.
So the whole tree is one table over the ``2**D`` values of ``G``::

    T[j, G] = sum over leaves L of value(L) * table_L[j, M[G ^ L]]

built from the leaf tables of :mod:`._tables` (path-dependent or interventional) by
one gather and one sum, and explaining a row reads ``d`` entries per tree after
``D`` comparisons, instead of descending fail patterns through the ``2**D - 1`` nodes.
"""

from __future__ import annotations

import numpy as np

from ._slots import SlotReader
from ._tables import _interventional_tables, _path_dependent_tables

MAX_DEPTH = 8  # a tree table costs d * 4**D gathers to build: deeper symmetric trees go the general way
_BUILD_CELLS = 2**22  # floats gathered at once while building tree tables


def oblivious_trees(ens, paths, routing=None):
    """The trees of ``ens`` that are oblivious, of depth 1 to MAX_DEPTH, and their depths.

    A tree qualifies when it is complete (``2**D`` leaves, all at depth ``D``), every
    level splits on one feature at one threshold with one side for missing values, and
    no split is categorical. ``routing``: the same nodes with the columns their splits
    read, when ``ens.feature`` names players (groups of columns); a level must then read
    one column as well as split on one player.
    """
    split = ens if routing is None else routing
    n_trees = len(ens.roots)
    tree_of = ens.tree_of
    leaf = ens.left < 0
    depth = np.zeros(ens.n_nodes, np.intp)
    for k, level in enumerate(paths.levels):
        depth[level] = k
    deepest = np.zeros(n_trees, np.intp)
    np.maximum.at(deepest, tree_of[leaf], depth[leaf])
    shallowest = np.full(n_trees, np.iinfo(np.intp).max)
    np.minimum.at(shallowest, tree_of[leaf], depth[leaf])
    ok = (deepest == shallowest) & (deepest >= 1) & (deepest <= MAX_DEPTH)
    categorical = split.categorical
    if categorical is not None:
        ok[tree_of[categorical & ~leaf]] = False
    inner = np.flatnonzero(~leaf)
    # The first node of each (tree, level) stands for the level; every other must match it.
    key = tree_of[inner] * (MAX_DEPTH + 64) + depth[inner]
    order = np.lexsort((inner, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    standing = inner[order][np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    node = inner[order]
    same = (
        (ens.feature[node] == ens.feature[standing])
        & (split.feature[node] == split.feature[standing])
        & (split.threshold[node] == split.threshold[standing])
        & (split.missing_left[node] == split.missing_left[standing])
    )
    ok[tree_of[node[~same]]] = False
    trees = np.flatnonzero(ok)
    return trees, deepest[trees]


class _ObliviousTables:
    """Shapley values of oblivious trees from one table per tree.

    Parameters
    ----------
    ens : TreeEnsemble
    paths : _Paths
    trees : ndarray of int
        Oblivious trees (see :func:`oblivious_trees`), every leaf explained here.
    depth : ndarray of int
        Their depths ``D``.
    reference : tuple (goes_left, weights) or None
        The router's output for the background rows and their weights
        (interventional), or ``None`` (path-dependent).
    expected_value : ndarray of shape (n_outputs,)
        The trees' share of the base value is added to it.
    expected_rows : int, default=1000
        Rows expected per call (how many tables are read at once).
    """

    def __init__(self, ens, paths, trees, depth, reference, expected_value, expected_rows=1000):
        self.width = ens.value.shape[1]
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        n_trees, d_max = len(trees), int(depth.max())
        # The chain of left children from each root stands for its levels; a leaf's own
        # directions are the bits of its code (bit k: left at level k).
        chain = np.empty((n_trees, d_max + 1), np.intp)
        chain[:, 0] = ens.roots[trees]
        for k in range(d_max):
            chain[:, k + 1] = np.where(k < depth, ens.left[np.maximum(chain[:, k], 0)], -1)
        code = np.zeros(ens.n_nodes, np.intp)
        for k, level in enumerate(paths.levels[:-1]):
            inner = level[ens.left[level] >= 0]
            code[ens.left[inner]] = code[inner] | (1 << k)
            code[ens.right[inner]] = code[inner]
        levels = np.arange(d_max)
        # Router rows of the levels (padding: the router's last row, always False).
        self.router = np.where(levels < depth[:, None], paths.gpos[chain[:, :-1]], len(paths.internal))
        self.shift = levels.astype(np.intp)[None, :, None]
        # Slot of each level's feature among the path features, and M over level sets.
        slot = np.where(levels < depth[:, None], paths.bit[np.maximum(chain[:, 1:], 0)], 0)
        n_features = paths.n_unique[chain[np.arange(n_trees), depth]]
        # Trees by decreasing number of features: those with slot j are a prefix.
        order = np.lexsort((depth, -n_features))
        trees, depth, chain, slot = trees[order], depth[order], chain[order], slot[order]
        n_features, self.router = n_features[order], self.router[order]
        size = 2**depth
        self.base = np.r_[0, np.cumsum(size)[:-1]].astype(np.intp)[:, None]
        d_slots = int(n_features.max())
        self.tables = np.zeros((self.width, d_slots, int(size.sum())))
        position = np.full(len(ens.roots), -1, np.intp)
        position[trees] = np.arange(n_trees)
        leaves = np.flatnonzero((ens.left < 0) & (position[ens.tree_of] >= 0))
        leaf_of = np.full((n_trees, 2**d_max), -1, np.intp)  # by tree and code
        leaf_of[position[ens.tree_of[leaves]], code[leaves]] = leaves
        reference_index = None
        if reference is not None:
            reference_goes_left, weights = reference
            reference_index = self._index(reference_goes_left)  # (n_trees, n_reference)
        for key in np.unique(np.stack([depth, n_features]), axis=1).T:
            group = np.flatnonzero((depth == key[0]) & (n_features == key[1]))
            per_tree = int(key[1]) * 4 ** int(key[0]) * (self.width + 1)
            for part in np.array_split(group, max(1, len(group) * per_tree // _BUILD_CELLS)):
                if len(part):
                    self._build(ens, paths, part, int(key[0]), int(key[1]), leaf_of, slot, reference_index,
                                None if reference is None else weights, expected_value)  # fmt: skip
        self.counts = [int((n_features > j).sum()) for j in range(d_slots)]
        features = paths.features[chain[np.arange(n_trees), depth]]  # (n_trees, width of paths)
        self.read = SlotReader(ens, features, ens.tree_columns[trees], self.counts, expected_rows)
        self.slot_tables = [[self.tables[o, j] for o in range(self.width)] for j in range(d_slots)]

    def _build(self, ens, paths, part, D, d, leaf_of, slot, reference_index, weights, expected_value):
        """Tree tables of the trees ``part``, all of depth ``D`` with ``d`` features."""
        n, n_leaves, n_patterns = len(part), 2**D, 2**d
        leaves = leaf_of[part, :n_leaves]  # (n, 2**D) by code
        masks = np.arange(n_leaves)
        # M[t, x]: the slots of the levels in x, for each tree.
        level_bits = (masks[:, None] >> np.arange(D)) & 1  # (2**D, D)
        M = np.bitwise_or.reduce(level_bits[None, :, :] << slot[part, None, :D], axis=2)  # (n, 2**D)
        flat = leaves.ravel()
        if reference_index is None:
            ratio = paths.ratio[flat, :d]
            reach = ratio.prod(axis=1)
            leaf_tables = _path_dependent_tables(ratio)
        else:
            # Reference fail patterns at each leaf: M of its directions xor the leaf's code.
            fail = M[np.arange(n)[:, None, None], reference_index[part][:, None, :] ^ masks[None, :, None]]
            satisfied = ~fail & (n_patterns - 1)  # (n, 2**D, n_reference)
            cells = (np.arange(n * n_leaves)[:, None] * n_patterns + satisfied.reshape(n * n_leaves, -1)).ravel()
            w = np.broadcast_to(weights, satisfied.shape).ravel()
            mass = np.bincount(cells, weights=w, minlength=n * n_leaves * n_patterns).reshape(-1, n_patterns)
            reach = mass[:, -1]
            leaf_tables = _interventional_tables(mass, d)
        value = ens.value[flat]  # (n * 2**D, width)
        np.add.at(expected_value, ens.tree_columns[ens.tree_of[flat]], value * reach[:, None])
        # gathered[t, G, L, j] = table of leaf L of tree t, slot j, pattern M[G ^ L].
        leaf_tables = leaf_tables.reshape(n, n_leaves, d, n_patterns)
        pattern = M[:, masks[:, None] ^ masks[None, :]]  # (t, G, L)
        gathered = leaf_tables[np.arange(n)[:, None, None], masks[None, None, :], :, pattern]  # (n, G, L, d)
        value = value.reshape(n, n_leaves, self.width)
        tables = np.einsum("tgLj,tLo->ojtg", gathered, value)  # (width, d, n, 2**D)
        start = self.base[part, 0]
        target = (start[:, None] + masks).ravel()
        self.tables[:, :d, target] = tables.reshape(self.width, d, -1)

    def _index(self, goes_left):
        """Each tree's direction bits ``G`` for the rows, shape (n_trees, n_rows)."""
        bits = goes_left[self.router]  # (n_trees, D, n_rows)
        return np.left_shift(bits, self.shift, dtype=np.intp).sum(axis=1)

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        n_trees, d_max = self.router.shape
        return n_trees * (d_max + 2 + self.width)

    def __call__(self, goes_left):
        """Values of the rows, shape (n_model_features * n_outputs, n_rows)."""
        n_rows = goes_left.shape[1]
        index = self._index(goes_left)
        index += self.base
        return self.read(self.slot_tables, index, np.zeros((self.n_output_rows, n_rows)))
