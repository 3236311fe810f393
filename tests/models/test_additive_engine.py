"""The boosting engine of the additive models against brute force: the rows of the drawn
rounds and what a drawn round gathers of them, the histograms and counts of a batch, the
gradients, the stacked validation losses, the prefix sums and the pair trees."""

import numpy as np
import pytest
from scipy.special import expit, softmax

from glassbox.models._additive_boosting import (
    BoostingProblem,
    _AllRows,
    _mean_loss,
    _SampledRows,
    _Validation,
    _weighted_gradients,
    boost_bags,
)
from glassbox.models._additive_splits import EPS, _prefix, pair_updates


def problem(kind="main", n=600, n_terms=3, width=5, loss="binary", n_scores=1, round_samples=None, seed=0):
    rng = np.random.default_rng(seed)
    cell_width = width if kind == "main" else width**2
    y = rng.normal(size=n) if loss == "squared" else rng.integers(0, max(n_scores, 2), n)
    return BoostingProblem(
        codes=rng.integers(0, cell_width, (n, n_terms)).astype(np.uint8), kind=kind, n_terms=n_terms,
        width=width, n_numeric=n_terms, value_widths=(width - 1, 0), monotone=np.zeros(n_terms), y=y,
        loss=loss, n_scores=n_scores, learning_rate=0.1, max_rounds=10, smoothing_rounds=0, n_iter_no_change=5,
        tol=1e-4, min_samples_leaf=2, round_samples=round_samples,
    )


def bag_weights(n, n_bags, seed=0):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n, n_bags)) < 0.2, 0.0, rng.uniform(0.5, 2.0, (n, n_bags)))


def test_drawn_rounds_take_consecutive_slices_of_each_epochs_permutation():
    prob = problem(n=1000, round_samples=300)
    rows = _SampledRows(prob, np.zeros((1000, 2, 1)), bag_weights(1000, 2), row_seed=7)
    for epoch in range(3):
        permutation = np.random.default_rng([7, epoch]).permutation(1000)
        for part in range(3):  # 1000 // 300 rounds per epoch
            expected = np.sort(permutation[part * 300:(part + 1) * 300])
            np.testing.assert_array_equal(rows._rows(epoch * 3 + part), expected)


@pytest.mark.parametrize("sampled", [False, True])
@pytest.mark.parametrize(("loss", "n_scores"), [("binary", 1), ("multinomial", 3), ("squared", 1)])
def test_a_batch_counts_its_rows_in_every_cell(loss, n_scores, sampled):
    n_all, n_bags = 500, 3
    prob = problem(n=n_all, loss=loss, n_scores=n_scores, round_samples=200 if sampled else None)
    weight = bag_weights(n_all, n_bags)
    offsets = np.zeros((n_all, n_bags, n_scores))
    if sampled:  # the rows of a drawn round
        source = _SampledRows(prob, offsets, weight, row_seed=2)
        batch = source.batch(1, np.zeros((prob.n_cells, n_bags * n_scores)))
        rows = source._rows(1)
        prob = problem(n=n_all, loss=loss, n_scores=n_scores)
        prob = BoostingProblem(**{**prob.__dict__, "codes": prob.codes[rows], "y": prob.y[rows]})
        weight = weight[rows]
    else:
        batch = _AllRows(prob, offsets, weight).batch(0, None)
    n = len(weight)
    gh = np.random.default_rng(1).normal(size=(n, 2 * n_bags * n_scores)).astype(np.float32)
    histograms = batch.histograms(gh)
    np.testing.assert_array_equal(histograms, np.asarray(batch.design.T @ gh, dtype=np.float64))
    np.testing.assert_array_equal(batch.histograms(gh), histograms)  # later calls: the same numbers
    cells = (prob.codes + np.arange(prob.n_terms) * prob.width).astype(np.intp)  # (n, terms), cell numbers
    for k in range(n_bags):
        present = weight[:, k] > 0
        counts = np.bincount(cells[present].ravel(), minlength=prob.n_cells - 1)
        sums = np.bincount(cells.ravel(), weights=np.repeat(weight[:, k], prob.n_terms), minlength=prob.n_cells - 1)
        for c in range(n_scores):
            column = k * n_scores + c
            np.testing.assert_array_equal(batch.counts[:-1, column], counts)
            assert batch.counts[-1, column] == present.sum()  # the intercept's cell holds every row
            if loss == "squared":
                np.testing.assert_allclose(batch.hessian[:-1, column], sums, rtol=1e-5)
    assert (batch.hessian is None) == (loss != "squared")


