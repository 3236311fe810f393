"""Partial dependence and ICE curves of one feature or a pair.

Partial dependence (Friedman 2001) sets the feature to each grid value in every row and
averages: ``PD(v) = 1/n sum_i f(v, x_i,-j)``; the per-row curves are the ICE curves
(Goldstein et al. 2015). Every grid value of every requested feature is one masked copy
of the rows, evaluated by :func:`~glassbox._core.masked_predict` in one stacked
computation. For scikit-learn's tree models Friedman's weighted traversal ("recursion",
:mod:`._recursion`) gives the average without calling the model: each leaf contributes
its value times the training share of the paths through splits on other features, over
the interval of grid values its splits on the target features allow, so a whole grid
costs one pass over the nodes and a cumulative sum.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._core import Background, Interval, StrOptions, masked_predict
from ._base import BaseExplainer
from ._effect_utils import BAND_CONSTRAINTS, make_effect, parse_features, percentile_band, resample_counts
from ._recursion import tree_partial_dependence, tree_traversal

if TYPE_CHECKING:
    from .._core._typing import EffectFeatures, OutputMethod, RandomStateLike
    from ..explanation import Effect

__all__ = ["PartialDependence"]


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
        **BAND_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator: Any,
        *,
        kind: Literal["average", "individual", "both"] = "average",
        method: Literal["auto", "brute", "recursion"] = "auto",
        grid_resolution: int = 100,
        percentiles: tuple[float, float] = (0.05, 0.95),
        band: Literal["ice", "bootstrap"] | None = None,
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

    def explain(self, X: ArrayLike, *, features: EffectFeatures | None = None) -> Effect | list[Effect]:
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
        specs, single = parse_features(self, features)
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
        counts = resample_counts(self._seed, self.n_bootstrap, len(X_encoded)) if self.band == "bootstrap" else None

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
                make_effect(
                    self, spec, grids[i], values, method="partial_dependence",
                    individual=individual, lower=lower, upper=upper,
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
        return percentile_band(samples, tail)


# -- grids -----------------------------------------------------------------------------


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
