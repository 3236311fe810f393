"""Result types: :class:`Explanation` (attributions) and :class:`Effect` (curves).

Both are frozen dataclasses of aligned arrays. They hold no model and draw nothing; the
Display classes in :mod:`glassbox.plot` draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._core import feature_index

if TYPE_CHECKING:
    from .plot import BeeswarmDisplay, EffectDisplay, ImportanceDisplay, WaterfallDisplay

__all__ = ["Effect", "Explanation"]


def _as_names(names, n, prefix):
    if names is None:
        return np.asarray([f"{prefix}{i}" for i in range(n)], dtype=object)
    names = np.asarray(names, dtype=object).ravel()
    if len(names) != n:
        raise ValueError(f"Expected {n} {prefix or 'output'} names, got {len(names)}.")
    return names


def _resolve_index(key, names, axis):
    """Integer positions (1-D) that ``key`` selects along an axis with ``names``.

    Integers are positions (negative ones count from the end); strings and other labels
    are looked up in ``names`` (:func:`~glassbox._core.feature_index`); slices and
    boolean masks work as in numpy. A scalar key keeps the axis (length 1).
    """
    n = len(names)
    positions = np.arange(n)
    if isinstance(key, slice):
        return positions[key]
    if np.ndim(key) == 0 and not isinstance(key, (bool, np.bool_)):
        if isinstance(key, (Integral, np.integer)) and -n <= key < 0:
            key = key + n
        where = "the explanation"
        return positions[[feature_index(names, key, axis=axis, where=where, error=KeyError, range_error=IndexError)]]
    key = np.asarray(key, dtype=object if not isinstance(key, np.ndarray) else None)
    if key.dtype == bool:
        if len(key) != n:
            raise IndexError(f"Boolean {axis} mask has length {len(key)}, expected {n}.")
        return positions[key]
    return np.concatenate([_resolve_index(k, names, axis) for k in key.tolist()]) if key.size else positions[:0]


@dataclass(frozen=True, eq=False, repr=False)
class Explanation:
    """Attributions of a model's outputs to its input features.

    Local explanations (one attribution per row, feature and output) have ``values`` of
    shape ``(n_samples, n_features, n_outputs)``, always three-dimensional; global ones
    (one importance per feature and output) have shape ``(n_features, n_outputs)``.
    Where the method promises it (Shapley values, the local contributions of glassbox
    models), ``values.sum(axis=1) + base_values`` equals the explained output; see
    :meth:`output`.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_features, n_outputs) or (n_features, n_outputs)
    base_values : ndarray of shape (n_samples, n_outputs) or (n_outputs,), default=None
        The output the attributions start from (for example the mean prediction over
        the background). Broadcast to ``(n_samples, n_outputs)`` for local results.
    data : ndarray of shape (n_samples, n_features), default=None
        The explained rows as a person reads them: categories as their levels, missing
        values as NaN.
    feature_names : array-like of shape (n_features,), default=None
    output_names : array-like of shape (n_outputs,), default=None
        Class labels for classifiers, ``["prediction"]`` for regressors.
    method : str, default=""
        What produced the values, for example ``"shapley-exact"``.
    std : ndarray of the shape of ``values``, default=None
        Standard error of sampled values.
    fidelity : ndarray of shape (n_samples, n_outputs) or (n_outputs,), default=None
        How well the method's own approximation reproduces the model, where it has one:
        for LIME, the weighted R² of each row's local surrogate on its neighbourhood.
    coef : ndarray of the shape of ``values``, default=None
        The weights of each row's local linear surrogate, where the method fits one
        (LIME): ``values`` are these weights times the row's interpretable features.
    intercept : ndarray of shape (n_samples, n_outputs), default=None
        The intercepts of those local surrogates.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox import Explanation
    >>> exp = Explanation(np.array([[[1.0], [2.0]], [[3.0], [-1.0]]]), base_values=[[0.5], [0.5]],
    ...                   feature_names=["age", "bmi"], output_names=["risk"], method="demo")
    >>> exp.shape
    (2, 2, 1)
    >>> exp[:, "bmi"].values.ravel().tolist()
    [2.0, -1.0]
    >>> exp.output().ravel().tolist()
    [3.5, 2.5]
    >>> exp.mean_abs().values.ravel().tolist()
    [2.0, 1.5]
    """

    values: np.ndarray
    base_values: np.ndarray | None = None
    data: np.ndarray | None = None
    feature_names: np.ndarray | None = None
    output_names: np.ndarray | None = None
    method: str = ""
    std: np.ndarray | None = None
    fidelity: np.ndarray | None = None
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None

    _LIKE_VALUES = ("std", "coef")  # optional arrays with one entry per value
    _PER_OUTPUT = ("fidelity", "intercept")  # optional arrays with one entry per row (local) and output

    def __post_init__(self):
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim not in (2, 3):
            raise ValueError(
                "Explanation values must have shape (n_samples, n_features, n_outputs) for local "
                f"or (n_features, n_outputs) for global attributions; got shape {values.shape}."
            )
        object.__setattr__(self, "values", values)
        n_features, n_outputs = values.shape[-2:]
        object.__setattr__(self, "feature_names", _as_names(self.feature_names, n_features, "x"))
        object.__setattr__(self, "output_names", _as_names(self.output_names, n_outputs, ""))
        if self.base_values is not None:
            base = np.asarray(self.base_values, dtype=np.float64)
            target = (values.shape[0], n_outputs) if values.ndim == 3 else (n_outputs,)
            try:
                base = np.broadcast_to(base.reshape(-1, n_outputs) if values.ndim == 3 else base, target).copy()
            except ValueError:
                raise ValueError(f"base_values of shape {base.shape} do not fit values of shape {values.shape}.") from None
            object.__setattr__(self, "base_values", base)
        if self.data is not None:
            data = np.asarray(self.data)
            if values.ndim != 3 or data.shape != values.shape[:2]:
                raise ValueError(f"data of shape {data.shape} does not match values of shape {values.shape}.")
            object.__setattr__(self, "data", data)
        for name in self._LIKE_VALUES:
            array = getattr(self, name)
            if array is not None:
                array = np.asarray(array, dtype=np.float64)
                if array.shape != values.shape:
                    raise ValueError(f"{name} of shape {array.shape} does not match values of shape {values.shape}.")
                object.__setattr__(self, name, array)
        for name in self._PER_OUTPUT:
            array = getattr(self, name)
            if array is not None:
                array = np.asarray(array, dtype=np.float64)
                expected = (values.shape[0], n_outputs) if values.ndim == 3 else (n_outputs,)
                if array.shape != expected:
                    raise ValueError(f"{name} of shape {array.shape} does not match values of shape {values.shape}.")
                object.__setattr__(self, name, array)

    # -- shape ---------------------------------------------------------------------
    @property
    def is_local(self) -> bool:
        """Whether there is one attribution per row (3-D values)."""
        return self.values.ndim == 3

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    @property
    def n_features(self) -> int:
        return self.values.shape[-2]

    @property
    def n_outputs(self) -> int:
        return self.values.shape[-1]

    def __len__(self):
        return self.values.shape[0]

    # -- selection -----------------------------------------------------------------
    def __getitem__(self, key: Any) -> Explanation:
        """Select rows, features (by position or name) and outputs (by position or label).

        ``exp[rows, features, outputs]`` for local results, ``exp[features, outputs]``
        for global ones. Every axis is kept: ``exp[:, "age"].values`` has shape
        ``(n_samples, 1, n_outputs)``.
        """
        keys = key if isinstance(key, tuple) else (key,)
        axes = ("row", "feature", "output") if self.is_local else ("feature", "output")
        if len(keys) > len(axes):
            raise IndexError(f"Too many indices: this explanation has {len(axes)} axes ({', '.join(axes)}).")
        keys = keys + (slice(None),) * (len(axes) - len(keys))
        if self.is_local:
            rows = _resolve_index(keys[0], np.arange(len(self)), "row")
            features = _resolve_index(keys[1], self.feature_names, "feature")
            outputs = _resolve_index(keys[2], self.output_names, "output")
            cells, per_output = np.ix_(rows, features, outputs), np.ix_(rows, outputs)
            data = None if self.data is None else self.data[np.ix_(rows, features)]
        else:
            features = _resolve_index(keys[0], self.feature_names, "feature")
            outputs = _resolve_index(keys[1], self.output_names, "output")
            cells, per_output, data = np.ix_(features, outputs), outputs, None
        taken = {
            name: None if getattr(self, name) is None else getattr(self, name)[index]
            for names, index in ((self._LIKE_VALUES, cells), (("base_values", *self._PER_OUTPUT), per_output))
            for name in names
        }
        return replace(
            self,
            values=self.values[cells],
            data=data,
            feature_names=self.feature_names[features],
            output_names=self.output_names[outputs],
            **taken,
        )

    # -- reductions ----------------------------------------------------------------
    def output(self) -> np.ndarray:
        """``base_values + values.sum(axis=1)``: the output the attributions add up to.

        Returns an array of shape (n_samples, n_outputs); for methods with the
        efficiency property it equals the explained model output.
        """
        if not self.is_local or self.base_values is None:
            raise ValueError("output() needs a local explanation with base_values.")
        return self.base_values + self.values.sum(axis=1)

    def mean_abs(self) -> Explanation:
        """Global importance: the mean absolute attribution over rows.

        Returns a global Explanation with values of shape (n_features, n_outputs) and,
        as ``std``, the standard deviation of the absolute attributions over rows.
        """
        if not self.is_local:
            raise ValueError("mean_abs() aggregates a local explanation; this one is already global.")
        magnitude = np.abs(self.values)
        return Explanation(
            magnitude.mean(axis=0),
            feature_names=self.feature_names,
            output_names=self.output_names,
            method=f"mean |{self.method}|" if self.method else "mean |value|",
            std=magnitude.std(axis=0),
        )

    def to_frame(self, *, long: bool = False) -> pd.DataFrame:
        """The values as a DataFrame.

        Wide (default): local results give one row per sample and one column per
        feature (columns ``(output, feature)`` when there are several outputs); global
        results give one row per feature and one column per output. Long: one row per
        cell with columns ``sample`` (local only), ``feature``, ``output``, ``value``,
        and ``std`` and ``data`` where present.
        """
        if long:
            return self._long_frame()
        features = pd.Index(self.feature_names, name="feature")
        if not self.is_local:
            return pd.DataFrame(self.values, index=features, columns=pd.Index(self.output_names, name="output"))
        if self.n_outputs == 1:
            return pd.DataFrame(self.values[:, :, 0], columns=features)
        columns = pd.MultiIndex.from_product([self.output_names, self.feature_names], names=["output", "feature"])
        # (n, p, o) -> (n, o, p) -> (n, o * p), outputs outermost to match the columns.
        return pd.DataFrame(self.values.transpose(0, 2, 1).reshape(len(self), -1), columns=columns)

    def _long_frame(self):
        grids = np.meshgrid(*[np.arange(n) for n in self.values.shape], indexing="ij")
        columns = {}
        if self.is_local:
            columns["sample"] = grids[0].ravel()
        columns["feature"] = self.feature_names[grids[-2].ravel()]
        columns["output"] = self.output_names[grids[-1].ravel()]
        columns["value"] = self.values.ravel()
        if self.std is not None:
            columns["std"] = self.std.ravel()
        if self.data is not None:
            columns["data"] = self.data[grids[0].ravel(), grids[1].ravel()]
        return pd.DataFrame(columns)

    def __repr__(self):
        kind = "local" if self.is_local else "global"
        dims = " x ".join(
            f"{n} {name}{'s' if n != 1 else ''}"
            for n, name in zip(self.shape, (["sample"] if self.is_local else []) + ["feature", "output"])
        )
        importance = (np.abs(self.values).mean(axis=0) if self.is_local else np.abs(self.values)).mean(axis=1)
        order = np.argsort(-importance, kind="stable")[:5]
        top = ", ".join(f"{self.feature_names[j]}={importance[j]:.3g}" for j in order)
        more = " ..." if self.n_features > 5 else ""
        outputs = ", ".join(map(str, self.output_names[:5])) + (" ..." if self.n_outputs > 5 else "")
        method = f"method={self.method!r}, " if self.method else ""
        return (
            f"Explanation({method}{kind}, {dims})\n"
            f"  outputs: {outputs}\n"
            f"  mean |value|: {top}{more}"
        )

    def plot(self, **kwargs: Any) -> ImportanceDisplay | BeeswarmDisplay | WaterfallDisplay:
        """Draw the natural picture: importance bars for a global result, a beeswarm for a
        local one, a waterfall for a single row (with its base value).

        Keyword arguments go to :func:`glassbox.plot.plot_explanation` (``ax``,
        ``output``, ``max_features``, styling); returns the Display drawn.
        """
        from .plot import plot_explanation

        return plot_explanation(self, **kwargs)


@dataclass(frozen=True, eq=False, repr=False)
class Effect:
    """How a model's output moves with one feature or a pair of features.

    Partial dependence, ICE, accumulated local effects and the shape functions of
    additive models all come back as an Effect.

    Parameters
    ----------
    feature_names : tuple of str of length 1 or 2
    grid : tuple of ndarray of length 1 or 2
        The grid values along each axis: numbers, or category levels (with NaN for the
        missing level) for a categorical feature.
    values : ndarray of shape (*grid_shape, n_outputs)
        The averaged curve (or surface).
    output_names : array-like of shape (n_outputs,), default=None
    method : str, default=""
        ``"partial_dependence"``, ``"ale"``, ``"shape"``...
    individual : ndarray of shape (n_samples, *grid_shape, n_outputs), default=None
        Individual (ICE) curves.
    lower, upper : ndarray of the shape of ``values``, default=None
        A band around the curve (for example a bootstrap interval).
    counts : ndarray of shape grid_shape, default=None
        Rows behind each grid cell or bin.
    is_categorical : tuple of bool, default=None
        Whether each axis is categorical; all numeric by default.
    """

    feature_names: tuple
    grid: tuple
    values: np.ndarray
    output_names: np.ndarray | None = None
    method: str = ""
    individual: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    counts: np.ndarray | None = None
    is_categorical: tuple | None = field(default=None)

    def __post_init__(self):
        names = (self.feature_names,) if isinstance(self.feature_names, str) else tuple(self.feature_names)
        grid = tuple(np.asarray(g) for g in (self.grid if isinstance(self.grid, (tuple, list)) else (self.grid,)))
        if len(names) not in (1, 2) or len(grid) != len(names):
            raise ValueError(f"An Effect covers one feature or a pair; got names {names} and {len(grid)} grid axes.")
        values = np.asarray(self.values, dtype=np.float64)
        grid_shape = tuple(len(g) for g in grid)
        if values.shape[:-1] != grid_shape or values.ndim != len(grid) + 1:
            raise ValueError(
                f"Effect values must have shape (*grid_shape, n_outputs) = ({', '.join(map(str, grid_shape))}, "
                f"n_outputs); got {values.shape}."
            )
        object.__setattr__(self, "feature_names", names)
        object.__setattr__(self, "grid", grid)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "output_names", _as_names(self.output_names, values.shape[-1], ""))
        categorical = self.is_categorical if self.is_categorical is not None else (False,) * len(names)
        object.__setattr__(self, "is_categorical", tuple(bool(c) for c in categorical))
        for name in ("lower", "upper"):
            band = getattr(self, name)
            if band is not None:
                band = np.asarray(band, dtype=np.float64)
                if band.shape != values.shape:
                    raise ValueError(f"{name} of shape {band.shape} does not match values of shape {values.shape}.")
                object.__setattr__(self, name, band)
        if self.individual is not None:
            individual = np.asarray(self.individual, dtype=np.float64)
            if individual.shape[1:] != values.shape:
                raise ValueError(
                    f"individual curves of shape {individual.shape} do not match values of shape {values.shape}."
                )
            object.__setattr__(self, "individual", individual)

    @property
    def n_outputs(self) -> int:
        return self.values.shape[-1]

    @property
    def is_2d(self) -> bool:
        return len(self.feature_names) == 2

    def __getitem__(self, output: Any) -> Effect:
        """The effect on some outputs only (by position or label); the axis is kept."""
        outputs = _resolve_index(output, self.output_names, "output")

        def pick(a):
            return None if a is None else a[..., outputs]

        return replace(
            self,
            values=pick(self.values),
            output_names=self.output_names[outputs],
            individual=pick(self.individual),
            lower=pick(self.lower),
            upper=pick(self.upper),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per grid cell and output: the grid value(s), ``output``, ``value``,
        and ``lower``, ``upper``, ``count`` where present."""
        index = np.meshgrid(*[np.arange(n) for n in self.values.shape], indexing="ij")
        columns = {name: g[i.ravel()] for name, g, i in zip(self.feature_names, self.grid, index)}
        columns["output"] = self.output_names[index[-1].ravel()]
        columns["value"] = self.values.ravel()
        for name in ("lower", "upper"):
            if getattr(self, name) is not None:
                columns[name] = getattr(self, name).ravel()
        if self.counts is not None:
            columns["count"] = np.asarray(self.counts)[tuple(i.ravel() for i in index[:-1])]
        return pd.DataFrame(columns)

    def __repr__(self):
        axes = " x ".join(f"{name} ({len(g)} {'levels' if c else 'points'})"
                          for name, g, c in zip(self.feature_names, self.grid, self.is_categorical))
        span = f"{self.values.min():.3g} to {self.values.max():.3g}"
        extras = [word for word, a in (("individual curves", self.individual), ("band", self.lower)) if a is not None]
        method = f"method={self.method!r}, " if self.method else ""
        return (
            f"Effect({method}{axes}, {self.n_outputs} output{'s' if self.n_outputs != 1 else ''})\n"
            f"  values from {span}" + (f"; with {', '.join(extras)}" if extras else "")
        )

    def plot(self, **kwargs: Any) -> EffectDisplay:
        """Draw the curve (bars for a categorical feature, a heatmap for a pair).

        Keyword arguments go to :func:`glassbox.plot.plot_effect` (``ax``, ``output``,
        styling); returns the :class:`~glassbox.plot.EffectDisplay` drawn.
        """
        from .plot import plot_effect

        return plot_effect(self, **kwargs)
