"""The summary of a local explanation: one swarm of points per feature."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._effect import _is_missing
from ._words import attribution_label, readable_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

    from ..explanation import Explanation

__all__ = ["BeeswarmDisplay"]

_N_BINS = 100  # bins along the value axis in which points stack


class BeeswarmDisplay:
    """One row per feature, one point per explained row: the SHAP summary plot.

    Features are ordered by mean absolute value, the most important on top. Each point
    is one row's attribution, spread vertically where many rows have similar values
    (so a swarm's thickness shows density) and coloured by that row's value of the
    feature on one low-to-high colour scale, shown by one colour bar: a numeric
    feature from its 5th to its 95th percentile, a categorical feature's levels in the
    order of their mean attribution (the level that pushes the output lowest is
    "low"), missing values in grey. No legend: a level's colour says where its rows
    push, whatever the number of levels.

    Build it with :meth:`from_explanation`; :meth:`plot` draws it.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_rows)
        The attributions of each row (of the figure): a feature, or the sum of the
        features left out.
    feature_names : array-like of shape (n_rows,)
    data : ndarray of shape (n_samples, n_rows), default=None
        The feature values, as a person reads them (levels for categories, NaN for
        missing); a column of ``None`` is drawn grey. Without data every point is grey.
    is_categorical : array-like of bool of shape (n_rows,), default=None
        Whether a column of ``data`` holds levels; by default, the columns whose
        present values are not all numbers.
    xlabel : str, default="attribution"

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    points_ : list of PathCollection
        One scatter per feature row, top to bottom; ``points_[i].get_offsets()[:, 0]``
        are ``values[:, i]`` in row order.
    colorbar_ : Colorbar or None
        The low-to-high scale of the feature values.

    See Also
    --------
    ImportanceDisplay : The mean absolute value alone, as bars.
    WaterfallDisplay : One row's attributions from the base value to the output.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox import Explanation
    >>> from glassbox.plot import BeeswarmDisplay
    >>> rng = np.random.default_rng(0)
    >>> data = rng.normal(size=(50, 3))
    >>> exp = Explanation((data * [3.0, 1.0, 0.1])[:, :, None], data=data, feature_names=["a", "b", "c"])
    >>> disp = BeeswarmDisplay.from_explanation(exp).plot()
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]  # top to bottom
    ['a', 'b', 'c']
    >>> len(disp.points_[0].get_offsets())
    50
    """

    def __init__(
        self,
        values: np.ndarray,
        feature_names: ArrayLike,
        *,
        data: np.ndarray | None = None,
        is_categorical: ArrayLike | None = None,
        xlabel: str = "attribution",
    ) -> None:
        self.values = np.asarray(values, dtype=np.float64)
        if self.values.ndim != 2:
            raise ValueError(f"BeeswarmDisplay needs values of shape (n_samples, n_rows); got {self.values.shape}.")
        self.feature_names = np.asarray(feature_names, dtype=object)
        if len(self.feature_names) != self.values.shape[1]:
            raise ValueError(
                f"BeeswarmDisplay needs one name per column of values; got {len(self.feature_names)} names for "
                f"{self.values.shape[1]} columns."
            )
        self.data = None if data is None else np.asarray(data, dtype=object)
        if self.data is not None and self.data.shape != self.values.shape:
            raise ValueError(f"data of shape {self.data.shape} does not match values of shape {self.values.shape}.")
        if is_categorical is None:
            is_categorical = [False] * self.values.shape[1] if self.data is None else [
                not _numeric(column) for column in self.data.T
            ]
        self.is_categorical = np.asarray(is_categorical, dtype=bool)
        self.xlabel = xlabel

    @classmethod
    def from_explanation(
        cls, explanation: Explanation, *, output: Hashable = 0, max_features: int = 20, output_label: str | None = None
    ) -> BeeswarmDisplay:
        """The swarm of one output of a local Explanation.

        Parameters
        ----------
        explanation : Explanation
            A local explanation, values of shape (n_samples, n_features, n_outputs).
        output : int or label, default=0
            Which output: a position, or a label of ``explanation.output_names``.
        max_features : int, default=20
            Features shown, most important first; the others are summed into one last
            row, ``"<k> other features"``, drawn grey.
        output_label : str, default=None
            What the output is, for the axis label (``"log-odds of >50K"``); the
            output's name by default.

        Returns
        -------
        display : BeeswarmDisplay
        """
        if not explanation.is_local:
            raise ValueError(
                "BeeswarmDisplay needs a local explanation (values of shape (n_samples, n_features, n_outputs)); "
                f"got a global one of shape {explanation.shape}. Use ImportanceDisplay for global importances."
            )
        exp = explanation[:, :, output]
        values = exp.values[:, :, 0]  # (n_samples, n_features)
        order = np.argsort(-np.abs(values).mean(axis=0), kind="stable")
        shown, rest = order[:max_features], order[max_features:]
        names = list(exp.feature_names[shown])
        data = None if exp.data is None else np.asarray(exp.data, dtype=object)
        is_categorical = None if data is None else [not _numeric(data[:, j]) for j in shown]
        columns, data_columns = values[:, shown], None if data is None else data[:, shown]
        if len(rest):
            names.append(f"{len(rest)} other features")
            columns = np.column_stack([columns, values[:, rest].sum(axis=1)])
            if data is not None:
                data_columns = np.column_stack([data_columns, np.full(len(values), None, dtype=object)])
                is_categorical.append(False)
        label = attribution_label(exp.method or "attribution", exp.output_names[0], output_label)
        return cls(columns, names, data=data_columns, is_categorical=is_categorical, xlabel=label)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        cmap: str | Colormap = "coolwarm",
        missing_color: Any = "#b0b0b0",
        row_height: float = 0.4,
        colorbar: bool = True,
        **scatter_kw: Any,
    ) -> BeeswarmDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        cmap : str or Colormap, default="coolwarm"
            Colours of numeric feature values, low to high.
        missing_color : color, default="#b0b0b0"
            Colour of missing values (and of rows without data).
        row_height : float, default=0.4
            Largest vertical spread of a swarm on either side of its row (rows are 1 apart).
        colorbar : bool, default=True
            Whether to draw the colour bar (when some point is coloured by its value).
        **scatter_kw
            Passed to ``scatter`` (``s``, ``alpha``...).
        """
        import matplotlib.pyplot as plt
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable

        n_samples, n_rows = self.values.shape
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * n_rows + 1.5))
        colormap = colormaps[cmap] if isinstance(cmap, str) else cmap
        positions = np.arange(n_rows)[::-1]  # the first row on top
        self.points_ = []
        any_coloured = False
        for i, position in enumerate(positions):
            column = self.values[:, i]
            y = position + row_height * _swarm_offsets(column)
            if self.data is None:
                colors, has_values = np.tile(_rgba(missing_color), (n_samples, 1)), False
            elif self.is_categorical[i]:
                colors, has_values = _level_colors(self.data[:, i], column, colormap, missing_color)
            else:
                colors, has_values = _value_colors(self.data[:, i], colormap, missing_color)
            any_coloured |= has_values
            self.points_.append(ax.scatter(column, y, c=colors, **{"s": 14, "alpha": 0.8, "linewidths": 0,
                                                                   **scatter_kw}))
        ax.axvline(0.0, color="grey", linewidth=0.8, zorder=0)
        ax.set_yticks(positions, labels=[str(n) for n in self.feature_names])
        ax.set_ylim(-0.5 - row_height, n_rows - 0.5 + row_height)
        readable_axis(ax.xaxis)
        ax.set_xlabel(self.xlabel)
        self.colorbar_ = None
        if any_coloured and colorbar:
            mappable = ScalarMappable(cmap=colormap)
            self.colorbar_ = ax.figure.colorbar(mappable, ax=ax, ticks=[0, 1], aspect=40, pad=0.02)
            self.colorbar_.set_ticklabels(["low", "high"])
            label = "feature value" if not self.is_categorical.any() else "feature value (levels by mean effect)"
            self.colorbar_.set_label(label)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _swarm_offsets(values):
    """Vertical offsets in [-1, 1] that stack the points falling in the same bin.

    The values are cut into ``_N_BINS`` bins over their range; within a bin the
    points take the offsets 0, +1, -1, +2, -2... (in the order of their values), and
    all offsets are scaled by the tallest stack, so the thickness of the swarm shows
    where the values are dense.
    """
    n = len(values)
    low, high = values.min(initial=0.0), values.max(initial=0.0)
    bins = np.round(_N_BINS * (values - low) / (high - low)) if high > low else np.zeros(n)
    order = np.lexsort((values, bins))  # by bin, then value
    sorted_bins = bins[order]
    starts = np.flatnonzero(np.r_[True, sorted_bins[1:] != sorted_bins[:-1]])  # first point of each bin
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))  # position within its bin
    layer = np.ceil(rank / 2) * np.where(rank % 2 == 1, 1.0, -1.0)  # 0, +1, -1, +2, -2...
    offsets = np.empty(n)
    offsets[order] = layer
    tallest = np.abs(offsets).max(initial=0.0)
    return offsets / tallest if tallest > 0 else offsets


