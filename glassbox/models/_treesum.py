"""Sums of small trees grown greedily together (the FIGS family), with a split budget.

The estimators are here; what they share (growing, shrinking, reading and exporting the
trees) is :class:`._treesum_base._TreeSumMixin`, the growth itself
:mod:`._treesum_growth`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from .._base import TransparentMixin
from .._core import check_target, register_tree_reader
from ._shrinkage import holdout_log_loss, holdout_squared_error
from ._tree_nodes import read_nodes_ensemble
from ._treesum_base import MIN_GAIN, _TreeSumMixin

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike

__all__ = ["TreeSumClassifier", "TreeSumRegressor"]


class TreeSumClassifier(_TreeSumMixin, TransparentMixin, ClassifierMixin, BaseEstimator):
    """A sum of small trees grown greedily together, with a budget of splits.

    The model's score is the sum of one value from each tree; it is the log-odds of
    ``classes_[1]`` for two classes, one softmax score per class for more (every tree
    has one value per class in each leaf). It starts as one tree of a single leaf
    holding the prior log-odds, and each step adds the one split that lowers the
    log-loss most, among every split of every current leaf of every tree and every
    split of the root of a new tree (Tan et al. 2022, FIGS); the two new leaves move
    their rows by a Newton step. So the trees stay small and each says something the
    others do not, and ``complexity_``, the splits a reader must read, is at most
    ``max_splits``: fewer when no split lowers the loss by ``min_gain`` of the constant
    model's (as on separable classes, where the log-loss would fall forever).

    Splits are searched on the bins of the core (:class:`~glassbox._core.QuantileBinner`:
    one bin per distinct value when a column has at most ``max_bins`` of them,
    quantiles otherwise, a point mass a bin of its own): ``x <= threshold`` between two
    bins of a numeric column, ``x != level`` against ``x = level`` for a categorical
    one, and missing values go to the side that fits them best (to the larger child
    where the leaf held none), or a split separates them (``x is missing``). A category
    that ``fit`` never saw satisfies every ``!=`` condition, so it follows the ``!=``
    branch of every split on its column.

    Parameters
    ----------
    max_splits : int, default=12
        The budget: splits over all trees. ``0`` gives a single leaf (the class
        frequencies).
    max_trees : int or None, default=None
        Most trees; ``None`` lets the growth start a tree whenever that is the best split.
    max_depth : int or None, default=None
        Maximum depth of every tree.
    min_samples_leaf : int, default=8
        Minimum training weight in a leaf (its number of rows without
        ``sample_weight``): as with ``max_bins="auto"``, a leaf of fewer rows than a
        bin is mostly noise.
    l2_regularization : float, default=5.0
        Added to the summed hessians of a leaf, ``sum w p (1 - p)``, when its value and
        the gain of a split are computed: it keeps a leaf of a few rows of one class from
        taking an extreme log-odds.
    min_gain : float, default=1e-4
        The growth stops before ``max_splits`` when the best split lowers the deviance
        (twice the weighted log-loss of the training rows, as its second-order
        approximation scores a split) by less than this share of the deviance of the
        constant model (the prior): a scale-free threshold, as rpart's complexity
        parameter. On separable classes every split that pushes the scores further
        lowers the log-loss, by less and less; this stops them. ``0`` spends the whole
        budget whenever a split lowers the loss at all.
    shrinkage : float, "cv" or None, default=None
        Hierarchical shrinkage of the node values toward their parents' (Agarwal et al.
        2022) after growth, with this ``lambda`` (in training rows), or the one of
        ``(0, 0.1, 1, 10, 25, 50, 100, 500)`` with the lowest cross-validated log-loss
        (5 folds). ``None`` (or 0) leaves the values as grown.
    max_bins : int or "auto", default="auto"
        Most value bins of a numeric column (the candidate thresholds are between them).
        ``"auto"``: 255, or one per 8 training rows when that is fewer (at least 16), so
        that a threshold separates groups of rows rather than single values.
    random_state : int, RandomState instance or None, default=None
        Draws the folds of ``shrinkage="cv"`` and the rows the bins are learnt on when
        there are more than 200,000.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    complexity_ : int
        Number of splits over all trees.
    n_trees_ : int
        Number of trees.
    trees_ : list of TreeNodes of length n_trees_
        The trees as parallel arrays over their nodes; ``value`` holds each node's
        value added to the score (a split node's is the weighted mean of its leaves'),
        one column per score.
    rules_ : list of length n_trees_
        For each tree, the conjunction of conditions leading to each leaf, left to right.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Mean absolute contribution of each column over the training rows, summed over
        the scores and normalised to sum to one.
    shrinkage_ : float
        The ``lambda`` of the shrinkage applied (0 for none).
    shrinkage_scores_ : ndarray of shape (8,)
        With ``shrinkage="cv"``: the mean held-out log-loss of each ``lambda``.
    bins_ : Bins
        The bins the splits were searched on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined when ``X`` has string column names.

    See Also
    --------
    TreeSumRegressor : The same sum for a numeric target.
    TreeClassifier : A single tree with a leaf budget.

    Notes
    -----
    Growth evaluates every candidate at once on histograms over the bins, as
    HistGradientBoosting does, and after each split updates only the rows the split
    moved. FIGS fits the trees to the 0/1 target with the squared loss; the log-loss
    with ``l2_regularization`` gave a higher held-out AUC and a much lower log-loss on
    the benchmark data sets (``benchmarks/models_treesum.py``).

    References
    ----------
    Tan, Singh, Nasseri, Agarwal, Yu (2022). Fast Interpretable Greedy-Tree Sums.
    arXiv:2201.11931.
    Agarwal, Tan, Ronen, Singh, Yu (2022). Hierarchical Shrinkage: Improving the
    Accuracy and Interpretability of Tree-Based Methods. ICML.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import TreeSumClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = TreeSumClassifier(max_splits=3).fit(X, y)
    >>> model.complexity_, model.n_trees_
    (3, 3)
    >>> for line in model.to_text().splitlines()[:9]:
    ...     print(line)
    log-odds of 1 = tree 1 + tree 2 + tree 3
    P(1) = 1 / (1 + exp(-log-odds))
    <BLANKLINE>
    tree 1 (1 split)
    |--- worst perimeter <= 106 (n=345)
    |   |--- value: +1.823 (n=345)
    |--- worst perimeter > 106 (n=224)
    |   |--- value: -1.423 (n=224)
    <BLANKLINE>
    >>> exp = model.explain(X.iloc[:2])
    >>> print((exp.base_values + exp.values.sum(axis=1)).round(2).ravel())
    [-3.26 -3.26]
    >>> print(model.decision_function(X.iloc[:2]).round(2))
    [-3.26 -3.26]
    """

    _parameter_constraints = {**_TreeSumMixin._parameter_constraints}

    def __init__(
        self,
        *,
        max_splits: int = 12,
        max_trees: int | None = None,
        max_depth: int | None = None,
        min_samples_leaf: int = 8,
        l2_regularization: float = 5.0,
        min_gain: float = MIN_GAIN,
        shrinkage: float | Literal["cv"] | None = None,
        max_bins: int | Literal["auto"] = "auto",
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_splits = max_splits
        self.max_trees = max_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.min_gain = min_gain
        self.shrinkage = shrinkage
        self.max_bins = max_bins
        self.random_state = random_state

    def _target(self, y, n_samples):
        y, self.classes_ = check_target(self, y, n_samples, task="classification", min_classes=2)
        if len(self.classes_) == 2:
            return y[:, None].astype(np.float64), "log_loss"
        return np.eye(len(self.classes_))[y], "softmax"

    def _output_names(self):
        return np.asarray(self.classes_[1:] if len(self.classes_) == 2 else self.classes_, dtype=object)

    def _holdout_loss(self, raw, y, sample_weight):
        """Weighted log-loss of the scores ``raw`` on held-out labels ``y``."""
        if raw.shape[1] == 1:
            log_proba = np.column_stack([np.log(expit(-raw[:, 0])), np.log(expit(raw[:, 0]))])
        else:
            log_proba = log_softmax(raw, axis=1)
        return holdout_log_loss(log_proba, self.classes_, y, sample_weight)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores: the sum of the trees' values.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The log-odds of ``classes_[1]`` for two classes, one softmax score per class
            for more.
        """
        scores = self._raw_scores(self._encode(X))
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities: the logistic (or softmax) of the scores.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row (the first of equally probable ones).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(np.intp)]
        return self.classes_[np.argmax(scores, axis=1)]


