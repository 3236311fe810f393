"""SHAP interaction values: the Shapley interaction index of the exact, tree and linear methods.

For features ``i != j`` of ``M``, the index of Lundberg et al. (2020) is

    Phi_ij = sum over S in N - {i, j} of |S|! (M - |S| - 2)! / (2 (M - 1)!) *
             [v(S + ij) - v(S + i) - v(S + j) + v(S)],

half the Shapley interaction index of Grabisch and Roubens, so that ``Phi_ij = Phi_ji``
splits the pair's interaction between the two; the main effect ``Phi_ii = phi_i -
sum_{j != i} Phi_ij`` makes each row of the matrix sum to the feature's Shapley value
and the whole matrix to the output minus the base value. The exact method weighs the
values of every coalition (the same evaluations as its Shapley values), the tree method
reads the trees (:mod:`._treeshap._interactions`), and a linear model has no
interactions: its matrix is diagonal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._interaction_result import InteractionExplanation
from ._shapley_designs import exact_values
from ._treeshap._interactions import TreeInteractions, fold_pairs

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["InteractionsMixin", "exact_interactions"]

INTERACTION_METHODS = ("exact", "tree", "linear")


def exact_interactions(masks, v, fx, v0):
    """Interaction values (g, p, p, o) off the diagonal from the values of every coalition.

    Parameters
    ----------
    masks : ndarray of shape (2**p - 2, p)
        Every coalition but the empty and full ones, as in
        :func:`~glassbox.explainers._shapley_designs.exact_design` (coalition ``c`` has
        code ``c + 1``).
    v : ndarray of shape (g, 2**p - 2, o)
    fx : ndarray of shape (g, o)
        The full coalition's values.
    v0 : ndarray of shape (o,)
        The empty coalition's value.

    Notes
    -----
    A coalition ``T`` enters ``Phi_ij`` as ``v(S + ij)``, ``v(S + i)``, ``v(S + j)`` or
    ``v(S)`` of ``S = T - {i, j}``: with weight ``w(|T| - 2)`` when it holds both,
    ``w(|T|)`` when it holds neither and ``-w(|T| - 1)`` when it holds one, where
    ``w(s) = s! (p - s - 2)! / (2 (p - 1)!)``. One weight matrix per feature ``i``
    (``p`` by ``2**p``) keeps memory linear in the coalitions.
    """
    g, _, o = v.shape
    p = masks.shape[1]
    full = np.ones((1, p), bool)
    empty = np.zeros((1, p), bool)
    M = np.concatenate([empty, masks, full]).astype(np.float64)  # (2**p, p)
    values = np.concatenate([np.broadcast_to(v0, (g, 1, o)), v, fx[:, None, :]], axis=1) - v0  # (g, 2**p, o)
    size = M.sum(axis=1).astype(np.intp)
    weight = np.zeros(p + 3)  # w(s) for s = -2 .. p, zero outside 0 .. p - 2
    for s in range(p - 1):
        weight[s + 2] = math.factorial(s) * math.factorial(p - s - 2) / (2 * math.factorial(p - 1))
    both, neither, one = weight[size], weight[size + 2], weight[size + 1]  # w(|T| - 2), w(|T|), w(|T| - 1)
    N = 1.0 - M
    out = np.zeros((g, p, p, o))
    flat = values.transpose(1, 0, 2).reshape(len(M), g * o)
    for i in range(p):
        with_i = M[:, i, None] * (both[:, None] * M - one[:, None] * N)
        without_i = N[:, i, None] * (neither[:, None] * N - one[:, None] * M)
        out[:, i] = (((with_i + without_i).T @ flat).reshape(p, g, o)).transpose(1, 0, 2)
    out[:, np.arange(p), np.arange(p)] = 0.0
    return out


def with_main_effects(interactions, phi):
    """Put ``phi_i - sum_{j != i} Phi_ij`` on the diagonal of off-diagonal values, in place."""
    diagonal = np.arange(interactions.shape[1])
    interactions[:, diagonal, diagonal] = 0.0
    interactions[:, diagonal, diagonal] = phi - interactions.sum(axis=2)
    return interactions


class InteractionsMixin:
    """``explain_interactions`` of :class:`~glassbox.explainers.ShapleyExplainer`."""

    def explain_interactions(self, X: ArrayLike) -> InteractionExplanation:
        """SHAP interaction values of the rows of ``X``: main effects and pairwise interactions.

        The Shapley interaction index of Lundberg et al. (2020): ``values[n, i, j, o]``
        for ``i != j`` is half the interaction of features ``i`` and ``j`` in row ``n``
        (the other half is ``values[n, j, i, o]``); the diagonal holds each feature's main
        effect, its Shapley value minus its interactions. Computed exactly by the methods
        ``"tree"`` (path-dependent or interventional, as fitted), ``"exact"`` (every
        coalition, ``p`` times the work of its Shapley values) and ``"linear"`` (a linear
        model has no interactions: its matrix is diagonal).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.

        Returns
        -------
        interactions : InteractionExplanation
            ``values`` of shape (n_samples, n_features, n_features, n_outputs) (the output
            axis is always kept, as in :class:`~glassbox.Explanation`); each row of a
            matrix sums to the feature's Shapley value (``explain(X).values``) and the
            whole matrix plus ``base_values`` to the explained output. Columns a Pipeline
            derives from one input column are summed onto it, as for the Shapley values.

        Raises
        ------
        ValueError
            For the sampling methods (``"kernel"``, ``"permutation"``), feature groups
            and documents, which have no interaction values here.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.ensemble import RandomForestRegressor
        >>> from glassbox.explainers import ShapleyExplainer
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> model = RandomForestRegressor(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
        >>> explainer = ShapleyExplainer(model, feature_perturbation="tree_path_dependent").fit(X)
        >>> inter = explainer.explain_interactions(X.iloc[:5])
        >>> inter.shape
        (5, 10, 10, 1)
        >>> shap = explainer.explain(X.iloc[:5])
        >>> bool(np.allclose(inter.values.sum(axis=2), shap.values))
        True
        >>> bool(np.allclose(inter.output()[:, 0], model.predict(X.iloc[:5])))
        True
        """
        check_is_fitted(self)
        if getattr(self, "_vectorizer", None) is not None:
            raise ValueError(
                "explain_interactions explains the columns of a table; documents are explained per token by "
                "explain(). Pass a table of features."
            )
        if self._players.grouped:
            raise ValueError(
                "explain_interactions values single columns, not groups; fit the explainer without groups "
                "(groups=None) to get interaction values."
            )
        if self.method_ not in INTERACTION_METHODS:
            raise ValueError(
                f"explain_interactions supports method='tree', 'exact' and 'linear'; this explainer uses "
                f"method={self.method_!r}, which samples. Use method='exact' (up to 16 features) or, for tree "
                "models, method='tree'."
            )
        X_encoded, model_output = self._prepare(X)
        compute = {"exact": self._interactions_exact, "tree": self._interactions_tree,
                   "linear": self._interactions_linear}[self.method_]
        values, base_values = compute(X_encoded, model_output)
        data, names = self._attributed(model_output.schema.display(X_encoded), model_output.schema.feature_names)
        return InteractionExplanation(values, base_values=base_values, data=data, feature_names=names,
                                      output_names=self.output_names_, method=f"shapley-{self.method_}")

    def _interactions_exact(self, X, model_output):
        masks, W = self._design["masks"], self._design["weights"]
        p, n_outputs = X.shape[1], model_output.n_outputs
        v0 = self._base_value(model_output)
        values = np.empty((len(X), p, p, n_outputs))
        for start, stop in self._row_groups(len(X), len(masks) * n_outputs * 2):
            v, fx = self._evaluate(X[start:stop], masks, model_output)
            off = exact_interactions(masks, v, fx, v0)
            values[start:stop] = with_main_effects(off, exact_values(W, v, fx, v0))
        return values, np.broadcast_to(v0, (len(X), n_outputs))

    def _interactions_linear(self, X, model_output):
        phi, base_values, _ = self._explain_linear(X, model_output)
        values = np.zeros((len(X), phi.shape[1], phi.shape[1], phi.shape[2]))
        return with_main_effects(values, phi), base_values

    def _interactions_tree(self, X, model_output):
        phi, base_values, _ = self._explain_tree(X, model_output)
        front = self._front
        background, weights, _ = self._tree_background  # no players: groups are refused above
        decode = model_output.schema.decode if front.transformer is None else None
        tree = TreeInteractions(self._tree_final, background=background, background_weights=weights,
                                output=self._tree_tables.output_method, decode=decode)
        off = tree.explain(front.transform(X, model_output.schema), batch_size=self.batch_size,
                           n_jobs=self.n_jobs, verbose=self.verbose)
        if front.transformer is not None:  # derived columns summed onto their source, as for the values
            off = fold_pairs(off, front.folding_matrix())
        return with_main_effects(off, phi), base_values
