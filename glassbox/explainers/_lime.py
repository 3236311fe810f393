"""LIME for tabular data: a weighted sparse linear surrogate around every explained row.

For a row ``x`` LIME draws ``num_samples`` perturbed rows around it, asks the model for
their outputs, weights them by their proximity to ``x`` and fits a weighted ridge
regression on an interpretable representation of the perturbations (Ribeiro, Singh and
Guestrin 2016). Here every explained row is handled in one batched computation:

1. a chunk of ``c`` rows draws one perturbation tensor of shape ``(c, num_samples, p)``
   (each row from its own generator, :func:`~glassbox._core.row_rngs`), which is decoded
   and evaluated in one model call;
2. the chunk reduces its samples to weighted moments of the interpretable design: the
   Gram matrix ``(c, p + 1, p + 1)`` (intercept first), the cross products with the
   outputs ``(c, n_outputs, p + 1)`` and the weighted sums of squared outputs, so memory
   stays bounded by one chunk whatever the number of rows;
3. feature selection and the final ridge regression work on these moments for every
   row and output at once: forward selection by partial regressions on the Gram matrix,
   the largest ridge weights, or LARS on each row's Gram matrix; then the batched normal
   equations, one ``np.linalg.solve`` over ``(n_rows, n_outputs, k + 1, k + 1)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.linear_model import lars_path_gram
from sklearn.utils import check_random_state

from .._core import (
    Bins,
    Interval,
    StrOptions,
    apply_bins,
    batch_units,
    chunk_bounds,
    fit_bins,
    row_rngs,
    run_chunks,
    safe_mean_std,
    sample_background,
)
from ._base import LocalExplainer

if TYPE_CHECKING:
    from .._core._typing import OutputMethod, RandomStateLike
    from ..explanation import Explanation

__all__ = ["LimeExplainer"]

SELECTIONS = ("auto", "forward", "highest_weights", "lasso_path", "none")
_POOL_ROWS = 10_000
"""Training rows kept at ``fit``; each feature's perturbed values are drawn from them.
Positions in the pool are drawn as uint16, so it must stay below 2**16 rows."""
_HIGHEST_WEIGHTS_ALPHA = 0.01
"""Ridge penalty of the all-feature fit that ranks features for ``"highest_weights"`` (as lime)."""
_JITTER = 1e-10
"""Relative ridge added to the normal equations so that constant columns stay solvable."""


class LimeExplainer(LocalExplainer):
    """LIME: a local weighted sparse linear surrogate of the model around each row.

    For every explained row, ``num_samples`` perturbed rows are drawn around it and
    weighted by their proximity to it; a weighted ridge regression on at most
    ``num_features`` features, fitted to the model's outputs on these samples, is the
    explanation. All rows are explained in one batched computation: one model call per
    chunk of rows, and every local regression solved at once.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    sampling : {"quartile", "continuous"}, default="quartile"
        How the neighbourhood is drawn and represented:

        - ``"quartile"``: every feature takes values drawn from its training
          distribution; the interpretable feature is 1 when the value falls in the
          same quartile bin as the row (the same level for a categorical feature, the
          missing bin for a missing value), 0 otherwise. Each value is the effect of
          the row's bin against the others.
        - ``"continuous"``: numeric features move around the row by Gaussian noise
          with their training standard deviation and enter the regression standardised;
          categorical features, and numeric features the row is missing, are drawn from
          their training distribution and enter as "same as the row" indicators.
    num_samples : int, default=5000
        Perturbed rows per explained row, the row itself included.
    num_features : int or None, default=10
        Most features of each local model; ``None`` keeps every feature.
    feature_selection : {"auto", "forward", "highest_weights", "lasso_path", "none"}, \
