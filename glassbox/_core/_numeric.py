"""Small numeric helpers shared across glassbox: quadrature and plain scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["gauss_legendre", "plain"]


def gauss_legendre(n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``n_points``-point Gauss-Legendre quadrature on [0, 1].

    Exact for polynomials of degree up to ``2 * n_points - 1``; the weights sum to one.
    """
    nodes, weights = np.polynomial.legendre.leggauss(max(int(n_points), 1))
    return (nodes + 1.0) / 2.0, weights / 2.0


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds; anything else as it is.

    Labels read from arrays print as ``1`` and ``'yes'`` rather than ``np.int64(1)`` and
    ``np.str_('yes')`` in text, messages and exported code.
    """
    return value.item() if isinstance(value, np.generic) else value
