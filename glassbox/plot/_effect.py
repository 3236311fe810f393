"""Curves and heatmaps of an Effect: PDP, ICE, ALE and additive shape functions."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import rcParams, ticker
from matplotlib.font_manager import FontProperties
from numpy.typing import ArrayLike

from .._core import format_number
from ._words import EM, ReadableLocator, axis_points, fit_category_labels, method_words, readable_axis, value_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Effect

__all__ = ["EffectDisplay"]

_MISSING = "missing"


class EffectDisplay:
    """The picture of an Effect: a curve, bars, or a heatmap for a pair.

    - a numeric feature is a line, with its individual (ICE) curves and its band when
      the Effect has them; a missing level (the NaN that ends the grid) is its own mark
      to the right of the curve, on a tick labelled ``"missing"``. Given the data, the
      axis covers the data's whole range and the deciles of the data are ticks along
      the bottom, so the reader sees where rows are and where the curve stops;
    - a categorical feature is one horizontal bar per level (``"missing"``
      included), the level with the largest effect on top, with the band as error
      bars: level names never collide, however many;
    - a pair is a heatmap, the first feature across and the second up: a numeric axis
      is drawn to scale (each cell reaching halfway to its neighbours), a categorical
      axis one cell per level (its labels turned upright when crowded), and a missing
      level is a cell of its own after a gap.

    A missing level that no row reached (``counts`` of zero) is left out.

    Parameters
    ----------
    effect : Effect
        A one-feature or two-feature Effect.
    output : int or label, default=0
        Which output to draw.
    data_quantiles : dict, default=None
        For a numeric feature, the minimum, the nine deciles and the maximum of its
        data (11 values, by feature name), as :meth:`from_effect` computes from ``X``.
    output_label : str, default=None
        What the output is (``"probability of >50K"``), for the axis label; the
        output's name by default.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : list of Line2D
        The averaged curve first, then the individual curves (numeric feature).
    bars_ : BarContainer or None
        For a categorical feature, top to bottom.
    deciles_ : LineCollection or None
        The ticks of the data's minimum, deciles and maximum along a numeric
        feature's axis.
    band_ : PolyCollection or None
        The band around a numeric curve.
    missing_markers_ : list of Line2D
        The missing level of a numeric feature: the averaged value first, then one
        Line2D holding the individual values. Empty when there is no missing level.
    missing_band_ : LineCollection or None
        The band at the missing level.
    mesh_ : QuadMesh or None
        The heatmap of a pair; cells of the gap before a missing level are masked.
    colorbar_ : Colorbar or None
        The colour scale of the heatmap.

    See Also
    --------
    glassbox.Effect.plot : Draws an Effect with this display.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox import Effect
    >>> from glassbox.plot import EffectDisplay
    >>> grid = np.array([0.0, 1.0, 2.0, np.nan])  # the last point is the missing level
    >>> effect = Effect(("age",), (grid,), np.array([[0.0], [1.0], [4.0], [2.5]]), method="pdp")
    >>> disp = EffectDisplay.from_effect(effect).plot()
    >>> disp.lines_[0].get_ydata().tolist(), disp.missing_markers_[0].get_ydata().tolist()
    ([0.0, 1.0, 4.0], [2.5])
    """

    def __init__(
        self,
        effect: Effect,
        *,
        output: Hashable = 0,
        data_quantiles: dict[str, np.ndarray] | None = None,
        output_label: str | None = None,
    ) -> None:
        self.effect = effect[output]
        self.output = output
        self.data_quantiles = data_quantiles or {}
        self.output_label = output_label

    @classmethod
    def from_effect(
        cls, effect: Effect, *, output: Hashable = 0, X: ArrayLike | None = None, output_label: str | None = None
    ) -> EffectDisplay:
        """The display of one output of ``effect``.

        Parameters
        ----------
        effect : Effect
        output : int or label, default=0
        X : DataFrame or array-like of shape (n_samples, n_features), default=None
            The data the effect describes (a DataFrame with the effect's feature
            names as columns, or an array when the names are ``x0, x1...``): its
            deciles are drawn and its range covered.
        output_label : str, default=None
            What the output is, for the axis label.

        Returns
        -------
        display : EffectDisplay
        """
        quantiles = {}
        if X is not None:
            for name in effect.feature_names:
                column = _data_column(X, name)
                if column is not None:
                    present = column[~np.isnan(column)]
                    if len(present):
                        quantiles[name] = np.quantile(present, np.linspace(0, 1, 11))
        return cls(effect, output=output, data_quantiles=quantiles, output_label=output_label)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        max_individual: int = 50,
        colorbar: bool = True,
        order: str = "effect",
        **style_kw: Any,
    ) -> EffectDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        max_individual : int, default=50
            Most individual curves drawn (numeric feature).
        colorbar : bool, default=True
            Whether a heatmap gets a colour bar.
        order : {"effect", "grid"}, default="effect"
            The bars of a categorical feature by their effect, the largest on top, or
            in the order of the grid (for ordered levels).
        **style_kw
            Passed to the main artist: ``plot`` for the curve, ``bar`` for the bars,
            ``pcolormesh`` for the heatmap (``cmap``, ``vmin``...).
        """
        import matplotlib.pyplot as plt

        if order not in ("effect", "grid"):
            raise ValueError(f"order must be 'effect' or 'grid'; got {order!r}.")
        effect = self.effect
        is_bars = not effect.is_2d and not _is_numeric_axis(effect.grid[0], effect.is_categorical[0])
        if ax is None:
            if effect.is_2d:
                size = (5.5, 4)
            elif is_bars:
                size = (5, 0.32 * len(effect.grid[0]) + 1.3)
            else:
                size = (5, 3.5)
            _, ax = plt.subplots(figsize=size)
        self.lines_, self.bars_, self.band_, self.deciles_ = [], None, None, None
        self.missing_markers_, self.missing_band_ = [], None
        self.mesh_, self.colorbar_ = None, None
        label = f"{method_words(effect.method or 'effect')} ({self.output_label or effect.output_names[0]})"
        if effect.is_2d:
            self._plot_pair(ax, label, colorbar, style_kw)
            ax.set_xlabel(effect.feature_names[0])
        elif is_bars:
            self._plot_bars(ax, order, style_kw)
            readable_axis(ax.xaxis)
            ax.set_xlabel(label)
            ax.set_ylabel(effect.feature_names[0])
        else:
            readable_axis(ax.xaxis)  # before the curve, which may replace it
            self._plot_curve(ax, max_individual, style_kw)
            ax.set_ylabel(label)
            ax.set_xlabel(effect.feature_names[0])
        self.ax_, self.figure_ = ax, ax.figure
        return self

    # -- one feature -----------------------------------------------------------------
    def _plot_curve(self, ax, max_individual, line_kw):
        effect = self.effect
        present = ~_is_missing(effect.grid[0])
        grid = np.where(present, effect.grid[0], np.nan).astype(np.float64)
        x = grid[present]
        if effect.individual is not None:
            for curve in effect.individual[:max_individual, present, 0]:
                self.lines_.append(ax.plot(x, curve, color="grey", alpha=0.3, linewidth=0.7)[0])
        if effect.lower is not None:
            self.band_ = ax.fill_between(x, effect.lower[present, 0], effect.upper[present, 0], alpha=0.25)
        line = ax.plot(x, effect.values[present, 0], **{"color": "#c44e52", "linewidth": 2, **line_kw})[0]
        self.lines_.insert(0, line)
        quantiles = self.data_quantiles.get(effect.feature_names[0])
        if quantiles is not None:
            # The minimum, deciles and maximum as ticks along the bottom: the axis reaches the
            # data's extremes, and the reader sees where the rows are.
            self.deciles_ = ax.vlines(quantiles, 0, 0.05, color="black", linewidth=1,
                                      transform=ax.get_xaxis_transform())
            x = np.concatenate([x, quantiles[[0, -1]]])

        missing = np.flatnonzero(~present & _reached(effect.counts, 0, len(grid)))
        if not len(missing):
            return
        m = missing[0]
        if len(x) > 1:
            span, top = np.ptp(x), x.max()
        else:  # one point, or none: a unit gap
            span, top = (max(abs(x[0]), 1.0), x[0]) if len(x) else (1.0, 0.0)
        x_missing = top + 0.15 * span
        if effect.individual is not None:
            individual = effect.individual[:max_individual, m, 0]
            (points,) = ax.plot(np.full(len(individual), x_missing), individual, linestyle="none", marker="o",
                                markersize=3, color="grey", alpha=0.3)
        if effect.lower is not None:
            self.missing_band_ = ax.vlines(x_missing, effect.lower[m, 0], effect.upper[m, 0], color="#4c72b0",
                                           alpha=0.6, linewidth=6)
        (marker,) = ax.plot([x_missing], [effect.values[m, 0]], linestyle="none", marker="D", markersize=7,
                            color=line.get_color())
        self.missing_markers_ = [marker] + ([points] if effect.individual is not None else [])
        _label_missing(ax.xaxis, upper=top + 0.05 * span, position=x_missing)

    def _plot_bars(self, ax, order, bar_kw):
        effect = self.effect
        grid = effect.grid[0]
        keep = np.flatnonzero(~_is_missing(grid) | _reached(effect.counts, 0, len(grid)))
        if order == "effect":
            keep = keep[np.argsort(-effect.values[keep, 0], kind="stable")]  # the largest effect first
        values = effect.values[keep, 0]
        error = None
        if effect.lower is not None:
            error = np.vstack([values - effect.lower[keep, 0], effect.upper[keep, 0] - values])
        positions = np.arange(len(keep))[::-1]  # the first level on top
        self.bars_ = ax.barh(positions, values, xerr=error, **{"color": "#4c72b0", **bar_kw})
        ax.set_yticks(positions, labels=[_level_label(g) for g in grid[keep]])
        ax.axvline(0.0, color="grey", linewidth=0.8, zorder=0)

    # -- a pair ----------------------------------------------------------------------
    def _plot_pair(self, ax, label, colorbar, mesh_kw):
        effect = self.effect
        counts = None if effect.counts is None else np.asarray(effect.counts, dtype=np.float64)
        axes = []
        for k in range(2):
            grid = effect.grid[k]
            # Rows behind each grid point of this axis: counts summed over the other axis.
            reached = None if counts is None else counts.sum(axis=1 - k) > 0
            axes.append(_HeatmapAxis(grid, effect.is_categorical[k], reached))
        x_axis, y_axis = axes
        values = effect.values[:, :, 0]  # (n_x, n_y)
        cells = np.full((len(y_axis.cells), len(x_axis.cells)), np.nan)  # (n_y cells, n_x cells)
        ix, iy = x_axis.cells >= 0, y_axis.cells >= 0
        cells[np.ix_(iy, ix)] = values[np.ix_(x_axis.cells[ix], y_axis.cells[iy])].T
        self.mesh_ = ax.pcolormesh(x_axis.edges, y_axis.edges, np.ma.masked_invalid(cells),
                                   **{"cmap": "viridis", "shading": "flat", **mesh_kw})
        if x_axis.numeric:
            readable_axis(ax.xaxis)
        x_axis.label(ax.xaxis)
        y_axis.label(ax.yaxis)
        if not x_axis.numeric:
            fit_category_labels(ax.xaxis)
        ax.set_ylabel(effect.feature_names[1])
        if colorbar:
            self.colorbar_ = ax.figure.colorbar(self.mesh_, ax=ax, label=label)


