"""Sparse linear and logistic models with an exact feature budget.

The model is fitted in two steps, the relaxed lasso of Meinshausen (2007):

1. **Selection.** A group-lasso path (Friedman, Hastie & Tibshirani 2010; Yuan & Lin
   2006) over the standardised design, from the penalty at which the first feature
   enters down to the one at which exactly ``max_features`` features are active. A
   feature is a column of ``X``: the terms a column expands into (its value and its
   missing-value indicator, or the indicators of a categorical's levels) form one
   group, orthonormalised so that the penalty reads the size of the column's whole
   contribution, whichever level is the reference. Each penalty is solved by proximal
   Newton: the quadratic model is minimised by an active-set Newton method (block
   coordinate descent when the active set does not settle), restricted to the groups
   the sequential strong rule keeps and checked against the KKT conditions of all
   groups.
2. **Refit.** The loss restricted to the selected features, with a light ridge
   penalty ``alpha`` on the standardised coefficients, solved by Newton's method.

The losses are squared error (regressor), logistic (binary classifier) and
multinomial (multiclass classifier, one coefficient per class and term; a feature is
selected for all classes at once).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import PROBA_CLIP, Interval, check_sample_weight, check_target, validate_params, validate_X
from ..explanation import Explanation
from ._conditions import PYTHON_PRELUDE, logistic_select_sql, python_literal, sql_identifier, sql_literal, sql_table

__all__ = ["SparseLinearClassifier", "SparseLinearRegressor"]

_VALUE, _MISSING, _LEVEL = 0, 1, 2  # kinds of term
_MINUS = "\u2212"
_TIMES = "\u00d7"


# ---------------------------------------------------------------------------------
# The design: the terms each column of X expands into.
# ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Terms:
    """Parallel arrays describing the terms of the linear predictor.

    A numeric column gives a value term (missing values replaced by ``fill``) and, when
    ``fit`` saw missing values in it, a missing indicator. A categorical column gives
    one indicator per level other than the reference level, and a missing indicator
    when missing is one of its non-reference levels.
    """

    feature: np.ndarray  # int (n_terms,): the column of X
    kind: np.ndarray  # int (n_terms,): _VALUE, _MISSING or _LEVEL
    code: np.ndarray  # float (n_terms,): the level code of _LEVEL terms, NaN otherwise
    fill: np.ndarray  # float (n_terms,): what replaces a missing value of a _VALUE term

    def __len__(self):
        return len(self.feature)

    def values(self, X_encoded, index=None):
        """Term values of the encoded rows, shape (n_samples, n_terms[index])."""
        index = np.arange(len(self)) if index is None else np.asarray(index, dtype=np.intp)
        columns = X_encoded[:, self.feature[index]]  # (n, k)
        missing = np.isnan(columns)
        kind = self.kind[index]
        out = np.where(missing, self.fill[index], columns)
        out = np.where(kind == _MISSING, missing, out)
        return np.where(kind == _LEVEL, columns == self.code[index], out).astype(np.float64)


def _build_terms(X, schema, w):
    """Terms of each column and the reference level of each categorical column.

    ``w`` are the normalised sample weights; a level or a missing value counts as seen
    when rows with positive weight hold it. The reference level of a categorical column
    is its most frequent one (by weight; missing counts as a level).
    """
    positive = w > 0
    rows = []  # (feature, kind, code, fill) of each term
    fill_values = np.full(schema.n_features, np.nan)
    references = np.full(schema.n_features, None, dtype=object)
    for j in range(schema.n_features):
        column = X[:, j]
        missing = np.isnan(column)
        has_missing = bool((missing & positive).any())
        if not schema.is_categorical[j]:
            observed = ~missing & positive
            if w[observed].sum() > 0:
                fill_values[j] = np.average(column[observed], weights=w[observed])
            # A column without observed values keeps NaN in fill_values; its term is constant, never used.
            rows.append((j, _VALUE, np.nan, np.nan_to_num(fill_values[j])))
            if has_missing:
                rows.append((j, _MISSING, np.nan, np.nan))
            continue
        n_levels = len(schema.categories[j])
        codes = np.where(missing | (column < 0), n_levels, column).astype(np.intp)
        counts = np.bincount(codes[positive], weights=w[positive], minlength=n_levels + 1)  # last: missing
        reference = int(np.argmax(counts))
        references[j] = np.nan if reference == n_levels else schema.categories[j][reference]
        rows.extend((j, _LEVEL, float(level), np.nan) for level in np.flatnonzero(counts[:n_levels] > 0)
                    if level != reference)
        if has_missing and reference != n_levels:
            rows.append((j, _MISSING, np.nan, np.nan))
    feature, kind, code, fill = (np.asarray(values) for values in zip(*rows))
    terms = _Terms(feature.astype(np.intp), kind.astype(np.intp), code.astype(np.float64), fill.astype(np.float64))
    return terms, fill_values, references


def _term_names(terms, schema):
    """How each term reads: ``age``, ``smoker = yes``, ``bmi is missing``."""
    names = []
    for j, kind, code in zip(terms.feature, terms.kind, terms.code):
        name = schema.feature_names[j]
        if kind == _VALUE:
            names.append(str(name))
        elif kind == _MISSING:
            names.append(f"{name} is missing")
        else:
            names.append(f"{name} = {schema.categories[j][int(code)]}")
    return np.asarray(names, dtype=object)


def _orthonormal_groups(Xc, w, groups):
    """Per group, a map ``T`` such that ``Xc[:, group] @ T`` has identity weighted covariance.

    Returns the list of maps (shape (n_terms_in_group, rank)). A group whose terms are
    linearly dependent keeps the directions of its non-zero variance only.
    """
    maps = []
    for index in groups:
        block = Xc[:, index]
        cov = block.T @ (w[:, None] * block)
        eigval, eigvec = np.linalg.eigh(cov)
        keep = eigval > 1e-10 * max(eigval.max(), 1e-300)
        maps.append(eigvec[:, keep] / np.sqrt(eigval[keep]))
    return maps


@dataclass(frozen=True, eq=False)
class _Design:
    """The terms of the training rows, centred and orthonormalised per column.

    ``Z[:, starts[g]:stops[g]]`` is group ``g``: the terms of column ``features[g]``
    (only those that vary), centred and mapped by ``maps[g]`` to an identity weighted
    covariance.
    """

    terms: _Terms
    fill_values: np.ndarray  # (n_features,)
    reference_levels: np.ndarray  # (n_features,)
    means: np.ndarray  # (n_terms,): weighted mean of each term
    scale: np.ndarray  # (n_terms,): weighted standard deviation of each term
    features: np.ndarray  # (n_groups,): the column of each group
    groups: list  # term indices of each group
    maps: list  # (n_group_terms, rank) of each group
    starts: np.ndarray  # (n_groups,)
    stops: np.ndarray  # (n_groups,)
    Z: np.ndarray  # (n_samples, sum of ranks)

    @classmethod
    def build(cls, X, schema, w):
        terms, fill_values, references = _build_terms(X, schema, w)
        values = terms.values(X)  # (n, n_terms)
        means = w @ values
        is_value = terms.kind == _VALUE
        means[is_value] = terms.fill[is_value]  # the same number up to rounding: a missing value adds exactly 0
        centred = values - means
        scale = np.sqrt(w @ centred**2)
        positive = w > 0
        varies = np.array([_varies(values[positive, t]) for t in range(len(terms))], dtype=bool)
        features = np.unique(terms.feature[varies])
        groups = [np.flatnonzero(varies & (terms.feature == j)) for j in features]
        maps = _orthonormal_groups(centred, w, groups)
        ranks = np.array([m.shape[1] for m in maps], dtype=np.intp)
        stops = np.cumsum(ranks)
        Z = np.hstack([centred[:, index] @ m for index, m in zip(groups, maps)]) if groups else np.zeros((len(X), 0))
        return cls(terms, fill_values, references, means, scale, features, groups, maps, stops - ranks, stops, Z)

    def term_coefficients(self, coef_z):
        """Coefficients of the (centred) terms, shape (n_terms, K), from those of ``Z``."""
        coef = np.zeros((len(self.terms), coef_z.shape[1]))
        for index, m, a, b in zip(self.groups, self.maps, self.starts, self.stops):
            coef[index] = m @ coef_z[a:b]
        return coef

    def group_spread(self, coef_z):
        """Standard deviation of each group's contribution, shape (n_groups, K)."""
        if not len(self.starts):
            return np.zeros((0, coef_z.shape[1]))
        return np.sqrt(np.add.reduceat(coef_z**2, self.starts, axis=0))