@pytest.mark.parametrize(("loss", "n_scores"), [("binary", 1), ("multinomial", 3), ("squared", 1)])
def test_gradients_are_the_closed_form(loss, n_scores):
    rng = np.random.default_rng(2)
    n, n_bags = 200, 2
    F = rng.normal(size=(n, n_bags * n_scores))
    y = rng.normal(size=n) if loss == "squared" else rng.integers(0, max(n_scores, 2), n)
    weight = rng.uniform(0, 2, (n, n_bags * n_scores))
    out = _weighted_gradients(loss, F, y, n_scores, weight)
    if loss == "squared":
        np.testing.assert_array_equal(out, ((F - y[:, None]) * weight).astype(np.float32))
        return
    if loss == "binary":
        p = expit(F)
        g = p - y[:, None]
    else:
        p = softmax(F.reshape(n, n_bags, n_scores), axis=-1)
        g = (p - np.eye(n_scores)[y][:, None, :]).reshape(n, -1)
        p = p.reshape(n, -1)
    np.testing.assert_array_equal(out[:, :n_bags * n_scores], (g * weight).astype(np.float32))
    np.testing.assert_array_equal(out[:, n_bags * n_scores:], (p * (1.0 - p) * weight).astype(np.float32))


@pytest.mark.parametrize("sampled", [False, True])
@pytest.mark.parametrize(("loss", "n_scores"), [("binary", 1), ("multinomial", 3)])
def test_stacked_validation_losses_are_each_bags_own(sampled, loss, n_scores):
    n, n_bags = 400, 3
    prob = problem(n=n, loss=loss, n_scores=n_scores, round_samples=100 if sampled else None)
    rng = np.random.default_rng(3)
    offsets = rng.normal(size=(n, n_bags, n_scores))
    weight = bag_weights(n, n_bags)
    val_rows = [np.sort(rng.choice(n, 60, replace=False)) for _ in range(n_bags)]
    val_weight = [rng.uniform(0.5, 1.5, 60) for _ in range(n_bags)]
    validation = _Validation(prob, offsets, weight, val_rows, val_weight)
    rows = _AllRows(prob, offsets, weight)
    losses = validation.losses(rows)
    assert validation.stacked
    for k in range(n_bags):
        own = _mean_loss(loss, offsets[val_rows[k], k], prob.y[val_rows[k]], val_weight[k])
        assert losses[k] == own
    keep = np.array([True, False, True])  # a bag stops: the others keep their own rows
    validation.keep(keep)
    rows.keep(keep, (np.flatnonzero(keep)[:, None] * n_scores + np.arange(n_scores)).ravel())
    np.testing.assert_array_equal(validation.losses(rows), losses[keep])


def _learnable(n=600, n_bags=3, seed=4):
    """A binary problem two features explain, with each bag's validation rows."""
    prob = problem(n=n, n_terms=2, width=6, seed=seed)
    logit = 1.5 * (prob.codes[:, 0] - 2.5) / 2.5 - (prob.codes[:, 1] == 3)
    y = (np.random.default_rng(seed).random(n) < expit(logit)).astype(int)
    prob = BoostingProblem(**{**prob.__dict__, "y": y, "max_rounds": 60})
    rng = np.random.default_rng(seed + 1)
    val_rows = [np.sort(rng.choice(n, 90, replace=False)) for _ in range(n_bags)]
    weight = np.ones((n, n_bags))
    for k, rows in enumerate(val_rows):
        weight[rows, k] = 0.0
    val_weight = [rng.uniform(0.5, 2.0, 90) for _ in range(n_bags)]
    return prob, np.full((n, n_bags, 1), 0.3), weight, val_rows, val_weight


def _boost(prob, offsets, weight, val_rows, val_weight, scale=None):
    rngs = [np.random.default_rng(k) for k in range(weight.shape[1])]
    return boost_bags(prob, offsets, weight, val_rows, val_weight, rngs, 0, scale)


