"""The counterfactual search: Growing Spheres (Laugel et al. 2018), batched over every
explained row and candidate.

1. candidates are drawn in expanding shells around each row, in a space where every
   numeric feature is scaled by its median absolute deviation (:class:`SearchSpace`);
   each candidate changes a random subset of the mutable features (a numeric one moves
   along a random direction at the shell's radius, a categorical one takes another
   observed level); values are clipped to the observed range and integer features stay
   integers;
2. the model is called once per shell on all candidates of all rows still searching;
   a row stops at the first shell after which it holds enough valid candidates (four
   times ``n_counterfactuals``, at least 10);
3. each valid candidate is sparsified (its changes are reverted one at a time, smallest
   first, as long as the decision holds) and then moved back towards the row along its
   remaining numeric change by bisection, each step one model call over all candidates;
4. from each row's candidates the closest are kept, preferring different sets of
   changed features, so that the counterfactuals offer different ways to the outcome.

:func:`search_chunk` runs all four steps for a chunk of rows; each row draws from its
own generator, so its counterfactuals do not depend on the other rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._core import safe_norm, safe_std

__all__ = ["Decision", "Search", "SearchSpace", "Target", "search_chunk"]

_N_SHELLS = 12
"""Shells of the search; their radii double from 1/2**11 of the box diagonal to all of it."""
_BISECTION_STEPS = 8
"""Bisection steps moving each counterfactual back towards its row."""


@dataclass(frozen=True)
class Target:
    """What a counterfactual must reach: a class (None: another class) or a range."""

    desired: object
    low: float | None
    high: float | None

    def reached(self, prediction, original):
        """Whether each prediction meets the target, given the row's own prediction."""
        if self.low is not None:
            return (prediction >= self.low) & (prediction <= self.high)
        if self.desired is None:
            return prediction != original
        return prediction == self.desired


class Decision:
    """The model's decision (``predict``) on encoded rows, one value per row."""

    def __init__(self, response):
        self.response = response

    def __call__(self, Z):
        return self.response(Z).reshape(len(Z))


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """What the search may change and how it measures change, learnt at ``fit``.

    Attributes
    ----------
    is_categorical, immutable, is_integer : ndarray of bool of shape (p,)
    low, high : ndarray of shape (p,)
        Observed range of numeric features (NaN for categorical ones).
    scale : ndarray of shape (p,)
        Median absolute deviation of numeric features (their standard deviation when
        it is 0, and 1 when both are), 1 for categorical ones.
    frequencies : tuple of length p
        Observed share of each level of a categorical feature (None for numeric ones).
    """

    is_categorical: np.ndarray
    immutable: np.ndarray
    is_integer: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray
    frequencies: tuple

    @classmethod
    def learn(cls, X, is_categorical, categories, immutable):
        n_features = X.shape[1]
        low, high = np.full(n_features, np.nan), np.full(n_features, np.nan)
        scale = np.ones(n_features)
        is_integer = np.zeros(n_features, dtype=bool)
        frequencies = []
        for j in range(n_features):
            column = X[:, j][~np.isnan(X[:, j])]
            if is_categorical[j]:
                counts = np.bincount(column.astype(np.intp), minlength=len(categories[j])).astype(np.float64)
                frequencies.append(counts / max(counts.sum(), 1.0))
                continue
            frequencies.append(None)
            if len(column) == 0:
                continue
            low[j], high[j] = column.min(), column.max()
            is_integer[j] = bool(np.all(column == np.round(column)))
            mad = np.median(np.abs(column - np.median(column)))
            spread = mad if mad > 0 else safe_std(column)
            scale[j] = spread if spread > 0 else 1.0
        return cls(np.asarray(is_categorical, dtype=bool), immutable, is_integer, low, high, scale, tuple(frequencies))

    def mutable(self, rows):
        """Which features of each row a counterfactual may change, shape (c, p)."""
        numeric = ~self.is_categorical & (self.high > self.low)
        mutable = np.where(self.is_categorical, True, numeric[None, :] & ~np.isnan(rows))
        for j in np.flatnonzero(self.is_categorical):
            observed = self.frequencies[j] > 0
            current = rows[:, j]
            known = ~np.isnan(current)
            alone = np.zeros(len(rows), dtype=bool)  # the row holds the only observed level
            alone[known] = (observed.sum() == 1) & observed[current[known].astype(np.intp)]
            mutable[:, j] = (observed.sum() >= 1) & ~alone
        return mutable & ~self.immutable

    def distance(self, candidates, rows):
        """Distances (T,) and changed features (T, p) of candidates to their rows."""
        changed = ~((candidates == rows) | (np.isnan(candidates) & np.isnan(rows)))
        gap = np.where(self.is_categorical, 1.0, np.abs(candidates - rows) / self.scale)
        return np.where(changed, gap, 0.0).sum(axis=1), changed

    def finish(self, candidates):
        """Clip numeric values to the observed range and round integer features."""
        clipped = np.clip(candidates, self.low, self.high)
        clipped = np.where(self.is_integer, np.round(clipped), clipped)
        return np.where(self.is_categorical, candidates, clipped)

    def swap_levels(self, rows, chosen, uniforms):
        """Other observed levels for the chosen categorical cells, drawn by frequency.

        ``rows`` (c, p), ``chosen`` (c, M, p) and ``uniforms`` (c, M, p); returns the
        codes of shape (c, M, p) (unchanged where not chosen).
        """
        codes = np.broadcast_to(rows[:, None, :], chosen.shape).copy()
        for j in np.flatnonzero(self.is_categorical & chosen.any(axis=(0, 1))):
            shares = self.frequencies[j]
            cumulative = np.cumsum(shares)
            current = np.broadcast_to(rows[:, None, j], chosen.shape[:2])
            known = ~np.isnan(current)
            index = np.where(known, current, 0).astype(np.intp)
            own = np.where(known, shares[index], 0.0)  # mass of the row's own level
            before = np.where(known & (index > 0), cumulative[np.maximum(index - 1, 0)], 0.0)
            t = uniforms[:, :, j] * (1.0 - own)
            # Inverse CDF of the frequencies with the row's own level removed.
            shifted = np.where(known & (t >= before), t + own, t)
            level = np.minimum(np.searchsorted(cumulative, shifted, side="right"), len(shares) - 1)
            codes[:, :, j] = np.where(chosen[:, :, j], level, codes[:, :, j])
        return codes


