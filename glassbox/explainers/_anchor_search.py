"""The anchor search: beam search over a row's conditions with a bandit (KL-LUCB), as in
Ribeiro, Singh and Guestrin (2018), batched over every explained row and candidate.

For one row (:class:`RowSearch`):

1. the empty anchor is sampled and certified first: when the model keeps the row's
   prediction on ``threshold`` of the data whatever the row, the rule is empty;
2. level ``k`` extends each anchor of the beam by one condition it lacks; each new
   candidate gets ``n_samples`` samples;
3. KL-LUCB (Kaufmann and Kalyanakrishnan 2013) finds the ``beam_size`` candidates of
   highest precision: it samples, ``n_samples`` at a time, the weakest of the current
   best and the strongest of the others until the upper confidence bound of the one is
   within ``epsilon`` of the lower bound of the other;
4. each chosen candidate is sampled until its precision is decided against
   ``threshold``: an estimate at least ``threshold`` with a lower confidence bound at
   least ``threshold - epsilon / 2`` (certified), or an estimate under ``threshold``
   with an upper bound under ``threshold + epsilon / 2`` (rejected);
5. the search stops at the first level with a certified candidate, so the anchor is
   the shortest the beam reaches; among the certified candidates of that level it keeps
   the one of largest coverage. When no level certifies one, it returns the sampled
   anchor of highest lower bound, marked as not reaching the threshold.

Confidence bounds are the Bernoulli KL bounds: the precision ``q`` such that
``n * KL(p_hat, q)`` equals the exploration level, ``beta(t) = log(k1 K t^alpha / delta)
+ log log(k1 K t^alpha / delta)`` with ``k1 = 405.5`` and ``alpha = 1.1`` in the bandit
(``K`` candidates, round ``t``), and ``log((1 + (beam_size - 1) n_conditions) / delta)``
when a candidate is certified.

Each row's search is a generator that yields the anchors it wants sampled and receives
how many samples kept the prediction; :func:`search_chunk` drives the generators of a
chunk of rows in lock step, drawing every requested sample with the row's own
generator and calling the model once per round on all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._core import predict_rows

__all__ = ["Found", "Keeps", "Search", "kl_bound", "kl_bounds", "search_chunk"]

_K1, _ALPHA = 405.5, 1.1
"""Constants of the bandit's exploration level (Kaufmann and Kalyanakrishnan 2013)."""
_BISECTION_STEPS = 24
"""Bisection steps of a KL bound (an error below 2**-24)."""
_TINY = 1e-12


def _kl_bernoulli(p, q):
    """``KL(p, q)`` of Bernoulli laws; ``p`` and ``q`` already within ``(0, 1)``."""
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def kl_bound(mean, level, *, upper):
    """The KL confidence bound of Bernoulli means: the ``q`` farthest from ``mean``
    (above it when ``upper``, below otherwise) with ``KL(mean, q) <= level``.

    Parameters
    ----------
    mean : ndarray
        Estimated means ``positives / n``.
    level : ndarray
        ``beta / n``, of the shape of ``mean``.
    upper : bool

    Returns
    -------
    bound : ndarray of the shape of ``mean``
    """
    mean = np.clip(np.asarray(mean, dtype=np.float64), _TINY, 1 - _TINY)
    far = 1 - _TINY if upper else _TINY
    near, out = mean, np.full(mean.shape, far)  # KL(mean, near) <= level < KL(mean, out)
    for _ in range(_BISECTION_STEPS):
        middle = (near + out) / 2
        inside = _kl_bernoulli(mean, middle) <= level
        near = np.where(inside, middle, near)
        out = np.where(inside, out, middle)
    reach = _kl_bernoulli(mean, out) <= level  # the bound is the end of the interval itself
    return np.where(reach, float(upper), near)


def kl_bounds(mean, level):
    """Lower and upper KL confidence bounds of Bernoulli means (see :func:`kl_bound`)."""
    return kl_bound(mean, level, upper=False), kl_bound(mean, level, upper=True)


