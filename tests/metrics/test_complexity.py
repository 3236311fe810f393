"""complexity(): one axis for every model family."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from glassbox import complexity


@pytest.fixture(scope="module")
def data():
    return load_breast_cancer(return_X_y=True)


def test_tree_counts_splits(data):
    X, y = data
    for leaves in (2, 5, 9):
        tree = DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=0).fit(X, y)
        assert complexity(tree) == leaves - 1 == tree.get_n_leaves() - 1


def test_ensembles_sum_splits_over_trees(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=5, max_leaf_nodes=4, random_state=0).fit(X, y)
    assert complexity(forest) == sum(t.get_n_leaves() - 1 for t in forest.estimators_)
    boosted = GradientBoostingClassifier(n_estimators=3, max_leaf_nodes=3, random_state=0).fit(X, y)
    assert complexity(boosted) == 3 * 2
    hist = HistGradientBoostingClassifier(max_iter=4, max_leaf_nodes=5, random_state=0).fit(X, y)
    assert complexity(hist) == sum(
        int((~p.nodes["is_leaf"].astype(bool)).sum()) for stage in hist._predictors for p in stage
    ) and 0 < complexity(hist) <= 4 * 4


def test_linear_counts_non_zero_coefficients_and_selection_lowers_it(data):
    X, y = data
    sparse = make_pipeline(StandardScaler(), LogisticRegression(l1_ratio=1.0, C=0.05, solver="liblinear")).fit(X, y)
    assert complexity(sparse) == np.count_nonzero(sparse[-1].coef_) < X.shape[1]
    selected = make_pipeline(SelectKBest(k=4), LogisticRegression(max_iter=5000)).fit(X, y)
    assert complexity(selected) == 4


def test_search_reports_its_best_estimator(data):
    X, y = data
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_leaf_nodes": [3]}, cv=2).fit(X, y)
    assert complexity(search) == 2


def test_unfitted_and_unknown_models_are_clear_errors():
    with pytest.raises(NotFittedError, match="DecisionTreeClassifier is not fitted"):
        complexity(DecisionTreeClassifier())
    with pytest.raises(TypeError, match="needs a fitted estimator; got an object of type str"):
        complexity("tree")

    class Opaque:
        def fit(self, X, y):
            self.fitted_ = True
            return self

    with pytest.raises(TypeError, match="does not know how to measure Opaque"):
        complexity(Opaque().fit(None, None))
