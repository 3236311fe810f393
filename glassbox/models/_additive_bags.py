"""The outer bags of the additive models: the rows each bag holds out to stop on, and
how the bags are boosted, chunk by chunk, in parallel.

Every bag holds out ``validation_fraction`` of the rows (stratified by class) and draws
its own smoothing splits from its own seed, so the model does not depend on how the
bags are grouped into chunks, that is on ``n_jobs``.
"""

from __future__ import annotations

import numpy as np
from joblib import effective_n_jobs

from .._core import chunk_rngs, run_chunks
from ._additive_boosting import boost_bags, term_scores

__all__ = ["_Bags", "_bag_scores", "_draw_bags", "_initial_scores", "_n_workers", "_run_bags"]


def _n_workers(n_jobs):
    return 1 if n_jobs is None else max(1, effective_n_jobs(n_jobs))


def _initial_scores(loss, y, weight, n_scores):
    """The constant model: mean, log-odds or centred log-priors, shape (n_scores,)."""
    if loss == "squared":
        return np.array([np.average(y, weights=weight)])
    prior = np.bincount(y, weights=weight, minlength=max(n_scores, 2)) / weight.sum()
    if loss == "binary":
        return np.array([np.log(prior[1]) - np.log(prior[0])])
    log_prior = np.log(prior)
    return log_prior - log_prior.mean()


class _Bags:
    """Training weights and validation rows of every outer bag, and how they are chunked."""

    def __init__(self, train_weight, val_rows, val_weight, seeds, row_seeds):
        self.train_weight = train_weight  # (n, K)
        self.val_rows = val_rows  # list of K index arrays
        self.val_weight = val_weight
        self.seeds = seeds  # (K, 2): the smoothing seeds of the two stages
        self.row_seeds = row_seeds  # (2,): the rows of the rounds of the two stages, shared by the bags
        self.chunks = [np.arange(len(seeds))]  # runs of consecutive bags boosted together, one per worker


def _draw_bags(n_bags, seed, y, weight, fraction, max_val=None):
    """Hold out ``fraction`` of the rows in every bag (stratified by class when ``y``).

    A bag stops on at most ``max_val`` of its held-out rows, drawn at random.
    """
    n = len(weight)
    strata = [np.arange(n)] if y is None else [np.flatnonzero(y == c) for c in np.unique(y)]
    train_weight = np.empty((n, n_bags))
    val_rows, val_weight, seeds = [], [], []
    for bag, rng in enumerate(chunk_rngs(seed, n_bags)):
        held = []
        for rows in strata:
            size = int(round(fraction * len(rows)))
            if len(rows) > 1 and size >= 1:
                held.append(rng.choice(rows, size=min(size, len(rows) - 1), replace=False))
        held = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.intp)
        train_weight[:, bag] = weight
        train_weight[held, bag] = 0.0
        if max_val is not None and len(held) > max_val:
            held = np.sort(rng.choice(held, max_val, replace=False))
        val_rows.append(held)
        val_weight.append(weight[held])
        seeds.append(rng.integers(np.iinfo(np.int64).max, size=2))
    row_seeds = np.random.default_rng(seed).integers(np.iinfo(np.int64).max, size=2)
    return _Bags(train_weight, val_rows, val_weight, np.array(seeds), row_seeds)


def _boost_chunk(problem, offsets, train_weight, val_rows, val_weight, seeds, row_seed, scale):
    rngs = [np.random.default_rng(s) for s in seeds]
    return boost_bags(problem, offsets, train_weight, val_rows, val_weight, rngs, row_seed, scale)


def _run_bags(problem, offsets, bags, n_jobs, *, stage, scale=None):
    """Boost every bag, chunk by chunk; returns cells (K, n_cells + 1, C), rounds (K,) and
    the losses the improvements counted relative to (K,), ``scale`` if given (see
    :func:`boost_bags`).

    A chunk is a run of consecutive bags: its offsets and weights are views, not copies
    of the data's size.
    """
    args = []
    for chunk in bags.chunks:
        consecutive = slice(int(chunk[0]), int(chunk[-1]) + 1)
        args.append((problem, offsets[:, consecutive], bags.train_weight[:, consecutive],
                     [bags.val_rows[b] for b in chunk], [bags.val_weight[b] for b in chunk], bags.seeds[chunk, stage],
                     int(bags.row_seeds[stage]), None if scale is None else scale[chunk]))
    results = run_chunks(_boost_chunk, args, n_jobs=n_jobs)
    return tuple(np.concatenate([r[i] for r in results]) for i in range(3))


def _bag_scores(problem, cells, init):
    """Each bag's scores of every row from its cells, shape (n, K, C)."""
    K, n_cells, C = cells.shape
    columns = cells.transpose(1, 0, 2).reshape(n_cells, K * C)  # (cells, bag-major columns)
    scores = term_scores(problem.codes, problem.cell_width, columns)  # the intercept cell included
    return scores.reshape(-1, K, C) + init
