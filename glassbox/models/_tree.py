"""Decision trees with an exact leaf budget that read as text, rules, SQL and Python.

scikit-learn's CART grows the tree (best first under ``max_leaf_nodes``). The fitted tree
is then read into parallel node arrays on glassbox's encoded representation (numeric
values, category codes, NaN for missing), and prediction, the rule of each leaf, the
local contributions and every export are computed from those arrays, so the model a
reader sees is the model that predicts:

- a categorical column enters CART as one indicator column per level, so a split reads
  ``island = Dream`` / ``island != Dream``; a category is never used as a number;
- missing values use scikit-learn's native support: each split sends them to the side
  learnt at fit (to the larger child when the node saw none), and the condition says so,
  ``(age <= 30 or age is missing)``; a split can also separate missing from present;
- a numeric threshold is the float64 midpoint of the two training values it separates
  (scikit-learn compares in float32), so the training rows fall exactly as CART split
  them and the exported SQL and Python hold the numbers the data holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import Bunch
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import Interval, StrOptions, check_sample_weight, check_target, plain, validate_params, validate_X
from ..explanation import Explanation
from ._conditions import PYTHON_PRELUDE, Conditions, python_literal, sql_identifier, sql_literal, sql_table

__all__ = ["TreeClassifier", "TreeRegressor"]

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
class _Nodes:
    """A fitted tree on the encoded representation, as parallel arrays over its nodes.

    The condition leading to the left child of a split node is ``(feature, op,
    threshold, missing_left)`` in the sense of :class:`Conditions`: ``x <= threshold``,
    ``x != level`` (``threshold`` holds the level code) or ``x is not missing``; the
    right child takes the complement.
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

    def apply(self, X_encoded):
        """The leaf node of each row, moving all rows down one level at a time."""
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

    def contributions(self, leaf_nodes, n_features):
        """Changes of the node value along each row's path, by feature (Saabas).

        Returns an array of shape (n_samples, n_features, n_outputs) whose sum over
        features plus the root value is the value of the row's leaf.
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

    def branch(self, node, go_left):
        """The condition ``(feature, op, value, missing)`` leading to a child of ``node``."""
        return _branch(
            int(self.feature[node]), self.op[node], float(self.threshold[node]), bool(self.missing_left[node]), go_left
        )

    def leaf_paths(self):
        """The conditions from the root to each leaf (root first), leaf by leaf."""
        # Plain lists: the walk is per node, and numpy scalars would only slow it down.
        left, parent = self.left.tolist(), self.parent.tolist()
        splits = list(zip(self.feature.tolist(), self.op.tolist(), self.threshold.tolist(), self.missing_left.tolist()))
        for node in self.leaves.tolist():
            edges = []
            while parent[node] >= 0:
                edges.append(_branch(*splits[parent[node]], node == left[parent[node]]))
                node = parent[node]
            yield edges[::-1]


def _branch(feature, op, threshold, missing_left, go_left):
    if go_left:
        return feature, op, threshold, missing_left
    return feature, _RIGHT_OP[op], threshold, not missing_left


def _read_tree(estimator, design, X_design, value):
    """Read a fitted scikit-learn tree grown on ``design`` into :class:`_Nodes`."""
    tree = estimator.tree_
    left = tree.children_left.astype(np.intp)
    right = tree.children_right.astype(np.intp)
    is_split = left >= 0
    column = np.where(is_split, tree.feature, 0)
    parent = np.full(tree.node_count, -1, dtype=np.intp)
    parent[left[is_split]] = np.flatnonzero(is_split)
    parent[right[is_split]] = np.flatnonzero(is_split)

    threshold = np.where(is_split, tree.threshold, np.nan)
    level = design.level[column]
    on_missing = is_split & np.isinf(threshold)  # present values left, missing right
    on_level = is_split & ~on_missing & (level >= 0)
    on_value = is_split & ~on_missing & (level < 0)
    op = np.full(tree.node_count, "", dtype=object)
    op[on_missing], op[on_level], op[on_value] = "not missing", "!=", "<="
    threshold[on_level] = level[on_level]
    threshold[on_value] = _float64_thresholds(estimator, X_design, column, left, parent, on_value)[on_value]
    order = _preorder(left, right)
    return _Nodes(
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


def _preorder(left, right):
    """Node ids depth first, left before right."""
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] >= 0:
            stack += [right[node], left[node]]
    return np.asarray(order, dtype=np.intp)


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
    parent = np.full(n_nodes, -1, dtype=np.intp)
    parent[left[~is_leaf]] = np.flatnonzero(~is_leaf)
    parent[right[~is_leaf]] = np.flatnonzero(~is_leaf)
    order = _preorder(left, right)
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


# -- the estimators ---------------------------------------------------------------------
class _TreeMixin:
    """What the tree classifier and regressor share: fitting, rules, text and exports."""

    _parameter_constraints = {
        "max_leaf_nodes": [Interval(Integral, 1, None, closed="left"), None],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0.0, 1.0, closed="neither"),
        ],
        "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def fit(self, X, y, *, sample_weight=None):
        """Grow the tree on ``X, y``.

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
        y_fit, sample_weight = self._check_target(y, n_samples, sample_weight)
        design = _IndicatorDesign.from_schema(self._feature_schema)
        X_design = design.transform(X_encoded)
        estimator = self._cart(n_samples).fit(X_design, y_fit, sample_weight=sample_weight)
        self.tree_estimator_ = estimator
        self._nodes = _read_tree(estimator, design, X_design, self._node_values(estimator))
        self._had_missing = np.isnan(X_encoded).any(axis=0)  # (n_features,)
        self.n_leaves_ = len(self._nodes.leaves)
        self.complexity_ = self.n_leaves_ - 1
        self.rules_ = [_conjunction(edges) for edges in self._nodes.leaf_paths()]
        self.feature_importances_ = np.bincount(
            design.feature, weights=estimator.feature_importances_, minlength=self.n_features_in_
        )
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _cart(self, n_samples):
        """The scikit-learn tree that grows this one (on the indicator design)."""
        budget = self.max_leaf_nodes
        single_leaf = budget == 1  # scikit-learn's budget starts at 2: never split the root
        params = dict(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_split=n_samples + 1 if single_leaf else 2,
            min_samples_leaf=self.min_samples_leaf,
            max_leaf_nodes=None if single_leaf else budget,
            ccp_alpha=self.ccp_alpha,
            random_state=self.random_state,
        )
        return self._cart_class(**params)

    def apply(self, X):
        """The leaf each row falls in: its position in ``rules_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        leaf : ndarray of int of shape (n_samples,)
        """
        X_encoded = self._encode(X)
        leaf_nodes = self._nodes.apply(X_encoded)
        position = np.full(len(self._nodes.left), -1, dtype=np.intp)
        position[self._nodes.leaves] = np.arange(self.n_leaves_)
        return position[leaf_nodes]

    def explain(self, X=None):
        """Global feature importances, or the local contributions of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), default=None
            Rows to explain. ``None`` gives the global explanation.

        Returns
        -------
        explanation : Explanation
            Without ``X``: impurity-based importances of shape (n_features, 1), the levels
            of a categorical column summed into it, summing to one (zero for a tree without
            splits). With ``X``: values of shape (n_samples, n_features, n_outputs), where
            each split on a row's path gives the change of the node value (class
            probabilities, or the mean) to the feature split on (Saabas); the base value
            is the root's, so ``values.sum(axis=1) + base_values`` is ``predict_proba``
            (classifier) or ``predict`` (regressor) of the row.
        """
        check_is_fitted(self)
        schema = self._feature_schema
        if X is None:
            return Explanation(
                self.feature_importances_[:, None],
                feature_names=schema.feature_names,
                output_names=["importance"],
                method="impurity-importance",
            )
        X_encoded = self._encode(X)
        values = self._nodes.contributions(self._nodes.apply(X_encoded), self.n_features_in_)
        return self._local_explanation(X_encoded, values, self._nodes.value[0], self._output_names(), "saabas")

    def cost_complexity_path(self, X, y, *, sample_weight=None):
        """The minimal cost-complexity pruning path of the tree grown on ``X, y``.

        A tree is grown with this model's parameters and ``ccp_alpha=0``, then pruned one
        weakest link at a time (Breiman et al. 1984), exactly as scikit-learn's
        ``cost_complexity_pruning_path`` does. This model is left unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        path : Bunch
            ``ccp_alphas``: the effective alpha of each step (increasing, the first is 0);
            ``impurities``: the summed, weighted impurity of the leaves after each step;
            ``n_leaves`` and ``complexity`` (splits): the size of the subtree after each
            step. Refitting with ``ccp_alpha=ccp_alphas[i]`` gives that subtree, or the
            smallest of the steps sharing its alpha.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from glassbox.models import TreeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> path = TreeClassifier(max_leaf_nodes=None, random_state=0).cost_complexity_path(X, y)
        >>> path.n_leaves.tolist()
        [9, 7, 5, 4, 3, 2, 1]
        >>> TreeClassifier(max_leaf_nodes=None, ccp_alpha=path.ccp_alphas[4], random_state=0).fit(X, y).n_leaves_
        3
        """
        estimator = clone(self).set_params(ccp_alpha=0.0).fit(X, y, sample_weight=sample_weight)
        alphas, impurities, n_leaves = _pruning_path(estimator.tree_estimator_.tree_)
        return Bunch(ccp_alphas=alphas, impurities=impurities, n_leaves=n_leaves, complexity=n_leaves - 1)

    # -- reading -------------------------------------------------------------------
    def _rule_text(self, rule, precision=4, *, every_missing=False):
        """A conjunction as text. Unless ``every_missing``, where missing values go is said
        only for the columns that held missing values at fit: elsewhere it was not learnt
        from data (they follow the larger branch) and would only clutter the text."""
        if not every_missing:
            rule = Conditions(rule.feature, rule.op, rule.value, rule.missing & self._had_missing[rule.feature])
        schema = self._feature_schema
        return " and ".join(rule.to_text(i, schema, precision=precision) for i in range(len(rule))) or "always"

    def leaf_rules(self):
        """One row per leaf: its rule (the conditions from the root), size and prediction.

        Returns
        -------
        rules : DataFrame
            Indexed by leaf (the positions returned by :meth:`apply`), with columns
            ``rule``, ``n_samples`` (training rows), for a classifier ``p(<class>)`` per
            class, and ``prediction``.
        """
        check_is_fitted(self)
        leaves = self._nodes.leaves
        frame = pd.DataFrame(
            {"rule": [self._rule_text(rule) for rule in self.rules_], "n_samples": self._nodes.n_samples[leaves]},
            index=pd.RangeIndex(len(leaves), name="leaf"),
        )
        for name, values in self._leaf_outputs():
            frame[name] = values
        return frame

    def to_text(self, *, precision=4):
        """The tree as indented text: each branch with its training rows, each leaf with
        its prediction.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of thresholds and predicted values.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        nodes = self._nodes
        lines = []
        stack = [(0, 0, None)]  # (node, depth, condition leading to it)
        while stack:
            node, depth, condition = stack.pop()
            indent = "|   " * depth + "|--- "
            if condition is not None:
                lines.append(f"{indent}{condition} (n={nodes.n_samples[node]})")
                depth += 1
                indent = "|   " * depth + "|--- "
            if nodes.left[node] < 0:
                lines.append(indent + self._leaf_text(node, precision))
                continue
            for child, go_left in ((nodes.right[node], False), (nodes.left[node], True)):
                branch = Conditions.from_lists(*[[part] for part in nodes.branch(node, go_left)])
                stack.append((child, depth, self._rule_text(branch, precision)))
        return "\n".join(lines)

    def to_sql(self, table="data"):
        """A SQL query computing the model's outputs for every row of ``table``.

        Each output is one ``CASE`` expression with a ``WHEN`` per leaf (its rule); a
        missing value is ``NULL`` and categories are compared as the strings (or
        numbers) they are. A classifier gives a ``proba_<class>`` column per class and
        ``prediction`` (the most probable class); a regressor gives ``prediction``.

        Parameters
        ----------
        table : str, default="data"
            The table to select from; ``schema.table`` is quoted part by part.

        Returns
        -------
        sql : str

        Examples
        --------
        >>> import pandas as pd
        >>> from glassbox.models import TreeRegressor
        >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0]})
        >>> model = TreeRegressor(max_leaf_nodes=2).fit(X, [10.0, 12.0, 30.0, 34.0])
        >>> print(model.to_sql(table="items"))
        SELECT
          CASE
            WHEN ("size" IS NOT NULL AND "size" <= 2.5) THEN 11.0
            WHEN ("size" IS NULL OR "size" > 2.5) THEN 32.0
          END AS "prediction"
        FROM "items"
        """
        check_is_fitted(self)
        schema = self._feature_schema
        whens = [" AND ".join(rule.to_sql(i, schema) for i in range(len(rule))) for rule in self.rules_]
        columns = []
        for name, values in self._exported_outputs():
            literals = [sql_literal(plain(v)) for v in values]
            if self.n_leaves_ == 1:
                expression = literals[0]
            else:
                cases = "".join(f"    WHEN {when} THEN {literal}\n" for when, literal in zip(whens, literals))
                expression = f"CASE\n{cases}  END"
            columns.append(f"  {expression} AS {sql_identifier(name)}")
        return "SELECT\n" + ",\n".join(columns) + f"\nFROM {sql_table(table)}"

    def _python_body(self, values):
        """The statements returning ``values[leaf]`` for the leaf a row falls in."""
        schema = self._feature_schema
        lines = []
        for leaf, (rule, value) in enumerate(zip(self.rules_, values)):
            if leaf == self.n_leaves_ - 1:
                if self.n_leaves_ > 1:
                    lines.append(f"    # otherwise: {self._rule_text(rule, every_missing=True)}")
                lines.append(f"    return {value}")
            else:
                test = " and ".join(rule.to_python(i, schema) for i in range(len(rule)))
                lines += [f"    if {test}:", f"        return {value}"]
        return "\n".join(lines)


class TreeClassifier(_TreeMixin, TransparentMixin, ClassifierMixin, BaseEstimator):
    """Decision tree classifier with an exact leaf budget that reads as text and rules.

    scikit-learn's CART grows the tree best first until it has ``max_leaf_nodes``
    leaves (fewer only when no node can be split further), so ``complexity_``, the number
    of splits a reader must read, is ``max_leaf_nodes - 1``. The fitted tree reads as
    indented text with counts and class probabilities, as one rule per leaf, as a SQL
    query and as a plain Python function; its predictions are explained globally
    (impurity importances) and locally (contributions along the decision path that add
    up to ``predict_proba``).

    Categorical columns (pandas category, object or string) enter CART as one indicator
    per level: a split reads ``island = Dream`` against ``island != Dream``, never a code.
    A category that ``fit`` never saw satisfies every ``!=`` condition, so it follows the
    ``!=`` branch of every split on its column (in the exports too). Missing values are
    routed by scikit-learn's native support: each split sends them to the side learnt at
    fit (the larger child when the node saw none) and says so in its condition,
    ``(age <= 30 or age is missing)``; a split may also separate missing from present
    values (``age is missing``). The text and :meth:`leaf_rules` say where missing values
    go for the columns that held some at fit; the SQL and Python exports route every
    missing value, as ``predict`` does.

    Parameters
    ----------
    max_leaf_nodes : int or None, default=8
        The leaf budget: the tree has exactly this many leaves unless no leaf can be
        split further (pure leaves, ``min_samples_leaf``, ``max_depth``, ``ccp_alpha``).
        ``1`` gives a single leaf (the class frequencies); ``None`` grows without limit.
    max_depth : int or None, default=None
        Maximum depth of the tree.
    min_samples_leaf : int or float, default=1
        Minimum number of training rows in a leaf (a fraction of them when a float).
    criterion : {"gini", "entropy", "log_loss"}, default="gini"
        Impurity a split decreases.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying ``sample_weight``; they also weigh the class
        probabilities of the leaves, as in scikit-learn.
    ccp_alpha : float, default=0.0
        Minimal cost-complexity pruning after growth; see :meth:`cost_complexity_path`.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equally good splits (scikit-learn shuffles the features).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    complexity_ : int
        Number of splits (``n_leaves_ - 1``).
    n_leaves_ : int
        Number of leaves.
    rules_ : list of Conditions of length n_leaves_
        The conjunction of conditions from the root to each leaf, left to right, each
        feature stated once; :meth:`leaf_rules` shows them as text.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Impurity-based importance of each column (levels of a categorical summed).
    tree_estimator_ : DecisionTreeClassifier
        The fitted scikit-learn tree, grown on the numeric columns and one indicator
        column per category level.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined when ``X`` has string column names.

    See Also
    --------
    TreeRegressor : The same tree for a numeric target.
    sklearn.tree.DecisionTreeClassifier : The CART implementation it builds on.

    Notes
    -----
    ``predict_proba`` walks the tree on the float64 data; its numeric thresholds are the
    midpoints of the two training values each split separates, so every training row
    falls in the leaf where scikit-learn's tree put it, and values strictly between two
    training values compare as in the exported SQL and Python.

    References
    ----------
    Breiman, Friedman, Olshen and Stone (1984). Classification and Regression Trees.
    Saabas (2014). Interpreting random forests (contributions along the decision path).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from glassbox.models import TreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = TreeClassifier(max_leaf_nodes=3, random_state=0).fit(X, y)
    >>> model.complexity_
    2
    >>> print(model)
    |--- petal width (cm) <= 0.8 (n=50)
    |   |--- class: 0 (p=1.00, n=50)
    |--- petal width (cm) > 0.8 (n=100)
    |   |--- petal width (cm) <= 1.75 (n=54)
    |   |   |--- class: 1 (p=0.91, n=54)
    |   |--- petal width (cm) > 1.75 (n=46)
    |   |   |--- class: 2 (p=0.98, n=46)
    >>> model.leaf_rules()["rule"].tolist()
    ['petal width (cm) <= 0.8', 'petal width (cm) > 0.8 and petal width (cm) <= 1.75', 'petal width (cm) > 1.75']
    >>> exp = model.explain(X.iloc[:1])
    >>> print((exp.base_values + exp.values.sum(axis=1)).round(2))
    [[1. 0. 0.]]
    """

    _parameter_constraints = {
        **_TreeMixin._parameter_constraints,
        "criterion": [StrOptions({"gini", "entropy", "log_loss"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _cart_class = DecisionTreeClassifier

    def __init__(
        self,
        *,
        max_leaf_nodes=8,
        max_depth=None,
        min_samples_leaf=1,
        criterion="gini",
        class_weight=None,
        ccp_alpha=0.0,
        random_state=None,
    ):
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.random_state = random_state

    def _check_target(self, y, n_samples, sample_weight):
        y_index, classes = check_target(self, y, n_samples, task="classification", min_classes=2)
        self.classes_ = classes
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, classes[y_index])
            sample_weight = weights if sample_weight is None else sample_weight * weights
        return y_index, sample_weight

    @staticmethod
    def _node_values(estimator):
        # (n_nodes, n_classes): scikit-learn stores the weighted class fractions.
        return estimator.tree_.value[:, 0, :].copy()

    def _output_names(self):
        return self.classes_

    def predict_proba(self, X):
        """Class probabilities: the weighted class frequencies of each row's leaf.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X_encoded = self._encode(X)
        return self._nodes.value[self._nodes.apply(X_encoded)]

    def predict(self, X):
        """The most probable class of each row (the first of equally probable ones).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _leaf_label(self):
        return self.classes_[np.argmax(self._nodes.value[self._nodes.leaves], axis=1)]

    def _leaf_text(self, node, precision):
        value = self._nodes.value[node]
        best = np.argmax(value)
        return f"class: {plain(self.classes_[best])} (p={value[best]:.2f}, n={self._nodes.n_samples[node]})"

    def _leaf_outputs(self):
        leaf_values = self._nodes.value[self._nodes.leaves]
        columns = [(f"p({plain(label)})", leaf_values[:, k]) for k, label in enumerate(self.classes_)]
        return columns + [("prediction", self._leaf_label())]

    def _exported_outputs(self):
        leaf_values = self._nodes.value[self._nodes.leaves]
        columns = [(f"proba_{plain(label)}", leaf_values[:, k]) for k, label in enumerate(self.classes_)]
        return columns + [("prediction", self._leaf_label())]

    def to_python(self):
        """Source of a Python module with ``predict_proba(row)`` and ``predict(row)``.

        ``row`` is a dict from column name to value (``None`` or NaN is missing;
        categories as their levels). The module needs nothing but Python.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        leaf_values = self._nodes.value[self._nodes.leaves]
        probabilities = [python_literal([float(p) for p in row]) for row in leaf_values]
        classes = python_literal([plain(label) for label in self.classes_])
        return (
            f'"""{type(self).__name__} exported from glassbox: plain Python, no dependencies."""\n\n'
            f"{PYTHON_PRELUDE}\n\n"
            f"CLASSES = {classes}\n\n\n"
            "def predict_proba(row):\n"
            '    """Class probabilities of one row (a dict of column values), in the order of CLASSES."""\n'
            f"{self._python_body(probabilities)}\n\n\n"
            "def predict(row):\n"
            '    """The most probable class of one row."""\n'
            "    proba = predict_proba(row)\n"
            "    return CLASSES[proba.index(max(proba))]\n"
        )