def _value_colors(column, colormap, missing_color):
    """Colours of a numeric column: its 5th to 95th percentile across the colormap.

    Returns the (n_samples, 4) colours and whether any value was present.
    """
    missing = _is_missing(column)
    x = np.where(missing, np.nan, column).astype(np.float64)
    colors = np.tile(_rgba(missing_color), (len(x), 1))
    if missing.all():
        return colors, False
    low, high = np.nanpercentile(x, [5, 95])
    if high <= low:
        low, high = np.nanmin(x), np.nanmax(x)
    scaled = np.clip((x - low) / (high - low), 0, 1) if high > low else np.full(len(x), 0.5)
    colors[~missing] = colormap(scaled[~missing])
    return colors, True


def _level_colors(column, values, colormap, missing_color):
    """Colours of a categorical column: its levels spread over the colormap in the order
    of their mean attribution (``values``), lowest first.

    Returns the (n_samples, 4) colours and whether any value was present.
    """
    missing = _is_missing(column)
    colors = np.tile(_rgba(missing_color), (len(column), 1))
    if missing.all():
        return colors, False
    levels, codes = np.unique(column[~missing].astype(str), return_inverse=True)
    means = np.bincount(codes, weights=values[~missing]) / np.bincount(codes)
    rank = np.empty(len(levels))
    rank[np.argsort(means, kind="stable")] = np.arange(len(levels))
    scaled = rank / (len(levels) - 1) if len(levels) > 1 else np.full(1, 0.5)
    colors[~missing] = colormap(scaled[codes])
    return colors, True


def _numeric(column):
    """Whether every present value of an object column is a real number."""
    column = np.asarray(column, dtype=object)
    present = column[~_is_missing(column)]
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
               for v in present.tolist())


def _rgba(color):
    from matplotlib.colors import to_rgba

    return np.asarray(to_rgba(color))
