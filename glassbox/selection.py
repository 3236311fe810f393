"""Feature selection driven by an explainer's global importance."""

from __future__ import annotations

import inspect
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import check_is_fitted

from ._core import HasMethods, Interval, match_columns, validate_params, validate_X

if TYPE_CHECKING:
    import pandas as pd

    from ._core._typing import EstimatorT, RandomStateLike

__all__ = ["FeatureSelector"]


class FeatureSelector(SelectorMixin, MetaEstimatorMixin, BaseEstimator):
    """Keep the features an explainer finds most important.

    ``fit`` fits a clone of ``explainer`` on ``X, y``, explains (at most
    ``max_samples`` rows of) ``X`` and ranks features by global importance: the mean
    absolute attribution of a local explanation, or the values of a global one (such as
    permutation importance), summed over outputs. In a Pipeline, GridSearchCV can tune
    ``max_features``.

    Parameters
    ----------
    explainer : glassbox explainer
        Fitted on each ``fit`` (a clone); its ``explain`` gives the importances.
    max_features : int or None, default=None
        Keep at most this many features, the most important first.
    threshold : float or None, default=None
        Keep features whose importance is at least this. With neither ``max_features``
        nor ``threshold``, features at least as important as the mean are kept.
    max_samples : int or None, default=1000
        Explain at most this many rows of ``X`` (drawn with ``random_state``).
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    explainer_ : explainer
        The fitted clone.
    importances_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassbox.explainers import ShapleyExplainer
    >>> from glassbox.selection import FeatureSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 3 * X[:, 1] - 2 * X[:, 4] + 0.1 * rng.normal(size=200)
    >>> selector = FeatureSelector(ShapleyExplainer(LinearRegression()), max_features=2).fit(X, y)
    >>> selector.get_support(indices=True).tolist()
    [1, 4]
    """

    _parameter_constraints = {
        "explainer": [HasMethods(("fit", "explain"))],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "threshold": [Interval(Real, None, None), None],
        "max_samples": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        explainer: Any,
        *,
        max_features: int | None = None,
        threshold: float | None = None,
        max_samples: int | None = 1000,
        random_state: RandomStateLike = None,
    ) -> None:
        self.explainer = explainer
        self.max_features = max_features
        self.threshold = threshold
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike | None = None) -> EstimatorT:
        """Fit the explainer and rank the features of ``X``.

        Returns
        -------
        self : object
        """
        validate_params(self)
        validate_X(self, X, reset=True)
        if self.max_features is not None and self.max_features > self.n_features_in_:
            raise ValueError(
                f"max_features={self.max_features} is larger than the {self.n_features_in_} features of X."
            )
        self.explainer_ = clone(self.explainer).fit(X, y)
        table = X if hasattr(X, "iloc") else np.asarray(X)
        rows = np.arange(len(table))
        if self.max_samples is not None and len(rows) > self.max_samples:
            rows = np.sort(check_random_state(self.random_state).choice(len(rows), self.max_samples, replace=False))
        X_explained = table.iloc[rows] if hasattr(table, "iloc") else table[rows]
        takes_y = "y" in inspect.signature(self.explainer_.explain).parameters
        if takes_y:
            y_explained = None if y is None else np.asarray(y)[rows]
            explanation = self.explainer_.explain(X_explained, y_explained)
        else:
            explanation = self.explainer_.explain(X_explained)
        if explanation.is_local:
            explanation = explanation.mean_abs()
        self.importances_ = explanation.values.sum(axis=1)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """Keep the selected columns of ``X`` (matched to those of ``fit`` by name).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features_in_)

        Returns
        -------
        X_selected : array-like of shape (n_samples, n_selected_features)
        """
        check_is_fitted(self)
        validate_X(self, X, reset=False, handle_unknown="use_encoded_value")
        return super().transform(match_columns(self, X))

    def _get_support_mask(self):
        check_is_fitted(self)
        importances = self.importances_
        keep = np.ones(len(importances), dtype=bool)
        if self.threshold is not None:
            keep &= importances >= self.threshold
        if self.max_features is not None:
            ranked = np.argsort(-importances, kind="stable")[: self.max_features]
            top = np.zeros_like(keep)
            top[ranked] = True
            keep &= top
        if self.threshold is None and self.max_features is None:
            keep &= importances >= importances.mean()
        return keep

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.explainer).input_tags
        tags.input_tags.allow_nan = inner.allow_nan
        tags.target_tags.required = False
        return tags
