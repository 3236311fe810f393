"""Leaves with too many path features for a table: formulas without tables."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ..._core import gauss_legendre
from ._paths import _Descent
from ._tables import _popcount64, _shapley_weights


def _output_rows(ens, features, columns):
    """Row of ``phi`` (feature * n_outputs + column) for each (item, width) pair."""
    return features[:, None] * ens.n_outputs + columns


class _LinearPathDependent:
    """Path-dependent values of leaves without tables: one pass down, one pass up.

    For a leaf, the value is ``phi_j = integral_0^1 (s_j - r_j) / F_j(t) * G(t) dt``
    with ``F_k(t) = r_k + t (s_k - r_k)`` for each path feature (``s_k``: the row
    satisfies the feature's splits, ``r_k``: their cover ratio) and
    ``G(t) = value * prod_k F_k(t)``, a polynomial of degree ``d``. Writing the
    feature's factor as a telescoping sum over its splits on the path, each edge
    contributes ``(h_child - h_before) * sum of G over the leaves below``, with
    ``h = (s - r) / F`` for the feature's splits up to the child, and before it
    (Linear TreeSHAP, Yu et al. 2022). Products go down the tree, sums of ``G`` come
    up, and every polynomial is kept by its values at ``ceil(d / 2) + 1``
    Gauss-Legendre nodes, which integrate it exactly. Work per row is proportional
    to the number of nodes above the leaves.
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        n = ens.n_nodes
        self.width = plan.width
        t, w = gauss_legendre(int(d.max()) // 2 + 1)
        self.t = t[:, None]  # (Q, 1)
        w = w[None, :, None]
        keep = paths.with_ancestors(leaves)
        is_deep_leaf = np.zeros(n, bool)
        is_deep_leaf[leaves] = True
        roots = paths.levels[0][keep[paths.levels[0]]]
        pos = np.full(n, -1, np.intp)
        pos[roots] = np.arange(len(roots))
        last_edge = np.full((len(roots), paths.features.shape[1]), -1, np.intp)
        size = len(roots)
        frontier = roots
        value = ens.value
        ratio = np.maximum(paths.ratio, 1e-12)  # zero cover would divide by zero below
        self.levels = []
        while True:
            has = ens.left[frontier] >= 0
            parent_local = np.flatnonzero(has)
            parent_local = np.concatenate([parent_local, parent_local])
            children = np.concatenate([ens.left[frontier[has]], ens.right[frontier[has]]])
            kept = keep[children]
            children, parent_local = children[kept], parent_local[kept]
            if len(children) == 0:
                break
            m = len(children)
            parents = frontier[parent_local]
            slot = paths.bit[children]
            pos[children] = size + np.arange(m)
            previous = last_edge[parent_local, slot]  # earlier split on the same feature, or -1
            child_edges = last_edge[parent_local]
            child_edges[np.arange(m), slot] = pos[children]
            leaf = is_deep_leaf[children]
            columns = ens.tree_columns[plan.tree_of[children]]  # (m, width)
            rows = _output_rows(ens, ens.feature[parents], columns).ravel()
            # Factors and weights for the three cases (satisfied after / before the
            # edge): both, only before, neither (see the class docstring).
            r = ratio[children, slot][:, None, None]
            r_before = np.where(previous >= 0, ratio[parents, slot], 1.0)[:, None, None]
            t = self.t[None]  # (1, Q, 1)
            sat, sat_before = r + t * (1.0 - r), r_before + t * (1.0 - r_before)
            h_before = (1.0 - r_before) / sat_before
            self.levels.append(
                {
                    "positions": slice(size, size + m),
                    "parent_local": parent_local,
                    "n_left": int(kept[: len(kept) // 2].sum()),
                    "gpos": paths.gpos[parents],
                    "is_left": paths.is_left[children][:, None],
                    "previous": previous,
                    "ratio": (sat / sat_before, r * (1.0 - t) / sat_before, r / r_before),
                    "weight": ((((1.0 - r) / sat) - h_before) * w, (-1.0 / (1.0 - t) - h_before) * w),
                    "leaf": np.flatnonzero(leaf),
                    "leaf_value": value[children[leaf]][:, :, None, None],  # (n_leaf, width, 1, 1)
                    "reduce": sparse.csr_matrix(
                        (np.ones(len(rows)), (rows, np.arange(len(rows)))),
                        shape=(ens.n_model_features * ens.n_outputs, m * self.width),
                    ),
                }
            )
            size += m
            frontier = children
            last_edge = child_edges
        self.size = size
        self.n_roots = len(roots)
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        self.cells_per_row = size * len(self.t) * (self.width + 3)
        # The cover-weighted mean of the leaves: value times the product of ratios.
        reach = np.where(np.arange(paths.ratio.shape[1])[None, :] < d[:, None], paths.ratio[leaves], 1.0).prod(axis=1)
        np.add.at(plan.expected_value, ens.tree_columns[plan.tree_of[leaves]], value[leaves] * reach[:, None])

    def __call__(self, goes_left):
        n_rows = goes_left.shape[1]
        n_nodes = len(self.t)
        satisfied = np.ones((self.size + 1, n_rows), bool)  # last row: "no earlier split"
        product = np.ones((self.n_roots, n_nodes, n_rows))
        # Down: which path features each node's row satisfies, and the product of the
        # factors; G at the leaves.
        below, cases = [], []
        for level in self.levels:
            ok = goes_left[level["gpos"]] == level["is_left"]
            before = satisfied[level["previous"]]
            s = ok & before
            satisfied[level["positions"]] = s
            both, only_before, neither = level["ratio"]
            s, before = s[:, None, :], before[:, None, :]
            product = product[level["parent_local"]] * np.where(s, both, np.where(before, only_before, neither))
            below.append(level["leaf_value"] * product[level["leaf"]][:, None])  # (n_leaf, width, Q, n_rows)
            cases.append((s, before))
        # Up: sums of G below every node, and each edge's contribution.
        phi = np.zeros((self.n_output_rows, n_rows))
        carried = None
        for level, leaf_sums, (s, before) in zip(reversed(self.levels), reversed(below), reversed(cases)):
            m = len(level["parent_local"])
            sums = np.zeros((m, self.width, n_nodes, n_rows))
            sums[level["leaf"]] = leaf_sums
            if carried is not None:
                sums[: len(carried)] += carried
            both, only_before = level["weight"]
            weight = np.where(s, both, np.where(before, only_before, 0.0))  # (m, Q, n_rows)
            contribution = np.einsum("mqr,mwqr->mwr", weight, sums)
            phi += level["reduce"] @ contribution.reshape(m * self.width, n_rows)
            parent_local, n_left = level["parent_local"], level["n_left"]
            carried = np.zeros((int(parent_local.max()) + 1,) + sums.shape[1:])
            carried[parent_local[:n_left]] = sums[:n_left]
            carried[parent_local[n_left:]] += sums[n_left:]
        return phi


class _CompatiblePairs:
    """Interventional values of leaves without tables, from compatible pairs only.

    A hybrid of an explained row ``x`` and a reference row ``z`` reaches a leaf only
    when no path feature is failed by both, that is when their fail patterns
    (int64 bit sets) are disjoint. For deep leaves few pairs are: they are found with
    one AND per (leaf, row, reference), and only they are weighted by the closed form
    of the module docstring (``A``: features ``z`` fails, ``B``: features ``x`` fails).
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        self.descent = _Descent(paths, leaves, dtype=np.int64)
        self.reference_fail = self.descent(plan.reference_goes_left)  # (n_leaves, n_reference)
        self.reference_weights = plan.reference_weights
        self.value = ens.value[leaves]  # (n_leaves, width)
        columns = ens.tree_columns[plan.tree_of[leaves]]
        self.d_max = int(d.max())
        features = np.where(np.arange(self.d_max)[None, :] < d[:, None], paths.features[leaves][:, : self.d_max], 0)
        # phi row of (leaf, slot, output): feature * n_outputs + column
        self.rows = features[:, :, None] * ens.n_outputs + columns[:, None, :]
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        self.w_a, self.w_b = _shapley_weights(self.d_max)
        reach = (self.reference_fail == 0) @ self.reference_weights
        np.add.at(plan.expected_value, columns, self.value * reach[:, None])
        self.cells_per_row = len(leaves) * (len(self.reference_weights) // 4 + 1)

    def __call__(self, goes_left):
        n_rows = goes_left.shape[1]
        fail = self.descent(goes_left)  # (n_leaves, n_rows)
        reference = self.reference_fail
        n_reference = reference.shape[1]
        phi = np.zeros(self.n_output_rows * n_rows)
        step = max(1, 2**21 // max(n_rows * n_reference, 1))
        for start in range(0, len(fail), step):
            stop = min(start + step, len(fail))
            both = fail[start:stop, :, None] & reference[start:stop, None, :]
            flat = np.flatnonzero(both == 0)  # compatible (leaf, row, reference) triples
            pair, ref = np.divmod(flat, n_reference)  # pair = leaf * n_rows + row
            leaf, row = np.divmod(pair, n_rows)
            leaf += start
            x_fails, z_fails = fail[leaf, row], reference[leaf, ref]
            size_a, size_b = _popcount64(z_fails), _popcount64(x_fails)
            mass = self.reference_weights[ref]
            # Features only the explained row satisfies (z fails them) gain...
            self._scatter(phi, n_rows, leaf, row, z_fails, self.w_a[size_a, size_b] * mass)
            # ... and those only the reference satisfies (x fails them) lose; x's fail
            # pattern is the same for every reference, so sum over references first.
            loss = np.bincount(pair, weights=self.w_b[size_a, size_b] * mass, minlength=(stop - start) * n_rows)
            pair = np.flatnonzero(loss)
            leaf, row = np.divmod(pair, n_rows)
            self._scatter(phi, n_rows, leaf + start, row, fail[leaf + start, row], -loss[pair])
        return phi.reshape(self.n_output_rows, n_rows)

    def _scatter(self, phi, n_rows, leaf, row, bits, amount):
        """Add ``amount`` to every path feature in the bit sets ``bits`` of each item."""
        item = np.arange(len(bits))
        bits = bits.copy()
        keep = bits != 0
        item, bits = item[keep], bits[keep]
        while len(item):
            lowest = bits & -bits
            slot = np.frexp(lowest.astype(np.float64))[1] - 1  # exact: lowest is a power of two
            for o in range(self.value.shape[1]):
                target = self.rows[leaf[item], slot, o] * n_rows + row[item]
                phi += np.bincount(target, weights=amount[item] * self.value[leaf[item], o], minlength=phi.size)
            bits ^= lowest
            keep = bits != 0
            item, bits = item[keep], bits[keep]


class _AllPairs:
    """Interventional values of leaves with more path features than an int64 holds.

    Every (leaf, row, reference) triple, with boolean satisfaction per path feature:
    slow, but only met on paths with more than _MAX_PATTERN_BITS distinct features.
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        self.d_max = d_max = int(d.max())
        node = leaves.copy()
        gpos, left, slot = [], [], []
        while (node >= 0).any():  # every edge of each path, padded with no-ops
            p = np.where(node >= 0, paths.parent[np.maximum(node, 0)], -1)
            edge = p >= 0
            gpos.append(np.where(edge, paths.gpos[np.maximum(p, 0)], len(paths.internal)))
            left.append(edge & paths.is_left[np.maximum(node, 0)])
            slot.append(np.where(edge, paths.bit[np.maximum(node, 0)], d_max))
            node = p
        self.gpos, self.left, self.slot = np.array(gpos).T, np.array(left).T[:, :, None], np.array(slot).T
        self.reference = self._satisfied(plan.reference_goes_left).astype(np.float64)
        self.reference_weights = plan.reference_weights
        value = ens.value[leaves]
        columns = ens.tree_columns[plan.tree_of[leaves]]
        reach = (self.reference.min(axis=1)) @ self.reference_weights
        np.add.at(plan.expected_value, columns, value * reach[:, None])
        present = np.arange(d_max)[None, :] < d[:, None]
        features = np.where(present, paths.features[leaves][:, :d_max], 0)
        rows = features[:, :, None] * ens.n_outputs + columns[:, None, :]
        weights = present[:, :, None] * value[:, None, :]
        shape = (ens.n_model_features * ens.n_outputs, rows[:, :, 0].size)
        self.reduce = [
            sparse.csr_matrix((weights[:, :, o].ravel(), (rows[:, :, o].ravel(), np.arange(shape[1]))), shape=shape)
            for o in range(plan.width)
        ]
        self.w_a, self.w_b = _shapley_weights(d_max)
        self.cells_per_row = len(leaves) * d_max * len(self.reference_weights)

    def _satisfied(self, goes_left):
        """Satisfied path features: bool (n_leaves, d_max, n_rows)."""
        n_leaves, n_edges = self.gpos.shape
        fail = np.zeros((n_leaves, self.d_max + 1, goes_left.shape[1]), bool)
        leaves = np.arange(n_leaves)
        for t in range(n_edges):
            fail[leaves, self.slot[:, t]] |= goes_left[self.gpos[:, t]] != self.left[:, t]
        return ~fail[:, :-1]

    def __call__(self, goes_left):
        x = self._satisfied(goes_left).astype(np.float64)  # (n_leaves, d, n_rows)
        z = self.reference  # (n_leaves, d, n_reference)
        x_t = x.transpose(0, 2, 1)
        size_a = np.rint(x_t @ (1.0 - z)).astype(np.intp)  # |A| per (leaf, row, reference)
        size_b = np.rint((1.0 - x_t) @ z).astype(np.intp)  # |B|
        compatible = ((1.0 - x_t) @ (1.0 - z)) < 0.5  # no feature failed by both
        mass = compatible * self.reference_weights
        gain = (1.0 - z) @ (self.w_a[size_a, size_b] * mass).transpose(0, 2, 1)  # (n_leaves, d, n_rows)
        loss = z @ (self.w_b[size_a, size_b] * mass).transpose(0, 2, 1)
        flat = (x * gain - (1.0 - x) * loss).reshape(-1, goes_left.shape[1])
        return sum(reduce @ flat for reduce in self.reduce)
