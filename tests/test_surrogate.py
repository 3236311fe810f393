"""GlobalSurrogate: fidelity measured honestly, usable in GridSearchCV."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from glassbox.surrogate import GlobalSurrogate


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y, RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)


def test_classifier_surrogate_learns_black_box_labels(cancer):
    X, y, forest = cancer
    surrogate = GlobalSurrogate(forest, DecisionTreeClassifier(max_leaf_nodes=8, random_state=0),
                                random_state=0).fit(X)
    assert surrogate.black_box_ is forest
    np.testing.assert_array_equal(surrogate.classes_, forest.classes_)
    # Fidelity is agreement with the black box, not accuracy on y.
    labels = forest.predict(X)
    assert surrogate.score(X) == pytest.approx(np.mean(surrogate.predict(X) == labels))
    assert surrogate.complexity_ == 7
    assert 0.85 < surrogate.fidelity_ <= 1.0
    assert surrogate.to_text().startswith("Surrogate of RandomForestClassifier (fidelity")


def test_fidelity_is_measured_on_held_out_rows(cancer):
    X, y, forest = cancer
    deep = GlobalSurrogate(forest, DecisionTreeClassifier(random_state=0), random_state=0).fit(X)
    assert deep.score(X) == 1.0  # a full tree memorises the rows it was fitted on
    assert deep.fidelity_ < 1.0  # held-out fidelity is honest
    optimistic = GlobalSurrogate(forest, DecisionTreeClassifier(random_state=0), validation_fraction=None).fit(X)
    assert optimistic.fidelity_ == 1.0


def test_regression_surrogate_of_a_classifier_learns_probabilities(cancer):
    X, y, forest = cancer
    surrogate = GlobalSurrogate(forest, LinearRegression(), random_state=0).fit(X)
    expected = LinearRegression().fit(X, forest.predict_proba(X)[:, 1])
    np.testing.assert_allclose(surrogate.surrogate_.coef_, expected.coef_)
    multiclass = RandomForestClassifier(n_estimators=5, random_state=0).fit(*load_iris(return_X_y=True))
    with pytest.raises(ValueError, match="needs a binary classifier"):
        GlobalSurrogate(multiclass, LinearRegression()).fit(load_iris(return_X_y=True)[0])


def test_unfitted_black_box_is_fitted_on_y_and_regression_fidelity_is_r2():
    X, y = load_diabetes(return_X_y=True)
    surrogate = GlobalSurrogate(RandomForestRegressor(n_estimators=20, random_state=0),
                                DecisionTreeRegressor(max_leaf_nodes=8, random_state=0), random_state=0).fit(X, y)
    predictions = surrogate.black_box_.predict(X)
    residual = ((predictions - surrogate.predict(X)) ** 2).sum()
    assert surrogate.score(X) == pytest.approx(1 - residual / ((predictions - predictions.mean()) ** 2).sum())
    with pytest.raises(ValueError, match="requires y to be passed"):
        GlobalSurrogate(RandomForestRegressor(), DecisionTreeRegressor()).fit(X)


def test_grid_search_over_the_budget_scores_fidelity(cancer):
    X, y, forest = cancer
    search = GridSearchCV(
        GlobalSurrogate(forest, DecisionTreeClassifier(random_state=0), random_state=0),
        {"surrogate__max_leaf_nodes": [2, 4, 16]},
        cv=3,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert scores[2] > scores[0]  # more leaves, closer copy
    assert search.best_estimator_.surrogate_.get_n_leaves() == search.best_params_["surrogate__max_leaf_nodes"]


def test_bad_surrogate_and_black_box_are_clear_errors(cancer):
    X, y, forest = cancer
    with pytest.raises(ValueError, match="'surrogate' parameter of GlobalSurrogate must be an object implementing"):
        GlobalSurrogate(forest, "tree").fit(X)
    with pytest.raises(ValueError, match="'black_box' parameter"):
        GlobalSurrogate(object(), DecisionTreeClassifier()).fit(X)


def test_explain_is_available_only_when_the_surrogate_explains(cancer):
    X, y, forest = cancer
    surrogate = GlobalSurrogate(forest, LogisticRegression(max_iter=5000)).fit(X)
    assert not hasattr(surrogate, "explain")
    assert hasattr(surrogate, "predict_proba")


def test_columns_are_matched_by_name_for_a_scikit_learn_surrogate():
    # A DataFrame with the columns of fit in another order: the inner scikit-learn tree
    # refuses reordered names, so the surrogate must reorder them before calling it.
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    surrogate = GlobalSurrogate(forest, DecisionTreeRegressor(max_leaf_nodes=8, random_state=0), random_state=0).fit(X)
    shuffled = X[list(X.columns[::-1])]
    np.testing.assert_array_equal(surrogate.predict(shuffled), surrogate.predict(X))
    assert surrogate.score(shuffled) == surrogate.score(X)


def test_a_black_box_with_one_predicted_class_is_named_not_the_target():
    X = np.column_stack([np.ones(40), np.arange(40.0)])
    y = np.array([0] * 38 + [1] * 2)
    black_box = DecisionTreeClassifier(max_depth=1, min_samples_leaf=5).fit(X, y)  # too coarse for the two
    with pytest.raises(ValueError, match="DecisionTreeClassifier predicts the one class 0 for every row of X"):
        GlobalSurrogate(black_box, DecisionTreeClassifier()).fit(X)
