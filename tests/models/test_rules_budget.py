"""RuleListClassifier under a budget of conditions over all rules (``max_complexity``):
the list found against brute force over every list within the budget."""

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


def brute_force(X, y, budget, max_conditions=2):
    """The best training log-likelihood over every list of rules of at most
    ``max_conditions`` conditions ``x = 0`` or ``x = 1`` and ``budget`` conditions in all."""
    values = X.to_numpy()
    conditions = [values[:, j] == v for j in range(values.shape[1]) for v in (0.0, 1.0)]
    rules = [(len(c), np.logical_and.reduce([conditions[i] for i in c]))
             for size in range(1, max_conditions + 1) for c in itertools.combinations(range(len(conditions)), size)]
    best = loglik(np.zeros(len(y), dtype=int), y, 1)

    def extend(first, n_rules, left):
        nonlocal best
        best = max(best, loglik(first, y, n_rules + 1))
        for size, holds in rules:
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
