"""Counterfactual explanations: small, valid changes to a row that change the decision.

:class:`CounterfactualExplainer` learns at ``fit`` what may change and how change is
measured (ranges, scales, levels), and at ``explain`` runs the search of
:mod:`._counterfactual_search` (Growing Spheres, batched over every explained row and
candidate) in chunks of rows, each row with its own generator, and gathers the results
into :class:`~._counterfactual_result.Counterfactuals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._core import (
    HasMethods,
    Interval,
    ModelResponse,
    batch_units,
    chunk_bounds,
    predict_rows,
    row_rngs,
    run_chunks,
)
from ._base import BaseExplainer, DecisionMixin
from ._counterfactual_result import Counterfactuals
from ._counterfactual_search import Decision, Search, SearchSpace, Target, search_chunk

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike

__all__ = ["CounterfactualExplainer"]


class CounterfactualExplainer(DecisionMixin, BaseExplainer):
    """Counterfactuals: the smallest changes to a row that give the desired prediction.

    For each explained row, ``explain`` searches a few changed copies of the row that
    the model predicts as ``desired_class`` (classifiers) or within ``desired_range``
    (regressors), changing few features, by little, within the values seen at
    ``fit``: numeric values stay inside their observed range (integers stay
    integers), categorical features take observed levels, ``immutable`` features never
    change. Rows for which no such change is found are reported, never dropped.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    n_counterfactuals : int, default=3
        Counterfactuals wanted per row; they change different sets of features where
        possible.
    immutable : list of str or int, default=None
        Features (names, or positions for arrays) that counterfactuals must keep.
    max_changed : int or None, default=None
        Most features a counterfactual may change; ``None`` allows every mutable one.
        (The search already prefers few changes; this is a hard limit.)
    n_candidates : int, default=200
        Candidates drawn per row and shell of the search.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    batch_size : int or "auto", default="auto"
        Most candidate rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Workers searching groups of rows (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the search. A row's counterfactuals depend only on the row, the request
        and this seed, not on the other rows, ``batch_size`` or ``n_jobs``.
    verbose : bool, default=False
        Report progress on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    scale_ : ndarray of shape (n_features_in_,)
        Unit of each numeric feature in distances: its median absolute deviation (its
        standard deviation when that is 0, and 1 when both are); 1 for categorical
        features, whose change counts 1.
    feature_range_ : ndarray of shape (n_features_in_, 2)
        Smallest and largest value of each numeric feature at ``fit`` (NaN for
        categorical features).
    immutable_ : ndarray of bool of shape (n_features_in_,)
        Features counterfactuals keep.
    classes_ : ndarray of shape (n_classes,)
        Classes of a classifier (absent for regressors).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    LimeExplainer : Which features matter around a row.

    Notes
    -----
    Missing values of an explained row stay missing. Categories that ``fit`` never
    saw cannot be explained: counterfactuals are built from the levels seen at ``fit``.

    References
    ----------
    .. [1] Laugel, T., Lesot, M.-J., Marsala, C., Renard, X. and Detyniecki, M. (2018).
       Comparison-based inverse classification for interpretability in machine
       learning (Growing Spheres). IPMU.
    .. [2] Wachter, S., Mittelstadt, B. and Russell, C. (2017). Counterfactual
       explanations without opening the black box. Harvard Journal of Law & Technology.
    .. [3] Mothilal, R. K., Sharma, A. and Tan, C. (2020). Explaining machine learning
       classifiers through diverse counterfactual explanations. FAT*.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from glassbox.explainers import CounterfactualExplainer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> explainer = CounterfactualExplainer(model, n_counterfactuals=2, random_state=0).fit(X)
    >>> cf = explainer.explain(X.iloc[1:4], desired_class=1)
    >>> cf.status.tolist()
    ['found', 'found', 'found']
    >>> bool((model.predict(cf.counterfactuals) == 1).all())
    True
    >>> cf.changes(2)[["rank", "feature"]].head(3)
       rank               feature
    0     0          mean texture
    1     0  worst concave points
    2     1      smoothness error
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "estimator": [HasMethods(("fit", "predict"))],
        "n_counterfactuals": [Interval(Integral, 1, None, closed="left")],
        "immutable": ["array-like", None],
        "max_changed": [Interval(Integral, 1, None, closed="left"), None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        n_counterfactuals: int = 3,
        immutable: Sequence[str | int] | None = None,
        max_changed: int | None = None,
        n_candidates: int = 200,
        prefit: bool | Literal["auto"] = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.n_counterfactuals = n_counterfactuals
        self.immutable = immutable
        self.max_changed = max_changed
        self.n_candidates = n_candidates

    def _response(self, schema):
        """Counterfactuals are judged by the model's decision: ``predict``."""
        return ModelResponse(self.estimator_, schema, "predict")

    def _fit(self, X_encoded):
        """Learn the ranges, scales and levels of ``X``: counterfactual values stay within them."""
        self._adopt_decision("counterfactuals reach one predicted class or one range")
        schema = self._feature_schema
        self.immutable_ = self._immutable_mask()
        self._space = SearchSpace.learn(X_encoded, schema.is_categorical, schema.categories, self.immutable_)
        self.scale_ = self._space.scale
        self.feature_range_ = np.column_stack([self._space.low, self._space.high])

    def _immutable_mask(self):
        schema = self._feature_schema
        mask = np.zeros(schema.n_features, dtype=bool)
        if self.immutable is None:
            return mask
        requested = [self.immutable] if isinstance(self.immutable, (str, Integral)) else list(self.immutable)
        for feature in requested:
            mask[schema.index_of(feature, context=" (in immutable)")] = True
        return mask

    def explain(
        self,
        X: ArrayLike,
        *,
        desired_class: Any = None,
        desired_range: tuple[float | None, float | None] | None = None,
    ) -> Counterfactuals:
        """Counterfactuals of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.
        desired_class : object, default=None
            Classifiers: the class counterfactuals must be predicted as; ``None`` asks
            for any class other than the row's prediction.
        desired_range : tuple of (float or None, float or None), default=None
            Regressors (required): the ``(low, high)`` interval counterfactuals must be
            predicted in; ``None`` leaves a side open.

        Returns
        -------
        counterfactuals : Counterfactuals
        """
        check_is_fitted(self)
        target = self._target(desired_class, desired_range)
        X_encoded, response = self._prepare(X)
        schema = response.schema
        n_rows, n_features = X_encoded.shape
        decide = Decision(response)
        predicted = predict_rows(
            decide, X_encoded, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose
        )
        reached = target.reached(predicted, predicted)
        rngs = row_rngs(self._seed, X_encoded)
        search = Search(
            space=self._space,
            decide=decide,
            target=target,
            n_counterfactuals=self.n_counterfactuals,
            max_changed=self.max_changed,
            n_candidates=self.n_candidates,
        )
        rows_per_chunk = batch_units(
            self.batch_size, row_cells=n_features, unit_cells=self.n_candidates * n_features
        )
        todo = np.flatnonzero(~reached)
        args = [
            (search, todo[start:stop], X_encoded[todo[start:stop]], predicted[todo[start:stop]],
             [rngs[i] for i in todo[start:stop]])
            for start, stop in chunk_bounds(len(todo), rows_per_chunk)
        ]
        found = run_chunks(search_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="counterfactuals")
        if found:  # chunks come in row order, each sorted by (row, rank)
            owner, candidates, prediction, distance, changed = (np.concatenate(part) for part in zip(*found))
        else:
            owner, candidates, prediction = np.zeros(0, dtype=np.intp), np.zeros((0, n_features)), predicted[:0]
            distance, changed = np.zeros(0), np.zeros((0, n_features), dtype=bool)
        counts = np.bincount(owner, minlength=n_rows)
        status = np.where(counts >= self.n_counterfactuals, "found", np.where(counts > 0, "partial", "not_found"))
        status = np.where(reached, "already_desired", status).astype(object)
        rank = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left")
        frame = _as_frame(schema, candidates)
        frame.index = pd.MultiIndex.from_arrays([owner, rank], names=["row", "rank"])
        return Counterfactuals(
            counterfactuals=frame,
            distance=distance,
            n_changed=changed.sum(axis=1),
            changed=changed,
            prediction=prediction,
            original=_as_frame(schema, X_encoded),
            original_prediction=predicted,
            status=status,
            desired=target.desired,
        )

    def _target(self, desired_class, desired_range):
        name = type(self.estimator_).__name__
        if hasattr(self, "classes_"):
            if desired_range is not None:
                raise ValueError(
                    f"{name} is a classifier: ask for a class with desired_class; desired_range applies to "
                    "regressors."
                )
            if desired_class is not None and desired_class not in self.classes_.tolist():
                raise ValueError(
                    f"desired_class={desired_class!r} is not a class of {name}; its classes are "
                    f"{', '.join(map(repr, self.classes_.tolist()))}."
                )
            return Target(desired=desired_class, low=None, high=None)
        if desired_class is not None:
            raise ValueError(
                f"{name} is a regressor: it has no classes. Pass desired_range=(low, high), the range its "
                "prediction should reach."
            )
        if desired_range is None:
            raise ValueError(
                f"{name} is a regressor: pass desired_range=(low, high), the range its prediction should reach "
                "(None leaves a side open)."
            )
        try:
            low, high = desired_range
            low = -np.inf if low is None else float(low)
            high = np.inf if high is None else float(high)
        except (TypeError, ValueError):
            raise ValueError(
                f"desired_range must be a pair (low, high) of numbers or None; got {desired_range!r}."
            ) from None
        if np.isnan(low) or np.isnan(high) or low > high:
            raise ValueError(f"desired_range must satisfy low <= high; got {desired_range!r}.")
        return Target(desired=(low, high), low=low, high=high)


def _as_frame(schema, Z):
    """Encoded rows as a DataFrame in the format the model was fitted on."""
    decoded = schema.decode(Z)
    if isinstance(decoded, pd.DataFrame):
        return decoded
    return pd.DataFrame(schema.display(Z), columns=schema.feature_names)
