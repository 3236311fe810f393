"""Hierarchical shrinkage of tree node values (Agarwal et al. 2022, ICML).

Each node's value is shrunk toward its parent's: along a path ``t_0`` (the root), ...,
``t_L``, the shrunk value is

    v~(t_L) = v(t_0) + sum_l (v(t_l) - v(t_{l-1})) / (1 + lambda / N(t_{l-1}))

where ``N`` is the training weight of the parent. The tree keeps its splits (the same
complexity); a leaf with few rows moves toward the values of its larger ancestors. The
shrunk values replace the node values, so prediction, the local contributions along the
path (which telescope to the shrunk leaf value) and every export use them.

``lambda`` is a number, or chosen by cross-validation over :data:`SHRINKAGE_GRID`
(held-out log-loss for classifiers, squared error for regressors): the trees are grown
once per fold and only shrunk per ``lambda``.
"""

from __future__ import annotations

from dataclasses import replace
from numbers import Real

import numpy as np
from sklearn.base import clone, is_classifier

from .._core import Interval, StrOptions, cv_folds, draw_seed, tree_depths

__all__ = [
    "SHRINKAGE_CONSTRAINT",
    "SHRINKAGE_GRID",
    "ShrinkageMixin",
    "holdout_log_loss",
    "holdout_squared_error",
    "shrink_values",
]

SHRINKAGE_GRID = (0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 100.0, 500.0)
"""The values of ``lambda`` that ``shrinkage="cv"`` chooses from."""

SHRINKAGE_CONSTRAINT = [Interval(Real, 0.0, None, closed="left"), StrOptions({"cv"}), None]
_N_FOLDS = 5


def shrink_values(nodes, shrinkage):
    """The shrunk value of every node of ``nodes`` (a TreeNodes), shape (n_nodes, n_outputs)."""
    value = np.asarray(nodes.value, dtype=np.float64)
    if not shrinkage:
        return value.copy()
    parent = nodes.parent
    depth = tree_depths(nodes.left, nodes.right)
    factor = np.ones(len(value))
    has_parent = parent >= 0
    factor[has_parent] = 1.0 / (1.0 + shrinkage / nodes.weight[parent[has_parent]])
    shrunk = value.copy()
    for level in range(1, int(depth.max(initial=0)) + 1):  # parents before children
        at = np.flatnonzero(depth == level)
        up = parent[at]
        shrunk[at] = shrunk[up] + (value[at] - value[up]) * factor[at, None]
    return shrunk


class ShrinkageMixin:
    """Hierarchical shrinkage of a tree model's node values, with ``lambda`` by cross-validation.

    A model mixing it in has a ``shrinkage`` parameter and implements
    ``_shrinkable_trees()`` (its TreeNodes, unshrunk during ``fit``),
    ``_set_trees(trees)`` and ``_holdout_loss(raw, y, sample_weight)``, the loss of the
    summed tree values ``raw`` (n_samples, n_outputs) on held-out rows.
    """

    def _apply_shrinkage(self, X_encoded, y, sample_weight):
        """Set ``shrinkage_`` (and ``shrinkage_scores_`` for ``"cv"``) and shrink the trees."""
        if self.shrinkage == "cv":
            self.shrinkage_, self.shrinkage_scores_ = self._cv_shrinkage(X_encoded, y, sample_weight)
        else:
            self.shrinkage_ = 0.0 if self.shrinkage is None else float(self.shrinkage)
        if self.shrinkage_:
            trees = self._shrinkable_trees()
            self._set_trees([replace(t, value=shrink_values(t, self.shrinkage_)) for t in trees])

    def _cv_shrinkage(self, X_encoded, y, sample_weight):
        """The ``lambda`` of :data:`SHRINKAGE_GRID` with the lowest mean held-out loss, and the losses."""
        n_samples = len(X_encoded)
        y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).ravel()
        w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        folds = cv_folds(_N_FOLDS, n_samples, y if is_classifier(self) else None, draw_seed(self.random_state))
        if folds is None:
            what = "rows of every class" if is_classifier(self) else "rows"
            fewest = int(np.unique(y, return_counts=True)[1].min()) if is_classifier(self) else n_samples
            raise ValueError(
                f"shrinkage='cv' chooses lambda by {_N_FOLDS}-fold cross-validation and needs at least 2 {what}; "
                f"got {fewest}. Pass a number as shrinkage instead."
            )
        schema = self._feature_schema
        losses = np.zeros(len(SHRINKAGE_GRID))
        for train, test in folds.split(X_encoded, y):
            model = clone(self).set_params(shrinkage=None)
            model.fit(schema.decode(X_encoded[train]), y[train], sample_weight=w[train])
            X_test = model._encode(schema.decode(X_encoded[test]))
            trees = model._shrinkable_trees()
            leaves = [t.apply(X_test) for t in trees]
            for i, shrinkage in enumerate(SHRINKAGE_GRID):
                raw = sum(shrink_values(t, shrinkage)[leaf] for t, leaf in zip(trees, leaves))
                losses[i] += model._holdout_loss(raw, y[test], w[test]) / folds.n_splits
        return SHRINKAGE_GRID[int(np.argmin(losses))], losses


def holdout_log_loss(log_proba, classes, y, sample_weight):
    """Weighted log-loss of ``log_proba`` (n_samples, n_classes) over ``classes`` on labels
    ``y``; a label the model never saw, or a probability below 1e-15, counts as 1e-15."""
    floor = np.log(1e-15)
    position = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    known = classes[position] == y
    picked = np.where(known, log_proba[np.arange(len(y)), position], floor)
    return -np.average(np.maximum(picked, floor), weights=sample_weight)


def holdout_squared_error(prediction, y, sample_weight):
    """Weighted mean squared error of ``prediction`` (n_samples,) on ``y``."""
    return np.average((prediction - np.asarray(y, dtype=np.float64)) ** 2, weights=sample_weight)