def test_improvements_count_relative_to_the_loss_at_the_start_by_default():
    prob, offsets, weight, val_rows, val_weight = _learnable()
    cells, rounds, scale = _boost(prob, offsets, weight, val_rows, val_weight)
    y = prob.y
    start = [np.average(np.logaddexp(0.0, 0.3) - y[r] * 0.3, weights=w)  # the scores start at 0.3
             for r, w in zip(val_rows, val_weight)]
    np.testing.assert_allclose(scale, start, rtol=1e-12)
    again = _boost(prob, offsets, weight, val_rows, val_weight, scale=scale)  # the same loss, given
    np.testing.assert_array_equal(again[0], cells)
    np.testing.assert_array_equal(again[1], rounds)
    np.testing.assert_array_equal(again[2], scale)


def test_a_given_scale_decides_which_improvements_count():
    prob, offsets, weight, val_rows, val_weight = _learnable()
    _, rounds, _ = _boost(prob, offsets, weight, val_rows, val_weight)
    assert (rounds > prob.n_iter_no_change).all()  # the problem is learnt for a while
    # Relative to a huge loss no improvement counts: every bag stops after exactly
    # n_iter_no_change rounds of patience.
    _, rounds, scale = _boost(prob, offsets, weight, val_rows, val_weight, scale=np.full(3, 1e9))
    np.testing.assert_array_equal(rounds, prob.n_iter_no_change)
    np.testing.assert_array_equal(scale, 1e9)


def test_pair_trees_written_in_place_are_the_returned_ones():
    prob = problem(kind="pair", n=800, n_terms=2, width=4, n_scores=1)
    weight = bag_weights(800, 3)
    batch = _AllRows(prob, np.zeros((800, 3, 1)), weight).batch(0, None)
    rng = np.random.default_rng(4)
    gh = np.column_stack([rng.normal(size=(800, 3)) * weight, rng.uniform(0.1, 0.3, (800, 3)) * weight])
    histograms = batch.histograms(gh.astype(np.float32))
    G, H = histograms[:-1, :3], histograms[:-1, 3:]
    values = pair_updates(prob, G, H, batch, None)
    out = np.full((prob.n_cells - 1, 3), np.nan)
    pair_updates(prob, G, H, batch, None, out=out)
    np.testing.assert_array_equal(out.reshape(values.shape), values)
    assert np.isfinite(values).all() and np.any(values != 0)