class _HeatmapAxis:
    """Where the grid points of one heatmap axis go.

    ``edges`` are the cell boundaries (``len(cells) + 1``, increasing) and ``cells[i]``
    the grid point drawn in cell ``i`` (-1 for the empty gap before the missing level).
    """

    def __init__(self, grid, is_categorical, reached):
        grid = np.asarray(grid)
        missing = _is_missing(grid)
        keep = ~missing | (True if reached is None else reached)
        points = np.flatnonzero(keep)
        self.numeric = _is_numeric_axis(grid, is_categorical)
        self.missing_position = None
        if not self.numeric:
            self.cells = points
            self.edges = np.arange(len(points) + 1) - 0.5
            self.ticks = np.arange(len(points), dtype=np.float64)
            self.tick_labels = [_level_label(g) for g in grid[points]]
            return
        present = points[~missing[points]]
        x = grid[present].astype(np.float64)
        if len(x) > 1:
            middles = (x[1:] + x[:-1]) / 2
            edges = np.concatenate([[x[0] - (middles[0] - x[0])], middles, [x[-1] + (x[-1] - middles[-1])]])
            width = float(np.median(np.diff(edges)))
        else:
            width = max(abs(x[0]) * 0.1, 1.0) if len(x) else 1.0
            edges = np.array([x[0] - width / 2, x[0] + width / 2]) if len(x) else np.array([-0.5, 0.5])
        cells = list(present)
        missing_points = points[missing[points]]
        self.upper = edges[-1]
        if len(missing_points):
            # An empty gap of half a cell, then the missing level's cell.
            edges = np.concatenate([edges, [edges[-1] + width / 2, edges[-1] + 3 * width / 2]])
            cells += [-1, missing_points[0]]
            self.missing_position = edges[-1] - width / 2
        self.cells = np.asarray(cells, dtype=np.intp)
        self.edges = edges

    def label(self, axis):
        if not self.numeric:
            axis.set_ticks(self.ticks, labels=self.tick_labels)
        elif self.missing_position is not None:
            _label_missing(axis, upper=self.upper, position=self.missing_position)


