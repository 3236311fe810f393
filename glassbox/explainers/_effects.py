"""Feature effects: partial dependence with ICE curves, and accumulated local effects.

Both describe how a model's output moves with one feature (or a pair) and return
:class:`~glassbox.Effect` objects.

- Partial dependence (Friedman 2001) sets the feature to each grid value in every row
  and averages: ``PD(v) = 1/n sum_i f(v, x_i,-j)``; the per-row curves are the ICE
  curves (Goldstein et al. 2015). Every grid value of every requested feature is one
  masked copy of the rows, evaluated by :func:`~glassbox._core.masked_predict` in one
  stacked computation. For scikit-learn's tree models Friedman's weighted traversal
  ("recursion") gives the average without calling the model: each leaf contributes its
  value times the training share of the paths through splits on other features, over
  the interval of grid values its splits on the target features allow, so a whole grid
  costs one pass over the nodes and a cumulative sum.
- Accumulated local effects (Apley and Zhu 2020) avoid extrapolating to impossible
  rows: within each quantile bin of the feature, each row is moved to the bin's lower
  and upper edge, the mean difference of the model output is the bin's local effect,
  and local effects are accumulated and centred. That is exactly two model calls per
  row and feature, all features in one stacked call. Categorical levels are ordered by
  how similar the other features' distributions are within them; pairs of numeric
  features get second-order effects.
"""

from __future__ import annotations

from itertools import product
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.spatial import cKDTree

from .._core import (
    Background,
    Bins,
    Interval,
    StrOptions,
    apply_bins,
    chunk_rngs,
    fit_bins,
    masked_predict,
    predict_built,
)
from ..explanation import Effect
from ._base import BaseExplainer
from ._recursion import tree_partial_dependence, tree_traversal

__all__ = ["AccumulatedLocalEffects", "PartialDependence"]


