"""The numerical engine of the additive models: boosting of per-feature and pairwise terms.

Every term owns a block of *cells*: a feature's bins (the missing bin last), or the grid
of a pair's coarser bins. A row falls in exactly one cell of every term, so the one-hot
design matrix ``B`` of shape ``(n_samples, n_cells + 1)`` (sparse CSR, one non-zero per
term per row, plus a last column of ones for the intercept) turns the two steps that
boosting repeats into two sparse products, for all terms, outer bags and classes at once:

- the histograms of gradients and hessians of every cell: ``B.T @ [g * w, h * w]``,
  shape ``(n_cells + 1, 2 * n_columns)``;
- the update of every row's score: ``F += B @ delta``, shape ``(n_samples, n_columns)``.

A *column* is one (outer bag, class) couple: bags differ in the rows they train and stop
on, classes in their gradients. Every term is updated once per round from the same
histograms (the parallel form of round-robin boosting: no term sees another's update of
the same round), by a shallow tree on its own cells: a stump for a feature (categories
ordered by their gradient ratio, the missing bin a leaf of its own); for a pair, a split
of its grid along one axis and then of each half along the other, the better of the two
orientations. The intercept takes a full Newton step first, so that the terms do not all
chase the same overall shift. The pairs are ranked by the best split of their grid into
four quadrants (FAST, Lou et al. 2013).

Bags are independent columns of every array and every reduction runs per bag, so how the
bags are grouped into chunks (that is, ``n_jobs``) never changes a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

__all__ = ["BoostingProblem", "boost_bags", "one_hot", "quadrant_count_valid", "quadrant_split", "quadrant_sums"]

_EPS = 1e-12  # smallest hessian a leaf may have


def one_hot(codes, widths):
    """Sparse one-hot design of integer cell codes, with a last intercept column.

    Parameters
    ----------
    codes : ndarray of int of shape (n_samples, n_terms)
        The cell of every row in every term, ``0 <= codes[:, t] < widths[t]``.
    widths : ndarray of int of shape (n_terms,)
        Cells per term; term ``t`` owns columns ``sum(widths[:t])`` onwards.

    Returns
    -------
    design : csr_matrix of shape (n_samples, sum(widths) + 1)
    """
    n, t = codes.shape
    starts = np.concatenate([[0], np.cumsum(widths)])
    columns = np.empty((n, t + 1), dtype=np.int32)  # (n, terms + intercept)
    columns[:, :t] = codes + starts[:-1]
    columns[:, t] = starts[-1]
    indptr = np.arange(0, n * (t + 1) + 1, t + 1, dtype=np.int64)
    return sp.csr_matrix((np.ones(n * (t + 1)), columns.ravel(), indptr), shape=(n, starts[-1] + 1))


@dataclass(frozen=True, eq=False)
class BoostingProblem:
    """What one boosting stage needs, shared by every bag.

    Attributes
    ----------
    design : csr_matrix of shape (n_samples, n_cells + 1)
        One-hot cells of every term and the intercept column (see :func:`one_hot`).
    kind : {"main", "pair"}
        ``"main"``: ``n_terms`` features of ``width`` cells each (padded, missing bin at
        ``width - 1``; numeric features first, then categorical ones). ``"pair"``:
        ``n_terms`` grids of ``width x width`` cells, both axes ordered, missing last.
    n_terms, width : int
    n_numeric : int
        Numeric features come first (``"main"`` only).
    value_widths : tuple of int
        Most value bins of a numeric feature and most levels of a categorical one
        (``"main"`` only): the stumps look no further into the padding.
    monotone : ndarray of shape (n_terms,)
        -1, 0 or +1 per feature (``"main"`` only).
    y : ndarray of shape (n_samples,)
        Class index (classification) or target value (regression).
    loss : {"squared", "binary", "multinomial"}
    n_scores : int
        Scores per row: 1, or the number of classes for ``"multinomial"``.
    learning_rate, max_rounds, smoothing_rounds, n_iter_no_change, tol, min_samples_leaf
        See the estimators.
    """

    design: sp.csr_matrix
    kind: str
    n_terms: int
    width: int
    n_numeric: int
    value_widths: tuple
    monotone: np.ndarray
    y: np.ndarray
    loss: str
    n_scores: int
    learning_rate: float
    max_rounds: int
    smoothing_rounds: int
    n_iter_no_change: int
    tol: float
    min_samples_leaf: int


def boost_bags(problem, offsets, train_weight, val_rows, val_weight, rngs):
    """Boost the terms of ``problem`` in several outer bags at once.

    Parameters
    ----------
    problem : BoostingProblem
    offsets : ndarray of shape (n_samples, n_bags, n_scores)
        Scores the bags start from (the intercept's start, or the main terms' scores).
    train_weight : ndarray of shape (n_samples, n_bags)
        Sample weight of the rows each bag trains on, zero elsewhere.
    val_rows, val_weight : list of n_bags ndarrays
        Rows each bag stops on, and their sample weights.
    rngs : list of n_bags numpy Generators
        Draw the random splits of the smoothing rounds, bag by bag.

    Returns
    -------
    cells : ndarray of shape (n_bags, n_cells + 1, n_scores)
        Value of every cell (the intercept last) at each bag's best validation round.
    n_rounds : ndarray of int of shape (n_bags,)
        Rounds each bag ran.
    """
    design, C = problem.design, problem.n_scores
    n, n_cells = design.shape
    K = train_weight.shape[1]
    design_t = design.T  # CSC view: the histogram product needs no conversion
    # Histograms and updates run in single precision, twice as fast; the scores F, the
    # cells and every sum over a histogram stay in double precision.
    design32 = design.astype(np.float32)
    design32_t = design32.T
    F = np.ascontiguousarray(offsets.reshape(n, K * C), dtype=np.float64)  # (n, columns), bag-major
    cells = np.zeros((n_cells, K * C))
    best_cells = np.zeros((K, n_cells, C))
    best_loss = np.full(K, np.inf)
    reference = np.full(K, np.inf)  # loss when the patience counter last restarted
    scale = np.full(K, np.nan)  # loss at the start: improvements count relative to it
    waiting = np.zeros(K, dtype=np.intp)
    n_rounds = np.zeros(K, dtype=np.intp)
    active = np.arange(K)  # bags still boosting, in order
    state = _ColumnState(problem, design_t, train_weight, val_rows, val_weight, active)
    y = problem.y
    for round_ in range(problem.max_rounds + 1):
        losses = _validation_losses(problem, F, state)
        for i, bag in enumerate(active):
            loss = losses[i]
            if loss < best_loss[bag]:
                best_loss[bag] = loss
                best_cells[bag] = cells[:, i * C:(i + 1) * C]
            if round_ == 0:
                scale[bag] = abs(loss)
            if not np.isfinite(reference[bag]) or loss < reference[bag] - problem.tol * scale[bag]:
                reference[bag] = loss
                waiting[bag] = 0
            else:
                waiting[bag] += 1
        n_rounds[active] = round_
        done = waiting[active] >= problem.n_iter_no_change
        if round_ == problem.max_rounds:
            break
        if done.any():
            keep = ~done
            if not keep.any():
                break
            columns = (np.flatnonzero(keep)[:, None] * C + np.arange(C)).ravel()
            F, cells = F[:, columns], cells[:, columns]
            active = active[keep]
            state = _ColumnState(problem, design_t, train_weight, val_rows, val_weight, active)
        M = F.shape[1]
        gh = _weighted_gradients(problem.loss, F, y, C, state.weight)  # (n, M or 2M), float32
        histograms = np.asarray(design32_t @ gh, dtype=np.float64)  # (n_cells, M or 2M)
        G = histograms[:, :M]
        H = state.hessian if problem.loss == "squared" else histograms[:, M:]
        shrink = (C - 1) / C if C > 1 else 1.0  # diagonal Newton steps overshoot softmax
        with np.errstate(divide="ignore", invalid="ignore"):
            intercept = np.where(H[-1] > _EPS, -G[-1] / H[-1], 0.0) * shrink  # (M,)
        G_terms = G[:-1] + H[:-1] * intercept  # gradient after the intercept's step, to first order
        smoothing = round_ < problem.smoothing_rounds
        draws = _draws(problem, rngs, active, C) if smoothing else None
        if problem.kind == "main":
            update = _main_updates(problem, G_terms, H[:-1], state, draws)
        else:
            update = _pair_updates(problem, G_terms, H[:-1], state, draws)
        delta = np.empty((n_cells, M))
        delta[:-1] = update.reshape(n_cells - 1, M) * (problem.learning_rate * shrink)
        delta[-1] = intercept
        cells += delta
        F += design32 @ delta.astype(np.float32)
    return best_cells, n_rounds


class _ColumnState:
    """Per-column arrays of the active bags: training weights, counts, constant hessians."""

    def __init__(self, problem, design_t, train_weight, val_rows, val_weight, active):
        C = problem.n_scores
        weight = train_weight[:, active]  # (n, K_active)
        rows, weights = [val_rows[bag] for bag in active], [val_weight[bag] for bag in active]
        if not any(len(r) for r in rows):  # too few rows to hold any out: watch the training loss
            rows = [np.flatnonzero(weight[:, i] > 0) for i in range(len(active))]
            weights = [weight[r, i] for i, r in enumerate(rows)]
        positions = np.arange(len(active))
        if len({len(r) for r in rows}) == 1:  # (rows, weights, positions) of groups of bags
            self.validation = [(np.stack(rows), np.stack(weights), positions)]
        else:
            self.validation = [(r[None], w[None], positions[[i]]) for i, (r, w) in enumerate(zip(rows, weights))]
        self.weight = np.repeat(weight, C, axis=1) if C > 1 else np.ascontiguousarray(weight)  # (n, M)
        counts = design_t @ (weight > 0).astype(np.float64)  # (n_cells, K_active)
        self.counts = np.repeat(counts, C, axis=1) if C > 1 else counts
        self.hessian = design_t @ self.weight if problem.loss == "squared" else None
        self._numeric_count_valid = None
        self._pair_counts = None

    def pair_counts(self, problem):
        """Counts of the pairs' grids summed along each axis, (pairs, w, w, M) twice."""
        if self._pair_counts is None:
            P, W = problem.n_terms, problem.width
            N = self.counts[:-1].reshape(P, W, W, -1)
            self._pair_counts = (_prefix(N, 1), _prefix(N, 2))
        return self._pair_counts

    def numeric_count_valid(self, problem):
        """Count-valid splits of the numeric features (constant while the bags are)."""
        if self._numeric_count_valid is None:
            T, W, n_num, w_num = problem.n_terms, problem.width, problem.n_numeric, problem.value_widths[0]
            N = self.counts[:-1].reshape(T, W, -1)[:n_num, :w_num]
            self._numeric_count_valid = _cut_valid(N, problem.min_samples_leaf)
        return self._numeric_count_valid


