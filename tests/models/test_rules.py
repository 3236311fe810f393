"""RuleListClassifier: vectorised counting against brute force, recovery of a planted list,
budgets, explanations, text and exports, and bad input."""

import itertools
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from glassbox import complexity
from glassbox._core import InvalidParameterError, validate_X
from glassbox.models import RuleListClassifier
from glassbox.models._rule_candidates import _CandidateSpace
from glassbox.models._rule_search import _log_likelihood, _split_gain


# -- data -------------------------------------------------------------------------------
def planted(n=3000, seed=0):
    """Rows labelled by a known rule list: IF a > 6.5 THEN high ELSE IF b <= 1.5 AND
    colour = red THEN mid ELSE low."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 10, n).astype(float),
            "b": rng.integers(0, 10, n).astype(float),
            "c": rng.integers(0, 10, n).astype(float),
            "colour": rng.choice(["red", "green", "blue"], n),
            "noise": rng.normal(size=n),
        }
    )
    y = np.where(X.a > 6.5, "high", np.where((X.b <= 1.5) & (X.colour == "red"), "mid", "low"))
    return X, y


def mixed(n=240, seed=0, n_classes=3):
    """Numeric columns with missing values, a categorical column with missing values."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.integers(0, 6, n).astype(float),
            "x2": rng.uniform(size=n),
            "colour": pd.Series(rng.choice(["red", "green", "blue", "grey"], n), dtype=object),
        }
    )
    X.loc[rng.uniform(size=n) < 0.1, "x0"] = np.nan
    X.loc[rng.uniform(size=n) < 0.1, "colour"] = None
    score = np.nan_to_num(X.x0.to_numpy()) + (X.colour == "red") + X.x2 + rng.normal(scale=0.5, size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True, as_frame=True)


@pytest.fixture(scope="module")
def penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins()
    return frame.drop(columns="species"), frame["species"].to_numpy()


def encoded(X):
    """``X`` encoded as the models see it, and the schema."""
    holder = RuleListClassifier()
    return validate_X(holder, X, reset=True), holder._feature_schema


# -- vectorised counting against brute force --------------------------------------------
@pytest.fixture(scope="module")
def counting_problem():
    X, y = mixed(n=160, seed=3)
    X_encoded, schema = encoded(X)
    weight = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)  # integers: float32-exact
    space = _CandidateSpace.build(X_encoded, weight > 0, schema, max_bins=6, negations=True)
    target = np.zeros((len(y), 3))
    target[np.arange(len(y)), y] = weight
    return X_encoded, y, weight, space, target


def test_condition_matrix_is_bins_times_conditions(counting_problem):
    X_encoded, _, _, space, _ = counting_problem
    C = space.conditions.evaluate(X_encoded)  # (n, m), the conditions' own semantics
    B = np.zeros((len(X_encoded), space.n_bins))
    np.put_along_axis(B, space.flat_bins, 1.0, axis=1)  # one-hot bin of every cell
    bins = np.arange(space.n_bins)[:, None]
    A = ((bins >= space.lo) & (bins < space.hi) & (bins != space.hole)) | (bins == space.extra)  # (n_bins, m)
    np.testing.assert_array_equal(C, B @ A > 0)
    assert len(space) > 30 and set(space.conditions.op) == {"<=", ">", "==", "!=", "missing"}


def test_single_and_pair_counts_equal_a_naive_loop(counting_problem):
    X_encoded, y, weight, space, target = counting_problem
    C = space.conditions.evaluate(X_encoded)
    m = len(space)
    everyone = np.zeros(len(y), dtype=np.intp)
    hist = space.histogram(everyone, y, weight, 1, 3)[:, 0]
    np.testing.assert_allclose(space.condition_counts(hist), C.T @ target, rtol=0, atol=1e-9)

    pair_hist = space.pair_histogram(np.arange(len(y)), y, weight, 3)
    table = np.full((3, m, m), np.nan)
    for start, stop, counts in space.pair_count_blocks(pair_hist, hist, block_cells=7 * m):
        table[:, :stop, start:stop] = counts  # small blocks: several of them
    naive = np.zeros((3, m, m))
    for j, i in itertools.combinations(range(m), 2):
        both = C[:, j] & C[:, i]
        naive[:, j, i] = [target[both, k].sum() for k in range(3)]
    upper = np.triu(np.ones((m, m), dtype=bool), 1)
    np.testing.assert_array_equal(table[:, upper], naive[:, upper])
    literal = np.stack([C.T.astype(float) @ (target[:, k, None] * C) for k in range(3)])
    np.testing.assert_array_equal(table[:, upper], literal[:, upper])


