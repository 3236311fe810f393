"""The model search of a report: transparent families at several budgets and a black box,
cross-validated on the same folds, one candidate at a time with its progress logged.

The chosen model is the simplest *transparent* candidate within one standard error of
the best transparent one: the black box is the reference the reader compares with,
never the answer.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate

from .._core import format_duration
from ..metrics import complexity_scorer, simplest_within

__all__ = [
    "black_box",
    "candidates",
    "choose",
    "cross_validate_candidates",
    "describe",
    "family",
    "metric_words",
    "refit",
]

_METRIC_WORDS = {"roc_auc": "ROC AUC", "roc_auc_ovr": "ROC AUC (one against the rest)", "r2": "R²"}


def metric_words(metric):
    """A scoring name as a reader says it: ``"roc_auc"`` is ``"ROC AUC"``."""
    return _METRIC_WORDS.get(metric, metric.replace("_", " "))


def candidates(task, random_state, n_features):
    """The transparent model families and budgets the report searches over, then the black box."""
    from ..models import (
        AdditiveClassifier,
        AdditiveRegressor,
        RuleListClassifier,
        SparseLinearClassifier,
        SparseLinearRegressor,
        TreeClassifier,
        TreeRegressor,
    )

    if task == "classification":
        models = [SparseLinearClassifier(max_features=k) for k in (1, 2, 4, 8) if k <= n_features]
        models += [TreeClassifier(max_leaf_nodes=k, random_state=random_state) for k in (2, 4, 8, 16)]
        models += [RuleListClassifier(max_rules=k) for k in (1, 2, 4, 8)]
        models += [AdditiveClassifier(random_state=random_state)]
    else:
        models = [SparseLinearRegressor(max_features=k) for k in (1, 2, 4, 8) if k <= n_features]
        models += [TreeRegressor(max_leaf_nodes=k, random_state=random_state) for k in (2, 4, 8, 16)]
        models += [AdditiveRegressor(random_state=random_state)]
    return models + [black_box(task, random_state)]


def black_box(task, random_state):
    """The reference: gradient-boosted trees that read categorical columns as they are."""
    kind = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return kind(categorical_features="from_dtype", random_state=random_state)


def cross_validate_candidates(X, y, task, cv, random_state, log=None):
    """Cross-validate every candidate on the same folds.

    Returns the metric's name and a ``cv_results_``-like mapping (``params`` with a
    ``model`` each, ``mean_test_<metric>``, ``std_test_<metric>``,
    ``split<k>_test_<metric>`` and the same for ``complexity``) that
    :func:`~glassbox.metrics.simplest_within` and the trade-off display read. Each
    candidate's start is logged to ``log`` (the report's progress logger; nothing when
    ``None``) with the time left, estimated from the time spent.
    """
    if task == "classification":
        metric = "roc_auc" if y.nunique() == 2 else "roc_auc_ovr"
        folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    else:
        metric, folds = "r2", KFold(cv, shuffle=True, random_state=random_state)
    models = candidates(task, random_state, X.shape[1])
    log = Silent() if log is None else log
    scores = {metric: [], "complexity": []}
    start = time.monotonic()
    for k, model in enumerate(models):
        spent = time.monotonic() - start
        left = f", about {format_duration(spent / k * (len(models) - k))} left" if k else ""
        log.info("cross-validating %d/%d: %s (%d folds, %d rows)%s", k + 1, len(models), describe(model), cv,
                 len(X), left)
        result = cross_validate(model, X, y, cv=folds, scoring={metric: metric, "complexity": complexity_scorer},
                                error_score="raise")
        for name in scores:
            scores[name].append(result[f"test_{name}"])
    results = {"params": [{"model": model} for model in models]}
    for name, values in scores.items():
        values = np.asarray(values, dtype=float)  # (n_candidates, n_splits)
        results[f"mean_test_{name}"] = values.mean(axis=1)
        results[f"std_test_{name}"] = values.std(axis=1)
        for split in range(values.shape[1]):
            results[f"split{split}_test_{name}"] = values[:, split]
    log.info("cross-validated %d candidates in %s", len(models), format_duration(time.monotonic() - start))
    return metric, results


def choose(cv_results, metric):
    """Index of the simplest transparent candidate within one standard error of the best
    transparent one; the black box (the last candidate) is never chosen."""
    transparent = [k for k, params in enumerate(cv_results["params"]) if family(params["model"]) != "black box"]
    subset = {key: (np.asarray(value)[transparent] if key != "params" else [value[k] for k in transparent])
              for key, value in cv_results.items()}
    return transparent[simplest_within(metric)(subset)]


def refit(cv_results, index, X, y):
    """The candidate ``index`` fitted on ``X, y``."""
    return clone(cv_results["params"][index]["model"]).fit(X, y)


def family(model):
    """The family of a candidate, as the report names it."""
    name = type(model).__name__
    for prefix in ("SparseLinear", "Tree", "RuleList", "Additive", "HistGradientBoosting"):
        if name.startswith(prefix):
            return {"HistGradientBoosting": "black box"}.get(prefix, prefix)
    return name


def describe(model):
    """A candidate's class with its budget: ``TreeClassifier(max_leaf_nodes=8)``."""
    budget = {k: v for k, v in model.get_params(deep=False).items() if k in ("max_features", "max_leaf_nodes", "max_rules")}
    if family(model) == "black box":
        budget = {}
    return f"{type(model).__name__}({', '.join(f'{k}={v}' for k, v in budget.items())})"


class Silent:
    """A progress log that says nothing (the report without ``verbose``)."""

    def info(self, *args):
        pass
