"""Accumulated local effects (Apley and Zhu 2020) of one feature or a pair.

ALE avoids extrapolating to impossible rows: within each quantile bin of the feature,
each row is moved to the bin's lower and upper edge, the mean difference of the model
output is the bin's local effect, and local effects are accumulated and centred. That
is exactly two model calls per row and feature, all features in one stacked call (the
table and the curves of :mod:`._ale_plans`). Categorical levels are ordered by how
similar the other features' distributions are within them; pairs of numeric features
get second-order effects.
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._core import Bins, Interval, StrOptions, apply_bins, fit_bins
from ._ale_plans import EvaluationTable, LevelPlan, NumericPlan, PairPlan
from ._base import BaseExplainer
from ._effect_utils import BAND_CONSTRAINTS, make_effect, parse_features, resample_counts

if TYPE_CHECKING:
    from .._core._typing import EffectFeatures, OutputMethod, RandomStateLike
    from ..explanation import Effect

__all__ = ["AccumulatedLocalEffects"]


class AccumulatedLocalEffects(BaseExplainer):
    """Accumulated local effects (ALE) of one feature or a pair of numeric features.

    A numeric feature is cut into at most ``max_bins`` quantile bins (learnt at
    ``fit``; one bin per value when there are few). Every row of ``X`` is moved to the
    lower and upper edge of its bin, the mean difference of the model output within a
    bin is its local effect, and the curve at the bin edges is the running sum of local
    effects, centred so that its average over the rows is zero. Only changes small
    enough to stay near the data are made, so correlated features do not produce
    impossible rows, unlike partial dependence.

    Categorical features move each row to the next and to the previous level; the
    levels are ordered by how similar the other features' distributions are within
    them (Kolmogorov-Smirnov distances for numeric features, total variation for
    categorical ones, summed and reduced to one dimension by classical scaling, as in
    Apley and Zhu and the ALEPlot package), or in their own order for ordered pandas
    categoricals. Missing values are their own level for a categorical feature (shared
    with categories that ``fit`` never saw); for a numeric feature they are a point of
    their own (NaN at the end of the grid), placed by comparing the missing rows with
    the same rows at the edge nearest the median.

    A pair of numeric features gives the second-order effect: the pure interaction,
    with both main effects removed, on the grid of bin edges; empty cells take the
    local effect of the nearest non-empty cell. Rows missing either feature are left
    out of a pair.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    max_bins : int, default=20
        Most quantile bins of a numeric feature; the grid has at most
        ``max_bins + 1`` points (bin edges). A feature with at most ``max_bins``
        distinct values gets one bin per value, whose edges lie halfway between
        neighbouring values.
    band : {"bootstrap", "per_bin"} or None, default=None
        A band around the curve: ``"bootstrap"`` is the percentile interval of the
        curve over ``n_bootstrap`` resamples of the rows (the model's local differences
        are reused, so it costs no model call); ``"per_bin"`` is the t-interval of each
        bin's mean local effect, drawn around the curve at the bin's upper edge (how
        well each step is known; one-feature effects only).
    confidence : float, default=0.95
        Coverage of the band.
    n_bootstrap : int, default=100
        Resamples for ``band="bootstrap"``.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted and is used as it is. ``False``: a clone
        is always fitted on ``X, y``. ``"auto"``: fitted models are used, others fitted.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        What is explained: class probabilities for classifiers, ``predict`` for
        regressors, or the decision function or log-odds instead.
    batch_size : int or "auto", default="auto"
        Rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Parallel workers (joblib); results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap (and the quantile subsample of very large data).
    verbose : bool, default=False
        Report progress of long computations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    bins_ : Bins
        Quantile bins of every feature, learnt from the ``X`` given to ``fit``.
    level_orders_ : list
        For each categorical feature, its level codes (NaN for missing) in the order
        the curve follows; ``None`` for numeric features.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    PartialDependence : Curves that set the feature in every row, with ICE curves.

    Notes
    -----
    Model calls: two per row and numeric feature with a value (none for a constant
    feature, whose curve is the single point zero), one per row missing it, up to two
    per row and categorical feature, four per row and pair, and one for the rows
    themselves when a categorical feature or a missing value needs them; all of them in
    one stacked table evaluated in chunks of ``batch_size`` rows. ``Effect.counts``
    holds the rows behind each point: those of the bin ending at it (none for the first
    edge), of the level, of the missing point.

    References
    ----------
    Apley, Zhu (2020). Visualizing the effects of predictor variables in black box
    supervised learning models. JRSS B 82(4), 1059-1086.

    Molnar (2022). Interpretable Machine Learning, section "Accumulated Local Effects".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassbox.explainers import AccumulatedLocalEffects
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> model = LinearRegression().fit(X, 3 * X[:, 0] - X[:, 1])
    >>> ale = AccumulatedLocalEffects(model, max_bins=4).fit(X)
    >>> effect = ale.explain(X, features="x0")
    >>> slope = np.diff(effect.values[:, 0]) / np.diff(effect.grid[0])
    >>> np.round(slope, 6).tolist()
    [3.0, 3.0, 3.0, 3.0]
    >>> effect.counts.tolist()  # rows per bin, ending at each edge
    [0, 125, 125, 125, 125]
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "max_bins": [Interval(Integral, 2, None, closed="left")],
        "band": [StrOptions({"bootstrap", "per_bin"}), None],
        **BAND_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator: Any,
        *,
        max_bins: int = 20,
        band: Literal["bootstrap", "per_bin"] | None = None,
        confidence: float = 0.95,
        n_bootstrap: int = 100,
        prefit: bool | Literal["auto"] = "auto",
        output: OutputMethod = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.max_bins = max_bins
        self.band = band
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.output = output

    def _fit(self, X_encoded):
        """Learn the bins and order the categorical levels."""
        schema = self._feature_schema
        self.bins_ = fit_bins(
            X_encoded, schema.is_categorical, max_bins=self.max_bins, categories=schema.categories,
            random_state=self._seed,
        )
        categorical = np.flatnonzero(schema.is_categorical)
        self.level_orders_ = [None] * X_encoded.shape[1]
        if len(categorical):
            binned = apply_bins(self.bins_, X_encoded)
            for j in categorical:
                self.level_orders_[j] = _level_order(binned, j, self.bins_, schema)

    def explain(self, X: ArrayLike, *, features: EffectFeatures | None = None) -> Effect | list[Effect]:
        """Accumulated local effects of ``features`` over the rows ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows the local effects are measured on.
        features : str, int, tuple, list or None, default=None
            A feature (name or position) or a pair of numeric features (a tuple of two)
            gives one Effect; a list of them gives a list of Effects in the same order;
            ``None`` gives the one-feature Effect of every feature.

        Returns
        -------
        effect : Effect or list of Effect
            Centred curves: ``values`` of shape ``(*grid_shape, n_outputs)``, the rows
            behind each point in ``counts``, and ``lower`` / ``upper`` with a band.
        """
        X_encoded, model_output = self._prepare(X)
        specs, single = parse_features(self, features)
        schema = self._feature_schema
        for spec in specs:
            self._check_spec(spec)
        if self.band == "per_bin" and any(len(spec) == 2 for spec in specs):
            raise ValueError(
                "band='per_bin' is defined for one-feature effects; use band='bootstrap' for a pair."
            )
        binned = _bin_columns(self.bins_, X_encoded, sorted({j for spec in specs for j in spec}))
        table = EvaluationTable(X_encoded)
        plans = []
        for spec in specs:
            if len(spec) == 2:
                plans.append(PairPlan(table, binned, self.bins_, spec))
            elif schema.is_categorical[spec[0]]:
                order = self.level_orders_[spec[0]]
                plans.append(LevelPlan(table, binned, self.bins_, spec[0], order))
            else:
                plans.append(NumericPlan(table, binned, self.bins_, spec[0], X_encoded))
        outputs = table.evaluate(
            model_output, len(self.output_names_), batch_size=self.batch_size, n_jobs=self.n_jobs,
            verbose=self.verbose,
        )  # (n_evaluations, n_outputs)
        counts = None
        if self.band == "bootstrap":
            counts = resample_counts(self._seed, self.n_bootstrap, len(X_encoded))
        tail = (1 - self.confidence) / 2
        effects = []
        for spec, plan in zip(specs, plans):
            values, lower, upper, point_counts, grid = plan.finish(outputs, counts, self.band, tail)
            effects.append(
                make_effect(self, spec, grid, values, method="ale", lower=lower, upper=upper, counts=point_counts)
            )
        return effects[0] if single else effects

    def _check_spec(self, spec):
        schema = self._feature_schema
        for j in spec:
            edges = self.bins_.edges[j]
            if edges is not None and np.isnan(edges).all():
                raise ValueError(
                    f"Feature {schema.feature_names[j]!r} had no observed value in the X given to fit, so it "
                    "has no bins; fit on data where it is observed."
                )
        if len(spec) == 2:
            for j in spec:
                name = schema.feature_names[j]
                if schema.is_categorical[j]:
                    raise ValueError(
                        f"Second-order ALE is defined for two numeric features, but {name!r} is categorical. "
                        "Use PartialDependence for this pair, or the one-feature ALE of each."
                    )
                edges = self.bins_.edges[j]
                if edges[0] == edges[-1]:
                    raise ValueError(
                        f"Second-order ALE needs two features that vary, but {name!r} was constant in the X "
                        "given to fit."
                    )