def one_hot_problem(n=300, seed=4):
    """Many binary columns (one-hot levels, some never set) beside two numeric ones."""
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 30, size=(n, 2))
    X = pd.DataFrame(np.zeros((n, 62)), columns=[f"c{j}" for j in range(62)])
    X.iloc[np.arange(n), levels[:, 0]] = 1.0
    X.iloc[np.arange(n), 30 + levels[:, 1]] = 1.0
    X["c60"], X["c61"] = rng.normal(size=n), rng.integers(0, 5, n).astype(float)
    X.loc[rng.random(n) < 0.1, "c61"] = np.nan
    y = (levels[:, 0] < 10) ^ (rng.random(n) < 0.2)
    return X, y.astype(np.intp)


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_histogram_and_product_pair_counts_equal_the_dense_products(weighted):
    X, y = one_hot_problem()
    X_encoded, schema = encoded(X)
    weight = np.random.default_rng(2).uniform(0.5, 2.0, len(y)) if weighted else None
    space = _CandidateSpace.build(X_encoded, np.ones(len(y), dtype=bool), schema, max_bins=6)
    assert space.n_bins < 3 * X.shape[1]  # bins no row falls in are dropped
    B = np.zeros((len(y), space.n_bins))
    np.put_along_axis(B, space.flat_bins, 1.0, axis=1)
    w = np.ones(len(y)) if weight is None else weight
    group = np.where(np.arange(len(y)) % 3 == 0, -1, np.arange(len(y)) % 2)  # two groups, a third left out
    W = np.zeros((len(y), 2, 2))
    W[group >= 0, group[group >= 0], y[group >= 0]] = w[group >= 0]
    expected = np.einsum("nb,ngk->bgk", B, W)
    np.testing.assert_allclose(space._sparse_histogram(group, y, weight, 2, 2), expected, atol=1e-9)
    np.testing.assert_allclose(space.histogram(group, y, weight, 2, 2), expected, atol=1e-9)
    rows = np.flatnonzero(group >= 0)
    literal = np.stack([B[rows].T @ ((w * (y == k))[rows, None] * B[rows]) for k in range(2)])
    literal[:, np.arange(space.n_bins), np.arange(space.n_bins)] = 0.0  # the caller adds the diagonal
    np.testing.assert_allclose(space._pair_histogram_product(rows, y, weight, 2), literal, atol=1e-9)
    np.testing.assert_allclose(space.pair_histogram(rows, y, weight, 2), literal, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_the_list_does_not_depend_on_how_pairs_are_counted(monkeypatch, weighted):
    X, y = one_hot_problem(n=600, seed=1)
    weight = np.random.default_rng(0).integers(1, 4, len(y)).astype(float) if weighted else None
    lists = []
    for product in (False, True):
        monkeypatch.setattr(_CandidateSpace, "_pairs_by_product", lambda self, product=product: product)
        model = RuleListClassifier(max_rules=4).fit(X, y, sample_weight=weight)
        lists.append((model.rules_, model.rule_proba_))
    assert lists[0][0] == lists[1][0]
    np.testing.assert_allclose(lists[0][1], lists[1][1], rtol=1e-12)


def test_first_rule_is_the_best_of_every_single_and_pair():
    X, y = mixed(n=200, seed=5, n_classes=2)
    model = RuleListClassifier(max_rules=1, max_conditions=2, min_support=10, max_bins=6).fit(X, y)
    X_encoded, schema = encoded(X)
    space = _CandidateSpace.build(X_encoded, np.ones(len(y), bool), schema, max_bins=6)
    C = space.conditions.evaluate(X_encoded)
    target = np.eye(2)[y]
    parent = target.sum(axis=0)
    best = -np.inf
    for rule in itertools.chain(itertools.combinations(range(len(space)), 1), itertools.combinations(range(len(space)), 2)):
        captured = target[C[:, list(rule)].all(axis=1)].sum(axis=0)
        if 10 <= captured.sum() <= len(y) - 10:
            best = max(best, _split_gain(captured, parent))
    assert len(model.rules_) == 1
    np.testing.assert_allclose(model.rule_gain_[0], best, rtol=1e-12)


def test_log_likelihood_of_counts():
    counts = np.array([[3.0, 1.0], [0.0, 5.0]])
    expected = [3 * np.log(3 / 4) + np.log(1 / 4), 0.0]
    np.testing.assert_allclose(_log_likelihood(counts), expected)


def test_apply_equals_a_row_by_row_reading_of_the_rules():
    X, y = mixed(n=300, seed=2)
    model = RuleListClassifier(max_rules=5).fit(X, y)
    X_encoded, _ = encoded(X)
    holds = model.conditions_.evaluate(X_encoded)
    expected = []
    for row in holds:
        fired = [r for r, conds in enumerate(model.rule_conditions_) if row[conds].all()]
        expected.append(fired[0] if fired else len(model.rules_))
    np.testing.assert_array_equal(model.apply(X), expected)
    np.testing.assert_array_equal(model.predict_proba(X), model.rule_proba_[expected])
    np.testing.assert_array_equal(model.predict(X), model.classes_[model.predict_proba(X).argmax(axis=1)])


# -- what is learnt --------------------------------------------------------------------
def test_planted_rule_list_is_recovered():
    X, y = planted()
    model = RuleListClassifier(max_rules=5, shrinkage=None).fit(X, y)
    assert model.rules_ == ["a > 6.5", "b <= 1.5 AND colour = red"]  # stops: nothing left to learn
    assert model.complexity_ == 3
    np.testing.assert_array_equal(model.predict(X), y)
    n_high, n_mid = (X.a > 6.5).sum(), ((X.a <= 6.5) & (X.b <= 1.5) & (X.colour == "red")).sum()
    assert model.to_text() == (
        f"IF a > 6.5 THEN p(high) = 1.00, p(low) = 0.00, p(mid) = 0.00 (n={n_high})\n"
        f"ELSE IF b <= 1.5 AND colour = red THEN p(high) = 0.00, p(low) = 0.00, p(mid) = 1.00 (n={n_mid})\n"
        f"ELSE p(high) = 0.00, p(low) = 1.00, p(mid) = 0.00 (n={len(y) - n_high - n_mid})"
    )
    assert str(model) == model.to_text()


def test_binary_text_shows_the_second_class():
    X, y = planted()
    model = RuleListClassifier(max_rules=1, shrinkage=None).fit(X, np.where(y == "high", "yes", "no"))
    assert model.to_text().splitlines() == [
        f"IF a > 6.5 THEN p(yes) = 1.00 (n={(X.a > 6.5).sum()})",
        f"ELSE p(yes) = 0.00 (n={(X.a <= 6.5).sum()})",
    ]
    assert str(RuleListClassifier()) == "RuleListClassifier()"


@pytest.mark.parametrize("max_rules, max_conditions", [(1, 1), (3, 2), (4, 3)])
def test_budgets_are_exact(max_rules, max_conditions):
    X, y = make_classification(600, 8, n_informative=4, flip_y=0.1, random_state=0)
    model = RuleListClassifier(max_rules=max_rules, max_conditions=max_conditions).fit(X, y)
    lengths = [len(conds) for conds in model.rule_conditions_]
    assert len(model.rules_) == max_rules  # noisy data: every rule still improves the fit
    assert max(lengths) <= max_conditions
    assert model.complexity_ == sum(lengths) == sum(rule.count(" AND ") + 1 for rule in model.rules_)
    assert complexity(model) == model.complexity_
    assert len(model.to_text().splitlines()) == max_rules + 1
    assert model.rule_support_.sum() == len(y) and len(model.rule_gain_) == max_rules
    assert (model.rule_gain_ > 0).all()


def test_budget_larger_than_possible_gives_a_shorter_list():
    X, y = load_iris(return_X_y=True)
    model = RuleListClassifier(max_rules=60, min_support=5).fit(X, y)
    assert 1 <= len(model.rules_) < 60
    assert (model.rule_support_ >= 5).all()  # every rule, and the default, keeps min_support rows
    assert model.complexity_ == sum(len(conds) for conds in model.rule_conditions_)


def test_min_support_as_a_fraction_is_a_share_of_the_weight():
    X, y = load_iris(return_X_y=True)
    by_fraction = RuleListClassifier(max_rules=4, min_support=0.2).fit(X, y)
    by_count = RuleListClassifier(max_rules=4, min_support=30).fit(X, y)
    assert by_fraction.rules_ == by_count.rules_
    assert (by_fraction.rule_support_ >= 30).all()


def test_auto_min_support_is_five_rows_or_a_share_of_a_large_table():
    # 12 rows of a rare level, all positive: a rule of their own with min_support=5, but
    # not with "auto" on 8,000 rows (0.25% of them: 20 rows).
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=8000), "c": np.where(np.arange(8000) < 12, "rare", "common")})
    y = (rng.random(8000) < 0.1 + 0.1 * (X["x"] > 0)).astype(int)
    y[:12] = 1
    assert RuleListClassifier(max_rules=3, min_support=5).fit(X, y).rules_[0] == "c = rare"
    auto = RuleListClassifier(max_rules=3).fit(X, y)
    assert auto.rules_ == RuleListClassifier(max_rules=3, min_support=20).fit(X, y).rules_
    assert (auto.rule_support_ >= 20).all()
    small = RuleListClassifier(max_rules=3).fit(X.iloc[:400], y[:400])  # 5 rows below 2,000
    assert small.rules_ == RuleListClassifier(max_rules=3, min_support=5).fit(X.iloc[:400], y[:400]).rules_


