"""TreeSHAP of oblivious (symmetric) trees, one table per tree, against brute force.

Random ensembles of symmetric trees (every level one feature and one threshold, features
repeated across levels, ties, missing values sent either way, leaves of zero cover,
several outputs), sometimes with a tree that is not symmetric beside them, are explained
by the engines and compared with the Shapley values of the path-dependent and the
interventional games enumerated over every coalition, computed here from the node arrays.
"""

from math import factorial
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassbox._core import TreeList
from glassbox.explainers._treeshap import _engines, _oblivious
from glassbox.explainers._treeshap._explainer import player_ensemble


def symmetric_tree(rng, depth, n_features, symmetric=True):
    """Heap-ordered node arrays of a complete tree of ``depth``; ``symmetric``: one split a level."""
    n_internal, n = 2**depth - 1, 2 ** (depth + 1) - 1
    heap = np.arange(n)
    left = np.where(heap < n_internal, 2 * heap + 1, -1)
    right = np.where(heap < n_internal, 2 * heap + 2, -1)
    level = np.floor(np.log2(heap + 1)).astype(int)
    level_feature = rng.integers(0, n_features, depth)
    level_threshold = rng.integers(0, 3, depth) + 0.5 * rng.integers(0, 2, depth)  # ties with the data's 0..3
    level_missing = rng.random(depth) < 0.5
    feature = np.where(heap < n_internal, level_feature[np.minimum(level, depth - 1)], -1)
    threshold = np.where(heap < n_internal, level_threshold[np.minimum(level, depth - 1)], -2.0)
    missing_left = (heap < n_internal) & level_missing[np.minimum(level, depth - 1)]
    if not symmetric:  # one node of the last internal level splits elsewhere
        node = 2 ** (depth - 1) - 1 + rng.integers(0, 2 ** (depth - 1))
        feature[node] = (feature[node] + 1) % n_features
        threshold[node] += 1.0
    cover = np.zeros(n)
    cover[n_internal:] = rng.integers(0, 5, 2**depth)
    pairs = cover[n_internal:].reshape(-1, 2)
    pairs[pairs.sum(axis=1) == 0, 1] = 1  # no internal node without cover
    for node in range(n_internal - 1, -1, -1):
        cover[node] = cover[left[node]] + cover[right[node]]
    return left, right, feature, threshold, missing_left, cover


@st.composite
def ensembles(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n_features = draw(st.integers(1, 5))
    n_outputs = draw(st.sampled_from([1, 2, 3]))
    shared_columns = draw(st.booleans())  # every tree writes every output, or one each
    trees = TreeList()
    for t in range(draw(st.integers(1, 4))):
        depth = draw(st.integers(1, 5))
        symmetric = depth == 1 or draw(st.integers(0, 4)) > 0
        left, right, feature, threshold, missing_left, cover = symmetric_tree(rng, depth, n_features, symmetric)
        if shared_columns:
            columns, width = np.arange(n_outputs), n_outputs
        else:
            columns, width = np.array([t % n_outputs]), 1
        value = np.where((left < 0)[:, None], rng.normal(size=(len(left), width)), 0.0)
        trees.add(left, right, feature, threshold, missing_left, cover, value, columns)
    ens = trees.build(n_outputs=n_outputs, output_method="predict", n_features=n_features, offset=np.zeros(n_outputs))
    n_background = draw(st.integers(1, 6))
    X = rng.integers(0, 4, size=(n_background + draw(st.integers(1, 4)), n_features)).astype(float)
    X[rng.random(X.shape) < 0.2] = np.nan
    weights = rng.random(n_background) + 0.1
    return ens, X[n_background:], X[:n_background], weights / weights.sum()


def goes_left(ens, node, value):
    return ens.missing_left[node] if np.isnan(value) else value <= ens.threshold[node]


def predict(ens, x):
    out = np.zeros(ens.n_outputs)
    for t, root in enumerate(ens.roots):
        node = root
        while ens.left[node] >= 0:
            node = ens.left[node] if goes_left(ens, node, x[ens.feature[node]]) else ens.right[node]
        out[ens.tree_columns[t]] += ens.value[node]
    return out


def expectation(ens, node, x, known):
    """E[tree below node | x on the known features], following the cover elsewhere."""
    if ens.left[node] < 0:
        return ens.value[node]
    f, left, right = ens.feature[node], ens.left[node], ens.right[node]
    if known[f]:
        return expectation(ens, left if goes_left(ens, node, x[f]) else right, x, known)
    both = ens.cover[left] * expectation(ens, left, x, known) + ens.cover[right] * expectation(ens, right, x, known)
    return both / ens.cover[node]


def shapley(game, n_features):
    phi = np.zeros((n_features,) + game(0).shape)
    for mask in range(2**n_features):
        size = bin(mask).count("1")
        for j in range(n_features):
            if not mask >> j & 1:
                weight = factorial(size) * factorial(n_features - size - 1) / factorial(n_features)
                phi[j] += weight * (game(mask | 1 << j) - game(mask))
    return phi


def brute_force(ens, x, background, weights):
    p = len(x)

    def known(mask):
        return np.array([mask >> j & 1 for j in range(p)], bool)

    def path_dependent(mask):
        out = np.zeros(ens.n_outputs)
        for t, root in enumerate(ens.roots):
            out[ens.tree_columns[t]] += expectation(ens, root, x, known(mask))
        return out

    def interventional(mask):
        return sum(w * predict(ens, np.where(known(mask), x, z)) for z, w in zip(background, weights))

    return shapley(path_dependent, p), shapley(interventional, p)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ensembles(), st.sampled_from([1, 1000]))
