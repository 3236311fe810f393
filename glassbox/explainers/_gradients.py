"""Gradient-based attributions: saliency and its successors, and finite differences.

The seed method attributes an output ``f`` to feature ``i`` by its sensitivity
``|df/dx_i|`` at the row (Simonyan, Vedaldi and Zisserman 2013). Its successors keep the
gradient and fix its blind spots: input x gradient, integrated gradients (Sundararajan,
Taly and Yan 2017), DeepLIFT's rescale rule (Shrikumar, Greenside and Kundaje 2017) and
SmoothGrad (Smilkov et al. 2017).

Gradients are computed analytically in numpy for the models whose function is known:
scikit-learn's linear models, glassbox's sparse linear models and scikit-learn's
multi-layer perceptrons, alone or after per-feature scalers in a Pipeline. Each is read
into one form, a :class:`_Network`: affine layers, each followed by an elementwise
activation, and a head (identity, softmax, or the log-odds of a softmax) giving the
explained output. A linear regressor is one affine layer; a binary logistic model is one
affine layer with logits ``[0, z]`` and a softmax head; a scaler in front is folded into
the first layer. The gradient is one reverse pass over a stack of rows; DeepLIFT is the
same pass with each activation's derivative replaced by its secant between the row and
the reference. Any other model gets central finite differences, evaluated in one stacked
batch through the core.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.linear_model import (
    GammaRegressor,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    SGDClassifier,
    TweedieRegressor,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core import (
    PROBA_CLIP,
    Interval,
    StrOptions,
    batch_units,
    chunk_bounds,
    gauss_legendre,
    predict_built,
    predict_rows,
    row_rngs,
    run_chunks,
)
from ..explanation import Explanation
from ._base import LocalExplainer

__all__ = ["GradientExplainer", "layer_activations"]

METHODS = (
    "saliency",
    "normalized_saliency",
    "gradient",
    "input_x_gradient",
    "integrated_gradients",
    "deeplift",
    "smoothgrad",
    "finite_difference",
)
_AUTO_STEP = float(np.cbrt(np.finfo(np.float64).eps))
"""Relative step of central differences: balances truncation (step**2) and rounding (eps / step)."""
_NETWORK_CELLS = 2**18
"""Floats in the widest array of a chunk's pass through a network with batch_size="auto":
the passes are memory-bound, and arrays of this size stay in cache (2 MiB)."""
_CHECK_ROWS = 32
"""Training rows on which the analytic function is checked against the model at ``fit``."""
_LOG_ODDS_RANGE = (
    float(np.log(PROBA_CLIP) - np.log1p(-PROBA_CLIP)),
    float(np.log(1 - PROBA_CLIP) - np.log1p(-(1 - PROBA_CLIP))),
)
"""ModelOutput clips probabilities to [PROBA_CLIP, 1 - PROBA_CLIP] before taking log-odds:
the explained log-odds are clipped to this range, where their gradient is zero."""
_SCALERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)


class GradientExplainer(LocalExplainer):
    """Attributions from the gradient of the model: saliency, integrated gradients, DeepLIFT.

    The explainer differentiates the explained output (a class probability, log-odds or
    decision function, or a regressor's prediction) with respect to the features, at
    each explained row, and turns the gradient into attributions by the chosen method.
    Gradients are exact and computed in numpy for scikit-learn's linear models, glassbox's
    :class:`~glassbox.models.SparseLinearClassifier` and
    :class:`~glassbox.models.SparseLinearRegressor`, and scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier` and
    :class:`~sklearn.neural_network.MLPRegressor` (by backpropagation through
    ``coefs_``), alone or after ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` or
    ``RobustScaler`` in a Pipeline. Any other model is explained by
    ``method="finite_difference"``.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    method : {"integrated_gradients", "deeplift", "saliency", "normalized_saliency", \
"gradient", "input_x_gradient", "smoothgrad", "finite_difference"}, \
default="integrated_gradients"
        What ``values[i, j, o]`` holds for row ``x = X[i]``, feature ``j`` and output
        ``f = f_o``, with ``g = df/dx`` at the row and ``b`` the baseline:

        - ``"saliency"``: ``|g_j|``, the seed method.
        - ``"normalized_saliency"``: ``|g_j| / sum_k |g_k|`` (0 where the gradient is 0).
        - ``"gradient"``: ``g_j``, signed.
        - ``"input_x_gradient"``: ``x_j g_j``.
        - ``"integrated_gradients"``: ``(x_j - b_j)`` times the average of ``g_j``
          along the straight path from ``b`` to ``x``; the values add up to
          ``f(x) - f(b)`` up to the quadrature error (completeness).
        - ``"deeplift"``: DeepLIFT's rescale rule against ``b``; the values add up to
          ``f(x) - f(b)`` exactly.
        - ``"smoothgrad"``: the mean of ``g_j`` over ``smoothgrad_samples`` copies of
          the row with Gaussian noise, with its standard error in ``std``.
        - ``"finite_difference"``: ``g_j`` by central differences, for any model.

        All but ``"finite_difference"`` need analytic gradients.
    baseline : {"mean", "zeros"} or array-like of shape (n_features,), default="mean"
        The reference ``b`` of ``"integrated_gradients"`` and ``"deeplift"``: the
        training mean of each feature, the origin, or a row given with the columns of
        ``X`` (a 1-D array in their order, or a one-row DataFrame).
    n_steps : int, default=50
        Points of the quadrature along the path of ``"integrated_gradients"``.
    integration : {"gauss_legendre", "riemann"}, default="gauss_legendre"
        Quadrature rule of ``"integrated_gradients"``: Gauss-Legendre nodes, or the
        midpoint Riemann sum of the original paper's straight-line path.
    smoothgrad_samples : int, default=50
        Noisy copies of each row averaged by ``"smoothgrad"``.
    noise : float, default=0.15
        Standard deviation of SmoothGrad's Gaussian noise, as a fraction of each
        feature's training standard deviation (``scale_``).
    step : float or "auto", default="auto"
        Step of ``"finite_difference"``, as a fraction of each feature's training
        standard deviation: feature ``j`` moves by ``step * scale_[j]`` either way.
        ``"auto"`` is ``eps ** (1/3)`` (about 6e-6), the step balancing truncation and
        rounding errors for smooth models computed in float64. Models that are not
        smooth at that scale (trees, float32 networks) want a larger step.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        What is explained: class probabilities for classifiers, ``predict`` for
        regressors, or the decision function or log-odds instead.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    batch_size : int or "auto", default="auto"
        Most rows (path points, noisy copies, perturbed rows) per chunk; bounds memory.
        ``"auto"`` keeps the largest array of an analytic pass near 2**18 floats (it
        stays in cache) and a chunk of perturbed rows near 2**21 floats.
    n_jobs : int or None, default=None
        Workers evaluating chunks (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds SmoothGrad's noise. A row's noise depends only on the row and this seed:
        the same row gets the same explanation alone, in a batch, in any order, with
        any ``batch_size`` and ``n_jobs``.
    verbose : bool, default=False
        Report progress on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    baseline_ : ndarray of shape (n_features_in_,)
        The reference ``b``.
    baseline_output_ : ndarray of shape (n_outputs,)
        The model's explained output at ``baseline_``: the ``base_values`` of
        ``"integrated_gradients"`` and ``"deeplift"``.
    scale_ : ndarray of shape (n_features_in_,)
        Training standard deviation of each feature (1 for a constant one): the unit of
        ``noise`` and ``step``.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    ShapleyExplainer : Attributions that add up to the output, for any model.
    LimeExplainer : A local linear surrogate, for any model.
    layer_activations : The hidden-layer activations of an MLP.

    Notes
    -----
    ``explain`` returns an :class:`~glassbox.Explanation` with ``values`` of shape
    ``(n_samples, n_features, n_outputs)``. For ``"integrated_gradients"`` and
    ``"deeplift"``, ``base_values`` is ``baseline_output_`` and ``fidelity`` is the
    completeness error of each row and output, ``|sum_j values - (f(x) - f(b))|``,
    with ``f`` evaluated by the model itself: near 0 for integrated gradients (exactly 0
    for a model linear in ``X``, shrinking as ``n_steps`` grows otherwise), at rounding
    level for DeepLIFT. The other methods do not add up to the output; their
    ``base_values`` and ``fidelity`` are None.

    DeepLIFT multiplies each feature's difference from the baseline by its multiplier,
    the product along the network of the weights and, for every activation, the secant
    ``(a(z) - a(z_b)) / (z - z_b)`` between the row's and the baseline's
    pre-activations (the derivative where they coincide). A softmax head is split into
    exponentials, a sum and a logarithm, each with its secant, so the values add up to
    the change of every class probability. For a model linear in ``X`` it gives
    ``coef * (x - b)``, as integrated gradients do.

    Gradients do not exist for categorical features, whose levels have neither order
    nor distance, nor at missing values: ``fit`` refuses categorical columns, and both
    ``fit`` and ``explain`` refuse missing values. Explain such data with
    :class:`ShapleyExplainer` or :class:`LimeExplainer`.

    References
    ----------
    .. [1] Simonyan, K., Vedaldi, A. and Zisserman, A. (2013). Deep inside convolutional
       networks: visualising image classification models and saliency maps. arXiv
       1312.6034.
    .. [2] Sundararajan, M., Taly, A. and Yan, Q. (2017). Axiomatic attribution for deep
       networks. ICML.
    .. [3] Shrikumar, A., Greenside, P. and Kundaje, A. (2017). Learning important
       features through propagating activation differences. ICML.
    .. [4] Smilkov, D., Thorat, N., Kim, B., Viegas, F. and Wattenberg, M. (2017).
       SmoothGrad: removing noise by adding noise. arXiv 1706.03825.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from glassbox.explainers import GradientExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = Ridge(alpha=0.1).fit(X, y)
    >>> explainer = GradientExplainer(model, method="integrated_gradients").fit(X)
    >>> exp = explainer.explain(X.iloc[:3])
    >>> exp.shape
    (3, 10, 1)
    >>> bool(np.allclose(exp.values[:, :, 0], model.coef_ * (X.iloc[:3] - X.mean()).to_numpy()))
    True
    >>> bool(exp.fidelity.max() < 1e-9)
    True
    >>> saliency = GradientExplainer(model, method="saliency").fit(X).explain(X.iloc[:1])
    >>> bool(np.allclose(saliency.values[0, :, 0], np.abs(model.coef_)))
    True
    """

    _parameter_constraints = {
        **LocalExplainer._parameter_constraints,
        "method": [StrOptions(set(METHODS))],
        "baseline": [StrOptions({"mean", "zeros"}), "array-like"],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "integration": [StrOptions({"gauss_legendre", "riemann"})],
        "smoothgrad_samples": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "step": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        estimator,
        *,
        method="integrated_gradients",
        baseline="mean",
        n_steps=50,
        integration="gauss_legendre",
        smoothgrad_samples=50,
        noise=0.15,
        step="auto",
        output="auto",
        prefit="auto",
        batch_size="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.method = method
        self.baseline = baseline
        self.n_steps = n_steps
        self.integration = integration
        self.smoothgrad_samples = smoothgrad_samples
        self.noise = noise
        self.step = step
        self.output = output

    _allow_nan = False  # a gradient is taken at values, never at missing ones

    def _fit(self, X_encoded):
        """Learn the baseline, the feature scales and the gradient of the model.

        ``X`` must be numeric and without missing values: the mean baseline and the
        feature scales come from it, and the analytic gradient is checked on some of
        its rows. Raises ``TypeError`` when ``X`` has categorical columns (checked once
        the model is fitted: a model that cannot take such ``X`` says so in its own
        words) and ``ValueError`` when the method needs analytic gradients and the
        model has none.
        """
        schema = self._feature_schema
        if schema.is_categorical.any():
            names = ", ".join(repr(str(n)) for n in schema.feature_names[schema.is_categorical])
            raise TypeError(
                f"GradientExplainer needs numeric features: a gradient does not exist for categorical columns, "
                f"whose levels have neither order nor distance (not even a finite difference); these columns "
                f"are categorical: {names}. Explain this model with ShapleyExplainer or LimeExplainer, which "
                "handle categorical features."
            )
        self.scale_ = _feature_scale(X_encoded)
        self.baseline_ = self._learn_baseline(X_encoded)
        self.baseline_output_ = self._model_output(self.baseline_[None, :])[0]
        self._network = None if self.method == "finite_difference" else self._differentiate(X_encoded)

    def _learn_baseline(self, X_encoded):
        n_features = X_encoded.shape[1]
        if isinstance(self.baseline, str):
            return np.zeros(n_features) if self.baseline == "zeros" else X_encoded.mean(axis=0)
        baseline = self.baseline
        if isinstance(baseline, pd.Series):
            baseline = baseline.to_frame().T
        if isinstance(baseline, pd.DataFrame) or np.ndim(baseline) == 2:
            rows = self._encode_rows(baseline, what="baseline")
            if len(rows) != 1:
                raise ValueError(f"baseline must be a single row; got {len(rows)} rows.")
            baseline = rows[0]
        else:
            try:
                baseline = np.asarray(baseline, dtype=np.float64).ravel()
            except (TypeError, ValueError) as exc:
                raise ValueError(f"baseline must be 'mean', 'zeros' or a numeric row; got {self.baseline!r}.") from exc
            if len(baseline) != n_features:
                raise ValueError(f"baseline must have one value per feature: {n_features} values; got {len(baseline)}.")
        if not np.isfinite(baseline).all():
            raise ValueError("baseline must hold finite values; got NaN or infinity.")
        return baseline

    def _differentiate(self, X_encoded):
        """The model as a :class:`_Network`, checked against the model on training rows."""
        name = type(self.estimator_).__name__
        output = self._model_output.method
        try:
            network = _network_of(self.estimator_, output)
        except _NotDifferentiable as exc:
            raise ValueError(
                f"method={self.method!r} needs the gradient of the model, which glassbox computes for "
                "scikit-learn's linear models, MLPClassifier and MLPRegressor and glassbox's sparse linear models "
                "(alone or after StandardScaler, MinMaxScaler, MaxAbsScaler or RobustScaler in a Pipeline). "
                f"{exc} Use method='finite_difference' for numerical gradients of any model; a model whose output "
                "is piecewise constant (trees, rules) has a zero gradient almost everywhere and is better "
                "explained by ShapleyExplainer."
            ) from None
        if network.n_inputs != X_encoded.shape[1]:
            raise ValueError(
                f"{name} takes {network.n_inputs} features but X has {X_encoded.shape[1]}; use data with the "
                "columns it was fitted on."
            )
        rows = np.vstack([X_encoded[:_CHECK_ROWS], self.baseline_])
        expected = self._model_output(rows)
        got = network.predict(rows)
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-6, atol=1e-8):
            gap = np.abs(got - expected).max() if got.shape == expected.shape else np.inf
            raise ValueError(
                f"method={self.method!r} needs the gradient of {name}.{output}, but the function glassbox reads "
                f"from its parameters differs from it on the training rows (by up to {gap:.3g}). "
                "Use method='finite_difference' for numerical gradients of any model."
            )
        return network

    def explain(self, X):
        """Gradient-based attributions of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``, without missing values.

        Returns
        -------
        explanation : Explanation
            ``values`` of shape (n_samples, n_features, n_outputs) (see ``method``).
            For ``"integrated_gradients"`` and ``"deeplift"``: ``base_values`` of shape
            (n_samples, n_outputs), the output at the baseline, and ``fidelity`` of the
            same shape, the completeness error ``|sum_j values - (f(x) - f(b))|``. For
            ``"smoothgrad"``: ``std``, the standard error of each value.
        """
        X_encoded, model_output = self._prepare(X)
        missing = np.isnan(X_encoded).any(axis=0)
        if missing.any():
            names = ", ".join(repr(str(n)) for n in self._feature_schema.feature_names[missing])
            raise ValueError(
                f"Input X contains NaN (missing values) in {names}; GradientExplainer differentiates the model at "
                "each row's values, which must all be present. Impute them first, or explain these rows with "
                "ShapleyExplainer or LimeExplainer."
            )
        method = self.method
        std = base_values = fidelity = None
        if method == "finite_difference":
            values = self._finite_differences(X_encoded, model_output)  # (n, o, p)
        elif method == "integrated_gradients":
            values = self._integrated_gradients(X_encoded)
        elif method == "deeplift":
            values = self._deeplift(X_encoded)
        elif method == "smoothgrad":
            values, std = self._smoothgrad(X_encoded)
        else:
            gradient = self._gradients(X_encoded)  # (n, o, p)
            if method == "saliency":
                values = np.abs(gradient)
            elif method == "normalized_saliency":
                magnitude = np.abs(gradient)
                total = magnitude.sum(axis=2, keepdims=True)
                values = np.divide(magnitude, total, out=np.zeros_like(magnitude), where=total > 0)
            elif method == "input_x_gradient":
                values = gradient * X_encoded[:, None, :]
            else:  # "gradient"
                values = gradient
        values = values.transpose(0, 2, 1)  # (n, o, p) -> (n, p, o)
        if std is not None:
            std = std.transpose(0, 2, 1)
        if method in ("integrated_gradients", "deeplift"):
            outputs = predict_rows(
                model_output, X_encoded, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose
            )
            base_values = np.broadcast_to(self.baseline_output_, outputs.shape)
            fidelity = np.abs(values.sum(axis=1) - (outputs - base_values))
        explanation = self._explanation(
            X_encoded, values, base_values, method=method, std=std, model_output=model_output
        )
        return replace(explanation, fidelity=fidelity) if fidelity is not None else explanation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # a gradient is taken at values, never at missing ones
        tags.input_tags.categorical = False
        return tags

    # -- the methods ------------------------------------------------------------------------
    def _points_per_chunk(self):
        """Rows of network input per chunk: ``batch_size``, or with "auto" about
        ``_NETWORK_CELLS`` cells in the widest array of a pass."""
        widest = self._network.n_outputs * self._network.width
        return batch_units(self.batch_size, row_cells=widest, unit_cells=widest, auto_cells=_NETWORK_CELLS)

    def _gradients(self, X):
        """Analytic gradients of shape (n, n_outputs, n_features)."""
        bounds = chunk_bounds(len(X), self._points_per_chunk())
        args = [(self._network, X[start:stop]) for start, stop in bounds]
        return np.concatenate(
            run_chunks(_gradient_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="gradients")
        )

    def _integrated_gradients(self, X):
        """(x - b) times the path average of the gradient, shape (n, n_outputs, n_features).

        All ``n_steps`` points of all rows form one stack of ``n * n_steps`` rows,
        evaluated in chunks of whole rows; each chunk returns its rows' weighted sums.
        """
        if self.integration == "gauss_legendre":
            alphas, weights = gauss_legendre(self.n_steps)
        else:
            alphas = (np.arange(self.n_steps) + 0.5) / self.n_steps
            weights = np.full(self.n_steps, 1.0 / self.n_steps)
        rows_per_chunk = max(1, self._points_per_chunk() // self.n_steps)
        args = [
            (self._network, X[start:stop], self.baseline_, alphas, weights)
            for start, stop in chunk_bounds(len(X), rows_per_chunk)
        ]
        chunks = run_chunks(
            _integrated_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="integrated gradients"
        )
        return np.concatenate(chunks) * (X - self.baseline_)[:, None, :]

    def _deeplift(self, X):
        """DeepLIFT rescale multipliers times (x - b), shape (n, n_outputs, n_features)."""
        bounds = chunk_bounds(len(X), self._points_per_chunk())
        args = [(self._network, X[start:stop], self.baseline_) for start, stop in bounds]
        multipliers = np.concatenate(
            run_chunks(_deeplift_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="DeepLIFT")
        )
        return multipliers * (X - self.baseline_)[:, None, :]

    def _smoothgrad(self, X):
        """Mean gradient over noisy copies of each row and its standard error, each (n, o, p)."""
        n_samples = self.smoothgrad_samples
        rows_per_chunk = max(1, self._points_per_chunk() // n_samples)
        rngs = row_rngs(self._seed, X)
        sigma = self.noise * self.scale_
        args = [
            (self._network, X[start:stop], rngs[start:stop], n_samples, sigma)
            for start, stop in chunk_bounds(len(X), rows_per_chunk)
        ]
        chunks = run_chunks(_smoothgrad_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="SmoothGrad")
        return tuple(np.concatenate(part) for part in zip(*chunks))  # mean, standard error

    def _finite_differences(self, X, model_output):
        """Central differences of the model, shape (n, n_outputs, n_features).

        Feature ``j`` of every row moves by ``h_j = step * scale_[j]`` up and down; the
        ``2 * n_features`` copies of every row are one stack evaluated in chunks. The
        differences are divided by the steps actually taken, ``(x + h) - (x - h)``.
        """
        step = _AUTO_STEP if self.step == "auto" else float(self.step)
        h = step * self.scale_
        upper, lower = X + h, X - h  # (n, p)
        n_rows, n_features = X.shape
        stack = _CentralDifferences(X, upper, lower)
        outputs = predict_built(
            model_output,
            stack,
            stack.n_rows,
            n_features=n_features,
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )  # (n * 2p, o)
        outputs = outputs.reshape(n_rows, 2, n_features, -1)  # (row, up/down, feature, output)
        difference = (outputs[:, 0] - outputs[:, 1]).transpose(0, 2, 1)  # (n, o, p)
        return difference / (upper - lower)[:, None, :]


# -- chunk tasks (module level, so that every joblib backend can pickle them) ---------------
def _gradient_chunk(network, X):
    return network.jacobian(X)


def _deeplift_chunk(network, X, baseline):
    return network.multipliers(X, baseline)


def _integrated_chunk(network, X, baseline, alphas, weights):
    """Quadrature of the gradient along the path from ``baseline`` to each row: (c, o, p)."""
    n_rows, n_features = X.shape
    n_steps = len(alphas)
    points = baseline + alphas[None, :, None] * (X - baseline)[:, None, :]  # (c, s, p)
    gradients = network.first_layer_gradient(points.reshape(-1, n_features), np.tile(weights, n_rows))
    # Summed over each row's points first, then mapped to the inputs once per row.
    sums = gradients.reshape(n_rows, n_steps, *gradients.shape[1:]).sum(axis=1)  # (c, o, units)
    return network.to_inputs(sums)


def _smoothgrad_chunk(network, X, rngs, n_samples, sigma):
    n_rows, n_features = X.shape
    noise = np.stack([rng.standard_normal((n_samples, n_features)) for rng in rngs])  # (c, s, p)
    points = (X[:, None, :] + noise * sigma).reshape(-1, n_features)  # (c * s, p)
    gradients = network.to_inputs(network.first_layer_gradient(points), expand=False)  # (c * s, kept, p)
    gradients = gradients.reshape(n_rows, n_samples, *gradients.shape[1:])
    mean = gradients.mean(axis=1)
    std = gradients.std(axis=1, ddof=1) / np.sqrt(n_samples) if n_samples > 1 else np.zeros_like(mean)
    return network.expand(mean), network.expand(std, sign=1.0)


class _CentralDifferences:
    """Rows ``start:stop`` of the stack of perturbed copies for central differences.

    The stack holds, for every row ``i``, ``n_features`` copies moved up (copy ``j``
    has feature ``j`` at ``upper[i, j]``), then ``n_features`` moved down.
    """

    def __init__(self, X, upper, lower):
        self.X, self.upper, self.lower = X, upper, lower

    @property
    def n_rows(self):
        return self.X.shape[0] * 2 * self.X.shape[1]

    def __call__(self, start, stop):
        n_features = self.X.shape[1]
        per_row = 2 * n_features
        first, last = start // per_row, (stop - 1) // per_row
        offset = first * per_row
        # Copies of the rows the chunk covers (a block copy), then one value moved in each.
        rows = np.repeat(self.X[first : last + 1], per_row, axis=0)[start - offset : stop - offset]  # (c, p)
        flat = np.arange(start, stop)
        row, rest = flat // per_row, flat % per_row
        feature = rest % n_features
        rows[np.arange(len(flat)), feature] = np.where(
            rest >= n_features, self.lower[row, feature], self.upper[row, feature]
        )
        return rows


def _feature_scale(X_encoded):
    """Standard deviation of each column, 1 for a constant one."""
    scale = X_encoded.std(axis=0)
    return np.where(scale > 0, scale, 1.0)


# -- the differentiable form of a model ------------------------------------------------------
class _NotDifferentiable(ValueError):
    """The model is not one whose function glassbox can differentiate; the message says why."""


@dataclass(frozen=True, eq=False)
class _Layer:
    """``activation(inputs @ weights + bias)``."""

    weights: np.ndarray  # (n_in, n_out)
    bias: np.ndarray  # (n_out,)
    activation: str  # "identity", "relu", "tanh", "logistic", "log_logistic" or "exp"


@dataclass(frozen=True, eq=False)
class _Network:
    """Affine layers with elementwise activations, then a head giving the explained output.

    The head maps the last layer's values ``h`` of shape (n, K) to K outputs:
    ``"identity"``, ``"softmax"``, ``"log_odds"`` (``log p_k - log(1 - p_k)`` of the
    softmax, which is ``h_k - logsumexp_{j != k} h_j``) or ``"sigmoid_log_odds"`` (the
    log-odds of independent sigmoids, ``h`` itself); log-odds are clipped as
    ModelOutput clips them.
    """

    layers: tuple
    head: str

    @property
    def n_inputs(self):
        return self.layers[0].weights.shape[0]

    @property
    def n_outputs(self):
        return self.layers[-1].weights.shape[1]

    @property
    def width(self):
        """The widest row of any array of a pass (inputs, units, outputs)."""
        return max(self.n_inputs, *(layer.weights.shape[1] for layer in self.layers))

    def _forward(self, Z):
        """Pre-activations and activations of every layer for rows ``Z`` of shape (n, p)."""
        pre, post = [], []
        values = Z
        for layer in self.layers:
            z = values @ layer.weights + layer.bias  # (n, n_out)
            values = _activate(layer.activation, z)
            pre.append(z)
            post.append(values)
        return pre, post

    def predict(self, Z):
        """The explained output, shape (n, n_outputs)."""
        _, post = self._forward(Z)
        return _head(self.head, post[-1])

    def jacobian(self, Z):
        """d output / d input at rows ``Z``: shape (n, n_outputs, n_features)."""
        return self.to_inputs(self.first_layer_gradient(Z))

    def first_layer_gradient(self, Z, weights=None):
        """d output / d (pre-activation of the first layer), shape (n, n_kept, n_units).

        The last step of the chain rule, :meth:`to_inputs`, is linear: sums of gradients
        (along a path) are taken here, on fewer columns, and mapped to the inputs once.
        ``weights`` of shape (n,) scale each row's gradient. Two class probabilities keep
        only the second (``n_kept = 1``); :meth:`to_inputs` restores the first.
        """
        pre, post = self._forward(Z)
        factors = [_derivative(layer.activation, z, a) for layer, z, a in zip(self.layers, pre, post)]
        head = self._kept(_head_jacobian(self.head, post[-1]))  # (n, n_kept, K)
        if weights is not None:
            head = head * weights[:, None, None]  # the chain rule is linear in it
        return self._backward(head, factors)

    def to_inputs(self, G, *, expand=True):
        """Gradients with respect to the first pre-activation, mapped to the inputs: (n, o, p).

        ``expand=False`` leaves out the output that :meth:`expand` restores.
        """
        G = _through(G, self.layers[0].weights)
        return self.expand(G) if expand else G

    def expand(self, G, *, sign=-1.0):
        """Restore the first of two class probabilities, ``sign`` times the second: (n, o, p)."""
        if not self._is_binary:
            return G
        out = np.empty((G.shape[0], 2, *G.shape[2:]))
        out[:, 1:] = G
        np.multiply(G, sign, out=out[:, :1])  # p_0 = 1 - p_1
        return out

    @property
    def _is_binary(self):
        # Not for log-odds: their clipping range is not exactly symmetric in float64.
        return self.head == "softmax" and self.n_outputs == 2

    def _kept(self, head):
        """The rows of a head's Jacobian or multipliers that are propagated: (n, n_kept, K)."""
        return head[:, 1:] if self._is_binary else head

    def multipliers(self, Z, reference):
        """DeepLIFT rescale multipliers of rows ``Z`` against one reference row.

        ``(multipliers * (Z - reference)[:, None, :]).sum(axis=2)`` is the change of
        every output from the reference to the row. Shape (n, n_outputs, n_features).
        """
        pre, post = self._forward(Z)
        pre0, post0 = self._forward(reference[None, :])
        factors = [
            _secant(layer.activation, z, z0, a, a0) for layer, z, z0, a, a0 in zip(self.layers, pre, pre0, post, post0)
        ]
        h0 = np.broadcast_to(post0[-1], post[-1].shape)
        head = self._kept(_head_multipliers(self.head, post[-1], h0))
        return self.to_inputs(self._backward(head, factors))

    def _backward(self, G, factors):
        """Chain rule from the head back to the first pre-activation: (n, o, K) -> (n, o, n_units)."""
        for k in range(len(self.layers) - 1, -1, -1):
            if factors[k] is not None:
                G = G * factors[k][:, None, :]  # through the activation of layer k
            if k > 0:
                G = _through(G, self.layers[k].weights)  # through the weights of layer k
        return G


def _through(G, weights):
    """``G @ weights.T`` over the last axis of G (n, o, n_out) -> (n, o, n_in), as one matmul."""
    n_rows, n_outputs, n_out = G.shape
    return (G.reshape(-1, n_out) @ weights.T).reshape(n_rows, n_outputs, -1)


def _activate(name, z):
    if name == "identity":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "logistic":
        return expit(z)
    if name == "log_logistic":
        return log_expit(z)
    return np.exp(z)  # "exp"


def _derivative(name, z, a):
    """d activation / d z, given the pre-activation ``z`` and the activation ``a``; None for identity."""
    if name == "identity":
        return None
    if name == "relu":
        return z > 0  # boolean: multiplied without a float copy
    if name == "tanh":
        return 1.0 - a * a
    if name == "logistic":
        return a * (1.0 - a)
    if name == "log_logistic":
        return expit(-z)
    return a  # "exp"


def _sinc(function, d):
    """``function(d) / d``, continued by 1 at ``d = 0`` (for tanh and expm1)."""
    safe = np.where(d == 0, 1.0, d)
    return np.where(d == 0, 1.0, function(safe) / safe)


def _secant(name, z, z0, a, a0):
    """DeepLIFT's rescale multiplier ``(a - a0) / (z - z0)``, the derivative where ``z = z0``.

    Written without cancellation for close ``z`` and ``z0``, so that the multiplier is
    accurate at any distance: ``tanh(z) - tanh(z0) = tanh(d) (1 - tanh(z) tanh(z0))``,
    the logistic function is ``(1 + tanh(z / 2)) / 2``, and ``exp(z) - exp(z0) =
    exp(z0) expm1(d)``. ``None`` for identity.
    """
    if name == "identity":
        return None
    d = z - z0
    safe = np.where(d == 0, 1.0, d)
    if name == "relu":
        return np.where(d == 0, (z > 0).astype(np.float64), (a - a0) / safe)
    if name == "tanh":
        return _sinc(np.tanh, d) * (1.0 - a * a0)
    if name == "logistic":
        t, t0 = np.tanh(z / 2.0), np.tanh(z0 / 2.0)
        return 0.25 * _sinc(np.tanh, d / 2.0) * (1.0 - t * t0)
    far = np.abs(d) > 0.5
    near = np.where(far, 0.0, d)
    if name == "log_logistic":
        # sigma(z) / sigma(z0) = 1 + sigma(-z) expm1(d): the log of it over d tends to sigma(-z).
        ratio = np.log1p(expit(-z) * np.expm1(near)) / np.where(near == 0, 1.0, near)
        return np.where(far, (a - a0) / safe, np.where(near == 0, expit(-z), ratio))
    return np.where(far, (a - a0) / safe, a0 * _sinc(np.expm1, near))  # "exp"


def _exp_secant(u, u0):
    """``(exp(u) - exp(u0)) / (u - u0)``, exp(u) where they coincide."""
    d = u - u0
    far = np.abs(d) > 0.5
    near = np.where(far, 0.0, d)
    return np.where(far, (np.exp(u) - np.exp(u0)) / np.where(far, d, 1.0), np.exp(u0) * _sinc(np.expm1, near))


def _log_secant(log_s, log_s0):
    """``(log s - log s0) / (s - s0)`` from the logarithms of positive ``s, s0``; 1 / s where they coincide.

    The logarithms come from ``logsumexp``, so they stay finite where ``s`` underflows.
    """
    s, s0 = np.exp(log_s), np.exp(log_s0)
    d = log_s - log_s0
    far = ~(np.abs(d) <= 0.5)
    near = np.where(far, 0.0, d)
    with np.errstate(divide="ignore", invalid="ignore"):  # in the branch np.where discards
        # Close together: (log s - log s0) / (s - s0) = d / (s0 expm1(d)).
        close = 1.0 / (s0 * _sinc(np.expm1, near))
        return np.where(far, d / np.where(far, s - s0, 1.0), close)


def _without_self(h):
    """``logsumexp`` over ``j != k`` of ``h``: shape (n, K) from (n, K)."""
    K = h.shape[1]
    mask = np.where(np.eye(K, dtype=bool), -np.inf, 0.0)  # (K, K), -inf on the diagonal
    return logsumexp(h[:, None, :] + mask[None], axis=2)


def _raw_log_odds(head, h):
    """Log-odds before ModelOutput's clipping: of a softmax, or of independent sigmoids."""
    return h - _without_self(h) if head == "log_odds" else h


def _is_unclipped(log_odds):
    return (log_odds > _LOG_ODDS_RANGE[0]) & (log_odds < _LOG_ODDS_RANGE[1])


def _head(head, h):
    if head == "identity":
        return h
    if head == "softmax":
        return softmax(h, axis=1)
    return np.clip(_raw_log_odds(head, h), *_LOG_ODDS_RANGE)


def _head_jacobian(head, h):
    """d output / d h, shape (n, K, K)."""
    n_rows, K = h.shape
    eye = np.eye(K)
    if head == "identity":
        return np.broadcast_to(eye, (n_rows, K, K))
    if head == "softmax":
        p = _head("softmax", h)
        return p[:, :, None] * (eye - p[:, None, :])
    jacobian = np.broadcast_to(eye, (n_rows, K, K))
    if head == "log_odds":
        exponent = h[:, None, :] - _without_self(h)[:, :, None]  # (n, K, K)
        others = np.exp(np.where(eye.astype(bool), -np.inf, exponent))  # softmax over j != k, 0 at j = k
        jacobian = eye - others
    return jacobian * _is_unclipped(_raw_log_odds(head, h))[:, :, None]


def _head_multipliers(head, h, h0):
    """DeepLIFT multipliers of the head, shape (n, K, K): ``M @ (h - h0) = head(h) - head(h0)``.

    The softmax ``p_k = exp(h_k - log S)``, ``S = sum_j exp(h_j)``, is split into the
    exponentials (secants ``s_j``), the sum, the logarithm (secant ``q``) and the final
    exponential (secant ``r_k``): ``M_kj = r_k (delta_kj - q s_j)``. The log-odds
    ``h_k - log S_k`` with ``S_k = sum_{j != k} exp(h_j)`` give ``M_kj = delta_kj - q_k
    s_j`` for ``j != k``, then the secant of the clipping of log-odds. Logits are
    shifted by a common constant first, which changes no output.
    """
    n_rows, K = h.shape
    eye = np.eye(K)
    if head == "identity":
        return np.broadcast_to(eye, (n_rows, K, K))
    multipliers = np.broadcast_to(eye, (n_rows, K, K))
    if head == "softmax":
        shift = np.maximum(h.max(axis=1), h0.max(axis=1))[:, None]  # one of S, S0 is at least 1
        u, u0 = h - shift, h0 - shift
        s = _exp_secant(u, u0)  # (n, K)
        log_total, log_total0 = logsumexp(u, axis=1), logsumexp(u0, axis=1)
        q = _log_secant(log_total, log_total0)  # (n,)
        r = _exp_secant(u - log_total[:, None], u0 - log_total0[:, None])  # (n, K): secant of p = exp(log p)
        return r[:, :, None] * (eye - q[:, None, None] * s[:, None, :])
    if head == "log_odds":
        off = eye == 0
        # One shift per output k, over the logits j != k of the row and the reference.
        shift = np.where(off, np.maximum(h, h0)[:, None, :], -np.inf).max(axis=2)  # (n, K)
        # (n, K, K): logit j for output k, 0 at j = k where it is left out.
        u = np.where(off, h[:, None, :] - shift[:, :, None], 0.0)
        u0 = np.where(off, h0[:, None, :] - shift[:, :, None], 0.0)
        s = np.where(off, _exp_secant(u, u0), 0.0)
        mask = np.where(off, 0.0, -np.inf)
        q = _log_secant(logsumexp(u + mask, axis=2), logsumexp(u0 + mask, axis=2))  # (n, K): secant of log S_k
        multipliers = eye - q[:, :, None] * s
    raw, raw0 = _raw_log_odds(head, h), _raw_log_odds(head, h0)
    d = raw - raw0
    clipped = np.clip(raw, *_LOG_ODDS_RANGE) - np.clip(raw0, *_LOG_ODDS_RANGE)
    clip_secant = np.where(d == 0, _is_unclipped(raw), clipped / np.where(d == 0, 1.0, d))
    return multipliers * clip_secant[:, :, None]


# -- reading models ---------------------------------------------------------------------------
def _network_of(estimator, output):
    """The :class:`_Network` computing ``output`` of a fitted model, or :class:`_NotDifferentiable`."""
    steps = _flatten(estimator)
    final, front = steps[-1], steps[:-1]
    scale, shift = _front_affine(front)
    layers, head = _final_layers(final, output)
    if scale is not None:  # fold x' = scale * x + shift into the first layer
        first = layers[0]
        layers[0] = _Layer(scale[:, None] * first.weights, shift @ first.weights + first.bias, first.activation)
    return _Network(tuple(layers), head)


def _flatten(estimator):
    if isinstance(estimator, Pipeline):
        return [step for _, sub in estimator.steps for step in _flatten(sub)]
    return [estimator]


def _front_affine(steps):
    """``(scale, shift)`` of the per-feature affine map of the steps before the model, or (None, None)."""
    scale = shift = None
    for step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        name = type(step).__name__
        if not isinstance(step, _SCALERS) or (isinstance(step, MinMaxScaler) and step.clip):
            raise _NotDifferentiable(
                f"The Pipeline step {name} is not a per-feature scaler glassbox differentiates through"
                f"{' (clip=True is not affine)' if isinstance(step, MinMaxScaler) else ''}."
            )
        a, c = _scaler_affine(step)
        scale, shift = (a, c) if scale is None else (a * scale, a * shift + c)
    return scale, shift


def _scaler_affine(step):
    """``(a, c)`` with ``step.transform(x) = a * x + c``, from the scaler's fitted attributes."""
    n = step.n_features_in_
    if isinstance(step, MinMaxScaler):
        return np.asarray(step.scale_, dtype=np.float64), np.asarray(step.min_, dtype=np.float64)
    a = np.ones(n) if getattr(step, "scale_", None) is None else 1.0 / np.asarray(step.scale_, dtype=np.float64)
    centre = step.center_ if isinstance(step, RobustScaler) else getattr(step, "mean_", None)
    if isinstance(step, MaxAbsScaler) or centre is None or (isinstance(step, StandardScaler) and not step.with_mean):
        return a, np.zeros(n)
    return a, -np.asarray(centre, dtype=np.float64) * a


def _final_layers(model, output):
    """The layers and head of the model at the end of a Pipeline (mutable list of layers)."""
    name = type(model).__name__
    if isinstance(model, (MLPClassifier, MLPRegressor)):
        return _mlp_layers(model, output)
    from ..models import SparseLinearClassifier, SparseLinearRegressor

    if isinstance(model, (SparseLinearClassifier, SparseLinearRegressor)):
        weights = _sparse_linear_weights(model)
        intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
        return _linear_layers(model, weights, intercept, output, link="softmax")
    module = type(model).__module__
    if (module.startswith("sklearn.linear_model") or isinstance(model, (LinearSVC, LinearSVR))) and hasattr(
        model, "coef_"
    ):
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # (K, p)
        intercept = np.broadcast_to(np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64), len(coef))
        return _linear_layers(model, coef.T, intercept, output, link=_probability_link(model))
    raise _NotDifferentiable(f"{name} is not one of them.")


def _probability_link(model):
    """How a scikit-learn linear classifier turns its decision function into probabilities."""
    if isinstance(model, (LogisticRegression, LogisticRegressionCV)):
        return "ovr" if getattr(model, "multi_class", "auto") == "ovr" else "softmax"
    if isinstance(model, SGDClassifier) and model.loss == "log_loss":
        return "ovr"
    return None


def _linear_layers(model, weights, intercept, output, *, link):
    """One affine layer of ``weights`` (p, K) and the head for ``output``."""
    name = type(model).__name__
    if output in ("predict", "decision_function"):
        activation = "identity"
        if output == "predict" and isinstance(model, (PoissonRegressor, GammaRegressor)):
            activation = "exp"
        elif output == "predict" and isinstance(model, TweedieRegressor):
            activation = "exp" if model.link == "log" or (model.link == "auto" and model.power > 0) else "identity"
        return [_Layer(weights, intercept, activation)], "identity"
    if link is None:
        raise _NotDifferentiable(
            f"The probabilities of {name} are not a smooth function of its decision function that glassbox "
            "knows; explain output='decision_function' instead."
        )
    head = "softmax" if output == "predict_proba" else "log_odds"
    if weights.shape[1] == 1:  # binary: logits [0, z]
        weights = np.hstack([np.zeros_like(weights), weights])
        intercept = np.r_[0.0, intercept]
        return [_Layer(weights, intercept, "identity")], head
    # One-vs-rest probabilities sigma(z_k) / sum_j sigma(z_j) are the softmax of log sigma(z).
    return [_Layer(weights, intercept, "log_logistic" if link == "ovr" else "identity")], head


def _sparse_linear_weights(model):
    """Weights (p, K) of a glassbox sparse linear model on the values of its numeric columns.

    Its coefficients are over terms; on rows without missing values only the value
    terms vary (missing indicators are 0), each the value of one column.
    """
    from ..models._linear_terms import _VALUE

    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # (K, n_terms)
    is_value = model._terms.kind == _VALUE
    weights = np.zeros((model.n_features_in_, coef.shape[0]))
    np.add.at(weights, model.term_feature_idx_[is_value], coef[:, is_value].T)
    return weights


def _mlp_layers(model, output):
    """Backpropagation form of a scikit-learn MLP: hidden layers, output layer, head."""
    layers = [
        _Layer(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64), model.activation)
        for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1])
    ]
    W, b = np.asarray(model.coefs_[-1], dtype=np.float64), np.asarray(model.intercepts_[-1], dtype=np.float64)
    out = model.out_activation_
    if out in ("identity", "exp"):  # regressors; "exp" with loss="poisson"
        return [*layers, _Layer(W, b, out)], "identity"
    head = "softmax" if output == "predict_proba" else "log_odds"
    if out == "softmax":
        return [*layers, _Layer(W, b, "identity")], head
    if W.shape[1] == 1:  # binary logistic output: logits [0, z]
        return [*layers, _Layer(np.hstack([np.zeros_like(W), W]), np.r_[0.0, b], "identity")], head
    # Multilabel: one independent sigmoid per label; its log-odds are the logits themselves.
    if output == "predict_proba":
        return [*layers, _Layer(W, b, "logistic")], "identity"
    return [*layers, _Layer(W, b, "identity")], "sigmoid_log_odds"


