"""Pruning a rule list (``pruning``): the weakest-link sequence against brute force, the
penalty chosen by cross-validation on noise and signal, and the budget chosen by
cross-validation against a cross-validation written with the public estimator."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import xlogy

from glassbox.models import RuleListClassifier
from glassbox.models._rule_pruning import pruning_path


def loglik(first, y, weight, n_groups, n_classes):
    """Weighted training log-likelihood of the groups ``first`` under their own frequencies."""
    counts = np.zeros((n_groups, n_classes))
    np.add.at(counts, (first, y), weight)
    return float((xlogy(counts, counts).sum(axis=1) - xlogy(counts.sum(axis=1), counts.sum(axis=1))).sum())


def first_rule(holds, rules):
    """The first of ``rules`` (columns of ``holds``) each row satisfies, ``len(rules)`` for none."""
    first = np.full(len(holds), len(rules))
    for position in reversed(range(len(rules))):
        first[holds[:, rules[position]]] = position
    return first


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_rules=st.integers(1, 6), n_classes=st.integers(2, 3))
def test_each_step_drops_the_weakest_rule(seed, n_rules, n_classes):
    """Every step of the sequence is, among all single-rule removals (and the rules left
    capturing nothing dropped with it), the one of least log-likelihood lost per
    condition, computed here directly from the rows."""
    rng = np.random.default_rng(seed)
    n = 80
    holds = rng.uniform(size=(n, n_rules)) < rng.uniform(0.1, 0.6, n_rules)
    y = rng.integers(0, n_classes, n)
    weight = rng.choice([0.5, 1.0, 2.0], n)
    lengths = rng.integers(1, 4, n_rules)
    rules = [tuple(range(k)) for k in lengths]  # only their lengths matter here
    alphas, kept = pruning_path(holds, y, weight, n_classes, rules)
    assert list(kept[0]) == list(range(n_rules)) and len(kept[-1]) == 0
    assert alphas[0] == 0.0 and np.all(np.diff(alphas) >= 0)
    for j in range(len(kept) - 1):
        current = list(kept[j])
        base = loglik(first_rule(holds, current), y, weight, len(current) + 1, n_classes)
        costs = []
        for drop in current:
            fewer = [r for r in current if r != drop]
            first = first_rule(holds, fewer)
            fewer = [r for position, r in enumerate(fewer) if weight[first == position].sum() > 0]
            removed = lengths[current].sum() - lengths[fewer].sum()
            loss = base - loglik(first_rule(holds, fewer), y, weight, len(fewer) + 1, n_classes)
            costs.append((max(loss, 0.0) / removed, fewer))
        best = min(cost for cost, _ in costs)
        assert alphas[j + 1] == pytest.approx(max(best, alphas[j]), rel=1e-9, abs=1e-9)
        assert any(list(kept[j + 1]) == fewer and cost <= best + 1e-9 for cost, fewer in costs)


def noisy_signal(seed, n=800, n_noise=3):
    """``x0 > 0`` raises the rate of 1 from 0.2 to 0.6; the other columns are noise."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, n_noise + 1)), columns=[f"x{j}" for j in range(n_noise + 1)])
    y = (rng.uniform(size=n) < np.where(X.x0 > 0, 0.6, 0.2)).astype(int)
    return X, y


def test_a_penalty_prunes_to_the_list_of_the_sequence():
    X, y = noisy_signal(0)
    params = {"max_rules": 12, "max_complexity": 12, "max_bins": 8}
    full = RuleListClassifier(**params).fit(X, y)
    assert full.complexity_ == 12
    no_penalty = RuleListClassifier(**params, pruning=0.0).fit(X, y)
    assert no_penalty.rules_ == full.rules_
    huge = RuleListClassifier(**params, pruning=1e9).fit(X, y)
    assert huge.rules_ == [] and huge.complexity_ == 0
    some = RuleListClassifier(**params, pruning=3.0).fit(X, y)
    assert set(some.rules_) <= set(full.rules_) and 0 < some.complexity_ < 12
    assert [rule for rule in full.rules_ if rule in some.rules_] == some.rules_  # order kept


