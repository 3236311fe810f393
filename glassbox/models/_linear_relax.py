"""The relaxed lasso of the sparse linear models: the refit blended with the lasso.

At a penalty ``lambda`` of the lasso path, with support ``S``, the relaxed lasso
(Meinshausen 2007; Hastie, Tibshirani & Tibshirani 2020) has the coefficients

    gamma * refit(S) + (1 - gamma) * lasso(lambda)

where ``refit(S)`` is the loss refitted on ``S`` (lightly ridged by ``alpha``): ``gamma=1``
is the refit, ``gamma=0`` the lasso itself, shrunk by the penalty. Both have the support
``S``, and so does every blend. ``relax`` a number fixes ``gamma`` at the penalty where
the budget is reached; ``relax="cv"`` chooses ``gamma`` in :data:`RELAX_GRID` and the
penalty among those of the path with no more units than the budget (at most 30, spread
along it) by 10-fold cross-validation on the training rows (held-out mean loss: squared
error or log-loss). The folds reuse the design of all the training rows (its centring
and scaling), run the path at the same penalties with warm starts, and refit on each
fold's own support.
"""

from __future__ import annotations

import numpy as np

from .._core import cv_folds
from ._linear_solver import _Problem, _Squared

__all__ = ["RELAX_GRID", "relaxed_coefficients"]

RELAX_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
"""The values of ``gamma`` that ``relax="cv"`` chooses from: 0 the lasso, 1 the refit."""

_N_FOLDS = 10
_N_PENALTIES = 30  # the penalties of the path cross-validated, spread along it
_SEED = 0  # the folds are drawn once, so that a fit is reproducible


def relaxed_coefficients(problem, chosen, alpha, relax):
    """The coefficients of the relaxed lasso on ``problem`` after ``problem.path_select``.

    ``chosen`` are the selected units. Returns ``(intercept, coef, n_iter, info)``
    where ``info`` holds ``relax_`` (gamma), ``penalty_`` (lambda) and, for
    ``relax="cv"``, ``relax_penalties_`` and ``relax_scores_`` (the mean held-out loss
    of each penalty and gamma, shape (n_penalties, len(RELAX_GRID))).
    """
    # When units enter together at the budget's penalty, the lasso there has fewer than
    # ``chosen``: the blend keeps the support ``chosen``.
    penalty, lasso_intercept, lasso_coef = problem.path[-1]
    info = {}
    if relax == "cv":
        points = _spread(len(problem.path))
        penalties = np.array([problem.path[i][0] for i in points])
        scores = _cv_scores(problem, penalties, alpha)
        info["relax_penalties_"], info["relax_scores_"] = penalties, scores
        if scores is None:  # too few rows to cross-validate: the refit
            gamma = 1.0
        else:
            i, j = np.unravel_index(np.argmin(scores), scores.shape)
            gamma = RELAX_GRID[j]
            if i != len(penalties) - 1:  # a larger penalty, fewer units than the budget
                penalty, lasso_intercept, lasso_coef = problem.path[points[i]]
                chosen = np.flatnonzero(problem.active(lasso_coef))
    else:
        gamma = float(relax)
    intercept, coef, n_iter = problem.refit(chosen, alpha)
    if gamma < 1.0:
        intercept = gamma * intercept + (1.0 - gamma) * lasso_intercept
        coef = gamma * coef + (1.0 - gamma) * lasso_coef
    info.update(relax_=gamma, penalty_=float(penalty))
    return intercept, coef, n_iter, info


def _spread(n_points):
    """At most ``_N_PENALTIES`` indices spread evenly over ``range(n_points)``, the first and last included."""
    return np.unique(np.round(np.linspace(0, n_points - 1, min(n_points, _N_PENALTIES))).astype(np.intp))


def _cv_scores(problem, penalties, alpha):
    """Mean held-out loss of each penalty (rows) and gamma of :data:`RELAX_GRID` (columns).

    None when there are fewer than 2 rows (of every class, for a classifier).
    """
    if isinstance(problem.loss, _Squared):
        labels = None
    else:
        labels = problem.Y.argmax(axis=1) if problem.K > 1 else problem.Y[:, 0]
    splitter = cv_folds(_N_FOLDS, len(problem.Y), labels, random_state=_SEED)
    if splitter is None:
        return None
    n_splits, folds = splitter.n_splits, splitter.split(problem.Z, labels)
    scores = np.zeros((len(penalties), len(RELAX_GRID)))
    gammas = np.asarray(RELAX_GRID)
    for train, test in folds:
        if problem.w[test].sum() <= 0 or problem.w[train].sum() <= 0:  # zero weights: the fold says nothing
            continue
        fold = _subset(problem, train)
        Z_test, Y_test = problem.Z[test], problem.Y[test]
        w_test = problem.w[test] / problem.w[test].sum()
        refits = {}
        for i, (lasso_intercept, lasso_coef) in enumerate(fold.lasso_at(penalties)):
            units = np.flatnonzero(fold.active(lasso_coef))
            key = units.tobytes()
            if key not in refits:
                refit_intercept, refit_coef, _ = fold.refit(units, alpha)
                refits[key] = refit_intercept + Z_test @ refit_coef
            lasso_eta, refit_eta = lasso_intercept + Z_test @ lasso_coef, refits[key]
            for j, gamma in enumerate(gammas):
                eta = gamma * refit_eta + (1.0 - gamma) * lasso_eta
                scores[i, j] += problem.loss.value(eta, Y_test, w_test) / n_splits
    return scores


def _subset(problem, rows):
    """The problem on some of its rows, weights renormalised."""
    w = problem.w[rows]
    return _Problem(problem.Z[rows], problem.Y[rows], w / w.sum(), problem.loss, problem.starts, problem.stops,
                    problem.tol, problem.max_iter, per_class=problem.per_class)
