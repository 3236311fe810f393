"""One row's explanation, from the base value to the model's output."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Explanation

__all__ = ["WaterfallDisplay"]


class WaterfallDisplay:
    """A waterfall of one row: the base value, each feature's push, the output.

    The largest attributions get their own bar; the rest are summed into one bar, so the
    bars still add up from the base value to the output.

    Parameters
    ----------
    values : ndarray of shape (n_features,)
    base_value : float
    feature_labels : array-like of shape (n_features,)
        For example ``"age = 63"``.
    output_name : str, default=""

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    bars_ : BarContainer
        One bar per shown feature (and one for the rest), top to bottom in order.
    """

    def __init__(
        self, values: np.ndarray, base_value: float, feature_labels: ArrayLike, *, output_name: str = ""
    ) -> None:
        self.values = np.asarray(values, dtype=float)
        self.base_value = float(base_value)
        self.feature_labels = [str(label) for label in feature_labels]
        self.output_name = output_name

    @classmethod
    def from_explanation(
        cls, explanation: Explanation, *, row: int = 0, output: Hashable = 0, max_features: int = 10
    ) -> WaterfallDisplay:
        """The ``row``-th row of a local Explanation, for one output."""
        if not explanation.is_local or explanation.base_values is None:
            raise ValueError("A waterfall needs a local explanation with base values.")
        one = explanation[row, :, output]
        values = one.values[0, :, 0]
        order = np.argsort(-np.abs(values), kind="stable")
        shown, rest = order[:max_features], order[max_features:]
        data = one.data[0] if one.data is not None else [None] * len(values)
        labels = [f"{one.feature_names[j]} = {_format(data[j])}" if one.data is not None else str(one.feature_names[j])
                  for j in shown]
        bar_values = list(values[shown])
        if len(rest):
            labels.append(f"{len(rest)} other features")
            bar_values.append(values[rest].sum())
        return cls(bar_values, one.base_values[0, 0], labels, output_name=str(one.output_names[0]))

    def plot(
        self, ax: Axes | None = None, *, up_color: Any = "#c44e52", down_color: Any = "#4c72b0"
    ) -> WaterfallDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 0.4 * len(self.values) + 1.5))
        starts = self.base_value + np.concatenate([[0.0], np.cumsum(self.values)[:-1]])
        positions = np.arange(len(self.values))[::-1]  # first bar on top
        colors = [up_color if v >= 0 else down_color for v in self.values]
        self.bars_ = ax.barh(positions, self.values, left=starts, color=colors)
        ax.set_yticks(positions, labels=self.feature_labels)
        ax.axvline(self.base_value, color="grey", linestyle=":", linewidth=1)
        output = self.base_value + self.values.sum()
        ax.axvline(output, color="black", linewidth=1)
        ax.set_xlabel(f"{self.output_name}: base {self.base_value:.3g} -> output {output:.3g}")
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _format(value):
    if isinstance(value, (float, np.floating)):
        return "missing" if np.isnan(value) else f"{value:.4g}"
    return str(value)
