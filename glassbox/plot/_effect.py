"""Curves of an Effect: PDP, ICE, ALE and additive shape functions."""

from __future__ import annotations

import numpy as np

__all__ = ["EffectDisplay"]


class EffectDisplay:
    """The curve of a one-feature Effect: a line for numeric features, bars for
    categorical ones, with individual curves and a band when the Effect has them.

    Parameters
    ----------
    effect : Effect
        A one-feature Effect (pairs are drawn as heatmaps by later displays).
    output : int or label, default=0
        Which output to draw.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The averaged curve first, then the individual curves.
    bars_ : BarContainer or None
        For a categorical feature.
    band_ : PolyCollection or None
    """

    def __init__(self, effect, *, output=0):
        if effect.is_2d:
            raise ValueError("EffectDisplay draws one-feature effects; this Effect covers a pair.")
        self.effect = effect[output]
        self.output = output

    @classmethod
    def from_effect(cls, effect, *, output=0):
        return cls(effect, output=output)

    def plot(self, ax=None, *, max_individual=50, **line_kw):
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        effect = self.effect
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        grid, values = effect.grid[0], effect.values[:, 0]
        self.lines_, self.bars_, self.band_ = [], None, None
        if effect.is_categorical[0]:
            labels = ["missing" if (isinstance(g, float) and np.isnan(g)) else str(g) for g in grid]
            error = None
            if effect.lower is not None:
                error = np.vstack([values - effect.lower[:, 0], effect.upper[:, 0] - values])
            self.bars_ = ax.bar(labels, values, yerr=error, color="#4c72b0")
        else:
            if effect.individual is not None:
                for curve in effect.individual[:max_individual, :, 0]:
                    self.lines_.append(ax.plot(grid, curve, color="grey", alpha=0.3, linewidth=0.7)[0])
            if effect.lower is not None:
                self.band_ = ax.fill_between(grid, effect.lower[:, 0], effect.upper[:, 0], alpha=0.25)
            self.lines_.insert(0, ax.plot(grid, values, **{"color": "#c44e52", "linewidth": 2, **line_kw})[0])
        ax.set_xlabel(effect.feature_names[0])
        ax.set_ylabel(f"{effect.method or 'effect'} ({effect.output_names[0]})")
        self.ax_, self.figure_ = ax, ax.figure
        return self
