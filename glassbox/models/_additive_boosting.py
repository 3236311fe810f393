"""The numerical engine of the additive models: boosting of per-feature and pairwise terms.

Every term owns a block of *cells*: a feature's bins (the missing bin last), or the grid
of a pair's coarser bins. A row falls in exactly one cell of every term, so the one-hot
design matrix ``B`` of shape ``(n_rows, n_cells + 1)`` (sparse CSR, one non-zero per term
per row, plus a last column of ones for the intercept) turns the two steps that boosting
repeats into two sparse products, for all terms, outer bags and classes at once:

- the histograms of gradients and hessians of every cell: ``B.T @ [g * w, h * w]``,
  shape ``(n_cells + 1, 2 * n_columns)``;
- the update of every row's score: ``F += B @ delta``, shape ``(n_rows, n_columns)``.

A *column* is one (outer bag, class) couple: bags differ in the rows they train and stop
on, classes in their gradients. Every term is updated once per round from the same
histograms (the parallel form of round-robin boosting: no term sees another's update of
the same round), by a shallow tree on its own cells (:mod:`._additive_splits`). The
intercept takes a full Newton step first, so that the terms do not all chase the same
overall shift.

Up to ``round_samples`` training rows, every round sees every row and the scores are kept
up to date. Beyond, every round takes the next ``round_samples`` rows of a random
permutation of the rows (drawn anew for every pass over the data, from the stage's seed
and the pass's number, the same for every bag) and computes their scores from the cells:
the cost of a round no longer grows with the data (stochastic gradient boosting, Friedman
2002), and every pass over the data shows the terms every row once.

Bags are independent columns of every array and every reduction runs per bag, so how the
bags are grouped into chunks (that is, ``n_jobs``) never changes a value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax

from ._additive_splits import EPS, main_updates, pair_updates

__all__ = ["BoostingProblem", "boost_bags", "one_hot", "term_scores"]


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
    design : csr_matrix of shape (n_samples, sum(widths) + 1), float32
    """
    starts = np.concatenate([[0], np.cumsum(widths)]).astype(np.int32)
    indices, indptr = _one_hot_indices(codes, starts)
    return sp.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                         shape=(len(codes), int(starts[-1]) + 1))


def _one_hot_indices(codes, starts):
    """The column indices and row pointers of :func:`one_hot`'s design; ``starts`` (int32)
    holds each term's first column, then the intercept's."""
    n, t = codes.shape
    columns = np.empty((n, t + 1), dtype=np.int32)  # (n, terms + intercept)
    np.add(codes, starts[:-1], out=columns[:, :t])  # no int64 temporary
    columns[:, t] = starts[-1]
    return columns.ravel(), np.arange(0, n * (t + 1) + 1, t + 1, dtype=np.int64)


def term_scores(codes, cell_width, values, rows=slice(None)):
    """Scores of ``rows`` from the cell ``values`` (n_cells + 1, M), intercept included.

    The sum of one table look-up per term, in float64; shape (n_rows, M).
    """
    scores = np.broadcast_to(values[-1], (len(codes[rows]), values.shape[1])).copy()
    for t in range(codes.shape[1]):
        scores += values[t * cell_width + codes[rows, t].astype(np.intp)]
    return scores


@dataclass(frozen=True, eq=False)
class BoostingProblem:
    """What one boosting stage needs, shared by every bag.

    Attributes
    ----------
    codes : ndarray of int32 of shape (n_samples, n_terms)
        The cell of every row in every term, ``0 <= codes < cell_width``.
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
    learning_rate, max_rounds, smoothing_rounds, n_iter_no_change, tol, min_samples_leaf, round_samples
        See the estimators.
    """

    codes: np.ndarray
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
    round_samples: int | None

    @property
    def cell_width(self):
        """Cells of one term."""
        return self.width if self.kind == "main" else self.width**2

    @property
    def n_cells(self):
        """Cells of all terms, plus the intercept."""
        return self.n_terms * self.cell_width + 1

    def design(self, rows=slice(None)):
        """One-hot design of ``rows`` (see :func:`one_hot`)."""
        codes = self.codes[rows] if isinstance(rows, slice) else np.take(self.codes, rows, axis=0)
        return one_hot(codes, np.full(self.n_terms, self.cell_width))

    @property
    def sampled(self):
        """Whether each round draws its rows (more rows than ``round_samples``)."""
        return self.round_samples is not None and len(self.y) > self.round_samples