def test_zero_weights_equal_dropping_rows(cancer):
    X, y = cancer
    weight = np.where(np.arange(len(y)) % 3 == 0, 0.0, 1.0)
    weighted = RuleListClassifier(max_rules=3).fit(X, y, sample_weight=weight)
    dropped = RuleListClassifier(max_rules=3).fit(X[weight > 0], y[weight > 0])
    assert weighted.rules_ == dropped.rules_
    np.testing.assert_allclose(weighted.predict_proba(X), dropped.predict_proba(X))


@pytest.mark.parametrize("shrinkage", ["hierarchical", "laplace", None])
def test_shrinkage_of_a_one_rule_list_in_closed_form(shrinkage):
    X, y = planted(n=500, seed=4)
    rng = np.random.default_rng(0)
    y = np.where((y == "high") ^ (rng.uniform(size=len(y)) < 0.1), 1, 0)  # 10% noise
    model = RuleListClassifier(max_rules=1, shrinkage=shrinkage, shrinkage_strength=25.0).fit(X, y)
    rule = model.apply(X)
    counts = np.array([np.bincount(y[rule == r], minlength=2) for r in (0, 1)], dtype=float)
    n_rule, n = counts.sum(axis=1), len(y)
    root = counts.sum(axis=0) / n
    raw = counts / n_rule[:, None]
    if shrinkage == "hierarchical":
        expected = root + (raw - root) / (1 + 25.0 / n)
    elif shrinkage == "laplace":
        expected = (counts + 25.0 * root) / (n_rule[:, None] + 25.0)
    else:
        expected = raw
    np.testing.assert_allclose(model.rule_proba_, expected, rtol=1e-12)
    np.testing.assert_allclose(model.rule_proba_.sum(axis=1), 1.0)