# ---------------------------------------------------------------------------------
# Losses: the mean weighted loss, its residuals and its curvature.
# ---------------------------------------------------------------------------------
class _Squared:
    """Half the mean squared error; ``Y`` has shape (n, 1)."""

    def null_intercept(self, Y, w):
        return w @ Y  # (1,)

    def value(self, eta, Y, w):
        return 0.5 * w @ ((eta - Y) ** 2).sum(axis=1)

    def derivatives(self, eta, Y, w):
        """Weighted residuals (n, K) and curvature weights (n, K, K)."""
        return w[:, None] * (eta - Y), w[:, None, None]


class _Logistic:
    """Mean log-loss of a binary target; ``Y`` holds 0/1 in shape (n, 1)."""

    def null_intercept(self, Y, w):
        p = np.clip(w @ Y, PROBA_CLIP, 1 - PROBA_CLIP)
        return np.log(p) - np.log1p(-p)

    def value(self, eta, Y, w):
        softplus = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))  # log(1 + exp(eta))
        return w @ (softplus - Y * eta).sum(axis=1)

    def derivatives(self, eta, Y, w):
        p = expit(eta)
        return w[:, None] * (p - Y), (w[:, None] * p * (1 - p))[:, :, None]


class _Multinomial:
    """Mean multinomial log-loss; ``Y`` is one-hot of shape (n, K)."""

    def null_intercept(self, Y, w):
        log_p = np.log(np.clip(w @ Y, PROBA_CLIP, None))
        return log_p - log_p.mean()

    def value(self, eta, Y, w):
        return -w @ (Y * (eta - logsumexp(eta, axis=1, keepdims=True))).sum(axis=1)

    def derivatives(self, eta, Y, w):
        p = softmax(eta, axis=1)
        curvature = w[:, None, None] * (p[:, :, None] * np.eye(p.shape[1]) - p[:, :, None] * p[:, None, :])
        return w[:, None] * (p - Y), curvature


def _hessian(Z, curvature):
    """Hessian of the loss in the flattened parameters ``theta.ravel()``.

    ``Z`` (n, d) is the design with the intercept column first; ``curvature`` (n, K, K)
    the per-row weights. Parameter ``(j, k)`` (column j, class k) sits at ``j * K + k``.
    """
    d, K = Z.shape[1], curvature.shape[1]
    H = np.empty((d, K, d, K))
    for k in range(K):
        for m in range(k, K):
            block = Z.T @ (curvature[:, k, m][:, None] * Z)  # (d, d)
            H[:, k, :, m] = block
            H[:, m, :, k] = block
    return H.reshape(d * K, d * K)


