"""Quality of local explanations: faithfulness and stability.

- Deletion and insertion curves (Petsiuk, Das & Saenko 2018): remove (or insert) the
  features of a row in the order its explanation ranks them, and watch the model's
  output. A faithful explanation makes the output fall fast on deletion and rise fast on
  insertion. Removing a feature means masking it with reference rows, through the same
  masked evaluation the explainers use: the explainer's background (Shapley), its
  baseline (gradients), or else up to 100 rows of the ``X`` explained (LIME).
- Stability (Alvarez-Melis & Jaakkola 2018): a local Lipschitz estimate, the largest
  change of the explanation per unit change of the input under small noise.

All take a fitted local explainer, so explainers compare on the same model.
"""

from __future__ import annotations

from collections.abc import Hashable
from numbers import Integral
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._core import Background, draw_seed, feature_index, masked_predict, sample_background

if TYPE_CHECKING:
    from .._core._typing import RandomStateLike
    from ..explainers._base import LocalExplainer

__all__ = ["deletion_score", "faithfulness_curve", "insertion_score", "stability_score"]


_REFERENCE_ROWS = 100
"""Rows of ``X`` that deleted features take their values from, for an explainer with neither
background nor baseline."""


def faithfulness_curve(
    explainer: LocalExplainer,
    X: ArrayLike,
    *,
    kind: Literal["deletion", "insertion"] = "deletion",
    output: Hashable = 0,
) -> np.ndarray:
    """Model output as features are deleted (or inserted) by decreasing attribution.

    Parameters
    ----------
    explainer : fitted local explainer
        Its ``explain(X)`` ranks the features of each row; its model and output define
        what is watched, and its reference rows what "removing" a feature means: its
        background (``background_``, Shapley), its baseline (``baseline_``, gradients),
        or else up to 100 rows of ``X`` drawn with a fixed seed (LIME).
    X : array-like or DataFrame of shape (n_samples, n_features)
    kind : {"deletion", "insertion"}, default="deletion"
        Deletion starts from the row and masks the top features first; insertion starts
        from the background and reveals them first.
    output : int or label, default=0
        Which output's attributions rank the features and which output is watched.

    Returns
    -------
    curve : ndarray of shape (n_samples, n_features + 1)
        ``curve[i, k]``: the output with the top ``k`` features deleted (inserted).
    """
    if kind not in ("deletion", "insertion"):
        raise ValueError(f"kind must be 'deletion' or 'insertion'; got {kind!r}.")
    check_is_fitted(explainer)
    explanation = explainer.explain(X)
    if not explanation.is_local:
        raise ValueError(f"{type(explainer).__name__} gives global explanations; faithfulness curves need local ones.")
    column = _output_position(explanation, output)
    X_encoded, model_output = explainer._prepare(X)
    n_samples, n_features = X_encoded.shape
    order = np.argsort(-explanation.values[:, :, column], axis=1, kind="stable")  # (n, p), top first
    # rank[i, j] = position of feature j in row i's order; step k reveals ranks < k.
    rank = np.empty_like(order)
    rank[np.arange(n_samples)[:, None], order] = np.arange(n_features)[None, :]
    revealed = rank[:, None, :] < np.arange(n_features + 1)[None, :, None]  # (n, p + 1, p)
    masks = ~revealed if kind == "deletion" else revealed
    values = masked_predict(
        model_output,
        X_encoded,
        masks,
        _reference_rows(explainer, X_encoded),
        batch_size=explainer.batch_size,
        n_jobs=explainer.n_jobs,
    )
    return values[:, :, column]


def _reference_rows(explainer, X_encoded):
    """The rows a removed feature takes its value from (see :func:`faithfulness_curve`)."""
    background = getattr(explainer, "background_", None)
    if background is not None:
        return background
    baseline = getattr(explainer, "baseline_", None)
    if baseline is not None:
        return Background(np.asarray(baseline, dtype=np.float64)[None, :], np.ones(1))
    return sample_background(X_encoded, max_samples=_REFERENCE_ROWS, random_state=0)