@dataclass(frozen=True, eq=False)
class Search:
    """The search of one request, shipped to every chunk of rows."""

    space: SearchSpace
    decide: Decision
    target: Target
    n_counterfactuals: int
    max_changed: int | None
    n_candidates: int

    @property
    def n_kept(self):
        """Valid candidates refined per row."""
        return max(10, 4 * self.n_counterfactuals)

    def reached(self, candidates, original):
        return self.target.reached(self.decide(candidates), original)


def search_chunk(search, positions, rows, original, rngs):
    """Counterfactuals of a chunk of rows: owner positions, rows, predictions, distances,
    changed masks, sorted by (owner, rank)."""
    space = search.space
    n_rows, n_features = rows.shape
    mutable = space.mutable(rows)  # (c, p)
    n_mutable = mutable.sum(axis=1)
    limit = n_mutable if search.max_changed is None else np.minimum(n_mutable, search.max_changed)
    numeric_mutable = mutable & ~space.is_categorical
    diagonal = safe_norm(np.where(numeric_mutable, (space.high - space.low) / space.scale, 0.0), axis=1)
    radii = diagonal[:, None] * 2.0 ** np.arange(-_N_SHELLS + 1, 1)  # (c, shells), outer radius of each shell
    pool_rows, pool = [], []
    searching = n_mutable > 0
    for shell in range(_N_SHELLS):
        active = np.flatnonzero(searching)
        if len(active) == 0:
            break
        inner = radii[active, shell - 1] if shell > 0 else np.zeros(len(active))
        candidates = _draw_candidates(
            space, rows[active], mutable[active], limit[active], inner, radii[active, shell],
            [rngs[i] for i in active], search.n_candidates,
        )  # (a, M, p)
        flat = candidates.reshape(-1, n_features)
        owner = np.repeat(active, search.n_candidates)
        valid = search.reached(flat, original[owner])
        pool_rows.append(owner[valid])
        pool.append(flat[valid])
        searching &= np.bincount(np.concatenate(pool_rows), minlength=n_rows) < search.n_kept
    owner = np.concatenate(pool_rows) if pool_rows else np.zeros(0, dtype=np.intp)
    candidates = np.concatenate(pool) if pool else np.zeros((0, n_features))
    owner, candidates = _closest_diverse(space, owner, candidates, rows, search.n_kept)
    candidates = _sparsify(search, owner, candidates, rows, original)
    candidates = _shrink(search, owner, candidates, rows, original)
    owner, candidates = _closest_diverse(space, owner, candidates, rows, search.n_counterfactuals)
    prediction = search.decide(candidates) if len(candidates) else original[:0]
    valid = search.target.reached(prediction, original[owner])  # holds by construction; checked anyway
    owner, candidates, prediction = owner[valid], candidates[valid], prediction[valid]
    distance, changed = space.distance(candidates, rows[owner])
    return positions[owner], candidates, prediction, distance, changed