def _lucb_level(n_arms, t, delta):
    base = np.log(_K1 * n_arms * t**_ALPHA / delta)
    return base + np.log(base)


@dataclass(frozen=True)
class Search:
    """What every row's search shares: the sampling space and the parameters."""

    space: object
    threshold: float
    delta: float
    epsilon: float
    beam_size: int
    n_samples: int
    max_conditions: int | None


@dataclass(frozen=True)
class Found:
    """The anchor of one row: condition positions and what the search measured."""

    anchor: tuple
    precision: float
    lower: float
    upper: float
    coverage: float
    reached: bool
    n_evaluations: int


class RowSearch:
    """The beam search of one row (see the module docstring).

    :meth:`run` is a generator: it yields a list of ``(anchor ranges, number of
    samples)`` requests, receives the number of samples of each that kept the
    prediction, and returns a :class:`Found`.
    """

    def __init__(self, search, conditions):
        self.search = search
        self.conditions = conditions
        self.n, self.positives, self._ranges = {}, {}, {}
        self.n_evaluations = 0
        size = max(1, len(conditions))
        self._certify_level = np.log((1 + (search.beam_size - 1) * size) / search.delta)

    def run(self):
        search = self.search
        yield from self._draw([()])
        if (yield from self._certify([()])):
            return self._found((), reached=True)
        beam, tried = [()], set()
        max_size = len(self.conditions) if search.max_conditions is None else search.max_conditions
        for _ in range(min(max_size, len(self.conditions))):
            candidates = self._extend(beam, tried)
            if not candidates:
                break
            yield from self._draw(candidates)
            beam = yield from self._best(candidates)
            certified = yield from self._certify(beam)
            if certified:
                coverage = [self.search.space.coverage(self._range(a)) for a in certified]
                best = max(range(len(certified)), key=lambda i: (coverage[i], self._mean(certified[i])))
                return self._found(certified[best], reached=True)
        sampled = list(self.n)
        lower = self._bounds(sampled, self._certify_level)[0]
        return self._found(sampled[int(np.argmax(lower))], reached=False)

    def _extend(self, beam, tried):
        """Each anchor of the beam with one more condition, each new anchor once."""
        candidates = []
        for anchor in beam:
            for c in range(len(self.conditions)):
                extended = tuple(sorted((*anchor, c)))
                if c not in anchor and extended not in tried:
                    tried.add(extended)
                    candidates.append(extended)
        return candidates

    def _draw(self, anchors, count=None):
        """Sample each anchor ``count`` times; by default ``n_samples`` the first time,
        then half its samples so far (at least ``n_samples``), so that an anchor needing
        many samples gets them in few rounds."""
        step = self.search.n_samples
        counts = [max(step, self.n.get(a, 0) // 2) if count is None else count for a in anchors]
        positives = yield [(self._range(a), c) for a, c in zip(anchors, counts)]
        for anchor, count, kept in zip(anchors, counts, positives):
            self.n[anchor] = self.n.get(anchor, 0) + count
            self.positives[anchor] = self.positives.get(anchor, 0) + int(kept)
        self.n_evaluations += sum(counts)

    def _best(self, candidates):
        """KL-LUCB: the ``beam_size`` candidates of highest precision, within ``epsilon``."""
        search = self.search
        if len(candidates) <= search.beam_size:
            return candidates
        t = 1
        while True:
            n = np.array([self.n[a] for a in candidates], dtype=np.float64)
            mean = np.array([self.positives[a] for a in candidates]) / n
            order = np.argsort(-mean, kind="stable")
            top, rest = order[: search.beam_size], order[search.beam_size :]
            level = _lucb_level(len(candidates), t, search.delta) / n
            lower = kl_bound(mean[top], level[top], upper=False)
            upper = kl_bound(mean[rest], level[rest], upper=True)
            if upper.max() - lower.min() <= search.epsilon:
                return [candidates[i] for i in top]
            pair = [candidates[top[np.argmin(lower)]], candidates[rest[np.argmax(upper)]]]
            # Both get as many samples, half the smaller count so far: the less sampled
            # catches up in few rounds without the other running away.
            yield from self._draw(pair, max(search.n_samples, min(self.n[a] for a in pair) // 2))
            t += 1

    def _certify(self, anchors):
        """Sample each anchor until its precision is decided; return the certified ones."""
        threshold, margin = self.search.threshold, self.search.epsilon / 2
        while True:
            mean = np.array([self._mean(a) for a in anchors])
            lower, upper = self._bounds(anchors, self._certify_level)
            undecided = ((mean >= threshold) & (lower < threshold - margin)) | (
                (mean < threshold) & (upper >= threshold + margin)
            )
            if not undecided.any():
                return [a for a, ok in zip(anchors, mean >= threshold) if ok]
            yield from self._draw([a for a, u in zip(anchors, undecided) if u])

    def _mean(self, anchor):
        return self.positives[anchor] / self.n[anchor]

    def _bounds(self, anchors, level):
        n = np.array([self.n[a] for a in anchors], dtype=np.float64)
        return kl_bounds(np.array([self._mean(a) for a in anchors]), level / n)

    def _range(self, anchor):
        if anchor not in self._ranges:
            self._ranges[anchor] = self.search.space.prepare(self.conditions, anchor)
        return self._ranges[anchor]

    def _found(self, anchor, *, reached):
        lower, upper = self._bounds([anchor], self._certify_level)
        return Found(
            anchor=anchor, precision=self._mean(anchor), lower=float(lower[0]), upper=float(upper[0]),
            coverage=self.search.space.coverage(self._range(anchor)), reached=reached,
            n_evaluations=self.n_evaluations,
        )


def search_chunk(search, decision, keeps, rows, predictions, conditions, rngs, batch_size):
    """Anchors of a chunk of rows, searched in lock step.

    Parameters
    ----------
    search : Search
    decision : callable
        The model's decision on encoded rows, one value per row.
    keeps : callable
        ``keeps(decisions, prediction)``: whether each decision keeps the row's prediction.
    rows : ndarray of shape (n_rows, n_features)
        Encoded rows.
    predictions : ndarray of shape (n_rows,)
        The model's decision on each row.
    conditions : list of Conditions
        Each row's candidate conditions.
    rngs : list of numpy Generator
        Each row's generator; a row's samples are drawn from it only, in its own order.
    batch_size : int or "auto"
        Bounds each model call.

    Returns
    -------
    found : list of Found
    """
    space = search.space
    runs = [RowSearch(search, c).run() for c in conditions]
    requests = {i: next(run) for i, run in enumerate(runs)}
    found = [None] * len(runs)
    while requests:
        owners = list(requests)
        blocks = [space.sample(rows[i], ranges, n, rngs[i]) for i in owners for ranges, n in requests[i]]
        sizes = np.array([len(block) for block in blocks])
        decided = predict_rows(decision, np.concatenate(blocks), batch_size=batch_size)
        owner_of_sample = np.repeat([i for i in owners for _ in requests[i]], sizes)
        same = keeps(decided, predictions[owner_of_sample])
        kept = np.add.reduceat(same.astype(np.int64), np.r_[0, np.cumsum(sizes)[:-1]])
        start = 0
        for i in owners:
            stop = start + len(requests[i])
            try:
                requests[i] = runs[i].send(kept[start:stop])
            except StopIteration as done:
                found[i] = done.value
                del requests[i]
            start = stop
    return found


@dataclass(frozen=True)
class Keeps:
    """Whether a sample's decision keeps its row's prediction: the same class, or for a
    regressor (``tolerance`` not None) a prediction within ``tolerance`` of the row's."""

    tolerance: float | None

    def __call__(self, decided, prediction):
        if self.tolerance is None:
            return decided == prediction
        return np.abs(decided.astype(np.float64) - prediction.astype(np.float64)) <= self.tolerance