# -- activation maps ---------------------------------------------------------------------------
def layer_activations(estimator, X):
    """Hidden-layer activations of a fitted multi-layer perceptron: its activation maps.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A fitted scikit-learn MLP, alone or at the end of a Pipeline (whose other steps
        transform ``X`` first).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows to pass through the network.

    Returns
    -------
    activations : list of Explanation
        One per hidden layer, in order. Layer ``l`` has ``values`` of shape
        (n_samples, n_units, 1): the activation of every unit for every row, with unit
        names ``f"layer{l}_unit{u}"`` as feature names, the output name
        ``"activation"`` and ``method`` naming the layer and its activation function.
        Each is a local Explanation: slice it by row and unit name, ``to_frame()`` it,
        ``plot()`` the mean activation of its units, or draw all layers as heatmaps with
        :class:`~glassbox.plot.ActivationDisplay`.

    See Also
    --------
    GradientExplainer : Attributions from the gradient of the network.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neural_network import MLPClassifier
    >>> from glassbox.explainers import layer_activations
    >>> X, y = load_iris(return_X_y=True)
    >>> mlp = MLPClassifier(hidden_layer_sizes=(8, 4), solver="lbfgs", max_iter=2000, random_state=0).fit(X, y)
    >>> layers = layer_activations(mlp, X[:5])
    >>> [layer.shape for layer in layers]
    [(5, 8, 1), (5, 4, 1)]
    >>> layers[1].feature_names[:2].tolist()
    ['layer2_unit0', 'layer2_unit1']
    >>> bool((layers[0].values >= 0).all())  # ReLU units
    True
    """
    steps = _flatten(estimator)
    mlp = steps[-1]
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise TypeError(
            "layer_activations needs a fitted MLPClassifier or MLPRegressor, alone or at the end of a Pipeline; "
            f"got {type(mlp).__name__}."
        )
    check_is_fitted(mlp)
    if isinstance(estimator, Pipeline) and len(steps) > 1:
        X = estimator[:-1].transform(X)
    values = validate_data(mlp, X, reset=False, dtype=np.float64)
    layers = []
    for number, (W, b) in enumerate(zip(mlp.coefs_[:-1], mlp.intercepts_[:-1]), start=1):
        values = _activate(mlp.activation, values @ W + b)  # (n, units)
        layers.append(
            Explanation(
                values[:, :, None],
                feature_names=[f"layer{number}_unit{u}" for u in range(values.shape[1])],
                output_names=["activation"],
                method=f"layer {number} activation ({mlp.activation})",
            )
        )
    return layers
