"""Validation of the target ``y`` and of ``sample_weight`` against the rows of ``X``.

The features are validated by :mod:`._validation`; the estimators check their target and
weights here, with messages that name the estimator.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["check_sample_weight", "check_target"]


def check_target(
    estimator: Any,
    y: ArrayLike,
    n_samples: int,
    *,
    task: Literal["classification", "regression"],
    min_classes: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate a 1-D target against ``n_samples`` rows of ``X``.

    Parameters
    ----------
    estimator : estimator instance
        Named in error messages.
    y : array-like of shape (n_samples,)
    n_samples : int
    task : {"classification", "regression"}
    min_classes : int, default=None
        Classification: raise unless ``y`` holds at least this many classes.

    Returns
    -------
    y : ndarray
        For classification, the integer index of each label in ``classes``; for
        regression, float64 values.
    classes : ndarray or None
        The sorted class labels (classification only).
    """
    owner = type(estimator).__name__
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape "
            "of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{owner} expects a 1-D target y; got an array of shape {y.shape}. y should be a 1d array.")
    if len(y) != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {len(y)}: found input variables with "
            "inconsistent numbers of samples."
        )
    if task == "classification":
        if pd.isna(y).any():
            raise ValueError(f"{owner} got missing values in the target y; drop or label those rows.")
        # Integer, boolean and string labels are always classes (strings: scikit-learn's
        # type check would find them multiclass or binary, after a slower look at them).
        if y.dtype.kind not in "biuUS" and not (y.dtype == object and pd.api.types.infer_dtype(y) == "string"):
            check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if min_classes is not None and len(classes) < min_classes:
            shown = ", ".join(repr(c.item() if isinstance(c, np.generic) else c) for c in classes[:5])
            raise ValueError(
                f"{owner} needs at least {min_classes} classes in y; got {len(classes)} "
                f"class{'es' if len(classes) != 1 else ''}: {shown}."
            )
        return y_index, classes
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner} is a regressor and needs a numeric target y; got dtype {y.dtype}.") from exc
    if not np.isfinite(y).all():
        raise ValueError(f"{owner} got NaN or infinity in the target y; drop those rows.")
    return y, None


def check_sample_weight(sample_weight: ArrayLike | float | None, n_samples: int) -> np.ndarray:
    """Validate ``sample_weight``: ``None`` gives ones; otherwise finite, non-negative,
    1-D of length ``n_samples`` and not all zero."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, float(sample_weight))
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or len(w) != n_samples:
        raise ValueError(f"sample_weight must be 1-D of length {n_samples} (one per row of X); got shape {w.shape}.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    if not w.any():
        raise ValueError("sample_weight sums to zero: at least one row needs a positive weight.")
    return w
