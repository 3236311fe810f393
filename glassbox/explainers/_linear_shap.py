"""The linear closed form of Shapley values: a linear model's output read as a sum.

For an output that is linear in the features, ``f(x) = sum_j c_j(x_j) + b``, the
interventional Shapley value of feature ``j`` is ``c_j(x_j) - mean_b c_j(z_bj)``: no
coalition needs evaluating. :class:`LinearForm` reads the per-column contributions
``c_j`` of a fitted linear model (alone or at the end of a Pipeline, on the columns the
Pipeline derives; :mod:`._pipeline` folds them back).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LinearForm"]


class LinearForm:
    """An additive output of a linear model as per-column contributions plus a constant.

    ``contributions(inputs)`` returns ``(values, offset)`` such that
    ``values.sum(axis=1) + offset`` is the output, with values of shape
    (n_rows, n_columns, n_outputs) for the columns the model takes. scikit-learn's
    linear models give ``coef_ * x``; glassbox's sparse linear models, whose
    coefficients are over terms (levels, missing indicators) of their columns, give
    their own per-column contributions (``explain``). A binary model's log-odds of
    class 0 and 1 are minus and plus its decision function.
    """

    def __init__(self, estimator, output):
        self.estimator = estimator
        self.mirror = output == "log_odds"

    def contributions(self, inputs):
        estimator = self.estimator
        if hasattr(estimator, "term_feature_idx_"):  # glassbox sparse linear models
            explanation = estimator.explain(inputs)
            values, offset = explanation.values, explanation.base_values[0]
        else:
            coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))  # (o, d)
            X = _as_numbers(inputs, type(estimator).__name__)
            if np.isnan(X).any():
                raise ValueError(
                    f"Input X contains NaN (missing values), which {type(estimator).__name__} does not accept. "
                    "Impute them first, for example with a Pipeline starting with SimpleImputer."
                )
            if X.shape[1] != coef.shape[1]:
                raise ValueError(f"coef_ has {coef.shape[1]} columns but the model takes {X.shape[1]}.")
            values = X[:, :, None] * coef.T[None]
            offset = np.broadcast_to(np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64)), len(coef))
        offset = np.asarray(offset, dtype=np.float64)
        if self.mirror and values.shape[2] == 1:
            values, offset = np.concatenate([-values, values], axis=2), np.concatenate([-offset, offset])
        return values, offset


def _as_numbers(inputs, name):
    """The model's input as float64, missing values (``pd.NA`` included) as NaN."""
    try:
        if hasattr(inputs, "to_numpy"):
            return inputs.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(inputs, dtype=np.float64)
    except (TypeError, ValueError):
        columns = getattr(inputs, "columns", range(np.shape(inputs)[1]))
        table = inputs if hasattr(inputs, "iloc") else pd.DataFrame(np.asarray(inputs, dtype=object))
        bad = [str(c) for c, j in zip(columns, range(table.shape[1]))
               if pd.to_numeric(table.iloc[:, j], errors="coerce").isna().sum() > table.iloc[:, j].isna().sum()]
        raise ValueError(
            f"{name} takes numbers, but these columns hold values that are not: {', '.join(map(repr, bad))}. "
            "Encode them first (for example OneHotEncoder in a Pipeline), or use method='exact' or 'kernel'."
        ) from None
