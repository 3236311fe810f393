"""What TreeClassifier and TreeRegressor share: growing the tree, its leaves and rules,
its explanations, its pruning path, and the methods that read and export it.

scikit-learn's CART grows the tree (best first under ``max_leaf_nodes``) on the numeric
columns and one indicator column per category level. The fitted tree is read into
:class:`~glassbox.models.TreeNodes` on glassbox's encoded representation (see
:mod:`._tree_nodes`), and prediction, the rule of each leaf, the local contributions
and every export (:mod:`._render._tree`) are computed from those arrays, so the model a
reader sees is the model that predicts.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone, is_classifier
from sklearn.utils import Bunch
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted

from .._core import Interval, check_sample_weight, check_target, validate_params, validate_X
from ..explanation import Explanation
from ._render._tree import branch_text, leaf_table, tree_python, tree_sql, tree_text
from ._shrinkage import SHRINKAGE_CONSTRAINT, ShrinkageMixin, holdout_log_loss, holdout_squared_error
from ._tree_nodes import TreeNodes, _conjunction, _IndicatorDesign, _pruning_path, _read_tree

if TYPE_CHECKING:
    from .._core._typing import EstimatorT

__all__ = ["_TreeMixin"]


class _TreeMixin(ShrinkageMixin):
    """What the tree classifier and regressor share: fitting, rules, text and exports."""

    # Fitted attributes.
    nodes_: TreeNodes  # (n_nodes,) parallel arrays
    rules_: list  # (n_leaves,) of Conditions
    feature_importances_: np.ndarray  # (n_features_in_,)

    _parameter_constraints = {
        "max_leaf_nodes": [Interval(Integral, 1, None, closed="left"), None],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0.0, 1.0, closed="neither"),
        ],
        "ccp_alpha": [Interval(Real, 0.0, None, closed="left")],
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "random_state": ["random_state"],
    }

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None) -> EstimatorT:
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
        y_fit, weights = self._check_target(y, n_samples, sample_weight)
        design = _IndicatorDesign.from_schema(self._feature_schema)
        X_design = design.transform(X_encoded)
        estimator = self._cart(n_samples).fit(X_design, y_fit, sample_weight=weights)
        self.tree_estimator_ = estimator
        value = estimator.tree_.value[:, 0, :].copy()  # (n_nodes, n_outputs): class fractions or leaf values
        self.nodes_ = _read_tree(estimator, design, X_design, value)
        self._apply_shrinkage(X_encoded, y, sample_weight)
        self._had_missing = np.isnan(X_encoded).any(axis=0)  # (n_features,)
        self.n_leaves_ = len(self.nodes_.leaves)
        self.complexity_ = self.n_leaves_ - 1
        self.rules_ = [_conjunction(edges) for edges in self.nodes_.leaf_paths()]
        self.feature_importances_ = np.bincount(
            design.feature, weights=estimator.feature_importances_, minlength=self.n_features_in_
        )
        return self

    def _check_target(self, y, n_samples, sample_weight):
        """The target CART fits (class indices or values) and the row weights, times the
        class weights of a classifier."""
        if is_classifier(self):
            y, self.classes_ = check_target(self, y, n_samples, task="classification", min_classes=2)
        else:
            y, _ = check_target(self, y, n_samples, task="regression")
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n_samples)
        if is_classifier(self) and self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, self.classes_[y])
            sample_weight = weights if sample_weight is None else sample_weight * weights
        return y, sample_weight

    def _shrinkable_trees(self):
        return [self.nodes_]

    def _set_trees(self, trees):
        (self.nodes_,) = trees

    def _holdout_loss(self, raw, y, sample_weight):
        """Log-loss of the probabilities ``raw`` (a classifier), squared error of the
        predictions (a regressor), on held-out ``y``."""
        if is_classifier(self):
            log_proba = np.log(np.clip(raw, 1e-15, 1.0))
            return holdout_log_loss(log_proba, self.classes_, y, sample_weight)
        return holdout_squared_error(raw[:, 0], y, sample_weight)

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

    def apply(self, X: ArrayLike) -> np.ndarray:
        """The leaf each row falls in: its position in ``rules_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        leaf : ndarray of int of shape (n_samples,)
        """
        X_encoded = self._encode(X)
        leaf_nodes = self.nodes_.apply(X_encoded)
        position = np.full(len(self.nodes_.left), -1, dtype=np.intp)
        position[self.nodes_.leaves] = np.arange(self.n_leaves_)
        return position[leaf_nodes]

    def explain(self, X: ArrayLike | None = None) -> Explanation:
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
        values = self.nodes_.contributions(self.nodes_.apply(X_encoded), self.n_features_in_)
        return self._local_explanation(X_encoded, values, self.nodes_.value[0], self._output_names(), "saabas")

    def cost_complexity_path(self, X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None) -> Bunch:
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
        estimator = clone(self).set_params(ccp_alpha=0.0, shrinkage=None).fit(X, y, sample_weight=sample_weight)
        alphas, impurities, n_leaves = _pruning_path(estimator.tree_estimator_.tree_)
        return Bunch(ccp_alphas=alphas, impurities=impurities, n_leaves=n_leaves, complexity=n_leaves - 1)

    # -- reading -------------------------------------------------------------------
    def branch_text(self, node: int, *, go_left: bool = True, precision: int = 4) -> str:
        """The condition leading from a split node of ``nodes_`` to one of its children.

        It reads as in :meth:`to_text`: where missing values go is said for the columns
        that held some at fit.

        Parameters
        ----------
        node : int
            A split node of ``nodes_`` (its ``left`` is not -1).
        go_left : bool, default=True
            The condition of the left child, or else of the right child.
        precision : int, default=4
            Significant digits of a threshold.

        Returns
        -------
        text : str

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from glassbox.models import TreeClassifier
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> model = TreeClassifier(max_leaf_nodes=3, random_state=0).fit(X, y)
        >>> model.branch_text(0), model.branch_text(0, go_left=False)
        ('petal width (cm) <= 0.8', 'petal width (cm) > 0.8')
        """
        check_is_fitted(self)
        splits = np.flatnonzero(self.nodes_.left >= 0)
        if node not in splits:
            raise ValueError(f"Node {node} is not a split node of this tree; its split nodes are {splits.tolist()}.")
        return branch_text(self, self.nodes_, node, go_left, precision)

    def leaf_rules(self) -> pd.DataFrame:
        """One row per leaf: its rule (the conditions from the root), size and prediction.

        Returns
        -------
        rules : DataFrame
            Indexed by leaf (the positions returned by :meth:`apply`), with columns
            ``rule``, ``n_samples`` (training rows), for a classifier ``p(<class>)`` per
            class, and ``prediction``.
        """
        check_is_fitted(self)
        return leaf_table(self)

    def to_text(self, *, precision: int = 4) -> str:
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
        return tree_text(self, precision)

    def to_sql(self, table: str = "data") -> str:
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
        return tree_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module with ``predict(row)``, and for a classifier ``CLASSES``
        and ``predict_proba(row)`` (probabilities in the order of ``CLASSES``).

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
        return tree_python(self)
