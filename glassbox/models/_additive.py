"""Boosted additive models: one shape function per feature plus a few pairwise terms.

The estimators are here; what they share (fitting, reading, editing and explaining the
terms) is :class:`._additive_base._AdditiveModel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._additive_base import _AdditiveModel
from ._render._additive import additive_python, additive_sql

if TYPE_CHECKING:
    from .._core._typing import EstimatorT, RandomStateLike

__all__ = ["AdditiveClassifier", "AdditiveRegressor"]


class AdditiveClassifier(_AdditiveModel, ClassifierMixin, BaseEstimator):
    """Boosted additive classifier: a readable shape function per feature, a few pairs.

    The log-odds (two classes) or each class's softmax score (more classes) is
    ``intercept + sum of f_j(x_j) + sum of f_jk(x_j, x_k)``: every ``f`` is a table of
    scores over the bins of its feature, or over a grid of coarser bins for a pair. The
    tables are learnt by boosting: in each round every term takes a small step
    (``learning_rate``) of a shallow tree fitted by Newton's method to the gradient of
    the log-loss: a stump on its feature's ordered bins, or for a pair a split of its grid
    along one axis and of each half along the other. The first ``smoothing_rounds``
    rounds split at random points, which gives smooth shapes; later rounds split where
    the gain is largest. Each of ``outer_bags`` bags holds out ``validation_fraction``
    of the rows and stops when their loss has not improved by ``tol`` for
    ``n_iter_no_change`` rounds; the model averages the bags, whose spread gives every
    score a standard deviation.

    Main terms are boosted first; the ``interactions`` pairs are then chosen by how much
    a four-quadrant split of each pair's grid lowers the loss of the main-term model
    (the FAST ranking of Lou et al. 2013), and boosted on its residual. Terms are
    centred (zero mean over the training rows) and pairs purified (zero mean along
    each of their axes, their marginal moved into the main terms), so a term's scores
    read as its own effect.

    Numeric features are cut into at most ``max_bins`` bins (one per distinct value when
    there are that few, else of about equal counts, a value holding many rows, such as
    the zeros of a zero-inflated column, a bin of its own); a categorical
    column (pandas category, object or string) gets one bin per level and is never
    treated as a number; missing values have a bin of their own in every feature, which
    also takes the categories ``fit`` never saw. Values beyond the training range fall in
    the outer bins, so each shape extends flat beyond the data.

    Parameters
    ----------
    max_bins : int, default=256
        Most bins of a numeric feature's shape (the missing bin comes on top).
    max_interaction_bins : int, default=32
        Most bins per axis of a pair's grid, merged from the main bins (numeric:
        consecutive bins of about equal weight; categorical: levels from the most to
        the least frequent, the rarest merged).
    interactions : int or list of pairs, default=10
        Number of pairs to add, chosen by the FAST ranking (all pairs when there are
        fewer; pairs with a monotone feature and constant features are never chosen),
        or the pairs themselves as couples of feature names or indices.
    outer_bags : int, default=8
        Bags, each with its own validation rows; more bags give smoother shapes and
        steadier standard deviations.
    learning_rate : float, default=0.1
        Shrinkage of every tree.
    max_rounds : int, default=5000
        Most boosting rounds of each stage (main terms, then pairs).
    smoothing_rounds : int, default=20
        First rounds of each stage whose splits are drawn at random among the valid ones.
    validation_fraction : float, default=0.15
        Share of the rows each bag holds out (stratified by class) to stop on.
    n_iter_no_change : int, default=20
        Rounds without an improvement of the validation loss before a bag stops.
    tol : float, default=1e-4
        Improvement of the validation loss that counts, relative to the bag's validation
        loss at the start (of the intercept alone), in both stages.
    min_samples_leaf : int, default=4
        Fewest training rows in each leaf of a tree.
    round_samples : int or None, default=20_000
        With more training rows, each round boosts on ``round_samples`` of them, the next
        slice of a random permutation of the rows (stochastic gradient boosting; every
        pass over the data shows every row once), and each bag stops on at most a
        quarter as many of its held-out rows: a round then costs the same at any size.
        ``None``: every row in every round.
    monotone_constraints : array-like of shape (n_features,) or dict, default=None
        +1 (non-decreasing), -1 (non-increasing) or 0 per numeric feature, or a dict
        from feature name to direction. Every stump of a constrained feature respects
        it, so its shape does too (the missing bin is free).
    n_jobs : int, default=None
        Bags boosted in parallel (joblib). The model does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Draws the bags and the smoothing splits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The score when every term is at its average.
    terms_ : list of tuple of int
        Each term's features: ``(j,)`` for a main term, ``(j, k)`` for a pair. A
        feature whose shape is zero everywhere (a constant column) has no term.
    term_names_ : list of str
        Feature names, and ``"a × b"`` for pairs.
    term_scores_ : list of ndarray
        Scores of each term: shape (n_bins,) for a feature (bins as in ``bins_``, the
        missing bin last), (n_groups_a, n_groups_b) for a pair; a last axis of
        n_classes for more than two classes.
    term_standard_deviations_ : list of ndarray
        Standard deviation of each score over the outer bags.
    term_importances_ : ndarray of shape (n_terms,)
        Mean absolute score of each term over the training rows (averaged over classes).
    bins_ : Bins
        Thresholds of the numeric features' bins.
    n_rounds_ : ndarray of shape (outer_bags, 2)
        Rounds each bag ran for the main terms and for the pairs.
    complexity_ : int
        Number of terms.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    AdditiveRegressor : The same model for a numeric target.
    glassbox.models.SparseLinearClassifier : Straight lines instead of shapes.

    Notes
    -----
    Every round updates all terms from one set of histograms, built for all terms,
    bags and classes by one sparse product; no Python loop runs over rows. A categorical
    feature's stump splits its levels ordered by gradient ratio; levels with fewer than
    10 rows are pooled, and beyond 9 levels the step is shrunk by ``sqrt(8 / (L - 1))``
    for ``L`` levels, since the best of the ``2 ** (L - 1)`` partitions fits the noise
    of each level's few rows. A multiclass
    model has one shape per class (softmax boosting); its scores are defined up to a
    constant per bin shared by the classes.

    References
    ----------
    Lou, Caruana, Gehrke (2012). Intelligible models for classification and regression. KDD.
    Lou, Caruana, Gehrke, Hooker (2013). Accurate intelligible models with pairwise interactions. KDD.
    Nori, Jenkins, Koch, Caruana (2019). InterpretML: a unified framework for machine learning
    interpretability. arXiv:1909.09223.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import AdditiveClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = AdditiveClassifier(interactions=2, random_state=0).fit(X.iloc[::2], y.iloc[::2])
    >>> model.complexity_
    32
    >>> round(model.score(X.iloc[1::2], y.iloc[1::2]), 2)
    0.95
    >>> exp = model.explain(X.iloc[:3])
    >>> bool(abs(exp.output()[:, 0] - model.decision_function(X.iloc[:3])).max() < 1e-10)
    True
    """

    def __init__(
        self,
        *,
        max_bins: int = 256,
        max_interaction_bins: int = 32,
        interactions: int | ArrayLike = 10,
        outer_bags: int = 8,
        learning_rate: float = 0.1,
        max_rounds: int = 5000,
        smoothing_rounds: int = 20,
        validation_fraction: float = 0.15,
        n_iter_no_change: int = 20,
        tol: float = 1e-4,
        min_samples_leaf: int = 4,
        round_samples: int | None = 20_000,
        monotone_constraints: ArrayLike | dict | None = None,
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.outer_bags = outer_bags
        self.learning_rate = learning_rate
        self.max_rounds = max_rounds
        self.smoothing_rounds = smoothing_rounds
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.min_samples_leaf = min_samples_leaf
        self.round_samples = round_samples
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Fit the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical and missing values are accepted.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Rows of zero weight are left out entirely.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, "classification")

    def _output_names(self):
        return np.asarray(self.classes_[1:] if len(self.classes_) == 2 else self.classes_, dtype=object)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores: the log-odds of ``classes_[1]``, or one softmax score per class.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        _, codes = self._codes(X)
        scores = self._raw_scores(codes)
        return scores[:, 0] if self._n_scores == 1 else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=-1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing the class probabilities and the predicted class.

        Each term is one ``CASE`` expression over its feature's bins (pairs: a ``CASE``
        per row of their grid); a missing value is ``NULL`` and so is its bin, which
        also takes categories the model never saw. The query selects one column
        ``proba_<class>`` per class (in the order of ``classes_``) and ``prediction``,
        one row per row of ``table``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return additive_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module predicting one row, with no dependency on glassbox.

        The module defines ``CLASSES``, ``decision_function(row)`` (the log-odds of
        ``CLASSES[1]``, or a list of class scores), ``predict_proba(row)`` (a list in
        the order of ``CLASSES``) and ``predict(row)``, where ``row`` maps column names
        to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return additive_python(self)


class AdditiveRegressor(_AdditiveModel, RegressorMixin, BaseEstimator):
    """Boosted additive regressor: a readable shape function per feature, a few pairs.

    The prediction is ``intercept + sum of f_j(x_j) + sum of f_jk(x_j, x_k)``: every
    ``f`` is a table of scores over the bins of its feature, or over a grid of coarser
    bins for a pair, learnt by boosting shallow trees on the squared error. See
    :class:`AdditiveClassifier` for how the terms are boosted, chosen, centred and
    purified, and how categories, missing values and values beyond the training range
    are handled.

    Parameters
    ----------
    max_bins : int, default=256
        Most bins of a numeric feature's shape (the missing bin comes on top).
    max_interaction_bins : int, default=32
        Most bins per axis of a pair's grid.
    interactions : int or list of pairs, default=10
        Number of pairs to add, chosen by the FAST ranking (all pairs when there are
        fewer), or the pairs themselves as couples of feature names or indices.
    outer_bags : int, default=8
        Bags, each with its own validation rows.
    learning_rate : float, default=0.1
        Shrinkage of every tree.
    max_rounds : int, default=5000
        Most boosting rounds of each stage.
    smoothing_rounds : int, default=50
        First rounds of each stage whose splits are drawn at random.
    validation_fraction : float, default=0.15
        Share of the rows each bag holds out to stop on.
    n_iter_no_change : int, default=20
        Rounds without an improvement of the validation loss before a bag stops.
    tol : float, default=1e-4
        Improvement of the validation loss that counts, relative to the bag's validation
        loss at the start (of the intercept alone), in both stages.
    min_samples_leaf : int, default=4
        Fewest training rows in each leaf of a tree.
    round_samples : int or None, default=20_000
        Rows each round boosts on when there are more (see :class:`AdditiveClassifier`);
        ``None``: every row in every round.
    monotone_constraints : array-like of shape (n_features,) or dict, default=None
        +1, -1 or 0 per numeric feature, or a dict from feature name to direction.
    n_jobs : int, default=None
        Bags boosted in parallel (joblib). The model does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Draws the bags and the smoothing splits.

    Attributes
    ----------
    intercept_ : ndarray of shape (1,)
        The prediction when every term is at its average.
    terms_ : list of tuple of int
    term_names_ : list of str
    term_scores_ : list of ndarray
        Shape (n_bins,) for a feature, (n_groups_a, n_groups_b) for a pair.
    term_standard_deviations_ : list of ndarray
    term_importances_ : ndarray of shape (n_terms,)
    bins_ : Bins
    n_rounds_ : ndarray of shape (outer_bags, 2)
    complexity_ : int
        Number of terms.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    AdditiveClassifier : The same model for classes, with the full description.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import AdditiveRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = AdditiveRegressor(interactions=0, random_state=0).fit(X, y)
    >>> model.term_names_[:3]
    ['age', 'sex', 'bmi']
    >>> exp = model.explain(X.iloc[:5])
    >>> bool(abs(exp.output()[:, 0] - model.predict(X.iloc[:5])).max() < 1e-10)
    True
    """

    def __init__(
        self,
        *,
        max_bins: int = 256,
        max_interaction_bins: int = 32,
        interactions: int | ArrayLike = 10,
        outer_bags: int = 8,
        learning_rate: float = 0.1,
        max_rounds: int = 5000,
        smoothing_rounds: int = 50,
        validation_fraction: float = 0.15,
        n_iter_no_change: int = 20,
        tol: float = 1e-4,
        min_samples_leaf: int = 4,
        round_samples: int | None = 20_000,
        monotone_constraints: ArrayLike | dict | None = None,
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
    ) -> None:
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.outer_bags = outer_bags
        self.learning_rate = learning_rate
        self.max_rounds = max_rounds
        self.smoothing_rounds = smoothing_rounds
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.min_samples_leaf = min_samples_leaf
        self.round_samples = round_samples
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Fit the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical and missing values are accepted.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Rows of zero weight are left out entirely.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, "regression")

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The prediction of each row, shape (n_samples,)."""
        _, codes = self._codes(X)
        return self._raw_scores(codes)[:, 0]

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing ``prediction`` for every row of ``table``.

        Each term is one ``CASE`` expression over its feature's bins; a missing value is
        ``NULL``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return additive_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module with ``predict(row)``, with no dependency on glassbox.

        ``row`` maps column names to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return additive_python(self)
