"""Pictures of SHAP interaction values: the heatmap of mean |interaction| and the dependence plot."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._beeswarm import _level_colors, _numeric, _value_colors
from ._effect import _is_missing, _label_missing
from ._words import method_words, readable_axis, value_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

    from ..explainers import InteractionExplanation

__all__ = ["InteractionDependenceDisplay", "InteractionHeatmapDisplay"]


class InteractionHeatmapDisplay:
    """Mean absolute interaction values of every pair of features, as a heatmap.

    Cell ``(i, j)`` is the mean over rows of ``|values[:, i, j]|``: main effects on the
    diagonal, half of each pair's interaction off it (the matrix is symmetric). Features
    are ordered by their total, the largest first.

    Build it with :meth:`from_interactions`; :meth:`plot` draws it.

    Parameters
    ----------
    matrix : ndarray of shape (n_features, n_features)
    feature_names : array-like of shape (n_features,)
    label : str, default="mean |interaction value|"
        The colour bar's label.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    image_ : matplotlib AxesImage
        ``image_.get_array()`` is ``matrix``.
    colorbar_ : Colorbar

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox.explainers import InteractionExplanation
    >>> from glassbox.plot import InteractionHeatmapDisplay
    >>> values = np.zeros((2, 3, 3, 1))
    >>> values[:, 0, 0], values[:, 1, 2], values[:, 2, 1] = 1.0, 3.0, 3.0
    >>> inter = InteractionExplanation(values, feature_names=["a", "b", "c"])
    >>> disp = InteractionHeatmapDisplay.from_interactions(inter).plot()
    >>> [t.get_text() for t in disp.ax_.get_xticklabels()]
    ['b', 'c', 'a']
    >>> disp.image_.get_array()[0, 1]
    np.float64(3.0)
    """

    def __init__(self, matrix: np.ndarray, feature_names: ArrayLike, *,
                 label: str = "mean |interaction value|") -> None:
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.feature_names = np.asarray(feature_names, dtype=object)
        if self.matrix.ndim != 2 or self.matrix.shape != (len(self.feature_names),) * 2:
            raise ValueError(
                f"InteractionHeatmapDisplay needs a square matrix with one name per row; got shape "
                f"{self.matrix.shape} and {len(self.feature_names)} names."
            )
        self.label = label

    @classmethod
    def from_interactions(cls, interactions: InteractionExplanation, *, output: Hashable = 0,
                          max_features: int = 20) -> InteractionHeatmapDisplay:
        """The heatmap of one output, of the ``max_features`` features with the largest totals."""
        inter = interactions[:, :, output]
        matrix = inter.mean_abs()[:, :, 0]
        order = np.argsort(-matrix.sum(axis=1), kind="stable")[:max_features]
        label = f"mean |{method_words(inter.method or 'interaction value')}| ({inter.output_names[0]})"
        return cls(matrix[np.ix_(order, order)], inter.feature_names[order], label=label)

    def plot(self, ax: Axes | None = None, *, cmap: str | Colormap = "viridis", **imshow_kw: Any
             ) -> InteractionHeatmapDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt

        n = len(self.feature_names)
        if ax is None:
            _, ax = plt.subplots(figsize=(0.45 * n + 2.5, 0.45 * n + 1.5))
        self.image_ = ax.imshow(self.matrix, cmap=cmap, **{"aspect": "equal", **imshow_kw})
        labels = [str(name) for name in self.feature_names]
        ax.set_xticks(np.arange(n), labels=labels, rotation=45, ha="right")
        ax.set_yticks(np.arange(n), labels=labels)
        self.colorbar_ = ax.figure.colorbar(self.image_, ax=ax, aspect=30, pad=0.02)
        self.colorbar_.set_label(self.label)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class InteractionDependenceDisplay:
    """One feature's attribution against its value, coloured by another feature's value.

    The SHAP dependence plot: a point per row, at the feature's value (levels of a
    categorical feature side by side, missing values at a tick of their own) and its
    Shapley value, main effect or interaction with the colouring feature; the colour is
    the colouring feature's value (low to high; levels by mean attribution; missing in
    grey), which shows whether the spread at one value comes from that interaction.

    Build it with :meth:`from_interactions`; :meth:`plot` draws it.

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        The feature's values as a person reads them.
    y : ndarray of shape (n_samples,)
    color : array-like of shape (n_samples,)
        The colouring feature's values.
    feature_name, color_name : str
    ylabel : str, default="SHAP value"

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    points_ : PathCollection
        ``points_.get_offsets()[:, 1]`` is ``y``.
    colorbar_ : Colorbar or None

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from glassbox.explainers import InteractionExplanation
    >>> from glassbox.plot import InteractionDependenceDisplay
    >>> rng = np.random.default_rng(0)
    >>> data = rng.normal(size=(40, 3))
    >>> values = np.zeros((40, 3, 3, 1))
    >>> values[:, 0, 2, 0] = values[:, 2, 0, 0] = data[:, 0] * data[:, 2]
    >>> inter = InteractionExplanation(values, data=data, feature_names=["a", "b", "c"])
    >>> disp = InteractionDependenceDisplay.from_interactions(inter, "a").plot()
    >>> disp.color_name, disp.ax_.get_xlabel()
    ('c', 'a')
    """

    def __init__(self, x: ArrayLike, y: np.ndarray, color: ArrayLike, *, feature_name: str, color_name: str,
                 ylabel: str = "SHAP value") -> None:
        self.x = np.asarray(x, dtype=object)
        self.y = np.asarray(y, dtype=np.float64)
        self.color = np.asarray(color, dtype=object)
        if not len(self.x) == len(self.y) == len(self.color):
            raise ValueError(
                f"x, y and color must have one value per row; got {len(self.x)}, {len(self.y)} and {len(self.color)}."
            )
        self.feature_name, self.color_name, self.ylabel = feature_name, color_name, ylabel

    @classmethod
    def from_interactions(
        cls,
        interactions: InteractionExplanation,
        feature: Hashable,
        *,
        interaction: Hashable | None = None,
        output: Hashable = 0,
        y: Literal["shapley", "main_effect", "interaction"] = "shapley",
    ) -> InteractionDependenceDisplay:
        """The dependence plot of ``feature`` for one output.

        Parameters
        ----------
        interactions : InteractionExplanation
            With ``data``: the feature values drawn.
        feature : str or int
        interaction : str or int, default=None
            The colouring feature; the one with the largest mean |interaction| with
            ``feature`` by default.
        output : int or label, default=0
        y : {"shapley", "main_effect", "interaction"}, default="shapley"
            What is drawn upwards: the feature's Shapley value, its main effect, or its
            whole interaction with the colouring feature (both halves, ``2 * values[:, i, j]``).
        """
        if interactions.data is None:
            raise ValueError("InteractionDependenceDisplay needs interactions with data (the explained rows).")
        if y not in ("shapley", "main_effect", "interaction"):
            raise ValueError(f"y must be 'shapley', 'main_effect' or 'interaction'; got {y!r}.")
        inter = interactions[:, :, output]
        if interaction is None:
            interaction = inter.strongest_interaction(feature)
        names = list(inter.feature_names)
        i = names.index(inter[:, feature].feature_names[0])
        j = names.index(inter[:, interaction].feature_names[0])
        if i == j:
            raise ValueError(f"interaction must be a feature other than {names[i]!r}.")
        values = inter.values[:, :, :, 0]
        column = {"shapley": values[:, i].sum(axis=1), "main_effect": values[:, i, i],
                  "interaction": 2.0 * values[:, i, j]}[y]
        words = {"shapley": "SHAP value", "main_effect": "SHAP main effect",
                 "interaction": f"SHAP interaction with {names[j]}"}[y]
        return cls(inter.data[:, i], column, inter.data[:, j], feature_name=str(names[i]), color_name=str(names[j]),
                   ylabel=f"{words} of {names[i]} ({inter.output_names[0]})")

    def plot(self, ax: Axes | None = None, *, cmap: str | Colormap = "coolwarm", missing_color: Any = "#b0b0b0",
             **scatter_kw: Any) -> InteractionDependenceDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``."""
        import matplotlib.pyplot as plt
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        colormap = colormaps[cmap] if isinstance(cmap, str) else cmap
        if _numeric(self.color):
            colors, coloured = _value_colors(self.color, colormap, missing_color)
        else:
            colors, coloured = _level_colors(self.color, self.y, colormap, missing_color)
        positions = self._positions(ax)
        self.points_ = ax.scatter(positions, self.y, c=colors, **{"s": 14, "alpha": 0.8, "linewidths": 0,
                                                                  **scatter_kw})
        ax.axhline(0.0, color="grey", linewidth=0.8, zorder=0)
        ax.set_xlabel(self.feature_name)
        ax.set_ylabel(self.ylabel)
        readable_axis(ax.yaxis)
        self.colorbar_ = None
        if coloured:
            self.colorbar_ = ax.figure.colorbar(ScalarMappable(cmap=colormap), ax=ax, ticks=[0, 1], aspect=30,
                                                pad=0.02)
            self.colorbar_.set_ticklabels(["low", "high"])
            self.colorbar_.set_label(self.color_name)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _positions(self, ax):
        """Horizontal positions of the points; sets the ticks of levels and of missing values."""
        missing = _is_missing(self.x)
        if _numeric(self.x):
            x = np.where(missing, np.nan, self.x).astype(np.float64)
            if not missing.any():
                return x
            present = x[~missing]
            low, high = (present.min(), present.max()) if len(present) else (0.0, 1.0)
            position = high + 0.1 * (high - low or 1.0)
            x[missing] = position
            _label_missing(ax.xaxis, upper=high, position=position)
            return x
        levels = sorted({value_text(v) for v in self.x[~missing]})
        labels = levels + (["missing"] if missing.any() else [])
        lookup = {level: k for k, level in enumerate(labels)}
        x = np.array([lookup["missing" if m else value_text(v)] for v, m in zip(self.x, missing)], dtype=np.float64)
        ax.set_xticks(np.arange(len(labels)), labels=labels)
        return x
