"""The shallow trees of the additive models' boosting, fitted to gradient histograms.

A round gives every term the gradient and hessian sums of each of its cells, for every
column (one outer bag and class). From them, per term and column at once:

- a feature gets a stump over its ordered bins (categories ordered by their gradient
  ratio, Fisher's optimal two-group partition, rare levels pooled and many levels
  shrunk; the missing bin a leaf of its own), with Newton values on both sides, a
  monotone constraint if any;
- a pair gets a split of its grid along one axis and then of each half along the other,
  the better of the two orientations;
- the FAST ranking scores a pair by its best four-quadrant cut (Lou et al. 2013).

In a smoothing round the splits of ordered bins are drawn at random among the valid ones.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "main_updates", "pair_updates", "quadrant_count_valid", "quadrant_split", "quadrant_sums"]

EPS = 1e-12  # smallest hessian a leaf may have
MIN_CATEGORY_ROWS = 10  # levels with fewer rows are pooled
FULL_STEP_LEVELS = 9  # categorical features with more levels take shorter steps


# -- trees on one feature -----------------------------------------------------------
def main_updates(problem, G, H, state, draws, out=None):
    """Newton leaf values of a stump per feature and column, shape (n_terms, width, M).

    ``out``, if given, receives the values.
    """
    T, W = problem.n_terms, problem.width
    M = G.shape[1]
    G, H = G.reshape(T, W, M), H.reshape(T, W, M)
    if out is None:
        out = np.zeros((T, W, M))
    else:
        out = out.reshape(T, W, M)
        out.fill(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, -1] = np.where(H[:, -1] > EPS, -G[:, -1] / H[:, -1], 0.0)  # the missing bin's own leaf
    n_num, (w_num, w_cat) = problem.n_numeric, problem.value_widths
    if n_num and w_num > 1:
        out[:n_num, :w_num] = _stumps(
            G[:n_num, :w_num], H[:n_num, :w_num], _numeric_count_valid(problem, state),
            problem.monotone[:n_num], None if draws is None else draws[:n_num],
        )
    if n_num < T and w_cat > 1:
        N = state.counts[:-1].reshape(T, W, M)
        out[n_num:, :w_cat] = _category_stumps(G[n_num:, :w_cat], H[n_num:, :w_cat], N[n_num:, :w_cat],
                                               problem.min_samples_leaf)
    return out


def _category_stumps(G, H, N, min_samples_leaf):
    """Leaf values of a stump on unordered levels, per term and column, shape of ``G``.

    The levels are ordered by their gradient ratio ``G / H`` (Fisher's optimal two-group
    partition), the order is split where the gain is largest (also in smoothing rounds:
    levels have no neighbours to smooth across), and the values are put back in level
    order. Levels with fewer than ``MIN_CATEGORY_ROWS`` rows are pooled: they share one
    ratio and one side of the split. The partition is the best of ``2 ** (L - 1)``, so
    with ``L`` levels beyond ``FULL_STEP_LEVELS`` its step is shrunk by
    ``sqrt((FULL_STEP_LEVELS - 1) / (L - 1))``: a feature with many levels (a state, a
    postcode) would otherwise fit the noise of each level's few rows.
    """
    rare = (N > 0) & (N < MIN_CATEGORY_ROWS)
    pooled_g, pooled_h = (np.where(rare, a, 0.0).sum(axis=1, keepdims=True) for a in (G, H))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rare, pooled_g / np.maximum(pooled_h, EPS), G / np.maximum(H, EPS))
    ratio = np.where(N > 0, ratio, np.inf)  # levels without rows go last
    order = np.argsort(ratio, axis=1, kind="stable")  # (terms, levels, M)
    Gs, Hs, Ns, rare_sorted = (np.take_along_axis(a, order, axis=1) for a in (G, H, N, rare))
    count_valid = _cut_valid(Ns, min_samples_leaf)
    count_valid[:, :-1] &= ~(rare_sorted[:, :-1] & rare_sorted[:, 1:])  # never between two pooled levels
    sorted_values = _stumps(Gs, Hs, count_valid, np.zeros(len(G)), None)
    values = np.empty_like(sorted_values)
    np.put_along_axis(values, order, sorted_values, axis=1)
    n_levels = (N > 0).sum(axis=1, keepdims=True)  # (terms, 1, M)
    return values * np.sqrt(np.minimum(1.0, (FULL_STEP_LEVELS - 1) / np.maximum(n_levels - 1, 1)))


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
    valid = count_valid & (np.minimum(HL, HR) > EPS)
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
        whole = np.where(ht > EPS, -gt / ht, 0.0)  # one leaf when no split is valid
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
    valid = count_valid & (np.minimum(np.minimum(Hq[0], Hq[1]), np.minimum(Hq[2], Hq[3])) > EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = Gq[0] * Gq[0] / Hq[0] + Gq[1] * Gq[1] / Hq[1] + Gq[2] * Gq[2] / Hq[2] + Gq[3] * Gq[3] / Hq[3]
    key = np.where(valid, score if draws is None else draws, -np.inf).reshape(P, A * B, M)
    cut = np.argmax(key, axis=1)[:, None, :]  # (P, 1, M), flat (i, j)

    def at_cut(a):
        return np.take_along_axis(a.reshape(P, A * B, M), cut, axis=1)[:, 0]  # (P, M)

    found = at_cut(valid)
    G_all, H_all = Gq[0][:, -1, -1], Hq[0][:, -1, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(H_all > EPS, G_all * G_all / H_all, 0.0)
        gain = np.where(found, at_cut(score) - base, -np.inf)
        ll, lr, rl, rr = (np.where(found, -at_cut(g) / at_cut(h), 0.0)[:, None, None, :] for g, h in zip(Gq, Hq))
    i, j = np.divmod(cut[:, 0], B)  # (P, M)
    lower_i = np.arange(A)[None, :, None, None] <= i[:, None, None, :]  # (P, A, 1, M)
    lower_j = np.arange(B)[None, None, :, None] <= j[:, None, None, :]  # (P, 1, B, M)
    values = np.where(lower_i, np.where(lower_j, ll, lr), np.where(lower_j, rl, rr))
    return gain, values


def _prefix(A, axis):
    """Cumulative sums along ``axis``, the same numbers as ``np.cumsum``.

    On large arrays, the sums are laid out in memory with ``axis`` outermost (the result
    is a view with the axes of ``A``), so that they add one contiguous slice to the next:
    several times faster than numpy's accumulation along an inner axis, or than slices
    whose memory interleaves (numpy copies those before it adds in place). Both add in
    the same order.
    """
    if A.size <= 2**15:
        return np.cumsum(A, axis=axis)
    out = np.moveaxis(A, axis, 0).astype(np.float64, order="C")  # a copy, ``axis`` outermost
    for i in range(1, len(out)):
        out[i] += out[i - 1]
    return np.moveaxis(out, 0, axis)


def pair_updates(problem, G, H, state, draws, out=None):
    """Newton values of a two-level tree per pair and column, shape (pairs, w, w, M).

    The tree splits the grid along one axis (the stump of the marginal histogram), then
    each half along the other axis; both orientations are grown and the one with the
    larger gain kept (in a smoothing round: splits and orientation drawn at random).
    ``out``, if given, receives the values.
    """
    P, W = problem.n_terms, problem.width
    M = G.shape[1]
    G, H = G.reshape(P, W, W, M), H.reshape(P, W, W, M)
    along_1 = (_prefix(G, 1), _prefix(H, 1), _pair_counts(problem, state)[0])  # cumulated over axis 1
    along_2 = (_prefix(G, 2), _prefix(H, 2), _pair_counts(problem, state)[1])
    leaf = problem.min_samples_leaf
    # First splits, both orientations at once (2P terms): the marginal along axis 1 is
    # the total over axis 2, and the other way round.
    g, h, n = (np.concatenate([b[:, :, -1], a[:, -1]]) for a, b in zip(along_1, along_2))  # (2P, W, M)
    split, found, _, _, _ = _splits(g, h, _cut_valid(n, leaf), None if draws is None else np.tile(draws[1], (2, 1)))
    # The halves of every first split, as histograms along the other axis (4P terms):
    # the cumulated sums at the split.
    pair, cell, column = np.arange(P)[:, None, None], np.arange(W)[None, :, None], np.arange(M)[None, None, :]
    split_1, split_2 = split[:P][:, None, :], split[P:][:, None, :]  # (P, 1, M)
    halves = [np.concatenate([lo1, a[:, -1] - lo1, lo2, b[:, :, -1] - lo2])
              for a, b in zip(along_1, along_2)
              for lo1, lo2 in [(a[pair, split_1, cell, column], b[pair, cell, split_2, column])]]  # (4P, W, M) each
    half_draws = None if draws is None else np.concatenate([draws[2], draws[3], draws[2], draws[3]])
    s, _, left, right, gain = _splits(*halves[:2], _cut_valid(halves[2], leaf), half_draws)
    gain = gain.reshape(4, P, M)
    found = found.reshape(2, P, M)
    gain_1 = np.where(found[0], gain[0] + gain[1], -np.inf)
    gain_2 = np.where(found[1], gain[2] + gain[3], -np.inf)
    first = gain_1 >= gain_2  # (P, M): split along axis 1 first
    if draws is not None:
        first = np.where(np.isfinite(gain_1) & np.isfinite(gain_2), draws[0] < 0.5, first)
    # Each half's values along the other axis, zero where neither orientation splits,
    # as (4, P, M, W): the grid is written column by column, along runs of W cells.
    sides = np.where(np.arange(W) <= s[:, :, None], left[:, :, None], right[:, :, None]).reshape(4, P, M, W)
    sides = np.where((found[0] | found[1])[:, :, None], sides, 0.0)
    # The grid (P, M, W, W), the second orientation, then the first where it is kept.
    first = first[:, :, None, None]
    lower = np.arange(W) <= split[:, :, None, None]  # (2P, M, 1, W): cells at or below the first split
    grid = np.empty((P, M, W, W))
    grid[...] = sides[3][..., None]
    np.copyto(grid, sides[2][..., None], where=lower[P:])  # lower along axis 2
    np.copyto(grid, sides[1][:, :, None, :], where=first)
    np.copyto(grid, sides[0][:, :, None, :], where=first & lower[:P].swapaxes(2, 3))
    out = np.empty((P, W, W, M)) if out is None else out.reshape(P, W, W, M)
    out[...] = grid.transpose(0, 2, 3, 1)
    return out


def _cut_valid(N, min_samples_leaf):
    """Splits of (terms, bins, M) counts leaving ``min_samples_leaf`` rows on each side."""
    NL = np.cumsum(N, axis=1)
    return (NL >= min_samples_leaf) & (NL[:, -1:] - NL >= min_samples_leaf)


def _numeric_count_valid(problem, state):
    """Count-valid splits of the numeric features, kept on ``state`` while its counts hold."""
    if "numeric_count_valid" not in state.cache:
        T, W, n_num, w_num = problem.n_terms, problem.width, problem.n_numeric, problem.value_widths[0]
        N = state.counts[:-1].reshape(T, W, -1)[:n_num, :w_num]
        state.cache["numeric_count_valid"] = _cut_valid(N, problem.min_samples_leaf)
    return state.cache["numeric_count_valid"]


def _pair_counts(problem, state):
    """Counts of the pairs' grids summed along each axis, (pairs, w, w, M) twice; cached."""
    if "pair_counts" not in state.cache:
        P, W = problem.n_terms, problem.width
        N = state.counts[:-1].reshape(P, W, W, -1)
        state.cache["pair_counts"] = (_prefix(N, 1), _prefix(N, 2))
    return state.cache["pair_counts"]