# -- helpers shared with the other displays ---------------------------------------------
def _is_missing(values):
    """NaN or None, elementwise, for numeric and object arrays."""
    values = np.asarray(values)
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    return np.fromiter((v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)) for v in values.ravel()),
                       dtype=bool, count=values.size).reshape(values.shape)


def _level_label(value):
    """A grid level or data value as text, ``"missing"`` for NaN."""
    if _is_missing(np.asarray([value], dtype=object))[0]:
        return _MISSING
    return value_text(value)


def _data_column(X, name):
    """The values of feature ``name`` of ``X`` as floats, or None when not numeric (or absent)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        if name not in X.columns:
            return None
        column = X[name]
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            return None
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    X = np.asarray(X)
    if not (name.startswith("x") and name[1:].isdigit()) or int(name[1:]) >= X.shape[1]:
        return None
    try:
        return X[:, int(name[1:])].astype(np.float64)
    except (TypeError, ValueError):
        return None


def _is_numeric_axis(grid, is_categorical):
    """Whether an axis is drawn to scale: numeric values, increasing, not categorical."""
    if is_categorical:
        return False
    grid = np.asarray(grid)
    present = grid[~_is_missing(grid)]
    try:
        x = present.astype(np.float64)
    except (TypeError, ValueError):
        return False
    # Non-decreasing: ALE's grid repeats an edge where a value holds many rows (a zero-inflated column).
    return bool(np.all(np.diff(x) >= 0))


def _reached(counts, axis, n):
    """Whether rows reached each grid point along ``axis`` (all, without counts)."""
    if counts is None:
        return np.ones(n, dtype=bool)
    counts = np.asarray(counts, dtype=np.float64)
    other = tuple(a for a in range(counts.ndim) if a != axis)
    return counts.sum(axis=other) > 0 if other else counts > 0


def _label_missing(axis, *, upper, position):
    """Numeric ticks up to ``upper``, and one tick labelled "missing" at ``position``."""
    axis.set_major_locator(_MissingLocator(upper, position))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: _MISSING if value == position else
                                                  format_number(value)))


class _MissingLocator(ticker.Locator):
    """The usual ticks of the values up to ``upper``, then one at ``position``."""

    def __init__(self, upper, position):
        self.upper, self.position = upper, position
        self.base = ReadableLocator()

    def set_axis(self, axis):
        super().set_axis(axis)
        self.base.set_axis(axis)

    def __call__(self):
        low, high = self.axis.get_view_interval()
        return self.tick_values(low, high)

    def tick_values(self, vmin, vmax):
        ticks = [t for t in self.base.tick_values(vmin, min(vmax, self.upper)) if vmin <= t <= self.upper]
        if not vmin <= self.position <= vmax:
            return np.asarray(ticks)
        if self.axis is not None and self.axis.axes is not None and vmax > vmin:
            # A number closer to "missing" than half their two labels and a space is left out.
            points_per_unit = axis_points(self.axis.axes) / (vmax - vmin)
            size = FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points()
            texts = self.axis.get_major_formatter().format_ticks(ticks) if ticks else []
            ticks = [t for t, text in zip(ticks, texts)
                     if (self.position - t) * points_per_unit >= EM * size * ((len(text) + len(_MISSING)) / 2 + 1)]
        return np.asarray(ticks + [self.position])