def test_penguins_multiclass_with_categoricals_and_missing(penguins):
    X, y = penguins
    model = RuleListClassifier(max_rules=4).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3) and list(model.classes_) == ["Adelie", "Chinstrap", "Gentoo"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == y).mean() > 0.9
    for j, op in zip(model.conditions_.feature, model.conditions_.op):
        is_categorical = X.columns[j] in ("island", "sex")  # never compared as numbers
        assert op in ({"==", "!=", "missing"} if is_categorical else {"<=", ">", "missing"})
    assert any(X.columns[j] in ("island", "sex") for j in model.conditions_.feature)
    assert not np.isnan(model.predict_proba(X[X.isna().any(axis=1)])).any()


# -- explanations ------------------------------------------------------------------------
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n_classes=st.integers(2, 4), max_conditions=st.integers(1, 3))
def test_local_contributions_add_up_to_predict_proba(seed, n_classes, max_conditions):
    X, y = mixed(n=150, seed=seed, n_classes=n_classes)
    model = RuleListClassifier(max_rules=4, max_conditions=max_conditions).fit(X, y)
    exp = model.explain(X)
    assert exp.values.shape == (len(y), X.shape[1], n_classes)
    np.testing.assert_allclose(exp.output(), model.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(exp.base_values, np.broadcast_to(model.rule_proba_[-1], exp.base_values.shape))
    rule = model.apply(X)
    np.testing.assert_array_equal(exp.values[rule == len(model.rules_)], 0.0)
    for r, conds in enumerate(model.rule_conditions_):
        columns = np.unique(model.conditions_.feature[conds])
        values = exp.values[rule == r]  # (rows, p, K)
        others = np.setdiff1d(np.arange(X.shape[1]), columns)
        np.testing.assert_array_equal(values[:, others], 0.0)
        share = (model.rule_proba_[r] - model.rule_proba_[-1]) / len(columns)
        np.testing.assert_allclose(values[:, columns], np.broadcast_to(share, values[:, columns].shape), atol=1e-15)


def test_global_importance_is_the_mean_absolute_contribution(penguins):
    X, y = penguins
    model = RuleListClassifier(max_rules=4).fit(X, y)
    global_ = model.explain()
    assert global_.values.shape == (X.shape[1], 3) and not global_.is_local
    assert list(global_.feature_names) == list(X.columns) and list(global_.output_names) == list(model.classes_)
    np.testing.assert_allclose(global_.values, model.explain(X).mean_abs().values, atol=1e-15)
    unused = [j for j in range(X.shape[1]) if j not in set(model.conditions_.feature)]
    np.testing.assert_array_equal(global_.values[unused], 0.0)


# -- exports -----------------------------------------------------------------------------
def sql_predictions(model, frame):
    with sqlite3.connect(":memory:") as connection:
        frame.to_sql("training rows", connection, index=False)  # NaN and None become NULL
        return pd.read_sql(model.to_sql(table="training rows"), connection)


def python_predictions(model, frame):
    namespace = {}
    exec(model.to_python(), namespace)  # noqa: S102 - the exported module under test
    rows = frame.to_dict("records")
    return np.array([namespace["predict_proba"](row) for row in rows]), np.array(
        [namespace["predict"](row) for row in rows], dtype=object
    )


@pytest.mark.parametrize("data", ["penguins", "mixed", "cancer"])
def test_sql_and_python_exports_predict_like_the_model(data, penguins, cancer):
    X, y = {"penguins": penguins, "mixed": mixed(n=400, seed=7), "cancer": cancer}[data]
    model = RuleListClassifier(max_rules=5, max_conditions=3).fit(X, y)
    proba, label = model.predict_proba(X), model.predict(X)

    out = sql_predictions(model, X)
    assert list(out.columns) == [f"proba_{c}" for c in model.classes_] + ["prediction"]
    np.testing.assert_allclose(out.iloc[:, :-1].to_numpy(), proba, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(out["prediction"].to_numpy(), label)

    python_proba, python_label = python_predictions(model, X)
    np.testing.assert_allclose(python_proba, proba, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(python_label, label)
    assert "glassbox" not in model.to_python().split('"""', 2)[2]  # no import of the library


def test_python_export_reads_none_as_missing(penguins):
    X, y = penguins
    model = RuleListClassifier(max_rules=4).fit(X, y)
    namespace = {}
    exec(model.to_python(), namespace)  # noqa: S102
    row = {name: None for name in X.columns}
    np.testing.assert_allclose(namespace["predict_proba"](row), model.predict_proba(X.iloc[[0]].map(lambda v: np.nan))[0])


# -- bad input ---------------------------------------------------------------------------
def test_a_single_class_is_a_clear_error():
    X, _ = planted(n=50)
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class: 'only'."):
        RuleListClassifier().fit(X, np.full(50, "only"))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_rules": 0}, "'max_rules' parameter of RuleListClassifier must be an int in the range"),
        ({"min_support": 1.5}, "'min_support' parameter"),
        ({"shrinkage": "ridge"}, "'shrinkage' parameter"),
        ({"max_bins": 1}, "'max_bins' parameter"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X, y = planted(n=50)
    with pytest.raises(InvalidParameterError, match=match):
        RuleListClassifier(**params).fit(X, y)


def test_constant_and_all_missing_columns_give_no_condition(cancer):
    X, y = cancer
    padded = X.assign(constant=1.0, empty=np.nan, one_level="a", no_level=pd.Series([None] * len(X), dtype=object))
    model = RuleListClassifier(max_rules=3).fit(padded, y)
    reference = RuleListClassifier(max_rules=3).fit(X, y)
    assert model._feature_schema.is_categorical[-2]  # a categorical column with one level
    assert not set(range(X.shape[1], X.shape[1] + 4)) & set(model.conditions_.feature)
    assert model.rules_ == reference.rules_
    np.testing.assert_array_equal(model.predict_proba(padded), reference.predict_proba(X))


def test_min_support_above_half_the_weight_warns_and_keeps_the_default_rule():
    X, y = planted(n=200)
    with pytest.warns(UserWarning, match=r"min_support=101 is more than half the training weight \(200\)"):
        model = RuleListClassifier(min_support=101).fit(X, y)
    assert model.rules_ == [] and model.complexity_ == 0
    np.testing.assert_allclose(model.predict_proba(X), np.tile(model.rule_proba_[-1], (len(X), 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert RuleListClassifier(min_support=100).fit(X, y).complexity_ > 0  # half is allowed


def test_a_column_missing_but_on_one_row_is_never_a_condition_of_fewer_rows_than_min_support():
    X, y = planted(n=300)
    lonely = np.full(len(X), np.nan)
    lonely[np.flatnonzero(y == "high")[0]] = 4.0  # a one-row signal
    padded = X.assign(lonely=lonely, lonely_cat=np.where(np.isnan(lonely), None, "x"))
    model = RuleListClassifier(max_rules=8, min_support=2).fit(padded, y)
    assert not {X.shape[1], X.shape[1] + 1} & set(model.conditions_.feature.tolist())
    assert model.rules_ == RuleListClassifier(max_rules=8, min_support=2).fit(X, y).rules_
    assert model.rule_support_.min() >= 2


def test_unseen_category_satisfies_no_condition_on_its_column():
    X, y = planted()
    model = RuleListClassifier(max_rules=2, shrinkage=None).fit(X, y)
    rows = pd.DataFrame(
        {"a": [1.0, 8.0], "b": [0.0, 0.0], "c": [0.0, 0.0], "colour": ["purple", "purple"], "noise": [0.0, 0.0]}
    )
    # "b <= 1.5 AND colour = red" cannot hold for purple: the first row reaches the default rule.
    np.testing.assert_array_equal(model.apply(rows), [2, 0])
    np.testing.assert_array_equal(model.predict(rows), ["low", "high"])
    np.testing.assert_allclose(model.explain(rows).output(), model.predict_proba(rows), atol=1e-12)
    out = sql_predictions(model, rows)
    np.testing.assert_array_equal(out["prediction"].to_numpy(), ["low", "high"])
    np.testing.assert_array_equal(python_predictions(model, rows)[1], ["low", "high"])


def test_columns_in_another_order_are_matched_by_name(penguins):
    X, y = penguins
    model = RuleListClassifier(max_rules=4).fit(X, y)
    shuffled = X[list(X.columns[::-1])]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X.drop(columns="island").assign(other=1.0))


# -- scikit-learn tools ------------------------------------------------------------------
def test_grid_search_over_max_rules(cancer):
    X, y = cancer
    search = GridSearchCV(RuleListClassifier(), {"max_rules": [1, 4]}, cv=3, scoring="roc_auc").fit(X, y)
    assert search.best_params_ == {"max_rules": 4}  # one rule ranks far worse
    assert complexity(search) == search.best_estimator_.complexity_ <= 8
    scores = cross_val_score(RuleListClassifier(max_rules=4), X, y, cv=3, scoring="roc_auc")
    np.testing.assert_allclose(search.cv_results_["mean_test_score"][1], scores.mean())


def test_pipeline_equals_fitting_on_the_transformed_rows(cancer):
    X, y = cancer
    pipe = Pipeline([("scale", StandardScaler()), ("rules", RuleListClassifier(max_rules=3))]).fit(X, y)
    scaled = StandardScaler().fit_transform(X)
    alone = RuleListClassifier(max_rules=3).fit(scaled, y)
    np.testing.assert_array_equal(pipe.predict_proba(X), alone.predict_proba(scaled))
    assert complexity(pipe) == alone.complexity_
    clone(pipe).fit(X, y)  # unfitted clones refit


@pytest.mark.parametrize("insert", [True, False])
def test_local_search_scores_a_change_by_the_likelihood_of_the_whole_list(insert):
    from glassbox.models._rule_search import _RuleListSearch

    X, y = mixed(n=300, seed=11)
    X_encoded, schema = encoded(X)
    weight = np.ones(len(y))
    space = _CandidateSpace.build(X_encoded, weight > 0, schema, max_bins=6)
    search = _RuleListSearch(space, y, weight, 3, max_rules=6, max_conditions=2, min_support=5.0, beam_width=1)
    m = len(space)
    rules = search._alive([(0,), (m // 2, m - 1), (m // 3,)])

    def supports(rules):
        return np.bincount(search.first_firing(rules), minlength=len(rules) + 1)

    def loglik(rules):  # directly from the class counts of every rule's rows
        first = search.first_firing(rules)
        counts = np.array([np.bincount(y[first == r], minlength=3) for r in range(len(rules) + 1)], dtype=float)
        return _log_likelihood(counts).sum()

    for position in range(len(rules) + insert):
        def changed(rule, position=position):
            return rules[:position] + [rule] + rules[position + (not insert) :]

        gain, rule = search._best_rule_at(rules, position, insert=insert, longest=2)
        if rule is not None:
            np.testing.assert_allclose(gain, loglik(changed(rule)) - loglik(rules), rtol=1e-9)
            assert gain > 0
        # Every single condition is scored: none allowed by min_support does better.
        for i in range(m):
            support = supports(changed((i,)))
            if support[position] >= 5 and support[-1] >= 5 and ((support >= 5) | (support == 0)).all():
                assert loglik(changed((i,))) - loglik(rules) <= gain + 1e-9


def test_pairs_grow_from_single_conditions_when_the_joint_histogram_is_too_large(monkeypatch, cancer):
    import glassbox.models._rule_search as rules_module

    X, y = cancer
    exhaustive = RuleListClassifier(max_rules=1).fit(X, y)
    monkeypatch.setattr(rules_module, "_MAX_PAIR_CELLS", 0)
    grown = RuleListClassifier(max_rules=1).fit(X, y)
    assert len(grown.rule_conditions_[0]) <= 2
    assert grown.rule_gain_[0] <= exhaustive.rule_gain_[0] + 1e-9  # exhaustive pairs are the best pairs
    assert grown.rule_gain_[0] > 0