class TreeSumRegressor(_TreeSumMixin, TransparentMixin, RegressorMixin, BaseEstimator):
    """A sum of small trees grown greedily together, with a budget of splits.

    The prediction is the sum of one value from each tree. The model starts as one tree
    of a single leaf holding the (weighted) mean target, and each step adds the one
    split that lowers the squared error most, among every split of every current leaf
    of every tree and every split of the root of a new tree (Tan et al. 2022, FIGS);
    the two new leaves move their rows by the mean residual of each. So the trees stay
    small and each says something the others do not, and ``complexity_``, the splits a
    reader must read, is at most ``max_splits``: fewer when no split lowers the error
    by ``min_gain`` of the constant model's.

    Splits are searched on the bins of the core (:class:`~glassbox._core.QuantileBinner`:
    one bin per distinct value when a column has at most ``max_bins`` of them,
    quantiles otherwise, a point mass a bin of its own): ``x <= threshold`` between two
    bins of a numeric column, ``x != level`` against ``x = level`` for a categorical
    one, and missing values go to the side that fits them best (to the larger child
    where the leaf held none), or a split separates them (``x is missing``). A category
    that ``fit`` never saw satisfies every ``!=`` condition, so it follows the ``!=``
    branch of every split on its column.

    Parameters
    ----------
    max_splits : int, default=12
        The budget: splits over all trees. ``0`` gives a single leaf (the mean).
    max_trees : int or None, default=None
        Most trees; ``None`` lets the growth start a tree whenever that is the best split.
    max_depth : int or None, default=None
        Maximum depth of every tree.
    min_samples_leaf : int, default=8
        Minimum training weight in a leaf (its number of rows without
        ``sample_weight``): as with ``max_bins="auto"``, a leaf of fewer rows than a
        bin is mostly noise.
    l2_regularization : float, default=0.0
        Added to the weight of a leaf when its value and the gain of a split are
        computed (a ridge penalty on the leaf values, in training rows).
    min_gain : float, default=1e-4
        The growth stops before ``max_splits`` when the best split lowers the weighted
        squared error of the training rows by less than this share of the constant
        model's (the total sum of squares): a scale-free threshold, as rpart's
        complexity parameter. ``0`` spends the whole budget whenever a split lowers the
        error at all.
    shrinkage : float, "cv" or None, default=None
        Hierarchical shrinkage of the node values toward their parents' (Agarwal et al.
        2022) after growth, with this ``lambda`` (in training rows), or the one of
        ``(0, 0.1, 1, 10, 25, 50, 100, 500)`` with the lowest cross-validated squared
        error (5 folds). ``None`` (or 0) leaves the values as grown.
    max_bins : int or "auto", default="auto"
        Most value bins of a numeric column (the candidate thresholds are between them).
        ``"auto"``: 255, or one per 8 training rows when that is fewer (at least 16), so
        that a threshold separates groups of rows rather than single values.
    random_state : int, RandomState instance or None, default=None
        Draws the folds of ``shrinkage="cv"`` and the rows the bins are learnt on when
        there are more than 200,000.

    Attributes
    ----------
    complexity_ : int
        Number of splits over all trees.
    n_trees_ : int
        Number of trees.
    trees_ : list of TreeNodes of length n_trees_
        The trees as parallel arrays over their nodes; ``value`` holds each node's
        value added to the prediction (a split node's is the weighted mean of its
        leaves').
    rules_ : list of length n_trees_
        For each tree, the conjunction of conditions leading to each leaf, left to right.
    feature_importances_ : ndarray of shape (n_features_in_,)
        Mean absolute contribution of each column over the training rows, normalised to
        sum to one.
    shrinkage_ : float
        The ``lambda`` of the shrinkage applied (0 for none).
    shrinkage_scores_ : ndarray of shape (8,)
        With ``shrinkage="cv"``: the mean held-out squared error of each ``lambda``.
    bins_ : Bins
        The bins the splits were searched on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined when ``X`` has string column names.

    See Also
    --------
    TreeSumClassifier : The same sum for class labels.
    TreeRegressor : A single tree with a leaf budget.

    References
    ----------
    Tan, Singh, Nasseri, Agarwal, Yu (2022). Fast Interpretable Greedy-Tree Sums.
    arXiv:2201.11931.
    Agarwal, Tan, Ronen, Singh, Yu (2022). Hierarchical Shrinkage: Improving the
    Accuracy and Interpretability of Tree-Based Methods. ICML.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import TreeSumRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    >>> model = TreeSumRegressor(max_splits=3).fit(X, y)
    >>> print(model)
    prediction = tree 1 + tree 2
    <BLANKLINE>
    tree 1 (1 split)
    |--- s5 <= 4.64 (n=230)
    |   |--- value: +112.4 (n=230)
    |--- s5 > 4.64 (n=212)
    |   |--- value: +195.2 (n=212)
    <BLANKLINE>
    tree 2 (2 splits)
    |--- bmi <= 27.75 (n=292)
    |   |--- value: -19.46 (n=292)
    |--- bmi > 27.75 (n=150)
    |   |--- bp <= 101.5 (n=79)
    |   |   |--- value: +14.93 (n=79)
    |   |--- bp > 101.5 (n=71)
    |   |   |--- value: +63.44 (n=71)
    >>> exp = model.explain(X.iloc[:2])
    >>> print((exp.base_values + exp.values.sum(axis=1)).round(1).ravel())
    [210.2  93. ]
    >>> print(model.predict(X.iloc[:2]).round(1))
    [210.2  93. ]
    """

    _parameter_constraints = {**_TreeSumMixin._parameter_constraints}

    def __init__(
        self,
        *,
        max_splits: int = 12,
        max_trees: int | None = None,
        max_depth: int | None = None,
        min_samples_leaf: int = 8,
        l2_regularization: float = 0.0,
        min_gain: float = MIN_GAIN,
        shrinkage: float | Literal["cv"] | None = None,
        max_bins: int | Literal["auto"] = "auto",
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_splits = max_splits
        self.max_trees = max_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.min_gain = min_gain
        self.shrinkage = shrinkage
        self.max_bins = max_bins
        self.random_state = random_state

    def _target(self, y, n_samples):
        y, _ = check_target(self, y, n_samples, task="regression")
        return y[:, None], "squared_error"

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def _holdout_loss(self, raw, y, sample_weight):
        """Weighted mean squared error of the predictions ``raw`` on held-out ``y``."""
        return holdout_squared_error(raw[:, 0], y, sample_weight)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The prediction of each row: the sum of the trees' values.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        return self._raw_scores(self._encode(X))[:, 0]


# -- the sum as the core tree reader sees it (TreeSHAP, partial-dependence recursion) --------
def _read_tree_sum(estimator, output, decode, n_features):
    """The core tree reader's view of a TreeSumClassifier / TreeSumRegressor: the trees,
    summed on the scores (``decision_function`` of the classifier)."""
    method = "decision_function" if hasattr(estimator, "classes_") else "predict"
    return read_nodes_ensemble(estimator, getattr(estimator, "trees_", None), output, method, decode, n_features)


register_tree_reader((TreeSumClassifier, TreeSumRegressor), _read_tree_sum)
