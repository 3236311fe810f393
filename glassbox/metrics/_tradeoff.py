"""Accuracy against interpretability with the tools users already know.

- :func:`complexity_scorer` puts complexity into multi-metric ``scoring``;
- :func:`simplest_within` is a ``refit`` callable for GridSearchCV choosing the least
  complex candidate within one standard error of the best (Breiman et al. 1984;
  Hastie, Tibshirani & Friedman, ESL 7.10);
- :func:`pareto_front` lists the candidates no other candidate beats on both axes;
- :func:`tradeoff_table` lists every candidate with both axes, for tables and plots.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._complexity import complexity

__all__ = ["complexity_scorer", "pareto_front", "simplest_within", "tradeoff_table"]


def complexity_scorer(estimator: Any, X: Any = None, y: Any = None) -> float:
    """Scorer reporting the negated complexity of a fitted estimator.

    scikit-learn scorers are "greater is better", so the value is ``-complexity``, as
    ``neg_mean_squared_error`` is the negated error. Use it as one entry of
    multi-metric ``scoring``; :func:`simplest_within` and :func:`pareto_front` read it
    back as a positive count.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassbox.metrics import complexity_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scores = cross_validate(DecisionTreeClassifier(max_leaf_nodes=3, random_state=0), X, y,
    ...                         scoring={"accuracy": "accuracy", "complexity": complexity_scorer})
    >>> scores["test_complexity"].tolist()
    [-2.0, -2.0, -2.0, -2.0, -2.0]
    """
    return -float(complexity(estimator))


def _metric_columns(cv_results, metric):
    mean_key, std_key = f"mean_test_{metric}", f"std_test_{metric}"
    if mean_key not in cv_results:
        if metric == "score" or "mean_test_score" in cv_results:
            available = ["score"]
        else:
            available = sorted(k[len("mean_test_"):] for k in cv_results if k.startswith("mean_test_"))
        raise KeyError(
            f"cv_results_ has no {mean_key!r}: the metrics scored are {available}. Pass one of them, "
            "and score complexity with glassbox.metrics.complexity_scorer."
        )
    n_splits = sum(1 for k in cv_results if re.fullmatch(rf"split\d+_test_{re.escape(metric)}", k))
    return np.asarray(cv_results[mean_key], dtype=float), np.asarray(cv_results[std_key], dtype=float), n_splits


def _complexities(cv_results, complexity_metric):
    key = f"mean_test_{complexity_metric}"
    if key not in cv_results:
        raise KeyError(
            f"cv_results_ has no {key!r}. Score complexity alongside the metric, e.g. "
            f"scoring={{'roc_auc': 'roc_auc', {complexity_metric!r}: glassbox.metrics.complexity_scorer}}."
        )
    return -np.asarray(cv_results[key], dtype=float)


def simplest_within(
    metric: str, *, tolerance: Literal["1se"] | float = "1se", complexity: str = "complexity"
) -> Callable[[Mapping[str, Any]], int]:
    """A ``refit`` callable: the least complex candidate within ``tolerance`` of the best.

    Parameters
    ----------
    metric : str
        The scoring name whose ``mean_test_<metric>`` is compared (greater is better).
    tolerance : "1se" or float, default="1se"
        ``"1se"``: one standard error of the best candidate's mean score across folds
        (its standard deviation over ``sqrt(n_splits)``); a float: an absolute margin.
    complexity : str, default="complexity"
        The scoring name under which :func:`complexity_scorer` was registered.

    Returns
    -------
    refit : callable
        ``refit(cv_results) -> index`` of the chosen candidate, for
        ``GridSearchCV(..., refit=simplest_within("roc_auc"))``. Ties in complexity go to
        the better score.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassbox.metrics import complexity_scorer, simplest_within
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> search = GridSearchCV(
    ...     DecisionTreeClassifier(random_state=0), {"max_leaf_nodes": [2, 4, 8, 16, 32]},
    ...     scoring={"roc_auc": "roc_auc", "complexity": complexity_scorer},
    ...     refit=simplest_within("roc_auc"), cv=5,
    ... ).fit(X, y)
    >>> search.best_params_["max_leaf_nodes"] < 32
    True
    """
    if tolerance != "1se" and not (isinstance(tolerance, numbers.Real) and tolerance >= 0):
        raise ValueError(f"tolerance must be '1se' or a non-negative number; got {tolerance!r}.")

    def refit(cv_results):
        mean, std, n_splits = _metric_columns(cv_results, metric)
        cost = _complexities(cv_results, complexity)
        valid = np.isfinite(mean)
        if not valid.any():
            raise ValueError(f"Every candidate's mean_test_{metric} is NaN: all fits failed.")
        best = np.nanargmax(mean)
        margin = std[best] / np.sqrt(max(n_splits, 1)) if tolerance == "1se" else float(tolerance)
        eligible = np.flatnonzero(valid & (mean >= mean[best] - margin))
        # Least complex first, then the higher score.
        return int(eligible[np.lexsort((-mean[eligible], cost[eligible]))[0]])

    refit.__name__ = f"simplest_within_{metric}"
    return refit


def tradeoff_table(cv_results: Mapping[str, Any], metric: str, *, complexity: str = "complexity") -> pd.DataFrame:
    """Every candidate of a search with its score, its complexity and whether it is on the front.

    Parameters
    ----------
    cv_results : dict
        ``cv_results_`` of a search scored on ``metric`` and on complexity (with
        :func:`complexity_scorer`).
    metric : str
        The scoring name whose ``mean_test_<metric>`` is read (greater is better).
    complexity : str, default="complexity"
        The scoring name under which :func:`complexity_scorer` was registered.

    Returns
    -------
    table : DataFrame
        One row per candidate, in the order of ``cv_results``: ``complexity``,
        ``mean_<metric>``, ``std_<metric>``, ``on_front`` (see :func:`pareto_front`)
        and ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.metrics import tradeoff_table
    >>> results = {"mean_test_auc": np.array([0.8, 0.7, 0.9]), "std_test_auc": np.zeros(3),
    ...            "mean_test_complexity": np.array([-2.0, -3.0, -9.0])}
    >>> tradeoff_table(results, "auc")[["complexity", "on_front"]].values.tolist()
    [[2.0, True], [3.0, False], [9.0, True]]
    """
    mean, std, _ = _metric_columns(cv_results, metric)
    cost = _complexities(cv_results, complexity)
    order = np.lexsort((-mean, cost))  # by complexity, best score first within a tie
    on_front, best_so_far = np.zeros(len(mean), dtype=bool), -np.inf
    for i in order:  # one pass over candidates sorted by complexity
        if np.isfinite(mean[i]) and mean[i] > best_so_far:
            on_front[i] = True
            best_so_far = mean[i]
    return pd.DataFrame(
        {
            "complexity": cost,
            f"mean_{metric}": mean,
            f"std_{metric}": std,
            "on_front": on_front,
            "params": list(cv_results.get("params", [{}] * len(mean))),
        }
    )


def pareto_front(cv_results: Mapping[str, Any], metric: str, *, complexity: str = "complexity") -> pd.DataFrame:
    """Candidates that no other candidate beats on both score and complexity.

    Parameters
    ----------
    cv_results : dict
        ``cv_results_`` of a search scored on ``metric`` and on complexity.
    metric : str
    complexity : str, default="complexity"

    Returns
    -------
    front : DataFrame
        One row per candidate on the front, least complex first, with columns
        ``candidate`` (index into ``cv_results``), ``complexity``, ``mean_<metric>``,
        ``std_<metric>`` and ``params``.
    """
    table = tradeoff_table(cv_results, metric, complexity=complexity)
    front = table[table["on_front"]].sort_values(["complexity", f"mean_{metric}"], ascending=[True, False])
    front = front.drop(columns="on_front").rename_axis("candidate").reset_index()
    return front.reset_index(drop=True)
