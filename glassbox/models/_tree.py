"""Decision trees with an exact leaf budget that read as text, rules, SQL and Python.

The estimators are here; what they share (growing the tree, reading and exporting it)
is :class:`._tree_base._TreeMixin`, the fitted tree as arrays :mod:`._tree_nodes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .._base import TransparentMixin
from .._core import StrOptions, register_tree_reader
from ._tree_base import _TreeMixin
from ._tree_nodes import read_nodes_ensemble

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike

__all__ = ["TreeClassifier", "TreeRegressor"]


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
    shrinkage : float, "cv" or None, default=None
        Hierarchical shrinkage (Agarwal et al. 2022): after growth, the difference
        between a node's class probabilities and its parent's is divided by
        ``1 + shrinkage / N``, ``N`` the parent's training weight. The splits stay; small
        leaves move toward their ancestors. ``"cv"`` picks the ``shrinkage`` of
        ``(0, 0.1, 1, 10, 25, 50, 100, 500)`` with the lowest 5-fold cross-validated
        log-loss. ``None`` (or 0) keeps CART's values.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equally good splits (scikit-learn shuffles the features)
        and draws the folds of ``shrinkage="cv"``.

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
    nodes_ : TreeNodes
        The fitted tree as parallel arrays over its nodes (children, splits, values,
        training rows), the one that predicts, reads and exports.
    shrinkage_ : float
        The shrinkage applied to ``nodes_.value`` (0 for none).
    shrinkage_scores_ : ndarray of shape (8,)
        With ``shrinkage="cv"``: the mean held-out loss of each candidate.
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
        max_leaf_nodes: int | None = 8,
        max_depth: int | None = None,
        min_samples_leaf: int | float = 1,
        criterion: Literal["gini", "entropy", "log_loss"] = "gini",
        class_weight: dict | Literal["balanced"] | None = None,
        ccp_alpha: float = 0.0,
        shrinkage: float | Literal["cv"] | None = None,
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.shrinkage = shrinkage
        self.random_state = random_state

    def _output_names(self):
        return self.classes_

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
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
        return self.nodes_.value[self.nodes_.apply(X_encoded)]

    def predict(self, X: ArrayLike) -> np.ndarray:
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
    shrinkage : float, "cv" or None, default=None
        Hierarchical shrinkage (Agarwal et al. 2022): after growth, the difference
        between a node's value and its parent's is divided by ``1 + shrinkage / N``,
        ``N`` the parent's training weight. The splits stay; small leaves move toward
        their ancestors. ``"cv"`` picks the ``shrinkage`` of
        ``(0, 0.1, 1, 10, 25, 50, 100, 500)`` with the lowest 5-fold cross-validated
        squared error. ``None`` (or 0) keeps CART's values.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equally good splits (scikit-learn shuffles the features)
        and draws the folds of ``shrinkage="cv"``.

    Attributes
    ----------
    complexity_ : int
        Number of splits (``n_leaves_ - 1``).
    n_leaves_ : int
        Number of leaves.
    rules_ : list of Conditions of length n_leaves_
        The conjunction of conditions from the root to each leaf, left to right, each
        feature stated once; :meth:`leaf_rules` shows them as text.
    nodes_ : TreeNodes
        The fitted tree as parallel arrays over its nodes (children, splits, values,
        training rows), the one that predicts, reads and exports.
    shrinkage_ : float
        The shrinkage applied to ``nodes_.value`` (0 for none).
    shrinkage_scores_ : ndarray of shape (8,)
        With ``shrinkage="cv"``: the mean held-out loss of each candidate.
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
        max_leaf_nodes: int | None = 8,
        max_depth: int | None = None,
        min_samples_leaf: int | float = 1,
        criterion: Literal["squared_error", "absolute_error", "poisson"] = "squared_error",
        ccp_alpha: float = 0.0,
        shrinkage: float | Literal["cv"] | None = None,
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.ccp_alpha = ccp_alpha
        self.shrinkage = shrinkage
        self.random_state = random_state

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The value of each row's leaf: the mean (median for absolute_error) training target.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        X_encoded = self._encode(X)
        return self.nodes_.value[self.nodes_.apply(X_encoded), 0]


# -- the tree as the core tree reader sees it (TreeSHAP, partial-dependence recursion) --------
def _read_glassbox_tree(estimator, output, decode, n_features):
    """The core tree reader's view of a TreeClassifier / TreeRegressor, on encoded rows."""
    method = "predict_proba" if hasattr(estimator, "classes_") else "predict"
    nodes = getattr(estimator, "nodes_", None)
    return read_nodes_ensemble(estimator, None if nodes is None else [nodes], output, method, decode, n_features)


register_tree_reader((TreeClassifier, TreeRegressor), _read_glassbox_tree)
