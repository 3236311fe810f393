"""A fitted scikit-learn model's own global importance: coefficients or impurity decrease.

``glassbox.explain(model)`` without rows uses it for linear models (``coef_``) and for
trees and tree ensembles (``feature_importances_``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .explanation import Explanation

__all__ = ["has_own_importance", "own_importance"]


def has_own_importance(model: Any) -> bool:
    """Whether ``model`` carries a global importance of its own (``coef_`` or
    ``feature_importances_``) on its input features."""
    if hasattr(model, "steps"):  # a Pipeline's final coefficients are on derived columns
        return False
    try:
        return hasattr(model, "coef_") or hasattr(model, "feature_importances_")
    except Exception:  # an attribute that raises (not fitted, no such importance) counts as absent
        return False


def own_importance(model: Any, X: Any = None) -> Explanation:
    """The global importance a fitted model carries itself, as an ``Explanation``.

    - Linear models (``coef_``): the coefficients, one output per class score (the
      log-odds of the positive class for a binary classifier, each class's score for a
      multiclass one) or per target, with the intercepts as ``base_values``
      (``method="coefficients"``). Coefficients are in the units of the features: a
      feature measured in thousands gets a coefficient a thousand times smaller than
      in units, so compare them only for features on a common scale, or use
      ``ShapleyExplainer(model, method="linear")`` on data, which scales each by the
      spread of its feature.
    - Linear models with ``X``: the standardised coefficients, each coefficient times
      the standard deviation of its column of ``X`` (``ddof=0``): the change of the
      output per standard deviation of the feature, comparable across features in
      different units, with the output at the columns' means of ``X`` as
      ``base_values`` (``method="standardized_coefficients"``).
    - Trees and tree ensembles (``feature_importances_``): the mean decrease in
      impurity, summing to 1 (``method="impurity_importance"``). It is measured on the
      training data and favours features with many distinct values (continuous or
      high-cardinality ones), which offer many split points, even when they carry no
      signal; it also splits the credit of correlated features arbitrarily. Use
      ``PermutationImportance`` on held-out rows, or Shapley values
      (``glassbox.explain(model, X)``), when those matter.

    Parameters
    ----------
    model : fitted estimator with ``coef_`` or ``feature_importances_``
    X : array-like or DataFrame of shape (n_samples, n_features), default=None
        Rows whose spread standardises a linear model's coefficients.

    Returns
    -------
    explanation : Explanation
        Global: ``values`` of shape ``(n_features, n_outputs)``.
    """
    names = getattr(model, "feature_names_in_", None)
    if hasattr(model, "coef_"):
        coef = np.asarray(model.coef_, dtype=np.float64)
        values = coef[:, None] if coef.ndim == 1 else coef.T
        intercept = np.broadcast_to(np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64), values.shape[1:])
        classes = getattr(model, "classes_", None)
        if classes is not None and values.shape[1] == 1 and len(classes) == 2:
            outputs = np.asarray(classes[1:], dtype=object)  # the log-odds of the positive class
        elif classes is not None and values.shape[1] == len(classes):
            outputs = np.asarray(classes, dtype=object)
        else:
            outputs = np.asarray(["output"] if values.shape[1] == 1 else
                                 [f"target {k}" for k in range(values.shape[1])], dtype=object)
        method, base = "coefficients", np.array(intercept, dtype=np.float64)
        if X is not None:
            columns = _numeric_columns(model, X, len(values))
            values = values * columns.std(axis=0)[:, None]
            base = base + columns.mean(axis=0) @ (coef[:, None] if coef.ndim == 1 else coef.T)
            method = "standardized_coefficients"
    else:
        if X is not None:
            raise ValueError(
                f"The impurity importance of {type(model).__name__} is measured on its training data in fitting; "
                "X cannot change it. Call explain(model) without X, or measure importance on these rows with "
                "PermutationImportance(model).fit(X, y)."
            )
        values = np.asarray(model.feature_importances_, dtype=np.float64)[:, None]
        outputs, method, base = np.asarray(["importance"], dtype=object), "impurity_importance", None
    if names is None:
        names = [f"x{j}" for j in range(len(values))]
    return Explanation(
        values=values, base_values=base, feature_names=np.asarray(names, dtype=object), output_names=outputs,
        method=method,
    )


def _numeric_columns(model, X, n_features):
    """``X`` as the float matrix of the columns a linear model reads, in its order."""
    names = getattr(model, "feature_names_in_", None)
    if hasattr(X, "columns") and names is not None:
        missing = [name for name in names if name not in X.columns]
        if missing:
            raise ValueError(
                f"X lacks the column(s) {', '.join(map(repr, missing[:5]))} that {type(model).__name__} was fitted "
                "on; pass the rows with the same columns."
            )
        X = X[list(names)]
    try:
        columns = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"Standardising the coefficients of {type(model).__name__} needs numeric columns, as the model read "
            "them; X holds values that are not numbers (encode them as the model's Pipeline does)."
        ) from None
    if columns.ndim != 2 or columns.shape[1] != n_features:
        raise ValueError(
            f"X must have the {n_features} columns {type(model).__name__} was fitted on; got an array of shape "
            f"{columns.shape}."
        )
    if len(columns) < 2 or not np.isfinite(columns).all():
        raise ValueError(
            "Standardising coefficients needs at least two rows of X and no missing or infinite values; got "
            f"{len(columns)} rows{'' if np.isfinite(columns).all() else ' with missing or infinite values'}."
        )
    return columns
