"""ShapleyExplainer(groups=...): Shapley values of a game whose players are groups of columns.

The reference is the group game written here from its definition: every coalition of
groups is enumerated, and its value is the weighted mean over the background of the
model on rows that keep the explained row's values in the columns of the coalition's
groups and take the background's elsewhere (one model call per hybrid row).
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from glassbox.explainers import ShapleyExplainer

COLUMNS = ["a", "b", "c", "d", "e", "f", "g"]


def interacting(X):
    """Interactions within and across the groups used below (of three columns, where a
    group's value is not the sum of its columns' values; of three players, which paired
    Kernel SHAP does not fit exactly), and a lone non-linearity."""
    return (X[:, 0] * X[:, 1] * (1 + X[:, 4]) + np.sin(X[:, 2]) * X[:, 3] + X[:, 4] ** 2 - X[:, 0] * X[:, 5]
            + X[:, 2] * X[:, 4] * X[:, 6] + 0.5 * X[:, 6])


def brute_force_group_shapley(f, x, background, players):
    """Shapley values (n_players,) of the group game of one row, by enumeration."""
    n = len(players)

    def v(coalition):
        kept = [j for k in coalition for j in players[k]]
        hybrids = background.copy()
        hybrids[:, kept] = x[kept]
        return np.mean([f(h[None, :])[0] for h in hybrids])

    phi = np.zeros(n)
    for i in range(n):
        others = [k for k in range(n) if k != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in itertools.combinations(others, size):
                phi[i] += weight * (v(coalition + (i,)) - v(coalition))
    return phi


class Interacting(RegressorMixin, BaseEstimator):
    """A fixed regressor: ``interacting`` of its rows."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return interacting(np.asarray(X, dtype=np.float64))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, len(COLUMNS)))
    return X, Interacting().fit(X)


GROUPS = {"pair": ["a", "b"], "lagged": ["d", "c", "f"]}
PLAYERS = [[0, 1], [3, 2, 5], [4], [6]]  # the groups, then e and g
NAMES = ["pair", "lagged", "e", "g"]


@pytest.mark.parametrize("as_frame", [False, True])
def test_exact_equals_the_brute_force_group_game(data, as_frame):
    X, model = data
    groups = GROUPS if as_frame else {"pair": [0, 1], "lagged": [3, 2, 5]}  # names, or positions
    X_in = pd.DataFrame(X, columns=COLUMNS) if as_frame else X
    explainer = ShapleyExplainer(model, method="exact", groups=groups, background=X_in[:8]).fit(X_in)
    exp = explainer.explain(X_in[10:14])
    expected = np.array([brute_force_group_shapley(interacting, x, X[:8], PLAYERS) for x in X[10:14]])
    assert exp.shape == (4, 4, 1)
    assert list(exp.feature_names) == (NAMES if as_frame else ["pair", "lagged", "x4", "x6"])
    np.testing.assert_allclose(exp.values[:, :, 0], expected, atol=1e-10)
    # Grouping is not summing: the interaction of a, b and e is shared by two players, not three.
    ungrouped = ShapleyExplainer(model, method="exact", background=X_in[:8]).fit(X_in).explain(X_in[10:14])
    assert not np.allclose(exp.values[:, 0, 0], ungrouped.values[:, :2, 0].sum(axis=1), atol=1e-3)


@settings(max_examples=15, deadline=None)
@given(labels=st.lists(st.integers(-1, 3), min_size=len(COLUMNS), max_size=len(COLUMNS)), seed=st.integers(0, 99))
def test_any_grouping_equals_the_brute_force_group_game(data, labels, seed):
    """Column j joins group labels[j] (-1: none); groups listed in a random order."""
    X, model = data
    order = np.random.default_rng(seed).permutation(4)
    groups = {f"g{k}": [COLUMNS[j] for j in range(len(COLUMNS)) if labels[j] == k] for k in order if k in labels}
    frame = pd.DataFrame(X, columns=COLUMNS)
    exp = ShapleyExplainer(model, method="exact", groups=groups, background=frame[:5]).fit(frame).explain(frame[20:22])
    players = [[COLUMNS.index(c) for c in members] for members in groups.values()]
    players += [[j] for j in range(len(COLUMNS)) if labels[j] == -1]
    assert list(exp.feature_names) == list(groups) + [c for c, k in zip(COLUMNS, labels) if k == -1]
    expected = np.array([brute_force_group_shapley(interacting, x, X[:5], players) for x in X[20:22]])
    np.testing.assert_allclose(exp.values[:, :, 0], expected, atol=1e-10)


