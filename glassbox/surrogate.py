"""Global surrogates: a transparent model trained to mimic a black box."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import PrefitCloneMixin, fitted_model
from ._core import HasMethods, Interval, StrOptions, match_columns, plain, validate_params, validate_X
from .metrics import complexity
from .metrics._fidelity import FIDELITY_METRICS, fidelity_score

if TYPE_CHECKING:
    from ._core._typing import EstimatorT, RandomStateLike
    from .explanation import Explanation

__all__ = ["GlobalSurrogate"]


def _surrogate_has(method):
    def check(self):
        target = self.surrogate_ if hasattr(self, "surrogate_") else self.surrogate
        return hasattr(target, method)

    return check


class GlobalSurrogate(PrefitCloneMixin, MetaEstimatorMixin, BaseEstimator):
    """A transparent model fitted to a black box's predictions, with measured fidelity.

    ``fit`` fits the black box when it is not fitted yet (``prefit="auto"``), then the
    surrogate on the black box's outputs: its labels for a classifier surrogate, its
    values (regressors) or positive-class probability (binary classifiers) for a
    regression surrogate. Fidelity is measured on a held-out part of ``X``
    (``validation_fraction``) by a surrogate fitted on the rest; the final surrogate is
    then fitted on all of ``X``. ``score(X)`` is the fidelity on ``X``, so a GridSearchCV
    over the surrogate's budget (``surrogate__max_leaf_nodes``) picks by fidelity.

    Parameters
    ----------
    black_box : estimator
        The model to mimic.
    surrogate : estimator
        The transparent model: a glassbox model, or a scikit-learn tree or linear model.
    prefit : bool or "auto", default="auto"
        ``True``: ``black_box`` must be fitted and is used as it is; ``False``: a clone is
        fitted on ``X, y``; ``"auto"``: fitted models are used, others fitted. A fitted
        black box stays shared through ``clone``, so a search over the surrogate's
        budget mimics that same model.
    validation_fraction : float or None, default=0.25
        Share of ``X`` held out to measure ``fidelity_``; ``None`` measures it on the
        training rows (optimistic).
    metric : {"auto", "accuracy", "r2"}, default="auto"
        Fidelity measure: agreement of labels for a classifier surrogate, R² otherwise.
    random_state : int, RandomState instance or None, default=None
        Draws the held-out rows.

    Attributes
    ----------
    black_box_ : estimator
        The fitted black box.
    surrogate_ : estimator
        The surrogate fitted on all rows.
    fidelity_ : float
        Fidelity on the held-out rows.
    complexity_ : int
        Complexity of the surrogate (when measurable).
    classes_ : ndarray
        Class labels, for a classifier surrogate.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassbox.surrogate import GlobalSurrogate
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    >>> surrogate = GlobalSurrogate(forest, DecisionTreeClassifier(max_leaf_nodes=6, random_state=0),
    ...                             random_state=0).fit(X)
    >>> surrogate.complexity_, surrogate.fidelity_ > 0.9
    (5, True)
    """

    _parameter_constraints = {
        "black_box": [HasMethods(("fit", "predict"))],
        "surrogate": [HasMethods(("fit", "predict"))],
        "prefit": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "metric": [StrOptions(FIDELITY_METRICS)],
        "random_state": ["random_state"],
    }
    _wrapped_param = "black_box"

    def __init__(
        self,
        black_box: Any,
        surrogate: Any,
        *,
        prefit: bool | Literal["auto"] = "auto",
        validation_fraction: float | None = 0.25,
        metric: Literal["auto", "accuracy", "r2"] = "auto",
        random_state: RandomStateLike = None,
    ) -> None:
        self.black_box = black_box
        self.surrogate = surrogate
        self.prefit = prefit
        self.validation_fraction = validation_fraction
        self.metric = metric
        self.random_state = random_state

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike | None = None, **fit_params: Any) -> EstimatorT:
        """Fit the black box if needed, then the surrogate on its outputs.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Needed only when the black box has to be fitted.
        **fit_params : dict
            Passed to the black box's ``fit``.

        Returns
        -------
        self : object
        """
        validate_params(self)
        validate_X(self, X, reset=True, allow_nan=self._accepts_nan())
        self.black_box_ = fitted_model(self, self.black_box, X, y, prefit=self.prefit, fit_params=fit_params)
        targets = self._targets(X)
        if self._is_label_target and len(np.unique(targets)) < 2:
            raise ValueError(
                f"{type(self.black_box_).__name__} predicts the one class {plain(targets[0])!r} for every row of X, "
                "so a classifier surrogate has nothing to mimic; explain its probabilities with a regression "
                "surrogate instead, or check the black box."
            )
        if self.validation_fraction is None or len(targets) < 4:
            self.surrogate_ = clone(self.surrogate).fit(X, targets)
            self.fidelity_ = self._fidelity(X, targets)
        else:
            rows = np.arange(len(targets))
            stratify = targets if self._is_label_target and np.unique(targets, return_counts=True)[1].min() > 1 else None
            train, held_out = train_test_split(
                rows, test_size=self.validation_fraction, random_state=self.random_state, stratify=stratify
            )
            self.surrogate_ = clone(self.surrogate).fit(_take(X, train), targets[train])
            self.fidelity_ = self._fidelity(_take(X, held_out), targets[held_out])
            self.surrogate_ = clone(self.surrogate).fit(X, targets)
        if hasattr(self.surrogate_, "classes_"):
            self.classes_ = self.surrogate_.classes_
        try:
            self.complexity_ = complexity(self.surrogate_)
        except TypeError:
            pass  # a surrogate glassbox cannot measure: no complexity_
        return self

    @property
    def _is_label_target(self):
        return is_classifier(self.surrogate)

    def _targets(self, X):
        """What the surrogate learns: black-box labels, values or positive-class probability."""
        if self._is_label_target or not is_classifier(self.black_box_):
            return np.asarray(self.black_box_.predict(X))
        if not hasattr(self.black_box_, "predict_proba") or len(self.black_box_.classes_) != 2:
            raise ValueError(
                f"A regression surrogate of the classifier {type(self.black_box_).__name__} learns its "
                "positive-class probability, which needs a binary classifier with predict_proba; "
                "use a classifier surrogate instead."
            )
        return self.black_box_.predict_proba(X)[:, 1]

    def _fidelity(self, X, targets):
        return fidelity_score(targets, np.asarray(self.surrogate_.predict(X)), metric=self.metric)

    def _accepts_nan(self):
        return get_tags(self.black_box).input_tags.allow_nan and get_tags(self.surrogate).input_tags.allow_nan

    def _check(self, X):
        """Validate ``X`` and return it with its columns in the order of ``fit`` (matched by name)."""
        check_is_fitted(self)
        validate_X(self, X, reset=False, allow_nan=self._accepts_nan(), handle_unknown="use_encoded_value")
        return match_columns(self, X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The surrogate's predictions."""
        X = self._check(X)
        return self.surrogate_.predict(X)

    @available_if(_surrogate_has("predict_proba"))
    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """The surrogate's class probabilities."""
        X = self._check(X)
        return self.surrogate_.predict_proba(X)

    def score(self, X: ArrayLike, y: ArrayLike | None = None) -> float:
        """Fidelity of the surrogate to the black box on ``X`` (``y`` is ignored)."""
        X = self._check(X)
        return self._fidelity(X, self._targets(X))

    @available_if(_surrogate_has("explain"))
    def explain(self, X: ArrayLike | None = None) -> Explanation:
        """The surrogate's explanation (global without ``X``, local with it)."""
        check_is_fitted(self)
        return self.surrogate_.explain(X)

    def to_text(self) -> str:
        """The surrogate as text, headed by its fidelity."""
        check_is_fitted(self)
        head = f"Surrogate of {type(self.black_box_).__name__} (fidelity {self.fidelity_:.3f} on held-out rows)"
        if hasattr(self.surrogate_, "to_text"):
            body = self.surrogate_.to_text()
        elif hasattr(self.surrogate_, "tree_"):
            from sklearn.tree import export_text

            names = getattr(self, "feature_names_in_", None)
            body = export_text(self.surrogate_, feature_names=None if names is None else list(names))
        else:
            body = repr(self.surrogate_)
        return f"{head}\n{body}"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._accepts_nan()
        tags.target_tags.required = False
        return tags


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