def test_symmetric_trees_equal_the_brute_force(problem, expected_rows):
    ens, X, background, weights = problem
    symmetric, _ = _oblivious.oblivious_trees(ens, _engines._Paths(ens))
    path_dependent = _engines._Engines(ens, None, expected_rows)
    interventional = _engines._Engines(ens, (background, weights), expected_rows)
    assert len(symmetric) == 0 or isinstance(path_dependent.engines[0], _oblivious._ObliviousTables)
    values = path_dependent.explain_chunk(X), interventional.explain_chunk(X)
    for i, x in enumerate(X):
        expected = brute_force(ens, x, background, weights)
        for ours, theirs in zip(values, expected):
            np.testing.assert_allclose(ours[i], theirs, rtol=0, atol=1e-10)
    # The base values: the game of no known feature.
    none = np.zeros(ens.n_features, bool)
    base = sum(expectation(ens, root, X[0], none) @ np.eye(ens.n_outputs)[ens.tree_columns[t]]
               for t, root in enumerate(ens.roots))  # fmt: skip
    np.testing.assert_allclose(path_dependent.expected_value, base, rtol=0, atol=1e-12)
    average = sum(w * predict(ens, z) for z, w in zip(background, weights))
    np.testing.assert_allclose(interventional.expected_value, average, rtol=0, atol=1e-12)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ensembles())
def test_symmetric_tables_equal_the_general_way(problem):
    # The same trees through the leaf tables, blocks and formulas without tables.
    ens, X, background, weights = problem
    for reference in (None, (background, weights)):
        tables = _engines._Engines(ens, reference, 100).explain_chunk(X)
        with mock.patch.object(_oblivious, "MAX_DEPTH", 0):
            general = _engines._Engines(ens, reference, 100)
        assert not any(isinstance(e, _oblivious._ObliviousTables) for e in general.engines)
        np.testing.assert_allclose(tables, general.explain_chunk(X), rtol=0, atol=1e-10)


def test_which_trees_are_symmetric():
    rng = np.random.default_rng(0)
    trees = TreeList()
    for depth, symmetric in [(3, True), (3, False), (1, True), (9, True)]:
        left, right, feature, threshold, missing_left, cover = symmetric_tree(rng, depth, 4, symmetric)
        trees.add(left, right, feature, threshold, missing_left, cover, np.zeros((len(left), 1)), [0])
    trees.add(
        [1, -1, -1], [2, -1, -1], [0, -1, -1], [0.5, 0, 0], [True, False, False], [2, 1, 1], np.zeros((3, 1)), [0]
    )
    trees.add([-1], [-1], [-1], [0.0], [False], [1.0], np.zeros((1, 1)), [0])  # a single leaf
    ens = trees.build(n_outputs=1, output_method="predict", n_features=4, offset=np.zeros(1))
    found, depth = _oblivious.oblivious_trees(ens, _engines._Paths(ens))
    # The depth-9 tree is symmetric but deeper than MAX_DEPTH; a single leaf has no level.
    np.testing.assert_array_equal(found, [0, 2, 4])
    np.testing.assert_array_equal(depth, [3, 1, 1])


def test_a_level_reading_two_columns_of_one_group_is_not_symmetric():
    # Groups of columns: splits name players, rows are routed by the columns. A level whose
    # nodes split on two columns of one group at one threshold is one player but two
    # comparisons: its tree must not get a single table.
    rng = np.random.default_rng(1)
    trees = TreeList()
    left, right, feature, threshold, missing_left, cover = symmetric_tree(rng, 3, 4)
    feature[:7] = [0, 2, 2, 1, 1, 1, 1]
    feature[4] = 3  # columns 1 and 3 are one player below
    value = np.where((left < 0)[:, None], rng.normal(size=(len(left), 1)), 0.0)
    trees.add(left, right, feature, threshold, missing_left, cover, value, [0])
    ens = trees.build(n_outputs=1, output_method="predict", n_features=4, offset=np.zeros(1))
    players = player_ensemble(ens, np.array([0, 1, 2, 1]))
    paths = _engines._Paths(players)
    assert len(_oblivious.oblivious_trees(players, paths)[0]) == 1  # by players alone it would be
    assert len(_oblivious.oblivious_trees(players, paths, ens)[0]) == 0
    X = rng.integers(0, 4, size=(50, 4)).astype(float)
    background = X[:3]
    weights = np.full(3, 1 / 3)
    for reference in (None, (background, weights)):
        ours = _engines._Engines(players, reference, 100, routing=ens).explain_chunk(X)
        with mock.patch.object(_oblivious, "MAX_DEPTH", 0):
            general = _engines._Engines(players, reference, 100, routing=ens).explain_chunk(X)
        np.testing.assert_allclose(ours, general, rtol=0, atol=1e-12)
