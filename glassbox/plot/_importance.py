"""Bars of global importance, with error bars."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Explanation

__all__ = ["ImportanceDisplay"]


class ImportanceDisplay:
    """Horizontal bars of feature importance, largest on top.

    Build it with :meth:`from_explanation`; :meth:`plot` draws it.

    Parameters
    ----------
    importances : ndarray of shape (n_features,)
    feature_names : array-like of shape (n_features,)
    std : ndarray of shape (n_features,), default=None
        Drawn as error bars.
    xlabel : str, default="importance"

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    bars_ : matplotlib BarContainer
    """

    def __init__(
        self,
        importances: np.ndarray,
        feature_names: ArrayLike,
        *,
        std: np.ndarray | None = None,
        xlabel: str = "importance",
    ) -> None:
        self.importances = np.asarray(importances, dtype=np.float64)
        self.feature_names = np.asarray(feature_names, dtype=object)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)
        self.xlabel = xlabel

    @classmethod
    def from_explanation(
        cls, explanation: Explanation, *, output: Hashable = 0, max_features: int = 20
    ) -> ImportanceDisplay:
        """Importances of one output of an Explanation (local ones are reduced to mean |value|)."""
        exp = explanation.mean_abs() if explanation.is_local else explanation
        exp = exp[:, output]
        values = exp.values[:, 0]
        order = np.argsort(-np.abs(values), kind="stable")[:max_features]
        std = None if exp.std is None else exp.std[order, 0]
        label = f"{exp.method} ({exp.output_names[0]})" if exp.method else str(exp.output_names[0])
        return cls(values[order], exp.feature_names[order], std=std, xlabel=label)

    def plot(self, ax: Axes | None = None, **bar_kw: Any) -> ImportanceDisplay:
        """Draw the bars on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(self.importances) + 1.2))
        positions = np.arange(len(self.importances))[::-1]  # largest on top
        self.bars_ = ax.barh(positions, self.importances, xerr=self.std, **{"color": "#4c72b0", **bar_kw})
        ax.set_yticks(positions, labels=[str(n) for n in self.feature_names])
        ax.set_xlabel(self.xlabel)
        self.ax_, self.figure_ = ax, ax.figure
        return self
