"""Small numeric helpers shared across glassbox: quadrature, plain scalars and numbers as text."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["format_number", "gauss_legendre", "plain", "safe_mean_std", "safe_norm", "safe_std", "softmax_rows"]


def gauss_legendre(n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``n_points``-point Gauss-Legendre quadrature on [0, 1].

    Exact for polynomials of degree up to ``2 * n_points - 1``; the weights sum to one.
    """
    nodes, weights = np.polynomial.legendre.leggauss(max(int(n_points), 1))
    return (nodes + 1.0) / 2.0, weights / 2.0


def softmax_rows(F: np.ndarray) -> np.ndarray:
    """The softmax of each row of a 2-D array of finite scores.

    scipy's arithmetic without its per-call dispatch, which costs more than the work on
    the small arrays of a fitting loop.
    """
    e = np.exp(F - np.max(F, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def format_number(value: float, digits: int = 4) -> str:
    """A number as a person writes it: ``15,024``, ``0.01235``, ``3.5``, ``-2``.

    ``digits`` significant digits, never fewer than the integer part, thousands
    separated by commas, trailing zeros dropped; only magnitudes below ``1e-6`` (or
    beyond ``1e15``) fall back to scientific notation. NaN reads ``"nan"``.
    """
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = int(np.floor(np.log10(abs(value))))
    if magnitude < -6 or magnitude >= 15:
        return f"{value:.{digits}g}"
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds; anything else as it is.

    Labels read from arrays print as ``1`` and ``'yes'`` rather than ``np.int64(1)`` and
    ``np.str_('yes')`` in text, messages and exported code.
    """
    return value.item() if isinstance(value, np.generic) else value


def safe_std(X: ArrayLike, axis: int = 0) -> np.ndarray:
    """Standard deviation (``ddof=0``) ignoring NaN, without overflow.

    Values as large as ``1e300`` are finite, but their squares are not: each slice is
    divided by its largest magnitude before squaring and multiplied back after, so the
    result is finite wherever the values are. A slice with no value gives 0.

    Parameters
    ----------
    X : ndarray
    axis : int, default=0

    Returns
    -------
    std : ndarray
    """
    return safe_mean_std(X, axis=axis)[1]


def safe_mean_std(X: ArrayLike, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation ignoring NaN, without overflow (see :func:`safe_std`).

    A slice with no value gives a mean and a standard deviation of 0.
    """
    X = np.asarray(X, dtype=np.float64)
    present = ~np.isnan(X)
    count = np.maximum(present.sum(axis=axis), 1)
    top = np.max(np.where(present, np.abs(X), 0.0), axis=axis, keepdims=True)
    top = np.where(top > 0, top, 1.0)
    scaled = np.where(present, X / top, 0.0)
    mean = scaled.sum(axis=axis, keepdims=True) / np.expand_dims(count, axis)
    var = np.where(present, np.square(scaled - mean), 0.0).sum(axis=axis) / count
    top = np.squeeze(top, axis=axis)
    return np.squeeze(mean, axis=axis) * top, np.sqrt(var) * top


def safe_norm(V: ArrayLike, axis: int = -1) -> np.ndarray:
    """Euclidean norm along ``axis`` without overflow (see :func:`safe_std`)."""
    V = np.asarray(V, dtype=np.float64)
    top = np.max(np.abs(V), axis=axis, keepdims=True)
    top = np.where(top > 0, top, 1.0)
    return np.sqrt(np.square(V / top).sum(axis=axis)) * np.squeeze(top, axis=axis)
