"""Which method explains each leaf, and explaining a chunk of rows with all of them.

Leaves with few distinct path features get pattern tables merged into blocks
(:mod:`._planner`); leaves with more than the tables afford go through the formulas
without them: the linear pass (:mod:`._linear`, path-dependent: with the whole tree of
such a leaf) or the compatible pairs (:mod:`._pairs`, interventional: those leaves only),
over the nodes above them. A tree that is a single
leaf only shifts the base value. Before any of it, outputs that are combinations of fewer
columns (a forest of binary classifiers: the two probabilities add up to one) are
explained once per independent combination.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._linear import _LinearPathDependent
from ._oblivious import _ObliviousTables, oblivious_trees
from ._pairs import _CompatiblePairs
from ._paths import _Paths, _Router
from ._planner import _Plan, table_bits


class _Engines:
    """TreeSHAP for one model and reference: every tree's method, built once.

    Parameters
    ----------
    ens : TreeEnsemble
    reference : tuple (rows, weights) or None
        Background rows and weights (interventional) or ``None`` (path-dependent).
    expected_rows : int
        Rows expected to be explained: tables are built where that many rows pay
        for them.
    routing : TreeEnsemble, default=None
        The same nodes with the columns their splits read, when ``ens.feature`` names
        players instead (groups of columns: :func:`._explainer.player_ensemble`).

    Attributes
    ----------
    expected_value : ndarray of shape (n_outputs,)
    engines : list
        The methods, each explaining some leaves.
    """

    def __init__(self, ens, reference, expected_rows, routing=None):
        self.ens = ens
        reduced, self.mix, constant = _reduced_outputs(ens, interventional=reference is not None)
        self.reduced = reduced
        paths = _Paths(reduced)
        self.router = _Router(reduced if routing is None else routing, paths.internal)
        self.n_internal = len(paths.internal)
        expected = np.zeros(reduced.n_outputs)
        leaves = np.flatnonzero(reduced.left < 0)
        d = paths.n_unique[leaves]
        tree_of_leaf = reduced.tree_of[leaves]
        # A tree that is a single leaf only adds its value to the base value.
        alone = reduced.left[reduced.roots[tree_of_leaf]] < 0
        np.add.at(expected, reduced.tree_columns[tree_of_leaf[alone]], reduced.value[leaves[alone]])
        goes_left = None
        if reference is not None:
            rows, weights = reference
            goes_left = self.router(np.ascontiguousarray(reduced.model_input(rows).T))
        n_reference = 0 if reference is None else len(reference[1])
        bits = table_bits(d, n_reference, expected_rows)
        # Oblivious trees get one table each, read by their leaf index (see _oblivious).
        symmetric, symmetric_depth = oblivious_trees(reduced, paths, routing)
        is_symmetric = np.zeros(len(reduced.roots), bool)
        is_symmetric[symmetric] = True
        symmetric_leaf = is_symmetric[tree_of_leaf]
        deep = (d > bits) & ~symmetric_leaf
        if reference is None:
            # A tree the linear pass walks anyway is cheaper walked whole: its small
            # subtrees are read from tables by the pass itself (measured on forests of
            # unlimited depth: 1.0-1.3x faster than tabling the leaves with few features).
            walked = np.zeros(len(reduced.roots), bool)
            walked[tree_of_leaf[deep]] = True
            deep = ~alone & walked[tree_of_leaf]
        else:
            # The pairs pass walks the nodes above a tree's deep leaves anyway: there a
            # table saves only the leaf's own pairs, so fewer leaves pay for one.
            walked = np.zeros(len(reduced.roots), bool)
            walked[tree_of_leaf[deep]] = True
            deep |= walked[tree_of_leaf] & (d > table_bits(d, n_reference, expected_rows, walked=True))
        tabled = ~alone & ~deep & ~symmetric_leaf
        deep_leaves = leaves[deep]
        self.engines = []
        if len(symmetric):
            self.engines.append(
                _ObliviousTables(
                    reduced,
                    paths,
                    symmetric,
                    symmetric_depth,
                    None if reference is None else (goes_left, weights),
                    expected,
                    expected_rows,
                )
            )
        if tabled.any():
            self.engines.append(
                _Plan(
                    reduced,
                    paths,
                    leaves[tabled],
                    None if reference is None else (goes_left, weights),
                    expected_rows,
                    expected,
                )
            )
        if len(deep_leaves) and reference is None:
            self.engines.append(_LinearPathDependent(reduced, paths, deep_leaves, expected_rows, expected))
        elif len(deep_leaves):
            self.engines.append(_CompatiblePairs(reduced, paths, deep_leaves, goes_left, weights, expected))
        self.expected_value = constant + (expected if self.mix is None else expected @ self.mix)

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        outputs = self.reduced.n_model_features * (self.reduced.n_outputs + self.ens.n_outputs)
        # The engines run one after the other: their work arrays are never alive together.
        work = max((engine.cells_per_row() for engine in self.engines), default=0)
        return work + self.n_internal // 8 + 1 + outputs

    def explain_chunk(self, Xm):
        """Shapley values of model-input rows, shape (n_rows, n_model_features, n_outputs)."""
        reduced = self.reduced
        goes_left = self.router(np.ascontiguousarray(Xm.T))
        phi = np.zeros((reduced.n_model_features * reduced.n_outputs, len(Xm)))
        for engine in self.engines:
            phi += engine(goes_left)
        phi = phi.reshape(reduced.n_model_features, reduced.n_outputs, len(Xm)).transpose(2, 0, 1)
        return phi if self.mix is None else phi @ self.mix


def _reduced_outputs(ens, interventional):
    """The trees with their outputs reduced to independent combinations, when fewer.

    Shapley values are linear in the leaf values and zero for a tree whose leaves all
    hold the same value, so every tree may be shifted by a constant (its root's value)
    and the shifted values written in an orthonormal basis of the combinations they
    span: ``values = shifted @ mix``. A forest of classifiers of ``k`` classes needs
    ``k - 1`` combinations, their probabilities adding up to one. Path-dependent values
    of a constant tree are zero only when each node's cover is the sum of its
    children's; otherwise nothing is reduced.

    Returns
    -------
    reduced : TreeEnsemble
        ``ens`` itself, or its trees on the combinations (offset zero).
    mix : ndarray of shape (n_combinations, n_outputs) or None
    constant : ndarray of shape (n_outputs,)
        What the base value gets besides the reduced trees' share.
    """
    width = ens.value.shape[1]
    constant = ens.offset.astype(np.float64).copy()
    if width == 1 or (ens.tree_columns != ens.tree_columns[0]).any():
        return ens, None, constant
    inner = np.flatnonzero(ens.left >= 0)
    if not interventional:
        children = ens.cover[ens.left[inner]] + ens.cover[ens.right[inner]]
        if not np.allclose(children, ens.cover[inner], rtol=1e-9, atol=0):
            return ens, None, constant
    shift = ens.value[ens.roots]  # (n_trees, width)
    shifted = ens.value - shift[ens.tree_of]
    leaves = ens.left < 0
    _, singular, basis = np.linalg.svd(shifted[leaves], full_matrices=False)
    rank = int((singular > singular[0] * 1e-10).sum()) if singular[0] > 0 else 0
    if rank >= width:
        return ens, None, constant
    rank = max(rank, 1)
    mix = basis[:rank]
    np.add.at(constant, ens.tree_columns[0], shift.sum(axis=0))
    reduced = dataclasses.replace(
        ens,
        value=shifted @ mix.T,
        tree_columns=np.tile(np.arange(rank), (len(ens.roots), 1)),
        n_outputs=rank,
        offset=np.zeros(rank),
    )
    return reduced, mix, constant
