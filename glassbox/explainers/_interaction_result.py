"""InteractionExplanation: SHAP interaction values, a matrix per row and output."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..explanation import Explanation, _as_names, _resolve_index

if TYPE_CHECKING:
    from ..plot import InteractionDependenceDisplay, InteractionHeatmapDisplay

__all__ = ["InteractionExplanation"]


@dataclass(frozen=True, eq=False, repr=False)
class InteractionExplanation:
    """SHAP interaction values: main effects on the diagonal, pairwise interactions off it.

    ``values[n, i, j, o]`` (``i != j``) is half the interaction of features ``i`` and
    ``j`` in row ``n`` for output ``o`` (the matrix is symmetric); ``values[n, i, i, o]``
    is the main effect of feature ``i``. Each row of a matrix sums to the feature's
    Shapley value (:meth:`shapley_values`) and the matrix plus ``base_values`` to the
    explained output (:meth:`output`). The output axis is always kept, as in
    :class:`~glassbox.Explanation`.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_features, n_features, n_outputs)
    base_values : ndarray of shape (n_samples, n_outputs), default=None
    data : ndarray of shape (n_samples, n_features), default=None
        The explained rows as a person reads them.
    feature_names : array-like of shape (n_features,), default=None
    output_names : array-like of shape (n_outputs,), default=None
    method : str, default=""

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.explainers import InteractionExplanation
    >>> values = np.array([[[[1.0], [0.5]], [[0.5], [-2.0]]]])  # one row, two features
    >>> inter = InteractionExplanation(values, base_values=[[3.0]], feature_names=["age", "bmi"])
    >>> inter.shape
    (1, 2, 2, 1)
    >>> inter.shapley_values().values.ravel().tolist()
    [1.5, -1.5]
    >>> inter.main_effects().values.ravel().tolist()
    [1.0, -2.0]
    >>> inter.output().ravel().tolist()
    [3.0]
    >>> inter[:, "bmi"].shape
    (1, 1, 1, 1)
    >>> inter.strongest_interaction("age")
    'bmi'
    """

    values: np.ndarray
    base_values: np.ndarray | None = None
    data: np.ndarray | None = None
    feature_names: np.ndarray | None = None
    output_names: np.ndarray | None = None
    method: str = ""

    def __post_init__(self):
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 4 or values.shape[1] != values.shape[2]:
            raise ValueError(
                "InteractionExplanation values must have shape (n_samples, n_features, n_features, n_outputs); "
                f"got shape {values.shape}."
            )
        object.__setattr__(self, "values", values)
        n, p, _, o = values.shape
        object.__setattr__(self, "feature_names", _as_names(self.feature_names, p, "x"))
        object.__setattr__(self, "output_names", _as_names(self.output_names, o, ""))
        if self.base_values is not None:
            base = np.asarray(self.base_values, dtype=np.float64)
            try:
                base = np.broadcast_to(base.reshape(-1, o), (n, o)).copy()
            except ValueError:
                raise ValueError(f"base_values of shape {base.shape} do not fit values of shape {values.shape}.") from None
            object.__setattr__(self, "base_values", base)
        if self.data is not None:
            data = np.asarray(self.data)
            if data.shape != (n, p):
                raise ValueError(f"data of shape {data.shape} does not match values of shape {values.shape}.")
            object.__setattr__(self, "data", data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    @property
    def n_features(self) -> int:
        return self.values.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.values.shape[3]

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, key: Any) -> InteractionExplanation:
        """Select rows, features (by position or name) and outputs (by position or label).

        ``inter[rows, features, outputs]``; the features are selected on both feature
        axes, so the result holds the matrices of those features. Every axis is kept.
        Row sums of a selection of features no longer include the features left out.
        """
        keys = key if isinstance(key, tuple) else (key,)
        if len(keys) > 3:
            raise IndexError("Too many indices: interaction values are indexed by row, feature and output.")
        keys = keys + (slice(None),) * (3 - len(keys))
        rows = _resolve_index(keys[0], np.arange(len(self)), "row")
        features = _resolve_index(keys[1], self.feature_names, "feature")
        outputs = _resolve_index(keys[2], self.output_names, "output")
        return replace(
            self,
            values=self.values[np.ix_(rows, features, features, outputs)],
            base_values=None if self.base_values is None else self.base_values[np.ix_(rows, outputs)],
            data=None if self.data is None else self.data[np.ix_(rows, features)],
            feature_names=self.feature_names[features],
            output_names=self.output_names[outputs],
        )

    # -- reductions ------------------------------------------------------------------
    def shapley_values(self) -> Explanation:
        """The Shapley values: each matrix's row sums, as an :class:`~glassbox.Explanation`."""
        return self._explanation(self.values.sum(axis=2), self.method)

    def main_effects(self) -> Explanation:
        """The diagonal: each feature's value without its interactions, as an Explanation."""
        diagonal = np.arange(self.n_features)
        return self._explanation(self.values[:, diagonal, diagonal], f"main effects of {self.method}".strip())

    def _explanation(self, values, method):
        return Explanation(values, base_values=self.base_values, data=self.data, feature_names=self.feature_names,
                           output_names=self.output_names, method=method)

    def output(self) -> np.ndarray:
        """``base_values + values.sum(axis=(1, 2))``, shape (n_samples, n_outputs)."""
        if self.base_values is None:
            raise ValueError("output() needs base_values.")
        return self.base_values + self.values.sum(axis=(1, 2))

    def mean_abs(self) -> np.ndarray:
        """Mean absolute value over rows of every cell, shape (n_features, n_features, n_outputs)."""
        return np.abs(self.values).mean(axis=0)

    def strongest_interaction(self, feature: Hashable, *, output: Hashable = 0) -> Hashable:
        """The other feature with the largest mean |interaction| with ``feature``, by name."""
        i = _resolve_index(feature, self.feature_names, "feature")[0]
        o = _resolve_index(output, self.output_names, "output")[0]
        if self.n_features < 2:
            raise ValueError("strongest_interaction needs at least two features.")
        strength = np.abs(self.values[:, i, :, o]).mean(axis=0)
        strength[i] = -np.inf
        return self.feature_names[int(np.argmax(strength))]

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: ``sample``, ``feature``, ``other``, ``output``, ``value``."""
        grids = np.meshgrid(*[np.arange(n) for n in self.values.shape], indexing="ij")
        return pd.DataFrame({
            "sample": grids[0].ravel(),
            "feature": self.feature_names[grids[1].ravel()],
            "other": self.feature_names[grids[2].ravel()],
            "output": self.output_names[grids[3].ravel()],
            "value": self.values.ravel(),
        })

    def __repr__(self):
        n, p, _, o = self.shape
        strength = self.mean_abs().mean(axis=2)
        np.fill_diagonal(strength, -np.inf)
        top = ""
        if p > 1:
            i, j = np.unravel_index(np.argmax(strength), strength.shape)
            top = f"\n  strongest pair: {self.feature_names[i]} x {self.feature_names[j]} ({2 * strength[i, j]:.3g})"
        method = f"method={self.method!r}, " if self.method else ""
        return f"InteractionExplanation({method}{n} samples x {p} x {p} features x {o} outputs){top}"

    def plot(
        self, feature: Hashable | None = None, *, interaction: Hashable | None = None, **kwargs: Any
    ) -> InteractionHeatmapDisplay | InteractionDependenceDisplay:
        """Draw the heatmap of mean |interaction| or, with ``feature``, its dependence plot.

        ``feature`` gives :class:`~glassbox.plot.InteractionDependenceDisplay` (coloured by
        ``interaction``, the strongest interacting feature by default); without it,
        :class:`~glassbox.plot.InteractionHeatmapDisplay`. Other keyword arguments go to
        ``from_interactions`` (``output``) and ``plot`` (``ax``, styling).
        """
        from ..plot import InteractionDependenceDisplay, InteractionHeatmapDisplay

        build = {k: kwargs.pop(k) for k in ("output", "max_features") if k in kwargs}
        if feature is None:
            return InteractionHeatmapDisplay.from_interactions(self, **build).plot(**kwargs)
        build.pop("max_features", None)
        return InteractionDependenceDisplay.from_interactions(self, feature, interaction=interaction,
                                                              **build).plot(**kwargs)
