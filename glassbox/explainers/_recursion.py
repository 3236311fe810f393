"""Friedman's recursion: partial dependence of tree ensembles without calling the model.

A tree's partial dependence on target features at a grid point is the sum over its
leaves of the leaf value times the training share of the paths through splits on other
features, over the leaves the grid point can reach through splits on the targets
(Friedman 2001). Here every tree of an ensemble is walked from the roots one level at a
time, all trees at once: a split on a target narrows the interval of target values (and
whether a missing value) that reach each side; a split on another feature passes both
sides on, weighted by their training shares. Each leaf then adds its weighted value to
every grid point in its intervals through a difference array and cumulative sums, so a
grid of any size costs one pass over the nodes.

The trees are read as parallel arrays by the core tree reader,
:func:`glassbox._core.read_tree_model` (scikit-learn's decision trees, forests, extra
trees, gradient boosting and histogram gradient boosting, and glassbox's trees).
"""

from __future__ import annotations

from itertools import product

import numpy as np

from .._core import is_tree_model, read_tree_model

__all__ = ["tree_partial_dependence", "tree_traversal"]


def tree_traversal(estimator, method):
    """``(trees, None)``: the model's trees prepared for the recursion, as a ``_TreeLevels``;
    ``(None, reason)`` when the recursion does not apply to the model or this output."""
    name = type(estimator).__name__
    if not is_tree_model(estimator):
        return None, f"got {name}"
    try:
        ensemble = read_tree_model(estimator, method)
    except ValueError as exc:
        return None, str(exc)
    if ensemble.transform is not None or ensemble.columns is not None:
        return None, f"{name} recodes categorical features before its trees"
    if not ensemble.cover_is_count:
        return None, f"the cover {name} records is a sum of hessians, not of training rows"
    return _TreeLevels(ensemble), None


class _TreeLevels:
    """The nodes of every tree of an ensemble, grouped by depth, for level-wise walks.

    Attributes
    ----------
    levels : list of tuple
        Per depth, the internal nodes of all trees at that depth with their children,
        training share going left, split feature, threshold and where missing goes.
    leaves : ndarray of int
    leaf_values : ndarray of shape (n_leaves, n_outputs)
        Each leaf's (scaled) value in the model's output columns.
    categorical_features : set of int
        Features some tree splits on as a category (sets of levels, not thresholds): the
        recursion cannot take them as targets.
    """

    def __init__(self, ensemble):
        self.ensemble = ensemble
        categorical = ensemble.categorical
        self.categorical_features = set() if categorical is None else set(ensemble.feature[categorical].tolist())
        left, right, cover = ensemble.left, ensemble.right, ensemble.cover
        with np.errstate(invalid="ignore", divide="ignore"):
            share_left = cover[np.maximum(left, 0)] / cover
        share_left = np.where(np.isfinite(share_left), share_left, 0.5)
        self.levels = []
        for nodes in ensemble.levels()[:-1]:  # the last level holds leaves only
            inner = nodes[left[nodes] >= 0]
            self.levels.append((
                inner, left[inner], right[inner], share_left[inner], ensemble.feature[inner],
                ensemble.threshold[inner], ensemble.missing_left[inner],
            ))
        self.leaves = np.flatnonzero(left < 0)
        self.leaf_values = np.zeros((len(self.leaves), ensemble.n_outputs))
        columns = ensemble.tree_columns[ensemble.tree_of[self.leaves]]  # (n_leaves, width)
        self.leaf_values[np.arange(len(self.leaves))[:, None], columns] = ensemble.value[self.leaves]