class TreeRegressor(_TreeMixin, TransparentMixin, RegressorMixin, BaseEstimator):
    """Decision tree regressor with an exact leaf budget that reads as text and rules.

    scikit-learn's CART grows the tree best first until it has ``max_leaf_nodes``
    leaves (fewer only when no node can be split further), so ``complexity_``, the number
    of splits a reader must read, is ``max_leaf_nodes - 1``. Each leaf predicts the
    (weighted) mean target of its training rows. The fitted tree reads as indented text
    with counts and means, as one rule per leaf, as a SQL query and as a plain Python
    function; its predictions are explained globally (impurity importances) and locally
    (contributions along the decision path that add up to ``predict``).

    Categorical columns (pandas category, object or string) enter CART as one indicator
    per level: a split reads ``island = Dream`` against ``island != Dream``, never a code.
    A category that ``fit`` never saw satisfies every ``!=`` condition, so it follows the
    ``!=`` branch of every split on its column (in the exports too). Missing values are
    routed by scikit-learn's native support: each split sends them to the side learnt at
    fit (the larger child when the node saw none) and says so in its condition,
    ``(age <= 30 or age is missing)``; a split may also separate missing from present
    values (``age is missing``). The text and :meth:`leaf_rules` say where missing values
    go for the columns that held some at fit; the SQL and Python exports route every
    missing value, as ``predict`` does.

    Parameters
    ----------
    max_leaf_nodes : int or None, default=8
        The leaf budget: the tree has exactly this many leaves unless no leaf can be
        split further (constant leaves, ``min_samples_leaf``, ``max_depth``,
        ``ccp_alpha``). ``1`` gives a single leaf (the mean); ``None`` grows without limit.
    max_depth : int or None, default=None
        Maximum depth of the tree.
    min_samples_leaf : int or float, default=1
        Minimum number of training rows in a leaf (a fraction of them when a float).
    criterion : {"squared_error", "absolute_error", "poisson"}, default="squared_error"
        Impurity a split decreases. With ``"absolute_error"`` a leaf predicts the
        (weighted) median instead of the mean.
    ccp_alpha : float, default=0.0
        Minimal cost-complexity pruning after growth; see :meth:`cost_complexity_path`.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equally good splits (scikit-learn shuffles the features).

    Attributes
    ----------
    complexity_ : int
        Number of splits (``n_leaves_ - 1``).
    n_leaves_ : int
        Number of leaves.
    rules_ : list of Conditions of length n_leaves_
        The conjunction of conditions from the root to each leaf, left to right, each
        feature stated once; :meth:`leaf_rules` shows them as text.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Impurity-based importance of each column (levels of a categorical summed).
    tree_estimator_ : DecisionTreeRegressor
        The fitted scikit-learn tree, grown on the numeric columns and one indicator
        column per category level.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined when ``X`` has string column names.

    See Also
    --------
    TreeClassifier : The same tree for class labels.
    sklearn.tree.DecisionTreeRegressor : The CART implementation it builds on.

    Notes
    -----
    ``predict`` walks the tree on the float64 data; its numeric thresholds are the
    midpoints of the two training values each split separates, so every training row
    falls in the leaf where scikit-learn's tree put it, and values strictly between two
    training values compare as in the exported SQL and Python.

    References
    ----------
    Breiman, Friedman, Olshen and Stone (1984). Classification and Regression Trees.
    Saabas (2014). Interpreting random forests (contributions along the decision path).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import TreeRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    >>> model = TreeRegressor(max_leaf_nodes=3, random_state=0).fit(X, y)
    >>> print(model)
    |--- s5 <= 4.6 (n=218)
    |   |--- value: 110 (n=218)
    |--- s5 > 4.6 (n=224)
    |   |--- bmi <= 27.75 (n=116)
    |   |   |--- value: 162.7 (n=116)
    |   |--- bmi > 27.75 (n=108)
    |   |   |--- value: 225.9 (n=108)
    >>> exp = model.explain(X.iloc[:2])
    >>> print((exp.base_values + exp.values.sum(axis=1)).round(1).ravel())
    [225.9 110. ]
    """

    _parameter_constraints = {
        **_TreeMixin._parameter_constraints,
        "criterion": [StrOptions({"squared_error", "absolute_error", "poisson"})],
    }
    _cart_class = DecisionTreeRegressor

    def __init__(
        self,
        *,
        max_leaf_nodes=8,
        max_depth=None,
        min_samples_leaf=1,
        criterion="squared_error",
        ccp_alpha=0.0,
        random_state=None,
    ):
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.ccp_alpha = ccp_alpha
        self.random_state = random_state

    def _check_target(self, y, n_samples, sample_weight):
        y, _ = check_target(self, y, n_samples, task="regression")
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
        return y, sample_weight

    @staticmethod
    def _node_values(estimator):
        return estimator.tree_.value[:, 0, :].copy()  # (n_nodes, 1): the leaf value

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X):
        """The value of each row's leaf: the mean (median for absolute_error) training target.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        X_encoded = self._encode(X)
        return self._nodes.value[self._nodes.apply(X_encoded), 0]

    def _leaf_text(self, node, precision):
        return f"value: {self._nodes.value[node, 0]:.{precision}g} (n={self._nodes.n_samples[node]})"

    def _leaf_outputs(self):
        return [("prediction", self._nodes.value[self._nodes.leaves, 0])]

    _exported_outputs = _leaf_outputs

    def to_python(self):
        """Source of a Python module with ``predict(row)``.

        ``row`` is a dict from column name to value (``None`` or NaN is missing;
        categories as their levels). The module needs nothing but Python.

        Returns
        -------
        source : str

        Examples
        --------
        >>> import pandas as pd
        >>> from glassbox.models import TreeRegressor
        >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0]})
        >>> model = TreeRegressor(max_leaf_nodes=2).fit(X, [10.0, 12.0, 30.0, 34.0])
        >>> for line in model.to_python().splitlines()[-4:]:
        ...     print(line)
            if (not _missing(row['size']) and row['size'] <= 2.5):
                return 11.0
            # otherwise: (size > 2.5 or size is missing)
            return 32.0
        >>> namespace = {}
        >>> exec(model.to_python(), namespace)
        >>> namespace["predict"]({"size": 1.5}), namespace["predict"]({"size": None})
        (11.0, 32.0)
        """
        check_is_fitted(self)
        values = [python_literal(float(v)) for v in self._nodes.value[self._nodes.leaves, 0]]
        return (
            f'"""{type(self).__name__} exported from glassbox: plain Python, no dependencies."""\n\n'
            f"{PYTHON_PRELUDE}\n\n"
            "def predict(row):\n"
            '    """The prediction for one row (a dict of column values)."""\n'
            f"{self._python_body(values)}\n"
        )
