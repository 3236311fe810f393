"""TreeSHAP leaf tables: each entry equals the brute-force Shapley value of the leaf's game.

For one leaf with ``d`` distinct path features and an explained row failing the set
``U`` of them, the game is the indicator of reaching the leaf: path-dependent, the
product game ``prod_{k in S} [k not in U] prod_{k not in S} r_k``; interventional, the
mean over reference patterns ``Y`` (features the reference row satisfies) of the
indicator that every feature is satisfied by the row it is taken from. Shapley values
by enumeration of all coalitions.
"""

from math import factorial

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from glassbox.explainers._treeshap._tables import (
    _interventional_tables,
    _path_dependent_tables,
    _product_game_tables,
)


def brute_shapley(game, d):
    """Shapley values of a game given on all coalitions (bit masks), shape (d,)."""
    sizes = np.array([bin(s).count("1") for s in range(2**d)])
    phi = np.zeros(d)
    for j in range(d):
        without = np.flatnonzero((np.arange(2**d) >> j) & 1 == 0)
        weight = np.array([factorial(s) * factorial(d - s - 1) / factorial(d) for s in sizes[without]])
        phi[j] = weight @ (game[without | (1 << j)] - game[without])
    return phi


def coalition_sets(d):
    """Bit masks of coalitions, and for each the boolean membership of every feature."""
    masks = np.arange(2**d)
    return ((masks[:, None] >> np.arange(d)) & 1).astype(bool)


def brute_path_dependent(ratio, failed):
    """Table entries of one leaf for the fail pattern ``failed`` (bit set)."""
    d = len(ratio)
    member = coalition_sets(d)
    satisfied = ((failed >> np.arange(d)) & 1) == 0
    game = np.where(member, satisfied[None, :], ratio[None, :]).prod(axis=1)
    return brute_shapley(game, d)


def brute_interventional(reference, failed, d):
    member = coalition_sets(d)
    satisfied = ((failed >> np.arange(d)) & 1) == 0
    game = np.zeros(2**d)
    for pattern, mass in enumerate(reference):
        ref_satisfied = ((pattern >> np.arange(d)) & 1) == 1
        game += mass * np.where(member, satisfied[None, :], ref_satisfied[None, :]).all(axis=1)
    return brute_shapley(game, d)


@st.composite
def leaves(draw):
    d = draw(st.integers(1, 6))
    n_leaves = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return d, n_leaves, np.random.default_rng(seed)


@settings(max_examples=20, deadline=None)
@given(leaves(), st.booleans())
def test_path_dependent_tables_equal_the_brute_force(leaf, scaled):
    d, n_leaves, rng = leaf
    ratio = rng.uniform(0.02, 1.0, (n_leaves, d))
    ratio[rng.random((n_leaves, d)) < 0.2] = 1.0  # features whose splits send all the cover one way
    scale = rng.normal(size=n_leaves) if scaled else None
    out = np.full((n_leaves, d, 2**d), np.nan)
    tables = _path_dependent_tables(ratio, scale, out=out)
    assert tables is out or np.shares_memory(tables, out)
    for leaf_index in range(n_leaves):
        factor = 1.0 if scale is None else scale[leaf_index]
        for failed in range(2**d):
            expected = factor * brute_path_dependent(ratio[leaf_index], failed)
            np.testing.assert_allclose(out[leaf_index, :, failed], expected, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 7), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_product_game_tables_equal_the_sums_pattern_by_pattern(k, n_nodes, n, seed):
    """Each slot of any bit, low or high half, equals its sum over quadrature nodes of
    the coefficient its bit selects times the product of the factors the pattern
    selects, computed pattern by pattern (the kernel splits the bits in two halves)."""
    rng = np.random.default_rng(seed)
    satisfied, failed = rng.normal(size=(2, n, n_nodes, k))
    slot_bits = list(rng.integers(0, max(k, 1), size=k + 1)) if k else []
    gain, loss = rng.normal(size=(2, n, n_nodes, len(slot_bits)))
    out = [np.full((n, 2**k), np.nan) for _ in slot_bits]
    _product_game_tables(satisfied, failed, gain, loss, slot_bits, out)
    for pattern in range(2**k):
        is_set = ((pattern >> np.arange(k)) & 1).astype(bool)
        product = np.where(is_set, failed, satisfied).prod(axis=2)  # (n, n_nodes)
        for j, bit in enumerate(slot_bits):
            coefficient = loss[:, :, j] if is_set[bit] else gain[:, :, j]
            expected = (coefficient * product).sum(axis=1)
            np.testing.assert_allclose(out[j][:, pattern], expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(leaves())
def test_interventional_tables_equal_the_brute_force(leaf):
    d, n_leaves, rng = leaf
    reference = rng.random((n_leaves, 2**d)) * (rng.random((n_leaves, 2**d)) < 0.4)
    reference[:, -1] += rng.random(n_leaves) < 0.5  # often some mass on reaching the leaf
    reference *= rng.normal(size=(n_leaves, 1))  # scaled by a leaf value: linear in it
    out = np.full((n_leaves, d, 2**d), np.nan)
    _interventional_tables(reference, d, out=out)
    np.testing.assert_allclose(_interventional_tables(reference, d), out, rtol=0, atol=0)
    for leaf_index in range(n_leaves):
        for failed in range(2**d):
            expected = brute_interventional(reference[leaf_index], failed, d)
            np.testing.assert_allclose(out[leaf_index, :, failed], expected, rtol=1e-9, atol=1e-12)


def test_interventional_tables_of_nine_features_add_up():
    """Efficiency at a size the brute force is slow for: the values of a pattern add up
    to reaching the leaf or not, minus the reference mass reaching it."""
    rng = np.random.default_rng(0)
    d = 9
    reference = rng.random((4, 2**d)) * (rng.random((4, 2**d)) < 0.3)
    tables = _interventional_tables(reference, d)
    reached = (np.arange(2**d) == 0).astype(float)
    expected = reached[None, :] * reference.sum(axis=1, keepdims=True) - reference[:, -1:]
    np.testing.assert_allclose(tables.sum(axis=1), expected, rtol=1e-12, atol=1e-12)