def deletion_score(explainer: LocalExplainer, X: ArrayLike, *, output: Hashable = 0) -> float:
    """Mean area under the deletion curve over the rows of ``X``: lower is more faithful.

    The area is taken over the fraction of features deleted (from 0 to 1), on the scale
    of the explained output.
    """
    return float(_area(faithfulness_curve(explainer, X, kind="deletion", output=output)).mean())


def insertion_score(explainer: LocalExplainer, X: ArrayLike, *, output: Hashable = 0) -> float:
    """Mean area under the insertion curve over the rows of ``X``: higher is more faithful."""
    return float(_area(faithfulness_curve(explainer, X, kind="insertion", output=output)).mean())


def stability_score(
    explainer: LocalExplainer,
    X: ArrayLike,
    *,
    noise: float = 0.05,
    n_repeats: int = 5,
    random_state: RandomStateLike = None,
) -> np.ndarray:
    """Local Lipschitz estimate of the explanation of each row: lower is more stable.

    Each row is perturbed ``n_repeats`` times with Gaussian noise of ``noise`` times the
    standard deviation of each numeric feature (over the explainer's background, or over
    ``X`` for an explainer without one; categorical features are kept); the estimate is the largest ``||e(x) - e(x')|| / ||(x - x') / sd||`` over the
    repeats, over all features and outputs.

    Parameters
    ----------
    explainer : fitted local explainer
    X : array-like or DataFrame of shape (n_samples, n_features)
    noise : float, default=0.05
    n_repeats : int, default=5
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    lipschitz : ndarray of shape (n_samples,)
    """
    check_is_fitted(explainer)
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int; got {n_repeats!r}.")
    if not noise > 0:
        raise ValueError(f"noise must be positive; got {noise!r}.")
    X_encoded, model_output = explainer._prepare(X)
    schema = model_output.schema
    n_samples, n_features = X_encoded.shape
    background = getattr(explainer, "background_", None)
    scale = np.nanstd(X_encoded if background is None else background.data, axis=0)
    scale = np.where(schema.is_categorical | ~(scale > 0), 0.0, scale)  # (p,): no noise on categories
    rng = np.random.default_rng(draw_seed(random_state))
    steps = rng.normal(size=(n_samples, n_repeats, n_features)) * noise * scale  # (n, r, p)
    steps = np.where(np.isnan(X_encoded)[:, None, :], 0.0, steps)
    noisy = (X_encoded[:, None, :] + steps).reshape(-1, n_features)  # (n * r, p)
    stacked = np.vstack([X_encoded, noisy])
    values = explainer.explain(schema.decode(stacked)).values
    base = values[:n_samples][:, None]  # (n, 1, p, o)
    moved = values[n_samples:].reshape(n_samples, n_repeats, *values.shape[1:])  # (n, r, p, o)
    change = np.linalg.norm((moved - base).reshape(n_samples, n_repeats, -1), axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.linalg.norm(np.where(scale > 0, steps / np.where(scale > 0, scale, 1.0), 0.0), axis=2)
        ratio = np.where(distance > 0, change / distance, 0.0)
    return ratio.max(axis=1)


def _output_position(explanation, output):
    n_outputs = explanation.n_outputs
    if isinstance(output, (Integral, np.integer)) and not isinstance(output, bool) and -n_outputs <= output < 0:
        output = output + n_outputs
    return feature_index(
        explanation.output_names, output, axis="output", where="the explanation", error=KeyError, range_error=IndexError
    )


def _area(curve):
    """Trapezoid area over the fraction of features, shape (n_samples,)."""
    n_steps = curve.shape[1] - 1
    return (curve[:, 1:] + curve[:, :-1]).sum(axis=1) / (2 * n_steps)
