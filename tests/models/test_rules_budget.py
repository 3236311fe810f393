"""RuleListClassifier under a budget of conditions over all rules (``max_complexity``):
the list found against brute force over every list within the budget, with and without
the negations ``x != level`` of a categorical column."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.special import xlogy

from glassbox.models import RuleListClassifier

N_COLUMNS = 4


def cells(seed, rows_per_cell=30):
    """Every combination of ``N_COLUMNS`` binary columns, ``rows_per_cell`` rows each,
    labelled 1 with a probability drawn per combination."""
    rng = np.random.default_rng(seed)
    grid = np.array(list(itertools.product([0.0, 1.0], repeat=N_COLUMNS)))  # (16, 4)
    p = rng.beta(0.5, 0.5, len(grid))
    X = np.repeat(grid, rows_per_cell, axis=0)
    y = (rng.uniform(size=len(X)) < np.repeat(p, rows_per_cell)).astype(int)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(N_COLUMNS)]), y


def loglik(first, y, n_groups):
    """Training log-likelihood of the groups ``first`` under their own frequencies."""
    counts = np.stack([np.bincount(y[first == g], minlength=2) for g in range(n_groups)]).astype(float)
    return float((xlogy(counts, counts).sum(axis=1) - xlogy(counts.sum(axis=1), counts.sum(axis=1))).sum())


def with_category(seed, rows_per_cell=20, levels=("a", "b", "c", None), n_binary=3):
    """``n_binary`` binary columns beside a categorical one of ``levels`` (None: missing),
    every combination ``rows_per_cell`` times, labelled 1 with a probability drawn per
    combination."""
    rng = np.random.default_rng(seed)
    grid = list(itertools.product(*[[0.0, 1.0]] * n_binary, levels))
    p = rng.beta(0.5, 0.5, len(grid))
    X = pd.DataFrame([row for row in grid for _ in range(rows_per_cell)],
                     columns=[f"x{j}" for j in range(n_binary)] + ["cat"])
    X["cat"] = X["cat"].astype(object)
    y = (rng.uniform(size=len(X)) < np.repeat(p, rows_per_cell)).astype(int)
    return X, y


def brute_force(X, y, budget, max_conditions=2, rules=None):
    """The best training log-likelihood over every list of rules of at most
    ``max_conditions`` conditions, ``budget`` conditions in all and at most ``rules``
    rules (``None``: no limit but the budget): ``x = 0`` or ``x = 1``
    of a binary column; ``x = level``, ``x != level`` (which holds for a missing value when
    the column has some: the complement of ``x = level``) and ``x is missing`` of a
    categorical column."""
    conditions = []
    for name in X.columns:
        column = X[name]
        if column.dtype == object:
            for level in column.dropna().unique():
                conditions += [column == level, column != level]  # pandas: None != level
            conditions.append(column.isna())
        else:
            conditions += [column.to_numpy() == v for v in (0.0, 1.0)]
    conditions = [np.asarray(c, dtype=bool) for c in conditions]
    rules_ = [(len(c), np.logical_and.reduce([conditions[i] for i in c]))
              for size in range(1, max_conditions + 1) for c in itertools.combinations(range(len(conditions)), size)]
    best = loglik(np.zeros(len(y), dtype=int), y, 1)
    max_rules = budget if rules is None else rules

    def extend(first, n_rules, left):
        nonlocal best
        best = max(best, loglik(first, y, n_rules + 1))
        if n_rules == max_rules:
            return
        for size, holds in rules_:
            if size <= left:
                new = np.where((first == n_rules) & holds, n_rules, first)
                new[new == n_rules] = np.where(holds[new == n_rules], n_rules, n_rules + 1)
                extend(new, n_rules + 1, left - size)

    extend(np.zeros(len(y), dtype=int), 0, budget)
    return best


def fitted_loglik(model, X, y):
    return loglik(model.apply(X), y, len(model.rules_) + 1)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("budget", [2, 3])
def test_the_list_is_the_most_likely_within_the_budget_of_conditions(seed, budget):
    X, y = cells(seed)
    model = RuleListClassifier(max_rules=budget, max_complexity=budget, min_support=1, shrinkage=None).fit(X, y)
    assert model.complexity_ <= budget
    assert all(len(conds) <= 2 for conds in model.rule_conditions_)
    np.testing.assert_allclose(fitted_loglik(model, X, y), brute_force(X, y, budget), rtol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_with_negations_the_one_rule_is_the_most_likely(seed):
    """Every rule of one or two conditions is scored: a list of one rule is exact."""
    X, y = with_category(seed)
    model = RuleListClassifier(max_rules=1, min_support=1, shrinkage=None, negations=True).fit(X, y)
    np.testing.assert_allclose(fitted_loglik(model, X, y), brute_force(X, y, 2, rules=1), rtol=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("budget", [2, 3])
def test_with_negations_a_wide_beam_finds_the_most_likely_list(seed, budget):
    """On a small table (two binary columns, a category of levels a, b and missing) a
    wide beam finds the best list within the budget, negations included."""
    X, y = with_category(seed, levels=("a", "b", None), n_binary=2)
    model = RuleListClassifier(max_rules=budget, max_complexity=budget, min_support=1, shrinkage=None,
                               beam_width=16, negations=True).fit(X, y)
    assert model.complexity_ <= budget
    np.testing.assert_allclose(fitted_loglik(model, X, y), brute_force(X, y, budget), rtol=1e-9)


def test_two_single_conditions_beat_one_rule_of_two():
    """Rows where ``x0 = 1`` are mostly 1 and, among the others, ``x1 = 1`` mostly 0:
    two rules of one condition (three groups) are the best list of two conditions,
    which a list of one rule of two conditions cannot be."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(0, 2, size=(2000, 2)).astype(float), columns=["x0", "x1"])
    p = np.where(X.x0 == 1, 0.9, np.where(X.x1 == 1, 0.1, 0.5))
    y = (rng.uniform(size=len(X)) < p).astype(int)
    budgeted = RuleListClassifier(max_rules=2, max_complexity=2, min_support=1, shrinkage=None).fit(X, y)
    one_rule = RuleListClassifier(max_rules=1, max_conditions=2, min_support=1, shrinkage=None).fit(X, y)
    assert [len(conds) for conds in budgeted.rule_conditions_] == [1, 1]
    np.testing.assert_allclose(fitted_loglik(budgeted, X, y), brute_force(X, y, 2), rtol=1e-9)
    assert fitted_loglik(budgeted, X, y) > fitted_loglik(one_rule, X, y) + 10.0


@pytest.mark.parametrize("max_complexity", [1, 3, 5])
def test_the_budget_of_conditions_is_exact(max_complexity):
    X, y = cells(1, rows_per_cell=20)
    model = RuleListClassifier(max_rules=8, max_complexity=max_complexity, min_support=1).fit(X, y)
    assert model.complexity_ <= max_complexity
    assert len(model.rules_) <= 8


def test_a_budget_that_does_not_bind_changes_nothing():
    X, y = cells(2)
    free = RuleListClassifier(max_rules=3).fit(X, y)
    loose = RuleListClassifier(max_rules=3, max_complexity=6).fit(X, y)
    assert loose.rules_ == free.rules_
    np.testing.assert_array_equal(loose.rule_proba_, free.rule_proba_)
