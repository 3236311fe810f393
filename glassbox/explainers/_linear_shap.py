"""The linear closed form of Shapley values: a linear model's output read as a sum.

For an output that is linear in the features, ``f(x) = sum_j c_j(x_j) + b``, the
interventional Shapley value of feature ``j`` is ``c_j(x_j) - mean_b c_j(z_bj)``: no
coalition needs evaluating. :class:`LinearForm` reads the per-column contributions
``c_j`` of a fitted linear model (alone or at the end of a Pipeline, on the columns the
Pipeline derives; :mod:`._pipeline` folds them back).
"""

from __future__ import annotations

import numpy as np

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
            X = np.asarray(inputs, dtype=np.float64)
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
