"""The numerical work of the sparse linear models: losses, the group-lasso path, the refit.

The model is fitted in two steps, the relaxed lasso of Meinshausen (2007):

1. **Selection.** A group-lasso path (Friedman, Hastie & Tibshirani 2010; Yuan & Lin
   2006) over the orthonormalised design of :mod:`._linear_terms`, from the penalty at
   which the first feature enters down to the one at which exactly ``max_features``
   features are active. Each penalty is solved by proximal Newton: the quadratic model
   is minimised by an active-set Newton method (block coordinate descent when the
   active set does not settle), restricted to the groups the sequential strong rule
   keeps and checked against the KKT conditions of all groups.
2. **Refit.** The loss restricted to the selected features, with a light ridge
   penalty ``alpha`` on the standardised coefficients, solved by Newton's method. The
   path's solutions are kept (``_Problem.path``) for the blend of the refit with the
   lasso, :mod:`._linear_relax`.

The losses are squared error (regressor), logistic (binary classifier) and
multinomial (multiclass classifier, one coefficient per class and term; a feature is
selected for all classes at once, and with ``max_terms`` each coefficient on its own).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._core import PROBA_CLIP, softmax_rows

__all__ = ["_Logistic", "_Multinomial", "_Problem", "_Squared"]


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
        return -w @ ((Y * eta).sum(axis=1) - _logsumexp(eta))

    def derivatives(self, eta, Y, w):
        p = softmax_rows(eta)
        curvature = w[:, None, None] * (p[:, :, None] * np.eye(p.shape[1]) - p[:, :, None] * p[:, None, :])
        return w[:, None] * (p - Y), curvature


def _logsumexp(eta):
    """``log(sum(exp(eta), axis=1))`` of finite scores, shape (n,)."""
    top = eta.max(axis=1)
    return top + np.log(np.exp(eta - top[:, None]).sum(axis=1))


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
    its size. The penalised blocks, the *units*, are the groups (all classes of their
    columns at once) or, ``per_class``, each group in each class (unit ``g * K + k``):
    the lasso of multinomial logistic regression, where a term may take a coefficient
    for some classes only.
    """

    def __init__(self, Z, Y, w, loss, starts, stops, tol, max_iter, *, per_class=False):
        self.Z, self.Y, self.w, self.loss = Z, Y, w, loss
        self.starts, self.stops = np.asarray(starts, dtype=np.intp), np.asarray(stops, dtype=np.intp)
        self.tol, self.max_iter = tol, max_iter
        self.K = Y.shape[1]
        self.per_class = per_class
        self.weights = np.sqrt(self.stops - self.starts)
        if per_class:
            self.weights = np.repeat(self.weights, self.K)
        self.converged = True

    def unit_norms(self, matrix):
        """Norm of each unit's block of ``matrix`` (n_columns, K), shape (n_units,)."""
        if not len(self.starts):
            return np.zeros(0)
        squared = np.add.reduceat(matrix**2, self.starts, axis=0)  # (n_groups, K)
        return np.sqrt(squared.ravel() if self.per_class else squared.sum(axis=1))

    def active(self, coef):
        """Whether each unit has a non-zero coefficient, shape (n_units,)."""
        return self.unit_norms(coef) > 0

    def group_gradient_norms(self, intercept, coef):
        """Norm of the loss gradient of each unit, shape (n_units,)."""
        residual, _ = self.loss.derivatives(intercept + self.Z @ coef, self.Y, self.w)
        return self.unit_norms(self.Z.T @ residual)

    def _layout(self, units):
        """The columns ``units`` touch, and where their parameters sit.

        Returns ``(columns, free, bounds)``: the design columns; the flat indices into
        ``theta.ravel()`` (theta of shape (1 + len(columns), K), intercepts first) of the
        free parameters, the intercepts then unit by unit; and the bounds of each block
        of ``free`` (block 0 the intercepts).
        """
        K = self.K
        units = np.asarray(units, dtype=np.intp)
        groups = units // K if self.per_class else units
        columns = np.unique(np.concatenate([np.arange(self.starts[g], self.stops[g]) for g in groups]
                                           + [np.zeros(0, dtype=np.intp)])).astype(np.intp)
        local = np.searchsorted(columns, np.arange(self.Z.shape[1]))  # position of a column among `columns`
        free, sizes = [np.arange(K)], []
        for u, g in zip(units, groups):
            rows = 1 + local[self.starts[g]:self.stops[g]]
            classes = [u % K] if self.per_class else range(K)
            block = (rows[:, None] * K + np.asarray(classes)[None, :]).ravel()
            free.append(block)
            sizes.append(len(block))
        bounds = np.concatenate([[0, K], K + np.cumsum(sizes, dtype=np.intp)]).astype(np.intp)
        return columns, np.concatenate(free).astype(np.intp), bounds

    def solve(self, lam, units, intercept, coef):
        """Minimise the penalised loss over ``units`` (the rest held at zero); in place on ``coef``."""
        K = self.K
        columns, free, bounds = self._layout(units)
        Z = np.hstack([np.ones((len(self.Z), 1)), self.Z[:, columns]])  # (n, 1 + m)
        full = np.zeros((Z.shape[1], K))
        full[0], full[1:] = intercept, coef[columns]
        x = full.ravel()[free]
        penalty = np.concatenate([[0.0], lam * self.weights[units]])  # per block

        def theta_of(x):
            flat = np.zeros(full.size)
            flat[free] = x
            return flat.reshape(full.shape)

        def objective(x):
            norms = _block_norms(x, bounds)
            return self.loss.value(Z @ theta_of(x), self.Y, self.w) + penalty @ norms, norms

        value, norms = objective(x)
        for _ in range(self.max_iter):
            residual, curvature = self.loss.derivatives(Z @ theta_of(x), self.Y, self.w)
            gradient = (Z.T @ residual).ravel()[free]
            H = _hessian(Z, curvature)[np.ix_(free, free)]
            new = _block_descent(H, gradient, x, bounds, penalty, self.tol)
            step = new - x
            decrease = gradient @ step + penalty @ (_block_norms(new, bounds) - norms)
            if -decrease <= self.tol**2:
                break
            t = 1.0
            while True:
                candidate = x + t * step
                new_value, new_norms = objective(candidate)
                if new_value <= value + 0.25 * t * decrease or t < 1e-10:
                    break
                t *= 0.5
            if not new_value < value:  # no progress left in floating point
                break
            x, value, norms = candidate, new_value, new_norms
        else:
            self.converged = False
        theta = theta_of(x)
        intercept[:] = theta[0]
        coef[columns] = theta[1:]

    def _null_state(self):
        """The solution at the largest useful penalty: the intercept alone, ``(lam_max, intercept, coef, scores)``."""
        intercept = self.loss.null_intercept(self.Y, self.w).astype(np.float64)
        coef = np.zeros((self.Z.shape[1], self.K))
        scores = self.group_gradient_norms(intercept, coef) / self.weights
        return scores.max(initial=0.0), intercept, coef, scores

    def path_select(self, k):
        """The first ``k`` units to be active on the path, as indices into the units.

        Records in ``self.path`` the ``(penalty, intercept, coef)`` of every penalty
        solved with at most ``k`` units active, the penalty decreasing, starting with the
        intercept alone.
        """
        n_groups = len(self.weights)
        state = self._null_state()  # the last point with < k active
        lam_max, scores = state[0], state[3]
        self.path = [state[:3]]
        if lam_max <= 0:
            return np.argsort(-scores, kind="stable")[:k]
        for lam in lam_max * np.geomspace(1.0, 1e-4, 60)[1:]:
            active, snapshot = self._solve_with_kkt(lam, state)
            count = active.sum()
            if count > k:
                return self._bisect(k, state, lam, snapshot)
            self.path.append(snapshot[:3])
            if count == k:
                return np.flatnonzero(active)
            state = snapshot
        # The path did not reach k features: add those whose penalty would let them in first.
        _, intercept, coef, scores = state
        chosen = np.flatnonzero(self.active(coef))
        rest = np.setdiff1d(np.arange(n_groups), chosen)
        return np.concatenate([chosen, rest[np.argsort(-scores[rest], kind="stable")][: k - len(chosen)]])

    def _solve_with_kkt(self, lam, state):
        lam_prev, intercept, coef, scores = state
        intercept, coef = intercept.copy(), coef.copy()
        current = self.active(coef)
        candidates = current | (scores >= 2 * lam - lam_prev)  # the sequential strong rule
        while True:
            groups = np.flatnonzero(candidates)
            self.solve(lam, groups, intercept, coef)
            scores = self.group_gradient_norms(intercept, coef) / self.weights
            violators = ~candidates & (scores > lam * (1 + 1e-9))
            if not violators.any():
                break
            candidates |= violators
        active = self.active(coef)
        return active, (lam, intercept, coef, scores)

    def lasso_at(self, penalties):
        """The lasso solutions ``(intercept, coef)`` at each of ``penalties`` (decreasing), warm-started."""
        state = self._null_state()
        out = []
        for lam in penalties:
            if lam < state[0]:
                _, state = self._solve_with_kkt(lam, state)
            out.append((state[1].copy(), state[2].copy()))
        return out

    def _bisect(self, k, below, lam_over, over):
        """Between a penalty with fewer than ``k`` active groups and one with more."""
        for _ in range(40):
            lam_below, lam_mid = below[0], np.sqrt(below[0] * lam_over)
            if lam_below / lam_over < 1 + 1e-8:
                break
            active, snapshot = self._solve_with_kkt(lam_mid, below)
            count = active.sum()
            if count <= k:
                self.path.append(snapshot[:3])
            if count == k:
                return np.flatnonzero(active)
            if count < k:
                below = snapshot
            else:
                lam_over, over = lam_mid, snapshot
        # Groups entering at the same penalty: keep those active before, then the largest.
        first = np.flatnonzero(self.active(below[2]))
        size = self.unit_norms(over[2])
        size[first] = np.inf
        return np.argsort(-size, kind="stable")[:k]

    def refit(self, units, alpha):
        """Minimise the loss plus ``alpha / 2 * ||coef||^2`` over ``units``, by Newton's method."""
        K = self.K
        columns, free, _ = self._layout(units)
        Z = np.hstack([np.ones((len(self.Z), 1)), self.Z[:, columns]])
        shape = (Z.shape[1], K)
        theta = np.zeros(shape)
        theta[0] = self.loss.null_intercept(self.Y, self.w)
        x = theta.ravel()[free]
        ridge = np.full(len(free), alpha)
        ridge[:K] = 0.0

        def theta_of(x):
            flat = np.zeros(shape[0] * K)
            flat[free] = x
            return flat.reshape(shape)

        def objective(x):
            return self.loss.value(Z @ theta_of(x), self.Y, self.w) + 0.5 * ridge @ x**2

        value = objective(x)
        converged = False
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            residual, curvature = self.loss.derivatives(Z @ theta_of(x), self.Y, self.w)
            gradient = (Z.T @ residual).ravel()[free] + ridge * x
            H = _hessian(Z, curvature)[np.ix_(free, free)] + np.diag(ridge)
            step = -_solve(H, gradient, symmetric_null=K > 1)
            decrease = gradient @ step
            if -decrease <= 1e-16 * max(1.0, abs(value)):  # the full step ends at the optimum
                converged = True
                x = x + step
                break
            t = 1.0
            while True:
                candidate = x + t * step
                new_value = objective(candidate)
                if new_value <= value + 1e-4 * t * decrease or t < 1e-10:
                    break
                t *= 0.5
            if not new_value < value:  # no progress left in floating point
                converged = True
                break
            x, value = candidate, new_value
        if not converged:
            self.converged = False
        theta = theta_of(x)
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

