"""RuleListClassifier's ``x != level`` conditions on categorical columns: what they hold
on (other levels, unseen levels, missing values), that a planted negation is found in one
rule, and that the text, SQL and Python exports route every row as ``predict`` does."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from glassbox.models import RuleListClassifier


def titanic_like(n=3000, seed=0, missing=True):
    """Survival planted as ``sex = female AND cls != third``; ``cls`` has missing values
    when ``missing``, ``port`` none."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n),
        "cls": pd.Series(rng.choice(["first", "second", "third"], n, p=[0.25, 0.25, 0.5]), dtype=object),
        "port": rng.choice(["C", "Q", "S"], n),
        "age": rng.uniform(0, 80, n),
    })
    if missing:
        X.loc[rng.uniform(size=n) < 0.1, "cls"] = None
    p = np.where((X.sex == "female") & (X.cls != "third"), 0.95, 0.1)  # a missing class is not "third"
    y = (rng.uniform(size=n) < p).astype(int)
    return X, y


def sql_proba(model, frame):
    with sqlite3.connect(":memory:") as connection:
        frame.to_sql("rows", connection, index=False)  # NaN and None become NULL
        return pd.read_sql(model.to_sql(table="rows"), connection).iloc[:, :-1].to_numpy()


def python_proba(model, frame):
    namespace = {}
    exec(model.to_python(), namespace)  # noqa: S102 - the exported module under test
    return np.array([namespace["predict_proba"](row) for row in frame.to_dict("records")])


def test_a_planted_negation_is_one_rule_of_two_conditions():
    X, y = titanic_like()
    model = RuleListClassifier(max_rules=1, max_conditions=2, negations=True).fit(X, y)
    assert model.rules_ == ["sex = female AND (cls != third or cls is missing)"]
    without = RuleListClassifier(max_rules=1, max_conditions=2).fit(X, y)  # the default: no negations
    assert "!=" not in without.rules_[0]
    assert set(without.conditions_.op) <= {"<=", ">", "==", "missing"}
    # One rule with the negation fits better than the best rule without it.
    assert model.rule_gain_[0] > without.rule_gain_[0] + 50.0


@pytest.mark.parametrize("missing", [True, False])
def test_not_equal_holds_on_other_and_unseen_levels_and_on_missing_as_learnt(missing):
    """Where the column had missing values at fit, ``!=`` is the exact complement of
    ``=`` (missing values included); where it had none, a missing value satisfies neither."""
    X, y = titanic_like(missing=missing)
    model = RuleListClassifier(max_rules=1, max_conditions=2, shrinkage=None, negations=True).fit(X, y)
    (negation,) = np.flatnonzero(model.conditions_.op == "!=")
    assert model.conditions_.missing[negation] == missing
    rows = pd.DataFrame({"sex": ["female"] * 5, "cls": ["first", "second", "third", "fourth", None],
                         "port": ["S"] * 5, "age": [30.0] * 5})
    # "fourth" was never seen: it is not "third"; a missing class is "not third" only if learnt.
    np.testing.assert_array_equal(model.apply(rows), [0, 0, 1, 0, 0 if missing else 1])
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(sql_proba(model, rows), proba, rtol=0, atol=1e-9)
    np.testing.assert_allclose(python_proba(model, rows), proba, rtol=0, atol=1e-9)
    expected = "(cls != third or cls is missing)" if missing else "cls != third"
    assert model.rules_ == [f"sex = female AND {expected}"]
    assert model.to_text().splitlines()[0].startswith(f"IF sex = female AND {expected} THEN")


@pytest.mark.parametrize("seed", range(3))
def test_exports_equal_predict_with_negations_on_random_rows(seed):
    """Long lists on noisy data, read on rows with missing values and unseen levels in
    every column."""
    X, _ = titanic_like(n=1500, seed=seed)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, len(X))
    y[(X.cls != "second").to_numpy() & (X.port != "Q").to_numpy()] = 2
    model = RuleListClassifier(max_rules=6, max_conditions=3, min_support=5, negations=True).fit(X, y)
    assert (model.conditions_.op == "!=").any()
    rows = X.sample(200, random_state=seed).reset_index(drop=True)
    for column, odd in (("sex", "other"), ("cls", "fourth"), ("port", "X")):
        rows.loc[rng.uniform(size=len(rows)) < 0.15, column] = odd
        rows.loc[rng.uniform(size=len(rows)) < 0.15, column] = None
    rows.loc[rng.uniform(size=len(rows)) < 0.15, "age"] = np.nan
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(sql_proba(model, rows), proba, rtol=0, atol=1e-9)
    np.testing.assert_allclose(python_proba(model, rows), proba, rtol=0, atol=1e-9)


def test_two_valued_columns_get_no_negation():
    """On a column of two values ``x != a`` is ``x = b``: it is not offered again."""
    X, y = titanic_like(missing=False)
    model = RuleListClassifier(max_rules=8, min_support=1, negations=True).fit(X[["sex", "age"]], y)
    assert "!=" not in set(model.conditions_.op)
