"""Cost-complexity pruning of a rule list, its strength chosen by cross-validation.

A list found within a budget of conditions fits the training rows as well as the budget
allows; its later rules may fit groups of a few rows. As CART's weakest-link pruning
(Breiman et al. 1984; ``cp`` in rpart), the list is pruned by dropping, one at a time,
the rule whose removal loses the least training log-likelihood per condition removed:
this gives a sequence of shorter lists and, for each, the penalty per condition
``alpha`` from which it is the best of the sequence. The penalty is chosen on held-out
rows: the search runs again on each of ``n_folds`` folds' complement, the fold's list is
pruned at each candidate penalty, and the penalty whose lists predict their held-out
rows best (log-likelihood, with the probabilities the model would predict) prunes the
list of all rows. The same cross-validation can instead choose the budget of conditions
itself among a few, the list of all rows being then searched within it.
"""

from __future__ import annotations

import numpy as np

from ._rule_search import _first_true, _log_likelihood

__all__ = ["cross_validated_budget", "cross_validated_pruning", "pruned_at", "pruning_path", "rule_holds_matrix"]


def _fold_of(labels, n_folds):
    """A fold per row: the rows of each class dealt in turn, so every fold has the class
    shares of the whole (deterministic, no shuffling)."""
    fold = np.empty(len(labels), dtype=np.intp)
    for k in np.unique(labels):
        rows = np.flatnonzero(labels == k)
        fold[rows] = np.arange(len(rows)) % n_folds
    return fold


def pruning_path(holds, labels, weight, n_classes, rules):
    """Weakest-link pruning of ``rules`` on training rows.

    ``holds`` (n_samples, n_rules) says which rows satisfy each rule. Returns
    ``(alphas, kept)``: ``kept[j]`` the positions of the rules of the ``j``-th list of the
    sequence (the full list first, the empty list last) and ``alphas[j]`` the penalty per
    condition from which that list is the one kept, non-decreasing (``alphas[0] = 0``).

    Dropping rule ``i`` sends the rows it captured to the next rule they satisfy, so the
    loss of every removal comes from one count of rows by (first, second) rule that
    holds; a rule left capturing nothing is dropped with it.
    """
    lengths = np.asarray([len(rule) for rule in rules], dtype=float)
    kept, alphas = [np.arange(len(rules))], [0.0]
    while len(kept[-1]):
        current = kept[-1]
        n_rules = len(current)
        sub = holds[:, current]
        first = _first_true(sub, n_rules, len(labels))
        later = sub.copy()
        later[np.arange(len(labels)), np.minimum(first, n_rules - 1)] &= first >= n_rules
        second = _first_true(later, n_rules, len(labels))  # the next rule each row satisfies
        cells = n_rules + 1
        index = ((first * cells) + second) * n_classes + labels
        moved = np.bincount(index, weight, minlength=cells * cells * n_classes).reshape(cells, cells, n_classes)
        counts = moved.sum(axis=1)  # (cells, K): the list's own cells
        # after[i, j]: counts of cell j once rule i is dropped; (n_rules, cells, K)
        after = counts[None, :, :] + moved[:n_rules]
        after[np.arange(n_rules), np.arange(n_rules)] = 0.0
        loss = _log_likelihood(counts).sum() - _log_likelihood(after).sum(axis=1)  # (n_rules,)
        alive = after[:, :n_rules].sum(axis=2) > 0  # (n_rules, n_rules)
        alive[np.arange(n_rules), np.arange(n_rules)] = False
        removed = lengths[current].sum() - alive.astype(float) @ lengths[current]
        drop = int(np.argmin(np.maximum(loss, 0.0) / removed))
        alphas.append(max(alphas[-1], max(float(loss[drop]), 0.0) / removed[drop]))
        kept.append(current[alive[drop]])
    return np.asarray(alphas), kept


