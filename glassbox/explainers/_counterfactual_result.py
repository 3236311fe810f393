"""The result of a counterfactual search: :class:`Counterfactuals`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Counterfactuals"]

STATUSES = ("found", "partial", "not_found", "already_desired")
"""The status of an explained row, in the order ``repr`` counts them."""


@dataclass(frozen=True, eq=False, repr=False)
class Counterfactuals:
    """Counterfactual rows for every explained row, with distances and a status per row.

    Attributes
    ----------
    counterfactuals : DataFrame of shape (n_counterfactuals, n_features)
        The changed rows, in the format the model was fitted on (categories as their
        levels), indexed by ``(row, rank)``: the position of the explained row in ``X``
        and the counterfactual's rank for it (0 is the closest).
    distance : ndarray of shape (n_counterfactuals,)
        Distance of each counterfactual to its row: the sum over numeric features of
        the absolute change divided by the feature's median absolute deviation, plus 1
        per changed categorical feature.
    n_changed : ndarray of shape (n_counterfactuals,)
        Features each counterfactual changes (its sparsity).
    changed : ndarray of bool of shape (n_counterfactuals, n_features)
        Which features each counterfactual changes.
    prediction : ndarray of shape (n_counterfactuals,)
        The model's prediction for each counterfactual.
    original : DataFrame of shape (n_rows, n_features)
        The explained rows.
    original_prediction : ndarray of shape (n_rows,)
        The model's prediction for each explained row.
    status : ndarray of str of shape (n_rows,)
        ``"found"`` (``n_counterfactuals`` of them), ``"partial"`` (fewer),
        ``"not_found"`` (none: the search could not change the decision) or
        ``"already_desired"`` (the row already has the desired outcome).
    desired : object
        The desired class (``None``: any class but the predicted one) or the
        ``(low, high)`` range of a regressor's prediction.
    """

    counterfactuals: pd.DataFrame
    distance: np.ndarray
    n_changed: np.ndarray
    changed: np.ndarray
    prediction: np.ndarray
    original: pd.DataFrame
    original_prediction: np.ndarray
    status: np.ndarray
    desired: object = None

    @property
    def feature_names(self) -> np.ndarray:
        return np.asarray(self.original.columns, dtype=object)

    @property
    def success_rate(self) -> float:
        """Share of the rows needing a change for which at least one was found."""
        searched = self.status != "already_desired"
        if not searched.any():
            return 1.0
        return float(np.isin(self.status[searched], ("found", "partial")).mean())

    def for_row(self, row: int) -> pd.DataFrame:
        """The counterfactuals of explained row ``row`` (its position in ``X``), by rank."""
        return self.counterfactuals.iloc[self._positions(row)].droplevel("row")

    def changes(self, row: int) -> pd.DataFrame:
        """What each counterfactual of ``row`` changes: one line per changed feature.

        Returns a DataFrame with columns ``rank``, ``feature``, ``original`` and
        ``counterfactual``.
        """
        positions = self._positions(row)
        ranks, features = np.nonzero(self.changed[positions])
        names = self.feature_names
        original = self.original.iloc[row].to_numpy(dtype=object)
        frame = self.counterfactuals.iloc[positions].to_numpy(dtype=object)
        return pd.DataFrame(
            {
                "rank": ranks,
                "feature": names[features],
                "original": original[features],
                "counterfactual": frame[ranks, features],
            }
        )

    def _positions(self, row):
        if not 0 <= row < len(self.original):
            raise IndexError(f"row {row} is out of range for {len(self.original)} explained rows.")
        return np.flatnonzero(self.counterfactuals.index.get_level_values("row") == row)

    def to_frame(self) -> pd.DataFrame:
        """The counterfactuals with ``prediction``, ``distance`` and ``n_changed`` columns."""
        return self.counterfactuals.assign(
            prediction=self.prediction, distance=self.distance, n_changed=self.n_changed
        )

    def __repr__(self):
        counts = ", ".join(f"{int((self.status == s).sum())} {s.replace('_', ' ')}" for s in STATUSES)
        lines = [f"Counterfactuals({len(self.original)} rows: {counts})"]
        if len(self.distance):
            lines.append(
                f"  {len(self.distance)} counterfactuals; median {np.median(self.n_changed):g} features "
                f"changed, median distance {np.median(self.distance):.3g}"
            )
        return "\n".join(lines)