# ---------------------------------------------------------------------------------
# The group-lasso path and the refit.
# ---------------------------------------------------------------------------------
class _Problem:
    """A group-lasso problem on an orthonormalised design.

    Parameters are ``intercept`` (K,) and ``coef`` (n_columns, K); group ``g`` owns the
    columns ``Z[:, starts[g]:stops[g]]`` and its penalty weight is the square root of
    its size.
    """

    def __init__(self, Z, Y, w, loss, starts, stops, tol, max_iter):
        self.Z, self.Y, self.w, self.loss = Z, Y, w, loss
        self.starts, self.stops = np.asarray(starts), np.asarray(stops)
        self.weights = np.sqrt(self.stops - self.starts)
        self.tol, self.max_iter = tol, max_iter
        self.K = Y.shape[1]
        self.converged = True

    def group_gradient_norms(self, intercept, coef):
        """Norm of the loss gradient of each group, shape (n_groups,)."""
        residual, _ = self.loss.derivatives(intercept + self.Z @ coef, self.Y, self.w)
        squared = ((self.Z.T @ residual) ** 2).sum(axis=1)  # (n_columns,)
        return np.sqrt(np.add.reduceat(squared, self.starts)) if len(self.starts) else squared

    def columns(self, groups):
        return np.concatenate([np.arange(self.starts[g], self.stops[g]) for g in groups]).astype(np.intp)

    def solve(self, lam, groups, intercept, coef):
        """Minimise the penalised loss over ``groups`` (others held at zero); in place on ``coef``."""
        K = self.K
        columns = self.columns(groups) if len(groups) else np.zeros(0, dtype=np.intp)
        Z = np.hstack([np.ones((len(self.Z), 1)), self.Z[:, columns]])  # (n, 1 + m)
        theta = np.vstack([intercept[None, :], coef[columns]])  # (1 + m, K)
        sizes = (self.stops - self.starts)[groups] * K
        bounds = np.concatenate([[0, K], K + np.cumsum(sizes)]).astype(np.intp)
        penalty = np.concatenate([[0.0], lam * self.weights[groups]])  # per block

        def objective(t):
            eta = Z @ t
            norms = _block_norms(t.ravel(), bounds)
            return self.loss.value(eta, self.Y, self.w) + penalty @ norms, norms

        value, norms = objective(theta)
        for _ in range(self.max_iter):
            residual, curvature = self.loss.derivatives(Z @ theta, self.Y, self.w)
            gradient = (Z.T @ residual).ravel()
            H = _hessian(Z, curvature)
            new = _block_descent(H, gradient, theta.ravel(), bounds, penalty, self.tol)
            step = new - theta.ravel()
            decrease = gradient @ step + penalty @ (_block_norms(new, bounds) - norms)
            if -decrease <= self.tol**2:
                break
            t = 1.0
            while True:
                candidate = theta + t * step.reshape(theta.shape)
                new_value, new_norms = objective(candidate)
                if new_value <= value + 0.25 * t * decrease or t < 1e-10:
                    break
                t *= 0.5
            if not new_value < value:  # no progress left in floating point
                break
            theta, value, norms = candidate, new_value, new_norms
        else:
            self.converged = False
        intercept[:] = theta[0]
        coef[columns] = theta[1:]

    def path_select(self, k):
        """The first ``k`` groups to be active on the path, as indices into the groups."""
        n_groups = len(self.starts)
        intercept = self.loss.null_intercept(self.Y, self.w).astype(np.float64)
        coef = np.zeros((self.Z.shape[1], self.K))
        scores = self.group_gradient_norms(intercept, coef) / self.weights
        lam_max = scores.max()
        if lam_max <= 0:
            return np.argsort(-scores, kind="stable")[:k]
        state = (lam_max, intercept.copy(), coef.copy(), scores)  # the last point with < k active
        for lam in lam_max * np.geomspace(1.0, 1e-4, 60)[1:]:
            active, snapshot = self._solve_with_kkt(lam, state)
            count = active.sum()
            if count == k:
                return np.flatnonzero(active)
            if count > k:
                return self._bisect(k, state, lam, snapshot)
            state = snapshot
        # The path did not reach k features: add those whose penalty would let them in first.
        _, intercept, coef, scores = state
        chosen = np.flatnonzero(np.add.reduceat((coef**2).sum(axis=1), self.starts) > 0)
        rest = np.setdiff1d(np.arange(n_groups), chosen)
        return np.concatenate([chosen, rest[np.argsort(-scores[rest], kind="stable")][: k - len(chosen)]])

    def _solve_with_kkt(self, lam, state):
        lam_prev, intercept, coef, scores = state
        intercept, coef = intercept.copy(), coef.copy()
        current = np.add.reduceat((coef**2).sum(axis=1), self.starts) > 0
        candidates = current | (scores >= 2 * lam - lam_prev)  # the sequential strong rule
        while True:
            groups = np.flatnonzero(candidates)
            self.solve(lam, groups, intercept, coef)
            scores = self.group_gradient_norms(intercept, coef) / self.weights
            violators = ~candidates & (scores > lam * (1 + 1e-9))
            if not violators.any():
                break
            candidates |= violators
        active = np.add.reduceat((coef**2).sum(axis=1), self.starts) > 0
        return active, (lam, intercept, coef, scores)

    def _bisect(self, k, below, lam_over, over):
        """Between a penalty with fewer than ``k`` active groups and one with more."""
        for _ in range(40):
            lam_below, lam_mid = below[0], np.sqrt(below[0] * lam_over)
            if lam_below / lam_over < 1 + 1e-8:
                break
            active, snapshot = self._solve_with_kkt(lam_mid, below)
            count = active.sum()
            if count == k:
                return np.flatnonzero(active)
            if count < k:
                below = snapshot
            else:
                lam_over, over = lam_mid, snapshot
        # Groups entering at the same penalty: keep those active before, then the largest.
        first = np.flatnonzero(np.add.reduceat((below[2] ** 2).sum(axis=1), self.starts) > 0)
        size = np.add.reduceat((over[2] ** 2).sum(axis=1), self.starts)
        size[first] = np.inf
        return np.argsort(-size, kind="stable")[:k]

    def refit(self, groups, alpha):
        """Minimise the loss plus ``alpha / 2 * ||coef||^2`` over ``groups``, by Newton's method."""
        K = self.K
        columns = self.columns(groups) if len(groups) else np.zeros(0, dtype=np.intp)
        Z = np.hstack([np.ones((len(self.Z), 1)), self.Z[:, columns]])
        theta = np.zeros((Z.shape[1], K))
        theta[0] = self.loss.null_intercept(self.Y, self.w)
        ridge = np.full(theta.shape, alpha)
        ridge[0] = 0.0
        ridge = ridge.ravel()

        def objective(t):
            return self.loss.value(Z @ t, self.Y, self.w) + 0.5 * ridge @ t.ravel() ** 2

        value = objective(theta)
        converged = False
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            residual, curvature = self.loss.derivatives(Z @ theta, self.Y, self.w)
            gradient = (Z.T @ residual).ravel() + ridge * theta.ravel()
            H = _hessian(Z, curvature) + np.diag(ridge)
            step = -_solve(H, gradient, symmetric_null=K > 1)
            decrease = gradient @ step
            if -decrease <= 1e-16 * max(1.0, abs(value)):  # the full step ends at the optimum
                converged = True
                theta = theta + step.reshape(theta.shape)
                break
            t = 1.0
            while True:
                candidate = theta + t * step.reshape(theta.shape)
                new_value = objective(candidate)
                if new_value <= value + 1e-4 * t * decrease or t < 1e-10:
                    break
                t *= 0.5
            if not new_value < value:  # no progress left in floating point
                converged = True
                break
            theta, value = candidate, new_value
        if not converged:
            self.converged = False
        coef = np.zeros((self.Z.shape[1], K))
        coef[columns] = theta[1:]
        return theta[0], coef, n_iter


