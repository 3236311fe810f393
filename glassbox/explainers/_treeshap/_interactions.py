"""SHAP interaction values of tree ensembles, path-dependent and interventional.

The Shapley interaction index (Lundberg et al. 2020) of features ``i != j`` is

    Phi_ij = sum over S in N - {i, j} of |S|! (M - |S| - 2)! / (2 (M - 1)!) *
             [v(S + ij) - v(S + i) - v(S + j) + v(S)],

and ``Phi_ii = phi_i - sum_{j != i} Phi_ij`` puts each feature's main effect on the
diagonal, so that each row of the matrix sums to the feature's Shapley value.

A tree is a sum over its leaves, and each leaf's value function is a product game
over the ``d`` distinct features of its path: ``v(S) = value * prod_{k in S} a_k *
prod_{k not in S} r_k``, with ``a_k`` whether the explained row satisfies every split
on feature ``k`` of the path, and ``r_k`` the product of the cover ratios of those
splits (path-dependent) or whether a background row ``z`` satisfies them
(interventional, averaged over ``z``). The second difference of a product game is
``(a_i - r_i)(a_j - r_j) prod_{k in S} a_k prod_{k not in S + ij} r_k`` and the weights
are ``integral_0^1 t^|S| (1 - t)^(d - 2 - |S|) dt / 2``, so

    Phi_ij = (a_i - r_i)(a_j - r_j) / 2 * integral_0^1 prod_{k != i, j} (t a_k + (1 - t) r_k) dt.

Path-dependent: the integrand is a polynomial of degree ``d - 2``, integrated exactly by
Gauss-Legendre quadrature; with ``g_k(t) = (a_k - r_k) / (t a_k + (1 - t) r_k)`` and
``P(t)`` the product of all factors, ``Phi_ij = sum_q w_q P(t_q) g_i(t_q) g_j(t_q) / 2``
(a factor that is zero zeroes every pair but its own, whose ``a - r`` is zero too).
Interventional: ``a`` and ``b`` are 0 or 1, the product is zero when a feature is
failed by both rows, and otherwise the integral is ``|A'|! |B'|! / (|A'| + |B'| + 1)!``
with ``A'`` (``B'``) the features other than ``i, j`` only the explained (background)
row satisfies; background rows are merged by their pattern on each leaf's path.

Work is vectorised over leaves with equal ``d`` and over rows, in chunks bounded by the
batch policy; each chunk's leaf matrices are added into the result by one sparse
product. The diagonal comes from the Shapley values of :class:`TreeShap`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import beta

from ..._core import batch_units, chunk_bounds, gauss_legendre, read_tree_model, run_chunks
from ._explainer import _check_background, _check_rows
from ._paths import _Paths, _Router

__all__ = ["TreeInteractions"]

_CHUNK_CELLS = 2**21  # floats of one work array per chunk of leaves and rows (16 MiB)
_RESULT_CELLS = 2**24  # floats of the result accumulated per chunk of rows with batch_size="auto"


class TreeInteractions:
    """Off-diagonal SHAP interaction values of a tree model, built once per model.

    Parameters
    ----------
    estimator : fitted tree model
        See :func:`~glassbox._core.is_tree_model`.
    background, background_weights, output, decode
        As in :func:`~glassbox.explainers._treeshap.tree_shap`: ``background=None``
        gives the path-dependent game, rows the interventional one.

    Attributes
    ----------
    output_method : str
    n_outputs : int
    """

    def __init__(self, estimator, *, background=None, background_weights=None, output="auto", decode=None):
        ens = read_tree_model(estimator, output, decode)
        self._ens = ens
        self.output_method, self.n_outputs = ens.output_method, ens.n_outputs
        paths = _Paths(ens)
        self._router = _Router(ens, paths.internal)
        leaves = np.flatnonzero(ens.left < 0)
        leaves = leaves[paths.n_unique[leaves] >= 2]  # fewer than two path features: no pair
        reference = None
        if background is not None:
            rows, weights = _check_background(background, background_weights, ens.n_features)
            reference = (self._router(np.ascontiguousarray(ens.model_input(rows).T)), weights)
        d = paths.n_unique[leaves]
        self._groups = [
            _LeafGroup(ens, paths, leaves[d == n_bits], int(n_bits), reference) for n_bits in np.unique(d)
        ]

    def explain(self, X, *, batch_size="auto", n_jobs=None, verbose=False):
        """Interaction values off the diagonal, shape (n_samples, n_features, n_features, n_outputs).

        The diagonal is zero; the caller fills it from the Shapley values.
        """
        ens = self._ens
        X = _check_rows(X, ens.n_features, "X")
        p, o = ens.n_model_features, self.n_outputs
        per_row = max(p * p * o, 1)
        rows = batch_units(batch_size, row_cells=per_row, unit_cells=per_row, auto_cells=_RESULT_CELLS)
        bounds = chunk_bounds(len(X), rows)
        parts = run_chunks(self._explain_rows, [(X[s:e],) for s, e in bounds], n_jobs=n_jobs, verbose=verbose,
                           desc="SHAP interactions")
        values = np.concatenate(parts, axis=0) if parts else np.zeros((0, p, p, o))
        if ens.columns is not None:  # model columns summed into the caller's columns
            onto = np.zeros((p, ens.n_features))
            onto[np.arange(p), ens.columns] = 1.0
            values = np.einsum("nijo,ia,jb->nabo", values, onto, onto)
        return values

    def _explain_rows(self, X):
        ens = self._ens
        p, o = ens.n_model_features, self.n_outputs
        goes_left = self._router(np.ascontiguousarray(ens.model_input(X).T))
        out = np.zeros((p * p * o, len(X)))
        for group in self._groups:
            group.add_into(out, goes_left)
        return out.reshape(p, p, o, len(X)).transpose(3, 0, 1, 2)


class _LeafGroup:
    """Leaves with the same number ``d`` of distinct path features."""

    def __init__(self, ens, paths, leaves, d, reference):
        self.d = d
        n_leaves = len(leaves)
        depth = len(paths.levels)
        # Splits above each leaf: the internal node's row of goes_left, the path slot of
        # its feature, and the direction taken; padding reads the always-False last row
        # and expects False, so it is always satisfied.
        gpos = np.full((n_leaves, depth), -1, np.intp)
        slot = np.zeros((n_leaves, depth), np.intp)
        left = np.zeros((n_leaves, depth), bool)
        node = leaves.copy()
        for level in range(depth):
            parent = paths.parent[node]
            up = parent >= 0
            gpos[up, level] = paths.gpos[parent[up]]
            slot[up, level] = paths.bit[node[up]]
            left[up, level] = paths.is_left[node[up]]
            node = np.where(up, parent, node)
        self.gpos, self.slot, self.left = gpos, slot, left
        features = paths.features[leaves, :d]
        # Where each leaf's pair (i, j) and output column land in the flat (p, p, o) result.
        p, o = ens.n_model_features, ens.n_outputs
        value = ens.value[leaves]  # (L, width)
        columns = ens.tree_columns[ens.tree_of[leaves]]  # (L, width)
        cell = (features[:, :, None, None] * p + features[:, None, :, None]) * o + columns[:, None, None, :]
        source = np.broadcast_to(np.arange(n_leaves * d * d).reshape(n_leaves, d, d, 1), cell.shape)
        data = np.broadcast_to(0.5 * value[:, None, None, :], cell.shape)
        off = np.broadcast_to(~np.eye(d, dtype=bool)[None, :, :, None], cell.shape)
        self.scatter = sparse.csc_matrix(
            (data[off], (cell[off], source[off])), shape=(p * p * o, n_leaves * d * d)
        )
        if reference is None:
            self.ratio = paths.ratio[leaves, :d]
            self.t, self.w = gauss_legendre(max(d // 2, 1))  # exact for the degree d - 2
            self.patterns = None
        else:
            self._merge_background(*reference)

    def _satisfied(self, goes_left, start, stop):
        """Whether rows satisfy each path feature, shape (stop - start, d, n_rows)."""
        gpos, slot, left = self.gpos[start:stop], self.slot[start:stop], self.left[start:stop]
        n_leaves = stop - start
        sat = np.ones((n_leaves, self.d, goes_left.shape[1]), bool)
        index = np.arange(n_leaves)
        for level in range(gpos.shape[1]):
            ok = goes_left[gpos[:, level]] == left[:, level, None]
            sat[index, slot[:, level]] &= ok
        return sat

    def _merge_background(self, goes_left, weights):
        """Distinct background patterns of each leaf, with their total weights."""
        sat = self._satisfied(goes_left, 0, len(self.gpos))  # (L, d, m)
        n_leaves, d, m = sat.shape
        if d < 63:
            codes = (sat.astype(np.int64) << np.arange(d)[None, :, None]).sum(axis=1)  # (L, m)
            order = np.argsort(codes, axis=1, kind="stable")
            ranked = np.take_along_axis(codes, order, axis=1)
            new = np.ones((n_leaves, m), bool)
            new[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
            group = np.cumsum(new, axis=1) - 1  # (L, m) index of each sorted row's pattern
            k = int(group[:, -1].max()) + 1
            merged = np.zeros((n_leaves, k))
            rows = np.broadcast_to(np.arange(n_leaves)[:, None], group.shape)
            np.add.at(merged, (rows, group), weights[order])
            patterns = np.ones((n_leaves, k, d), bool)
            leaf, col = np.nonzero(new)  # the first background row of each pattern
            patterns[leaf, group[leaf, col]] = sat[leaf, :, order[leaf, col]]
        else:
            patterns, merged = sat.transpose(0, 2, 1), np.broadcast_to(weights, (n_leaves, m))
        self.patterns, self.pattern_weights = patterns, merged  # (L, K, d), (L, K); weight 0 pads
        w_size = np.arange(d + 1, dtype=np.float64)
        a, b = np.meshgrid(w_size, w_size, indexing="ij")
        self.integral = beta(a + 1, b + 1)  # |A'|! |B'|! / (|A'| + |B'| + 1)!, indexed [|A'|, |B'|]

    def add_into(self, out, goes_left):
        """Add the group's off-diagonal interaction values into ``out`` (p * p * o, n_rows)."""
        n_rows, d = goes_left.shape[1], self.d
        per_pair = d * (d + (1 if self.patterns is None else 4 * self.patterns.shape[1]))
        per_pair *= len(self.t) if self.patterns is None else 1
        step = max(1, _CHUNK_CELLS // max(per_pair * n_rows, 1))
        for start, stop in chunk_bounds(len(self.gpos), step):
            a = self._satisfied(goes_left, start, stop).transpose(0, 2, 1)  # (L, n, d)
            if self.patterns is None:
                phi = self._path_dependent(a, self.ratio[start:stop])
            else:
                phi = self._interventional(a, self.patterns[start:stop], self.pattern_weights[start:stop])
            # phi (L, n, d, d) -> (L * d * d, n), the columns of the scatter matrix
            out += self.scatter[:, start * d * d : stop * d * d] @ phi.transpose(0, 2, 3, 1).reshape(-1, n_rows)

    def _path_dependent(self, a, ratio):
        """Twice the interaction index of the product games, shape (L, n, d, d)."""
        a = a.astype(np.float64)
        r = ratio[:, None, :]  # (L, 1, d)
        gain = a - r
        phi = np.zeros(a.shape + (a.shape[-1],))
        for t, w in zip(self.t, self.w):
            factor = t * a + (1.0 - t) * r  # (L, n, d)
            zero = factor == 0.0
            safe = np.where(zero, 1.0, factor)
            product = np.where(zero.any(axis=-1), 0.0, safe.prod(axis=-1)) * w  # (L, n)
            g = gain / safe
            phi += (g * product[..., None])[..., :, None] * g[..., None, :]
        return phi

    def _interventional(self, a, patterns, weights):
        """Twice the interaction index averaged over background patterns, shape (L, n, d, d)."""
        a = a[:, :, None, :]  # (L, n, 1, d)
        b = patterns[:, None, :, :]  # (L, 1, K, d)
        only_a = a & ~b  # (L, n, K, d)
        only_b = b & ~a
        compatible = (a | b).all(axis=-1)  # (L, n, K)
        n_a, n_b = only_a.sum(axis=-1), only_b.sum(axis=-1)
        w = weights[:, None, :] * compatible  # (L, n, K)
        top = self.integral.shape[0] - 1

        def coef(da, db):
            return w * self.integral[np.clip(n_a - da, 0, top), np.clip(n_b - db, 0, top)]

        A, B = only_a.astype(np.float64), only_b.astype(np.float64)
        both_a = np.matmul((A * coef(2, 0)[..., None]).swapaxes(-1, -2), A)
        both_b = np.matmul((B * coef(0, 2)[..., None]).swapaxes(-1, -2), B)
        mixed = np.matmul((A * coef(1, 1)[..., None]).swapaxes(-1, -2), B)
        return both_a + both_b - mixed - mixed.swapaxes(-1, -2)