def _heldout_loglik(holds_train, holds_test, kept, train, test, n_classes, probabilities):
    """Held-out log-likelihood of each list of a pruning sequence, shape (len(kept),).

    ``train`` and ``test`` are ``(labels, weight)`` pairs; ``probabilities`` maps the
    weighted class counts of a list's cells (n_rules + 1, K) to its predictions.
    """
    (y_train, w_train), (y_test, w_test) = train, test
    out = np.empty(len(kept))
    for j, rules in enumerate(kept):
        cells = len(rules) + 1
        first = _first_true(holds_train[:, rules], len(rules), len(y_train))
        counts = np.bincount(first * n_classes + y_train, w_train, minlength=cells * n_classes).reshape(cells, -1)
        proba = probabilities(counts)
        test_first = _first_true(holds_test[:, rules], len(rules), len(y_test))
        out[j] = float(w_test @ np.log(np.clip(proba[test_first, y_test], 1e-15, 1.0)))
    return out


def rule_holds_matrix(rule_holds, rules, n_rows):
    """Which rows satisfy each of ``rules``, shape (n_rows, len(rules))."""
    if not rules:
        return np.zeros((n_rows, 0), dtype=bool)
    return np.column_stack([rule_holds(rule) for rule in rules])


def pruned_at(alphas, kept, alpha):
    """The list of the sequence kept at penalty ``alpha``."""
    return kept[int(np.searchsorted(alphas, alpha, side="right")) - 1]


def cross_validated_pruning(fit_rules, rule_holds, labels, weight, n_classes, rules, probabilities, *, n_folds):
    """Positions of the rules of ``rules`` kept by pruning at the penalty chosen by
    cross-validation, and that penalty.

    ``fit_rules(rows)`` runs the search on the training rows ``rows`` and returns its
    rules; ``rule_holds(rule)`` says which training rows satisfy a rule; ``probabilities``
    maps the weighted class counts of a list's cells to its predictions. The candidate
    penalties are the geometric means of consecutive penalties of the full list's path
    (as rpart does); the one of highest held-out log-likelihood summed over the folds is
    chosen, the smallest among ties.
    """
    alphas, kept = pruning_path(rule_holds_matrix(rule_holds, rules, len(labels)), labels, weight, n_classes, rules)
    # Each list of the path is kept for penalties in [alphas[j], alphas[j + 1]): the
    # geometric mean stands for that range, and infinity for the last (the empty list).
    upper = np.append(alphas[1:], np.inf)
    candidates = np.unique(np.where(np.isinf(upper), np.inf, np.sqrt(alphas * upper)))
    total = np.zeros(len(candidates))
    fold = _fold_of(labels, n_folds)
    for v in range(n_folds):
        train, test = np.flatnonzero(fold != v), np.flatnonzero(fold == v)
        fold_rules = fit_rules(train)
        holds = rule_holds_matrix(rule_holds, fold_rules, len(labels))
        fold_alphas, fold_kept = pruning_path(holds[train], labels[train], weight[train], n_classes, fold_rules)
        loglik = _heldout_loglik(holds[train], holds[test], fold_kept, (labels[train], weight[train]),
                                 (labels[test], weight[test]), n_classes, probabilities)
        total += loglik[np.searchsorted(fold_alphas, candidates, side="right") - 1]
    alpha = float(candidates[int(np.argmax(total))])
    return pruned_at(alphas, kept, alpha), alpha


def cross_validated_budget(fit_rules, rule_holds, labels, weight, n_classes, budgets, probabilities, *, n_folds):
    """The budget of conditions, among ``budgets``, whose lists predict held-out rows best.

    ``fit_rules(rows, budget)`` runs the search on the training rows ``rows`` within
    ``budget`` conditions and returns its rules. Each fold's complement is searched at
    every budget and its list scored by the log-likelihood of the fold's rows (with the
    probabilities the model would predict); the budget of highest sum over the folds is
    returned, the smallest among ties.
    """
    total = np.zeros(len(budgets))
    fold = _fold_of(labels, n_folds)
    for v in range(n_folds):
        train, test = np.flatnonzero(fold != v), np.flatnonzero(fold == v)
        for b, budget in enumerate(budgets):
            rules = fit_rules(train, budget)
            holds = rule_holds_matrix(rule_holds, rules, len(labels))
            total[b] += _heldout_loglik(holds[train], holds[test], [np.arange(len(rules))],
                                        (labels[train], weight[train]), (labels[test], weight[test]), n_classes,
                                        probabilities)[0]
    return budgets[int(np.argmax(total))]