def _weighted_gradients(loss, F, y, C, weight):
    """Gradients and hessians of the loss at scores ``F`` (n, M), times ``weight`` (n, M).

    Returns a float32 array (n, 2 * M): gradients then hessians; (n, M) of gradients
    alone for the squared error, whose hessian is the weight itself.
    """
    n, M = F.shape
    if loss == "squared":
        return ((F - y[:, None]) * weight).astype(np.float32)
    out = np.empty((n, 2, M), dtype=np.float32)
    if loss == "binary":
        p = expit(F)
        out[:, 0] = (p - y[:, None]) * weight
    else:
        p = softmax(F.reshape(n, M // C, C), axis=-1)  # (n, bags, classes)
        g = p.copy()
        g[np.arange(n), :, y] -= 1.0
        out[:, 0] = g.reshape(n, M) * weight
        p = p.reshape(n, M)
    out[:, 1] = p * (1.0 - p) * weight
    return out.reshape(n, 2 * M)


def _validation_losses(problem, F, state):
    """Weighted mean loss of each active bag on its validation rows, shape (n_active,).

    Every bag's sum runs over its own contiguous row of a (bags, rows) array, so it does
    not depend on which other bags are boosted alongside.
    """
    return np.concatenate([_mean_loss(problem, F, *group) for group in state.validation])


def _mean_loss(problem, F, rows, weight, positions):
    """Mean loss of bags at ``positions`` (bags,) on ``rows`` with ``weight`` (bags, n_val)."""
    C = problem.n_scores
    columns = positions[:, None, None] * C + np.arange(C)  # (bags, 1, C)
    scores = F[rows[:, :, None], columns]  # (bags, n_val, C)
    target = problem.y[rows]
    if problem.loss == "squared":
        point = (scores[..., 0] - target) ** 2
    elif problem.loss == "binary":
        point = np.logaddexp(0.0, scores[..., 0]) - target * scores[..., 0]
    else:
        top = scores.max(axis=2)
        log_total = top + np.log(np.exp(scores - top[..., None]).sum(axis=2))
        point = log_total - np.take_along_axis(scores, target[..., None].astype(np.intp), axis=2)[..., 0]
    return (weight * point).sum(axis=1) / weight.sum(axis=1)


def _draws(problem, rngs, active, C):
    """Uniform draws choosing the random splits of a smoothing round, shape (..., M)."""
    if problem.kind == "main":
        shape = (problem.n_terms, C)
        draws = [rngs[bag].random(shape) for bag in active]  # per bag: (terms, C)
        return np.concatenate(draws, axis=1)  # (terms, M), bag-major columns
    shape = (4, problem.n_terms, C)  # orientation, first split, split of each half
    return np.concatenate([rngs[bag].random(shape) for bag in active], axis=2)  # (4, pairs, M)


# -- trees on one feature -----------------------------------------------------------
def _main_updates(problem, G, H, state, draws):
    """Newton leaf values of a stump per feature and column, shape (n_terms, width, M)."""
    T, W = problem.n_terms, problem.width
    M = G.shape[1]
    G, H = G.reshape(T, W, M), H.reshape(T, W, M)
    out = np.zeros((T, W, M))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, -1] = np.where(H[:, -1] > _EPS, -G[:, -1] / H[:, -1], 0.0)  # the missing bin's own leaf
    n_num, (w_num, w_cat) = problem.n_numeric, problem.value_widths
    if n_num and w_num > 1:
        out[:n_num, :w_num] = _stumps(
            G[:n_num, :w_num], H[:n_num, :w_num], state.numeric_count_valid(problem),
            problem.monotone[:n_num], None if draws is None else draws[:n_num],
        )
    if n_num < T and w_cat > 1:
        # Categories: order the levels by gradient ratio (Fisher's optimal two-group
        # partition), split that order, and put the values back in level order.
        N = state.counts[:-1].reshape(T, W, M)
        Gc, Hc, Nc = G[n_num:, :w_cat], H[n_num:, :w_cat], N[n_num:, :w_cat]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(Nc > 0, Gc / np.maximum(Hc, _EPS), np.inf)
        order = np.argsort(ratio, axis=1, kind="stable")  # (categorical, levels, M)
        Gs, Hs, Ns = (np.take_along_axis(a, order, axis=1) for a in (Gc, Hc, Nc))
        sorted_values = _stumps(Gs, Hs, _cut_valid(Ns, problem.min_samples_leaf), np.zeros(T - n_num), None)
        values = np.empty_like(sorted_values)
        np.put_along_axis(values, order, sorted_values, axis=1)
        out[n_num:, :w_cat] = values
    return out


def _splits(G, H, count_valid, draws=None):
    """Best (or, with ``draws``, a random valid) split of ordered bins, per term and column.

    ``G, H`` have shape (terms, bins, M); ``count_valid`` marks the splits with enough
    rows on both sides; a split after bin ``s`` sends bins ``<= s`` left. A drawn split
    is uniform between the first and the last valid one; where it lands on an invalid
    split (which only a monotone constraint makes), the best split is kept.

    Returns
    -------
    split : ndarray of int of shape (terms, M)
    found : ndarray of bool of shape (terms, M)
        Whether any split is valid.
    left, right : ndarray of shape (terms, M)
        Newton values of the two sides; both the value of the whole where no split is
        valid (zero without hessian).
    gain : ndarray of shape (terms, M)
        ``GL²/HL + GR²/HR`` at the split, ``G²/H`` of the whole where none is valid.
    """
    GL, HL = np.cumsum(G, axis=1), np.cumsum(H, axis=1)
    GT, HT = GL[:, -1:], HL[:, -1:]
    GR, HR = GT - GL, HT - HL
    valid = count_valid & (np.minimum(HL, HR) > _EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(valid, GL * GL / HL + GR * GR / HR, -np.inf)
    split = np.argmax(gain, axis=1)  # (terms, M)
    terms, columns = np.arange(G.shape[0])[:, None], np.arange(G.shape[2])[None, :]
    if draws is not None:
        n = G.shape[1]
        first = np.argmax(valid, axis=1)
        last = n - 1 - np.argmax(valid[:, ::-1], axis=1)
        drawn = first + np.minimum((draws * (last - first + 1)).astype(np.intp), last - first)
        split = np.where(valid[terms, drawn, columns], drawn, split)
    found = valid[terms, split, columns]
    gl, hl = GL[terms, split, columns], HL[terms, split, columns]
    gt, ht = GT[:, 0], HT[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        whole = np.where(ht > _EPS, -gt / ht, 0.0)  # one leaf when no split is valid
        left = np.where(found, -gl / hl, whole)
        right = np.where(found, -(gt - gl) / (ht - hl), whole)
    best = np.where(found, gain[terms, split, columns], -whole * gt)
    return split, found, left, right, best


def _stumps(G, H, count_valid, monotone, draws):
    """Leaf values of a stump on ordered bins, per term and column, shape of ``G``.

    ``monotone`` (-1, 0 or +1 per term) rules out the splits whose right value minus
    left value has the wrong sign. One value for all bins where no split is valid.
    """
    if np.any(monotone):
        GL, HL = np.cumsum(G, axis=1), np.cumsum(H, axis=1)
        direction = np.asarray(monotone, dtype=np.float64)[:, None, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            rising = GL / HL - (GL[:, -1:] - GL) / (HL[:, -1:] - HL)  # right value minus left value
        count_valid = count_valid & (rising * direction >= 0)
    split, found, left, right, _ = _splits(G, H, count_valid, draws)
    position = np.arange(G.shape[1])[None, :, None]
    return np.where(position <= split[:, None, :], left[:, None, :], right[:, None, :])


# -- trees on a pair ----------------------------------------------------------------
def quadrant_sums(A):
    """Sums of ``A`` (pairs, a, b, M) over the four quadrants of every cut.

    The cut ``(i, j)`` sends cells ``<= i`` on the first axis and ``<= j`` on the second
    to the lower quadrants. Returns ``(LL, LR, RL, RR)``, each of the shape of ``A``.
    """
    S = np.cumsum(np.cumsum(A, axis=1), axis=2)  # 2-D prefix sums
    rows = S[:, :, -1:]  # first axis <= i, any second
    cols = S[:, -1:, :]  # any first, second axis <= j
    total = S[:, -1:, -1:]
    return S, rows - S, cols - S, total - rows - cols + S


def quadrant_count_valid(N, min_samples_leaf):
    """Cuts leaving ``min_samples_leaf`` rows in every quadrant, shape of ``N`` (pairs, a, b, M)."""
    valid = np.ones(N.shape, dtype=bool)
    for quadrant in quadrant_sums(N):
        valid &= quadrant >= min_samples_leaf
    return valid


def quadrant_split(G, H, count_valid, draws=None):
    """Best (or random valid) four-quadrant cut of each grid and column.

    Parameters
    ----------
    G, H : ndarray of shape (pairs, a, b, M)
        Gradient and hessian of each cell.
    count_valid : ndarray of bool of shape (pairs, a, b, M)
        Cuts with enough rows in every quadrant (:func:`quadrant_count_valid`).
    draws : ndarray of shape (pairs, a, b, M), default=None
        Uniform draws; the valid cut with the largest draw is taken instead of the best.

    Returns
    -------
    gain : ndarray of shape (pairs, M)
        ``sum over quadrants of G²/H`` at the chosen cut minus ``G²/H`` of the whole grid
        (``-inf`` where no cut is valid).
    values : ndarray of shape (pairs, a, b, M)
        Newton value of every cell's quadrant (zero where no cut is valid).
    """
    P, A, B, M = G.shape
    Gq, Hq = quadrant_sums(G), quadrant_sums(H)
    valid = count_valid & (np.minimum(np.minimum(Hq[0], Hq[1]), np.minimum(Hq[2], Hq[3])) > _EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = Gq[0] * Gq[0] / Hq[0] + Gq[1] * Gq[1] / Hq[1] + Gq[2] * Gq[2] / Hq[2] + Gq[3] * Gq[3] / Hq[3]
    key = np.where(valid, score if draws is None else draws, -np.inf).reshape(P, A * B, M)
    cut = np.argmax(key, axis=1)[:, None, :]  # (P, 1, M), flat (i, j)

    def at_cut(a):
        return np.take_along_axis(a.reshape(P, A * B, M), cut, axis=1)[:, 0]  # (P, M)

    found = at_cut(valid)
    G_all, H_all = Gq[0][:, -1, -1], Hq[0][:, -1, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(H_all > _EPS, G_all * G_all / H_all, 0.0)
        gain = np.where(found, at_cut(score) - base, -np.inf)
        ll, lr, rl, rr = (np.where(found, -at_cut(g) / at_cut(h), 0.0)[:, None, None, :] for g, h in zip(Gq, Hq))
    i, j = np.divmod(cut[:, 0], B)  # (P, M)
    lower_i = np.arange(A)[None, :, None, None] <= i[:, None, None, :]  # (P, A, 1, M)
    lower_j = np.arange(B)[None, None, :, None] <= j[:, None, None, :]  # (P, 1, B, M)
    values = np.where(lower_i, np.where(lower_j, ll, lr), np.where(lower_j, rl, rr))
    return gain, values


def _prefix(A, axis):
    """Cumulative sums along ``axis``, the same numbers as ``np.cumsum``.

    On large arrays, adding slice after slice is several times faster than numpy's
    accumulation along an inner axis; both add in the same order.
    """
    if A.size <= 2**15:
        return np.cumsum(A, axis=axis)
    out = np.array(A, dtype=np.float64, copy=True)
    index = [slice(None)] * A.ndim
    for i in range(1, A.shape[axis]):
        index[axis] = i
        current = tuple(index)
        index[axis] = i - 1
        out[current] += out[tuple(index)]
    return out


def _pair_updates(problem, G, H, state, draws):
    """Newton values of a two-level tree per pair and column, shape (pairs, w, w, M).

    The tree splits the grid along one axis (the stump of the marginal histogram), then
    each half along the other axis; both orientations are grown and the one with the
    larger gain kept (in a smoothing round: splits and orientation drawn at random).
    """
    P, W = problem.n_terms, problem.width
    M = G.shape[1]
    G, H = G.reshape(P, W, W, M), H.reshape(P, W, W, M)
    along_1 = (_prefix(G, 1), _prefix(H, 1), state.pair_counts(problem)[0])  # cumulated over axis 1
    along_2 = (_prefix(G, 2), _prefix(H, 2), state.pair_counts(problem)[1])
    leaf = problem.min_samples_leaf
    # First splits, both orientations at once (2P terms): the marginal along axis 1 is
    # the total over axis 2, and the other way round.
    g, h, n = (np.concatenate([b[:, :, -1], a[:, -1]]) for a, b in zip(along_1, along_2))  # (2P, W, M)
    split, found, _, _, _ = _splits(g, h, _cut_valid(n, leaf), None if draws is None else np.tile(draws[1], (2, 1)))
    # The halves of every first split, as histograms along the other axis (4P terms).
    at_1 = split[:P][:, None, None, :]  # (P, 1, 1, M), along axis 1
    at_2 = split[P:][:, None, None, :]
    low_1 = [np.take_along_axis(a, at_1, axis=1)[:, 0] for a in along_1]  # (P, W, M) along axis 2
    low_2 = [np.take_along_axis(a, at_2, axis=2)[:, :, 0] for a in along_2]  # along axis 1
    halves = [np.concatenate([lo1, a[:, -1] - lo1, lo2, b[:, :, -1] - lo2])
              for lo1, lo2, a, b in zip(low_1, low_2, along_1, along_2)]  # (4P, W, M) each
    half_draws = None if draws is None else np.concatenate([draws[2], draws[3], draws[2], draws[3]])
    s, _, left, right, gain = _splits(*halves[:2], _cut_valid(halves[2], leaf), half_draws)
    position = np.arange(W)[None, :, None]
    sides = np.where(position <= s[:, None, :], left[:, None, :], right[:, None, :]).reshape(4, P, W, M)
    gain = gain.reshape(4, P, M)
    lower = position[None] <= split.reshape(2, P, 1, M)  # (2, P, W, M)
    values_1 = np.where(lower[0][:, :, None, :], sides[0][:, None], sides[1][:, None])
    values_2 = np.where(lower[1][:, None, :, :], sides[2][:, :, None], sides[3][:, :, None])
    found = found.reshape(2, P, M)
    gain_1 = np.where(found[0], gain[0] + gain[1], -np.inf)
    gain_2 = np.where(found[1], gain[2] + gain[3], -np.inf)
    first = gain_1 >= gain_2  # (P, M): split along axis 1 first
    if draws is not None:
        first = np.where(np.isfinite(gain_1) & np.isfinite(gain_2), draws[0] < 0.5, first)
    values = np.where(first[:, None, None, :], values_1, values_2)
    return np.where((found[0] | found[1])[:, None, None, :], values, 0.0)


def _cut_valid(N, min_samples_leaf):
    """Splits of (terms, bins, M) counts leaving ``min_samples_leaf`` rows on each side."""
    NL = np.cumsum(N, axis=1)
    return (NL >= min_samples_leaf) & (NL[:, -1:] - NL >= min_samples_leaf)
