"""What the sparse linear classifier and regressor share: the budgets, the fit, the
explanations.

The columns, then (with ``max_terms``) the terms, are selected on lasso paths and the
loss is refitted on them (see :mod:`._linear`); the design is :mod:`._linear_terms`,
the numerical work :mod:`._linear_solver`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import Interval, StrOptions
from ..explanation import Explanation
from ._linear_relax import relaxed_coefficients
from ._linear_solver import _Logistic, _Multinomial, _Problem, _Squared
from ._linear_terms import _Design, _term_names

__all__ = ["_SparseLinearModel"]


class _SparseLinearModel(TransparentMixin):
    """What the sparse linear classifier and regressor share: fit, text, export, explain."""

    _parameter_constraints = {
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "max_terms": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "relax": [Interval(Real, 0, 1, closed="both"), StrOptions({"cv"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        max_features: int | None = 10,
        max_terms: int | None = None,
        alpha: float = 1e-3,
        relax: float | str = 1.0,
        tol: float = 1e-7,
        max_iter: int = 100,
    ) -> None:
        self.max_features = max_features
        self.max_terms = max_terms
        self.alpha = alpha
        self.relax = relax
        self.tol = tol
        self.max_iter = max_iter

    # -- fit ------------------------------------------------------------------------
    def _fit(self, X, Y, w, loss, *, y_shift=0.0, y_scale=1.0):
        """Select, refit and store the coefficients; ``Y`` is (n, K) (0/1 or one-hot for
        classifiers).

        A regression target comes standardised, ``(y - y_shift) / y_scale``, so that the
        solver's tolerances do not depend on its units.
        """
        w = w / w.sum()
        design = _Design.build(X, self._feature_schema, w)
        self.fill_values_, self.reference_levels_ = design.fill_values, design.reference_levels
        n_usable = len(design.starts)
        # max_terms coefficients span at most max_terms columns: then max_features cannot bind.
        by_features = self.max_features is not None and (self.max_terms is None or self.max_terms > self.max_features)
        budget = min(self.max_features, n_usable) if by_features else n_usable
        if by_features and self.max_features > n_usable:
            warnings.warn(f"max_features={self.max_features} is more than the {n_usable} features that vary in X; "
                          + (f"{type(self).__name__} uses all {n_usable}." if n_usable else
                             f"{type(self).__name__} is its intercept alone, the constant model."),
                          UserWarning, stacklevel=3)
        relaxed = self.relax != 1
        problem = _Problem(design.Z, Y, w, loss, design.starts, design.stops, self.tol, self.max_iter)
        if budget < n_usable or (relaxed and self.max_terms is None):
            chosen = np.sort(problem.path_select(budget))
        else:
            chosen = np.arange(n_usable)
        if self.max_terms is not None:
            # The lasso path over single coefficients (a term in one equation) of the chosen
            # columns' terms: a multiclass term may enter for some classes only.
            keep = np.isin(design.terms.feature, design.features[chosen])
            design = _Design.build(X, self._feature_schema, w, keep=keep, by_term=True)
            problem = _Problem(design.Z, Y, w, loss, design.starts, design.stops, self.tol, self.max_iter,
                               per_class=True)
            n_units = len(design.starts) * Y.shape[1]
            if n_units < self.max_terms:
                warnings.warn(f"max_terms={self.max_terms} is more than the {n_units} non-zero coefficients the "
                              f"terms of the columns used can take; {type(self).__name__} uses all of them.",
                              UserWarning, stacklevel=3)
            if n_units > self.max_terms or relaxed:
                chosen = np.sort(problem.path_select(min(self.max_terms, n_units)))
            else:
                chosen = np.arange(n_units)
        if hasattr(problem, "path"):
            intercept, coef_z, self.n_iter_, info = relaxed_coefficients(problem, chosen, self.alpha, self.relax)
            for name, value in info.items():
                setattr(self, name, value)
        else:  # every unit, no path: the refit is the lasso at the penalty 0
            intercept, coef_z, self.n_iter_ = problem.refit(chosen, self.alpha)
            self.relax_, self.penalty_ = 1.0, 0.0
        if not problem.converged:
            hint = " (the classes may be separable)" if isinstance(loss, (_Logistic, _Multinomial)) else ""
            warnings.warn(f"{type(self).__name__} did not converge in max_iter={self.max_iter} Newton iterations; "
                          f"increase max_iter or alpha{hint}.", ConvergenceWarning, stacklevel=3)
        # A group without any effect (say, on a constant target) is left out of the model.
        spread = design.group_spread(coef_z)  # (n_groups, K)
        for g in np.flatnonzero(spread.max(axis=1) <= 1e-12):
            coef_z[design.starts[g] : design.stops[g]] = 0.0
        intercept, coef_z = intercept * y_scale + y_shift, coef_z * y_scale

        coef = design.term_coefficients(coef_z)  # (n_terms, K)
        if isinstance(loss, _Multinomial):  # the scores are defined up to a constant: intercepts sum to zero
            intercept = intercept - (intercept - design.means @ coef).mean()
        self._terms = design.terms
        self._term_means = design.means
        self._base_output = intercept  # the output at the mean of the training rows, (K,)
        self.terms_ = _term_names(design.terms, self._feature_schema)
        self.term_feature_idx_ = design.terms.feature.copy()
        self._importance = np.zeros((self.n_features_in_, Y.shape[1]))
        features, spread = design.feature_spread(coef_z, w)
        self._importance[features] = spread
        coef, intercept, standardized = coef.T, intercept - design.means @ coef, (coef * design.scale[:, None]).T
        if isinstance(loss, _Squared):  # one output, in scikit-learn's shapes of a regressor
            coef, intercept, standardized = coef[0], float(intercept[0]), standardized[0]
        self.coef_, self.intercept_, self.standardized_coef_ = coef, intercept, standardized
        flat = np.atleast_2d(coef)  # (n_outputs, n_terms)
        self.support_ = np.zeros(self.n_features_in_, dtype=bool)
        self.support_[self.term_feature_idx_[(flat != 0).any(axis=0)]] = True
        self.complexity_ = int(np.count_nonzero(flat))
        return self

    # -- prediction -----------------------------------------------------------------
    def _scores(self, X_encoded):
        """The linear predictor, shape (n_samples, n_outputs), summed term by term.

        The terms are added one at a time in the order of the exported SQL and Python,
        so that those compute exactly the same numbers.
        """
        coef = np.atleast_2d(self.coef_)  # (n_outputs, n_terms)
        scores = np.tile(np.atleast_1d(self.intercept_).astype(np.float64), (len(X_encoded), 1))
        for t in self._used_terms():
            value = self._terms.values(X_encoded, [t])[:, 0]
            scores = scores + value[:, None] * coef[:, t]
        return scores

    def _used_terms(self):
        """Indices of terms with a non-zero coefficient, in the order they are read."""
        coef = np.atleast_2d(self.coef_)
        order = np.argsort(-self._importance.sum(axis=1), kind="stable")  # most important column first
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        used = np.flatnonzero((coef != 0).any(axis=0))
        return used[np.argsort(rank[self._terms.feature[used]], kind="stable")]

    # -- explanation ----------------------------------------------------------------
    def explain(self, X: ArrayLike | None = None) -> Explanation:
        """Explain the model: its coefficients, or the contributions to rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), default=None
            Rows to explain. ``None`` gives the global explanation.

        Returns
        -------
        explanation : Explanation
            Without ``X``: values of shape (n_features, n_outputs), the standard deviation
            of each column's contribution to the linear predictor over the training rows
            (for a numeric column without missing values, the absolute standardised
            coefficient; for a categorical column, the spread of its levels' effects
            together), with ``base_values`` the output at the mean. The signed
            coefficients of every term are ``coef_`` (original scale) and
            ``standardized_coef_``. With ``X``: values of shape (n_samples, n_features,
            n_outputs), ``coef * (x - mean)`` summed over the terms of each column, with
            ``base_values`` the output at the training mean, so that
            ``values.sum(axis=1) + base_values`` is the linear predictor
            (``predict`` of the regressor, ``decision_function`` of the classifier).
        """
        check_is_fitted(self)
        output_names = self._output_names()
        schema = self._feature_schema
        if X is None:
            return Explanation(
                self._importance,
                base_values=self._base_output,
                feature_names=schema.feature_names,
                output_names=output_names,
                method="sparse-linear-standardized",
            )
        X_encoded = self._encode(X)
        coef = np.atleast_2d(self.coef_)  # (n_outputs, n_terms)
        values = np.zeros((len(X_encoded), schema.n_features, coef.shape[0]))
        used = self._used_terms()
        if len(used):
            centred = self._terms.values(X_encoded, used) - self._term_means[used]  # (n, k)
            contributions = centred[:, :, None] * coef[:, used].T[None, :, :]  # (n, k, o)
            np.add.at(values, (slice(None), self._terms.feature[used]), contributions)
        return self._local_explanation(
            X_encoded, values, np.broadcast_to(self._base_output, (len(X_encoded), coef.shape[0])),
            output_names, method="sparse-linear",
        )