default="auto"
        How the ``num_features`` features of each row and output are chosen:
        ``"forward"`` adds, one at a time, the feature that most improves the weighted
        least-squares fit; ``"highest_weights"`` keeps the largest
        ``|weight * interpretable value of the row|`` of a ridge fit on every feature;
        ``"lasso_path"`` keeps the features of the last point of the weighted lasso
        (LARS) path with at most ``num_features`` of them; ``"none"`` keeps all;
        ``"auto"`` is ``"forward"`` up to 6 features and ``"highest_weights"`` beyond.
    kernel_width : float or None, default=None
        Width ``w`` of the exponential kernel ``exp(-d**2 / (2 * w**2))`` (the
        square root of ``exp(-d**2 / w**2)``, as in the lime package) weighting a sample
        at Euclidean distance ``d`` from the row in the interpretable representation.
        ``None`` uses ``0.75 * sqrt(n_features)``.
    alpha : float, default=1.0
        Ridge penalty of the local models (the intercept is not penalised).
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        What is explained: class probabilities for classifiers, ``predict`` for
        regressors, or the decision function or log-odds instead.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    batch_size : int or "auto", default="auto"
        Most perturbed rows per model call; bounds memory. A chunk holds
        ``batch_size // num_samples`` explained rows (at least one).
    n_jobs : int or None, default=None
        Workers evaluating chunks (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the perturbations. A row's neighbourhood depends only on the row and this
        seed: the same row gets the same explanation alone, in a batch, in any order,
        with any ``batch_size`` and ``n_jobs``.
    verbose : bool, default=False
        Report progress of model evaluations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    bins_ : Bins
        Quartile bins of the numeric features (one bin per level of a categorical
        one, and a last bin for missing values), learnt on the ``X`` given to ``fit``.
    mean_ : ndarray of shape (n_features_in_,)
        Training mean of each numeric feature (0 for categorical ones): the centre of
        the standardised features of ``sampling="continuous"``.
    scale_ : ndarray of shape (n_features_in_,)
        Training standard deviation of each numeric feature (1 for categorical ones):
        the scale of the noise and of the standardised features.
    kernel_width_ : float
        The kernel width used.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    ShapleyExplainer : Attributions that add up exactly to the model's output.

    Notes
    -----
    The local model of a row ``x`` and output ``o`` is ``g(z) = b + sum_j c_j z_j`` over
    the interpretable features ``z`` (indicators, or standardised values
    ``(x'_j - mean_j) / scale_j``). The explanation reports ``values[i, j, o] = c_j
    z_j(x)``: the weight itself for an indicator (``z_j(x) = 1``), ``c_j (x_j - mean_j)
    / scale_j`` for a standardised feature, so that ``values / (x_j - mean_)`` is the
    local slope in the feature's own units; features left out of the local model get 0.
    ``base_values`` is the intercept ``b``. Values plus base value give ``g`` at the row,
    which approximates, but does not equal, the model's output there:
    ``Explanation.fidelity`` reports the weighted R² of each local model on its
    neighbourhood (1 for a model that is linear in the interpretable features).

    Perturbed values of a feature are drawn from its training values (at most 10,000
    rows kept at ``fit``), independently across features, so categorical features
    take real levels with their training frequencies and missing values appear as
    often as in training. The lime package instead draws a bin from the training
    frequencies and a value from a truncated normal fitted to the bin; both give each
    quartile bin its training frequency.

    References
    ----------
    .. [1] Ribeiro, M. T., Singh, S. and Guestrin, C. (2016). "Why should I trust you?"
       Explaining the predictions of any classifier. KDD.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassbox.explainers import LimeExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = LinearRegression().fit(X, y)
    >>> lime = LimeExplainer(model, sampling="continuous", num_samples=500, num_features=None,
    ...                      alpha=0.0, random_state=0).fit(X)
    >>> exp = lime.explain(X.iloc[:3])
    >>> exp.shape
    (3, 10, 1)
    >>> slopes = exp.values[:, :, 0] / (X.iloc[:3] - lime.mean_).to_numpy()
    >>> bool(np.allclose(slopes, model.coef_))
    True
    >>> exp.fidelity.round(6).ravel().tolist()
    [1.0, 1.0, 1.0]
    """

    _parameter_constraints = {
        **LocalExplainer._parameter_constraints,
        "sampling": [StrOptions({"quartile", "continuous"})],
        "num_samples": [Interval(Integral, 2, None, closed="left")],
        "num_features": [Interval(Integral, 1, None, closed="left"), None],
        "feature_selection": [StrOptions(SELECTIONS)],
        "kernel_width": [Interval(Real, 0, None, closed="neither"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        sampling: Literal["quartile", "continuous"] = "quartile",
        num_samples: int = 5000,
        num_features: int | None = 10,
        feature_selection: Literal["auto", "forward", "highest_weights", "lasso_path", "none"] = "auto",
        kernel_width: float | None = None,
        alpha: float = 1.0,
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
        self.sampling = sampling
        self.num_samples = num_samples
        self.num_features = num_features
        self.feature_selection = feature_selection
        self.kernel_width = kernel_width
        self.alpha = alpha
        self.output = output

    def _fit(self, X_encoded):
        """Learn the distribution perturbations are drawn from: the training data's
        quartiles, levels, means, standard deviations and values."""
        schema = self._feature_schema
        rng = check_random_state(self._seed)
        is_categorical = schema.is_categorical
        self.bins_ = fit_bins(X_encoded, is_categorical, max_bins=4, categories=schema.categories, random_state=rng)
        self.mean_, self.scale_ = _standardisation(X_encoded, is_categorical)
        n_features = X_encoded.shape[1]
        self.kernel_width_ = float(0.75 * np.sqrt(n_features) if self.kernel_width is None else self.kernel_width)
        pool = sample_background(X_encoded, max_samples=_POOL_ROWS, random_state=rng).data
        self._neighbourhood = _Neighbourhood.learn(
            pool,
            self.bins_,
            np.asarray([len(c) if c is not None else 0 for c in schema.categories]),
            self.mean_,
            self.scale_,
            continuous=self.sampling == "continuous",
            num_samples=self.num_samples,
            kernel_width=self.kernel_width_,
        )

    def explain(self, X: ArrayLike) -> Explanation:
        """LIME attributions of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.

        Returns
        -------
        explanation : Explanation
            ``values`` of shape (n_samples, n_features, n_outputs): each feature's term
            of the local model at the row (0 for features the local model leaves
            out); ``base_values`` of shape (n_samples, n_outputs): the intercepts;
            ``fidelity`` of shape (n_samples, n_outputs): the weighted R² of each local
            model. Values plus base values approximate the model's output.
        """
        X_encoded, model_output = self._prepare(X)
        n_rows, n_features = X_encoded.shape
        rngs = row_rngs(self._seed, X_encoded)
        rows_per_chunk = batch_units(
            self.batch_size, row_cells=n_features, unit_cells=self.num_samples * n_features
        )
        args = [
            (self._neighbourhood, model_output, X_encoded[start:stop], rngs[start:stop])
            for start, stop in chunk_bounds(n_rows, rows_per_chunk)
        ]
        chunks = run_chunks(_neighbourhood_moments, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="LIME")
        gram, cross, squares, row_outputs, row_design = (np.concatenate(part) for part in zip(*chunks))
        selected, is_selected = self._select(gram, cross, row_design)
        coef, intercept, r2 = _weighted_ridge(gram, cross, squares, selected, is_selected, self.alpha)
        values = coef.transpose(0, 2, 1) * row_design[:, :, None]  # (n, p, o)
        explanation = self._explanation(
            X_encoded,
            values,
            intercept + row_outputs,
            method=f"lime-{self.sampling}",
            model_output=model_output,
        )
        return replace(explanation, fidelity=r2)

    def _select(self, gram, cross, row_design):
        """Features of every local model: indices (n, o, k) and which slots are used."""
        n_rows, n_outputs, n_terms = cross.shape
        n_features = n_terms - 1
        k = n_features if self.num_features is None else min(self.num_features, n_features)
        method = self.feature_selection
        if method == "auto":
            method = "forward" if k <= 6 else "highest_weights"
        if k == n_features or method == "none":
            selected = np.broadcast_to(np.arange(n_features), (n_rows, n_outputs, n_features))
            return selected, np.ones(selected.shape, dtype=bool)
        if method == "forward":
            selected = _forward_selection(gram, cross, k)
            return selected, np.ones(selected.shape, dtype=bool)
        if method == "highest_weights":
            everything = np.broadcast_to(np.arange(n_features), (n_rows, n_outputs, n_features))
            coef, _, _ = _weighted_ridge(
                gram, cross, None, everything, np.ones(everything.shape, dtype=bool), _HIGHEST_WEIGHTS_ALPHA
            )
            score = np.abs(coef * row_design[:, None, :])  # (n, o, p)
            selected = np.argsort(-score, axis=-1, kind="stable")[..., :k]
            return selected, np.ones(selected.shape, dtype=bool)
        return _lasso_path_selection(gram, cross, k, self.num_samples)


@dataclass(frozen=True, eq=False)
class _Neighbourhood:
    """What a row's perturbations are drawn from, learnt at ``fit``.

    Features are perturbed independently, so each keeps its own sorted column of
    training values: a sampled value is ``pool[j, position]`` with a uniform random
    position, and since bins are contiguous in a sorted column (missing values sort
    last, as the last bin), "same bin as the row" is ``starts[j, b] <= position <
    starts[j, b + 1]``: two comparisons instead of binning every sample.

    Attributes
    ----------
    pool : ndarray of shape (p, n_pool)
        Each feature's training values (encoded), sorted.
    starts : ndarray of shape (p, max_bins + 1)
        First position of each bin in ``pool[j]`` (``n_pool`` past the last bin).
    bins : Bins
    n_levels : ndarray of shape (p,)
        Levels of each categorical feature known at ``fit`` (0 for numeric ones).
    mean, scale : ndarray of shape (p,)
    continuous : bool
        Gaussian noise around the row for numeric features (``sampling="continuous"``).
    num_samples : int
    kernel_width : float
    """

    pool: np.ndarray
    starts: np.ndarray
    bins: Bins
    n_levels: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    continuous: bool
    num_samples: int
    kernel_width: float

    @classmethod
    def learn(cls, X, bins, n_levels, mean, scale, *, continuous, num_samples, kernel_width):
        """Sorted columns of encoded training rows ``X`` and where their bins start."""
        pool = np.sort(X, axis=0).T.copy()  # (p, n_pool); NaN sorts last
        pool_bins = apply_bins(bins, pool.T).T  # non-decreasing along each row of pool
        edges = np.arange(int(bins.n_bins.max()) + 1)
        starts = np.stack([np.searchsorted(b, edges, side="left") for b in pool_bins])
        return cls(pool, starts, bins, n_levels, mean, scale, continuous, num_samples, kernel_width)

    def sample(self, rows, rngs):
        """Perturbations of encoded ``rows`` of shape (c, p), one generator per row.

        Returns
        -------
        samples : ndarray of shape (c, num_samples, p)
            Encoded perturbed rows; ``samples[:, 0]`` are the rows themselves.
        design : ndarray of shape (c, num_samples, p)
            Their interpretable representation.
        row_design : ndarray of shape (c, p)
            The interpretable representation of the rows.
        """
        n_rows, n_features = rows.shape
        n_pool = self.pool.shape[1]
        flat_pool = self.pool.ravel()
        row_bins = self._row_bins(rows)
        features = np.arange(n_features)
        low = self.starts[features, np.maximum(row_bins, 0)].astype(np.uint16)
        high = np.where(row_bins >= 0, self.starts[features, row_bins + 1], low).astype(np.uint16)  # unseen: empty
        numeric = (self.n_levels == 0) & (self.scale > 0)
        moving = numeric & ~np.isnan(rows) if self.continuous else np.zeros(rows.shape, dtype=bool)
        safe_scale = np.where(numeric, self.scale, 1.0)
        row_design = np.where(moving, (rows - self.mean) / safe_scale, 1.0)
        samples = np.empty((n_rows, self.num_samples, n_features))
        design = np.empty(samples.shape)
        for i, rng in enumerate(rngs):
            drawn = np.flatnonzero(~moving[i])  # from the training values
            picks = rng.integers(0, n_pool, size=(self.num_samples, len(drawn)), dtype=np.uint16)
            same_bin = (picks >= low[i, drawn]) & (picks < high[i, drawn])
            values = flat_pool.take(picks + drawn * n_pool)
            if len(drawn) == n_features:
                samples[i], design[i] = values, same_bin
                continue
            moved = np.flatnonzero(moving[i])  # by Gaussian noise around the row
            noise = rng.standard_normal((self.num_samples, len(moved)))
            samples[i][:, drawn], design[i][:, drawn] = values, same_bin
            samples[i][:, moved] = rows[i, moved] + noise * self.scale[moved]
            design[i][:, moved] = row_design[i, moved] + noise
        samples[:, 0] = rows
        design[:, 0] = row_design
        return samples, design, row_design

    def _row_bins(self, rows):
        """Bins of the rows; a category ``fit`` never saw gets -1 and matches nothing."""
        bins = apply_bins(self.bins, rows)
        unseen = (self.n_levels > 0) & (np.nan_to_num(rows, nan=-1.0) >= self.n_levels)
        bins[unseen] = -1
        return bins

    def weights(self, design, row_design):
        """Kernel weights of shape (c, num_samples)."""
        difference = design - row_design[:, None, :]
        distance2 = np.einsum("cnp,cnp->cn", difference, difference)
        return np.exp(-distance2 / (2.0 * self.kernel_width**2))


def _neighbourhood_moments(neighbourhood, model_output, rows, rngs):
    """Sample a chunk of rows, evaluate the model once, reduce to weighted moments.

    Returns the Gram matrices (c, p + 1, p + 1) of the design with an intercept column
    first, the cross products with the outputs (c, o, p + 1), the weighted sums of
    squared outputs (c, o), the rows' own outputs (c, o) and their design (c, p).
    Outputs enter centred on the row's own output, which keeps the sums well scaled.
    """
    samples, design, row_design = neighbourhood.sample(rows, rngs)
    n_rows, n_samples, n_features = samples.shape
    outputs = model_output(samples.reshape(n_rows * n_samples, n_features)).reshape(n_rows, n_samples, -1)
    del samples
    row_outputs = outputs[:, 0, :].copy()
    outputs -= row_outputs[:, None, :]
    weights = neighbourhood.weights(design, row_design)  # (c, N)
    weighted_t = (design * weights[:, :, None]).transpose(0, 2, 1)  # (c, p, N)
    gram = np.empty((n_rows, n_features + 1, n_features + 1))
    gram[:, 0, 0] = weights.sum(axis=1)
    gram[:, 0, 1:] = gram[:, 1:, 0] = weighted_t.sum(axis=2)
    gram[:, 1:, 1:] = weighted_t @ design
    cross = np.empty((n_rows, outputs.shape[2], n_features + 1))
    cross[:, :, 0] = np.einsum("cn,cno->co", weights, outputs)
    cross[:, :, 1:] = (weighted_t @ outputs).transpose(0, 2, 1)
    squares = np.einsum("cn,cno->co", weights, np.square(outputs))
    return gram, cross, squares, row_outputs, row_design


def _standardisation(X, is_categorical):
    """Mean and standard deviation of numeric columns (0 and 1 for categorical ones)."""
    mean, scale = safe_mean_std(X, axis=0)  # finite whatever the values
    return np.where(is_categorical, 0.0, mean), np.where(is_categorical, 1.0, scale)


def _gather(gram, index):
    """``gram[i, index[i, o][:, None], index[i, o][None, :]]`` of shape (n, o, m, m), and
    the rows ``gram[i, index[i, o], :]`` of shape (n, o, m, P)."""
    n_outputs = index.shape[1]
    full = np.broadcast_to(gram[:, None], (gram.shape[0], n_outputs, *gram.shape[1:]))
    rows = np.take_along_axis(full, index[..., :, None], axis=2)
    return np.take_along_axis(rows, index[..., None, :], axis=3), rows


def _solve_penalised(a, b, penalty):
    """Solve ``(a + diag(penalty)) x = b`` for stacked systems; the first term (the
    intercept) gets no penalty, and a small relative ridge keeps constant columns solvable."""
    size = a.shape[-1]
    scale = np.trace(a, axis1=-2, axis2=-1)[..., None] / size
    diagonal = np.broadcast_to(penalty + _JITTER * scale, (*a.shape[:-1],)).copy()
    diagonal[..., 0] = 0.0
    a = a + diagonal[..., :, None] * np.eye(size)
    return np.linalg.solve(a, b)


def _weighted_ridge(gram, cross, squares, selected, is_selected, alpha):
    """Weighted ridge on the selected features of every row and output, from moments.

    Parameters
    ----------
    gram : ndarray of shape (n, p + 1, p + 1)
    cross : ndarray of shape (n, o, p + 1)
    squares : ndarray of shape (n, o) or None
        Weighted sums of squared outputs; the weighted R² is computed when given.
    selected : ndarray of int of shape (n, o, k)
        Feature indices (0-based) of each local model.
    is_selected : ndarray of bool of shape (n, o, k)
        Which slots of ``selected`` are used (LARS may keep fewer than ``k``).
    alpha : float

    Returns
    -------
    coef : ndarray of shape (n, o, p)
        Weights of every feature (0 for features left out).
    intercept : ndarray of shape (n, o)
    r2 : ndarray of shape (n, o) or None
    """
    n_rows, n_outputs, k = selected.shape
    n_features = gram.shape[-1] - 1
    terms = np.concatenate([np.zeros((n_rows, n_outputs, 1), dtype=np.intp), selected + 1], axis=2)
    used = np.concatenate([np.ones((n_rows, n_outputs, 1), dtype=bool), is_selected], axis=2)  # (n, o, k + 1)
    a, _ = _gather(gram, terms)  # (n, o, k + 1, k + 1)
    pair = used[..., :, None] & used[..., None, :]
    a = np.where(pair, a, 0.0) + np.where(~used, 1.0, 0.0)[..., None] * np.eye(k + 1)  # unused slots: beta = 0
    b = np.where(used, np.take_along_axis(cross, terms, axis=2), 0.0)
    beta = _solve_penalised(a, b[..., None], np.where(used, float(alpha), 0.0))[..., 0]  # (n, o, k + 1)
    one_hot = selected[..., None] == np.arange(n_features)  # (n, o, k, p)
    coef = np.einsum("nokp,nok->nop", one_hot, np.where(is_selected, beta[..., 1:], 0.0))
    r2 = None
    if squares is not None:
        fitted_a = np.where(pair, a, 0.0)
        residual = squares - 2.0 * (beta * b).sum(axis=2) + np.einsum("nok,nokl,nol->no", beta, fitted_a, beta)
        total = squares - np.square(cross[..., 0]) / gram[:, None, 0, 0]
        flat = total <= 1e-12 * np.maximum(squares, np.finfo(np.float64).tiny)
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = np.where(flat, 1.0, 1.0 - np.maximum(residual, 0.0) / np.where(flat, 1.0, total))
    return coef, beta[..., 0], r2


def _forward_selection(gram, cross, k):
    """Greedy forward selection by weighted least squares for every row and output.

    At each step the feature added is the one whose weighted least-squares fit together
    with the features already chosen (and the intercept) has the smallest residual sum
    of squares; its decrease is ``r_j**2 / d_j``, with ``r_j`` the covariance of feature
    ``j`` with the current residual and ``d_j`` its variance left after projecting on
    the chosen features, both read off the Gram matrix. Returns indices (n, o, k).
    """
    n_rows, n_outputs, n_terms = cross.shape
    diagonal = np.diagonal(gram, axis1=1, axis2=2)[:, None, :]  # (n, 1, P)
    chosen = np.zeros((n_rows, n_outputs, 1), dtype=np.intp)  # the intercept
    taken = np.zeros((n_rows, n_outputs, n_terms), dtype=bool)
    taken[..., 0] = True
    for _ in range(k):
        a, rows = _gather(gram, chosen)  # (n, o, m, m), (n, o, m, P)
        b = np.take_along_axis(cross, chosen, axis=2)
        solution = _solve_penalised(a, np.concatenate([rows, b[..., None]], axis=3), 0.0)
        projection, coef = solution[..., :-1], solution[..., -1]
        left_variance = diagonal - (rows * projection).sum(axis=2)  # (n, o, P)
        left_covariance = cross - (rows * coef[..., None]).sum(axis=2)
        usable = (left_variance > 1e-10 * diagonal) & ~taken
        gain = np.where(usable, np.square(left_covariance) / np.where(usable, left_variance, 1.0), -1.0)
        gain[taken] = -np.inf  # degenerate features come last, chosen ones never again
        best = np.argmax(gain, axis=2)[..., None]
        np.put_along_axis(taken, best, True, axis=2)
        chosen = np.concatenate([chosen, best], axis=2)
    return chosen[..., 1:] - 1


def _lasso_path_selection(gram, cross, k, n_samples):
    """Features of the last point of each weighted lasso path with at most ``k`` of them.

    LARS runs on each row's and output's centred weighted Gram matrix (p x p), never on
    the samples. Returns indices (n, o, k) and which slots are used.
    """
    n_rows, n_outputs, n_terms = cross.shape
    total = gram[:, 0, 0]
    centred_gram = gram[:, 1:, 1:] - gram[:, 1:, :1] * gram[:, :1, 1:] / total[:, None, None]
    centred_cross = cross[..., 1:] - gram[:, None, 0, 1:] * cross[..., :1] / total[:, None, None]
    selected = np.zeros((n_rows, n_outputs, k), dtype=np.intp)
    is_selected = np.zeros((n_rows, n_outputs, k), dtype=bool)
    for i in range(n_rows):
        for o in range(n_outputs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # LARS warns on degenerate (constant) columns
                _, _, path = lars_path_gram(centred_cross[i, o], centred_gram[i], n_samples=n_samples, method="lasso")
            sizes = np.count_nonzero(path, axis=0)
            small = np.flatnonzero(sizes <= k)
            if len(small) == 0:
                continue
            support = np.flatnonzero(path[:, small[-1]])
            selected[i, o, : len(support)] = support
            is_selected[i, o, : len(support)] = True
    return selected, is_selected
