"""Bars of global importance, with error bars that stay above zero."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._words import attribution_label, readable_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Explanation

__all__ = ["ImportanceDisplay"]


class ImportanceDisplay:
    """Horizontal bars of feature importance, largest on top.

    Bars and error bars stop at zero: an importance below zero (a permutation that
    happened to help) is drawn as no bar, and the error bar of a small importance is cut
    at zero rather than claiming a negative importance.

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

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox import Explanation
    >>> from glassbox.plot import ImportanceDisplay
    >>> exp = Explanation(np.array([[3.0], [1.0], [0.5], [0.25]]), feature_names=["a", "b", "c", "d"],
    ...                   output_names=["y"], method="permutation_importance")
    >>> disp = ImportanceDisplay.from_explanation(exp, max_features=2).plot()
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]  # top to bottom
    ['a', 'b', '2 other features']
    >>> disp.ax_.get_xlabel()
    'permutation importance (impact on y)'
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
        cls, explanation: Explanation, *, output: Hashable = 0, max_features: int = 20, output_label: str | None = None
    ) -> ImportanceDisplay:
        """Importances of one output of an Explanation (local ones are reduced to mean |value|).

        Parameters
        ----------
        explanation : Explanation
        output : int or label, default=0
        max_features : int, default=20
            Features shown, the most important first; the others are folded into one
            last bar, ``"<k> other features"``, the sum of their importances above zero.
        output_label : str, default=None
            What the output is, for the axis label (``"log-odds of >50K"``); the
            output's name by default.

        Returns
        -------
        display : ImportanceDisplay
        """
        exp = explanation.mean_abs() if explanation.is_local else explanation
        exp = exp[:, output]
        values = exp.values[:, 0]
        order = np.argsort(-values, kind="stable")
        shown, rest = order[:max_features], order[max_features:]
        names = list(exp.feature_names[shown])
        importances = list(values[shown])
        std = None if exp.std is None else list(exp.std[shown, 0])
        if len(rest):
            names.append(f"{len(rest)} other features")
            importances.append(float(np.clip(values[rest], 0, None).sum()))
            if std is not None:
                std.append(0.0)  # no spread is known for the sum
        label = attribution_label(exp.method, exp.output_names[0], output_label)
        return cls(importances, names, std=std, xlabel=label)

    def plot(self, ax: Axes | None = None, **bar_kw: Any) -> ImportanceDisplay:
        """Draw the bars on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(self.importances) + 1.2))
        positions = np.arange(len(self.importances))[::-1]  # largest on top
        widths = np.clip(self.importances, 0, None)
        error = None
        if self.std is not None:
            std = np.nan_to_num(self.std)
            error = np.vstack([np.minimum(std, widths), std])  # the lower arm stops at zero
        self.bars_ = ax.barh(positions, widths, xerr=error, **{"color": "#4c72b0", **bar_kw})
        ax.set_yticks(positions, labels=[str(n) for n in self.feature_names])
        ax.set_xlim(left=0)
        readable_axis(ax.xaxis)
        ax.set_xlabel(self.xlabel)
        self.ax_, self.figure_ = ax, ax.figure
        return self