def test_cross_validation_prunes_noise_away_and_keeps_the_signal():
    """On pure noise the list of 12 conditions is pruned to (almost) nothing; with one
    real effect, the rule on it is kept."""
    rng = np.random.default_rng(1)
    X, _ = noisy_signal(1)
    noise = rng.integers(0, 2, len(X))
    params = {"max_rules": 12, "max_complexity": 12, "max_bins": 8}
    model = RuleListClassifier(**params, pruning="cv").fit(X, noise)
    assert RuleListClassifier(**params).fit(X, noise).complexity_ >= 10
    assert model.complexity_ <= 2
    X, y = noisy_signal(2)
    model = RuleListClassifier(**params, pruning="cv").fit(X, y)
    assert 1 <= model.complexity_ <= 6
    assert "x0" in model.rules_[0]


@pytest.mark.slow
def test_cross_validated_pruning_predicts_held_out_rows_better():
    """A list of 16 conditions on 800 rows with one real effect overfits: pruned by
    cross-validation, its held-out log-likelihood is higher on every one of 3 splits."""
    for seed in range(3):
        X, y = noisy_signal(10 + seed, n=1600)
        train, test = slice(0, 800), slice(800, None)
        scores = []
        for pruning in (None, "cv"):
            model = RuleListClassifier(max_rules=16, max_complexity=16, max_bins=8, pruning=pruning)
            proba = model.fit(X[train], y[train]).predict_proba(X[test])[np.arange(800), y[test]]
            scores.append(np.log(proba).sum())
        assert scores[1] > scores[0] + 1.0


def test_pruning_is_validated():
    X, y = noisy_signal(0, n=200)
    with pytest.raises(ValueError, match="pruning"):
        RuleListClassifier(pruning="bic").fit(X, y)
    with pytest.raises(ValueError, match="pruning"):
        RuleListClassifier(pruning=-1.0).fit(X, y)


def deal_folds(y, n_folds):
    """Rows of each class dealt to the folds in turn."""
    fold = np.empty(len(y), dtype=int)
    for k in np.unique(y):
        rows = np.flatnonzero(y == k)
        fold[rows] = np.arange(len(rows)) % n_folds
    return fold


def binary_cells(seed, rows_per_cell=8, n_columns=4):
    """Every combination of binary columns (the same conditions on any subset of rows),
    labelled 1 with probability 0.7 where ``x0 = 1``, 0.35 elsewhere, each combination
    moved by up to 0.1: on some seeds the held-out rows favour the full budget, on others
    a single condition."""
    rng = np.random.default_rng(seed)
    grid = np.array(list(itertools.product([0.0, 1.0], repeat=n_columns)))
    p = np.where(grid[:, 0] == 1, 0.7, 0.35) + rng.uniform(-0.1, 0.1, len(grid))
    X = pd.DataFrame(np.repeat(grid, rows_per_cell, axis=0), columns=[f"x{j}" for j in range(n_columns)])
    return X, (rng.uniform(size=len(X)) < np.repeat(p, rows_per_cell)).astype(int)


@pytest.mark.parametrize("seed", range(3))
def test_the_budget_chosen_is_the_one_of_best_held_out_likelihood(seed):
    """``pruning="cv_budget"`` equals a cross-validation written with the public
    estimator: every budget fitted on each fold's complement, scored by the held-out
    log-likelihood of ``predict_proba``, and the best budget refitted on all rows."""
    X, y = binary_cells(seed)
    params = {"max_rules": 8, "max_conditions": 2, "min_support": 3}
    fold = deal_folds(y, 3)
    scores = {}
    for budget in (1, 2, 4, 8):
        scores[budget] = 0.0
        for v in range(3):
            train, test = fold != v, fold == v
            model = RuleListClassifier(**params, max_complexity=budget).fit(X[train], y[train])
            scores[budget] += np.log(model.predict_proba(X[test])[np.arange(test.sum()), y[test]]).sum()
    best = max(scores, key=lambda budget: (scores[budget], -budget))
    chosen = RuleListClassifier(**params, max_complexity=8, pruning="cv_budget").fit(X, y)
    expected = RuleListClassifier(**params, max_complexity=best).fit(X, y)
    assert chosen.rules_ == expected.rules_
    np.testing.assert_array_equal(chosen.rule_proba_, expected.rule_proba_)