@pytest.mark.parametrize("offsets_kind", ["constant", "per_row"])
@pytest.mark.parametrize("weight_kind", ["sample_weight_or_zero", "any"])
def test_a_drawn_round_gathers_its_rows_scores_and_weights(offsets_kind, weight_kind):
    n, n_bags, n_scores = 700, 3, 3
    prob = problem(n=n, loss="multinomial", n_scores=n_scores, round_samples=200)
    rng = np.random.default_rng(5)
    if offsets_kind == "constant":  # the intercept's start: the same for every row
        offsets = np.broadcast_to(rng.normal(size=n_scores), (n, n_bags, n_scores))
    else:
        offsets = rng.normal(size=(n, n_bags, n_scores))
    if weight_kind == "sample_weight_or_zero":
        weight = np.where(rng.random((n, n_bags)) < 0.2, 0.0, rng.uniform(0.5, 2.0, n)[:, None])
    else:
        weight = bag_weights(n, n_bags)
    source = _SampledRows(prob, offsets, weight, row_seed=3)
    assert source._split_weight == (weight_kind == "sample_weight_or_zero")
    cells = rng.normal(size=(prob.n_cells, n_bags * n_scores))
    keep = np.array([True, False, True])
    for round_ in range(4):
        if round_ == 2:  # a bag stops: the others keep their columns
            source.keep(keep, (np.flatnonzero(keep)[:, None] * n_scores + np.arange(n_scores)).ravel())
            cells = cells[:, (np.flatnonzero(keep)[:, None] * n_scores + np.arange(n_scores)).ravel()]
        bags = np.flatnonzero(keep) if round_ >= 2 else np.arange(n_bags)
        batch = source.batch(round_, cells)
        rows = source._rows(round_)
        expected = cells[-1] + sum(cells[t * prob.width + prob.codes[rows, t].astype(np.intp)]
                                   for t in range(prob.n_terms))
        expected = expected + offsets[rows][:, bags].reshape(len(rows), -1)
        np.testing.assert_allclose(batch.scores, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(np.repeat(weight[rows][:, bags], n_scores, axis=1), batch.weight)
        np.testing.assert_array_equal(batch.y, prob.y[rows])
        design = np.zeros((len(rows), prob.n_cells))
        for t in range(prob.n_terms):
            design[np.arange(len(rows)), t * prob.width + prob.codes[rows, t]] = 1.0
        design[:, -1] = 1.0
        np.testing.assert_array_equal(batch.design.toarray(), design)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis", [1, 2])
def test_prefix_sums_are_numpys_cumulative_sums_to_the_last_bit(axis, dtype):
    rng = np.random.default_rng(6)
    for shape in [(3, 5, 5, 4), (4, 33, 33, 9)]:  # numpy's own below 2**15 values, slices beyond
        A = rng.normal(size=shape).astype(dtype)
        out = _prefix(A, axis)
        expected = np.cumsum(A.astype(np.float64) if A.size > 2**15 else A, axis=axis)
        assert out.shape == A.shape
        np.testing.assert_array_equal(out, expected)


def _stump(g, h, n, leaf):
    """Brute force: the best split of one ordered histogram, (split, found, left, right, gain)."""
    best, found = None, False
    for s in range(len(g) - 1):
        gl, hl, nl = g[:s + 1].sum(), h[:s + 1].sum(), n[:s + 1].sum()
        gr, hr, nr = g[s + 1:].sum(), h[s + 1:].sum(), n[s + 1:].sum()
        if min(nl, nr) >= leaf and min(hl, hr) > EPS:
            gain = gl * gl / hl + gr * gr / hr
            if best is None or gain > best[0]:
                best, found = (gain, s, -gl / hl, -gr / hr), True
    if found:
        return best[1], True, best[2], best[3], best[0]
    whole = -g.sum() / h.sum() if h.sum() > EPS else 0.0
    return None, False, whole, whole, whole * whole * h.sum() if h.sum() > EPS else 0.0


def _pair_tree(g, h, n, leaf):
    """Brute force: the two-level tree of one grid, its value in every cell."""
    grown = []
    for grid_g, grid_h, grid_n in [(g, h, n), (g.T, h.T, n.T)]:  # split axis 1 first, then axis 2 first
        s, found, _, _, _ = _stump(grid_g.sum(axis=1), grid_h.sum(axis=1), grid_n.sum(axis=1), leaf)
        if not found:
            grown.append((-np.inf, None))
            continue
        values, gain = np.zeros(g.shape), 0.0
        for half in (slice(None, s + 1), slice(s + 1, None)):
            hs, _, left, right, half_gain = _stump(grid_g[half].sum(axis=0), grid_h[half].sum(axis=0),
                                                   grid_n[half].sum(axis=0), leaf)
            cut = len(g) if hs is None else hs + 1
            values[half, :cut], values[half, cut:] = left, right
            gain += half_gain
        grown.append((gain, values))
    (gain_1, values_1), (gain_2, values_2) = grown
    if values_1 is None and values_2 is None:
        return np.zeros(g.shape)
    return values_1 if gain_1 >= gain_2 else values_2.T


def test_pair_trees_are_the_brute_force_trees():
    P, W, M = 2, 33, 16  # 2 * 33 * 33 * 16 values: the sums go slice by slice
    rng = np.random.default_rng(7)
    prob = problem(kind="pair", n_terms=P, width=W)
    counts = rng.integers(0, 4, (P * W * W + 1, M)).astype(np.float32)
    counts[: W * W, :2] = 0  # columns whose first pair has no rows: zero everywhere
    G = rng.normal(size=(P * W * W, M)) * (counts[:-1] > 0)
    H = rng.uniform(0.1, 1.0, size=(P * W * W, M)) * counts[:-1]

    class State:
        cache = {}

    State.counts = counts
    values = pair_updates(prob, G, H, State, None).reshape(P, W, W, M)
    grids = [a.reshape(P, W, W, M) for a in (G, H, counts[:-1])]
    for p in range(P):
        for m in range(M):
            expected = _pair_tree(*(a[p, :, :, m] for a in grids), prob.min_samples_leaf)
            np.testing.assert_allclose(values[p, :, :, m], expected, rtol=1e-9, atol=1e-12)