def _draw_candidates(space, rows, mutable, limit, inner, outer, rngs, n_candidates):
    """Candidates (a, M, p) in the shells ``inner <= radius <= outer`` around each row.

    Each candidate changes a random subset of 1 to ``limit`` mutable features (a
    log-uniform number of them): numeric
    ones along a random direction (in units of ``space.scale``) at a random radius of the
    shell, categorical ones to another observed level.
    """
    n_active, n_features = rows.shape
    shape = (n_active, n_candidates, n_features)
    keys, normals, levels = np.empty(shape), np.empty(shape), np.empty(shape)
    sizes, radius = np.empty(shape[:2]), np.empty(shape[:2])
    for i, rng in enumerate(rngs):  # each row's own stream: results do not depend on the other rows
        rng.random(out=keys[i])
        rng.standard_normal(out=normals[i])
        rng.random(out=levels[i])
        rng.random(out=sizes[i])
        rng.random(out=radius[i])
    # A random subset of ``size`` mutable features: those with the smallest keys. Sizes
    # are log-uniform in 1..limit, so that few changes are tried most.
    keys = np.where(mutable[:, None, :], keys, 2.0)
    rank = np.argsort(np.argsort(keys, axis=2), axis=2)
    size = np.minimum(np.floor(np.exp(sizes * np.log(limit[:, None] + 1.0))), limit[:, None])  # (a, M)
    chosen = rank < size[:, :, None]
    direction = np.where(chosen & ~space.is_categorical, normals, 0.0)
    norm = np.sqrt(np.square(direction).sum(axis=2, keepdims=True))
    radius = inner[:, None] + radius * (outer - inner)[:, None]
    step = direction / np.where(norm > 0, norm, 1.0) * radius[:, :, None]
    moved = rows[:, None, :] + step * space.scale
    candidates = np.where(space.is_categorical, space.swap_levels(rows, chosen, levels), moved)
    return space.finish(candidates)


def _closest_diverse(space, owner, candidates, rows, k):
    """Keep at most ``k`` candidates per row: distinct values, closest first, each
    changing another set of features than those kept before it when possible."""
    if len(owner) == 0:
        return owner, candidates
    distance, changed = space.distance(candidates, rows[owner])
    # Drop exact duplicates (same row, same values).
    filled = np.where(np.isnan(candidates), np.inf, candidates)
    order = np.lexsort((*filled.T[::-1], owner))
    same = np.r_[False, (owner[order][1:] == owner[order][:-1]) & (filled[order][1:] == filled[order][:-1]).all(axis=1)]
    unique = order[~same]
    owner, candidates, distance, changed = owner[unique], candidates[unique], distance[unique], changed[unique]
    # Within each row: the first (closest) candidate of each set of changed features
    # comes before the others, then by distance.
    set_key = np.packbits(changed, axis=1)
    by_distance = np.lexsort((distance, owner))
    keyed = np.column_stack([owner[by_distance], set_key[by_distance]])
    _, first = np.unique(keyed, axis=0, return_index=True)
    repeat = np.ones(len(owner), dtype=bool)
    repeat[by_distance[first]] = False
    order = np.lexsort((distance, repeat, owner))
    rank = np.arange(len(order)) - np.searchsorted(owner[order], owner[order], side="left")
    keep = order[rank < k]
    keep = keep[np.lexsort((distance[keep], owner[keep]))]  # closest first within each row
    return owner[keep], candidates[keep]


def _sparsify(search, owner, candidates, rows, original):
    """Revert changed features one at a time, smallest change first, while the
    candidate stays valid: one model call per step over all candidates."""
    if len(owner) == 0:
        return candidates
    space = search.space
    candidates = candidates.copy()
    start = rows[owner]
    _, changed = space.distance(candidates, start)
    size = np.where(space.is_categorical, 1.0, np.abs(candidates - start) / space.scale)
    order = np.argsort(np.where(changed, size, np.inf), axis=1, kind="stable")
    n_changed = changed.sum(axis=1)
    for step in range(int(n_changed.max(initial=0))):
        active = np.flatnonzero(n_changed > step)
        if len(active) == 0:
            break
        feature = order[active, step]
        trial = candidates[active].copy()
        trial[np.arange(len(active)), feature] = start[active, feature]
        valid = search.reached(trial, original[owner[active]])
        candidates[active[valid]] = trial[valid]
    return candidates


def _shrink(search, owner, candidates, rows, original):
    """Move each candidate back towards its row along its numeric change, by bisection,
    as far as it stays valid: one model call per step over all candidates."""
    space = search.space
    if len(owner) == 0:
        return candidates
    start = rows[owner]
    numeric = ~space.is_categorical & ~np.isnan(start)
    change = np.where(numeric, candidates - start, 0.0)
    movable = np.flatnonzero((change != 0).any(axis=1))
    if len(movable) == 0:  # only categories changed: nothing to move back
        return candidates
    low, high = np.zeros(len(movable)), np.ones(len(movable))
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        trial = space.finish(candidates[movable] - (1 - middle)[:, None] * change[movable])
        valid = search.reached(trial, original[owner[movable]])
        high = np.where(valid, middle, high)
        low = np.where(valid, low, middle)
    result = candidates.copy()
    result[movable] = space.finish(candidates[movable] - (1 - high)[:, None] * change[movable])
    return result
