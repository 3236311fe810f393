"""Reading boosted models without predicting: the offset read off the init estimator equals
the one read off a prediction, and trees read in one block equal trees read one by one."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)

from glassbox._core import TreeList, read_tree_model
from glassbox._core._trees._readers import _add_sklearn_trees, _gradient_boosting_init

TASKS = {
    "regression": (GradientBoostingRegressor, HistGradientBoostingRegressor, 1),
    "binary": (GradientBoostingClassifier, HistGradientBoostingClassifier, 2),
    "multiclass": (GradientBoostingClassifier, HistGradientBoostingClassifier, 3),
}
GB_LOSSES = {
    "regression": ["squared_error", "absolute_error", "huber", "quantile"],
    "binary": ["log_loss", "exponential"],
    "multiclass": ["log_loss"],
}


def task_data(task, seed, n_rows=60, n_features=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    signal = X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.5, size=n_rows)
    n_classes = TASKS[task][2]
    if n_classes == 1:
        return X, 3.0 + 2.0 * signal
    # Unbalanced classes, so the priors are not all equal.
    return X, np.digitize(signal, np.quantile(signal, [0.6, 0.85][: n_classes - 1]))


def method_of(model):
    return "decision_function" if hasattr(model, "classes_") else "predict"


def assert_offset_is_predicted(model, ensemble, X, offset):
    """Reference: the model's raw output less the sum of its trees equals ``offset`` on
    each row, up to the rounding of sums as large as the trees' outputs (a one-hot init
    clipped to machine epsilon makes leaf values of 1e13 and more)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = np.asarray(getattr(model, method_of(model))(X), dtype=np.float64).reshape(len(X), -1)
    trees = ensemble.predict(ensemble.model_input(X)) - ensemble.offset
    scale = max(1.0, np.abs(trees).max(), np.abs(raw).max())
    np.testing.assert_allclose(raw - trees, np.broadcast_to(offset, raw.shape), rtol=0, atol=1e-12 * scale)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=st.sampled_from(sorted(TASKS)), loss_index=st.integers(0, 3), seed=st.integers(0, 10_000))
def test_gradient_boosting_offset_is_read_without_predicting(task, loss_index, seed):
    losses = GB_LOSSES[task]
    X, y = task_data(task, seed)
    model = TASKS[task][0](loss=losses[loss_index % len(losses)], n_estimators=4, max_depth=2, random_state=seed)
    model.fit(X, y)
    init = _gradient_boosting_init(model)
    assert init is not None  # the default init estimator is read off its attributes
    # Exactly what scikit-learn starts every row from ...
    np.testing.assert_array_equal(init, model._raw_predict_init(X[:1])[0])
    # ... and the constant the predict-based reading finds, on every row.
    ensemble = read_tree_model(model)
    np.testing.assert_array_equal(ensemble.offset, init)
    assert_offset_is_predicted(model, ensemble, X, init)


@pytest.mark.parametrize(
    "task, init",
    [
        ("binary", DummyClassifier(strategy="most_frequent")),
        ("multiclass", DummyClassifier(strategy="uniform")),
        ("multiclass", DummyClassifier(strategy="constant", constant=1)),
        ("regression", type("ShiftedDummy", (DummyRegressor,), {"predict": lambda self, X: DummyRegressor.predict(self, X) + 1.0})()),
    ],
    ids=["most-frequent", "uniform", "constant", "subclass"],
)
def test_other_init_estimators_go_through_a_prediction(task, init):
    X, y = task_data(task, 3)
    model = TASKS[task][0](init=init, n_estimators=4, max_depth=2, random_state=0).fit(X, y)
    assert _gradient_boosting_init(model) is None  # not a constant read off attributes
    ensemble = read_tree_model(model)
    # The fallback reads the init off one row; it holds on every row.
    assert_offset_is_predicted(model, ensemble, X, ensemble.offset)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_zero_init_is_zero(task):
    X, y = task_data(task, 5)
    model = TASKS[task][0](init="zero", n_estimators=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(read_tree_model(model).offset, np.zeros(model.estimators_.shape[1]))


@settings(max_examples=9, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=st.sampled_from(sorted(TASKS)), seed=st.integers(0, 10_000))
def test_hist_gradient_boosting_offset_equals_the_predicted_one(task, seed):
    X, y = task_data(task, seed, n_rows=120)
    model = TASKS[task][1](max_iter=5, max_leaf_nodes=6, min_samples_leaf=5, random_state=seed).fit(X, y)
    ensemble = read_tree_model(model)
    assert_offset_is_predicted(model, ensemble, X, ensemble.offset)


def test_trees_read_in_one_block_equal_trees_read_one_by_one():
    X, y = task_data("multiclass", 0)
    members = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, y).estimators_
    value = np.concatenate([m.tree_.value[:, 0, :] for m in members])
    columns = np.tile(np.arange(3), (len(members), 1))
    block, one_by_one = TreeList(), TreeList()
    _add_sklearn_trees(block, members, value, columns)
    start = 0
    for m, row in zip(members, columns):
        tree = m.tree_
        stop = start + tree.node_count
        one_by_one.add(tree.children_left, tree.children_right, tree.feature, tree.threshold,
                       tree.missing_go_to_left, tree.weighted_n_node_samples, value[start:stop], row)
        start = stop
    fields = ("left", "right", "feature", "threshold", "missing_left", "cover", "value", "roots", "tree_columns")
    ours, reference = (trees.build(n_outputs=3, output_method="predict_proba", n_features=4)
                       for trees in (block, one_by_one))
    for field in fields:
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    # The block is a copy: the model's trees are not shared.
    ours.threshold[:] = 0.0
    assert members[0].tree_.threshold[0] != 0.0
