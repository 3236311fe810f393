"""Differentiating a Pipeline through a front that encodes categories and fills missing values.

A network differentiates the columns it is fed. When those columns come from a front the
network cannot absorb (a ``ColumnTransformer`` one-hot encoding categorical columns and
imputing missing values beside scaled numeric ones), the gradient explainer works in the
front's output, the *derived* columns, and folds the attributions back onto the raw
columns with :class:`~._pipeline.PipelineFront`:

- a derived column of a numeric raw column must be affine in it (scalers, imputers,
  passthrough: checked on training rows), so a straight path in the raw columns is a
  straight path in the derived ones and the gradient in a raw column is the derived
  gradient times the column's slope;
- a categorical column, and a missing cell, has no neighbourhood to differentiate in: it
  keeps the row's own value along every path and receives no attribution. Each row's
  baseline takes the row's categories and missing cells, so that the values of integrated
  gradients and DeepLIFT still add up to ``f(x) - f(b)`` with that baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._pipeline import PipelineFront, split_pipeline

__all__ = ["DerivedInputs", "derived_inputs"]

_PROBE = 1.0
"""Raw units a numeric column is moved by to read the slopes of its derived columns."""


@dataclass(frozen=True, eq=False)
class DerivedInputs:
    """The front of a Pipeline, as the gradient explainer differentiates through it.

    Attributes
    ----------
    front : PipelineFront
    slopes : ndarray of shape (n_derived,)
        Change of each derived column per unit of its raw column (0 for columns derived
        from a categorical one).
    """

    front: PipelineFront
    slopes: np.ndarray

    @property
    def n_derived(self):
        return self.front.n_derived

    def transform(self, X_encoded, schema=None):
        """The derived columns of encoded rows, shape (n, n_derived)."""
        return self.front.transform(X_encoded, schema)

    def movable(self, X_encoded):
        """Which cells move along a path, shape (n, n_features): numeric and present."""
        return ~self.front.schema.is_categorical[None, :] & ~np.isnan(X_encoded)

    def row_baselines(self, X_encoded, baseline):
        """Each row's baseline: ``baseline`` where the cell moves, the row's own value elsewhere."""
        return np.where(self.movable(X_encoded), baseline[None, :], X_encoded)

    def to_raw(self, G, X_encoded):
        """Gradients in the derived columns (n, o, n_derived) as gradients in the raw ones (n, o, p).

        Cells that do not move get 0.
        """
        raw = np.einsum("nod,dp->nop", G * self.slopes, self.front.folding_matrix())
        return raw * self.movable(X_encoded)[:, None, :]

    def fold(self, values):
        """Attributions of the derived columns (n, o, n_derived) summed onto the raw ones (n, o, p)."""
        return np.einsum("nod,dp->nop", values, self.front.folding_matrix())


def derived_inputs(estimator, schema, X_encoded):
    """The :class:`DerivedInputs` of a fitted Pipeline and its final estimator.

    Raises ``ValueError`` when the model is not a Pipeline with a front, when a derived
    column cannot be traced to one raw column, or when a numeric column's derived columns
    are not affine in it on the rows ``X_encoded``.
    """
    front, final = split_pipeline(estimator, schema, X_encoded)
    if front.transformer is None:
        raise ValueError(f"{type(estimator).__name__} has no Pipeline front that encodes its columns.")
    numeric = np.flatnonzero(~schema.is_categorical)
    rows = X_encoded[np.isfinite(X_encoded[:, numeric]).all(axis=1)][:32] if len(numeric) else X_encoded[:32]
    if len(rows) == 0:
        raise ValueError("no training row has every numeric value present to read the front's slopes from.")
    base = front.transform(rows)
    slopes = np.zeros(front.n_derived)
    for j in numeric:
        moved = rows.copy()
        moved[:, j] += _PROBE
        bumped = front.transform(moved)
        mine = front.sources == j
        change = (bumped - base) / _PROBE  # (rows, n_derived)
        if np.abs(change[:, ~mine]).max(initial=0.0) > 1e-9:
            raise ValueError(f"moving {schema.feature_names[j]!r} changes derived columns of other features.")
        slope = change[:, mine]
        twice = (front.transform(rows + _PROBE * 2 * np.eye(rows.shape[1])[j]) - base)[:, mine] / (2 * _PROBE)
        if not (np.allclose(slope, slope[:1], rtol=1e-7, atol=1e-9) and np.allclose(twice, slope, rtol=1e-7, atol=1e-9)):
            raise ValueError(
                f"the front maps {schema.feature_names[j]!r} through a transformation that is not affine "
                "(a scaler, an imputer or passthrough)."
            )
        slopes[mine] = slope[0]
    return DerivedInputs(front, slopes), final
