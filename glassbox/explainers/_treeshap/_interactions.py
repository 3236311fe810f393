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
row satisfies; background rows are merged by their pattern on each leaf's path. A
compatible background pattern satisfies every feature the row fails, so ``B`` is the
row's failed set ``F`` and ``|A| = d - |b|``: every pair's sum over the background is a
combination of graded superset sums of the background patterns (the weight on supersets
of ``F``, ``F + i``, ``F + ij`` with ``m`` features), one table of ``2**d`` entries per
leaf; leaves with more than ``_MAX_GRADED_BITS`` path features sum over their patterns.

Work is vectorised over leaves with equal ``d`` and over rows, in chunks bounded by the
batch policy; each chunk's leaf matrices are added into the result by one sparse
product. The diagonal comes from the Shapley values of :class:`TreeShap`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import beta

from ..._core import batch_units, chunk_bounds, gauss_legendre, read_tree_model
from ._explainer import _check_background, _check_rows, fill_by_chunks
from ._paths import _Paths, _Router
from ._tables import _popcount

__all__ = ["TreeInteractions"]

_CHUNK_CELLS = 2**21  # floats of one work array per chunk of leaves and rows (16 MiB)
_RESULT_CELLS = 2**24  # floats of the result accumulated per chunk of rows with batch_size="auto"
_MAX_GRADED_BITS = 10  # interventional leaves with at most this many path features use graded sums


