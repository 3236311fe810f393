"""The coalitions and orders of the model-agnostic Shapley methods, and how values follow.

Exact enumeration evaluates every coalition of a fixed matrix of masks and weighs the
coalition values by the Shapley weights; permutation sampling reveals features along
random orders (each with its reverse) and averages the steps. Tabular rows and
documents (whose tokens are the players) share these.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["exact_design", "exact_values", "kernel_budget", "permutation_budget", "permutation_orders", "permutation_values"]


def exact_design(n_features):
    """Every coalition but the empty and full ones, and the Shapley weight matrix."""
    p = n_features
    codes = np.arange(1, 2**p - 1)
    masks = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)  # (2**p - 2, p)
    size = masks.sum(axis=1)
    # With feature i: (s - 1)! (p - s)! / p! = 1 / (p C(p-1, s-1)); without: 1 / (p C(p-1, s)).
    binom = np.array([math.comb(p - 1, s) for s in range(p)], dtype=np.float64)
    with_i = 1.0 / (p * binom[size - 1])
    without_i = 1.0 / (p * binom[np.minimum(size, p - 1)])
    weights = np.where(masks.T, with_i, -without_i)  # (p, 2**p - 2)
    return {"masks": masks, "weights": weights}


def exact_values(weights, v, fx, v0, full_weights=None):
    """Shapley values (g, p, o) from coalition values ``v`` (g, m, o) of :func:`exact_design`,
    the full coalition's ``fx`` (g, o) and the empty one's ``v0`` (o,). ``full_weights``
    (p,) weigh the full coalition for each player (Owen values); ``None``: 1/p each."""
    # phi_i = sum_S W[i, S] (v(S) - v0); the full coalition weighs 1/p for every i (Shapley).
    if full_weights is None:
        full_weights = np.full(weights.shape[0], 1.0 / weights.shape[0])
    full = full_weights[None, :, None] * (fx - v0)[:, None, :]
    return np.einsum("im,gmo->gio", weights, v - v0, optimize=True) + full


def permutation_orders(rngs, n_features, n_pairs, hierarchy=None):
    """Antithetic orders of the features, one generator per explained row.

    Returns ``positions`` of shape (n_rows, 2 * n_pairs, p), where each feature enters
    each order (order ``n_pairs + j`` is the reverse of order ``j``), and the prefix
    masks of shape (n_rows, 2 * n_pairs, p - 1, p): the features revealed after 1..p-1
    steps. With a ``hierarchy`` (nested lists of the features), the orders are drawn
    uniformly among those that keep each list together (Owen values): the lists of each
    level are ordered by keys of their own, from the deepest level up, by stable sorts.
    """
    if hierarchy is None:
        keys = np.stack([rng.random((n_pairs, n_features)) for rng in rngs])  # (n, P/2, p)
        forward = np.argsort(keys, axis=2)
    else:
        paths = _hierarchy_paths(hierarchy, n_features)  # (depth, p): the node of each feature at each level
        keys = np.stack([rng.random((n_pairs, int(paths.max()) + 1)) for rng in rngs])
        forward = np.argsort(keys[..., paths[-1]], axis=2, kind="stable")
        for level in paths[-2::-1]:  # stable sorts by coarser keys: lexicographic orders
            coarse = np.take_along_axis(keys[..., level], forward, axis=2)
            forward = np.take_along_axis(forward, np.argsort(coarse, axis=2, kind="stable"), axis=2)
    return _orders_and_masks(forward, n_features)


def _hierarchy_paths(hierarchy, n_features):
    """The node of each feature at each level below the root, shape (depth, p): nodes are
    numbered after the features; a feature stands for itself below its own level."""
    paths, counter = {}, [n_features]

    def walk(node, path):
        if not isinstance(node, list):
            paths[node] = path + [node]
            return
        if path is not None:
            path = path + [counter[0]]
            counter[0] += 1
        for child in node:
            walk(child, [] if path is None else path)

    walk(hierarchy, None)
    depth = max(len(path) for path in paths.values())
    return np.array([paths[f] + [f] * (depth - len(paths[f])) for f in range(n_features)]).T


def _orders_and_masks(forward, n_features):
    orders = np.concatenate([forward, forward[:, :, ::-1]], axis=1)  # (n, P, p)
    positions = np.argsort(orders, axis=2)
    masks = positions[:, :, None, :] < np.arange(1, n_features)[None, None, :, None]
    return positions, masks


def permutation_values(prefix, fx, v0, positions):
    """Mean steps of the orders and their standard errors, both (g, p, o).

    ``prefix`` (g, P * (p - 1), o) holds the values of the prefix masks of
    :func:`permutation_orders`, ``fx`` (g, o) the full coalition's and ``v0`` (o,) the
    empty one's. The standard error is NaN with a single pair of orders.
    """
    g, n_perms, n_features = positions.shape
    n_outputs, n_pairs = fx.shape[1], n_perms // 2
    chain = np.concatenate(  # v of the prefixes of lengths 0..p: (g, P, p + 1, o)
        [
            np.broadcast_to(v0, (g, n_perms, 1, n_outputs)),
            prefix.reshape(g, n_perms, n_features - 1, n_outputs),
            np.broadcast_to(fx[:, None, None, :], (g, n_perms, 1, n_outputs)),
        ],
        axis=2,
    )
    steps = np.diff(chain, axis=2)  # (g, P, p, o): step k adds the k-th feature of the order
    by_feature = np.take_along_axis(steps, positions[..., None], axis=2)  # (g, P, p, o)
    pairs = 0.5 * (by_feature[:, :n_pairs] + by_feature[:, n_pairs:])  # (g, P / 2, p, o)
    if n_pairs < 2:
        return pairs.mean(axis=1), np.full((g, n_features, n_outputs), np.nan)
    return pairs.mean(axis=1), pairs.std(axis=1, ddof=1) / np.sqrt(n_pairs)


def kernel_budget(n_players, n_samples, players="features"):
    """Kernel SHAP's coalitions: ``n_samples``, or ``2 * n_players + 2048`` for ``"auto"``.

    Refuses fewer than ``n_players + 1`` complementary pairs (the design would not
    identify every player) unless that is every coalition; ``players`` names them.
    """
    budget = 2 * n_players + 2048 if n_samples == "auto" else int(n_samples)
    needed = min(2**n_players - 2, 2 * n_players + 2)
    if budget < needed:
        raise ValueError(
            f"n_samples={n_samples!r} is too small for method='kernel' with {n_players} {players}: it needs at "
            f"least {needed} coalitions ({players} + 1 complementary pairs). Increase n_samples or use "
            "method='permutation'."
        )
    return budget


def permutation_budget(n_players, n_samples):
    """Permutations per row (an even number: each comes with its reverse); ``"auto"`` gives
    as many model evaluations as Kernel SHAP's default."""
    if n_samples == "auto":
        pairs = math.ceil((2 * n_players + 2048) / (2 * max(1, n_players - 1)))
    else:
        pairs = math.ceil(int(n_samples) / 2)
    return 2 * max(1, pairs)
