"""The accuracy-complexity trade-off: scorer, one-standard-error refit, Pareto front."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

from glassbox.metrics import complexity_scorer, fidelity_score, pareto_front, simplest_within, tradeoff_table


def _results(means, stds, complexities, n_splits=4):
    """A hand-made cv_results_ with known means, standard deviations and complexities."""
    results = {
        "mean_test_auc": np.asarray(means, dtype=float),
        "std_test_auc": np.asarray(stds, dtype=float),
        "mean_test_complexity": -np.asarray(complexities, dtype=float),
        "std_test_complexity": np.zeros(len(means)),
        "params": [{"k": c} for c in complexities],
    }
    for split in range(n_splits):
        results[f"split{split}_test_auc"] = np.asarray(means, dtype=float)
    return results


def test_simplest_within_one_standard_error():
    # best: 0.90 with std 0.04 over 4 splits -> se 0.02 -> eligible >= 0.88.
    results = _results([0.80, 0.881, 0.879, 0.90], [0.01, 0.01, 0.01, 0.04], [2, 8, 4, 16])
    assert simplest_within("auc")(results) == 1
    assert simplest_within("auc", tolerance=0.0)(results) == 3
    assert simplest_within("auc", tolerance=0.2)(results) == 0


def test_ties_in_complexity_go_to_the_better_score():
    results = _results([0.85, 0.86, 0.70], [0.1, 0.1, 0.1], [3, 3, 1])
    assert simplest_within("auc", tolerance=0.05)(results) == 1


def test_pareto_front_is_monotone_and_non_dominated():
    results = _results([0.8, 0.7, 0.85, 0.84, 0.9], [0] * 5, [2, 3, 4, 6, 9])
    front = pareto_front(results, "auc")
    assert front["candidate"].tolist() == [0, 2, 4]
    assert front["complexity"].tolist() == [2.0, 4.0, 9.0]
    assert np.all(np.diff(front["mean_auc"]) > 0)
    assert front["params"].tolist() == [{"k": 2}, {"k": 4}, {"k": 9}]


def test_tradeoff_table_lists_every_candidate_and_marks_the_front():
    results = _results([0.8, 0.7, 0.85, 0.84, np.nan, 0.9], [0.1] * 6, [2, 3, 4, 6, 1, 9])
    table = tradeoff_table(results, "auc")
    assert len(table) == 6
    assert table["complexity"].tolist() == [2.0, 3.0, 4.0, 6.0, 1.0, 9.0]
    assert table["on_front"].tolist() == [True, False, True, False, False, True]
    np.testing.assert_array_equal(table["mean_auc"], results["mean_test_auc"])
    # The front is exactly the non-dominated candidates: none has a better score at no more complexity.
    scores, costs = table["mean_auc"].to_numpy(), table["complexity"].to_numpy()
    for i in np.flatnonzero(table["on_front"]):
        assert not np.any((costs <= costs[i]) & (scores > scores[i]))
    assert pareto_front(results, "auc")["candidate"].tolist() == np.flatnonzero(table["on_front"]).tolist()


def test_missing_metrics_name_what_is_there():
    results = _results([0.8], [0.0], [2])
    with pytest.raises(KeyError, match=r"no 'mean_test_accuracy': the metrics scored are \['auc', 'complexity'\]"):
        simplest_within("accuracy")(results)
    del results["mean_test_complexity"]
    with pytest.raises(KeyError, match="complexity_scorer"):
        pareto_front(results, "auc")
    with pytest.raises(ValueError, match="tolerance must be"):
        simplest_within("auc", tolerance=-1)


def test_grid_search_refits_the_simplest_tree_within_one_se():
    X, y = load_breast_cancer(return_X_y=True)
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_leaf_nodes": [2, 3, 4, 6, 8, 12, 16, 24]},
        scoring={"roc_auc": "roc_auc", "complexity": complexity_scorer},
        refit=simplest_within("roc_auc"),
        cv=5,
    ).fit(X, y)
    results = search.cv_results_
    best = np.argmax(results["mean_test_roc_auc"])
    se = results["std_test_roc_auc"][best] / np.sqrt(5)
    chosen = search.best_index_
    assert results["mean_test_roc_auc"][chosen] >= results["mean_test_roc_auc"][best] - se
    simpler = -results["mean_test_complexity"] < -results["mean_test_complexity"][chosen]
    assert np.all(results["mean_test_roc_auc"][simpler] < results["mean_test_roc_auc"][best] - se)
    assert search.best_estimator_.get_n_leaves() == search.best_params_["max_leaf_nodes"]


def test_fidelity_score():
    assert fidelity_score(["a", "b"], ["a", "a"]) == 0.5
    assert fidelity_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert fidelity_score([1, 2, 3], [1, 2, 2]) == pytest.approx(2 / 3)  # integer labels: agreement
    with pytest.raises(ValueError, match="surrogate's"):
        fidelity_score([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="metric must be"):
        fidelity_score([1.0], [1.0], metric="auc")
