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

from .._core import (
    Interval,
    StrOptions,
    batch_units,
    chunk_bounds,
    gauss_legendre,
    predict_built,
    predict_rows,
    row_rngs,
    run_chunks,
    safe_std,
)
from ._base import LocalExplainer
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
_NETWORK_CELLS = 2**18
"""Floats in the widest array of a chunk's pass through a network with batch_size="auto":
the passes are memory-bound, and arrays of this size stay in cache (2 MiB)."""
_FIRST_POINTS = 4
"""Gauss-Legendre points per piece of a path in the first pass of ``n_steps="auto"``."""
_MAX_STEPS = 4096
"""Most points per row of integrated gradients with ``n_steps="auto"``."""
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
        if self._network is not None:
            outputs = self._network.predict(X_encoded)  # (n, o): equal to the model's, checked above
            self.output_range_ = outputs.max(axis=0) - outputs.min(axis=0)

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
        """The model as a :class:`Network`, checked against the model on training rows."""
        name = type(self.estimator_).__name__
        output = self._model_output.method
        try:
            network = network_of(self.estimator_, output)
        except NotDifferentiable as exc:
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

    def explain(self, X: ArrayLike) -> Explanation:
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
        tags = super().__sklearn_tags__()  # no missing values: the template reads _allow_nan
        tags.input_tags.categorical = False
        return tags

    # -- the methods ------------------------------------------------------------------------
    def _rows_per_chunk(self, points_per_row=1):
        """Explained rows per chunk when each row is ``points_per_row`` rows of network
        input: ``batch_size`` rows of input, or with "auto" about ``_NETWORK_CELLS`` cells
        in the widest array of a pass."""
        widest = self._network.n_outputs * self._network.width
        return batch_units(
            self.batch_size, row_cells=widest, unit_cells=widest * points_per_row, auto_cells=_NETWORK_CELLS
        )

    def _gradients(self, X):
        """Analytic gradients of shape (n, n_outputs, n_features)."""
        bounds = chunk_bounds(len(X), self._rows_per_chunk())
        args = [(self._network, X[start:stop]) for start, stop in bounds]
        return np.concatenate(
            run_chunks(_gradient_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="gradients")
        )

    def _integrated_gradients(self, X):
        """(x - b) times the path average of the gradient, shape (n, n_outputs, n_features).

        With ``n_steps="auto"`` each path is cut where a ReLU unit switches (the gradient
        jumps there; between the cuts it is smooth) and every piece gets Gauss-Legendre
        points; the rows whose completeness gap is above ``tol`` of the output's range are
        integrated again with twice the points per piece, until every row meets it or a
        row has ``_MAX_STEPS`` points.
        """
        if self.n_steps != "auto":
            return self._integrate(X, self.n_steps)
        network = self._network
        values = np.empty((len(X), network.n_outputs, X.shape[1]))
        target = network.predict(X) - network.predict(self.baseline_[None, :])  # (n, o)
        allowed = self.tol * np.where(self.output_range_ > 0, self.output_range_, 1.0)  # (o,)
        owner, alpha = network.kinks(X, self.baseline_)
        piece = owner[1:] == owner[:-1]  # consecutive breakpoints of a row bound one piece
        pieces = (owner[:-1][piece], alpha[:-1][piece], alpha[1:][piece])  # row, start, end
        n_pieces = np.bincount(pieces[0], minlength=len(X))
        todo, per_piece, unmet = np.arange(len(X)), _FIRST_POINTS, []
        while len(todo):  # each row on its own: its points depend on its gap only
            values[todo] = self._integrate_pieces(X, todo, pieces, per_piece)
            gap = np.abs(values[todo].sum(axis=2) - target[todo])  # (t, o)
            todo = todo[(gap > allowed).any(axis=1)]
            at_most = per_piece * n_pieces[todo] >= _MAX_STEPS
            unmet.append(todo[at_most])
            todo, per_piece = todo[~at_most], per_piece * 2
        unmet = np.concatenate(unmet)
        if len(unmet):
            warnings.warn(
                f"Integrated gradients of {len(unmet)} of {len(X)} rows did not reach the completeness tol={self.tol} "
                f"of the output's range with up to {_MAX_STEPS} points; their gap is in the explanation's fidelity. "
                "Use method='deeplift' for attributions that add up exactly.",
                UserWarning,
                stacklevel=3,
            )
        return values

    def _integrate_pieces(self, X, rows, pieces, per_piece):
        """Integrated gradients of ``X[rows]`` with ``per_piece`` Gauss-Legendre points on
        each piece of their paths, in chunks of whole rows."""
        owner, start, end = pieces
        nodes, weights = gauss_legendre(per_piece)
        keep = np.isin(owner, rows)
        owner, start, end = owner[keep], start[keep], end[keep]
        local = np.searchsorted(rows, owner)  # position of each piece's row in ``rows``
        points_of_row = np.bincount(local, minlength=len(rows)) * per_piece
        budget = self._rows_per_chunk(1)  # points of network input per chunk
        bounds = _chunks_of_whole_rows(points_of_row, budget)
        args = []
        for first, last in bounds:
            mine = (local >= first) & (local < last)
            length = end[mine] - start[mine]
            alphas = (start[mine][:, None] + length[:, None] * nodes[None, :]).ravel()
            point_weights = (length[:, None] * weights[None, :]).ravel()
            args.append((self._network, X[rows[first:last]], self.baseline_, np.repeat(local[mine] - first, per_piece),
                         alphas, point_weights))
        chunks = run_chunks(_pieces_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="integrated gradients")
        return np.concatenate(chunks) * (X[rows] - self.baseline_)[:, None, :]

    def _integrate(self, X, n_steps):
        """Integrated gradients of rows ``X`` with ``n_steps`` points: all points of all
        rows form one stack, evaluated in chunks of whole rows; each chunk returns its
        rows' weighted sums."""
        if self.integration == "gauss_legendre":
            alphas, weights = gauss_legendre(n_steps)
        else:
            alphas = (np.arange(n_steps) + 0.5) / n_steps
            weights = np.full(n_steps, 1.0 / n_steps)
        rows_per_chunk = self._rows_per_chunk(n_steps)
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
        bounds = chunk_bounds(len(X), self._rows_per_chunk())
        args = [(self._network, X[start:stop], self.baseline_) for start, stop in bounds]
        multipliers = np.concatenate(
            run_chunks(_deeplift_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="DeepLIFT")
        )
        return multipliers * (X - self.baseline_)[:, None, :]

    def _smoothgrad(self, X):
        """Mean gradient over noisy copies of each row and its standard error, each (n, o, p)."""
        n_samples = self.smoothgrad_samples
        rows_per_chunk = self._rows_per_chunk(n_samples)
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


def _pieces_chunk(network, X, baseline, owner, alphas, weights):
    """Weighted gradient sums along the pieces of the paths of rows ``X``: (c, o, p).

    ``owner`` (sorted) gives the row of each point, at ``alphas`` with ``weights``.
    """
    points = baseline + alphas[:, None] * (X[owner] - baseline)  # (m, p)
    gradients = network.first_layer_gradient(points, weights)  # (m, kept, units)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    sums = np.zeros((len(X), *gradients.shape[1:]))
    sums[owner[starts]] = np.add.reduceat(gradients, starts, axis=0)
    return network.to_inputs(sums)


def _chunks_of_whole_rows(points_of_row, budget):
    """``[(first, last), ...]`` rows per chunk, each chunk within ``budget`` points
    unless a single row needs more."""
    bounds, first, total = [], 0, 0
    for row, points in enumerate(points_of_row.tolist()):
        if total and total + points > budget:
            bounds.append((first, row))
            first, total = row, 0
        total += points
    bounds.append((first, len(points_of_row)))
    return bounds


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
    """Standard deviation of each column (finite whatever the values), 1 for a constant one."""
    scale = safe_std(X_encoded, axis=0)
    return np.where(scale > 0, scale, 1.0)
