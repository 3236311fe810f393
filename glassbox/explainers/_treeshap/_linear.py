"""Path-dependent TreeSHAP of deep trees: one pass down and one pass up the nodes.

For a leaf with value ``v`` and path features ``j`` (cover ratio ``r_j``, the product
over the path's splits on ``j``; ``s_j = 1`` when the row satisfies them all), the
path-dependent value of feature ``i`` is
``v (s_i - r_i) integral_0^1 prod_{j != i} F_j(t) dt`` with
``F_j(t) = r_j + t (s_j - r_j)`` (the product game of :func:`._tables._path_dependent_tables`).
Going down, ``G(node) = prod_j F_j`` changes at each edge by the ratio of its feature's
factor after and before the edge; going up, ``H(node)`` sums ``v G`` over the leaves
below. Writing ``(s_i - r_i) / F_i`` as a telescoping sum over the splits on ``i``, each
edge on ``i`` adds ``integral (h_after - h_before) H(child)`` with ``h = (s - r) / F``
(Linear TreeSHAP, Yu et al. 2022). Every polynomial is held by its values at ``K``
Gauss-Legendre nodes, ``K`` half the largest number of distinct features on a path,
which integrate the telescoped sums exactly (they are polynomials of degree below ``2K``).

Each edge has three cases (the row satisfies its feature after and before it, only
before, or neither), so its factor ratio and weight are tables of shape (3, K) built once;
explaining gathers them for all rows and the nodes of a level at once. Subtrees at the
bottom are read from tables (:mod:`._subtrees`); trees are taken in groups so that the
work arrays of a chunk of rows stay bounded.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..._core import gauss_legendre
from ._subtrees import _edge_factors, _reduction, _SubtreeTables, block_roots

_GROUP_NODES = 2**12  # nodes of the pass per group of trees
_SUBTREE_BUDGET = 2**24  # floats of subtree tables per model (128 MiB)
_ROWS_PER_STATE = 16.0  # expected rows per state of a subtree table


class _LinearPathDependent:
    """Path-dependent values of some leaves, without per-leaf pattern tables.

    Parameters
    ----------
    ens : TreeEnsemble
    paths : _Paths
    leaves : ndarray of int
        The leaves explained here (none alone in its tree); the pass goes through the
        nodes above them.
    expected_rows : int
        Rows expected: larger subtrees get tables when more rows pay for them.
    expected_value : ndarray of shape (n_outputs,)
        The leaves' cover-weighted mean output is added to it.
    """

    def __init__(self, ens, paths, leaves, expected_rows, expected_value):
        self.width = ens.value.shape[1]
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        reach = np.where(np.arange(paths.ratio.shape[1]) < paths.n_unique[leaves][:, None], paths.ratio[leaves], 1.0)
        np.add.at(
            expected_value, ens.tree_columns[ens.tree_of[leaves]], ens.value[leaves] * reach.prod(axis=1)[:, None]
        )
        # Other leaves and the nodes above none of these leaves count for nothing here.
        value = np.zeros_like(ens.value)
        value[leaves] = ens.value[leaves]
        ens = dataclasses.replace(ens, value=value)
        kept = paths.with_ancestors(leaves)
        # Each tree's own K: half the most distinct features on a path to one of its leaves.
        tree_K = np.zeros(len(ens.roots), np.intp)
        np.maximum.at(tree_K, ens.tree_of[leaves], (paths.n_unique[leaves] + 1) // 2)
        tree_K = np.maximum(tree_K, 1)
        trees = np.unique(ens.tree_of[leaves])
        self.K = int(tree_K[trees].max(initial=1))
        roots, features, above = self._choose_subtrees(ens, paths, kept, expected_rows)
        # Trees by K, in groups of about _GROUP_NODES nodes of the pass (those not inside
        # a subtree); a group takes its trees' largest K.
        is_root = np.zeros(ens.n_nodes, bool)
        is_root[roots] = True
        inside = np.zeros(ens.n_nodes, bool)
        for level in paths.levels[1:]:
            above_node = paths.parent[level]
            inside[level] = inside[above_node] | is_root[above_node]
        trees = trees[np.argsort(tree_K[trees], kind="stable")]
        counts = np.bincount(ens.tree_of[kept & ~inside], minlength=len(ens.roots))[trees]
        cuts = np.flatnonzero(np.diff(np.floor(np.cumsum(counts) / _GROUP_NODES))) + 1
        groups = np.split(trees, cuts)
        group_K = np.array([tree_K[group].max() for group in groups])
        K_of_tree = np.zeros(len(ens.roots), np.intp)
        for group, K in zip(groups, group_K):
            K_of_tree[group] = K
        # The subtrees' tables, one set per K (the quadrature of the trees they are in).
        block_of = np.full(ens.n_nodes, -1, np.intp)
        self.groups, self.table_cells = [], 0
        for K in np.unique(group_K):
            t, w = gauss_legendre(int(K))
            mine = roots[K_of_tree[ens.tree_of[roots]] == K]
            block_of[mine] = np.arange(len(mine))
            tables = _SubtreeTables(ens, paths, mine, features, above, t, w)
            self.table_cells += tables.cells()
            self.groups += [
                _Pass(ens, paths, group, kept, tables, block_of, t, w)
                for group, group_k in zip(groups, group_K)
                if group_k == K
            ]
        self._cells = max(group.cells_per_row for group in self.groups)

    def _choose_subtrees(self, ens, paths, kept, expected_rows):
        """Subtrees read from tables: their roots, features and features split above.

        A table of ``2**bits`` states costs about as much to build as explaining that
        many rows through the subtree's nodes, and saves less than that per row (the
        pass still multiplies ``K`` values per feature of the subtree): measured on
        forests of unlimited depth with 200 and 1,000 rows, tables of at most
        ``rows / _ROWS_PER_STATE`` states were 13-29% faster overall than ``rows / 4``.
        All tables stay within _SUBTREE_BUDGET.
        """
        bits = int(np.clip(np.floor(np.log2(max(expected_rows, 1) / _ROWS_PER_STATE)), 1, 10))
        while True:
            roots, features, above = block_roots(ens, paths, kept, bits)
            n_bits = above[roots].sum(axis=1) + paths.n_internal[roots]
            n_features = (features[roots] >= 0).sum(axis=1)
            cells = (2.0**n_bits * (1 + n_features)).sum() * self.K * self.width
            if cells <= _SUBTREE_BUDGET or bits == 1:
                return roots, features, above
            bits -= 1

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        return self._cells

    def __call__(self, goes_left):
        """Values of the rows, shape (n_model_features * n_outputs, n_rows)."""
        phi = np.zeros((self.n_output_rows, goes_left.shape[1]))
        for group in self.groups:
            group(goes_left, phi)
        return phi


class _Pass:
    """The nodes of some trees above their tabled subtrees, level by level.

    Only the nodes ``kept`` are explained through; the others (no leaf of the engine
    below) end the pass with nothing below them. Going down, ``G`` of every node met is
    written to one array; the subtrees met at every level are then read from their
    tables at once (a few reads by number of features, not one per level), which
    writes their ``H`` before going up.
    """

    def __init__(self, ens, paths, trees, kept, tables, block_of, t, w):
        left, right = ens.left, ens.right
        self.K, self.width, self.tables = len(t), ens.value.shape[1], tables
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        self.n_router_rows = len(paths.internal) + 1  # the router's last row is always False
        columns = ens.tree_columns[ens.tree_of]  # (n_nodes, width)
        roots = ens.roots[trees]
        width_slots = paths.features.shape[1]
        self.n_roots = len(roots)
        is_block = block_of >= 0
        self.output_rows, self.n_contributions = [], 0  # phi row of each row of the contributions
        # Positions in ``satisfied`` and ``G``: the roots, then every edge met; ``satisfied``
        # has two more rows, always true (no earlier split on the feature) and always false.
        size = len(roots)
        last = np.full((len(roots), width_slots), -1, np.intp)
        root_blocks = np.flatnonzero(is_block[roots])
        met = [(root_blocks, block_of[roots[root_blocks]], last[root_blocks])]  # subtrees: position, block, last
        frontier, frontier_start, inner = roots, 0, np.flatnonzero(~is_block[roots])
        self.levels = []
        edges = []  # (children, parents, has_previous, leaf) per level: their factors in one call below
        n_met = len(root_blocks)
        while len(inner):
            parents = frontier[inner]
            n_parents = len(parents)
            children = np.concatenate([left[parents], right[parents]])
            twice = np.concatenate([parents, parents])
            m = len(children)
            slot = paths.bit[children]
            previous = last[np.concatenate([inner, inner]), slot]
            last = last[np.concatenate([inner, inner])]
            last[np.arange(m), slot] = size + np.arange(m)
            leaf = (left[children] < 0) | ~kept[children]
            block = np.flatnonzero(is_block[children])
            edges.append((children, twice, previous >= 0, leaf))
            met.append((size + block, block_of[children[block]], last[block]))
            rows = ens.feature[twice][:, None] * ens.n_outputs + columns[twice]
            self.levels.append(
                {
                    "positions": slice(size, size + m),
                    "parents": frontier_start + inner,
                    "previous": np.where(previous >= 0, previous, -2),  # -2: the always-true row
                    "router": paths.gpos[twice],
                    "is_left": (np.arange(m) < n_parents)[:, None],
                    "case_base": (3 * np.arange(m))[:, None],
                    "n_parents": n_parents,
                    "leaf": np.flatnonzero(leaf),
                    "leaf_value": ens.value[children[leaf]][:, None, :, None],
                    "next": np.flatnonzero(~leaf & ~is_block[children]),
                    "blocks": block,
                    "met": slice(n_met, n_met + len(block)),
                    "contributions": self._take_rows(rows),
                }
            )
            n_met += len(block)
            frontier, frontier_start = children, size
            size += m
            inner = self.levels[-1]["next"]
        self.size, self.n_met = size, n_met
        self._edge_tables(ens, paths, edges, t, w)
        positions, blocks, lasts = (np.concatenate(part) for part in zip(*met))
        self.block_groups = self._blocks(ens, tables, positions, blocks, lasts, columns)
        self.output_rows = np.concatenate(self.output_rows) if self.output_rows else np.zeros(0, np.intp)
        self.reduce = _reduction(self.output_rows, self.n_output_rows)
        widest = max(tables.n_features.max(initial=0), 1)
        largest = max((len(group["positions"]) for group in self.block_groups), default=0)
        self.cells_per_row = (
            size * self.K * (self.width + 1)
            + (n_met * self.width * self.K if self.width > 1 else 0)
            + largest * (2 + widest) * self.width * self.K
        )

    def _edge_tables(self, ens, paths, edges, t, w):
        """Each level's factor ratios (3 m, K) and weights (m, K, 2), from one call for all levels."""
        if not edges:
            return
        children, parents, has_previous, leaf = (np.concatenate(part) for part in zip(*edges))
        ratios, weights = _edge_factors(paths, children, parents, has_previous, t, w)
        if self.width == 1:  # a leaf's G becomes its H = value * G at once
            ratios[leaf] *= ens.value[children[leaf]][:, None, :]
        weights = np.stack([weights[:, 1], weights[:, 0] - weights[:, 1]], axis=2)  # (n_edges, K, 2)
        start = 0
        for level, (level_children, *_) in zip(self.levels, edges):
            stop = start + len(level_children)
            level["ratios"] = np.ascontiguousarray(ratios[start:stop].reshape(3 * (stop - start), self.K))
            level["weights"] = weights[start:stop]
            start = stop

    def _blocks(self, ens, tables, positions, blocks, lasts, columns):
        """Explain-time data of all the subtrees met, by number of features.

        ``positions``: the subtrees' rows of ``G``; ``lasts``: for each, the row of
        ``satisfied`` of the last edge on each of its path features (-1: none).
        """
        out = []
        n_features = tables.n_features[blocks]
        for f in np.unique(n_features):
            chosen = np.flatnonzero(n_features == f)
            b = blocks[chosen]
            n_above = tables.above[b].sum(axis=1)
            # State bits: the features split above (their last edge's row of
            # ``satisfied``), then the directions at the internal nodes.
            above_source = np.full((len(b), max(int(n_above.max()), 1)), -1, np.intp)  # -1: always false
            which, slot = np.nonzero(tables.above[b])
            rank = np.cumsum(tables.above[b], axis=1)[which, slot] - 1
            above_source[which, rank] = lasts[chosen][which, slot]
            direction_source = tables.direction[b, : int((tables.n_bits[b] - n_above).max())]
            direction_source = np.where(direction_source >= 0, direction_source, self.n_router_rows - 1)
            rows = tables.features[b, :f, None] * ens.n_outputs + columns[tables.roots[b]][:, None, :]
            out.append(
                {
                    "met": chosen,
                    "positions": positions[chosen],
                    "above": above_source,
                    "above_shift": np.arange(above_source.shape[1])[None, :, None],
                    "direction": direction_source,
                    "shift": n_above[:, None, None] + np.arange(direction_source.shape[1])[None, :, None],
                    "base": tables.state_base[b][:, None],
                    "J": tables.J[int(f)],
                    "M": tables.M[int(f)],
                    "f": int(f),
                    "contributions": self._take_rows(rows),
                }
            )
        return out

    def _take_rows(self, rows):
        """Rows of the contributions' array for items adding to the phi rows ``rows``."""
        start = self.n_contributions
        self.n_contributions += rows.size
        self.output_rows.append(rows.ravel())
        return slice(start, start + rows.size)

    def __call__(self, goes_left, phi):
        n_rows, K, width = goes_left.shape[1], self.K, self.width
        contributions = np.empty((len(self.output_rows), n_rows))
        satisfied = np.empty((self.size + 2, n_rows), bool)
        satisfied[-2], satisfied[-1] = True, False
        G = np.empty((self.size, n_rows, K))  # G of every node met, then H where width is 1
        G[: self.n_roots] = 1.0
        stash = []
        for level in self.levels:
            s = satisfied[level["positions"]]
            before = satisfied[level["previous"]]
            np.equal(goes_left[level["router"]], level["is_left"], out=s)
            s &= before
            case = np.subtract(2, before.view(np.int8), dtype=np.intp)
            case -= s.view(np.int8)
            case += level["case_base"]
            g = G[level["positions"]]
            level["ratios"].take(case, axis=0, out=g, mode="clip")  # (m, n_rows, K); "clip": unbuffered
            g.reshape(2, level["n_parents"], n_rows, K)[...] *= G[level["parents"]][None]
            stash.append((before, s))
        H_blocks = np.empty((self.n_met, n_rows, width, K)) if width > 1 else None
        for group in self.block_groups:
            H = self._read(group, G[group["positions"]], satisfied, goes_left, contributions)
            if width == 1:
                G[group["positions"]] = H[:, :, 0]
            else:
                H_blocks[group["met"]] = H
        below = None
        for level, (before, s) in zip(reversed(self.levels), reversed(stash)):
            g = G[level["positions"]]
            m = len(g)
            if width == 1:
                H = g.reshape(m, n_rows, 1, K)
            else:
                H = np.empty((m, n_rows, width, K))
                H[level["leaf"]] = level["leaf_value"] * g[level["leaf"]][:, :, None, :]
                H[level["blocks"]] = H_blocks[level["met"]]
            if below is not None:
                half = len(below) // 2
                H[level["next"]] = below[:half] + below[half:]
            A = np.matmul(H.reshape(m, n_rows * width, K), level["weights"]).reshape(m, n_rows, width, 2)
            contribution = A[..., 1] * s[:, :, None]
            contribution += A[..., 0]
            contribution *= before[:, :, None]
            contributions[level["contributions"]] = contribution.transpose(0, 2, 1).reshape(m * width, n_rows)
            below = H
        phi += self.reduce @ contributions

    def _read(self, group, G, satisfied, goes_left, contributions):
        """Write the subtrees' contributions; return their ``H``, shape (n, n_rows, width, K)."""
        n, n_rows = len(G), G.shape[1]
        index = np.left_shift(satisfied[group["above"]], group["above_shift"], dtype=np.intp).sum(axis=1)
        index |= np.left_shift(goes_left[group["direction"]], group["shift"], dtype=np.intp).sum(axis=1)
        index += group["base"]
        M = group["M"].take(index, axis=0).reshape(n, n_rows, group["f"] * self.width, self.K)
        if group["f"]:
            out = contributions[group["contributions"]].reshape(n, group["f"] * self.width, n_rows)
            np.einsum("brfk,brk->bfr", M, G, out=out)
        J = group["J"].take(index, axis=0).reshape(n, n_rows, self.width, self.K)
        J *= G[:, :, None, :]
        return J