def _block_descent(H, gradient, theta, bounds, penalty, tol, max_sweeps=1000):
    """Minimise ``gradient @ d + d @ H @ d / 2 + sum_b penalty_b ||(theta + d)_b||`` over d.

    An active-set method: Newton's method on the blocks currently active (where the
    objective is smooth, see :func:`_polish`), dropping a block that shrinks through
    zero and adding one that violates its optimality (KKT) condition, started from
    ``theta``. Block coordinate descent (block 0, the intercepts, unpenalised and
    updated exactly; the others by their majorised group soft-threshold step) takes
    over when the active set does not settle. Returns ``theta + d``.
    """
    blocks = list(zip(bounds[:-1], bounds[1:]))
    H0 = H[: blocks[0][1], : blocks[0][1]]
    inverse0 = np.linalg.pinv(H0) if len(H0) > 1 else 1.0 / np.maximum(H0, 1e-300)
    lipschitz = np.array([1.0] + [
        (H[a, a] if b - a == 1 else np.linalg.eigvalsh(H[a:b, a:b])[-1]) for a, b in blocks[1:]
    ])
    lipschitz = np.maximum(lipschitz, 1e-12)

    def block_step(i, x, grad):
        a, b = blocks[i]
        if i == 0:
            return x[a:b] - inverse0 @ grad[a:b]
        u = x[a:b] - grad[a:b] / lipschitz[i]
        norm = np.sqrt(u @ u)
        return u * max(0.0, 1.0 - penalty[i] / (lipschitz[i] * norm)) if norm > 0 else 0.0 * u

    x = theta.copy()
    for _ in range(3 * len(blocks) + 10):
        x, status, changed = _polish(H, gradient, theta, x, bounds, penalty)
        if status == "optimal":
            return x
        if status == "kkt":  # let the most violating block in with one coordinate step
            grad = gradient + H @ (x - theta)
            a, b = blocks[changed]
            x[a:b] = block_step(changed, x, grad)
        elif status != "dropped":
            break
    grad = gradient + H @ (x - theta)  # gradient of the quadratic model at x
    for _ in range(max_sweeps):
        largest = 0.0
        for i, (a, b) in enumerate(blocks):
            delta = block_step(i, x, grad) - x[a:b]
            if delta.any():
                grad += H[:, a:b] @ delta
                x[a:b] += delta
                largest = max(largest, np.abs(delta).max())
        if largest <= tol:
            break
    return x


def _polish(H, gradient, theta, x, bounds, penalty, max_iter=30):
    """Newton's method on the blocks active in ``x`` (block 0 always is).

    On a fixed set of active blocks the objective of :func:`_block_descent` is smooth.
    Returns ``(y, status, block)``: ``"optimal"`` when Newton converged and the
    inactive blocks satisfy their KKT condition; ``"dropped"`` when a block would
    shrink through zero (it is set to zero in ``y``, the point before that step);
    ``"kkt"`` with the most violating inactive block; ``"stalled"`` otherwise.
    """
    sizes = np.diff(bounds)
    active = _block_norms(x, bounds) > 0
    active[0] = True
    blocks = np.flatnonzero(active)
    index = np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in blocks])
    local_sizes = sizes[blocks]
    local_starts = np.cumsum(local_sizes) - local_sizes
    owner = np.repeat(np.arange(len(blocks)), local_sizes)  # local block of each entry of index
    local_penalty = penalty[blocks]
    wide = [(j, local_starts[j], local_sizes[j]) for j in range(1, len(blocks)) if local_sizes[j] > 1]
    H_active = H[np.ix_(index, index)]
    y = x.copy()
    for _ in range(max_iter):
        v = y[index]
        norms = np.sqrt(np.add.reduceat(v * v, local_starts))
        norms[0] = 1.0  # the unpenalised intercepts
        grad = (gradient + H @ (y - theta))[index] + (local_penalty / norms)[owner] * v
        hessian = H_active.copy()
        for j, p, size in wide:  # the curvature of a group norm; a single coefficient's is zero
            u = v[p : p + size] / norms[j]
            hessian[p : p + size, p : p + size] += local_penalty[j] * (np.eye(size) - np.outer(u, u)) / norms[j]
        step = -_solve(hessian, grad, symmetric_null=sizes[0] > 1)
        new = v + step
        alignment = np.add.reduceat(new * v, local_starts)
        alignment[0] = 1.0
        if (alignment <= 0).any():  # a block would shrink through zero: leave it out
            for i in blocks[alignment <= 0]:
                y[bounds[i] : bounds[i + 1]] = 0.0
            return y, "dropped", None
        y[index] = new
        if np.abs(step).max() <= 1e-12 * (1.0 + np.abs(new).max()):
            break
    else:
        return y, "stalled", None
    excess = _block_norms(gradient + H @ (y - theta), bounds) / np.where(active, 1.0, penalty)
    excess[active] = 0.0
    worst = int(np.argmax(excess))
    if excess[worst] > 1 + 1e-9:
        return y, "kkt", worst
    return y, "optimal", None


