"""One search across model families: accuracy against complexity.

A single GridSearchCV over a Pipeline whose final step is searched across families
(sparse logistic regression, trees, rule lists, an additive model and a black box) and
budgets, scored on ROC AUC and complexity, refit with the simplest model within one
standard error of the best. The front is drawn with the chosen model marked.

Run it with ``python examples/tradeoff.py [figure.png]``.
"""

import sys

import matplotlib

matplotlib.use("Agg")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from glassbox.metrics import complexity_scorer, pareto_front, simplest_within  # noqa: E402
from glassbox.models import (  # noqa: E402
    AdditiveClassifier,
    RuleListClassifier,
    SparseLinearClassifier,
    TreeClassifier,
)
from glassbox.plot import TradeoffDisplay  # noqa: E402


def main(figure="out/tradeoff.png"):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    families = {
        "sparse linear": [SparseLinearClassifier(max_features=k) for k in (1, 2, 3, 5, 8)],
        "tree": [TreeClassifier(max_leaf_nodes=k, random_state=0) for k in (2, 3, 5, 9, 17)],
        "rule list": [RuleListClassifier(max_rules=k) for k in (1, 2, 4, 8)],
        "additive": [AdditiveClassifier(random_state=0)],
        "black box": [HistGradientBoostingClassifier(random_state=0)],
    }
    candidates = [model for models in families.values() for model in models]
    family_of = {id(model): name for name, models in families.items() for model in models}
    search = GridSearchCV(
        Pipeline([("model", candidates[0])]),
        {"model": candidates},
        scoring={"roc_auc": "roc_auc", "complexity": complexity_scorer},
        refit=simplest_within("roc_auc"),
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    ).fit(X, y)

    front = pareto_front(search.cv_results_, "roc_auc")
    front["model"] = [family_of[id(search.cv_results_["params"][i]["model"])] for i in front["candidate"]]
    print(front[["model", "complexity", "mean_roc_auc", "std_roc_auc"]].to_string(index=False))
    chosen = search.best_estimator_["model"]
    print(f"\nchosen: {chosen!r}, complexity {search.best_estimator_['model'].complexity_}\n{chosen}")

    labels = [family_of[id(params["model"])] for params in search.cv_results_["params"]]
    display = TradeoffDisplay.from_cv_results(search.cv_results_, "roc_auc", chosen=search.best_index_, labels=labels)
    display.plot().figure_.savefig(figure, bbox_inches="tight")
    print(f"front drawn to {figure}")
    return search, front


if __name__ == "__main__":
    main(*sys.argv[1:])
