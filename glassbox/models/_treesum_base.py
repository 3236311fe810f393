"""What TreeSumClassifier and TreeSumRegressor share: growing the trees on the core's
bins, reading them as TreeNodes, their shrinkage, explanations and exports.

The trees are grown by :func:`._treesum_growth.grow_tree_sum` on the bins of
:func:`~glassbox._core.fit_bins` and read into one :class:`~glassbox.models.TreeNodes`
per tree, on glassbox's encoded representation. Prediction, the rules of the leaves, the
local contributions and every export (:mod:`._render._treesum`) are computed from those
arrays, so the model a reader sees is the model that predicts.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._core import (
    Interval,
    StrOptions,
    apply_bins,
    batch_units,
    check_sample_weight,
    chunk_bounds,
    fit_bins,
    tree_parents,
    tree_preorder,
    validate_params,
    validate_X,
)
from ..explanation import Explanation
from ._render._tree import rule_text
from ._render._treesum import tree_sum_python, tree_sum_sql, tree_sum_text
from ._shrinkage import SHRINKAGE_CONSTRAINT, ShrinkageMixin
from ._tree_nodes import TreeNodes, _conjunction
from ._treesum_growth import grow_tree_sum, make_loss

if TYPE_CHECKING:
    from .._core._typing import EstimatorT

__all__ = ["MIN_GAIN", "_TreeSumMixin"]

# max_bins="auto": 255 value bins per numeric column, or one per 8 training rows (at least 16).
_MAX_AUTO_BINS, _ROWS_PER_BIN, _MIN_AUTO_BINS = 255, 8, 16
# The default least share of the constant model's deviance a split must remove.
MIN_GAIN = 1e-4


class _TreeSumMixin(ShrinkageMixin):
    """What the sum-of-trees classifier and regressor share."""

    # Fitted attributes.
    trees_: list  # (n_trees,) of TreeNodes
    rules_: list  # (n_trees,) of lists of Conditions, one per leaf
    feature_importances_: np.ndarray  # (n_features_in_,)

    _parameter_constraints = {
        "max_splits": [Interval(Integral, 0, None, closed="left")],
        "max_trees": [Interval(Integral, 1, None, closed="left"), None],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0.0, None, closed="left")],
        "min_gain": [Interval(Real, 0.0, 1.0, closed="both")],
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "max_bins": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
    }

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Grow the trees on ``X, y``, one split at a time, up to ``max_splits`` splits.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical (pandas category, object or string) and missing values
            are accepted.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; ``None`` weighs every row equally.

        Returns
        -------
        self : object
            The fitted model.
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        n_samples = X_encoded.shape[0]
        Y, loss_name = self._target(y, n_samples)
        w = check_sample_weight(sample_weight, n_samples)
        schema = self._feature_schema
        counted = X_encoded[w > 0]  # rows of zero weight take no part, not even in the bins
        max_bins = self.max_bins
        if max_bins == "auto":  # 255, or one bin per 8 rows: a threshold between a few rows is noise
            max_bins = int(np.clip(len(counted) // _ROWS_PER_BIN, _MIN_AUTO_BINS, _MAX_AUTO_BINS))
        self.bins_ = fit_bins(
            counted, schema.is_categorical, max_bins=max_bins, categories=schema.categories,
            random_state=self.random_state,
        )
        grown = grow_tree_sum(
            apply_bins(self.bins_, X_encoded),
            self.bins_,
            Y,
            w,
            make_loss(loss_name, self.l2_regularization),
            max_splits=self.max_splits,
            max_trees=self.max_trees,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            min_gain=self.min_gain,
        )
        self.trees_ = [_read_grown_tree(tree) for tree in grown]
        self._apply_shrinkage(X_encoded, y, sample_weight)
        self._had_missing = np.isnan(counted).any(axis=0)  # (n_features,)
        self.n_trees_ = len(self.trees_)
        self.complexity_ = int(sum(len(t.left) // 2 for t in self.trees_))
        self.rules_ = [[_conjunction(edges) for edges in t.leaf_paths()] for t in self.trees_]
        leaves = [tree.row_leaf for tree in grown]  # each row's leaf, as the trees' apply finds it
        self._importances, self._tree_importances = self._training_importances(X_encoded, w, leaves)
        total = self._importances.sum()
        self.feature_importances_ = self._importances.sum(axis=1) / total if total > 0 else np.zeros(self.n_features_in_)
        return self

    # -- the trees --------------------------------------------------------------------
    def _shrinkable_trees(self):
        return self.trees_

    def _set_trees(self, trees):
        self.trees_ = trees

    def _raw_scores(self, X_encoded):
        """Sum of the trees' values, shape (n_samples, n_outputs)."""
        return sum(t.value[t.apply(X_encoded)] for t in self.trees_)

    def _training_importances(self, X_encoded, w, leaves=None):
        """Mean absolute contribution of each feature, and of each tree, over the training
        rows, in chunks of rows that bound the memory of the contributions; ``leaves``:
        each tree's leaf of every row, if known."""
        weights = w / w.sum()
        n_samples, n_features = X_encoded.shape
        n_outputs = self.trees_[0].value.shape[1]
        per_feature = np.zeros((n_features, n_outputs))
        per_tree = np.zeros((len(self.trees_), n_outputs))
        rows_per_chunk = batch_units("auto", row_cells=n_features, unit_cells=n_features * n_outputs)
        for start, stop in chunk_bounds(n_samples, rows_per_chunk):
            X, chunk_weights = X_encoded[start:stop], weights[start:stop]
            chunk = [tree.apply(X) for tree in self.trees_] if leaves is None else [leaf[start:stop] for leaf in leaves]
            per_feature += np.einsum("njk,n->jk", np.abs(self._contributions(X, chunk)), chunk_weights)
            for t, (tree, leaf) in enumerate(zip(self.trees_, chunk)):
                per_tree[t] += np.abs(tree.value[leaf] - tree.value[0]).T @ chunk_weights
        return per_feature, per_tree

    def _contributions(self, X_encoded, leaves=None):
        """Saabas contributions summed over the trees; ``leaves``: each tree's ``apply``, if known."""
        if leaves is None:
            leaves = [t.apply(X_encoded) for t in self.trees_]
        return sum(t.contributions(leaf, self.n_features_in_) for t, leaf in zip(self.trees_, leaves))

    def _base_value(self):
        return sum(t.value[0] for t in self.trees_)

    def apply(self, X: ArrayLike) -> np.ndarray:
        """The leaf each row falls in, in every tree: its position in ``rules_[tree]``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of int of shape (n_samples, n_trees)
        """
        X_encoded = self._encode(X)
        return np.column_stack([_leaf_position(t)[t.apply(X_encoded)] for t in self.trees_])

    # -- explanations -------------------------------------------------------------------
    def explain(self, X: ArrayLike | None = None, *, by: Literal["feature", "tree"] = "feature") -> Explanation:
        """Importance of each feature (or tree), or the contributions to rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), default=None
            Rows to explain. ``None`` gives the global explanation.
        by : {"feature", "tree"}, default="feature"
            Columns of the explanation: one per feature, or one per tree (named
            ``"tree 1"``, ``"tree 2"``, ...).

        Returns
        -------
        explanation : Explanation
            Without ``X``: values of shape (n_features or n_trees, n_outputs), the mean
            absolute contribution over the training rows (weighted by
            ``sample_weight``). With ``X``: values of shape (n_samples, n_features or
            n_trees, n_outputs). By feature, every split on a row's path in every tree
            gives the change of the node value to the feature it splits on (Saabas); by
            tree, each tree gives its leaf's value minus its root's, and ``data`` holds
            the rule of the leaf the row falls in. The base value is the sum of the
            trees' root values (their training means), so ``values.sum(axis=1) +
            base_values`` is the model's score: ``predict`` of the regressor,
            ``decision_function`` of the classifier (the log-odds of ``classes_[1]`` for
            two classes, one softmax score per class for more).
        """
        check_is_fitted(self)
        if by not in ("feature", "tree"):
            raise ValueError(f"by must be 'feature' or 'tree'; got {by!r}.")
        output_names = self._output_names()
        tree_names = np.asarray([f"tree {t + 1}" for t in range(self.n_trees_)], dtype=object)
        if X is None:
            values, names = (self._importances, None) if by == "feature" else (self._tree_importances, tree_names)
            return Explanation(
                values,
                feature_names=self._feature_schema.feature_names if names is None else names,
                output_names=output_names,
                method="mean-absolute-contribution",
            )
        X_encoded = self._encode(X)
        base = np.broadcast_to(self._base_value(), (len(X_encoded), len(output_names)))
        if by == "feature":
            return self._local_explanation(X_encoded, self._contributions(X_encoded), base, output_names, "saabas")
        values = np.zeros((len(X_encoded), self.n_trees_, len(output_names)))
        data = np.empty((len(X_encoded), self.n_trees_), dtype=object)
        for t, tree in enumerate(self.trees_):
            leaf = tree.apply(X_encoded)
            values[:, t] = tree.value[leaf] - tree.value[0]
            rules = np.asarray([rule_text(self, rule) for rule in self.rules_[t]], dtype=object)
            data[:, t] = rules[_leaf_position(tree)[leaf]]
        return Explanation(
            values, base_values=base, data=data, feature_names=tree_names, output_names=output_names,
            method="tree-sum-trees",
        )

    # -- reading ------------------------------------------------------------------------
    def leaf_rules(self) -> pd.DataFrame:
        """One row per leaf of every tree: its rule, training rows and value(s).

        Returns
        -------
        rules : DataFrame
            Indexed by ``(tree, leaf)`` (trees from 1, leaves as :meth:`apply` gives
            them), with columns ``rule``, ``n_samples`` and the leaf's value per output
            (``value`` for one output, ``value(<class>)`` per class otherwise).
        """
        check_is_fitted(self)
        frames = []
        names = self._output_names()
        columns = ["value"] if len(names) == 1 else [f"value({name})" for name in names]
        for t, tree in enumerate(self.trees_):
            leaves = tree.leaves
            frame = pd.DataFrame({
                "tree": t + 1,
                "leaf": np.arange(len(leaves)),
                "rule": [rule_text(self, rule) for rule in self.rules_[t]],
                "n_samples": tree.n_samples[leaves],
            })
            for k, column in enumerate(columns):
                frame[column] = tree.value[leaves, k]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True).set_index(["tree", "leaf"])

    def to_text(self, *, precision: int = 4) -> str:
        """The model as text: how the trees add up, then each tree as indented text.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of thresholds and values.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        return tree_sum_text(self, precision)

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing the model's outputs for every row of ``table``.

        Each tree is one ``CASE`` expression with a ``WHEN`` per leaf (its rule), and a
        score is their sum; a missing value is ``NULL`` and categories are compared as
        the strings (or numbers) they are. A classifier gives a ``proba_<class>``
        column per class and ``prediction`` (the most probable class); a regressor
        gives ``prediction``.

        Parameters
        ----------
        table : str, default="data"
            The table to select from; ``schema.table`` is quoted part by part.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return tree_sum_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module with ``predict(row)``, and for a classifier
        ``CLASSES``, ``decision_function(row)`` and ``predict_proba(row)``.

        ``row`` is a dict from column name to value (``None`` or NaN is missing;
        categories as their levels). The module needs nothing but Python.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return tree_sum_python(self)


def _leaf_position(tree):
    """Position of each node among the leaves (-1 at a split), shape (n_nodes,)."""
    position = np.full(len(tree.left), -1, dtype=np.intp)
    position[tree.leaves] = np.arange(len(tree.leaves))
    return position


def _read_grown_tree(tree):
    """A grown tree as TreeNodes: a split node's value is the weighted mean of its children's."""
    left, right = np.asarray(tree.left, dtype=np.intp), np.asarray(tree.right, dtype=np.intp)
    value = np.asarray(tree.value, dtype=np.float64)  # (n_nodes, n_outputs): leaves as grown
    weight = np.asarray(tree.weight, dtype=np.float64)
    order = tree_preorder(left, right)
    for node in order[::-1]:  # children before their parent
        if left[node] >= 0:
            a, b = left[node], right[node]
            value[node] = (weight[a] * value[a] + weight[b] * value[b]) / (weight[a] + weight[b])
    return TreeNodes(
        left=left,
        right=right,
        parent=tree_parents(left, right),
        feature=np.asarray(tree.feature, dtype=np.intp),
        op=np.asarray(tree.op, dtype=object),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        missing_left=np.asarray(tree.missing_left, dtype=bool),
        value=value,
        n_samples=np.asarray(tree.count, dtype=np.intp),
        leaves=order[left[order] < 0],
        weight=weight,
    )
