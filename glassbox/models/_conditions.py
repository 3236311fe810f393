"""Conditions on one feature, shared by trees and rule lists.

A condition is ``(feature, op, value, missing)``: ``feature`` is a column index,
``op`` one of ``"<="``, ``">"``, ``"=="``, ``"!="``, ``"missing"``, ``"not missing"``,
``value`` a threshold or a category code (on the encoded representation of ``_core``),
and ``missing`` says whether the condition holds when the feature is missing (ignored for
``op="missing"``, which holds exactly then, and ``op="not missing"``, which holds exactly
otherwise). Sets of conditions are parallel arrays, evaluated as boolean masks without a
Python loop over rows; :mod:`._render` writes them as text, SQL and Python, so that every
model reads and exports the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OPS", "Conditions"]

OPS = ("<=", ">", "==", "!=", "missing", "not missing")


@dataclass(frozen=True, eq=False)
class Conditions:
    """Parallel arrays describing ``n_conditions`` single-feature conditions.

    Attributes
    ----------
    feature : ndarray of int of shape (n_conditions,)
    op : ndarray of str of shape (n_conditions,)
    value : ndarray of float of shape (n_conditions,)
    missing : ndarray of bool of shape (n_conditions,)
        Whether the condition holds for a missing value.
    """

    feature: np.ndarray
    op: np.ndarray
    value: np.ndarray
    missing: np.ndarray

    @classmethod
    def from_lists(cls, feature, op, value, missing=None):
        feature = np.asarray(feature, dtype=np.intp)
        op = np.asarray(op, dtype=object)
        bad = set(op.tolist()) - set(OPS)
        if bad:
            raise ValueError(f"Unknown condition operators {sorted(bad)}; expected {OPS}.")
        value = np.asarray(value, dtype=np.float64)
        missing = np.zeros(len(feature), dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
        return cls(feature, op, value, missing)

    def __len__(self):
        return len(self.feature)

    def __getitem__(self, index):
        index = np.atleast_1d(np.arange(len(self))[index])
        return Conditions(self.feature[index], self.op[index], self.value[index], self.missing[index])

    def evaluate(self, X):
        """Whether each row of encoded ``X`` satisfies each condition, shape (n_samples, n_conditions)."""
        columns = X[:, self.feature]  # (n, k)
        is_missing = np.isnan(columns)
        value = self.value[None, :]
        with np.errstate(invalid="ignore"):
            holds = np.select(
                [self.op == "<=", self.op == ">", self.op == "==", self.op == "!=", self.op == "not missing"],
                [columns <= value, columns > value, columns == value, columns != value, True],
                default=False,
            )
        holds_if_missing = (self.op == "missing") | (self.missing & (self.op != "not missing"))
        return np.where(is_missing, holds_if_missing, holds)