@pytest.mark.parametrize("method", ["exact", "kernel", "permutation"])
def test_efficiency(data, method):
    X, model = data
    frame = pd.DataFrame(X, columns=COLUMNS)
    exp = ShapleyExplainer(model, method=method, groups=GROUPS, n_samples=16, background=10,
                           random_state=0).fit(frame).explain(frame[:5])
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:5]), atol=1e-9)


@pytest.mark.parametrize(("method", "n_samples"), [("kernel", 40), ("permutation", 60)])
def test_sampling_methods_within_their_standard_errors_of_exact(data, method, n_samples):
    X, model = data
    frame = pd.DataFrame(X, columns=COLUMNS)
    groups = {"pair": ["a", "b"]}  # six players: 62 coalitions, of which Kernel SHAP draws 40
    z, silent = [], []
    for seed in range(4):  # Kernel SHAP's coalitions are shared by every row: pool several designs
        kwargs = dict(groups=groups, background=10, random_state=seed)
        exact = ShapleyExplainer(model, method="exact", **kwargs).fit(frame).explain(frame[:20])
        sampled = ShapleyExplainer(model, method=method, n_samples=n_samples, **kwargs).fit(frame).explain(frame[:20])
        error, std = np.abs(sampled.values - exact.values), sampled.std
        z.append(error[std > 1e-9] / std[std > 1e-9])
        silent.append(error[std <= 1e-9])
    z = np.concatenate(z)
    assert z.max() > 0.05  # it did sample
    # Errors in units of the reported standard errors: of the size these say (their root mean square near
    # one), rarely beyond three (sample standard errors of a few pairs of discrete steps have heavy tails).
    assert 0.6 < np.sqrt(np.mean(z**2)) < 1.6
    assert np.mean(z > 3) < 0.06 and z.max() < 8
    assert np.all(np.concatenate(silent) < 1e-9)  # no error where none is reported


@pytest.mark.parametrize("method", ["exact", "kernel", "permutation"])
def test_groups_of_one_column_equal_the_ungrouped_values(data, method):
    X, model = data
    frame = pd.DataFrame(X, columns=COLUMNS)
    kwargs = dict(method=method, n_samples=20, background=6, random_state=3)
    plain = ShapleyExplainer(model, **kwargs).fit(frame).explain(frame[:6])
    single = ShapleyExplainer(model, groups={c: [c] for c in COLUMNS[:3]}, **kwargs).fit(frame).explain(frame[:6])
    np.testing.assert_array_equal(single.values, plain.values)
    np.testing.assert_array_equal(single.base_values, plain.base_values)
    assert list(single.feature_names) == COLUMNS
    np.testing.assert_array_equal(single.data.astype(float), plain.data)


