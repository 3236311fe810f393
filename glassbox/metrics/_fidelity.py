"""How faithfully a surrogate reproduces the model it stands in for."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import accuracy_score, r2_score

__all__ = ["fidelity_score"]

FIDELITY_METRICS = ("auto", "accuracy", "r2")


def fidelity_score(
    model_output: ArrayLike, surrogate_output: ArrayLike, *, metric: Literal["auto", "accuracy", "r2"] = "auto"
) -> float:
    """Agreement between a model's outputs and its surrogate's on the same rows.

    Parameters
    ----------
    model_output : array-like of shape (n_samples,)
        What the explained model predicts (labels, or values / probabilities).
    surrogate_output : array-like of shape (n_samples,)
        What the surrogate predicts on the same rows.
    metric : {"auto", "accuracy", "r2"}, default="auto"
        ``"accuracy"``: the share of rows on which the labels agree; ``"r2"``: the
        coefficient of determination of the surrogate's values against the model's.
        ``"auto"`` uses accuracy for labels (non-float outputs) and R² otherwise.

    Returns
    -------
    fidelity : float
        1.0 is a perfect copy.

    Examples
    --------
    >>> from glassbox.metrics import fidelity_score
    >>> fidelity_score(["a", "b", "b", "a"], ["a", "b", "a", "a"])
    0.75
    >>> round(fidelity_score([1.0, 2.0, 3.0], [1.1, 1.9, 3.0]), 3)
    0.99
    """
    if metric not in FIDELITY_METRICS:
        raise ValueError(f"metric must be one of {FIDELITY_METRICS}; got {metric!r}.")
    model_output, surrogate_output = np.asarray(model_output), np.asarray(surrogate_output)
    if model_output.shape != surrogate_output.shape:
        raise ValueError(
            f"The model's outputs have shape {model_output.shape} but the surrogate's {surrogate_output.shape}."
        )
    if metric == "auto":
        metric = "r2" if model_output.dtype.kind == "f" else "accuracy"
    if metric == "accuracy":
        return float(accuracy_score(model_output, surrogate_output))
    return float(r2_score(model_output, surrogate_output))
