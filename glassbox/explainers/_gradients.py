"""Gradient-based attributions: saliency and its successors, and finite differences.

The seed method attributes an output ``f`` to feature ``i`` by its sensitivity
``|df/dx_i|`` at the row (Simonyan, Vedaldi and Zisserman 2013). Its successors keep the
gradient and fix its blind spots: input x gradient, integrated gradients (Sundararajan,
Taly and Yan 2017), DeepLIFT's rescale rule (Shrikumar, Greenside and Kundaje 2017) and
SmoothGrad (Smilkov et al. 2017).

Gradients are computed analytically in numpy for the models whose function is known:
scikit-learn's linear models, glassbox's sparse linear models and scikit-learn's
multi-layer perceptrons, alone or after per-feature scalers in a Pipeline. Each is read
(:mod:`._network_readers`) into one differentiable form, a :class:`~._network.Network`,
whose reverse pass gives the gradient and, with secants for derivatives, DeepLIFT. Any
other model gets central finite differences, evaluated in one stacked batch through the
core. This module holds the explainer and the chunks its methods run.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._core import Interval, StrOptions, predict_built, predict_rows, row_rngs, safe_mean_std
from ._base import LocalExplainer
from ._gradient_front import derived_inputs
from ._gradient_methods import CentralDifferences, GradientWork, feature_scale, warn_unmet
from ._network_readers import NotDifferentiable, network_of

if TYPE_CHECKING:
    from .._core._typing import OutputMethod, RandomStateLike
    from ..explanation import Explanation

__all__ = ["GradientExplainer"]

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
_CHECK_ROWS = 32
"""Training rows on which the analytic function is checked against the model at ``fit``."""


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
    n_steps : int or "auto", default="auto"
        Points of the quadrature along the path of ``"integrated_gradients"``.
        ``"auto"`` starts from 16 points and doubles them, row by row, until the
        completeness gap ``|sum_j values - (f(x) - f(b))|`` is within ``tol`` of the
        range of the output over the training rows (up to 4096 points; rows that do not
        get there are counted in a warning and keep their gap in ``fidelity``).
    tol : float, default=1e-3
        The completeness ``n_steps="auto"`` reaches, as a fraction of the output's range
        over the training rows (``output_range_``).
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
    output_range_ : ndarray of shape (n_outputs,)
        Range of the explained output over the training rows: the unit of ``tol``
        (methods with analytic gradients only).
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
        "n_steps": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "integration": [StrOptions({"gauss_legendre", "riemann"})],
        "smoothgrad_samples": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "step": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        method: Literal[
            "saliency",
            "normalized_saliency",
            "gradient",
            "input_x_gradient",
            "integrated_gradients",
            "deeplift",
            "smoothgrad",
            "finite_difference",
        ] = "integrated_gradients",
        baseline: Literal["mean", "zeros"] | ArrayLike = "mean",
        n_steps: int | Literal["auto"] = "auto",
        tol: float = 1e-3,
        integration: Literal["gauss_legendre", "riemann"] = "gauss_legendre",
        smoothgrad_samples: int = 50,
        noise: float = 0.15,
        step: float | Literal["auto"] = "auto",
        output: OutputMethod = "auto",
        prefit: bool | Literal["auto"] = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.method = method
        self.baseline = baseline
        self.n_steps = n_steps
        self.tol = tol
        self.integration = integration
        self.smoothgrad_samples = smoothgrad_samples
        self.noise = noise
        self.step = step
        self.output = output

    def _fit(self, X_encoded):
        """Learn the baseline, the feature scales and the gradient of the model.

        Raises ``TypeError`` when ``X`` has categorical columns and ``ValueError`` when it
        has missing values that the model cannot be differentiated through (they need a
        Pipeline front that encodes them, see Notes), and ``ValueError`` when the method
        needs analytic gradients and the model has none.
        """
        schema = self._feature_schema
        self.scale_ = feature_scale(np.where(schema.is_categorical, np.nan, X_encoded))
        self.baseline_ = self._learn_baseline(X_encoded)
        self._network = self._derived = None
        if self.method != "finite_difference":
            self._network, self._derived = self._differentiate(X_encoded)
            outputs = self._network.predict(self._inputs(X_encoded))  # (n, o): the model's, checked
            self.output_range_ = outputs.max(axis=0) - outputs.min(axis=0)
        if np.isfinite(self.baseline_).all() and self._derived is None:
            self.baseline_output_ = self._model_output(self.baseline_[None, :])[0]
        elif hasattr(self, "baseline_output_"):
            del self.baseline_output_  # each row has its own baseline output

    def _learn_baseline(self, X_encoded):
        n_features = X_encoded.shape[1]
        categorical = self._feature_schema.is_categorical
        if isinstance(self.baseline, str):
            if self.baseline == "zeros":
                baseline = np.zeros(n_features)
            else:  # the mean (of each column's present values), without overflow where a sum would
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # a column with no value: NaN
                    baseline = np.nanmean(X_encoded, axis=0)
                baseline = np.where(np.isinf(baseline), safe_mean_std(X_encoded)[0], baseline)
            return np.where(categorical, np.nan, baseline)
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
        if not np.isfinite(baseline[~categorical]).all():
            raise ValueError("baseline must hold finite values; got NaN or infinity.")
        return np.where(categorical, np.nan, baseline)

    def _differentiate(self, X_encoded):
        """The model as a :class:`Network` (on the columns of ``X``, or on those a Pipeline
        front derives from them) checked against the model on training rows."""
        schema, name, output = self._feature_schema, type(self.estimator_).__name__, self._model_output.method
        needs_front = schema.is_categorical.any() or np.isnan(X_encoded).any()
        derived = None
        try:
            if needs_front:
                raise NotDifferentiable("the columns of X need the model's Pipeline front.")
            network = network_of(self.estimator_, output)
        except NotDifferentiable as direct:
            try:
                derived, final = derived_inputs(self.estimator_, schema, X_encoded)
                network = network_of(final, output)
            except (ValueError, NotDifferentiable) as through_front:
                self._refuse(X_encoded, str(through_front if needs_front else direct))
        width = X_encoded.shape[1] if derived is None else derived.n_derived
        if network.n_inputs != width:
            raise ValueError(
                f"{name} takes {network.n_inputs} features but X has {width}; use data with the columns it was "
                "fitted on."
            )
        rows = X_encoded[:_CHECK_ROWS]
        if derived is None:
            rows = np.vstack([rows, self.baseline_])
        expected = self._model_output(rows)
        got = network.predict(rows if derived is None else derived.transform(rows))
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-6, atol=1e-8):
            gap = np.abs(got - expected).max() if got.shape == expected.shape else np.inf
            raise ValueError(
                f"method={self.method!r} needs the gradient of {name}.{output}, but the function glassbox reads "
                f"from its parameters differs from it on the training rows (by up to {gap:.3g}). "
                "Use method='finite_difference' for numerical gradients of any model."
            )
        return network, derived

    def _refuse(self, X_encoded, reason):
        """Say why the model cannot be differentiated on these columns."""
        schema = self._feature_schema
        if schema.is_categorical.any():
            names = ", ".join(repr(str(n)) for n in schema.feature_names[schema.is_categorical])
            raise TypeError(
                "GradientExplainer differentiates numeric features; categorical columns have neither order nor "
                f"distance, so they need a Pipeline front that encodes them (for example a ColumnTransformer with "
                f"OneHotEncoder) before a differentiable model. These columns are categorical: {names}; {reason} "
                "Use method='finite_difference', or explain this model with ShapleyExplainer or LimeExplainer, "
                "which handle categorical features."
            )
        missing = np.isnan(X_encoded).any(axis=0)
        if missing.any():
            names = ", ".join(repr(str(n)) for n in schema.feature_names[missing])
            raise ValueError(
                f"Input X contains NaN (missing values) in {names}; GradientExplainer does not accept missing values "
                f"unless the model's Pipeline fills them in ({reason}). Impute them first, for example with "
                "sklearn.impute.SimpleImputer."
            )
        raise ValueError(
            f"method={self.method!r} needs the gradient of the model, which glassbox computes for scikit-learn's "
            "linear models, MLPClassifier and MLPRegressor and glassbox's sparse linear models (alone, after "
            "StandardScaler, MinMaxScaler, MaxAbsScaler or RobustScaler, or after a ColumnTransformer of such "
            f"scalers, imputers and OneHotEncoder in a Pipeline). {reason} Use method='finite_difference' for "
            "numerical gradients of any model; a model whose output is piecewise constant (trees, rules) has a "
            "zero gradient almost everywhere and is better explained by ShapleyExplainer."
        )

    def _inputs(self, X_encoded, schema=None):
        """What the network is fed: the rows, or the columns the Pipeline front derives."""
        return X_encoded if self._derived is None else self._derived.transform(X_encoded, schema)

    def explain(self, X: ArrayLike) -> Explanation:
        """Gradient-based attributions of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``. Missing values only where
            the model's Pipeline fills them in (their cells receive no attribution).

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
        derived, schema = self._derived, model_output.schema
        missing = np.isnan(X_encoded).any(axis=0)
        if derived is None and self.method != "finite_difference" and missing.any():
            names = ", ".join(repr(str(n)) for n in self._feature_schema.feature_names[missing])
            raise ValueError(
                f"Input X contains NaN (missing values) in {names}; GradientExplainer differentiates the model at "
                "each row's values, which must all be present. Impute them first, or explain these rows with "
                "ShapleyExplainer or LimeExplainer."
            )
        method = self.method
        movable = ~self._feature_schema.is_categorical[None, :] & ~np.isnan(X_encoded)  # cells a path moves
        std = base_values = fidelity = None
        if method == "finite_difference":
            values = self._finite_differences(X_encoded, model_output, movable)  # (n, o, p)
        else:
            work = GradientWork(self._network, self.batch_size, self.n_jobs, self.verbose)
            Z = self._inputs(X_encoded, schema)
            if method in ("integrated_gradients", "deeplift"):
                B = np.where(movable, self.baseline_[None, :], X_encoded)  # each row's baseline
                ZB = np.broadcast_to(self.baseline_, Z.shape) if derived is None else self._inputs(B, schema)
                if method == "deeplift":
                    values = work.deeplift(Z, ZB)
                else:
                    allowed = self.tol * np.where(self.output_range_ > 0, self.output_range_, 1.0)
                    values, unmet = work.integrated(Z, ZB, self.n_steps, self.integration, allowed)
                    warn_unmet(unmet, len(Z), self.tol)
                values = values if derived is None else derived.fold(values)
                base_values = (
                    np.broadcast_to(self.baseline_output_, (len(X_encoded), model_output.n_outputs))
                    if derived is None
                    else predict_rows(model_output, B, batch_size=self.batch_size, n_jobs=self.n_jobs)
                )
            elif method == "smoothgrad":
                sigma = self.noise * self.scale_ * ~self._feature_schema.is_categorical
                if derived is not None:
                    sigma = derived.slopes * sigma[derived.front.sources]
                values, std = work.smoothgrad(Z, row_rngs(self._seed, X_encoded), self.smoothgrad_samples, sigma)
                if derived is not None:
                    values = derived.to_raw(values, X_encoded)
                    std = np.abs(derived.to_raw(std, X_encoded))
            else:
                gradient = work.jacobian(Z)  # (n, o, inputs)
                gradient = gradient if derived is None else derived.to_raw(gradient, X_encoded)
                if method == "saliency":
                    values = np.abs(gradient)
                elif method == "normalized_saliency":
                    magnitude = np.abs(gradient)
                    total = magnitude.sum(axis=2, keepdims=True)
                    values = np.divide(magnitude, total, out=np.zeros_like(magnitude), where=total > 0)
                elif method == "input_x_gradient":
                    values = gradient * np.where(movable, X_encoded, 0.0)[:, None, :]
                else:  # "gradient"
                    values = gradient
        values = values.transpose(0, 2, 1)  # (n, o, p) -> (n, p, o)
        if std is not None:
            std = std.transpose(0, 2, 1)
        if base_values is not None:
            outputs = predict_rows(
                model_output, X_encoded, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose
            )
            fidelity = np.abs(values.sum(axis=1) - (outputs - base_values))
        explanation = self._explanation(
            X_encoded, values, base_values, method=method, std=std, model_output=model_output
        )
        return replace(explanation, fidelity=fidelity) if fidelity is not None else explanation

    def _finite_differences(self, X, model_output, movable):
        """Central differences of the model, shape (n, n_outputs, n_features).

        Feature ``j`` of every row moves by ``h_j = step * scale_[j]`` up and down; the
        ``2 * n_features`` copies of every row are one stack evaluated in chunks. The
        differences are divided by the steps actually taken, ``(x + h) - (x - h)``. A
        categorical or missing cell does not move and gets 0.
        """
        step = _AUTO_STEP if self.step == "auto" else float(self.step)
        h = np.where(movable, step * self.scale_, 0.0)
        upper, lower = X + h, X - h  # (n, p)
        n_rows, n_features = X.shape
        stack = CentralDifferences(X, upper, lower)
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
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(movable[:, None, :], difference / (upper - lower)[:, None, :], 0.0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # what the model takes (through its Pipeline front)
        return tags

