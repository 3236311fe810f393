"""The accuracy-complexity trade-off: every candidate, the Pareto front, the choice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import ticker
from numpy.typing import ArrayLike

from .._core import format_number
from ..metrics import tradeoff_table
from ._words import metric_words, readable_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["TradeoffDisplay"]


class TradeoffDisplay:
    """Score against complexity for the candidates of a search, with the front drawn.

    Parameters
    ----------
    complexity : ndarray of shape (n_candidates,)
    score : ndarray of shape (n_candidates,)
    score_std : ndarray of shape (n_candidates,) or None
    front : ndarray of int
        Indices of the candidates on the Pareto front, least complex first.
    chosen : int or None
        Index of the chosen candidate (for example ``search.best_index_``).
    labels : array-like of shape (n_candidates,) or None
        A family name per candidate; each family gets its own colour.
    metric : str, default="score"

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    points_ : list of PathCollection
        One scatter per family.
    front_line_ : Line2D
    chosen_marker_ : Line2D or None
    """

    def __init__(
        self,
        complexity: np.ndarray,
        score: np.ndarray,
        *,
        score_std: np.ndarray | None = None,
        front: np.ndarray,
        chosen: int | None = None,
        labels: ArrayLike | None = None,
        metric: str = "score",
    ) -> None:
        self.complexity = np.asarray(complexity, dtype=float)
        self.score = np.asarray(score, dtype=float)
        self.score_std = None if score_std is None else np.asarray(score_std, dtype=float)
        self.front = np.asarray(front, dtype=int)
        self.chosen = chosen
        self.labels = None if labels is None else np.asarray(labels, dtype=object)
        self.metric = metric

    @classmethod
    def from_cv_results(
        cls,
        cv_results: Mapping[str, Any],
        metric: str,
        *,
        complexity: str = "complexity",
        chosen: int | None = None,
        labels: ArrayLike | Callable[[dict[str, Any]], str] | None = None,
    ) -> TradeoffDisplay:
        """From the ``cv_results_`` of a search scored on ``metric`` and complexity.

        ``labels`` may be a callable mapping a candidate's params to a family name.
        """
        table = tradeoff_table(cv_results, metric, complexity=complexity)
        if callable(labels):
            labels = [labels(params) for params in table["params"]]
        cost = table["complexity"].to_numpy()
        front = np.flatnonzero(table["on_front"])
        front = front[np.argsort(cost[front], kind="stable")]
        return cls(
            cost,
            table[f"mean_{metric}"].to_numpy(),
            score_std=table[f"std_{metric}"].to_numpy(),
            front=front,
            chosen=chosen,
            labels=labels,
            metric=metric,
        )

    def plot(self, ax: Axes | None = None, *, log_complexity: bool = True) -> TradeoffDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        labels = self.labels if self.labels is not None else np.full(len(self.score), "candidate", dtype=object)
        self.points_ = []
        for family in dict.fromkeys(labels.tolist()):  # first-seen order
            members = labels == family
            self.points_.append(ax.scatter(self.complexity[members], self.score[members], label=str(family), s=28))
        (self.front_line_,) = ax.plot(
            self.complexity[self.front], self.score[self.front], color="black", linewidth=1, drawstyle="steps-post",
            label="Pareto front",
        )
        self.chosen_marker_ = None
        if self.chosen is not None:
            (self.chosen_marker_,) = ax.plot(
                self.complexity[self.chosen], self.score[self.chosen], marker="*", markersize=16, color="gold",
                markeredgecolor="black", linestyle="none", label="chosen",
            )
        if log_complexity and (self.complexity > 0).all():
            ax.set_xscale("log")
            # 1, 2, 5 in each decade while they fit; powers of ten alone over more than two decades,
            # where "1,000" and "2,000" would run together.
            decades = np.log10(self.complexity.max() / self.complexity.min())
            ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 2 else (1.0,)))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: format_number(value)))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        else:
            readable_axis(ax.xaxis)
        ax.set_xlabel("complexity (pieces a reader must read)")
        ax.set_ylabel(f"mean cross-validated {metric_words(self.metric)}")
        ax.legend(fontsize="small", loc="lower right")
        self.ax_, self.figure_ = ax, ax.figure
        return self
