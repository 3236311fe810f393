"""LIME for tabular data: a weighted sparse linear surrogate around every explained row.

For a row ``x`` LIME draws ``num_samples`` perturbed rows around it, asks the model for
their outputs, weights them by their proximity to ``x`` and fits a weighted ridge
regression on an interpretable representation of the perturbations (Ribeiro, Singh and
Guestrin 2016). Here every explained row is handled in one batched computation:

1. a chunk of ``c`` rows draws one perturbation tensor of shape ``(c, num_samples, p)``
   (each row from its own generator, :func:`~glassbox._core.row_rngs`), which is decoded
   and evaluated in one model call;
2. the chunk reduces its samples to weighted moments of the interpretable design, in 20
   groups of samples: the Gram matrices ``(c, G, p + 1, p + 1)`` (intercept first), the
   cross products with the outputs ``(c, G, n_outputs, p + 1)`` and the weighted sums of
   squared outputs;
3. feature selection, the ridge regressions and their jackknife standard errors work on
   these moments for every row of the chunk and output at once
   (:mod:`glassbox.explainers._lime_fit`), and the chunk returns only the weights,
   intercepts, fidelities and standard errors, so memory stays bounded by one chunk
   whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

from .._core import (
    AdaptiveCalls,
    Bins,
    Interval,
    StrOptions,
    Workspace,
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
from ._lime_fit import LocalModels, group_moments, moment_cells
from ._lime_text import TEXT_KERNEL_WIDTH, lime_documents

if TYPE_CHECKING:
    from .._core._typing import OutputMethod, RandomStateLike
    from ..explanation import Explanation

__all__ = ["LimeExplainer"]

SELECTIONS = ("auto", "forward", "highest_weights", "lasso_path", "none")
_POOL_ROWS = 10_000
"""Training rows kept at ``fit``; each feature's perturbed values are drawn from them.
Positions in the pool are drawn as uint16, so it must stay below 2**16 rows."""


class LimeExplainer(LocalExplainer):
    """LIME contributions: ``values`` are local weight x interpretable value; ``coef`` the weights.

    For every explained row, ``num_samples`` perturbed rows are drawn around it and
    weighted by their proximity to it; a weighted ridge regression on at most
    ``num_features`` features, fitted to the model's outputs on these samples, is the
    explanation. All rows are explained in one batched computation: one model call per
    chunk of rows, and every local regression solved at once.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``). A Pipeline whose first step is a text vectorizer, given the
        text column (1-D), is explained per token, and one whose ColumnTransformer
        vectorizes a text column of a DataFrame, per token and tabular column: see ``explain``.
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
        ``None`` uses ``0.75 * sqrt(n_features)`` (25 for documents, as the lime
        package's text explainer).
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
        ``batch_size * p // (num_samples * p + 20 * (p + 1 + n_outputs)**2)`` explained
        rows (at least one): ``batch_size // num_samples`` rows but for the weighted
        moments of each row, 20 Gram matrices, which outweigh the perturbed rows when
        ``num_samples`` is small. ``"auto"``: chunks of about 16 MiB of perturbed rows and
        moments, each evaluated in model calls of 8192 rows (which keep a network's
        activations in cache) or in one call (which saves a forest its cost per call),
        whichever the first chunk's timing found faster
        (:class:`~glassbox._core.AdaptiveCalls`); results do not depend on it.
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
    background_ : Background
        Fitted on a text column beside tabular columns: the encoded rows of ``X`` (at most
        10,000) a hidden column takes its value from.
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
    ``(x'_j - mean_j) / scale_j``). The explanation reports the additive contributions
    ``values[i, j, o] = c_j z_j(x)``: the weight itself for an indicator (``z_j(x) = 1``),
    ``c_j (x_j - mean_j) / scale_j`` for a standardised feature, so that ``values /
    (x_j - mean_)`` is the local slope in the feature's own units; features left out of
    the local model get 0. The weights ``c_j`` themselves, which the lime package
    reports, are ``coef`` (of the shape of ``values``), and the intercepts ``b`` are
    ``intercept`` (equal to ``base_values``). Values plus base value give ``g`` at the
    row, which approximates, but does not equal, the model's output there:
    ``Explanation.fidelity`` reports the weighted R² of each local model on its
    neighbourhood (1 for a model that is linear in the interpretable features).

    ``std`` is the standard error of ``values`` (divide by ``|z_j(x)|`` for that of
    ``coef``; the same in quartile mode): each row's samples are cut into 20 groups and
    the local regression is refitted without each group in turn (a delete-a-group
    jackknife, from the groups' weighted moments, so at no extra model evaluation). The
    features chosen are held fixed; their selection is not part of the error.

    Perturbed values of a feature are drawn from its training values (at most 10,000
    rows kept at ``fit``), independently across features, so categorical features
    take real levels with their training frequencies and missing values appear as
    often as in training. The lime package instead draws a bin from the training
    frequencies and a value from a truncated normal fitted to the bin; both give each
    quartile bin its training frequency, but only glassbox keeps values the data can
    take, and the weights of the two differ accordingly (see the user guide, where the
    agreement with the lime package is measured). In continuous mode both sample alike.

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

    _explains_text = True

    def _fit_documents(self):
        """Documents need only the kernel width: their perturbations remove tokens."""
        self.kernel_width_ = float(TEXT_KERNEL_WIDTH if self.kernel_width is None else self.kernel_width)

    def _learn_background(self, X_encoded, drop=None):
        """The rows a hidden tabular column beside a text column takes its value from: at most
        10,000 rows of the ``X`` given to ``fit`` (one drawn per perturbed row)."""
        return sample_background(X_encoded, max_samples=_POOL_ROWS, random_state=self._seed)

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
            ``values`` of shape (n_samples, n_features, n_outputs): each feature's
            contribution to the local model at the row, weight times interpretable
            value (0 for features the local model leaves out); ``coef`` of the same
            shape: the weights; ``std`` of the same shape: the standard errors of
            ``values``; ``base_values`` and ``intercept`` of shape (n_samples,
            n_outputs): the intercepts; ``fidelity`` of the same shape: the weighted R²
            of each local model. Values plus base values approximate the model's output.
            Fitted on documents (a text column read by a vectorizer), ``X`` is documents
            and the result a :class:`~glassbox.explainers.TextExplanation` of each
            token's weight, sampled as the lime package's text explainer does (tokens
            removed, cosine distance, ``kernel_width`` 25 by default). Fitted on a DataFrame
            whose text column a ColumnTransformer vectorizes beside tabular columns, each
            perturbed row also hides some of the tabular columns (the players, tokens and
            columns, are removed alike), a hidden column taking the value of a row of the
            ``X`` given to ``fit`` (``background_``); the result holds a weight per token and
            per column (``TextExplanation.column_values``).
        """
        if getattr(self, "_vectorizer", None) is not None:
            return self._explain_documents(X)
        X_encoded, model_output = self._prepare(X)
        n_rows, n_features = X_encoded.shape
        n_outputs = len(model_output.output_names)
        rows_per_chunk = batch_units(
            self.batch_size,
            row_cells=n_features,
            unit_cells=self.num_samples * n_features + moment_cells(self.num_samples, n_features, n_outputs),
        )
        local = LocalModels(self.num_features, self.feature_selection, float(self.alpha), self.num_samples)
        low, high = self._neighbourhood.bin_bounds(X_encoded)
        workspace, calls = Workspace(), AdaptiveCalls(self.batch_size)
        args = [
            (self._neighbourhood, local, model_output, X_encoded[s:e], self._seed, (low[s:e], high[s:e]),
             calls, workspace)
            for s, e in chunk_bounds(n_rows, rows_per_chunk)
        ]
        chunks = run_chunks(_explain_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="LIME")
        coef, intercept, r2, std, row_design = (np.concatenate(part) for part in zip(*chunks))
        coef, std = coef.transpose(0, 2, 1), std.transpose(0, 2, 1)  # (n, p, o)
        explanation = self._explanation(
            X_encoded,
            coef * row_design[:, :, None],
            intercept,
            method=f"lime-{self.sampling}",
            std=std * np.abs(row_design)[:, :, None],
            model_output=model_output,
        )
        return replace(explanation, fidelity=r2, coef=coef, intercept=explanation.base_values)

    def _explain_documents(self, X):
        documents = self._prepare_documents(X)
        local = LocalModels(self.num_features, self.feature_selection, float(self.alpha), self.num_samples)
        coef, std, intercept, r2 = lime_documents(
            documents, self._model_output, local, num_samples=self.num_samples, kernel_width=self.kernel_width_,
            seed=self._seed, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose,
        )
        return documents.explanation(coef, intercept, self.output_names_, method="lime-text", std=std, fidelity=r2)


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

    def bin_bounds(self, rows):
        """Where each row's bin starts and stops in ``pool``, two (c, p) arrays of uint16.

        A category ``fit`` never saw gets an empty range: no sample is in its bin.
        """
        row_bins = apply_bins(self.bins, rows)
        row_bins[(self.n_levels > 0) & (np.nan_to_num(rows, nan=-1.0) >= self.n_levels)] = -1
        features = np.arange(rows.shape[1])
        low = self.starts[features, np.maximum(row_bins, 0)].astype(np.uint16)
        high = np.where(row_bins >= 0, self.starts[features, row_bins + 1], low).astype(np.uint16)
        return low, high

    def sample(self, rows, rngs, bounds=None, workspace=None):
        """Perturbations of encoded ``rows`` of shape (c, p), one generator per row.

        ``bounds`` are the rows' :meth:`bin_bounds`, computed here when not given; the
        arrays returned are built on the buffers of ``workspace`` (a
        :class:`~glassbox._core.Workspace`) when one is given. A
        feature drawn from the training values takes a uniform position in its sorted
        column of ``pool``, drawn as uint16; the samples are one ``take`` of these
        positions, and the design and distances are read off the
        positions themselves, never off the values.

        Returns
        -------
        samples : ndarray of shape (c, num_samples, p)
            Encoded perturbed rows; ``samples[:, 0]`` are the rows themselves.
        design : ndarray of shape (c, num_samples, p)
            Their interpretable representation: bool in quartile mode (the same-bin
            indicators), float in continuous mode.
        row_design : ndarray of shape (c, p)
            The interpretable representation of the rows.
        distance2 : ndarray of shape (c, num_samples)
            Squared Euclidean distance of each sample's design to its row's: the number
            of features drawn outside the row's bin plus the squared noise of the moved
            ones.
        """
        n_rows, n_features = rows.shape
        n_pool = self.pool.shape[1]
        flat_pool = self.pool.ravel()
        low, high = self.bin_bounds(rows) if bounds is None else bounds
        numeric = (self.n_levels == 0) & (self.scale > 0)
        moving = numeric & ~np.isnan(rows) if self.continuous else np.zeros(rows.shape, dtype=bool)
        safe_scale = np.where(numeric, self.scale, 1.0)
        row_design = np.where(moving, (rows - self.mean) / safe_scale, 1.0)
        new = (Workspace() if workspace is None else workspace).array
        samples = new("samples", (n_rows, self.num_samples, n_features), np.float64)
        design = new("design", samples.shape, np.float64 if self.continuous else bool)
        distance2 = new("distance2", (n_rows, self.num_samples), np.float64)
        offsets = np.arange(n_features) * n_pool
        # "same bin" is low <= pick < high: pick - low, wrapping as uint16, below the width
        width = high - low
        shifted = new("shifted", (self.num_samples, n_features), np.uint16)
        positions = new("positions", (self.num_samples, n_features), np.intp)
        ones = np.ones(n_features)
        for i, rng in enumerate(rngs):
            drawn = np.flatnonzero(~moving[i])  # from the training values
            picks = rng.integers(0, n_pool, size=(self.num_samples, len(drawn)), dtype=np.uint16)
            if len(drawn) == n_features:
                np.subtract(picks, low[i], out=shifted)
                same_bin = np.less(shifted, width[i], out=design[i])
                np.add(picks, offsets, out=positions)
                flat_pool.take(positions, out=samples[i], mode="clip")
                distance2[i] = n_features - same_bin @ ones  # indicators: 1 at the row
                continue
            same_bin = (picks - low[i, drawn]) < width[i, drawn]
            picked = offsets[drawn] + picks
            distance2[i] = len(drawn) - np.count_nonzero(same_bin, axis=1)
            moved = np.flatnonzero(moving[i])  # by Gaussian noise around the row
            noise = rng.standard_normal((self.num_samples, len(moved)))
            samples[i][:, drawn], design[i][:, drawn] = flat_pool.take(picked, mode="clip"), same_bin
            samples[i][:, moved] = rows[i, moved] + noise * self.scale[moved]
            design[i][:, moved] = row_design[i, moved] + noise
            distance2[i] += np.einsum("np,np->n", noise, noise)
        samples[:, 0] = rows
        design[:, 0] = row_design
        distance2[:, 0] = 0.0
        return samples, design, row_design, distance2

    def weights(self, distance2):
        """Kernel weights ``exp(-d**2 / (2 w**2))`` of squared distances ``d**2``."""
        return np.exp(distance2 * (-0.5 / self.kernel_width**2))


def _explain_chunk(neighbourhood, local, model_output, rows, seed, bounds, calls, workspace):
    """Sample a chunk of rows (each from its own generator, keyed by ``seed`` and the row),
    evaluate the model on them (in the calls ``calls``, an
    :class:`~glassbox._core.AdaptiveCalls`, finds fastest), fit every local model.

    Returns the weights (c, o, p), intercepts (c, o), weighted R² (c, o), standard errors
    of the weights (c, o, p) and the rows' design (c, p). Outputs enter the moments
    centred on the row's own output, which keeps the sums well scaled. The samples,
    design and moments are built on the buffers of ``workspace``, which the chunks
    share.
    """
    samples, design, row_design, distance2 = neighbourhood.sample(rows, row_rngs(seed, rows), bounds, workspace)
    n_rows, n_samples, n_features = samples.shape
    outputs = calls(model_output, samples.reshape(n_rows * n_samples, n_features))
    outputs = outputs.reshape(n_rows, n_samples, -1)
    del samples
    row_outputs = outputs[:, 0, :].copy()
    outputs -= row_outputs[:, None, :]
    moments = group_moments(design, neighbourhood.weights(distance2), outputs, workspace=workspace)
    coef, intercept, r2, std = local.fit(moments, row_design)
    return coef, intercept + row_outputs, r2, std, row_design


def _standardisation(X, is_categorical):
    """Mean and standard deviation of numeric columns (0 and 1 for categorical ones)."""
    mean, scale = safe_mean_std(X, axis=0)  # finite whatever the values
    return np.where(is_categorical, 0.0, mean), np.where(is_categorical, 1.0, scale)