def fold_pairs(values, onto):
    """Sum interaction values (n, d, d, o) over derived columns into (n, f, f, o), with
    ``onto`` (d, f) the one-hot matrix of each derived column's source column."""
    return np.einsum("nijo,ia,jb->nabo", values, onto, onto, optimize=True)


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
        values = np.zeros((len(X), p, p, o))
        fill_by_chunks(self._explain_rows, X, values, bounds, n_jobs=n_jobs, verbose=verbose,
                       desc="SHAP interactions")
        if ens.columns is not None:  # model columns summed into the caller's columns
            onto = np.zeros((p, ens.n_features))
            onto[np.arange(p), ens.columns] = 1.0
            values = fold_pairs(values, onto)
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
        self.features = paths.features[leaves, :d]
        self.value = ens.value[leaves]  # (L, width)
        self.columns = ens.tree_columns[ens.tree_of[leaves]]  # (L, width): output column of each value
        self.p, self.o = ens.n_model_features, ens.n_outputs
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
        leaf, patterns, inverse = _distinct_patterns(sat)
        merged = np.bincount(inverse.ravel(), weights=np.broadcast_to(weights, (n_leaves, m)).ravel(),
                             minlength=len(leaf))
        first = np.searchsorted(leaf, np.arange(n_leaves))  # patterns come sorted by leaf
        rank = np.arange(len(leaf)) - first[leaf]
        k = int(rank.max()) + 1
        self.patterns = np.ones((n_leaves, k, d), bool)  # (L, K, d); padding has weight 0
        self.pattern_weights = np.zeros((n_leaves, k))
        self.patterns[leaf, rank] = patterns
        self.pattern_weights[leaf, rank] = merged
        size = np.arange(d + 1, dtype=np.float64)
        a, b = np.meshgrid(size, size, indexing="ij")
        self.integral = beta(a + 1, b + 1)  # |A'|! |B'|! / (|A'| + |B'| + 1)!, indexed [|A'|, |B'|]

    def add_into(self, out, goes_left):
        """Add the group's off-diagonal interaction values into ``out`` (p * p * o, n_rows).

        A leaf's matrix depends on a row only through which path features it satisfies:
        it is computed once per distinct pattern of each leaf, then read for every row.
        """
        n_rows, d, n_leaves = goes_left.shape[1], self.d, len(self.gpos)
        graded = self.patterns is not None and d <= _MAX_GRADED_BITS
        if self.patterns is None:
            per_leaf = d * (d + len(self.t)) * n_rows
        elif graded:
            per_leaf = 4 * d * d * n_rows + 4 * (d + 1) * 2**d
        else:
            per_leaf = d * (d + 4 * self.patterns.shape[1]) * n_rows
        for start, stop in chunk_bounds(n_leaves, max(1, _CHUNK_CELLS // max(per_leaf, 1))):
            leaf, a, inverse = _distinct_patterns(self._satisfied(goes_left, start, stop))
            if self.patterns is None:
                phi = self._path_dependent(a, self.ratio[leaf + start])
            elif graded:
                phi = self._interventional_graded(a, leaf, self._graded(start, stop))
            else:
                phi = self._interventional(a, self.patterns[leaf + start], self.pattern_weights[leaf + start])
            cells = np.take(phi.reshape(len(phi), d * d).T, inverse, axis=1)  # (d * d, L, n)
            out += self._scatter(start, stop) @ cells.reshape(-1, n_rows)

    def _scatter(self, start, stop):
        """Sparse map from the chunk's cells (pair (i, j), leaf) to the flat (p, p, o) result.

        Leaf ``l``'s pair ``(i, j)`` adds half the leaf's value times its twice-index to
        cell ``(feature_i, feature_j, output)``; built per chunk, so memory stays bounded.
        """
        d, p, o = self.d, self.p, self.o
        features, columns = self.features[start:stop], self.columns[start:stop]
        n_leaves = stop - start
        cell = (features[:, :, None, None] * p + features[:, None, :, None]) * o + columns[:, None, None, :]
        source = np.arange(d * d).reshape(1, d, d, 1) * n_leaves + np.arange(n_leaves).reshape(-1, 1, 1, 1)
        source = np.broadcast_to(source, cell.shape)
        data = np.broadcast_to(0.5 * self.value[start:stop, None, None, :], cell.shape)
        off = np.broadcast_to(~np.eye(d, dtype=bool)[None, :, :, None], cell.shape)
        return sparse.csr_matrix((data[off], (cell[off], source[off])), shape=(p * p * o, n_leaves * d * d))

    def _path_dependent(self, a, ratio):
        """Twice the interaction index of the product games, shape (U, d, d)."""
        a = a.astype(np.float64)[:, None, :]  # (U, 1, d)
        r = ratio[:, None, :]  # (U, 1, d)
        t = self.t[:, None]  # (Q, 1)
        factor = t * a + (1.0 - t) * r  # (U, Q, d)
        zero = factor == 0.0
        safe = np.where(zero, 1.0, factor)
        product = np.where(zero.any(axis=-1), 0.0, safe.prod(axis=-1)) * self.w  # (U, Q)
        g = (a - r) / safe
        # sum over the nodes q of w_q P(t_q) g_i(t_q) g_j(t_q): one small matrix product per pattern
        return np.matmul((g * product[..., None]).swapaxes(-1, -2), g)

    def _interventional(self, a, patterns, weights):
        """Twice the interaction index averaged over background patterns, shape (U, d, d).

        A background pattern ``b`` counts only if it satisfies every feature the row
        fails, so the features only the background satisfies are exactly those the row
        fails (``B``, the same for every ``b``) and only ``A = a - b`` varies: pairs in
        ``B`` share one coefficient, pairs across ``A`` and ``B`` one vector, and only
        pairs in ``A`` need a matrix product over the background patterns.
        """
        failed = ~a  # (U, d): B
        only_a = a[:, None, :] & ~patterns  # (U, K, d): A for each background pattern
        compatible = (patterns | a[:, None, :]).all(axis=-1)  # (U, K)
        n_a, n_b = only_a.sum(axis=-1), failed.sum(axis=-1)[:, None]
        w = weights * compatible
        top = self.integral.shape[0] - 1

        def coef(da, db):
            return w * self.integral[np.clip(n_a - da, 0, top), np.clip(n_b - db, 0, top)]

        A, B = only_a.astype(np.float64), failed.astype(np.float64)
        both_a = np.matmul((A * coef(2, 0)[..., None]).swapaxes(-1, -2), A)
        both_b = coef(0, 2).sum(axis=-1)[:, None, None] * (B[:, :, None] * B[:, None, :])
        mixed = np.einsum("uk,ukd->ud", coef(1, 1), A)[:, :, None] * B[:, None, :]  # i in A, j in B
        return both_a + both_b - mixed - mixed.swapaxes(-1, -2)

    def _graded(self, start, stop):
        """Weighted graded superset sums of the background patterns of some leaves.

        With ``G[l, F, m]`` the weight of the background rows that satisfy every path
        feature of leaf ``l`` in the set ``F`` and ``m`` path features in all, returns
        ``H[t, l, F, f] = sum_m c_t(m, f) G[l, F, m]`` for the three coefficients ``c_t``
        of :meth:`_interventional_graded` (``f``: the size of the row's failed set),
        shape (3, L, 2**d, d + 1).
        """
        patterns, weights = self.patterns[start:stop], self.pattern_weights[start:stop]
        n_leaves, _, d = patterns.shape
        size = 2**d
        codes = (patterns.astype(np.int64) << np.arange(d, dtype=np.int64)).sum(axis=-1)  # (L, K)
        flat = (_popcount(d)[codes] * size + codes) * n_leaves + np.arange(n_leaves)[:, None]
        graded = np.bincount(flat.ravel(), weights=weights.ravel(), minlength=(d + 1) * size * n_leaves)
        graded = graded.reshape(d + 1, size, n_leaves)
        for k in range(d):  # add each pattern with bit k set into the one without it
            view = graded.reshape(d + 1, size >> (k + 1), 2, (1 << k) * n_leaves)
            view[:, :, 0] += view[:, :, 1]
        m, f = np.arange(d + 1)[None, :], np.arange(d + 1)[:, None]
        top = self.integral.shape[0] - 1
        coef = np.stack([  # [t, f, m]: |A'| and |B'| for pairs in A, across A and F, in F; |A| = d - m
            self.integral[np.clip(d - m - 2, 0, top), f],
            self.integral[np.clip(d - m - 1, 0, top), np.clip(f - 1, 0, top)],
            self.integral[d - m, np.clip(f - 2, 0, top)],
        ])
        return np.einsum("msl,tfm->tlsf", graded, coef, optimize=True)

    def _interventional_graded(self, a, leaf, H):
        """As :meth:`_interventional`, from the weighted graded sums ``H`` of :meth:`_graded`.

        The compatible background patterns are the supersets ``b`` of the row's failed
        set ``F``, and ``|A| = d - |b|``: pairs in ``A`` sum over ``b`` that fail both
        (inclusion-exclusion over ``F``, ``F + i``, ``F + j``, ``F + ij``), pairs across
        ``A`` and ``F`` over ``b`` failing ``i``, pairs in ``F`` over all ``b``.
        """
        d = self.d
        size = 2**d
        bits = np.left_shift(1, np.arange(d, dtype=np.int64))
        failed = ~a
        F = (failed.astype(np.int64) * bits).sum(axis=-1)  # (U,)
        f = failed.sum(axis=-1)  # (U,)
        Fi = F[:, None] | bits  # (U, d)
        in_a, across, in_f = (table.reshape(-1) for table in H)

        def read(table, sets, f):
            return table[((leaf.reshape((-1,) + (1,) * (sets.ndim - 1)) * size + sets) * (d + 1)) + f]

        fi = f[:, None]
        both_b = read(in_f, F, f)  # (U,)
        mixed = read(across, F, f)[:, None] - read(across, Fi, fi)  # (U, d): i in A, j in F
        pair_i = read(in_a, Fi, fi)
        both_a = read(in_a, F, f)[:, None, None] - pair_i[:, :, None] - pair_i[:, None, :]
        both_a += read(in_a, Fi[:, :, None] | bits, fi[:, :, None])
        B = failed.astype(np.float64)
        mixed = mixed[:, :, None] * B[:, None, :]
        return both_a + both_b[:, None, None] * (B[:, :, None] * B[:, None, :]) - mixed - mixed.swapaxes(-1, -2)


def _distinct_patterns(sat):
    """The distinct patterns of each leaf among rows.

    Parameters
    ----------
    sat : ndarray of bool of shape (n_leaves, d, n_rows)
        Whether each row satisfies each path feature of each leaf.

    Returns
    -------
    leaf : ndarray of shape (n_patterns,)
        The leaf of each distinct pattern, sorted.
    patterns : ndarray of bool of shape (n_patterns, d)
    inverse : ndarray of shape (n_leaves, n_rows)
        The pattern of each leaf and row.
    """
    n_leaves, d, n_rows = sat.shape
    if d + int(n_leaves).bit_length() > 62:  # too wide for one integer key: every row its own pattern
        leaf = np.repeat(np.arange(n_leaves), n_rows)
        return leaf, sat.transpose(0, 2, 1).reshape(-1, d), np.arange(n_leaves * n_rows).reshape(n_leaves, n_rows)
    codes = (sat.astype(np.int64) << np.arange(d, dtype=np.int64)[None, :, None]).sum(axis=1)  # (L, n)
    keys = (np.arange(n_leaves, dtype=np.int64)[:, None] << d) | codes
    unique, inverse = np.unique(keys, return_inverse=True)
    patterns = ((unique[:, None] >> np.arange(d, dtype=np.int64)) & 1).astype(bool)
    return unique >> d, patterns, inverse.reshape(n_leaves, n_rows)