# -- bins and level orders ------------------------------------------------------------


def _bin_columns(bins, X, columns):
    """Bin indices of some columns of encoded ``X``, shape (n_samples, n_features); -1 elsewhere."""
    subset = Bins(
        tuple(bins.thresholds[j] for j in columns),
        bins.n_bins[columns],
        tuple(bins.edges[j] for j in columns),
        bins.is_categorical[columns],
    )
    binned = np.full(X.shape, -1, dtype=np.int32)
    binned[:, columns] = apply_bins(subset, X[:, columns])
    return binned


def _level_order(binned, j, bins, schema):
    """Level codes of categorical feature ``j`` (NaN for missing) in the order ALE follows.

    Ordered pandas categoricals keep their order; other levels are ordered by the first
    coordinate of a classical scaling of the distances between the distributions of the
    other features within each level.
    """
    missing_bin = bins.missing_bin[j]
    present = np.unique(binned[:, j])
    dtype = schema.dtypes[j] if schema.dtypes is not None else None
    order = present
    if len(present) > 2 and not (isinstance(dtype, pd.CategoricalDtype) and dtype.ordered):
        group = np.searchsorted(present, binned[:, j])
        n_groups = len(present)
        distance = np.zeros((n_groups, n_groups))
        for m in range(binned.shape[1]):
            if m == j:
                continue
            n_bins = int(bins.n_bins[m])
            table = np.bincount(group * n_bins + binned[:, m], minlength=n_groups * n_bins).reshape(n_groups, n_bins)
            shares = table / table.sum(axis=1, keepdims=True)
            if bins.is_categorical[m]:  # total variation distance
                distance += np.abs(shares[:, None] - shares[None]).sum(axis=-1) / 2
            else:  # Kolmogorov-Smirnov distance of the binned distributions
                cdf = np.cumsum(shares, axis=1)
                distance += np.abs(cdf[:, None] - cdf[None]).max(axis=-1)
        centring = np.eye(n_groups) - 1.0 / n_groups
        gram = -0.5 * centring @ distance**2 @ centring
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        if eigenvalues[-1] > 1e-12 * max(1.0, np.abs(gram).max()):
            coordinate = eigenvectors[:, -1]
            if coordinate @ (np.arange(n_groups) - (n_groups - 1) / 2) < 0:  # a fixed orientation
                coordinate = -coordinate
            order = present[np.argsort(coordinate, kind="stable")]
    return np.where(order == missing_bin, np.nan, order).astype(np.float64)
