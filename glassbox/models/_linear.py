"""Sparse linear and logistic models with an exact feature budget.

A group-lasso path selects the columns of ``X``, each a group of terms (its value and
missing indicator, or the indicators of a categorical's levels), and the loss is
refitted on them with a light ridge penalty: the relaxed lasso of Meinshausen (2007).
With ``max_terms``, a lasso path over single terms then selects the non-zero
coefficients; ``relax`` blends the refit with the lasso. What both estimators share is
:mod:`._linear_base`, the design :mod:`._linear_terms`, the path and the refit
:mod:`._linear_solver`, the blend :mod:`._linear_relax`, the text and exports
:mod:`._render._linear`; this module holds the estimators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._core import check_sample_weight, check_target, validate_params, validate_X
from ._linear_base import _SparseLinearModel
from ._linear_solver import _Logistic, _Multinomial, _Squared
from ._render._linear import linear_python, linear_sql, linear_text

if TYPE_CHECKING:
    from .._core._typing import EstimatorT

__all__ = ["SparseLinearClassifier", "SparseLinearRegressor"]


class SparseLinearClassifier(_SparseLinearModel, ClassifierMixin, BaseEstimator):
    """Sparse logistic regression with an exact budget of features.

    A group-lasso path selects exactly ``max_features`` columns of ``X`` (the first to
    become active as the penalty decreases), and with ``max_terms`` a lasso path then
    selects at most that many non-zero coefficients among their terms; a logistic model, lightly ridged by
    ``alpha``, is then refitted on them (the relaxed lasso). Binary targets give one
    logistic equation; more classes give the multinomial model, one equation per class
    over the same selected columns (a column is selected for all classes at once; with
    ``max_terms``, each coefficient on its own).

    Numeric columns enter as they are; a missing value is replaced by the column's
    training mean and, when ``fit`` saw missing values in the column, a term
    ``[column is missing]`` is added. A categorical column (pandas ``category``,
    ``object`` or string dtype) is never read as a number: it enters as one indicator
    ``[column = level]`` per level, the most frequent level being the reference (no
    term); when ``fit`` saw missing values there, missing is a level of its own. A
    category ``fit`` never saw, or a missing value where ``fit`` saw none, turns every
    indicator of the column off, so the row reads as the reference level. The terms of
    a column form one group: it is selected, counted against the budget and explained
    as one feature.

    Parameters
    ----------
    max_features : int or None, default=10
        Number of columns of ``X`` the model uses. ``None`` uses every column that
        varies. A budget above the number of columns that vary is clipped to it, with a
        ``UserWarning``. Constant and all-missing columns are never used.
    max_terms : int or None, default=None
        Most non-zero coefficients, what ``complexity_`` counts: a budget in the units
        of the other model families. The coefficients are then selected one by one, by
        the lasso path over the standardised terms of the columns ``max_features``
        allows, so a categorical column may keep only its strongest levels (the others
        read as the reference level). In a multiclass model a coefficient is a term in
        one class's score: a term may enter the scores of some classes only, and
        ``max_terms`` may be below ``n_classes``. When ``max_terms`` is at most
        ``max_features``, only ``max_terms`` binds; to trace a front over terms, set
        ``max_features=None``. ``None``: no budget of terms.
    alpha : float, default=1e-3
        Ridge penalty of the refit, on the standardised coefficients (the loss is the
        mean log-loss). ``0`` gives the unpenalised refit, whose coefficients grow
        without bound when the selected columns separate the classes.
    relax : float in [0, 1] or "cv", default=1.0
        The relaxed lasso: the coefficients are ``relax`` times the refit plus
        ``1 - relax`` times the lasso at the penalty where the budget is reached (on the
        same support). ``1`` is the refit, ``0`` the lasso, its coefficients shrunk by the
        penalty. ``"cv"`` chooses the blend among 0, 0.25, 0.5, 0.75 and 1 and the
        penalty among those of the path (up to 30 spread along it) with no more
        coefficients than the budget, by 10-fold cross-validation of the log-loss on the
        training rows: the model may then have fewer columns or terms than the budget.
    tol : float, default=1e-7
        Convergence tolerance of the path solver (largest change of a standardised
        coefficient in a sweep).
    max_iter : int, default=100
        Newton iterations per penalty on the path and for the refit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_terms) or (n_classes, n_terms)
        Coefficients of the terms on the original scale of ``X``: the change of the
        log-odds per unit of a numeric column, the shift of a level against the
        reference. One row for a binary target (log-odds of ``classes_[1]``), one per
        class for more.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercept on the original scale; multiclass intercepts sum to zero.
    standardized_coef_ : ndarray of the shape of ``coef_``
        Coefficients per standard deviation of each term over the training rows.
    terms_ : ndarray of str of shape (n_terms,)
        What each coefficient multiplies: ``"age"``, ``"smoker = yes"``,
        ``"bmi is missing"``.
    term_feature_idx_ : ndarray of int of shape (n_terms,)
        The column of ``X`` each term belongs to.
    support_ : ndarray of bool of shape (n_features_in_,)
        The columns the model uses.
    complexity_ : int
        Non-zero coefficients, over all classes: one per numeric column, plus one per
        non-reference level of a categorical column and one per missing indicator, in
        each equation where it is not zero (a multiclass model has ``n_classes``
        equations). At most ``max_terms``.
    fill_values_ : ndarray of shape (n_features_in_,)
        The value that replaces a missing numeric value (its training mean); NaN for
        categorical columns and columns without any observed value.
    reference_levels_ : ndarray of object of shape (n_features_in_,)
        The reference level of each categorical column (NaN when missing is the
        reference), None for numeric columns.
    n_iter_ : int
        Newton iterations of the refit.
    relax_ : float
        The blend used: ``relax``, or the one cross-validation chose.
    penalty_ : float
        The penalty of the lasso blended, on the mean loss of the standardised terms
        (``0`` when every column is used without a path).
    relax_penalties_ : ndarray of shape (n_penalties,)
        With ``relax="cv"``: the penalties cross-validated, decreasing; the last is where
        the budget is reached.
    relax_scores_ : ndarray of shape (n_penalties, 5) or None
        With ``relax="cv"``: the mean held-out loss at each penalty and blend (columns
        0, 0.25, 0.5, 0.75, 1); None when some class (or the data) has fewer than 2 rows,
        and the refit (``relax_=1``) is used.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    SparseLinearRegressor : The same model for a numeric target.
    sklearn.linear_model.LogisticRegression : With ``penalty="l1"``, sparse but without
        an exact budget and with shrunken coefficients.

    Notes
    -----
    The path is the group lasso of Yuan & Lin (2006) on columns orthonormalised per
    group (Simon & Tibshirani 2012), penalty weight the square root of the group size,
    solved along a geometric grid of 60 penalties from the largest useful one down to a
    ten-thousandth of it, with warm starts, the sequential strong rule and KKT checks
    (Friedman, Hastie & Tibshirani 2010; Tibshirani et al. 2012). When the grid steps
    over the budget, the penalty is bisected; columns entering at the very same penalty
    are ranked by the size of their coefficients. The refit on the selected columns is
    the relaxed lasso (Meinshausen 2007).

    The explanation of a row is on the log-odds scale (``decision_function``):
    ``coef * (x - mean)`` per column, which add up with the output at the mean to the
    decision function exactly.

    References
    ----------
    .. [1] N. Meinshausen, "Relaxed Lasso", Computational Statistics & Data Analysis,
       52(1), 2007.
    .. [2] J. Friedman, T. Hastie, R. Tibshirani, "Regularization paths for generalized
       linear models via coordinate descent", Journal of Statistical Software, 33(1),
       2010.
    .. [3] M. Yuan, Y. Lin, "Model selection and estimation in regression with grouped
       variables", JRSS-B, 68(1), 2006.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import SparseLinearClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = SparseLinearClassifier(max_features=3).fit(X, y)
    >>> model.complexity_
    3
    >>> print(model.to_text(precision=3))
    logit p(1) = 19.2
        − 0.549 × worst radius
        − 38.9 × worst concave points
        − 0.0455 × worst perimeter
    >>> round(model.score(X, y), 3)
    0.944
    """

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Select ``max_features`` columns and fit the logistic model on them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns; missing values allowed.
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        self : SparseLinearClassifier
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        y_index, self.classes_ = check_target(self, y, len(X_encoded), task="classification", min_classes=2)
        w = check_sample_weight(sample_weight, len(X_encoded))
        if len(self.classes_) == 2:
            Y, loss = y_index[:, None].astype(np.float64), _Logistic()
        else:
            Y, loss = np.eye(len(self.classes_))[y_index], _Multinomial()
        return self._fit(X_encoded, Y, w, loss)

    def _output_names(self):
        return np.asarray(self.classes_[1:] if len(self.classes_) == 2 else self.classes_)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The linear predictor: log-odds of ``classes_[1]`` (binary) or one score per class.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self._scores(self._encode(X))
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        scores = self._scores(self._encode(X))
        if len(self.classes_) == 2:
            p = expit(scores[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of the class probabilities, shape (n_samples, n_classes)."""
        scores = self._scores(self._encode(X))
        if len(self.classes_) == 2:
            return np.column_stack([log_expit(-scores[:, 0]), log_expit(scores[:, 0])])
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, shape (n_samples,)."""
        scores = self._scores(self._encode(X))
        index = (scores[:, 0] > 0).astype(np.intp) if len(self.classes_) == 2 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def to_text(self, *, precision: int = 4, positive_class: Any = None) -> str:
        """The model as equations with named terms.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of the coefficients.
        positive_class : label, default=None
            Binary target only: the class whose log-odds the equation gives,
            ``classes_[1]`` by default. For ``classes_[0]`` every coefficient and the
            intercept change sign, since its log-odds are minus those of ``classes_[1]``.

        Returns
        -------
        text : str
            ``logit p(class) = ...`` for a binary target; for more classes one score per
            class and ``p(class) = exp(score(class)) / sum of exp(score)``.
        """
        check_is_fitted(self)
        if positive_class is not None:
            if len(self.classes_) != 2:
                raise ValueError(
                    f"positive_class names the class of a binary model's equation; this model has "
                    f"{len(self.classes_)} classes, one score each. Leave positive_class=None."
                )
            if positive_class not in self.classes_.tolist():
                raise ValueError(
                    f"positive_class must be one of the classes {', '.join(map(repr, self.classes_.tolist()))}; "
                    f"got {positive_class!r}."
                )
        return linear_text(self, precision, positive_class)

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing the class probabilities and the predicted class.

        Missing values are NULL. The query selects one column ``proba_<class>`` per
        class (in the order of ``classes_``) and ``prediction``, one row per row of
        ``table``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return linear_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module predicting one row, with no dependency on glassbox.

        The module defines ``CLASSES``, ``decision_function(row)``,
        ``predict_proba(row)`` (a list in the order of ``CLASSES``) and
        ``predict(row)`` (the label), where ``row`` maps column names to values and
        None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return linear_python(self)


class SparseLinearRegressor(_SparseLinearModel, RegressorMixin, BaseEstimator):
    """Sparse linear regression with an exact budget of features.

    A group-lasso path selects exactly ``max_features`` columns of ``X`` (the first to
    become active as the penalty decreases), and with ``max_terms`` a lasso path then
    selects at most that many non-zero coefficients among their terms; least squares, lightly ridged by
    ``alpha``, is then refitted on them (the relaxed lasso), so the coefficients are not
    shrunk by the selection.

    Numeric columns enter as they are; a missing value is replaced by the column's
    training mean and, when ``fit`` saw missing values in the column, a term
    ``[column is missing]`` is added. A categorical column (pandas ``category``,
    ``object`` or string dtype) is never read as a number: it enters as one indicator
    ``[column = level]`` per level, the most frequent level being the reference (no
    term); when ``fit`` saw missing values there, missing is a level of its own. A
    category ``fit`` never saw, or a missing value where ``fit`` saw none, turns every
    indicator of the column off, so the row reads as the reference level. The terms of
    a column form one group: it is selected, counted against the budget and explained
    as one feature.

    Parameters
    ----------
    max_features : int or None, default=10
        Number of columns of ``X`` the model uses. ``None`` uses every column that
        varies. A budget above the number of columns that vary is clipped to it, with a
        ``UserWarning``. Constant and all-missing columns are never used.
    max_terms : int or None, default=None
        Most non-zero coefficients, what ``complexity_`` counts: a budget in the units
        of the other model families. The terms are then selected one by one, by the
        lasso path over the standardised terms of the columns ``max_features`` allows,
        so a categorical column may keep only its strongest levels (the others read as
        the reference level). When ``max_terms`` is at most ``max_features``, only
        ``max_terms`` binds; to trace a front over
        terms, set ``max_features=None``. ``None``: no budget of terms.
    alpha : float, default=1e-3
        Ridge penalty of the refit: it minimises ``mean((y - prediction)**2) / 2 +
        alpha / 2 * |w|**2``, where ``w`` are the coefficients of the standardised
        columns. Both terms scale with the square of the units of ``y``, so ``alpha``
        does not depend on them. ``0`` gives ordinary least squares on the selected
        columns.
    relax : float in [0, 1] or "cv", default=1.0
        The relaxed lasso: the coefficients are ``relax`` times the refit plus
        ``1 - relax`` times the lasso at the penalty where the budget is reached (on the
        same support). ``1`` is the refit, ``0`` the lasso, its coefficients shrunk by the
        penalty. ``"cv"`` chooses the blend among 0, 0.25, 0.5, 0.75 and 1 and the
        penalty among those of the path (up to 30 spread along it) with no more
        coefficients than the budget, by 10-fold cross-validation of the squared error on
        the training rows: the model may then have fewer columns or terms than the budget.
    tol : float, default=1e-7
        Convergence tolerance of the path solver (largest change of a standardised
        coefficient in a sweep).
    max_iter : int, default=100
        Newton iterations per penalty on the path and for the refit.

    Attributes
    ----------
    coef_ : ndarray of shape (n_terms,)
        Coefficients of the terms on the original scale of ``X``: the change of the
        prediction per unit of a numeric column, the shift of a level against the
        reference.
    intercept_ : float
        The intercept on the original scale.
    standardized_coef_ : ndarray of shape (n_terms,)
        Coefficients per standard deviation of each term over the training rows.
    terms_ : ndarray of str of shape (n_terms,)
        What each coefficient multiplies: ``"age"``, ``"smoker = yes"``,
        ``"bmi is missing"``.
    term_feature_idx_ : ndarray of int of shape (n_terms,)
        The column of ``X`` each term belongs to.
    support_ : ndarray of bool of shape (n_features_in_,)
        The columns the model uses.
    complexity_ : int
        Non-zero coefficients: one per numeric column, plus one per non-reference level
        of a categorical column and one per missing indicator. At most ``max_terms``.
    fill_values_ : ndarray of shape (n_features_in_,)
        The value that replaces a missing numeric value (its training mean); NaN for
        categorical columns and columns without any observed value.
    reference_levels_ : ndarray of object of shape (n_features_in_,)
        The reference level of each categorical column (NaN when missing is the
        reference), None for numeric columns.
    n_iter_ : int
        Newton iterations of the refit.
    relax_ : float
        The blend used: ``relax``, or the one cross-validation chose.
    penalty_ : float
        The penalty of the lasso blended, on the mean loss of the standardised terms
        (``0`` when every column is used without a path).
    relax_penalties_ : ndarray of shape (n_penalties,)
        With ``relax="cv"``: the penalties cross-validated, decreasing; the last is where
        the budget is reached.
    relax_scores_ : ndarray of shape (n_penalties, 5) or None
        With ``relax="cv"``: the mean held-out loss at each penalty and blend (columns
        0, 0.25, 0.5, 0.75, 1); None when some class (or the data) has fewer than 2 rows,
        and the refit (``relax_=1``) is used.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    SparseLinearClassifier : The same model for class labels.
    sklearn.linear_model.Lasso : Sparse but without an exact budget, and shrunken.

    Notes
    -----
    See :class:`SparseLinearClassifier` for the path. The explanation of a row is
    ``coef * (x - mean)`` per column, which add up with the prediction at the mean to
    ``predict`` exactly.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import SparseLinearRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    >>> model = SparseLinearRegressor(max_features=2).fit(X, y)
    >>> print(model.to_text(precision=3))
    y = −300 + 7.27 × bmi + 56 × s5
    >>> exp = model.explain(X.iloc[:3])
    >>> exp.values[:, :, 0].round(1)[:, [2, 8]]  # bmi and s5: coef * (x - mean)
    array([[ 41.6,  12.2],
           [-34.7, -42. ],
           [ 30. ,   1.8]])
    >>> bool(abs(exp.output()[:, 0] - model.predict(X.iloc[:3])).max() < 1e-10)
    True
    """

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Select ``max_features`` columns and fit least squares on them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns; missing values allowed.
        y : array-like of shape (n_samples,)
            Numeric target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        self : SparseLinearRegressor
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        y, _ = check_target(self, y, len(X_encoded), task="regression")
        w = check_sample_weight(sample_weight, len(X_encoded))
        shift = np.average(y, weights=w)
        scale = np.sqrt(np.average((y - shift) ** 2, weights=w)) or 1.0
        return self._fit(X_encoded, ((y - shift) / scale)[:, None], w, _Squared(), y_shift=shift, y_scale=scale)

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions, shape (n_samples,)."""
        return self._scores(self._encode(X))[:, 0]

    def to_text(self, *, precision: int = 4) -> str:
        """The model as an equation with named terms, ``y = b + c × age ...``.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of the coefficients.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        return linear_text(self, precision)

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing the prediction, one column ``prediction``.

        Missing values are NULL.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return linear_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module with ``predict(row)``, with no dependency on glassbox.

        ``row`` maps column names to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return linear_python(self)
