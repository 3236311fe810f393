"""The local regressions of LIME, solved from weighted moments for many rows at once.

A chunk of explained rows reduces its perturbed samples to weighted moments of the
interpretable design, in ``G`` groups of samples: Gram matrices with an intercept column
first, cross products with the outputs and weighted sums of squared outputs. Everything
here works on these moments for every row and output at once:

- feature selection: forward selection by partial regressions on the Gram matrix, the
  largest ridge weights, or LARS on each row's Gram matrix;
- the weighted ridge regression on the selected features, one ``np.linalg.solve`` over
  ``(n_rows, n_outputs, k + 1, k + 1)``, with its weighted R²;
- the standard errors of the weights: a delete-a-group jackknife, the same ridge
  regression refitted ``G`` times on the moments of all groups but one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import lars_path_gram

from .._core import Workspace

__all__ = ["N_GROUPS", "LocalModels", "group_moments", "moment_cells"]

N_GROUPS = 20
"""Groups of samples of the jackknife behind the standard errors of the weights."""
_HIGHEST_WEIGHTS_ALPHA = 0.01
"""Ridge penalty of the all-feature fit that ranks features for ``"highest_weights"`` (as lime)."""
_JITTER = 1e-10
"""Relative ridge added to the normal equations so that constant columns stay solvable."""

@dataclass(frozen=True)
class LocalModels:
    """How each row's local model is chosen and fitted.

    Attributes
    ----------
    num_features : int or None
        Most features of a local model; ``None`` for all.
    selection : str
        ``"auto"``, ``"forward"``, ``"highest_weights"``, ``"lasso_path"`` or ``"none"``.
    alpha : float
        Ridge penalty (the intercept is not penalised).
    num_samples : int
        Samples per row (LARS takes it for its degrees of freedom).
    """

    num_features: int | None
    selection: str
    alpha: float
    num_samples: int

    def fit(self, moments, row_design):
        """Weights, intercepts, weighted R² and jackknife standard errors of every row.

        Parameters
        ----------
        moments : tuple
            ``(gram, cross, squares)`` of :func:`group_moments`, with a group axis.
        row_design : ndarray of shape (c, p)
            The rows' interpretable representation (ranks ``"highest_weights"``).

        Returns
        -------
        coef, intercept, r2, std
            Of shapes (c, o, p), (c, o), (c, o) and (c, o, p), as :func:`_weighted_ridge`
            returns them.
        """
        gram, cross = moments[0].sum(axis=1), moments[1].sum(axis=1)
        selected, is_selected = self._select(gram, cross, row_design)
        return _weighted_ridge(moments, selected, is_selected, self.alpha)

    def _select(self, gram, cross, row_design):
        """Features of every local model: indices (c, o, k) and which slots are used."""
        n_rows, n_outputs, n_terms = cross.shape
        n_features = n_terms - 1
        k = n_features if self.num_features is None else min(self.num_features, n_features)
        method = self.selection
        if method == "auto":
            method = "forward" if k <= 6 else "highest_weights"
        if k == n_features or method == "none":
            return None, None
        if method == "forward":
            selected = _forward_selection(gram, cross, k)
            return selected, np.ones(selected.shape, dtype=bool)
        if method == "highest_weights":
            penalty = np.full(n_terms, _HIGHEST_WEIGHTS_ALPHA)
            coef = _solve_penalised(gram, cross.transpose(0, 2, 1), penalty)[:, 1:].transpose(0, 2, 1)
            score = np.abs(coef * row_design[:, None, :])  # (c, o, p)
            selected = np.argsort(-score, axis=-1, kind="stable")[..., :k]
            return selected, np.ones(selected.shape, dtype=bool)
        return _lasso_path_selection(gram, cross, k, self.num_samples)


def moment_cells(n_samples, n_features, n_outputs, n_groups=N_GROUPS):
    """Floats one explained row holds in the products of :func:`group_moments`.

    ``G (p + 1 + o)**2``, independent of the number of samples: with few samples a row
    they outweigh the samples themselves (``20 * 33**2`` against ``100 * 30`` floats for
    100 samples of 30 features), so the batch policy counts them beside the samples,
    and a chunk stays within ``batch_size`` rows' worth of floats whatever ``num_samples``.
    """
    return min(n_groups, n_samples) * (n_features + 1 + n_outputs) ** 2


def group_moments(design, weights, outputs, n_groups=N_GROUPS, workspace=None):
    """Weighted moments of the design of a chunk of rows, in contiguous groups of samples.

    Parameters
    ----------
    design : ndarray of shape (c, N, p)
        Interpretable representation of each row's samples (float, or bool indicators).
    weights : ndarray of shape (c, N)
    outputs : ndarray of shape (c, N, o)
    n_groups : int
        Groups of samples (at most ``N``).
    workspace : Workspace, optional
        Lends the weighted design and its products its buffers (the moments returned
        are views of them, valid until the next chunk asks the workspace again).

    Returns
    -------
    gram : ndarray of shape (c, G, p + 1, p + 1)
        Weighted Gram matrices of the design with an intercept column first.
    cross : ndarray of shape (c, G, o, p + 1)
        Weighted cross products of that design with the outputs.
    squares : ndarray of shape (c, G, o)
        Weighted sums of squared outputs.
    """
    n_rows, n_samples, n_features = design.shape
    n_outputs = outputs.shape[2]
    size = -(-n_samples // min(n_groups, n_samples))  # samples per group, the last group padded
    n_groups = -(-n_samples // size)  # with zero weights
    n_terms = 1 + n_features + n_outputs
    # [1, design, outputs] times the square roots of the weights: the moments are its
    # cross products with itself (a symmetric product), group by group
    root = np.sqrt(weights)
    shape = (n_rows, n_groups * size, n_terms)
    workspace = Workspace() if workspace is None else workspace
    scaled = workspace.array("scaled", shape, np.float64)
    scaled[:, n_samples:] = 0.0
    scaled[:, :n_samples, 0] = root
    np.multiply(design, root[:, :, None], out=scaled[:, :n_samples, 1 : n_features + 1])
    for k in range(n_outputs):  # a column at a time: a loop over the samples, not over pairs of outputs
        np.multiply(outputs[:, :, k], root, out=scaled[:, :n_samples, n_features + 1 + k])
    scaled = scaled.reshape(n_rows * n_groups, size, n_terms)
    shape = (n_rows * n_groups, n_terms, n_terms)
    products = np.matmul(scaled.transpose(0, 2, 1), scaled, out=workspace.array("products", shape, np.float64))
    products = products.reshape(n_rows, n_groups, n_terms, n_terms)
    terms = n_features + 1
    gram = products[..., :terms, :terms]
    cross = products[..., terms:, :terms]
    squares = np.diagonal(products[..., terms:, terms:], axis1=-2, axis2=-1)
    return gram, cross, squares


def _gather(gram, index):
    """``gram[i, index[i, o][:, None], index[i, o][None, :]]`` of shape (n, o, m, m), and
    the rows ``gram[i, index[i, o], :]`` of shape (n, o, m, P)."""
    n_outputs = index.shape[1]
    full = np.broadcast_to(gram[:, None], (gram.shape[0], n_outputs, *gram.shape[1:]))
    rows = np.take_along_axis(full, index[..., :, None], axis=2)
    return np.take_along_axis(rows, index[..., None, :], axis=3), rows


def _solve_penalised(a, b, penalty):
    """Solve ``(a + diag(penalty)) x = b`` for stacked systems; the first term (the
    intercept) gets no penalty, and a small relative ridge keeps constant columns solvable."""
    size = a.shape[-1]
    scale = np.trace(a, axis1=-2, axis2=-1)[..., None] / size
    diagonal = np.broadcast_to(penalty + _JITTER * scale, (*a.shape[:-1],)).copy()
    diagonal[..., 0] = 0.0
    a = a + diagonal[..., :, None] * np.eye(size)
    return np.linalg.solve(a, b)


def _weighted_ridge(moments, selected, is_selected, alpha):
    """Weighted ridge on the selected features of every row and output, from moments,
    with delete-a-group jackknife standard errors of its weights.

    The ridge regression is solved once on the moments of every group and once on those
    of all groups but one, for each group; the standard error of a weight is ``sqrt((G -
    1) / G * sum_g (b_g - mean_g b_g)**2)`` over these refits.

    Parameters
    ----------
    moments : tuple
        ``(gram, cross, squares)`` of :func:`group_moments`, of shapes (n, G, P, P),
        (n, G, o, P) and (n, G, o), with ``P = p + 1``.
    selected : ndarray of int of shape (n, o, k), or None for every feature
        Feature indices (0-based) of each local model.
    is_selected : ndarray of bool of shape (n, o, k), or None
        Which slots of ``selected`` are used (LARS may keep fewer than ``k``).
    alpha : float

    Returns
    -------
    coef : ndarray of shape (n, o, p)
        Weights of every feature (0 for features left out).
    intercept : ndarray of shape (n, o)
    r2 : ndarray of shape (n, o)
        Weighted R² of each local model on its samples.
    std : ndarray of shape (n, o, p)
        Jackknife standard errors of ``coef``, the features chosen held fixed (0 for
        features left out, NaN with a single group).
    """
    group_gram, group_cross, group_squares = moments
    n_rows, n_groups, n_outputs, n_terms = group_cross.shape
    if selected is None:  # every feature, in order: no gathering
        a = group_gram[:, :, None]  # (n, G, 1, P, P)
        b = group_cross  # (n, G, o, P)
        used = np.ones((1, 1, n_terms), dtype=bool)
    else:
        terms = np.concatenate([np.zeros((n_rows, n_outputs, 1), dtype=np.intp), selected + 1], axis=2)[:, None]
        used = np.concatenate([np.ones((n_rows, n_outputs, 1), dtype=bool), is_selected], axis=2)  # (n, o, m)
        row = np.arange(n_rows)[:, None, None, None]
        group = np.arange(n_groups)[None, :, None, None]
        a = group_gram[row[..., None], group[..., None], terms[..., :, None], terms[..., None, :]]  # (n, G, o, m, m)
        b = group_cross[row, group, np.arange(n_outputs)[:, None], terms]  # (n, G, o, m)
    a_all, b_all = a.sum(axis=1, keepdims=True), b.sum(axis=1, keepdims=True)
    if n_groups > 1:  # the fit on every group first, then those leaving one group out
        a, b = np.concatenate([a_all, a_all - a], axis=1), np.concatenate([b_all, b_all - b], axis=1)
    else:
        a, b = a_all, b_all
    size = a.shape[-1]
    used = used[:, None]  # (n, 1, o, m)
    pair = used[..., :, None] & used[..., None, :]
    if not used.all():  # unused slots: an identity row, so that their weight is 0
        a = np.where(pair, a, 0.0) + np.where(used, 0.0, 1.0)[..., None] * np.eye(size)
        b = np.where(used, b, 0.0)
    beta = _solve_penalised(a, b[..., None], np.where(used, float(alpha), 0.0))[..., 0]  # (n, 1 + G, o, m)
    fit = beta[:, 0]
    std = np.full(fit.shape, np.nan)
    if n_groups > 1:
        left_out = beta[:, 1:]
        std = np.sqrt((n_groups - 1) / n_groups * np.square(left_out - left_out.mean(axis=1, keepdims=True)).sum(1))
    squares = group_squares.sum(axis=1)
    fitted_a = np.where(pair[:, 0], a[:, 0], 0.0)  # (n, o or 1, m, m)
    quadratic = (fit[..., None, :] @ fitted_a @ fit[..., :, None])[..., 0, 0]
    residual = squares - 2.0 * (fit * b[:, 0]).sum(axis=2) + quadratic
    total_weight = group_gram[:, :, 0, 0].sum(axis=1)[:, None]
    intercept_cross = group_cross[..., 0].sum(axis=1)
    total = squares - np.square(intercept_cross) / total_weight
    flat = total <= 1e-12 * np.maximum(squares, np.finfo(np.float64).tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(flat, 1.0, 1.0 - np.maximum(residual, 0.0) / np.where(flat, 1.0, total))
    if selected is None:
        return fit[..., 1:], fit[..., 0], r2, std[..., 1:]
    n_features = n_terms - 1
    slots = np.where(is_selected, selected, n_features)  # unused slots land past the last feature
    coef = np.zeros((n_rows, n_outputs, n_features + 1))
    error = np.zeros(coef.shape)
    np.put_along_axis(coef, slots, fit[..., 1:], axis=2)
    np.put_along_axis(error, slots, np.where(is_selected, std[..., 1:], 0.0), axis=2)
    return coef[..., :-1], fit[..., 0], r2, error[..., :-1]


def _forward_selection(gram, cross, k):
    """Greedy forward selection by weighted least squares for every row and output.

    At each step the feature added is the one whose weighted least-squares fit together
    with the features already chosen (and the intercept) has the smallest residual sum
    of squares; its decrease is ``r_j**2 / d_j``, with ``r_j`` the covariance of feature
    ``j`` with the current residual and ``d_j`` its variance left after projecting on
    the chosen features, both read off the Gram matrix. Returns indices (n, o, k).
    """
    n_rows, n_outputs, n_terms = cross.shape
    diagonal = np.diagonal(gram, axis1=1, axis2=2)[:, None, :]  # (n, 1, P)
    chosen = np.zeros((n_rows, n_outputs, 1), dtype=np.intp)  # the intercept
    taken = np.zeros((n_rows, n_outputs, n_terms), dtype=bool)
    taken[..., 0] = True
    for _ in range(k):
        a, rows = _gather(gram, chosen)  # (n, o, m, m), (n, o, m, P)
        b = np.take_along_axis(cross, chosen, axis=2)
        solution = _solve_penalised(a, np.concatenate([rows, b[..., None]], axis=3), 0.0)
        projection, coef = solution[..., :-1], solution[..., -1]
        left_variance = diagonal - (rows * projection).sum(axis=2)  # (n, o, P)
        left_covariance = cross - (rows * coef[..., None]).sum(axis=2)
        usable = (left_variance > 1e-10 * diagonal) & ~taken
        gain = np.where(usable, np.square(left_covariance) / np.where(usable, left_variance, 1.0), -1.0)
        gain[taken] = -np.inf  # degenerate features come last, chosen ones never again
        best = np.argmax(gain, axis=2)[..., None]
        np.put_along_axis(taken, best, True, axis=2)
        chosen = np.concatenate([chosen, best], axis=2)
    return chosen[..., 1:] - 1


def _lasso_path_selection(gram, cross, k, n_samples):
    """Features of the last point of each weighted lasso path with at most ``k`` of them.

    LARS runs on each row's and output's centred weighted Gram matrix (p x p), never on
    the samples. Returns indices (n, o, k) and which slots are used.
    """
    n_rows, n_outputs, n_terms = cross.shape
    total = gram[:, 0, 0]
    centred_gram = gram[:, 1:, 1:] - gram[:, 1:, :1] * gram[:, :1, 1:] / total[:, None, None]
    centred_cross = cross[..., 1:] - gram[:, None, 0, 1:] * cross[..., :1] / total[:, None, None]
    selected = np.zeros((n_rows, n_outputs, k), dtype=np.intp)
    is_selected = np.zeros((n_rows, n_outputs, k), dtype=bool)
    for i in range(n_rows):
        for o in range(n_outputs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # LARS warns on degenerate (constant) columns
                _, _, path = lars_path_gram(centred_cross[i, o], centred_gram[i], n_samples=n_samples, method="lasso")
            sizes = np.count_nonzero(path, axis=0)
            small = np.flatnonzero(sizes <= k)
            if len(small) == 0:
                continue
            support = np.flatnonzero(path[:, small[-1]])
            selected[i, o, : len(support)] = support
            is_selected[i, o, : len(support)] = True
    return selected, is_selected
