"""The result of an anchor search: :class:`Anchors`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core import plain

__all__ = ["Anchors"]


@dataclass(frozen=True, eq=False, repr=False)
class Anchors:
    """The anchor of every explained row: its rule, precision and coverage.

    An anchor is a conjunction of conditions on the row's own values under which the
    model keeps the row's prediction with precision at least ``threshold``.

    Attributes
    ----------
    conditions : DataFrame
        One line per condition, indexed by ``(row, position)`` (the position of the
        explained row in ``X`` and of the condition in its rule), with columns
        ``feature``, ``operator`` (``"<="``, ``">"``, ``"in"`` for ``low < x <= high``,
        ``"="``, ``"is missing"``), ``value`` (the threshold, the ``(low, high)`` pair,
        the level, or None) and ``text``. A row whose anchor is empty has no line.
    rule : ndarray of str of shape (n_rows,)
        Each row's conditions joined by ``AND`` (empty when the model keeps the
        prediction on ``threshold`` of the data whatever the row).
    precision : ndarray of shape (n_rows,)
        Share of the samples under the anchor on which the model kept the prediction.
    precision_lower, precision_upper : ndarray of shape (n_rows,)
        KL confidence bounds of the precision at confidence ``1 - delta``.
    coverage : ndarray of shape (n_rows,)
        Share of the rows of the ``X`` given to ``fit`` that satisfy the anchor.
    reached : ndarray of bool of shape (n_rows,)
        Whether the anchor reaches ``threshold``; where not, the rule is the best
        the search found.
    n_evaluations : ndarray of int of shape (n_rows,)
        Model evaluations the search of each row spent.
    prediction : ndarray of shape (n_rows,)
        The model's prediction of each row (``predict``).
    original : DataFrame of shape (n_rows, n_features)
        The explained rows.
    threshold : float
        The precision asked for.
    tolerance : float or None
        Regressors: how far a prediction may be from the row's and keep it.
    """

    conditions: pd.DataFrame
    rule: np.ndarray
    precision: np.ndarray
    precision_lower: np.ndarray
    precision_upper: np.ndarray
    coverage: np.ndarray
    reached: np.ndarray
    n_evaluations: np.ndarray
    prediction: np.ndarray
    original: pd.DataFrame
    threshold: float
    tolerance: float | None = None

    @property
    def feature_names(self) -> np.ndarray:
        return np.asarray(self.original.columns, dtype=object)

    @property
    def n_conditions(self) -> np.ndarray:
        """Lines of each row's anchor, one per anchored feature, shape (n_rows,).

        A line ``low < x <= high`` holds the row's two conditions on that feature.
        """
        rows = self.conditions.index.get_level_values("row").to_numpy(dtype=np.intp)
        return np.bincount(rows, minlength=len(self.original))

    def for_row(self, row: int) -> pd.DataFrame:
        """The conditions of explained row ``row`` (its position in ``X``)."""
        if not 0 <= row < len(self.original):
            raise IndexError(f"row {row} is out of range for {len(self.original)} explained rows.")
        rows = self.conditions.index.get_level_values("row")
        return self.conditions[rows == row].droplevel("row")

    def to_frame(self) -> pd.DataFrame:
        """One line per explained row: rule, precision, coverage and the rest."""
        return pd.DataFrame(
            {
                "rule": self.rule,
                "n_conditions": self.n_conditions,
                "precision": self.precision,
                "precision_lower": self.precision_lower,
                "precision_upper": self.precision_upper,
                "coverage": self.coverage,
                "reached": self.reached,
                "prediction": self.prediction,
                "n_evaluations": self.n_evaluations,
            },
            index=pd.RangeIndex(len(self.rule), name="row"),
        )

    def __repr__(self):
        n_rows = len(self.rule)
        lines = [f"Anchors({n_rows} rows, threshold {self.threshold:g}: {int(self.reached.sum())} reached)"]
        within = "" if self.tolerance is None else f" +/- {self.tolerance:.4g}"
        for i in range(min(n_rows, 5)):
            prediction = plain(self.prediction[i])
            prediction = f"{prediction:.4g}" if isinstance(prediction, float) else repr(prediction)
            lines.append(
                f"  {i}: IF {self.rule[i] or '(any row)'} THEN {prediction}{within} "
                f"(precision {self.precision[i]:.2f}, coverage {self.coverage[i]:.2f})"
            )
        if n_rows > 5:
            lines.append(f"  ... {n_rows - 5} more")
        return "\n".join(lines)
