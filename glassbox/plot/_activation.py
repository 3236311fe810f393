"""Heatmaps of the hidden-layer activations of a network: its activation maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Explanation

__all__ = ["ActivationDisplay"]


class ActivationDisplay:
    """One heatmap per hidden layer of an MLP: rows down, units across.

    Build it with :meth:`from_estimator` or from the result of
    :func:`~glassbox.explainers.layer_activations` with :meth:`from_activations`;
    :meth:`plot` draws it.

    Parameters
    ----------
    activations : list of ndarray of shape (n_samples, n_units)
        The activations of each layer, for the same rows.
    layer_names : list of str
        A title per layer.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per layer.
    figure_ : matplotlib Figure
    images_ : list of AxesImage
        The heatmap of each layer.
    colorbars_ : list of Colorbar
        Empty when drawn with ``colorbar=False``.
    """

    def __init__(self, activations: Sequence[np.ndarray], layer_names: Sequence[str]) -> None:
        self.activations = [np.asarray(a, dtype=np.float64) for a in activations]
        self.layer_names = [str(name) for name in layer_names]
        if len(self.layer_names) != len(self.activations):
            raise ValueError(
                f"ActivationDisplay needs one name per layer; got {len(self.layer_names)} names for "
                f"{len(self.activations)} layers."
            )

    @classmethod
    def from_activations(cls, layers: Sequence[Explanation]) -> ActivationDisplay:
        """From the list of Explanations that ``layer_activations`` returns."""
        return cls([layer.values[:, :, 0] for layer in layers], [layer.method for layer in layers])

    @classmethod
    def from_estimator(cls, estimator: Any, X: ArrayLike) -> ActivationDisplay:
        """Pass ``X`` through a fitted MLP (alone or at the end of a Pipeline)."""
        from ..explainers import layer_activations

        return cls.from_activations(layer_activations(estimator, X))

    def plot(
        self, ax: Sequence[Axes] | None = None, *, colorbar: bool = True, max_unit_ticks: int = 20, **imshow_kw: Any
    ) -> ActivationDisplay:
        """Draw each layer on its own Axes (a new figure by default) and return ``self``.

        Parameters
        ----------
        ax : sequence of matplotlib Axes, default=None
            One Axes per layer.
        colorbar : bool, default=True
        max_unit_ticks : int, default=20
            Units are numbered on the x axis when a layer has no more than this many.
        **imshow_kw
            Passed to ``imshow`` (``cmap``, ``vmin``...).
        """
        import matplotlib.pyplot as plt

        n_layers = len(self.activations)
        if ax is None:
            _, axes = plt.subplots(1, n_layers, figsize=(3.2 * n_layers + 0.8, 4), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != n_layers:
                raise ValueError(f"ActivationDisplay.plot needs {n_layers} axes, one per layer; got {len(axes)}.")
        self.images_, self.colorbars_ = [], []
        for k, (axis, values, name) in enumerate(zip(axes, self.activations, self.layer_names)):
            image = axis.imshow(
                values, **{"aspect": "auto", "interpolation": "nearest", "cmap": "viridis", **imshow_kw}
            )
            axis.set_title(name)
            axis.set_xlabel("unit")
            if k == 0:
                axis.set_ylabel("row")
            n_units = values.shape[1]
            if n_units <= max_unit_ticks:
                axis.set_xticks(np.arange(n_units), labels=[str(u) for u in range(n_units)])
            self.images_.append(image)
            if colorbar:
                self.colorbars_.append(axis.figure.colorbar(image, ax=axis))
        self.axes_ = np.asarray(axes, dtype=object)
        self.figure_ = axes[0].figure
        return self