def tree_partial_dependence(trees, targets, grids):
    """Partial dependence of a tree ensemble on a grid, without calling the model.

    The trees are walked from the roots one level at a time, all trees at once. A split
    on a target feature narrows the interval of target values that reach each side (and
    whether a missing value does); a split on another feature passes both sides on,
    weighted by their training shares. A leaf then adds ``weight * value`` to every grid
    point inside its intervals: a difference array and a cumulative sum per axis.

    Parameters
    ----------
    trees : _TreeLevels
    targets : tuple of int
        The model columns of the effect (one or two).
    grids : list of ndarray
        Sorted grid values of each target, NaN last for a missing point.

    Returns
    -------
    values : ndarray of shape (*grid_shape, n_outputs)
    """
    ensemble = trees.ensemble
    n_nodes, n_targets = ensemble.n_nodes, len(targets)
    position = np.full(max(ensemble.n_model_features, int(ensemble.feature.max(initial=-1)) + 1), -1)
    position[list(targets)] = np.arange(n_targets)
    weight = np.ones(n_nodes)  # product of the training shares of splits on other features
    low = [np.full(n_nodes, -np.inf) for _ in targets]  # target values in (low, high] reach a node,
    high = [np.full(n_nodes, np.inf) for _ in targets]
    missing = [np.ones(n_nodes, dtype=bool) for _ in targets]  # and a missing value does or not
    for nodes, left, right, share, feature, cut, missing_goes_left in trees.levels:
        t = position[feature]
        is_target = t >= 0
        w = weight[nodes]
        weight[left] = w * np.where(is_target, 1.0, share)
        weight[right] = w * np.where(is_target, 1.0, 1.0 - share)
        for k in range(n_targets):
            on = t == k
            lo, hi, ms = low[k][nodes], high[k][nodes], missing[k][nodes]
            low[k][left] = lo
            high[k][right] = hi
            if on.any():
                high[k][left] = np.where(on, np.minimum(hi, cut), hi)
                low[k][right] = np.where(on, np.maximum(lo, cut), lo)
                missing[k][left] = ms & (~on | missing_goes_left)
                missing[k][right] = ms & (~on | ~missing_goes_left)
            else:
                high[k][left], low[k][right] = hi, lo
                missing[k][left] = missing[k][right] = ms
    leaves = trees.leaves
    low = np.stack([a[leaves] for a in low], axis=1)  # (n_leaves, n_targets)
    high = np.stack([a[leaves] for a in high], axis=1)
    missing = np.stack([a[leaves] for a in missing], axis=1)
    contribution = trees.leaf_values * weight[leaves][:, None]
    node = leaves

    # Per axis, the grid indices a leaf covers: a range of values, and the missing point.
    ranges, shape = [], []
    for t, grid in enumerate(grids):
        grid = np.asarray(grid, dtype=np.float64)
        has_missing = bool(len(grid)) and np.isnan(grid[-1])
        values = grid[:-1] if has_missing else grid
        if ensemble.float32_inputs:  # scikit-learn's CART compares float32 inputs
            values = values.astype(np.float32).astype(np.float64)
        start = np.searchsorted(values, low[:, t], side="right")
        stop = np.searchsorted(values, high[:, t], side="right")
        axis = [(start, stop, stop > start)]
        if has_missing:
            n_values = len(values)
            axis.append((np.full(len(node), n_values), np.full(len(node), n_values + 1), missing[:, t]))
        ranges.append(axis)
        shape.append(len(grid))

    # Difference array over the grid (one extra slot per axis), then cumulative sums.
    dims = tuple(n + 1 for n in shape)
    n_outputs = ensemble.n_outputs
    total = np.zeros(int(np.prod(dims)) * n_outputs)
    for combination in product(*ranges):
        active = np.logical_and.reduce([r[2] for r in combination])
        if not active.any():
            continue
        part = contribution[active]
        for corner in product((0, 1), repeat=n_targets):
            index = tuple(combination[t][corner[t]][active] for t in range(n_targets))
            flat = np.ravel_multi_index(index, dims)
            sign = -1.0 if sum(corner) % 2 else 1.0
            cells = (flat[:, None] * n_outputs + np.arange(n_outputs)).ravel()
            total += np.bincount(cells, weights=sign * part.ravel(), minlength=len(total))
    total = total.reshape(*dims, n_outputs)
    for axis in range(n_targets):
        total = np.cumsum(total, axis=axis)
    return total[tuple(slice(0, n) for n in shape)] + ensemble.offset