class PartialDependence(BaseExplainer):
    """Partial dependence and ICE curves of one feature or a pair, on a quantile grid.

    The partial dependence of a feature at a value ``v`` is the model's output with the
    feature set to ``v`` in every row of ``X``, averaged over the rows; each row's own
    curve is its individual conditional expectation (ICE). The grid of a numeric
    feature holds its distinct values when there are at most ``grid_resolution`` of
    them, and otherwise ``grid_resolution`` quantiles between ``percentiles``; a
    categorical feature's grid is its levels, shown as themselves. When the data
    given to ``fit`` has missing values in a feature, the grid ends with a missing
    point (NaN) where the feature is set to missing.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    kind : {"average", "individual", "both"}, default="average"
        ``"average"``: the partial dependence curve. ``"individual"`` and ``"both"``
        also keep the ICE curve of every row in ``Effect.individual``; the averaged
        curve is always ``Effect.values`` (it is the mean of the ICE curves).
    method : {"auto", "brute", "recursion"}, default="auto"
        ``"brute"`` evaluates the model on every row at every grid value.
        ``"recursion"`` is Friedman's weighted tree traversal, for scikit-learn's
        decision trees, random forests, extra trees, gradient boosting and histogram
        gradient boosting models explained on the output that adds up over their trees
        (``predict`` for regressors, ``predict_proba`` for trees and forests of
        classifiers, ``decision_function`` for gradient boosting classifiers). It needs
        no model call, but averages over the training rows as the trees saw them (each
        split's training share), not over ``X``; the two agree when the features are
        independent. ``"auto"`` uses the recursion where it applies (numeric features,
        ``kind="average"``, no band), which is always faster, and brute force elsewhere.
    grid_resolution : int, default=100
        Most grid points of a numeric feature.
    percentiles : tuple of float, default=(0.05, 0.95)
        Lowest and highest quantile of a numeric feature's grid, when it has more than
        ``grid_resolution`` distinct values.
    band : {"ice", "bootstrap"} or None, default=None
        A band around the curve: ``"ice"`` spans the central ``confidence`` share of
        the ICE curves at each grid value (how much rows differ); ``"bootstrap"`` is
        the percentile interval of the average over ``n_bootstrap`` resamples of the
        rows (how well the average is known). Both evaluate every row.
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
        Seeds the bootstrap.
    verbose : bool, default=False
        Report progress of long computations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    grid_values_ : list of ndarray
        The grid of every feature, learnt from the ``X`` given to ``fit``: values of a
        numeric feature, level codes of a categorical one, NaN last for missing.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    AccumulatedLocalEffects : Effects that stay within the data when features are
        correlated.
    sklearn.inspection.partial_dependence : The same curves, one model call per grid
        value.

    Notes
    -----
    A constant feature has a one-point grid: the model's average output at its value.
    Which features to draw is a question asked of a fitted explainer, so it is an
    argument of :meth:`explain` rather than a parameter: the explainer clones and
    tunes like any other estimator.

    References
    ----------
    Friedman (2001). Greedy function approximation: a gradient boosting machine.
    Annals of Statistics 29(5), 1189-1232.

    Goldstein, Kapelner, Bleich, Pitkin (2015). Peeking inside the black box:
    visualizing statistical learning with plots of individual conditional expectation.
    Journal of Computational and Graphical Statistics 24(1), 44-65.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassbox.explainers import PartialDependence
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> model = LinearRegression().fit(X, 3 * X[:, 0] - X[:, 1])
    >>> pd_ = PartialDependence(model, grid_resolution=5).fit(X)
    >>> effect = pd_.explain(X, features="x0")
    >>> slope = np.diff(effect.values[:, 0]) / np.diff(effect.grid[0])
    >>> np.round(slope, 6).tolist()
    [3.0, 3.0, 3.0, 3.0]
    >>> [e.feature_names for e in pd_.explain(X, features=["x0", ("x0", "x1")])]
    [('x0',), ('x0', 'x1')]
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "kind": [StrOptions({"average", "individual", "both"})],
        "method": [StrOptions({"auto", "brute", "recursion"})],
        "grid_resolution": [Interval(Integral, 2, None, closed="left")],
        "percentiles": [tuple],
        "band": [StrOptions({"ice", "bootstrap"}), None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_bootstrap": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        *,
        kind="average",
        method="auto",
        grid_resolution=100,
        percentiles=(0.05, 0.95),
        band=None,
        confidence=0.95,
        n_bootstrap=100,
        prefit="auto",
        output="auto",
        batch_size="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.kind = kind
        self.method = method
        self.grid_resolution = grid_resolution
        self.percentiles = percentiles
        self.band = band
        self.confidence = confidence
        self.n_bootstrap = n_bootstrap
        self.output = output

    def _fit(self, X_encoded):
        """Learn the grid of every feature (and the trees, for the recursion)."""
        low, high = _check_percentiles(self.percentiles)
        if self.method == "recursion" and (self.kind != "average" or self.band is not None):
            raise ValueError(
                "method='recursion' computes the average curve without evaluating rows, so it cannot give "
                f"kind={self.kind!r} or band={self.band!r}; use method='brute' (or 'auto')."
            )
        # The trees as arrays, for Friedman's recursion, once per fitted model.
        self._trees = None, "method='brute' was chosen"
        if self.method != "brute" and self.kind == "average" and self.band is None:
            self._trees = tree_traversal(self.estimator_, self._model_output.method)
        is_categorical = self._feature_schema.is_categorical
        self.grid_values_ = [
            _grid(X_encoded[:, j], is_categorical[j], self.grid_resolution, low, high)
            for j in range(X_encoded.shape[1])
        ]

    def explain(self, X, *, features=None):
        """Partial dependence (and ICE curves) of ``features`` over the rows ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows the curves average over (and the rows of the ICE curves).
        features : str, int, tuple, list or None, default=None
            A feature (name or position) or a pair (a tuple of two) gives one Effect;
            a list of them gives a list of Effects in the same order; ``None`` gives
            the one-feature Effect of every feature.

        Returns
        -------
        effect : Effect or list of Effect
            ``values`` of shape ``(*grid_shape, n_outputs)``; with ``kind="individual"``
            or ``"both"``, ``individual`` of shape ``(n_samples, *grid_shape,
            n_outputs)``; with a band, ``lower`` and ``upper``.
        """
        X_encoded, model_output = self._prepare(X)
        specs, single = _parse_features(self, features)
        schema = self._feature_schema
        evaluate_rows = self.kind != "average" or self.band is not None
        recursion = self._recursion_plan(specs, evaluate_rows)
        grids = [[self.grid_values_[j] for j in spec] for spec in specs]

        # Brute force: one masked copy of the rows per grid point, all effects at once.
        brute = [i for i, spec in enumerate(specs) if recursion[i] is None]
        brute_values = {}
        if brute:
            points, masks, sizes = [], [], []
            n_features = X_encoded.shape[1]
            for i in brute:
                cells = _cells(grids[i])  # (n_points, len(spec))
                block = np.full((len(cells), n_features), np.nan)
                block[:, list(specs[i])] = cells
                mask = np.zeros((len(cells), 1, n_features), dtype=bool)
                mask[:, :, list(specs[i])] = True
                points.append(block)
                masks.append(mask)
                sizes.append(len(cells))
            n_samples = len(X_encoded)
            rows = Background(X_encoded, np.full(n_samples, 1.0 / n_samples))
            values = masked_predict(
                model_output,
                np.vstack(points),
                np.concatenate(masks),
                rows,
                average=not evaluate_rows,
                batch_size=self.batch_size,
                n_jobs=self.n_jobs,
                verbose=self.verbose,
            )  # (n_points, 1, n_outputs) or (n_points, 1, n_samples, n_outputs)
            for i, block in zip(brute, np.split(values[:, 0], np.cumsum(sizes)[:-1])):
                brute_values[i] = block
        counts = _resample_counts(self._seed, self.n_bootstrap, len(X_encoded)) if self.band == "bootstrap" else None

        effects = []
        for i, spec in enumerate(specs):
            shape = tuple(len(g) for g in grids[i])
            individual = lower = upper = None
            if recursion[i] is not None:
                values = recursion[i]
            elif not evaluate_rows:
                values = brute_values[i].reshape(*shape, -1)
            else:
                ice = np.moveaxis(brute_values[i], 1, 0)  # (n_samples, n_points, n_outputs)
                ice = ice.reshape(len(ice), *shape, -1)
                values = ice.mean(axis=0)
                lower, upper = self._band(ice, counts)
                if self.kind != "average":
                    individual = ice
            effects.append(
                Effect(
                    feature_names=tuple(schema.feature_names[j] for j in spec),
                    grid=tuple(_display(schema, j, g) for j, g in zip(spec, grids[i])),
                    values=values,
                    output_names=self.output_names_,
                    method="partial_dependence",
                    individual=individual,
                    lower=lower,
                    upper=upper,
                    is_categorical=tuple(bool(schema.is_categorical[j]) for j in spec),
                )
            )
        return effects[0] if single else effects

    def _recursion_plan(self, specs, evaluate_rows):
        """Per effect, its values by the tree recursion, or None where brute force is used."""
        plan = [None] * len(specs)
        if self.method == "brute" or evaluate_rows:
            return plan
        trees, reason = self._trees
        schema = self._feature_schema
        for i, spec in enumerate(specs):
            categorical = [
                schema.feature_names[j]
                for j in spec
                if schema.is_categorical[j] or (trees is not None and j in trees.categorical_features)
            ]
            if trees is None or categorical:
                if self.method == "recursion":
                    reason = reason or f"{', '.join(map(repr, categorical))} is categorical"
                    raise ValueError(
                        "method='recursion' traverses scikit-learn tree models (DecisionTree*, ExtraTree*, "
                        "RandomForest*, ExtraTrees*, GradientBoosting*, HistGradientBoosting*) on numeric "
                        f"features; {reason}. Use method='brute'."
                    )
                continue
            plan[i] = tree_partial_dependence(trees, spec, [self.grid_values_[j] for j in spec])
        return plan

    def _band(self, ice, counts):
        """Lower and upper band from ICE curves of shape (n_samples, *grid_shape, n_outputs)."""
        if self.band is None:
            return None, None
        tail = (1 - self.confidence) / 2
        if self.band == "ice":
            samples = ice
        else:
            flat = ice.reshape(len(ice), -1)
            samples = (counts @ flat / len(ice)).reshape(len(counts), *ice.shape[1:])
        return np.quantile(samples, tail, axis=0), np.quantile(samples, 1 - tail, axis=0)


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
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_bootstrap": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        *,
        max_bins=20,
        band=None,
        confidence=0.95,
        n_bootstrap=100,
        prefit="auto",
        output="auto",
        batch_size="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
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

    def explain(self, X, *, features=None):
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
        specs, single = _parse_features(self, features)
        schema = self._feature_schema
        for spec in specs:
            self._check_spec(spec)
        if self.band == "per_bin" and any(len(spec) == 2 for spec in specs):
            raise ValueError(
                "band='per_bin' is defined for one-feature effects; use band='bootstrap' for a pair."
            )
        binned = _bin_columns(self.bins_, X_encoded, sorted({j for spec in specs for j in spec}))
        table = _EvaluationTable(X_encoded)
        plans = []
        for spec in specs:
            if len(spec) == 2:
                plans.append(_PairPlan(table, binned, self.bins_, spec))
            elif schema.is_categorical[spec[0]]:
                order = self.level_orders_[spec[0]]
                plans.append(_LevelPlan(table, binned, self.bins_, spec[0], order))
            else:
                plans.append(_NumericPlan(table, binned, self.bins_, spec[0], X_encoded))
        outputs = table.evaluate(
            model_output, len(self.output_names_), batch_size=self.batch_size, n_jobs=self.n_jobs,
            verbose=self.verbose,
        )  # (n_evaluations, n_outputs)
        counts = None
        if self.band == "bootstrap":
            counts = _resample_counts(self._seed, self.n_bootstrap, len(X_encoded))
        tail = (1 - self.confidence) / 2
        effects = []
        for spec, plan in zip(specs, plans):
            values, lower, upper, point_counts, grid = plan.finish(outputs, counts, self.band, tail)
            effects.append(
                Effect(
                    feature_names=tuple(schema.feature_names[j] for j in spec),
                    grid=tuple(_display(schema, j, g) for j, g in zip(spec, grid)),
                    values=values,
                    output_names=self.output_names_,
                    method="ale",
                    lower=lower,
                    upper=upper,
                    counts=point_counts,
                    is_categorical=tuple(bool(schema.is_categorical[j]) for j in spec),
                )
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


# -- feature specifications and grids -----------------------------------------------


def _parse_features(explainer, features):
    """``(specs, single)``: tuples of feature positions, and whether one Effect was asked."""
    n_features = explainer.n_features_in_
    if features is None:
        return [(j,) for j in range(n_features)], False
    if isinstance(features, tuple):
        return [_spec(explainer, features)], True
    if isinstance(features, (list, np.ndarray, pd.Index)):
        if len(features) == 0:
            raise ValueError("features is an empty list; name at least one feature or pair.")
        return [_spec(explainer, f) for f in features], False
    return [_spec(explainer, features)], True


def _spec(explainer, feature):
    if isinstance(feature, (tuple, list)):
        if len(feature) not in (1, 2):
            raise ValueError(f"An effect covers one feature or a pair; got {feature!r}.")
        spec = tuple(explainer._feature_schema.index_of(f) for f in feature)
        if len(spec) == 2 and spec[0] == spec[1]:
            raise ValueError(f"A pair needs two different features; got {feature!r}.")
        return spec
    return (explainer._feature_schema.index_of(feature),)


def _check_percentiles(percentiles):
    if len(percentiles) != 2 or not all(isinstance(p, Real) for p in percentiles):
        raise ValueError(f"percentiles must be a tuple of two numbers; got {percentiles!r}.")
    low, high = (float(p) for p in percentiles)
    if not 0 <= low < high <= 1:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 1; got {percentiles!r}.")
    return low, high


def _grid(column, is_categorical, grid_resolution, low, high):
    """Grid of one encoded column: distinct values or quantiles (codes for levels), NaN last."""
    present = column[~np.isnan(column)]
    values = np.unique(present)
    if not is_categorical and len(values) > grid_resolution:
        values = np.unique(np.quantile(present, np.linspace(low, high, grid_resolution)))
    if len(present) < len(column):
        values = np.append(values, np.nan)
    return values


def _cells(grids):
    """Every combination of the grid values, shape (n_points, len(grids)), first axis slowest."""
    mesh = np.meshgrid(*grids, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _display(schema, j, values):
    """Grid values as a person reads them: category levels (NaN for missing) or numbers."""
    values = np.asarray(values, dtype=np.float64)
    if not schema.is_categorical[j]:
        return values
    out = np.full(len(values), np.nan, dtype=object)
    known = ~np.isnan(values) & (values >= 0)
    out[known] = schema.categories[j][values[known].astype(np.intp)]
    return out


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


def _resample_counts(seed, n_bootstrap, n_samples):
    """How often each row is drawn in each bootstrap resample, shape (n_bootstrap, n_samples)."""
    rng = chunk_rngs(seed, 1)[0]
    draws = rng.integers(0, n_samples, size=(n_bootstrap, n_samples))
    flat = (draws + n_samples * np.arange(n_bootstrap)[:, None]).ravel()
    return np.bincount(flat, minlength=n_bootstrap * n_samples).reshape(n_bootstrap, n_samples).astype(np.float64)


# -- accumulated local effects ------------------------------------------------------


class _EvaluationTable:
    """The stacked table of edited rows that ALE evaluates in one call.

    Each entry is a row of ``X`` with up to two columns set to given values; the rows
    of ``X`` themselves are the first block, added when a plan asks for them.
    """

    def __init__(self, X):
        self.X = X
        self._rows, self._columns, self._values = [], [], []
        self._size = 0
        self._base = None

    def base(self):
        """Slice of the unedited rows of ``X`` in the outputs."""
        if self._base is None:
            self._base = self.add(np.arange(len(self.X)), (), ())
        return self._base

    def add(self, rows, columns, values):
        """Append ``rows`` of X with ``columns`` (none, one or two) set to ``values`` (a
        scalar or one value per row for each column); return their slice in the outputs."""
        n = len(rows)
        padding = 2 - len(columns)
        self._rows.append(np.asarray(rows, dtype=np.intp))
        self._columns.append(np.broadcast_to(np.asarray((*columns, *[-1] * padding), dtype=np.intp), (n, 2)))
        values = [np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for v in values]
        self._values.append(np.column_stack([*values, *[np.zeros(n)] * padding]))
        self._size += n
        return slice(self._size - n, self._size)

    def evaluate(self, model_output, n_outputs, *, batch_size, n_jobs, verbose):
        """Model outputs of every entry, shape (n_entries, n_outputs)."""
        if self._size == 0:
            return np.zeros((0, n_outputs))
        build = _EditedRows(
            self.X, np.concatenate(self._rows), np.concatenate(self._columns), np.concatenate(self._values)
        )
        return predict_built(
            model_output, build, self._size, n_features=self.X.shape[1], batch_size=batch_size,
            n_jobs=n_jobs, verbose=verbose,
        )


class _EditedRows:
    """Rows ``start:stop`` of the evaluation table: ``X[rows]`` with columns set to values."""

    def __init__(self, X, rows, columns, values):
        self.X, self.rows, self.columns, self.values = X, rows, columns, values

    def __call__(self, start, stop):
        Z = self.X[self.rows[start:stop]]  # (chunk, n_features)
        for slot in range(2):
            columns = self.columns[start:stop, slot]
            hit = np.flatnonzero(columns >= 0)
            Z[hit, columns[hit]] = self.values[start:stop, slot][hit]
        return Z


def _bin_sums(index, n_bins, data, counts=None):
    """Sums of ``data`` (n, n_outputs) per bin: (n_bins, n_outputs), or per resample
    (n_bootstrap, n_bins, n_outputs) with ``counts`` of shape (n_bootstrap, n)."""
    if counts is None:
        return np.stack([np.bincount(index, weights=d, minlength=n_bins) for d in data.T], axis=-1)
    onehot = sparse.csr_matrix((np.ones(len(index)), (np.arange(len(index)), index)), shape=(len(index), n_bins))
    return np.stack([(onehot.T @ (counts * d).T).T for d in data.T], axis=-1)


def _bin_counts(index, n_bins, counts=None):
    if counts is None:
        return np.bincount(index, minlength=n_bins).astype(np.float64)
    onehot = sparse.csr_matrix((np.ones(len(index)), (np.arange(len(index)), index)), shape=(len(index), n_bins))
    return (onehot.T @ counts.T).T


def _safe_mean(sums, counts):
    """``sums / counts`` with zero where a bin is empty; counts broadcast over outputs."""
    counts = counts[..., None]
    return np.divide(sums, counts, out=np.zeros(np.broadcast_shapes(sums.shape, counts.shape)), where=counts > 0)


def _t_halfwidth(sums, squares, counts, tail):
    """Half-width of the t-interval of bin means (NaN for bins of fewer than two rows)."""
    n = counts[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n
        variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
        quantile = stats.t.ppf(1 - tail, np.maximum(counts - 1, 1))[:, None]
        half = quantile * np.sqrt(variance / n)
    return np.where(n >= 2, half, np.nan)


def _percentile_band(samples, tail):
    return np.quantile(samples, tail, axis=0), np.quantile(samples, 1 - tail, axis=0)


class _NumericPlan:
    """One-feature ALE of a numeric feature: bin edges, and a missing point."""

    def __init__(self, table, binned, bins, j, X):
        self.edges = bins.edges[j]
        self.n_bins = len(self.edges) - 1
        self.is_constant = self.edges[0] == self.edges[-1]
        column_bins = binned[:, j]
        self.observed = np.flatnonzero(column_bins < bins.missing_bin[j])
        self.missing = np.flatnonzero(column_bins == bins.missing_bin[j])
        self.bin = column_bins[self.observed]
        if not self.is_constant and len(self.observed):
            self.lower = table.add(self.observed, (j,), (self.edges[self.bin],))
            self.upper = table.add(self.observed, (j,), (self.edges[self.bin + 1],))
        if len(self.missing):
            # Missing rows are compared with themselves at the edge nearest the median.
            observed_values = X[self.observed, j]
            median = np.median(observed_values) if len(observed_values) else self.edges[0]
            self.reference = 0 if self.is_constant else int(np.argmin(np.abs(self.edges - median)))
            self.base = table.base()
            self.at_reference = table.add(self.missing, (j,), (self.edges[self.reference],))

    def finish(self, outputs, counts, band, tail):
        n_outputs = outputs.shape[1]
        n_bins = 0 if self.is_constant else self.n_bins
        grid = self.edges[:1] if self.is_constant else self.edges
        if n_bins and len(self.observed):
            differences = outputs[self.upper] - outputs[self.lower]  # (n_observed, n_outputs)
        else:
            differences = np.zeros((len(self.observed), n_outputs))
        bin_index = np.minimum(self.bin, max(n_bins - 1, 0))
        missing_differences = None
        if len(self.missing):
            missing_differences = outputs[self.base][self.missing] - outputs[self.at_reference]

        values = self._curve(bin_index, n_bins, differences, missing_differences, None)
        lower = upper = None
        if band == "bootstrap":
            samples = self._curve(bin_index, n_bins, differences, missing_differences, counts)
            lower, upper = _percentile_band(samples, tail)
        elif band == "per_bin":
            lower, upper = values.copy(), values.copy()
            if n_bins:
                sums = _bin_sums(bin_index, n_bins, differences)
                squares = _bin_sums(bin_index, n_bins, differences**2)
                half = _t_halfwidth(sums, squares, _bin_counts(bin_index, n_bins), tail)
                lower[1 : n_bins + 1] -= half
                upper[1 : n_bins + 1] += half
            if missing_differences is not None:
                m = len(missing_differences)
                half = _t_halfwidth(
                    missing_differences.sum(0, keepdims=True), (missing_differences**2).sum(0, keepdims=True),
                    np.array([m], dtype=np.float64), tail,
                )[0]
                lower[-1] -= half
                upper[-1] += half

        point_counts = np.r_[0, _bin_counts(bin_index, n_bins)] if n_bins else np.array([len(self.observed)])
        if len(self.missing):
            grid = np.r_[grid, np.nan]
            point_counts = np.r_[point_counts, len(self.missing)]
        return values, lower, upper, point_counts.astype(np.intp), (grid,)

    def _curve(self, bin_index, n_bins, differences, missing_differences, counts):
        """Centred curve at the edges (and missing point): (n_points, o), or per resample."""
        resampled = counts is not None
        observed_counts = None if counts is None else counts[:, self.observed]
        n_outputs = differences.shape[1]
        lead = (len(counts),) if resampled else ()
        if n_bins:
            sizes = _bin_counts(bin_index, n_bins, observed_counts)  # (.., n_bins)
            local = _safe_mean(_bin_sums(bin_index, n_bins, differences, observed_counts), sizes)
            curve = np.concatenate([np.zeros((*lead, 1, n_outputs)), np.cumsum(local, axis=-2)], axis=-2)
            # Average of the curve over the rows, each bin by the mean of its two edges.
            mass = sizes.sum(axis=-1)
            centre = ((curve[..., :-1, :] + curve[..., 1:, :]) / 2 * sizes[..., None]).sum(axis=-2)
        else:
            curve = np.zeros((*lead, 1, n_outputs))
            mass = observed_counts.sum(axis=-1) if resampled else np.float64(len(self.observed))
            centre = np.zeros((*lead, n_outputs))
        if missing_differences is not None:
            if resampled:
                missing_counts = counts[:, self.missing]
                missing_mass = missing_counts.sum(axis=1)
                shift = _safe_mean(missing_counts @ missing_differences, missing_mass)
            else:
                missing_mass = np.float64(len(self.missing))
                shift = missing_differences.mean(axis=0)
            missing_point = curve[..., self.reference, :] + shift
            centre = centre + missing_point * np.asarray(missing_mass)[..., None]
            mass = mass + missing_mass
            curve = np.concatenate([curve, missing_point[..., None, :]], axis=-2)
        centre = _safe_mean(centre, np.asarray(mass, dtype=np.float64))
        return curve - centre[..., None, :]


class _LevelPlan:
    """One-feature ALE of a categorical feature: each row moved to the next and previous level."""

    def __init__(self, table, binned, bins, j, order):
        missing_bin = bins.missing_bin[j]
        levels = binned[:, j]  # level code, or the missing bin (missing and unseen levels)
        present = np.unique(levels)
        order_bins = np.where(np.isnan(order), missing_bin, order).astype(np.intp)
        known = np.isin(order_bins, present)
        extra = present[~np.isin(present, order_bins)]  # levels fit never saw in order: last
        self.order = np.r_[order_bins[known], extra]  # bins in curve order
        self.codes = np.where(self.order == missing_bin, np.nan, self.order).astype(np.float64)
        position = np.full(missing_bin + 1, -1)
        position[self.order] = np.arange(len(self.order))
        self.position = position[levels]  # (n_samples,)
        n_levels = len(self.order)
        self.up_rows = np.flatnonzero(self.position < n_levels - 1)
        self.down_rows = np.flatnonzero(self.position > 0)
        if n_levels > 1:
            self.base = table.base()
            self.up = table.add(self.up_rows, (j,), (self.codes[self.position[self.up_rows] + 1],))
            self.down = table.add(self.down_rows, (j,), (self.codes[self.position[self.down_rows] - 1],))

    def finish(self, outputs, counts, band, tail):
        n_levels, n_outputs = len(self.order), outputs.shape[1]
        level_counts = np.bincount(self.position, minlength=n_levels)
        if n_levels > 1:
            own = outputs[self.base]
            up, down = outputs[self.up] - own[self.up_rows], own[self.down_rows] - outputs[self.down]
            differences = np.concatenate([up, down])
            boundary = np.r_[self.position[self.up_rows], self.position[self.down_rows] - 1]
            rows = np.r_[self.up_rows, self.down_rows]
        else:
            differences, boundary, rows = np.zeros((0, n_outputs)), np.zeros(0, np.intp), np.zeros(0, np.intp)
        values = self._curve(differences, boundary, rows, None)
        lower = upper = None
        if band == "bootstrap":
            lower, upper = _percentile_band(self._curve(differences, boundary, rows, counts), tail)
        elif band == "per_bin":
            lower, upper = values.copy(), values.copy()
            if n_levels > 1:
                n_boundaries = n_levels - 1
                half = _t_halfwidth(
                    _bin_sums(boundary, n_boundaries, differences), _bin_sums(boundary, n_boundaries, differences**2),
                    _bin_counts(boundary, n_boundaries), tail,
                )
                lower[1:] -= half
                upper[1:] += half
        return values, lower, upper, level_counts.astype(np.intp), (self.codes,)

    def _curve(self, differences, boundary, rows, counts):
        n_levels, n_outputs = len(self.order), differences.shape[1]
        lead = () if counts is None else (len(counts),)
        if n_levels == 1:
            return np.zeros((*lead, 1, n_outputs))
        weights = None if counts is None else counts[:, rows]
        local = _safe_mean(
            _bin_sums(boundary, n_levels - 1, differences, weights), _bin_counts(boundary, n_levels - 1, weights)
        )
        curve = np.concatenate([np.zeros((*lead, 1, n_outputs)), np.cumsum(local, axis=-2)], axis=-2)
        sizes = _bin_counts(self.position, n_levels, counts)  # rows per level
        centre = _safe_mean((curve * sizes[..., None]).sum(axis=-2), sizes.sum(axis=-1))
        return curve - centre[..., None, :]


class _PairPlan:
    """Second-order ALE of two numeric features on the grid of their bin edges."""

    def __init__(self, table, binned, bins, spec):
        j, k = spec
        self.edges = (bins.edges[j], bins.edges[k])
        self.shape = (len(self.edges[0]) - 1, len(self.edges[1]) - 1)
        both = (binned[:, j] < bins.missing_bin[j]) & (binned[:, k] < bins.missing_bin[k])
        self.rows = np.flatnonzero(both)
        a, b = binned[self.rows, j], binned[self.rows, k]
        self.cell = a * self.shape[1] + b
        corners = {}
        for da, db in product((0, 1), repeat=2):
            corners[da, db] = table.add(self.rows, (j, k), (self.edges[0][a + da], self.edges[1][b + db]))
        self.corners = corners

    def finish(self, outputs, counts, band, tail):
        c = self.corners
        differences = outputs[c[1, 1]] - outputs[c[1, 0]] - outputs[c[0, 1]] + outputs[c[0, 0]]
        values = self._surface(differences, None)
        lower = upper = None
        if band == "bootstrap":
            lower, upper = _percentile_band(self._surface(differences, counts), tail)
        n_cells = self.shape[0] * self.shape[1]
        point_counts = np.zeros((self.shape[0] + 1, self.shape[1] + 1), dtype=np.intp)
        point_counts[1:, 1:] = np.bincount(self.cell, minlength=n_cells).reshape(self.shape)
        return values, lower, upper, point_counts, self.edges

    def _surface(self, differences, counts):
        """Centred second-order effect (n1 + 1, n2 + 1, o), or per resample."""
        k1, k2 = self.shape
        n_cells, n_outputs = k1 * k2, differences.shape[1]
        weights = None if counts is None else counts[:, self.rows]
        sizes = _bin_counts(self.cell, n_cells, weights)  # (.., n_cells)
        local = _safe_mean(_bin_sums(self.cell, n_cells, differences, weights), sizes)
        local = self._fill_empty(local, sizes)
        lead = local.shape[:-2]
        local = local.reshape(*lead, k1, k2, n_outputs)
        sizes = sizes.reshape(*lead, k1, k2)
        surface = np.zeros((*lead, k1 + 1, k2 + 1, n_outputs))
        surface[..., 1:, 1:, :] = np.cumsum(np.cumsum(local, axis=-3), axis=-2)
        # Remove the main effects that the accumulated cross differences still hold.
        weights = sizes[..., None]
        step = surface[..., 1:, :, :] - surface[..., :-1, :, :]  # (.., k1, k2 + 1, o)
        first = _safe_mean(((step[..., :-1, :] + step[..., 1:, :]) / 2 * weights).sum(axis=-2), sizes.sum(-1))
        step = surface[..., :, 1:, :] - surface[..., :, :-1, :]  # (.., k1 + 1, k2, o)
        second = _safe_mean(((step[..., :-1, :, :] + step[..., 1:, :, :]) / 2 * weights).sum(axis=-3), sizes.sum(-2))
        zero = np.zeros((*lead, 1, n_outputs))
        surface = surface - np.concatenate([zero, np.cumsum(first, axis=-2)], axis=-2)[..., :, None, :]
        surface = surface - np.concatenate([zero, np.cumsum(second, axis=-2)], axis=-2)[..., None, :, :]
        corners = [surface[..., i : i + k1, j : j + k2, :] for i in (0, 1) for j in (0, 1)]  # (.., k1, k2, o) each
        centre = _safe_mean((sum(corners) / 4 * weights).sum(axis=(-3, -2)), sizes.sum(axis=(-2, -1)))
        return surface - centre[..., None, None, :]

    def _fill_empty(self, local, sizes):
        """Empty cells take the local effect of the nearest non-empty cell (scaled centres)."""
        k1, k2 = self.shape
        e1, e2 = self.edges
        centres = np.stack(np.meshgrid((e1[:-1] + e1[1:]) / 2 / (e1[-1] - e1[0]),
                                       (e2[:-1] + e2[1:]) / 2 / (e2[-1] - e2[0]), indexing="ij"), -1).reshape(-1, 2)
        local = local.copy()
        flat_local = local.reshape(-1, *local.shape[-2:])
        flat_sizes = sizes.reshape(-1, sizes.shape[-1])
        for r in range(len(flat_local)):  # one pass per bootstrap resample
            empty = flat_sizes[r] == 0
            if empty.any() and not empty.all():
                full = np.flatnonzero(~empty)
                _, nearest = cKDTree(centres[full]).query(centres[empty])
                flat_local[r, empty] = flat_local[r, full[nearest]]
        return flat_local.reshape(local.shape)


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