def boost_bags(problem, offsets, train_weight, val_rows, val_weight, rngs, row_seed, scale=None):
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
    row_seed : int
        Draws the rows of every round when ``problem.sampled``; the same for all bags.
    scale : ndarray of shape (n_bags,), default=None
        The loss each bag's improvements count relative to (an improvement counts when
        it exceeds ``problem.tol * scale``); by default the bag's validation loss at the
        start, before any round.

    Returns
    -------
    cells : ndarray of shape (n_bags, n_cells + 1, n_scores)
        Value of every cell (the intercept last) at each bag's best validation round.
    n_rounds : ndarray of int of shape (n_bags,)
        Rounds each bag ran.
    scale : ndarray of shape (n_bags,)
        The loss improvements counted relative to.
    """
    C, n_cells = problem.n_scores, problem.n_cells
    K = train_weight.shape[1]
    cells = np.zeros((n_cells, K * C))
    best_cells = np.zeros((K, n_cells, C))
    best_loss = np.full(K, np.inf)
    reference = np.full(K, np.inf)  # loss when the patience counter last restarted
    measure = scale is None  # improvements count relative to the loss at the start
    scale = np.full(K, np.nan) if measure else np.array(scale, dtype=np.float64)
    waiting = np.zeros(K, dtype=np.intp)
    n_rounds = np.zeros(K, dtype=np.intp)
    active = np.arange(K)  # bags still boosting, in order
    rows = _SampledRows(problem, offsets, train_weight, row_seed) if problem.sampled else \
        _AllRows(problem, offsets, train_weight)
    validation = _Validation(problem, offsets, train_weight, val_rows, val_weight)
    for round_ in range(problem.max_rounds + 1):
        losses = validation.losses(rows)
        for i, bag in enumerate(active):
            loss = losses[i]
            if loss < best_loss[bag]:
                best_loss[bag] = loss
                best_cells[bag] = cells[:, i * C:(i + 1) * C]
            if round_ == 0 and measure:
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
            active = active[keep]
            columns = (np.flatnonzero(keep)[:, None] * C + np.arange(C)).ravel()
            cells = cells[:, columns]
            rows.keep(keep, columns)
            validation.keep(keep)
        batch = rows.batch(round_, cells)
        delta = _round_update(problem, batch, rngs, active, round_)
        cells += delta
        rows.apply(delta)
        validation.apply(delta)
    return best_cells, n_rounds, scale


def _round_update(problem, batch, rngs, active, round_):
    """The change of every cell in one round, shape (n_cells + 1, M): trees, then intercept."""
    C = problem.n_scores
    M = batch.weight.shape[1]
    gh = _weighted_gradients(problem.loss, batch.scores, batch.y, C, batch.weight)  # (m, M or 2M), float32
    histograms = batch.histograms(gh)  # (n_cells, M or 2M)
    G = histograms[:, :M]
    H = batch.hessian if problem.loss == "squared" else histograms[:, M:]
    shrink = (C - 1) / C if C > 1 else 1.0  # diagonal Newton steps overshoot softmax
    with np.errstate(divide="ignore", invalid="ignore"):
        intercept = np.where(H[-1] > EPS, -G[-1] / H[-1], 0.0) * shrink  # (M,)
    G_terms = G[:-1] + H[:-1] * intercept  # gradient after the intercept's step, to first order
    draws = _draws(problem, rngs, active, C) if round_ < problem.smoothing_rounds else None
    delta = np.empty((problem.n_cells, M))
    updates = main_updates if problem.kind == "main" else pair_updates
    updates(problem, G_terms, H[:-1], batch, draws, out=delta[:-1])  # in place: a view of the contiguous delta
    delta[:-1] *= problem.learning_rate * shrink
    delta[-1] = intercept
    return delta


class _Batch:
    """The rows of one round: their design, scores, targets, weights and cell counts."""

    def __init__(self, problem, design, scores, y, weight):
        self.n_scores, self.squared = problem.n_scores, problem.loss == "squared"
        self.design, self.design_t = design, design.T  # the transpose is a CSC view
        self.scores, self.y = scores, y  # (m, M) float64, (m,)
        C = self.n_scores
        self.weight = np.repeat(weight, C, axis=1) if C > 1 else np.ascontiguousarray(weight)  # (m, M)
        self._present = (weight > 0).astype(np.float32)  # (m, K_active): the rows each bag trains on
        self.counts = None  # rows of every cell, (n_cells, M), from the first histograms
        self.hessian = None  # of the squared error: the weight of every cell, (n_cells, M)
        self.cache = {}  # what the trees derive from the counts

    def histograms(self, gh):
        """``design.T @ gh`` in float64, (n_cells, columns of ``gh``).

        The first call also counts the rows of every cell (and sums their weights, the
        squared error's hessian) in the same product: a product sums each column on its
        own, so these are the numbers of separate products.
        """
        if self.counts is not None:
            return np.asarray(self.design_t @ gh, dtype=np.float64)
        extra = [self._present, *([self.weight.astype(np.float32)] if self.squared else [])]
        product = self.design_t @ np.concatenate([gh, *extra], axis=1)  # float32
        n, K = gh.shape[1], self._present.shape[1]
        counts = product[:, n:n + K]
        self.counts = np.repeat(counts, self.n_scores, axis=1) if self.n_scores > 1 else np.ascontiguousarray(counts)
        if self.squared:
            self.hessian = np.asarray(product[:, n + K:], dtype=np.float64)
        return np.asarray(product[:, :n], dtype=np.float64)


class _Rows:
    """The rows a round trains on, for the bags still boosting (``active``)."""

    def __init__(self, problem, offsets, train_weight):
        self.problem = problem
        self.offsets, self.train_weight = offsets, train_weight  # (n, K, C), (n, K)
        self.active = np.arange(train_weight.shape[1])

    def keep(self, keep, columns):
        """Go on with the bags ``keep`` (bool over the active ones), whose columns are ``columns``."""
        self.active = self.active[keep]


class _AllRows(_Rows):
    """Every row in every round: one design, the scores kept up to date."""

    def __init__(self, problem, offsets, train_weight):
        super().__init__(problem, offsets, train_weight)
        self.scores = np.array(offsets, dtype=np.float64).reshape(len(offsets), -1)  # (n, M), bag-major
        self.design = problem.design()
        self._batch = None  # the same rows and weights until a bag stops

    def keep(self, keep, columns):
        super().keep(keep, columns)
        self.scores = self.scores[:, columns]
        self._batch = None

    def batch(self, round_, cells):
        if self._batch is None:
            weight = self.train_weight[:, self.active]
            self._batch = _Batch(self.problem, self.design, self.scores, self.problem.y, weight)
        return self._batch

    def apply(self, delta):
        self.scores += self.design @ delta.astype(np.float32)
        self._batch.scores = self.scores


class _SampledRows(_Rows):
    """``round_samples`` rows in every round, their scores computed from the cells.

    What a round gathers of its rows is kept small: offsets the same for every row (the
    intercept's start) are added as one row, and training weights that are a sample
    weight or zero per bag are gathered as that weight and a mask of the bags.
    """

    def __init__(self, problem, offsets, train_weight, row_seed):
        super().__init__(problem, offsets, train_weight)
        self.seed = row_seed
        self._epoch, self._permutation = None, None
        self.columns = np.arange(offsets.shape[1] * offsets.shape[2])  # of the active bags, bag-major
        n = len(offsets)
        self._offset_row = offsets[0].reshape(-1) if offsets.strides[0] == 0 else None  # (M,) when constant
        if self._offset_row is None and offsets.flags.c_contiguous:
            self.offsets = offsets.reshape(n, -1)  # (n, M): a view
        base = train_weight.max(axis=1, initial=0.0)  # the weight of a row wherever it trains
        mask = train_weight > 0
        self._split_weight = all(np.array_equal(np.where(mask[:, k], base, 0.0), train_weight[:, k])
                                 for k in range(mask.shape[1]))  # bag by bag: no temporary of (n, K) floats
        if self._split_weight:
            self._base_weight, self._mask = base, mask
        m, t = problem.round_samples, problem.n_terms
        self._ones = {dtype: np.ones(m * (t + 1), dtype=dtype) for dtype in (np.float32, np.float64)}
        self._starts = (np.arange(t + 1) * problem.cell_width).astype(np.int32)

    def keep(self, keep, columns):
        super().keep(keep, columns)
        self.columns = self.columns[columns]

    def batch(self, round_, cells):
        problem = self.problem
        rows = self._rows(round_)
        design, design64 = self._designs(rows)
        scores = design64 @ cells  # float64: the cells are
        if self._offset_row is not None:
            scores += self._offset_row[self.columns]
        else:
            scores += _columns(np.take(self.offsets, rows, axis=0).reshape(len(rows), -1), self.columns)
        if self._split_weight:
            weight = _columns(np.take(self._mask, rows, axis=0), self.active) * np.take(self._base_weight, rows)[:, None]
        else:
            weight = _columns(np.take(self.train_weight, rows, axis=0), self.active)
        return _Batch(problem, design, scores, problem.y[rows], weight)

    def _designs(self, rows):
        """The one-hot design of ``rows`` (see :func:`one_hot`), with float32 and with
        float64 ones: the product with the float64 cells then skips scipy's conversion of
        the data, to the same numbers."""
        problem = self.problem
        indices, indptr = _one_hot_indices(np.take(problem.codes, rows, axis=0), self._starts)
        shape = (len(rows), problem.n_cells)  # every round has round_samples rows, as the ones
        return (sp.csr_matrix((self._ones[np.float32], indices, indptr), shape=shape),
                sp.csr_matrix((self._ones[np.float64], indices, indptr), shape=shape))

    def _rows(self, round_):
        """The rows of a round: consecutive slices of a permutation drawn once per epoch,
        so that every row is seen once before any is seen twice."""
        n, m = len(self.problem.y), self.problem.round_samples
        per_epoch = n // m
        epoch, part = divmod(round_, per_epoch)
        if self._epoch != epoch:
            self._permutation = np.random.default_rng([self.seed, epoch]).permutation(n)
            self._epoch = epoch
        chosen = np.zeros(n, dtype=bool)  # the slice in row order: a mask costs less than a sort
        chosen[self._permutation[part * m:(part + 1) * m]] = True
        return np.flatnonzero(chosen)

    def apply(self, delta):
        pass  # the next round computes its rows' scores from the cells


def _columns(a, columns):
    """``a[:, columns]`` for a subset ``columns`` of ``range(a.shape[1])`` in order; no copy
    while it is all of them."""
    return a if len(columns) == a.shape[1] else np.take(a, columns, axis=1)


class _Validation:
    """The rows each active bag stops on, and their mean loss."""

    def __init__(self, problem, offsets, train_weight, val_rows, val_weight):
        if not any(len(r) for r in val_rows):  # too few rows to hold any out: watch the training loss
            val_rows = [np.flatnonzero(w > 0) for w in train_weight.T]
            val_weight = [train_weight[r, k] for k, r in enumerate(val_rows)]
        self.problem = problem
        self.rows, self.weight = list(val_rows), list(val_weight)
        self.targets = [problem.y[r] for r in self.rows]
        self.kept = not problem.sampled  # the scores of every row are kept by the rows' source
        if not self.kept:  # keep the scores of the validation rows here, bag by bag
            self.designs = [problem.design(r) for r in self.rows]
            self.scores = [np.array(offsets[r, k], dtype=np.float64) for k, r in enumerate(self.rows)]
        self._stack()

    def _stack(self):
        """With as many rows in every bag, stack them: the losses of all bags at once.

        ``flat`` picks each bag's rows and columns out of the rows' scores (n, M).
        """
        self.stacked = len({len(r) for r in self.rows}) == 1
        if self.stacked:
            C, n_bags = self.problem.n_scores, len(self.rows)
            columns = np.arange(n_bags)[:, None, None] * C + np.arange(C)  # (bags, 1, C)
            self.flat = np.stack(self.rows)[:, :, None] * (n_bags * C) + columns  # (bags, n_val, C)
            self.stacked_targets, self.stacked_weight = np.stack(self.targets), np.stack(self.weight)
            if not self.kept:
                self.scores = np.stack(self.scores)  # (bags, n_val, C); apply updates it bag by bag

    def losses(self, rows):
        """Weighted mean loss of each active bag on its validation rows, shape (n_active,).

        Every bag's sum runs over its own rows, in the same order whichever bags are
        boosted alongside.
        """
        C, loss = self.problem.n_scores, self.problem.loss
        if self.stacked:  # all bags at once
            scores = np.take(rows.scores, self.flat) if self.kept else self.scores  # (bags, n_val, C)
            return _mean_loss(loss, scores, self.stacked_targets, self.stacked_weight)
        out = np.empty(len(self.rows))
        for i, (r, y, w) in enumerate(zip(self.rows, self.targets, self.weight)):
            scores = rows.scores[r, i * C:(i + 1) * C] if self.kept else self.scores[i]
            out[i] = _mean_loss(loss, scores, y, w)
        return out

    def keep(self, keep):
        for name in ("rows", "weight", "targets", *(() if self.kept else ("designs", "scores"))):
            setattr(self, name, [v for v, k in zip(getattr(self, name), keep) if k])
        self._stack()

    def apply(self, delta):
        if not self.kept:
            C = self.problem.n_scores
            delta = delta.astype(np.float32)
            for i, design in enumerate(self.designs):
                self.scores[i] += design @ delta[:, i * C:(i + 1) * C]


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
        work = np.subtract(p, y[:, None])
    else:
        p = softmax(F.reshape(n, M // C, C), axis=-1)  # (n, bags, classes)
        work = p.copy()
        work[np.arange(n), :, y] -= 1.0
        work, p = work.reshape(n, M), p.reshape(n, M)
    np.multiply(work, weight, out=out[:, 0])  # products in float64, rounded once to float32
    np.subtract(1.0, p, out=work)  # in place: the same numbers as the expression, with fewer temporaries
    work *= p
    np.multiply(work, weight, out=out[:, 1])  # p * (1 - p) * weight
    return out.reshape(n, 2 * M)


def _mean_loss(loss, scores, target, weight):
    """Weighted mean loss of scores (..., n_val, C) for ``target`` (..., n_val), shape (...)."""
    if loss == "squared":
        point = (scores[..., 0] - target) ** 2
    elif loss == "binary":
        point = np.logaddexp(0.0, scores[..., 0]) - target * scores[..., 0]
    else:
        top = scores.max(axis=-1)
        log_total = top + np.log(np.exp(scores - top[..., None]).sum(axis=-1))
        point = log_total - np.take_along_axis(scores, target[..., None].astype(np.intp), axis=-1)[..., 0]
    return (weight * point).sum(axis=-1) / weight.sum(axis=-1)


def _draws(problem, rngs, active, C):
    """Uniform draws choosing the random splits of a smoothing round, shape (..., M)."""
    if problem.kind == "main":
        shape = (problem.n_terms, C)
        draws = [rngs[bag].random(shape) for bag in active]  # per bag: (terms, C)
        return np.concatenate(draws, axis=1)  # (terms, M), bag-major columns
    shape = (4, problem.n_terms, C)  # orientation, first split, split of each half
    return np.concatenate([rngs[bag].random(shape) for bag in active], axis=2)  # (4, pairs, M)
