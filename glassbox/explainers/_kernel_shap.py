"""Kernel SHAP's design: the coalitions every explained row shares, and the solve.

Kernel SHAP (Lundberg and Lee 2017; Covert and Lee 2021) fits the coalition values
``v(S) - v(empty)`` of a row by weighted least squares under the efficiency constraint.
The coalitions are drawn once per fit and shared by every explained row, so the
constrained solve is factorised once and each row and output is a right-hand side:

1. allocation: coalition sizes ``s`` and ``p - s`` form one stratum of complementary
   pairs; the budget of pairs goes first to the strata it can enumerate completely, the
   rest in proportion to a power of each stratum's share of the Shapley kernel
   (:func:`kernel_design`);
2. drawing: pairs are drawn without replacement by unranking random ranks of subsets
   (by rejection for populations too large to rank);
3. solving: the fit is over indicator terms of the features (and, with budget enough,
   of their pairs and triples, whose Shapley values are exact for the fitted polynomial
   game); the efficiency constraint makes the full coalition add up exactly;
4. standard errors: the spread of the residuals of the sampled pairs within each
   stratum, a sandwich estimate with the finite-population correction
   (:func:`kernel_solve`).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import scipy.linalg

__all__ = ["kernel_design", "kernel_solve"]

# Kernel SHAP spreads its sampled pairs over coalition sizes in proportion to
# (kernel mass of the size) ** _ALLOCATION_POWER. 1 follows the Shapley kernel (as
# shap's KernelExplainer does); 0 spreads evenly over sizes, as leverage-score sampling
# (Musco & Witter 2024) does.
_ALLOCATION_POWER = 0.5

# Kernel SHAP fits third-order interaction terms (Shapley values of the fitted polynomial
# game, exact for it) beside the features once it has _INTERACTION_BUDGET coalitions per
# term; complementary pairs make that fit as good as a fourth-order one (and a
# second-order fit no better than the features alone). With fewer, or beyond _MAX_TERMS
# terms, it fits the features alone: the solve and the products with every coalition grow
# as terms**2 x coalitions, and 600 terms (15 features) keep them under a second where
# 1350 (20 features) took over ten. A ridge on the
# interaction terms below that budget lowered the error further but biased the values
# beyond what their standard errors cover (tests/reference/test_shap.py), so it is not used.
_INTERACTION_BUDGET = 1.5
_MAX_TERMS = 600


def kernel_design(n_features, n_samples, rng):
    """Complementary pairs of coalitions stratified by size, and the shared solve.

    Sizes ``s`` and ``p - s`` form one stratum of ``C(p, s)`` complementary pairs
    (``C(p, s) / 2`` for ``s = p / 2``) holding a share ``mass`` of the Shapley
    kernel. The budget of pairs goes first to the strata it can enumerate completely,
    then, at least two pairs each, to the others in proportion to
    ``mass ** _ALLOCATION_POWER``; those pairs are drawn without replacement and each
    coalition weighs ``mass / (2 * n_pairs)`` of its stratum.
    """
    p = n_features
    sizes = np.arange(1, p // 2 + 1)
    population = [math.comb(p, int(s)) // (2 if 2 * s == p else 1) for s in sizes]
    kernel = np.array([(p - 1) / (s * (p - s)) for s in sizes]) * np.where(2 * sizes == p, 1.0, 2.0)
    mass = kernel / kernel.sum()
    allocation = _allocate(n_samples // 2, mass, population)
    first, stratum = [], []
    for k, (s, n_pairs) in enumerate(zip(sizes, allocation)):
        if n_pairs:
            first.append(_draw_pairs(rng, p, int(s), n_pairs, population[k]))
            stratum.append(np.full(n_pairs, k))
    first, stratum = np.vstack(first), np.concatenate(stratum)
    masks = np.vstack([first, ~first])  # (2 * pairs, p): pair j is rows j and pairs + j
    allocation = np.asarray(allocation)
    pair_weight = mass[stratum] / (2 * allocation[stratum])
    weights = np.concatenate([pair_weight, pair_weight])
    complete = bool(np.all(allocation == population))
    n_terms = _n_terms(p, 3)
    enough = len(masks) >= _INTERACTION_BUDGET * n_terms and n_terms <= _MAX_TERMS
    order = 3 if enough and not complete and p >= 3 else 1
    features, to_shapley = _coalition_terms(masks, order)  # (m, K), (p, K)
    A = features.T @ (weights[:, None] * features)  # (K, K)
    try:
        A_inv = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A), np.eye(len(A)))
    except np.linalg.LinAlgError:  # pragma: no cover - guarded by the minimum budget
        warnings.warn("Kernel SHAP's coalitions do not identify every feature; increase n_samples.", stacklevel=3)
        A_inv = np.linalg.pinv(A)
    # Constrained least squares: beta = L b + c delta with b = features^T W y, so that the
    # full coalition, where every term is 1, gets sum(beta) = delta exactly.
    u = A_inv.sum(axis=1)
    c = u / u.sum()
    L = A_inv - np.outer(c, u)  # (I - c 1^T) A^-1, symmetric
    sampled = [k for k in range(len(sizes)) if 0 < allocation[k] < population[k]]
    return {
        "masks": masks,
        "order": order,
        "features": features,
        "solve": L @ (features * weights[:, None]).T,  # (K, m)
        "c": c,
        "to_shapley": to_shapley,
        "Q": features @ L @ to_shapley.T,  # (m, p): effect on phi of each coalition's residual
        "leverage": weights * np.einsum("mk,mk->m", features @ L, features),  # d(fitted value) / d(y)
        "stratum": stratum,
        # (pair range, stratum mass, pairs drawn, pairs in the stratum) of each sampled stratum
        "strata": [(_span(stratum, k), mass[k], allocation[k], population[k]) for k in sampled],
    }


def _span(stratum, k):
    """(start, stop) of the pairs of stratum ``k``: strata are drawn one after the other."""
    index = np.flatnonzero(stratum == k)
    return int(index[0]), int(index[-1]) + 1


def _n_terms(p, order):
    """Number of terms of a polynomial game of ``order``: subsets of 1..order features."""
    return sum(math.comb(p, k) for k in range(1, order + 1))


def _coalition_terms(masks, order):
    """Indicator terms of the coalitions and the Shapley values of each term.

    Order 1 gives the features themselves (plain Kernel SHAP). Order 3 adds one term per
    pair and per triple of features, 1 when the coalition holds all of them; a fitted
    term ``beta_T`` gives each of its features ``beta_T / |T|``, its Shapley value.

    Returns the terms of shape (n_masks, K) and the map of shape (p, K) from term
    coefficients to Shapley values.
    """
    p = masks.shape[1]
    subsets = [np.arange(p)[:, None]] + [np.array(list(itertools.combinations(range(p), k))) for k in range(2, order + 1)]
    terms = np.hstack([masks[:, subset].all(axis=2) for subset in subsets]).astype(np.float64)
    to_shapley = np.zeros((p, len(terms[0])))
    column = 0
    for subset in subsets:
        rows = np.repeat(np.arange(len(subset)), subset.shape[1])
        to_shapley[subset.ravel(), column + rows] = 1.0 / subset.shape[1]
        column += len(subset)
    return terms, to_shapley


def _allocate(n_pairs, mass, population):
    """Pairs per stratum: enumerate what proportional shares cover, sample the rest."""
    n_strata = len(mass)
    allocation = [0] * n_strata
    active = list(range(n_strata))
    left = n_pairs
    share = mass**_ALLOCATION_POWER
    while active:
        if left >= sum(population[k] for k in active):
            for k in active:
                allocation[k] = population[k]
            return allocation
        total = share[active].sum()
        full = [k for k in active if left * share[k] / total >= population[k]]
        full = [k for k in full if left - population[k] >= 2 * (len(active) - 1)][:1]
        if not full:
            break
        allocation[full[0]] = population[full[0]]
        left -= population[full[0]]
        active.remove(full[0])
    for k in active:  # at least two pairs each, so that every stratum has a variance
        allocation[k] = min(2, population[k])
        left -= allocation[k]
    while left > 0:
        open_ = [k for k in active if allocation[k] < population[k]]
        if not open_:
            break
        exact = left * share[open_] / share[open_].sum()
        extra = np.floor(exact).astype(int)
        remainder = left - extra.sum()
        extra[np.argsort(extra - exact, kind="stable")[:remainder]] += 1  # largest remainders
        for k, e in zip(open_, extra):
            give = min(int(e), population[k] - allocation[k])
            allocation[k] += give
            left -= give
    return allocation


def _draw_pairs(rng, p, size, n_pairs, population):
    """``n_pairs`` distinct coalitions of ``size`` features, one per complementary pair.

    For ``size = p / 2`` a pair is represented by its member holding feature 0.
    """
    half = 2 * size == p
    n, k = (p - 1, size - 1) if half else (p, size)
    if n_pairs == population:
        ranks = np.arange(population)
    elif population < 2**62:
        ranks = rng.choice(population, n_pairs, replace=False)
    else:
        ranks = None
    subsets = _unrank(ranks, n, k) if ranks is not None else _random_subsets(rng, n_pairs, n, k)
    if half:
        subsets = np.hstack([np.ones((len(subsets), 1), dtype=bool), subsets])
    return subsets


def _unrank(ranks, n, k):
    """Subsets of size ``k`` of ``range(n)`` with the given lexicographic ranks, (len, n) bool."""
    table = np.zeros((n + 1, k + 1), dtype=np.int64)  # table[m, t] = C(m, t)
    for m in range(n + 1):
        for t in range(min(m, k) + 1):
            table[m, t] = math.comb(m, t)
    rank = np.asarray(ranks, dtype=np.int64).copy()
    left = np.full(len(rank), k)
    out = np.zeros((len(rank), n), dtype=bool)
    for j in range(n):  # loop over features, vectorised over subsets
        count = table[n - j - 1, np.maximum(left - 1, 0)]  # subsets that take j here
        take = (left > 0) & (rank < count)
        out[:, j] = take
        rank -= np.where(take | (left == 0), 0, count)
        left -= take
    return out


def _random_subsets(rng, n_draw, n, k):
    """``n_draw`` distinct random subsets of size ``k`` of ``range(n)`` (huge populations)."""
    found = np.zeros((0, n), dtype=bool)
    while len(found) < n_draw:
        keys = rng.random((n_draw - len(found), n))
        chosen = np.zeros(keys.shape, dtype=bool)
        np.put_along_axis(chosen, np.argpartition(keys, k - 1, axis=1)[:, :k], True, axis=1)
        found = np.unique(np.vstack([found, chosen]), axis=0)
    return found


def kernel_solve(design, y, delta):
    """Kernel SHAP values and standard errors for coalition values ``y = v - v0``.

    y : (g, m, o); delta : (g, o) is f(x) - v0. Returns two arrays of shape (g, p, o).
    """
    beta = np.einsum("km,gmo->gko", design["solve"], y, optimize=True)
    beta += design["c"][None, :, None] * delta[:, None, :]  # (g, K, o)
    values = np.einsum("pk,gko->gpo", design["to_shapley"], beta, optimize=True)
    var = np.zeros_like(values)
    if design["strata"]:
        residual = y - np.einsum("mk,gko->gmo", design["features"], beta, optimize=True)  # (g, m, o)
        # Fitted residuals understate the true ones where a coalition pulls the fit towards
        # itself; dividing by 1 - leverage (HC3) corrects this at small budgets.
        residual = residual / (1 - np.minimum(design["leverage"], 0.99))[None, :, None]
        Q, n_pairs = design["Q"], len(design["stratum"])
        for (start, stop), mass, drawn, population in design["strata"]:
            # Pair j of the stratum moves phi by h_j = (Qa_j ra_j + Qb_j rb_j) / 2; its spread over j.
            Qa, Qb = Q[start:stop], Q[n_pairs + start : n_pairs + stop]  # (j, p)
            ra, rb = residual[:, start:stop], residual[:, n_pairs + start : n_pairs + stop]  # (g, j, o)
            total = 0.5 * (_contract(Qa, ra) + _contract(Qb, rb))
            squares = 0.25 * (_contract(Qa**2, ra**2) + 2 * _contract(Qa * Qb, ra * rb) + _contract(Qb**2, rb**2))
            spread = np.maximum(squares - total**2 / drawn, 0.0) / (drawn - 1)
            var += mass**2 * (1 - drawn / population) * spread / drawn
    return values, np.sqrt(var)


def _contract(Q, r):
    """``sum_j Q[j, i] r[g, j, o]`` as (g, i, o), through one batched matrix product."""
    return np.matmul(r.transpose(0, 2, 1), Q).transpose(0, 2, 1)
