"""Anchors: for each row, the shortest rule on its own values that keeps its prediction.

:class:`AnchorExplainer` learns at ``fit`` the bins of ``X`` and keeps ``X`` as the data
samples are drawn from (:mod:`._anchor_rules`); ``explain`` runs the beam search with a
bandit of :mod:`._anchor_search` over chunks of rows, each row with its own generator,
and gathers the rules into :class:`~._anchor_result.Anchors`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._core import (
    HasMethods,
    Interval,
    ModelResponse,
    StrOptions,
    batch_units,
    chunk_bounds,
    predict_rows,
    row_rngs,
    run_chunks,
    safe_std,
)
from ._anchor_result import Anchors
from ._anchor_rules import AnchorSpace
from ._anchor_search import Keeps, Search, search_chunk
from ._base import BaseExplainer, DecisionMixin
from ._counterfactual import _as_frame
from ._counterfactual_search import Decision

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike

__all__ = ["AnchorExplainer"]


class AnchorExplainer(DecisionMixin, BaseExplainer):
    """Anchors: the shortest rule on a row's own values under which its prediction holds.

    For each explained row, ``explain`` finds a conjunction of conditions that the row
    satisfies (its anchor) such that the model keeps the row's prediction on at least
    ``threshold`` of the data satisfying it, with confidence ``1 - delta``, and that is as
    short as the search can make it (Ribeiro, Singh and Guestrin 2018). Conditions come
    from the bins of the ``X`` given to ``fit``: a numeric feature gives the two sides
    of the row's own bin (``x <= b``, ``x > a``; both read ``a < x <= b``), a categorical
    feature its level, a missing value ``x is missing``. The data satisfying an anchor
    are sampled as in the paper: rows of ``X`` whose anchored features are replaced,
    where they break the anchor, by the row's value (a level, missing) or by a value
    of ``X`` satisfying the condition (an interval).

    Classifiers are explained on their predicted class (``predict``). Regressors are
    explained on a predicted range: a sample keeps the prediction when its prediction
    is within ``tolerance`` of the row's.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    threshold : float, default=0.95
        Precision an anchor must reach: the share of the samples under it on which the
        model keeps the row's prediction.
    delta : float, default=0.1
        Confidence ``1 - delta`` of the bandit's choices and of the precision bounds.
    epsilon : float, default=0.1
        Tolerance of the bandit: candidates whose precisions differ by less are
        interchangeable in the beam, and an anchor is certified when its estimated
        precision is at least ``threshold`` and its lower confidence bound at least
        ``threshold - epsilon / 2``.
    beam_size : int, default=2
        Anchors kept at each length of the beam search.
    n_samples : int, default=100
        Samples drawn at a time for a candidate: its first estimate, and each further
        draw of the bandit.
    max_bins : int, default=4
        Most value bins of a numeric feature (quartiles with 4): coarser bins give rules
        that cover more rows.
    max_conditions : int or None, default=None
        Longest anchor searched; ``None`` allows every condition of the row.
    tolerance : float or "auto", default="auto"
        Regressors: how far a sample's prediction may be from the row's and still keep
        it. ``"auto"`` is half the standard deviation of the model's predictions on the
        ``X`` given to ``fit``. Classifiers ignore it.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    batch_size : int or "auto", default="auto"
        Most sampled rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Workers searching groups of rows (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling. A row's anchor depends only on the row, the data of ``fit``
        and this seed, not on the other rows, ``batch_size`` or ``n_jobs``.
    verbose : bool, default=False
        Report progress on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    bins_ : Bins
        The bins of ``X`` the conditions are cut at.
    tolerance_ : float
        The tolerance in use (regressors; absent for classifiers).
    classes_ : ndarray of shape (n_classes,)
        Classes of a classifier (absent for regressors).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    LimeExplainer : How much each feature weighs near a row.
    CounterfactualExplainer : The smallest changes that would change the prediction.

    Notes
    -----
    The search stops at the first length at which a candidate is certified, so a
    longer anchor of larger coverage is not sought. Precision is measured on samples,
    coverage exactly: the share of the rows of ``X`` satisfying the anchor. A row for
    which no anchor reaches ``threshold`` (the bins are too coarse for the model, or
    ``max_conditions`` too small) gets the anchor of highest lower bound found, marked
    ``reached=False``, and a warning counts such rows.

    References
    ----------
    .. [1] Ribeiro, M. T., Singh, S. and Guestrin, C. (2018). Anchors: high-precision
       model-agnostic explanations. AAAI.
    .. [2] Kaufmann, E. and Kalyanakrishnan, S. (2013). Information complexity in
       bandit subset selection. COLT.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from glassbox.explainers import AnchorExplainer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> anchors = AnchorExplainer(model, random_state=0).fit(X).explain(X.iloc[:3])
    >>> anchors.reached.tolist()
    [True, True, True]
    >>> bool((anchors.precision >= 0.95).all())
    True
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "estimator": [HasMethods(("fit", "predict"))],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "epsilon": [Interval(Real, 0, 1, closed="neither")],
        "beam_size": [Interval(Integral, 1, None, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "max_bins": [Interval(Integral, 2, None, closed="left")],
        "max_conditions": [Interval(Integral, 1, None, closed="left"), None],
        "tolerance": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        threshold: float = 0.95,
        delta: float = 0.1,
        epsilon: float = 0.1,
        beam_size: int = 2,
        n_samples: int = 100,
        max_bins: int = 4,
        max_conditions: int | None = None,
        tolerance: float | Literal["auto"] = "auto",
        prefit: bool | Literal["auto"] = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.threshold = threshold
        self.delta = delta
        self.epsilon = epsilon
        self.beam_size = beam_size
        self.n_samples = n_samples
        self.max_bins = max_bins
        self.max_conditions = max_conditions
        self.tolerance = tolerance

    def _response(self, schema):
        """Anchors keep the model's decision: ``predict``."""
        return ModelResponse(self.estimator_, schema, "predict")

    def _fit(self, X_encoded):
        """Learn the bins of ``X`` and keep it as the data anchors are sampled from."""
        self._adopt_decision("an anchor keeps one prediction")
        if hasattr(self, "tolerance_"):  # refitted on a classifier
            del self.tolerance_
        if not hasattr(self, "classes_"):  # a regressor's prediction is kept within a tolerance
            if self.tolerance == "auto":
                predicted = predict_rows(Decision(self._model_output), X_encoded, batch_size=self.batch_size)
                self.tolerance_ = 0.5 * float(safe_std(predicted))
            else:
                self.tolerance_ = float(self.tolerance)
        self._space = AnchorSpace(X_encoded, self._feature_schema, max_bins=self.max_bins, random_state=self._seed)
        self.bins_ = self._space.bins

    def explain(self, X: ArrayLike) -> Anchors:
        """The anchor of each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.

        Returns
        -------
        anchors : Anchors
        """
        check_is_fitted(self)
        X_encoded, response = self._prepare(X)
        schema = response.schema
        n_rows, n_features = X_encoded.shape
        decision = Decision(response)
        predicted = predict_rows(decision, X_encoded, batch_size=self.batch_size, n_jobs=self.n_jobs)
        space = self._space
        keys = space.row_keys(X_encoded)
        conditions = [space.conditions(k) for k in keys]
        search = Search(
            space=space, threshold=float(self.threshold), delta=float(self.delta), epsilon=float(self.epsilon),
            beam_size=self.beam_size, n_samples=self.n_samples, max_conditions=self.max_conditions,
        )
        rngs = row_rngs(self._seed, X_encoded)
        keeps = Keeps(getattr(self, "tolerance_", None))
        widest = max([len(c) for c in conditions] + [1])
        rows_per_chunk = batch_units(
            self.batch_size, row_cells=n_features, unit_cells=self.beam_size * widest * self.n_samples * n_features
        )
        args = [
            (search, decision, keeps, X_encoded[start:stop], predicted[start:stop], conditions[start:stop],
             rngs[start:stop], self.batch_size)
            for start, stop in chunk_bounds(n_rows, rows_per_chunk)
        ]
        found = [f for part in run_chunks(search_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose,
                                          desc="anchors") for f in part]
        described = [space.describe(c, f.anchor, row, schema) for c, f, row in zip(conditions, found, X_encoded)]
        frame = pd.concat(described, keys=range(n_rows), names=["row", "position"]) if n_rows else None
        reached = np.array([f.reached for f in found], dtype=bool)
        if not reached.all():
            warnings.warn(
                f"{int((~reached).sum())} of {n_rows} rows reached no anchor of precision {self.threshold:g}: "
                "their best rules are returned with reached=False. Use more bins (max_bins), allow longer "
                "anchors (max_conditions) or lower the threshold.",
                UserWarning,
                stacklevel=2,
            )
        return Anchors(
            conditions=_conditions_frame(frame),
            rule=np.array([" AND ".join(d["text"]) for d in described], dtype=object),
            precision=np.array([f.precision for f in found], dtype=np.float64),
            precision_lower=np.array([f.lower for f in found], dtype=np.float64),
            precision_upper=np.array([f.upper for f in found], dtype=np.float64),
            coverage=np.array([f.coverage for f in found], dtype=np.float64),
            reached=reached,
            n_evaluations=np.array([f.n_evaluations for f in found], dtype=np.int64),
            prediction=predicted,
            original=_as_frame(schema, X_encoded),
            threshold=float(self.threshold),
            tolerance=getattr(self, "tolerance_", None),
        )


def _conditions_frame(frame):
    columns = ["feature", "operator", "value", "text"]
    if frame is None:
        index = pd.MultiIndex.from_arrays([[], []], names=["row", "position"])
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}, index=index)
    return frame

