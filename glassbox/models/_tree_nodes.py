"""A fitted tree as parallel arrays over its nodes, read from scikit-learn's CART.

CART grows the tree on a design matrix of numeric columns and one indicator column per
category level (:class:`_IndicatorDesign`). The fitted tree is read back onto glassbox's
encoded representation (numeric values, category codes, NaN for missing) as
:class:`TreeNodes`: a split reads ``x <= threshold``, ``x != level`` or ``x is not
missing``, with the side missing values take, and every numeric threshold is the
float64 midpoint of the two training values it separates. This module also merges the
conditions of a root-to-leaf path into one conjunction and computes the minimal
cost-complexity pruning path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._core import (
    SPLIT_NOT_EQUAL,
    SPLIT_NUMERIC,
    TreeList,
    resolve_tree_output,
    tree_depths,
    tree_parents,
    tree_preorder,
)
from ._conditions import Conditions

__all__ = ["TreeNodes", "read_nodes_ensemble"]

# The condition leading to the right child, given the one leading to the left child.
_RIGHT_OP = {"<=": ">", "!=": "==", "not missing": "missing"}


# -- the matrix CART is grown on ------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _IndicatorDesign:
    """Numeric columns as they are, one indicator column per level of a categorical one.

    An indicator is 1.0 where the row holds the level, 0.0 where it holds another level
    (or one ``fit`` never saw, code -1) and NaN where the category is missing, so that
    scikit-learn routes missing categories like missing numbers.
    """

    feature: np.ndarray  # (n_columns,) original column of each design column
    level: np.ndarray  # (n_columns,) level code of an indicator column, -1 for a numeric column

    @classmethod
    def from_schema(cls, schema):
        feature, level = [], []
        for j in range(schema.n_features):
            if schema.is_categorical[j]:
                n_levels = len(schema.categories[j])
                feature += [j] * n_levels
                level += range(n_levels)
            else:
                feature.append(j)
                level.append(-1)
        return cls(np.asarray(feature, dtype=np.intp), np.asarray(level, dtype=np.intp))

    def transform(self, X_encoded):
        """The design matrix of encoded rows, shape (n_samples, n_columns)."""
        Z = X_encoded[:, self.feature]  # (n_samples, n_columns), a copy
        is_indicator = self.level >= 0
        codes = Z[:, is_indicator]
        Z[:, is_indicator] = np.where(np.isnan(codes), np.nan, codes == self.level[is_indicator])
        return Z


# -- the fitted tree as parallel arrays -------------------------------------------------
@dataclass(frozen=True, eq=False)
class TreeNodes:
    """A fitted tree on the encoded representation, as parallel arrays over its nodes.

    Node 0 is the root. The condition leading to the left child of a split node is
    ``(feature, op, threshold, missing_left)``: ``x <= threshold``, ``x != level``
    (``threshold`` holds the level's code in the model's categories) or ``x is not
    missing`` (``threshold`` is ``inf``), and it holds for a missing value when
    ``missing_left``; the right child takes the complement. ``TreeClassifier.nodes_``
    and ``TreeRegressor.nodes_`` are instances; the readers below give the structure a
    display or an explainer needs.

    Attributes
    ----------
    left, right : ndarray of int of shape (n_nodes,)
        Children of each node, -1 at a leaf.
    parent : ndarray of int of shape (n_nodes,)
        Parent of each node, -1 at the root.
    feature : ndarray of int of shape (n_nodes,)
        Column of ``X`` split on, -1 at a leaf.
    op : ndarray of str of shape (n_nodes,)
        ``"<="``, ``"!="`` or ``"not missing"``; ``""`` at a leaf.
    threshold : ndarray of float of shape (n_nodes,)
        Threshold, level code or ``inf``; NaN at a leaf.
    missing_left : ndarray of bool of shape (n_nodes,)
        Whether a missing value goes left (False at a leaf).
    value : ndarray of shape (n_nodes, n_outputs)
        Class probabilities (classifier) or the predicted value (regressor) of each node.
    n_samples : ndarray of int of shape (n_nodes,)
        Training rows reaching each node.
    leaves : ndarray of int of shape (n_leaves,)
        Leaf node ids, left to right (the order of the model's ``rules_``).
    weight : ndarray of float of shape (n_nodes,)
        Training weight reaching each node (the sum of ``sample_weight``, times the
        class weights): the node sizes of hierarchical shrinkage and the cover of
        TreeSHAP.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from glassbox.models import TreeClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> nodes = TreeClassifier(max_leaf_nodes=3, random_state=0).fit(X, y).nodes_
    >>> nodes.preorder().tolist(), nodes.depth.tolist(), nodes.leaves.tolist()
    ([0, 1, 2, 3, 4], [0, 1, 1, 2, 2], [1, 3, 4])
    """

    left: np.ndarray  # (n_nodes,) left child, -1 at a leaf
    right: np.ndarray  # (n_nodes,) right child, -1 at a leaf
    parent: np.ndarray  # (n_nodes,) parent, -1 at the root
    feature: np.ndarray  # (n_nodes,) original column split on, -1 at a leaf
    op: np.ndarray  # (n_nodes,) "<=", "!=" or "not missing"; "" at a leaf
    threshold: np.ndarray  # (n_nodes,) threshold, level code or inf; NaN at a leaf
    missing_left: np.ndarray  # (n_nodes,) whether a missing value goes left
    value: np.ndarray  # (n_nodes, n_outputs) class probabilities or mean target
    n_samples: np.ndarray  # (n_nodes,) training rows reaching the node
    leaves: np.ndarray  # (n_leaves,) leaf node ids, left to right
    weight: np.ndarray  # (n_nodes,) training weight reaching the node

    @classmethod
    def from_children(cls, left: ArrayLike, right: ArrayLike) -> TreeNodes:
        """The tree of the children arrays ``left`` and ``right`` (node 0 the root), known
        by its shape alone: its splits are not described (``feature`` -1, ``op`` ``""``),
        ``value`` has no column and ``n_samples`` and ``weight`` are 0. Its structure readers work, which
        is what a drawing of a tree needs."""
        left, right = np.asarray(left, dtype=np.intp), np.asarray(right, dtype=np.intp)
        n_nodes = len(left)
        order = tree_preorder(left, right)
        return cls(
            left=left,
            right=right,
            parent=tree_parents(left, right),
            feature=np.full(n_nodes, -1, dtype=np.intp),
            op=np.full(n_nodes, "", dtype=object),
            threshold=np.full(n_nodes, np.nan),
            missing_left=np.zeros(n_nodes, dtype=bool),
            value=np.zeros((n_nodes, 0)),
            n_samples=np.zeros(n_nodes, dtype=np.intp),
            leaves=order[left[order] < 0],
            weight=np.zeros(n_nodes),
        )

    @property
    def depth(self) -> np.ndarray:
        """Depth of each node, shape (n_nodes,): 0 at the root."""
        return tree_depths(self.left, self.right)

    def preorder(self) -> np.ndarray:
        """Node ids depth first, left before right: parents before their children.

        Returns
        -------
        order : ndarray of int of shape (n_nodes,)
        """
        return tree_preorder(self.left, self.right)

    def apply(self, X_encoded: np.ndarray) -> np.ndarray:
        """The leaf node of each row, moving all rows down one level at a time.

        Parameters
        ----------
        X_encoded : ndarray of shape (n_samples, n_features)
            Rows on the model's encoded representation (category codes, NaN missing).

        Returns
        -------
        leaf : ndarray of int of shape (n_samples,)
            Node id of the leaf each row falls in.
        """
        on_level = self.op == "!="  # (n_nodes,)
        node = np.zeros(len(X_encoded), dtype=np.intp)
        rows = np.flatnonzero(self.left[node] >= 0)
        while rows.size:
            at = node[rows]
            x = X_encoded[rows, self.feature[at]]
            threshold = self.threshold[at]
            with np.errstate(invalid="ignore"):
                goes_left = np.where(on_level[at], x != threshold, x <= threshold)
            goes_left = np.where(np.isnan(x), self.missing_left[at], goes_left)
            node[rows] = np.where(goes_left, self.left[at], self.right[at])
            rows = rows[self.left[node[rows]] >= 0]
        return node

    def contributions(self, leaf_nodes: np.ndarray, n_features: int) -> np.ndarray:
        """Changes of the node value along each row's path, by feature (Saabas).

        Parameters
        ----------
        leaf_nodes : ndarray of int of shape (n_samples,)
            The leaf of each row, as :meth:`apply` gives it.
        n_features : int

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_features, n_outputs)
            Their sum over features plus the root value is the value of the row's leaf.
        """
        leaves, row_leaf = np.unique(leaf_nodes, return_inverse=True)
        per_leaf = np.zeros((len(leaves), n_features, self.value.shape[1]))
        child, owner = leaves, np.arange(len(leaves))
        keep = child > 0
        child, owner = child[keep], owner[keep]
        while child.size:  # one level up per pass, for every leaf at once
            parent = self.parent[child]
            np.add.at(per_leaf, (owner, self.feature[parent]), self.value[child] - self.value[parent])
            keep = parent > 0
            child, owner = parent[keep], owner[keep]
        return per_leaf[row_leaf]

    def branch(self, node: int, go_left: bool) -> tuple[int, str, float, bool]:
        """The condition ``(feature, op, value, missing)`` leading from split ``node`` to its
        left child (``go_left``) or its right one, in the sense of the model's conditions:
        the right child takes ``>``, ``==`` or ``missing`` and the other side for a
        missing value."""
        return _branch(
            int(self.feature[node]), self.op[node], float(self.threshold[node]), bool(self.missing_left[node]), go_left
        )

    def leaf_paths(self) -> Iterator[list[tuple[int, str, float, bool]]]:
        """The conditions ``(feature, op, value, missing)`` from the root to each leaf
        (root first), leaf by leaf in the order of ``leaves``."""
        # Plain lists: the walk is per node, and numpy scalars would only slow it down.
        left, parent = self.left.tolist(), self.parent.tolist()
        splits = list(zip(self.feature.tolist(), self.op.tolist(), self.threshold.tolist(), self.missing_left.tolist()))
        for node in self.leaves.tolist():
            edges = []
            while parent[node] >= 0:
                edges.append(_branch(*splits[parent[node]], node == left[parent[node]]))
                node = parent[node]
            yield edges[::-1]


def read_nodes_ensemble(estimator, trees, output, method, decode, n_features):
    """The core tree reader's view of a model whose trees are ``trees`` (TreeNodes), summed
    on its output ``method``, on encoded rows.

    Their splits compare encoded columns: ``x <= threshold`` (float64 thresholds),
    ``x != level`` for a categorical level, and "not missing" (threshold +inf); the
    cover is each node's training weight.
    """
    fields = ("left", "right", "feature", "op", "threshold", "missing_left", "value", "weight")
    if not trees or not all(hasattr(t, f) for t in trees for f in fields):
        raise ValueError(f"This {type(estimator).__name__} does not expose its trees as expected; is it fitted?")
    method = resolve_tree_output(estimator, output, method)
    n_outputs = trees[0].value.shape[1]
    ensemble = TreeList()
    for nodes in trees:
        ensemble.add(
            nodes.left,
            nodes.right,
            nodes.feature,
            np.nan_to_num(nodes.threshold, nan=0.0),
            nodes.missing_left,
            nodes.weight,
            np.asarray(nodes.value, dtype=np.float64),
            np.arange(n_outputs),
            kind=np.where(nodes.op == "!=", SPLIT_NOT_EQUAL, SPLIT_NUMERIC),
        )

    def transform(X):  # rows in the model's own encoding
        return estimator._encode(decode(X))

    return ensemble.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.zeros(n_outputs),
        transform=None if decode is None else transform,
    )


def _branch(feature, op, threshold, missing_left, go_left):
    if go_left:
        return feature, op, threshold, missing_left
    return feature, _RIGHT_OP[op], threshold, not missing_left


def _read_tree(estimator, design, X_design, value):
    """Read a fitted scikit-learn tree grown on ``design`` into :class:`TreeNodes`."""
    tree = estimator.tree_
    left = tree.children_left.astype(np.intp)
    right = tree.children_right.astype(np.intp)
    is_split = left >= 0
    column = np.where(is_split, tree.feature, 0)
    parent = tree_parents(left, right)

    threshold = np.where(is_split, tree.threshold, np.nan)
    level = design.level[column]
    on_missing = is_split & np.isinf(threshold)  # present values left, missing right
    on_level = is_split & ~on_missing & (level >= 0)
    on_value = is_split & ~on_missing & (level < 0)
    op = np.full(tree.node_count, "", dtype=object)
    op[on_missing], op[on_level], op[on_value] = "not missing", "!=", "<="
    threshold[on_level] = level[on_level]
    threshold[on_value] = _float64_thresholds(estimator, X_design, column, left, parent, on_value)[on_value]
    order = tree_preorder(left, right)
    return TreeNodes(
        left=left,
        right=right,
        parent=parent,
        feature=np.where(is_split, design.feature[column], -1),
        op=op,
        threshold=threshold,
        missing_left=tree.missing_go_to_left.astype(bool) & is_split,
        value=value,
        n_samples=tree.n_node_samples.astype(np.intp),
        leaves=order[~is_split[order]],
        weight=tree.weighted_n_node_samples.astype(np.float64),
    )


def _float64_thresholds(estimator, X_design, column, left, parent, on_value):
    """Midpoints between the largest training value sent left and the smallest sent right.

    scikit-learn compares float32 values with its thresholds; these float64 midpoints
    separate the training rows of each node exactly as it did.
    """
    path = estimator.decision_path(X_design).tocoo()  # (n_samples, n_nodes) indicator
    rows, nodes = path.row, path.col
    split = parent[nodes]
    keep = split >= 0
    keep[keep] = on_value[split[keep]]
    rows, nodes, split = rows[keep], nodes[keep], split[keep]
    x = X_design[rows, column[split]]
    present = ~np.isnan(x)
    went_left = present & (nodes == left[split])
    went_right = present & (nodes != left[split])
    largest_left = np.full(len(parent), -np.inf)
    smallest_right = np.full(len(parent), np.inf)
    np.maximum.at(largest_left, split[went_left], x[went_left])
    np.minimum.at(smallest_right, split[went_right], x[went_right])
    found = np.isfinite(largest_left) & np.isfinite(smallest_right)
    low, high = largest_left[found], smallest_right[found]
    midpoint = low / 2 + high / 2
    threshold = estimator.tree_.threshold.copy()
    threshold[found] = np.where(midpoint < high, midpoint, low)
    return threshold


def _conjunction(edges):
    """The conditions of a root-to-leaf path as one conjunction, each feature stated once.

    Repeated bounds on a feature keep the tightest, an equality makes the inequalities on
    its feature redundant, and every remaining condition holds for a missing value
    exactly when all of the feature's conditions did. A path whose conditions on a
    feature cannot hold together for present values is kept as it is.
    """
    by_feature = {}
    for feature, op, value, missing in edges:
        by_feature.setdefault(feature, []).append((op, value, missing))
    merged = [(feature, *c) for feature, conditions in by_feature.items() for c in _merge(conditions)]
    if not merged:
        return Conditions.from_lists([], [], [], [])
    return Conditions.from_lists(*zip(*merged))


def _merge(conditions):
    """Simplify the conditions on one feature (see :func:`_conjunction`)."""
    if len(conditions) == 1:
        return conditions
    holds_if_missing = all(op == "missing" or (op != "not missing" and missing) for op, _, missing in conditions)
    ops = [op for op, _, _ in conditions]
    if "missing" in ops:
        return [c for c in conditions if c[0] == "missing"][:1] if holds_if_missing else conditions
    upper = [value for op, value, _ in conditions if op == "<="]
    lower = [value for op, value, _ in conditions if op == ">"]
    equal = {value for op, value, _ in conditions if op == "=="}
    unequal = list(dict.fromkeys(value for op, value, _ in conditions if op == "!="))
    if len(equal) > 1 or equal & set(unequal) or (upper and lower and max(lower) >= min(upper)):
        return conditions
    merged = []
    if lower:
        merged.append((">", max(lower), holds_if_missing))
    if upper:
        merged.append(("<=", min(upper), holds_if_missing))
    merged += [("==", v, holds_if_missing) for v in equal] or [("!=", v, holds_if_missing) for v in unequal]
    if not merged:  # only "not missing"
        merged.append(("not missing", np.inf, False))
    return merged


def _pruning_path(tree):
    """Minimal cost-complexity pruning (Breiman et al. 1984), step by step.

    Takes the same steps as scikit-learn's ``cost_complexity_pruning_path`` (the same
    arithmetic, in the same order, so that equal alphas break the same way) and also
    counts the leaves of the subtree after each step.

    Returns
    -------
    ccp_alphas, impurities, n_leaves : ndarray of shape (n_steps + 1,)
    """
    left, right = tree.children_left.astype(np.intp), tree.children_right.astype(np.intp)
    n_nodes = tree.node_count
    weight = tree.weighted_n_node_samples
    r_node = weight * tree.impurity / weight[0]
    is_leaf = left < 0
    parent = tree_parents(left, right)
    order = tree_preorder(left, right)
    position = np.empty(n_nodes, dtype=np.intp)
    position[order] = np.arange(n_nodes)
    size = np.ones(n_nodes, dtype=np.intp)  # nodes in each subtree
    for node in order[::-1]:
        if not is_leaf[node]:
            size[node] += size[left[node]] + size[right[node]]

    # (ancestor, leaf) pairs, leaves in increasing id: the order of scikit-learn's sums.
    leaf_ids = np.flatnonzero(is_leaf)
    ancestors, owners = [], []
    current, owner = parent[leaf_ids], leaf_ids
    while current.size:
        keep = current >= 0
        current, owner = current[keep], owner[keep]
        ancestors.append(current)
        owners.append(owner)
        current = parent[current]
    ancestors, owners = np.concatenate(ancestors), np.concatenate(owners)
    by_leaf = np.argsort(owners, kind="stable")
    r_branch = np.where(is_leaf, r_node, 0.0)
    n_leaves = np.zeros(n_nodes, dtype=np.intp)
    np.add.at(r_branch, ancestors[by_leaf], r_node[owners[by_leaf]])
    np.add.at(n_leaves, ancestors, 1)

    candidate = ~is_leaf
    alphas, impurities, leaves = [0.0], [r_branch[0]], [int(is_leaf.sum())]
    while candidate[0]:
        nodes = np.flatnonzero(candidate)
        alpha = (r_node[nodes] - r_branch[nodes]) / (n_leaves[nodes] - 1)
        pruned = nodes[np.argmin(alpha)]
        candidate[order[position[pruned]:position[pruned] + size[pruned]]] = False
        n_pruned_leaves = n_leaves[pruned] - 1
        n_leaves[pruned] = 0
        r_diff = r_node[pruned] - r_branch[pruned]
        r_branch[pruned] = r_node[pruned]
        node = parent[pruned]
        while node >= 0:
            n_leaves[node] -= n_pruned_leaves
            r_branch[node] += r_diff
            node = parent[node]
        alphas.append(alpha.min())
        impurities.append(r_branch[0])
        leaves.append(leaves[-1] - n_pruned_leaves)
    return np.asarray(alphas), np.asarray(impurities), np.asarray(leaves, dtype=np.intp)
