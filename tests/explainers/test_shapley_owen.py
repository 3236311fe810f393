"""Owen values: ShapleyExplainer(groups=...) with groups of groups.

The reference is the definition (Owen 1977; Winter 1989 for deeper trees): the average
of a player's marginal contribution over every order of the players that keeps each
union together, at every level, enumerated here order by order; the coalition values
are the interventional game over background rows, one model call per coalition.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

from glassbox.explainers import ShapleyExplainer
from glassbox.explainers._shapley_designs import permutation_orders


def interacting(X):
    """Interactions of two and three columns across and within the groups used below (Owen
    values differ from Shapley values where two players of a union interact with a third
    player outside it: x0 x2 x3)."""
    return (X[:, 0] * X[:, 1] * X[:, 2] + np.sin(X[:, 3]) * X[:, 0] + X[:, 4] ** 2 * X[:, 1]
            + X[:, 2] * X[:, 3] * X[:, 5] + 2 * X[:, 0] * X[:, 2] * X[:, 3] + 0.3 * X[:, 5])


class Interacting(RegressorMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return interacting(np.asarray(X, dtype=np.float64))


@pytest.fixture(scope="module")
def data():
    X = np.random.default_rng(0).normal(size=(50, 6))
    return X, Interacting().fit(X)


def leaves(node):
    return [node] if not isinstance(node, list) else [leaf for child in node for leaf in leaves(child)]


def consistent(order, tree):
    """Whether every union of ``tree`` (nested lists of players) is contiguous in ``order``."""
    position = {player: k for k, player in enumerate(order)}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            spots = sorted(position[p] for p in leaves(node))
            if spots[-1] - spots[0] != len(spots) - 1:
                return False
            stack.extend(node)
    return True


def owen_by_orders(f, x, background, players, tree):
    """Owen (Winter) values of one row: the mean marginal contribution over consistent orders."""
    n = len(players)
    orders = [o for o in itertools.permutations(range(n)) if consistent(o, tree)]
    coalitions = {frozenset(o[:k]) for o in orders for k in range(n + 1)}
    index = {c: k for k, c in enumerate(coalitions)}
    hybrids = np.repeat(background[None], len(coalitions), axis=0)
    for c, k in index.items():
        kept = [j for player in c for j in players[player]]
        hybrids[k][:, kept] = x[kept]
    value = f(hybrids.reshape(-1, x.shape[0])).reshape(len(coalitions), len(background)).mean(axis=1)
    phi = np.zeros(n)
    for o in orders:
        for k, player in enumerate(o):
            phi[player] += value[index[frozenset(o[: k + 1])]] - value[index[frozenset(o[:k])]]
    return phi / len(orders)


GROUPS = {"A": {"a01": [0, 1], "a2": [2]}, "B": {"b3": [3], "b4": [4]}}
PLAYERS = [[0, 1], [2], [3], [4], [5]]
TREE = [[0, 1], [2, 3], 4]


def test_exact_owen_values_equal_the_mean_over_consistent_orders(data):
    X, model = data
    background = X[:6]
    exp = ShapleyExplainer(model, method="exact", groups=GROUPS, background=background).fit(X).explain(X[10:14])
    assert list(exp.feature_names) == ["a01", "a2", "b3", "b4", "x5"]
    for r in range(4):
        expected = owen_by_orders(interacting, X[10 + r], background, PLAYERS, TREE)
        np.testing.assert_allclose(exp.values[r, :, 0], expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[10:14]), atol=1e-10)  # efficiency


def random_hierarchy(draw_labels, n_columns):
    """Columns into players (label per column) and players into unions, nested once more for
    the first union: a dict for ``groups`` and the tree of player numbers."""
    player_of, union_of, deeper = draw_labels
    players = {}
    for j in range(n_columns):
        players.setdefault(player_of[j], []).append(j)
    names = sorted(players)
    unions = {}
    for k, name in enumerate(names):
        unions.setdefault(union_of[k % len(union_of)], []).append(name)
    groups, tree, order = {}, [], []
    for u, members in sorted(unions.items()):
        inner = {f"p{m}": players[m] for m in members}
        if deeper and len(members) > 2:  # a third level: the first two players of the union together
            inner = {"pair": {f"p{m}": players[m] for m in members[:2]},
                     **{f"p{m}": players[m] for m in members[2:]}}
        groups[f"u{u}"] = inner
    for _, members in sorted(unions.items()):
        ids = list(range(len(order), len(order) + len(members)))
        order.extend(players[m] for m in members)
        tree.append([ids[:2], *ids[2:]] if deeper and len(members) > 2 else ids)
    return groups, order, tree


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    player_of=st.lists(st.integers(0, 4), min_size=6, max_size=6),
    union_of=st.lists(st.integers(0, 2), min_size=1, max_size=5),
    deeper=st.booleans(),
    row=st.integers(0, 49),
)
def test_exact_owen_values_on_random_hierarchies(data, player_of, union_of, deeper, row):
    X, model = data
    groups, players, tree = random_hierarchy((player_of, union_of, deeper), 6)
    background = X[:4]
    explainer = ShapleyExplainer(model, method="exact", groups=groups, background=background).fit(X)
    exp = explainer.explain(X[[row]])
    expected = owen_by_orders(interacting, X[row], background, players, tree)
    np.testing.assert_allclose(exp.values[0, :, 0], expected, rtol=1e-9, atol=1e-9)


def test_permutation_sampling_of_consistent_orders_within_its_standard_errors(data):
    X, model = data
    kwargs = dict(groups=GROUPS, background=X[:6])
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(X).explain(X[:6])
    sampled = ShapleyExplainer(model, method="permutation", n_samples=60, random_state=0, **kwargs).fit(X)
    exp = sampled.explain(X[:6])
    np.testing.assert_allclose(exp.output(), exact.output(), atol=1e-10)
    assert (exp.std > 0).any()
    assert np.all(np.abs(exp.values - exact.values) <= 4 * exp.std + 1e-9)
    # Many orders converge to the Owen values, not to the Shapley values of the players.
    many = ShapleyExplainer(model, method="permutation", n_samples=4000, random_state=1, **kwargs).fit(X)
    np.testing.assert_allclose(many.explain(X[:2]).values, exact.values[:2], atol=0.05)
    flat = {"a01": [0, 1], "a2": [2], "b3": [3], "b4": [4]}
    shapley = ShapleyExplainer(model, method="exact", groups=flat, background=X[:6]).fit(X).explain(X[:2])
    assert np.abs(shapley.values - exact.values[:2]).max() > 0.2


@pytest.mark.parametrize("tree", [[[0, 1], [2, 3, 4], 5], [[[0, 1], 2], [3, 4], 5]])
def test_sampled_orders_are_the_consistent_orders_equally_often(tree):
    n_pairs = 3000
    positions, masks = permutation_orders([np.random.default_rng(0)], 6, n_pairs, tree)
    orders = [tuple(o) for o in np.argsort(positions[0], axis=1)]
    expected = [o for o in itertools.permutations(range(6)) if consistent(o, tree)]
    counts = {o: 0 for o in expected}
    for o in orders:
        counts[o] += 1  # a KeyError here is an order that breaks a union
    mean = len(orders) / len(expected)
    assert min(counts.values()) > mean - 5 * np.sqrt(mean) and max(counts.values()) < mean + 5 * np.sqrt(mean)
    assert np.array_equal(masks[0, 0, 0], positions[0, 0] < 1)  # the prefixes follow the orders


def test_one_union_per_group_gives_the_group_shapley_values(data):
    X, model = data
    flat = {"a01": [0, 1], "a2": [2], "b34": [3, 4]}
    nested = {"A": {"a01": [0, 1]}, "B": {"a2": [2]}, "C": {"b34": [3, 4]}}
    kwargs = dict(method="exact", background=X[:5])
    a = ShapleyExplainer(model, groups=flat, **kwargs).fit(X).explain(X[:4])
    b = ShapleyExplainer(model, groups=nested, **kwargs).fit(X).explain(X[:4])
    np.testing.assert_allclose(b.values, a.values, rtol=1e-10, atol=1e-12)


def test_one_union_of_single_columns_gives_the_shapley_values(data):
    X, model = data
    nested = {"all": {f"c{j}": [j] for j in range(6)}}
    kwargs = dict(method="exact", background=X[:5])
    plain = ShapleyExplainer(model, **kwargs).fit(X).explain(X[:4])
    owen = ShapleyExplainer(model, groups=nested, **kwargs).fit(X).explain(X[:4])
    np.testing.assert_allclose(owen.values, plain.values, rtol=1e-10, atol=1e-12)


def test_auto_and_linear_with_a_hierarchy(data):
    X, model = data
    assert ShapleyExplainer(model, groups=GROUPS, background=X[:5]).fit(X).method_ == "exact"
    linear = LinearRegression().fit(X, interacting(X))
    kwargs = dict(groups=GROUPS, background=X[:10])
    closed = ShapleyExplainer(linear, method="linear", **kwargs).fit(X).explain(X[:5])
    exact = ShapleyExplainer(linear, method="exact", **kwargs).fit(X).explain(X[:5])
    np.testing.assert_allclose(closed.values, exact.values, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("method", ["tree", "kernel"])
def test_tree_and_kernel_refuse_a_hierarchy(data, method):
    X, _ = data
    forest = RandomForestRegressor(3, max_depth=2, random_state=0).fit(X, interacting(X))
    with pytest.raises(ValueError, match=rf"ask for Owen values.*got method='{method}'"):
        ShapleyExplainer(forest, method=method, groups=GROUPS, background=X[:5]).fit(X)


@pytest.mark.parametrize(("groups", "message"), [
    ({"A": {}}, r"groups\['A'\] is empty; a union of groups needs at least one group"),
    ({"A": {"g": [0]}, "B": {"g": [1]}}, r"Group name 'g' of groups\['B'\]\['g'\] is also the name of another group"),
    ({"A": {"g": [0, 1]}, "B": {"h": [1]}}, r"column 'x1' is in both groups\['A'\]\['g'\] and groups\['B'\]\['h'\]"),
    ({"A": {"g": [0, 9]}}, r"9 \(in groups\['A'\]\['g'\]\) is out of range"),
])
def test_bad_hierarchies_are_refused_by_name(data, groups, message):
    X, model = data
    with pytest.raises(ValueError, match=message):
        ShapleyExplainer(model, method="exact", groups=groups, background=X[:5]).fit(X)