def test_multiclass_probabilities_and_categorical_columns():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=90), "colour": rng.choice(["red", "green", "blue"], 90),
                      "y": rng.normal(size=90), "z": rng.normal(size=90)})
    codes = X.assign(colour=X.colour.map({"red": 0.0, "green": 1.0, "blue": 2.0}))
    target = np.where(codes.x + codes.colour > 1, 2, np.where(codes.y > 0, 1, 0))
    model = LogisticRegression().fit(codes, target)

    class Decoding(ClassifierMixin, BaseEstimator):  # the model on the categorical frame
        def fit(self, X, y=None):
            self.classes_ = model.classes_
            return self

        def predict_proba(self, frame):
            return model.predict_proba(frame.assign(colour=frame.colour.map({"red": 0.0, "green": 1.0, "blue": 2.0})))

    explainer = ShapleyExplainer(Decoding().fit(X), prefit=True, method="exact", groups={"xc": ["x", "colour"]},
                                 background=8, output="predict_proba").fit(X)
    exp = explainer.explain(X[:4])
    assert exp.shape == (4, 3, 3)
    np.testing.assert_allclose(exp.output(), model.predict_proba(codes[:4]), atol=1e-9)
    assert exp.data[0, 0] == f"x={X.x[0]:.6g}, colour={X.colour[0]}"
    assert list(exp.data[0, 1:]) == [X.y[0], X.z[0]]
    assert list(explainer.get_feature_names_out()) == [f"{k}__{p}" for k in (0, 1, 2) for p in ("xc", "y", "z")]
    assert explainer.transform(X[:4]).shape == (4, 9)


def test_permutation_with_groups_is_the_same_for_any_n_jobs(data):
    X, _ = data
    model = RandomForestRegressor(5, max_depth=3, random_state=0).fit(X, interacting(X))
    kwargs = dict(method="permutation", groups={"pair": [0, 1]}, n_samples=8, background=5, random_state=0,
                  batch_size=40)
    one = ShapleyExplainer(model, **kwargs).fit(X).explain(X[:7])
    two = ShapleyExplainer(model, n_jobs=2, **kwargs).fit(X).explain(X[:7])
    np.testing.assert_array_equal(one.values, two.values)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"one": ["a", "b"], "two": ["b", "c"]}, r"groups overlap: column 'b' is in both groups\['one'\] and "),
        ({"one": ["a", "nope"]}, r"'nope' \(in groups\['one'\]\)"),
        ({"one": [0, 12]}, r"12 \(in groups\['one'\]\) is out of range"),
        ({"one": []}, r"groups\['one'\] is empty"),
        ({"c": ["a", "b"]}, r"Group name 'c' of groups\['c'\] is also the name of a column of X that is not in it"),
        ({"one": "a"}, r"groups\['one'\] must be a list of columns \(or a dict of groups\); got 'a'"),
        ({1: ["a"]}, r"groups needs string group names"),
        ({"one": ["a", "a"]}, r"groups\['one'\] names the column\(s\) \['a'\] more than once"),
    ],
)
def test_bad_groups_are_refused_by_name(data, groups, message):
    X, model = data
    frame = pd.DataFrame(X, columns=COLUMNS)
    with pytest.raises(ValueError, match=message):
        ShapleyExplainer(model, method="exact", groups=groups, background=5).fit(frame)


def test_a_group_may_share_its_name_with_a_column_it_holds(data):
    X, model = data
    frame = pd.DataFrame(X, columns=COLUMNS)
    exp = ShapleyExplainer(model, method="exact", groups={"a": ["a", "b"]}, background=5).fit(frame).explain(frame[:2])
    assert list(exp.feature_names) == ["a", "c", "d", "e", "f", "g"]


def test_no_groups_is_the_ungrouped_explainer(data):
    X, _ = data
    forest = RandomForestRegressor(5, max_depth=3, random_state=0).fit(X, interacting(X))
    assert ShapleyExplainer(forest, groups={}, background=5).fit(X).method_ == "tree"


def test_groups_must_be_a_dict(data):
    X, model = data
    with pytest.raises(ValueError, match="groups"):
        ShapleyExplainer(model, groups=[["a", "b"]]).fit(X)


def test_documents_refuse_groups():
    docs = ["good food", "bad food", "good service", "bad service"] * 3
    pipe = make_pipeline(CountVectorizer(), LogisticRegression()).fit(docs, [1, 0, 1, 0] * 3)
    with pytest.raises(ValueError, match="groups applies to the columns of a table"):
        ShapleyExplainer(pipe, groups={"g": ["good"]}).fit(docs)