def _block_norms(flat, bounds):
    """Euclidean norm of each block ``flat[bounds[i]:bounds[i + 1]]``."""
    return np.sqrt(np.add.reduceat(flat * flat, bounds[:-1]))


def _solve(H, g, *, symmetric_null):
    """Solve ``H x = g``; least squares (the minimum-norm step) when ``H`` is singular."""
    if not symmetric_null:
        try:
            return np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            pass
    return np.linalg.lstsq(H, g, rcond=None)[0]


# ---------------------------------------------------------------------------------
# The estimators.
# ---------------------------------------------------------------------------------
def _format(value, precision):
    return f"{value:.{precision}g}".replace("-", _MINUS)


class _SparseLinearModel(TransparentMixin):
    """What the sparse linear classifier and regressor share: fit, text, export, explain."""

    _parameter_constraints = {
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, max_features=10, alpha=1e-3, tol=1e-7, max_iter=100):
        self.max_features = max_features
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter

    # -- fit ------------------------------------------------------------------------
    def _fit(self, X, Y, w, loss, *, y_shift=0.0, y_scale=1.0):
        """Select and refit; ``Y`` is (n, K) (0/1 or one-hot for classifiers).

        A regression target comes standardised, ``(y - y_shift) / y_scale``, so that the
        solver's tolerances do not depend on its units.
        """
        w = w / w.sum()
        design = _Design.build(X, self._feature_schema, w)
        self.fill_values_, self.reference_levels_ = design.fill_values, design.reference_levels
        problem = _Problem(design.Z, Y, w, loss, design.starts, design.stops, self.tol, self.max_iter)

        n_usable = len(design.starts)
        budget = n_usable if self.max_features is None else self.max_features
        if budget > n_usable:
            warnings.warn(
                f"max_features={self.max_features} is more than the {n_usable} features that vary in X; "
                f"{type(self).__name__} uses all {n_usable}.",
                UserWarning,
                stacklevel=3,
            )
            budget = n_usable
        chosen = np.arange(n_usable) if budget == n_usable else np.sort(problem.path_select(budget))
        intercept, coef_z, self.n_iter_ = problem.refit(chosen, self.alpha)
        if not problem.converged:
            hint = " (the classes may be separable)" if isinstance(loss, (_Logistic, _Multinomial)) else ""
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} Newton iterations; "
                f"increase max_iter or alpha{hint}.",
                ConvergenceWarning,
                stacklevel=3,
            )
        # A group without any effect (say, on a constant target) is left out of the model.
        spread = design.group_spread(coef_z)  # (n_groups, K)
        for g in np.flatnonzero(spread.max(axis=1) <= 1e-12):
            coef_z[design.starts[g] : design.stops[g]] = 0.0
        intercept, coef_z = intercept * y_scale + y_shift, coef_z * y_scale

        coef = design.term_coefficients(coef_z)  # (n_terms, K)
        self._terms = design.terms
        self._term_means = design.means
        self._base_output = intercept  # the output at the mean of the training rows, (K,)
        self.terms_ = _term_names(design.terms, self._feature_schema)
        self.term_feature_idx_ = design.terms.feature.copy()
        # The spread of each column's contribution is the norm of its orthonormal coefficients.
        self._importance = np.zeros((self.n_features_in_, Y.shape[1]))
        self._importance[design.features] = design.group_spread(coef_z)
        raw_intercept = intercept - design.means @ coef  # (K,)
        return coef.T, raw_intercept, (coef * design.scale[:, None]).T

    def _finish(self, coef, intercept, standardized):
        """Store coefficients in scikit-learn's shapes and the derived summaries."""
        self.coef_ = coef
        self.intercept_ = intercept
        self.standardized_coef_ = standardized
        flat = np.atleast_2d(coef)  # (n_outputs, n_terms)
        self.support_ = np.zeros(self.n_features_in_, dtype=bool)
        self.support_[self.term_feature_idx_[(flat != 0).any(axis=0)]] = True
        self.complexity_ = int(np.count_nonzero(flat))

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
    def explain(self, X=None):
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

    # -- text -----------------------------------------------------------------------
    def _term_label(self, t):
        name = self.terms_[t]
        return name if self._terms.kind[t] == _VALUE else f"[{name}]"

    def _equation(self, lhs, k, precision, width=88):
        coef = np.atleast_2d(self.coef_)
        intercept = np.atleast_1d(self.intercept_)[k]
        pieces = [
            f"{_MINUS if coef[k, t] < 0 else '+'} {_format(abs(coef[k, t]), precision)} {_TIMES} {self._term_label(t)}"
            for t in self._used_terms()
        ]
        head = f"{lhs} = {_format(intercept, precision)}"
        line = " ".join([head, *pieces])
        return line if len(line) <= width else "\n".join([head, *("    " + p for p in pieces)])

    def _notes(self, precision):
        schema = self._feature_schema
        used = self._used_terms()
        notes = []
        for j in np.unique(self._terms.feature[used]):
            name = schema.feature_names[j]
            if schema.is_categorical[j]:
                reference = self.reference_levels_[j]
                shown = "missing" if not isinstance(reference, str) and reference != reference else reference
                notes.append(f"{name}: reference level {shown}")
            elif (self._terms.kind[self._terms.feature == j] == _MISSING).any():
                notes.append(f"{name}: a missing value counts as {_format(self.fill_values_[j], precision)}")
        return notes

    def _text(self, equations, precision):
        notes = self._notes(precision)
        lines = list(equations)
        if notes:
            lines.append("where " + "; ".join(notes))
        return "\n".join(lines)

    # -- export ---------------------------------------------------------------------
    def _sql_terms(self, k):
        """SQL expression of output ``k`` of the linear predictor."""
        schema = self._feature_schema
        coef = np.atleast_2d(self.coef_)
        parts = [sql_literal(float(np.atleast_1d(self.intercept_)[k]))]
        for t in self._used_terms():
            j, kind = self._terms.feature[t], self._terms.kind[t]
            column = sql_identifier(schema.feature_names[j])
            if kind == _VALUE:
                value = f"COALESCE({column}, {sql_literal(float(self._terms.fill[t]))})"
            elif kind == _MISSING:
                value = f"(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)"
            else:
                level = schema.categories[j][int(self._terms.code[t])]
                value = f"(CASE WHEN {column} = {sql_literal(level)} THEN 1 ELSE 0 END)"
            parts.append(f"{sql_literal(float(coef[k, t]))} * {value}")
        return "\n    + ".join(parts)

    def _python_terms(self, targets):
        """Python statements adding each term to the score variables ``targets``."""
        schema = self._feature_schema
        coef = np.atleast_2d(self.coef_)
        lines = [f"    {target} = {python_literal(float(np.atleast_1d(self.intercept_)[k]))}"
                 for k, target in enumerate(targets)]
        for t in self._used_terms():
            j, kind = self._terms.feature[t], self._terms.kind[t]
            access = f"row[{python_literal(str(schema.feature_names[j]))}]"
            if kind == _VALUE:
                value = f"({python_literal(float(self._terms.fill[t]))} if _missing({access}) else float({access}))"
            elif kind == _MISSING:
                value = f"_missing({access})"
            else:
                value = f"({access} == {python_literal(schema.categories[j][int(self._terms.code[t])])})"
            lines.append(f"    value = {value}  # {self.terms_[t]}")
            lines.extend(f"    {target} += {python_literal(float(coef[k, t]))} * value"
                         for k, target in enumerate(targets))
        return lines

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags


