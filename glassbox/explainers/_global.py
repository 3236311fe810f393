"""The base of global explainers: permutation importance, partial dependence and ALE.

They describe a model over the rows they are given (permuting them, or averaging over
them), so unlike the local explainers they learn no background rows at ``fit``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .._base import BaseExplainer, fitted_model
from .._core import ModelOutput, draw_seed, validate_params, validate_X

__all__ = ["GlobalExplainer"]


class GlobalExplainer(BaseExplainer):
    """Base of explainers that describe a model over the rows passed to ``explain``.

    ``fit(X, y=None)`` follows the ``prefit`` convention of :class:`BaseExplainer`
    and learns the feature schema, but no background. Subclasses may learn more from
    the encoded ``X`` that :meth:`_fit_model` returns (grids, bins).
    """

    _parameter_constraints = {
        name: constraint
        for name, constraint in BaseExplainer._parameter_constraints.items()
        if name != "background"
    }

    def fit(self, X, y=None, **fit_params):
        """Fit the model if needed and learn the feature schema.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Target, needed only when the estimator has to be fitted.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        self._fit_model(X, y, fit_params)
        return self

    def _fit_model(self, X, y, fit_params):
        """Validate, fit the model when needed, resolve its output; return encoded ``X``."""
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        self.estimator_ = fitted_model(self, self.estimator, X, y, prefit=self.prefit, fit_params=fit_params)
        self._model_output = ModelOutput(self.estimator_, self._feature_schema, self.output)
        self.output_names_ = self._model_output.output_names
        self._seed = draw_seed(self.random_state)
        return X_encoded

    def _feature_index(self, key, *, context=""):
        """Position of a feature given by name or position; ``context`` says where it came from."""
        names = self._feature_schema.feature_names
        if isinstance(key, (Integral, np.integer)) and not isinstance(key, (bool, np.bool_)):
            if not 0 <= key < len(names):
                raise ValueError(
                    f"Feature {key}{context} is out of range: X has {len(names)} features "
                    f"(positions 0 to {len(names) - 1})."
                )
            return int(key)
        hits = np.flatnonzero(names == str(key)) if isinstance(key, str) else []
        if len(hits) == 0:
            shown = ", ".join(repr(n) for n in names[:20]) + (" ..." if len(names) > 20 else "")
            raise ValueError(f"{key!r}{context} is not a feature of X; the features are {shown}.")
        return int(hits[0])
