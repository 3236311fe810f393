"""One row's explanation, from the base value to the model's output."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .._core import format_number
from ._words import readable_axis, value_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Explanation

__all__ = ["WaterfallDisplay"]


class WaterfallDisplay:
    """A waterfall of one row: the base value, each feature's push, the output.

    The largest attributions get their own bar; the rest are summed into one bar, so the
    bars still add up from the base value ``E[f(X)]`` to the row's output ``f(x)``, both
    marked. Every bar carries its value. With ``link="logit"`` the values are log-odds
    and the waterfall is drawn in probability: each bar runs between the probabilities
    of its two ends, so the bars add up from the average probability to the row's.

    Parameters
    ----------
    values : ndarray of shape (n_bars,)
    base_value : float
    feature_labels : array-like of shape (n_bars,)
        For example ``"age = 63"``.
    output_name : str, default=""
    link : {"identity", "logit"}, default="identity"
        ``"logit"`` reads the values as log-odds and draws probabilities.
    xlabel : str, default=None
        The axis label; ``"probability of <output_name>"`` with the logit link, the
        output's name otherwise.

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    bars_ : BarContainer
        One bar per shown feature (and one for the rest), top to bottom in order.
    bar_labels_ : list of Text
        The value written by each bar, in the order of ``bars_``.
    base_label_, output_label_ : Text
        ``"E[f(X)] = ..."`` under the bars and ``"f(x) = ..."`` above them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox import Explanation
    >>> from glassbox.plot import WaterfallDisplay
    >>> exp = Explanation(np.array([[[1.5], [-0.5]]]), base_values=[[0.0]], data=np.array([[15024.0, 2.0]]),
    ...                   feature_names=["capital_gain", "age"], output_names=[">50K"])
    >>> disp = WaterfallDisplay.from_explanation(exp, link="logit").plot()
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['capital_gain = 15,024', 'age = 2']
    >>> disp.base_label_.get_text(), disp.output_label_.get_text()
    ('E[f(X)] = 0.5', 'f(x) = 0.731')
    >>> [t.get_text() for t in disp.bar_labels_]
    ['+0.318', '-0.0865']
    """

    def __init__(
        self,
        values: np.ndarray,
        base_value: float,
        feature_labels: ArrayLike,
        *,
        output_name: str = "",
        link: Literal["identity", "logit"] = "identity",
        xlabel: str | None = None,
    ) -> None:
        self.values = np.asarray(values, dtype=float)
        self.base_value = float(base_value)
        self.feature_labels = [str(label) for label in feature_labels]
        self.output_name = output_name
        if link not in ("identity", "logit"):
            raise ValueError(f"link must be 'identity' or 'logit'; got {link!r}.")
        self.link = link
        self.xlabel = xlabel

    @classmethod
    def from_explanation(
        cls,
        explanation: Explanation,
        *,
        row: int = 0,
        output: Hashable = 0,
        max_features: int = 10,
        link: Literal["identity", "logit"] = "identity",
        xlabel: str | None = None,
    ) -> WaterfallDisplay:
        """The ``row``-th row of a local Explanation, for one output.

        ``link="logit"`` when the explanation is in log-odds and the reader wants
        probabilities; ``xlabel`` names the output (see the class).
        """
        if not explanation.is_local or explanation.base_values is None:
            raise ValueError("A waterfall needs a local explanation with base values.")
        one = explanation[row, :, output]
        values = one.values[0, :, 0]
        order = np.argsort(-np.abs(values), kind="stable")
        shown, rest = order[:max_features], order[max_features:]
        labels = [f"{one.feature_names[j]} = {value_text(one.data[0][j])}" if one.data is not None
                  else str(one.feature_names[j]) for j in shown]
        bar_values = list(values[shown])
        if len(rest):
            labels.append(f"{len(rest)} other features")
            bar_values.append(values[rest].sum())
        return cls(bar_values, one.base_values[0, 0], labels, output_name=str(one.output_names[0]), link=link,
                   xlabel=xlabel)

    def plot(
        self, ax: Axes | None = None, *, up_color: Any = "#c44e52", down_color: Any = "#4c72b0"
    ) -> WaterfallDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        n_bars = len(self.values)
        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 0.4 * n_bars + 1.8))
        ends = self.base_value + np.concatenate([[0.0], np.cumsum(self.values)])  # (n_bars + 1,) in the values' units
        shown = expit(ends) if self.link == "logit" else ends  # the same, on the axis
        starts, widths = shown[:-1], np.diff(shown)
        positions = np.arange(n_bars)[::-1]  # first bar on top
        colors = [up_color if v >= 0 else down_color for v in self.values]
        self.bars_ = ax.barh(positions, widths, left=starts, color=colors)
        ax.set_yticks(positions, labels=self.feature_labels)
        base, output = shown[0], shown[-1]
        ax.axvline(base, color="grey", linestyle=":", linewidth=1, zorder=0)
        ax.axvline(output, color="black", linewidth=1, zorder=0)
        span = max(np.ptp(shown), 1e-12)
        self.bar_labels_ = []
        for position, start, width in zip(positions, starts, widths):
            end = start + width
            self.bar_labels_.append(ax.annotate(
                _signed(width), (end, position), xytext=(4 if width >= 0 else -4, 0), textcoords="offset points",
                ha="left" if width >= 0 else "right", va="center", fontsize="small",
            ))
        self.base_label_ = ax.text(base, -0.75, f"E[f(X)] = {format_number(base, 3)}", ha="center", va="top",
                                   fontsize="small", color="#444444")
        self.output_label_ = ax.text(output, n_bars - 0.25, f"f(x) = {format_number(output, 3)}", ha="center",
                                     va="bottom", fontsize="small", fontweight="bold")
        ax.set_xlim(shown.min() - 0.3 * span, shown.max() + 0.3 * span)  # room for the labels, lines off the frame
        ax.set_ylim(-1.4, n_bars + 0.4)
        readable_axis(ax.xaxis)
        if self.xlabel is not None:
            ax.set_xlabel(self.xlabel)
        else:
            ax.set_xlabel(f"probability of {self.output_name}" if self.link == "logit" else self.output_name)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _signed(value):
    text = format_number(value, 3)
    return text if text.startswith("-") else f"+{text}"