def _varies(column):
    return column.size > 0 and column.min() != column.max()


class SparseLinearClassifier(_SparseLinearModel, ClassifierMixin, BaseEstimator):
    """Sparse logistic regression with an exact budget of features.

    A group-lasso path selects exactly ``max_features`` columns of ``X`` (the first to
    become active as the penalty decreases); a logistic model, lightly ridged by
    ``alpha``, is then refitted on them (the relaxed lasso). Binary targets give one
    logistic equation; more classes give the multinomial model, one equation per class
    over the same selected columns (a column is selected for all classes at once).

    Numeric columns enter as they are; a missing value is replaced by the column's
    training mean and, when ``fit`` saw missing values in the column, a term
    ``[column is missing]`` is added. A categorical column (pandas ``category``,
    ``object`` or string dtype) is never read as a number: it enters as one indicator
    ``[column = level]`` per level, the most frequent level being the reference (no
    term); when ``fit`` saw missing values there, missing is a level of its own. A
    category ``fit`` never saw, or a missing value where ``fit`` saw none, turns every
    indicator of the column off, so the row reads as the reference level. The terms of
    a column form one group: it is selected, counted against the budget and explained
    as one feature.

    Parameters
    ----------
    max_features : int or None, default=10
        Number of columns of ``X`` the model uses. ``None`` uses every column that
        varies. A budget above the number of columns that vary is clipped to it, with a
        ``UserWarning``. Constant and all-missing columns are never used.
    alpha : float, default=1e-3
        Ridge penalty of the refit, on the standardised coefficients (the loss is the
        mean log-loss). ``0`` gives the unpenalised refit, whose coefficients grow
        without bound when the selected columns separate the classes.
    tol : float, default=1e-7
        Convergence tolerance of the path solver (largest change of a standardised
        coefficient in a sweep).
    max_iter : int, default=100
        Newton iterations per penalty on the path and for the refit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1, n_terms) or (n_classes, n_terms)
        Coefficients of the terms on the original scale of ``X``: the change of the
        log-odds per unit of a numeric column, the shift of a level against the
        reference. One row for a binary target (log-odds of ``classes_[1]``), one per
        class for more.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercept on the original scale; multiclass intercepts sum to zero.
    standardized_coef_ : ndarray of the shape of ``coef_``
        Coefficients per standard deviation of each term over the training rows.
    terms_ : ndarray of str of shape (n_terms,)
        What each coefficient multiplies: ``"age"``, ``"smoker = yes"``,
        ``"bmi is missing"``.
    term_feature_idx_ : ndarray of int of shape (n_terms,)
        The column of ``X`` each term belongs to.
    support_ : ndarray of bool of shape (n_features_in_,)
        The columns the model uses.
    complexity_ : int
        Non-zero coefficients, over all classes: one per numeric column, plus one per
        non-reference level of a categorical column and one per missing indicator, in
        each equation (a multiclass model has ``n_classes`` equations).
    fill_values_ : ndarray of shape (n_features_in_,)
        The value that replaces a missing numeric value (its training mean); NaN for
        categorical columns and columns without any observed value.
    reference_levels_ : ndarray of object of shape (n_features_in_,)
        The reference level of each categorical column (NaN when missing is the
        reference), None for numeric columns.
    n_iter_ : int
        Newton iterations of the refit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    SparseLinearRegressor : The same model for a numeric target.
    sklearn.linear_model.LogisticRegression : With ``penalty="l1"``, sparse but without
        an exact budget and with shrunken coefficients.

    Notes
    -----
    The path is the group lasso of Yuan & Lin (2006) on columns orthonormalised per
    group (Simon & Tibshirani 2012), penalty weight the square root of the group size,
    solved along a geometric grid of 60 penalties from the largest useful one down to a
    ten-thousandth of it, with warm starts, the sequential strong rule and KKT checks
    (Friedman, Hastie & Tibshirani 2010; Tibshirani et al. 2012). When the grid steps
    over the budget, the penalty is bisected; columns entering at the very same penalty
    are ranked by the size of their coefficients. The refit on the selected columns is
    the relaxed lasso (Meinshausen 2007).

    The explanation of a row is on the log-odds scale (``decision_function``):
    ``coef * (x - mean)`` per column, which add up with the output at the mean to the
    decision function exactly.

    References
    ----------
    .. [1] N. Meinshausen, "Relaxed Lasso", Computational Statistics & Data Analysis,
       52(1), 2007.
    .. [2] J. Friedman, T. Hastie, R. Tibshirani, "Regularization paths for generalized
       linear models via coordinate descent", Journal of Statistical Software, 33(1),
       2010.
    .. [3] M. Yuan, Y. Lin, "Model selection and estimation in regression with grouped
       variables", JRSS-B, 68(1), 2006.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import SparseLinearClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = SparseLinearClassifier(max_features=3).fit(X, y)
    >>> model.complexity_
    3
    >>> print(model.to_text(precision=3))
    logit p(1) = 19.2
        − 0.549 × worst radius
        − 38.9 × worst concave points
        − 0.0455 × worst perimeter
    >>> round(model.score(X, y), 3)
    0.944
    """

    def fit(self, X, y, sample_weight=None):
        """Select ``max_features`` columns and fit the logistic model on them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns; missing values allowed.
        y : array-like of shape (n_samples,)
            Class labels, at least two distinct.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        self : SparseLinearClassifier
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        y_index, self.classes_ = check_target(self, y, len(X_encoded), task="classification", min_classes=2)
        w = check_sample_weight(sample_weight, len(X_encoded))
        if len(self.classes_) == 2:
            Y, loss = y_index[:, None].astype(np.float64), _Logistic()
        else:
            Y, loss = np.eye(len(self.classes_))[y_index], _Multinomial()
        coef, intercept, standardized = self._fit(X_encoded, Y, w, loss)
        self._finish(coef, intercept, standardized)
        return self

    def _output_names(self):
        return np.asarray(self.classes_[1:] if len(self.classes_) == 2 else self.classes_)

    def decision_function(self, X):
        """The linear predictor: log-odds of ``classes_[1]`` (binary) or one score per class.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        scores = self._scores(self._encode(X))
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        scores = self._scores(self._encode(X))
        if len(self.classes_) == 2:
            p = expit(scores[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, shape (n_samples, n_classes)."""
        scores = self._scores(self._encode(X))
        if len(self.classes_) == 2:
            return np.column_stack([log_expit(-scores[:, 0]), log_expit(scores[:, 0])])
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels, shape (n_samples,)."""
        scores = self._scores(self._encode(X))
        index = (scores[:, 0] > 0).astype(np.intp) if len(self.classes_) == 2 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def to_text(self, *, precision=4):
        """The model as equations with named terms.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of the coefficients.

        Returns
        -------
        text : str
            ``logit p(class) = ...`` for a binary target; for more classes one score per
            class and ``p(class) = exp(score(class)) / sum of exp(score)``.
        """
        check_is_fitted(self)
        if len(self.classes_) == 2:
            equations = [self._equation(f"logit p({self.classes_[1]})", 0, precision)]
        else:
            equations = [f"p(class) = exp(score(class)) / sum of exp(score) over {', '.join(map(str, self.classes_))}"]
            equations += [self._equation(f"score({c})", k, precision) for k, c in enumerate(self.classes_)]
        return self._text(equations, precision)

    def to_sql(self, table="data"):
        """A SQL query computing the class probabilities and the predicted class.

        Missing values are NULL. The query selects one column ``proba_<class>`` per
        class (in the order of ``classes_``) and ``prediction``, one row per row of
        ``table``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        n_scores = len(self.classes_) if len(self.classes_) > 2 else 1  # binary: the log-odds of classes_[1]
        return logistic_select_sql([self._sql_terms(k) for k in range(n_scores)], self.classes_, table)

    def to_python(self):
        """Source of a Python module predicting one row, with no dependency on glassbox.

        The module defines ``CLASSES``, ``decision_function(row)``,
        ``predict_proba(row)`` (a list in the order of ``CLASSES``) and
        ``predict(row)`` (the label), where ``row`` maps column names to values and
        None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        K = len(self.classes_)
        classes = "[" + ", ".join(python_literal(c) for c in self.classes_) + "]"
        lines = ["import math", "", PYTHON_PRELUDE, f"CLASSES = {classes}", "", ""]
        lines.append("def decision_function(row):")
        if K == 2:
            lines.append(f'    """Log-odds of {self.classes_[1]!r}."""')
            lines += self._python_terms(["score"])
            lines += ["    return score", "", ""]
            lines += [
                "def predict_proba(row):",
                '    """Probabilities of CLASSES."""',
                "    p = 1.0 / (1.0 + math.exp(-decision_function(row)))",
                "    return [1.0 - p, p]",
                "",
                "",
                "def predict(row):",
                '    """The predicted class."""',
                "    return CLASSES[1] if decision_function(row) > 0 else CLASSES[0]",
            ]
        else:
            targets = [f"score_{k}" for k in range(K)]
            lines.append('    """One score per class of CLASSES."""')
            lines += self._python_terms(targets)
            lines += [f"    return [{', '.join(targets)}]", "", ""]
            lines += [
                "def predict_proba(row):",
                '    """Probabilities of CLASSES."""',
                "    scores = decision_function(row)",
                "    top = max(scores)",
                "    exps = [math.exp(s - top) for s in scores]",
                "    total = sum(exps)",
                "    return [e / total for e in exps]",
                "",
                "",
                "def predict(row):",
                '    """The predicted class."""',
                "    scores = decision_function(row)",
                "    return CLASSES[max(range(len(scores)), key=scores.__getitem__)]",
            ]
        return "\n".join(lines) + "\n"


class SparseLinearRegressor(_SparseLinearModel, RegressorMixin, BaseEstimator):
    """Sparse linear regression with an exact budget of features.

    A group-lasso path selects exactly ``max_features`` columns of ``X`` (the first to
    become active as the penalty decreases); least squares, lightly ridged by
    ``alpha``, is then refitted on them (the relaxed lasso), so the coefficients are not
    shrunk by the selection.

    Numeric columns enter as they are; a missing value is replaced by the column's
    training mean and, when ``fit`` saw missing values in the column, a term
    ``[column is missing]`` is added. A categorical column (pandas ``category``,
    ``object`` or string dtype) is never read as a number: it enters as one indicator
    ``[column = level]`` per level, the most frequent level being the reference (no
    term); when ``fit`` saw missing values there, missing is a level of its own. A
    category ``fit`` never saw, or a missing value where ``fit`` saw none, turns every
    indicator of the column off, so the row reads as the reference level. The terms of
    a column form one group: it is selected, counted against the budget and explained
    as one feature.

    Parameters
    ----------
    max_features : int or None, default=10
        Number of columns of ``X`` the model uses. ``None`` uses every column that
        varies. A budget above the number of columns that vary is clipped to it, with a
        ``UserWarning``. Constant and all-missing columns are never used.
    alpha : float, default=1e-3
        Ridge penalty of the refit: it minimises ``mean((y - prediction)**2) / 2 +
        alpha / 2 * |w|**2``, where ``w`` are the coefficients of the standardised
        columns. Both terms scale with the square of the units of ``y``, so ``alpha``
        does not depend on them. ``0`` gives ordinary least squares on the selected
        columns.
    tol : float, default=1e-7
        Convergence tolerance of the path solver (largest change of a standardised
        coefficient in a sweep).
    max_iter : int, default=100
        Newton iterations per penalty on the path and for the refit.

    Attributes
    ----------
    coef_ : ndarray of shape (n_terms,)
        Coefficients of the terms on the original scale of ``X``: the change of the
        prediction per unit of a numeric column, the shift of a level against the
        reference.
    intercept_ : float
        The intercept on the original scale.
    standardized_coef_ : ndarray of shape (n_terms,)
        Coefficients per standard deviation of each term over the training rows.
    terms_ : ndarray of str of shape (n_terms,)
        What each coefficient multiplies: ``"age"``, ``"smoker = yes"``,
        ``"bmi is missing"``.
    term_feature_idx_ : ndarray of int of shape (n_terms,)
        The column of ``X`` each term belongs to.
    support_ : ndarray of bool of shape (n_features_in_,)
        The columns the model uses.
    complexity_ : int
        Non-zero coefficients: one per numeric column, plus one per non-reference level
        of a categorical column and one per missing indicator.
    fill_values_ : ndarray of shape (n_features_in_,)
        The value that replaces a missing numeric value (its training mean); NaN for
        categorical columns and columns without any observed value.
    reference_levels_ : ndarray of object of shape (n_features_in_,)
        The reference level of each categorical column (NaN when missing is the
        reference), None for numeric columns.
    n_iter_ : int
        Newton iterations of the refit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    SparseLinearClassifier : The same model for class labels.
    sklearn.linear_model.Lasso : Sparse but without an exact budget, and shrunken.

    Notes
    -----
    See :class:`SparseLinearClassifier` for the path. The explanation of a row is
    ``coef * (x - mean)`` per column, which add up with the prediction at the mean to
    ``predict`` exactly.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import SparseLinearRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    >>> model = SparseLinearRegressor(max_features=2).fit(X, y)
    >>> print(model.to_text(precision=3))
    y = −300 + 7.27 × bmi + 56 × s5
    >>> exp = model.explain(X.iloc[:3])
    >>> exp.values[:, :, 0].round(1)[:, [2, 8]]  # bmi and s5: coef * (x - mean)
    array([[ 41.6,  12.2],
           [-34.7, -42. ],
           [ 30. ,   1.8]])
    >>> bool(abs(exp.output()[:, 0] - model.predict(X.iloc[:3])).max() < 1e-10)
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Select ``max_features`` columns and fit least squares on them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns; missing values allowed.
        y : array-like of shape (n_samples,)
            Numeric target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        self : SparseLinearRegressor
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        y, _ = check_target(self, y, len(X_encoded), task="regression")
        w = check_sample_weight(sample_weight, len(X_encoded))
        shift = np.average(y, weights=w)
        scale = np.sqrt(np.average((y - shift) ** 2, weights=w)) or 1.0
        coef, intercept, standardized = self._fit(
            X_encoded, ((y - shift) / scale)[:, None], w, _Squared(), y_shift=shift, y_scale=scale
        )
        self._finish(coef[0], float(intercept[0]), standardized[0])
        return self

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X):
        """Predictions, shape (n_samples,)."""
        return self._scores(self._encode(X))[:, 0]

    def to_text(self, *, precision=4):
        """The model as an equation with named terms, ``y = b + c × age ...``.

        Parameters
        ----------
        precision : int, default=4
            Significant digits of the coefficients.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        return self._text([self._equation("y", 0, precision)], precision)

    def to_sql(self, table="data"):
        """A SQL query computing the prediction, one column ``prediction``.

        Missing values are NULL.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return (f"SELECT\n  {self._sql_terms(0)} AS {sql_identifier('prediction')}\n"
                f"FROM {sql_table(table)}")

    def to_python(self):
        """Source of a Python module with ``predict(row)``, with no dependency on glassbox.

        ``row`` maps column names to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        lines = [PYTHON_PRELUDE, "", "def predict(row):", '    """The prediction for one row."""']
        lines += self._python_terms(["y"])
        lines.append("    return y")
        return "\n".join(lines) + "\n"
