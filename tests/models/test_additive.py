"""AdditiveClassifier and AdditiveRegressor: shapes, exactness of explanations, editing,
exports, bad input. The scikit-learn estimator checks run in tests/test_common.py."""

import pickle
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from palmerpenguins import load_penguins
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV

from glassbox import complexity
from glassbox.models import AdditiveClassifier, AdditiveRegressor

FAST = dict(outer_bags=3, max_rounds=300, smoothing_rounds=50, n_iter_no_change=20)


# -- data ---------------------------------------------------------------------------
def additive_data(n=3000, seed=0):
    """y = sin(2 x0) + x1² + noise, with a third, irrelevant feature."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return X, y


def mixed_frame(n=400, seed=0):
    """Numeric, categorical and missing values, a binary target."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.uniform(20, 80, n),
        "dose": rng.normal(size=n),
        "group": rng.choice(["a", "b", "c"], n).astype(object),
    })
    X.loc[rng.random(n) < 0.1, "dose"] = np.nan
    X.loc[rng.random(n) < 0.05, "group"] = np.nan
    logit = (X["age"] - 50) / 10 + np.nan_to_num(X["dose"]) + (X["group"] == "b") * 1.5
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def penguins():
    df = load_penguins()
    return df.drop(columns="species"), df["species"].to_numpy()


@pytest.fixture(scope="module")
def penguin_model(penguins):
    X, y = penguins
    return AdditiveClassifier(interactions=2, random_state=0, **FAST).fit(X, y)


@pytest.fixture(scope="module")
def binary_model():
    X, y = mixed_frame()
    return AdditiveClassifier(interactions=2, random_state=0, **FAST).fit(X, y), X, y


@pytest.fixture(scope="module")
def regressor():
    X, y = additive_data(1500)
    return AdditiveRegressor(interactions=1, random_state=0, **FAST).fit(X, y), X, y


# -- learning -----------------------------------------------------------------------
def test_recovers_known_additive_shapes():
    X, y = additive_data()
    model = AdditiveRegressor(interactions=0, random_state=0).fit(X, y)
    for j, truth in ((0, lambda x: np.sin(2 * x)), (1, lambda x: x**2)):
        effect = model.shape_functions([j])[0]
        grid, shape, counts = effect.grid[0][:-1], effect.values[:-1, 0], effect.counts[:-1]
        expected = truth(grid) - np.average(truth(grid), weights=counts)  # terms are centred
        inner = (grid > -1.8) & (grid < 1.8)  # the outer bins average over a wider range
        assert np.abs(shape - expected)[inner].max() < 0.15
        assert np.corrcoef(shape, expected)[0, 1] > 0.99
    irrelevant = model.shape_functions([2])[0].values[:-1, 0]
    assert np.abs(irrelevant).max() < 0.1


def test_fast_ranking_finds_the_true_pair():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 5))
    y = X[:, 3] * X[:, 1] + 0.5 * X[:, 0] + 0.1 * rng.normal(size=3000)
    model = AdditiveRegressor(interactions=1, random_state=0, **FAST).fit(X, y)
    assert model.terms_[-1] == (1, 3)
    assert model.term_names_[-1] == "x1 \u00d7 x3"


def test_classifier_learns_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = AdditiveClassifier(interactions=0, random_state=0, **FAST).fit(X.iloc[::2], y.iloc[::2])
    assert model.score(X.iloc[1::2], y.iloc[1::2]) > 0.93
    assert complexity(model) == model.complexity_ == len(model.terms_) == 30


def test_penguins_multiclass_categorical_and_missing(penguin_model, penguins):
    X, y = penguins
    model = penguin_model
    assert model.score(X, y) > 0.97
    assert list(model.classes_) == ["Adelie", "Chinstrap", "Gentoo"]
    island = model.shape_functions(["island"])[0]
    assert island.is_categorical == (True,)
    assert list(island.grid[0][:-1]) == ["Biscoe", "Dream", "Torgersen"]
    assert np.isnan(island.grid[0][-1])  # the missing level
    assert island.values.shape == (4, 3)
    # Softmax scores: the classes sum to zero in every bin; the intercept too.
    for scores in model.term_scores_:
        np.testing.assert_allclose(scores.sum(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(model.intercept_.sum(), 0, atol=1e-12)
    # A missing sex scores as the missing bin, an unseen island as missing too.
    row = X.iloc[[0]].copy()
    missing, unseen = row.copy(), row.copy()
    missing["island"] = np.nan
    unseen["island"] = "Atlantis"
    np.testing.assert_array_equal(model.decision_function(unseen), model.decision_function(missing))


# -- explanations -------------------------------------------------------------------
@pytest.mark.parametrize("by", ["feature", "term"])
def test_local_contributions_sum_to_the_score(binary_model, penguin_model, penguins, regressor, by):
    model, X, _ = binary_model
    exp = model.explain(X, by=by)
    np.testing.assert_allclose(exp.output()[:, 0], model.decision_function(X), rtol=0, atol=1e-10)
    assert list(exp.output_names) == ["yes"]
    X_p, _ = penguins
    exp = penguin_model.explain(X_p, by=by)
    np.testing.assert_allclose(exp.output(), penguin_model.decision_function(X_p), rtol=0, atol=1e-10)
    model, X, _ = regressor
    exp = model.explain(X, by=by)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X), rtol=0, atol=1e-10)


def test_feature_contributions_split_pairs_equally(binary_model):
    model, X, _ = binary_model
    by_term = model.explain(X, by="term")
    by_feature = model.explain(X)
    expected = np.zeros(by_feature.shape)
    for t, term in enumerate(model.terms_):
        for j in term:
            expected[:, j] += by_term.values[:, t] / len(term)
    np.testing.assert_allclose(by_feature.values, expected, atol=1e-14)
    assert by_term.shape[1] == model.complexity_
    pair = model.terms_.index(next(t for t in model.terms_ if len(t) == 2))
    first = by_term.data[0, pair]
    assert isinstance(first, tuple) and len(first) == 2


def test_global_explanation_is_the_mean_absolute_term_score(binary_model):
    model, X, _ = binary_model
    exp = model.explain()
    assert not exp.is_local
    assert list(exp.feature_names) == model.term_names_
    mean_abs = np.abs(model.explain(X, by="term").values).mean(axis=0)  # training rows, unit weights
    np.testing.assert_allclose(exp.values, mean_abs, rtol=1e-12)
    np.testing.assert_allclose(model.term_importances_, mean_abs.mean(axis=1), rtol=1e-12)


def test_shape_functions_carry_bands_counts_and_a_missing_level(binary_model):
    model, X, _ = binary_model
    effects = model.shape_functions()
    assert len(effects) == model.complexity_
    dose = effects[model.term_names_.index("dose")]
    assert dose.feature_names == ("dose",) and dose.method == "shape"
    assert np.isnan(dose.grid[0][-1]) and np.all(np.diff(dose.grid[0][:-1]) > 0)
    assert dose.counts[-1] == X["dose"].isna().sum()
    assert np.all(dose.lower <= dose.values) and np.all(dose.values <= dose.upper)
    assert np.any(dose.upper > dose.lower)  # the bags disagree somewhere
    pair = next(e for e in effects if e.is_2d)
    assert pair.values.ndim == 3 and pair.counts.sum() == len(X)


def test_pairs_are_purified_and_terms_centred(binary_model):
    model, _, _ = binary_model
    for effect in model.shape_functions():
        w = effect.counts
        values = effect.values[..., 0]
        if effect.is_2d:
            rows = (w * values).sum(axis=1)
            cols = (w * values).sum(axis=0)
            np.testing.assert_allclose(rows, 0, atol=1e-9)
            np.testing.assert_allclose(cols, 0, atol=1e-9)
        else:
            assert abs(np.dot(w, values)) < 1e-9 * w.sum()


# -- editing ------------------------------------------------------------------------
def test_remove_terms_drops_exactly_their_scores(binary_model):
    model, X, _ = binary_model
    model = pickle.loads(pickle.dumps(model))
    before = model.decision_function(X)
    terms = model.explain(X, by="term")
    dose = model.term_names_.index("dose")
    pair = next(t for t, term in enumerate(model.terms_) if len(term) == 2)
    removed = terms.values[:, dose, 0] + terms.values[:, pair, 0]
    n_terms = model.complexity_
    model.remove_terms(["dose", model.terms_[pair]])
    assert model.complexity_ == n_terms - 2 and "dose" not in model.term_names_
    np.testing.assert_allclose(model.decision_function(X), before - removed, atol=1e-12)
    with pytest.raises(KeyError, match="has no term 'dose'"):
        model.remove_terms("dose")


def test_set_shape_changes_predictions_by_the_new_scores(binary_model):
    model, X, _ = binary_model
    model = pickle.loads(pickle.dumps(model))
    t = model.term_names_.index("age")
    old = model.term_scores_[t].copy()
    before = model.decision_function(X)
    new = np.clip(old, None, 0.5)  # a clinician caps an implausible rise
    model.set_shape("age", new)
    bins = np.searchsorted(model.bins_.thresholds[0], X["age"].to_numpy(), side="left")
    np.testing.assert_allclose(model.decision_function(X), before + (new - old)[bins], atol=1e-12)
    assert np.all(model.term_standard_deviations_[t] == 0)
    with pytest.raises(ValueError, match=r"has scores of shape \(\d+,\); got values of shape \(3,\)"):
        model.set_shape("age", [1.0, 2.0, 3.0])


# -- exports ------------------------------------------------------------------------
def _sqlite(X, sql):
    with sqlite3.connect(":memory:") as connection:
        X.to_sql("data", connection, index=False)
        return pd.read_sql(sql, connection)


def _python(source):
    namespace = {}
    exec(compile(source, "<exported>", "exec"), namespace)
    assert not any(name.startswith("glassbox") for name in namespace if isinstance(name, str))
    return namespace


@pytest.mark.parametrize("name", ["binary", "multiclass"])
def test_exports_match_the_classifier(name, binary_model, penguin_model, penguins):
    model, X = (binary_model[0], binary_model[1]) if name == "binary" else (penguin_model, penguins[0])
    assert "glassbox" not in model.to_python().split('"""', 2)[2]  # only the docstring names it
    result = _sqlite(X, model.to_sql(table="data"))
    proba = model.predict_proba(X)
    np.testing.assert_allclose(result[[f"proba_{c}" for c in model.classes_]].to_numpy(), proba, atol=1e-9)
    np.testing.assert_array_equal(result["prediction"].to_numpy(), model.predict(X))
    module = _python(model.to_python())
    rows = X.to_dict("records")
    np.testing.assert_array_equal(np.array([module["decision_function"](r) for r in rows]),
                                  model.decision_function(X))
    np.testing.assert_allclose(np.array([module["predict_proba"](r) for r in rows]), proba, atol=1e-12)
    np.testing.assert_array_equal(np.array([module["predict"](r) for r in rows], dtype=object), model.predict(X))


def test_exports_match_the_regressor(regressor):
    model, X, _ = regressor
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    result = _sqlite(frame, model.to_sql(table="data"))
    np.testing.assert_allclose(result["prediction"].to_numpy(), model.predict(X), rtol=1e-13)
    module = _python(model.to_python())
    python = np.array([module["predict"](row) for row in frame.to_dict("records")])
    np.testing.assert_array_equal(python, model.predict(X))  # the same sums in the same order


def test_text_lists_every_term(binary_model):
    model, _, _ = binary_model
    text = model.to_text()
    assert text.startswith("AdditiveClassifier: log-odds of 'yes' = ")
    assert str(model) == text
    for name in model.term_names_:
        assert name in text
    detailed = model.to_text(shapes=True)
    assert "missing" in detailed and "rows: " in detailed
    assert len(detailed) > len(text)


# -- scikit-learn integration and reproducibility -------------------------------------
def test_pickle_round_trip(penguin_model, penguins):
    X, _ = penguins
    restored = pickle.loads(pickle.dumps(penguin_model))
    np.testing.assert_array_equal(restored.predict_proba(X), penguin_model.predict_proba(X))


def _fit_with_n_jobs(X, y, n_jobs, random_state=3, **extra):
    params = dict(FAST, outer_bags=5, interactions=1, random_state=random_state, **extra)
    return AdditiveClassifier(n_jobs=n_jobs, **params).fit(X, y)


def _assert_same_model(one, two):
    assert one.terms_ == two.terms_
    for a, b in zip(one.term_scores_ + one.term_standard_deviations_, two.term_scores_ + two.term_standard_deviations_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one.intercept_, two.intercept_)
    np.testing.assert_array_equal(one.n_rounds_, two.n_rounds_)


@pytest.mark.parametrize("data", ["binary", "multiclass", "drawn rows"])
def test_same_model_for_any_n_jobs(data, penguins):
    # The bags are grouped into n_jobs chunks (here 5 bags in one chunk, then 3 + 2,
    # then 1 + 1 + 1 + 1 + 1); the threading backend keeps the test quick. With more
    # rows than round_samples, every chunk must draw the same rows in every round.
    X, y = mixed_frame(300) if data != "multiclass" else penguins
    extra = {"round_samples": 120} if data == "drawn rows" else {}
    one = _fit_with_n_jobs(X, y, 1, **extra)
    with parallel_config(backend="threading"):
        for n_jobs in (2, 5):
            _assert_same_model(one, _fit_with_n_jobs(X, y, n_jobs, **extra))
    other = _fit_with_n_jobs(X, y, 1, random_state=4, **extra)
    assert not np.array_equal(other.term_scores_[1], one.term_scores_[1])


def test_round_samples_beyond_the_rows_change_nothing():
    X, y = mixed_frame(300)
    every = AdditiveClassifier(round_samples=None, random_state=0, **FAST).fit(X, y)
    _assert_same_model(every, AdditiveClassifier(round_samples=300, random_state=0, **FAST).fit(X, y))
    drawn = AdditiveClassifier(round_samples=299, random_state=0, **FAST).fit(X, y)
    assert not np.array_equal(drawn.term_scores_[0], every.term_scores_[0])


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_rounds_on_drawn_rows_learn_the_shapes_of_all_rows(task):
    # Stochastic rounds (a tenth of the rows each) against rounds on every row: the same
    # shapes, and as good a fit on new rows.
    X, y = additive_data(4000)
    X_new, y_new = additive_data(4000, seed=1)
    if task == "classification":
        y, y_new = (y > np.median(y)).astype(int), (y_new > np.median(y)).astype(int)
    cls = AdditiveRegressor if task == "regression" else AdditiveClassifier
    every = cls(interactions=0, round_samples=None, random_state=0, **FAST).fit(X, y)
    drawn = cls(interactions=0, round_samples=400, random_state=0, **FAST).fit(X, y)
    for j in (0, 1):
        a, b = (m.shape_functions([j])[0].values[:-1, 0] for m in (every, drawn))
        assert np.corrcoef(a, b)[0, 1] > 0.98
    assert drawn.score(X_new, y_new) > every.score(X_new, y_new) - 0.01


@pytest.mark.slow
def test_same_model_with_worker_processes(penguins):
    X, y = penguins
    _assert_same_model(_fit_with_n_jobs(X, y, 1), _fit_with_n_jobs(X, y, 2))


def test_grid_search_and_clone():
    X, y = mixed_frame(300)
    search = GridSearchCV(AdditiveClassifier(random_state=0, interactions=0, **FAST),
                          {"learning_rate": [0.05, 0.2]}, cv=2, scoring="roc_auc").fit(X, y)
    assert search.best_params_["learning_rate"] in (0.05, 0.2)
    assert search.best_estimator_.complexity_ == 3
    assert clone(search.best_estimator_).get_params()["learning_rate"] == search.best_params_["learning_rate"]


def test_zero_weight_rows_are_left_out():
    X, y = mixed_frame(300)
    weight = np.ones(len(y))
    weight[::4] = 0
    weighted = AdditiveClassifier(random_state=0, interactions=1, **FAST).fit(X, y, sample_weight=weight)
    subset = AdditiveClassifier(random_state=0, interactions=1, **FAST).fit(X[weight > 0], y[weight > 0])
    np.testing.assert_array_equal(weighted.decision_function(X), subset.decision_function(X))


def test_sample_weight_moves_the_intercept():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = rng.normal(size=200) + 10 * (np.arange(200) < 100)
    weight = np.where(np.arange(200) < 100, 3.0, 1.0)
    model = AdditiveRegressor(random_state=0, interactions=0, **FAST).fit(X, y, sample_weight=weight)
    # Terms are centred under the weights, so the intercept is the weighted mean prediction.
    np.testing.assert_allclose(model.intercept_[0], np.average(model.predict(X), weights=weight), rtol=1e-12)
    assert model.intercept_[0] > 6  # the weighted mean of y is 7.5, the plain one 5


# -- bad input ----------------------------------------------------------------------
def test_constant_feature_gets_no_term():
    X, y = additive_data(600)
    X[:, 2] = 7.0
    model = AdditiveRegressor(random_state=0, interactions=5, **FAST).fit(X, y)
    assert all(2 not in term for term in model.terms_)
    assert model.terms_[:2] == [(0,), (1,)] and model.complexity_ == 3  # one pair: (0, 1)
    np.testing.assert_array_equal(model.explain(X).values[:, 2], 0)


def test_feature_with_one_non_missing_value():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    X[:, 1] = np.where(np.arange(400) % 2 == 0, 5.0, np.nan)
    y = X[:, 0] + 2 * np.isnan(X[:, 1]) + 0.1 * rng.normal(size=400)
    model = AdditiveRegressor(random_state=0, interactions=0, **FAST).fit(X, y)
    scores = model.term_scores_[model.term_names_.index("x1")]
    assert scores.shape == (2,)  # the value's bin and the missing bin
    assert scores[1] - scores[0] == pytest.approx(2, abs=0.2)
    far = np.array([[0.0, 5.0], [0.0, -1e6], [0.0, 1e6]])
    assert len(set(model.predict(far))) == 1  # any value is the one value's bin


def test_values_beyond_the_training_range_take_the_edge_bins():
    X, y = additive_data(800)
    model = AdditiveRegressor(random_state=0, interactions=0, **FAST).fit(X, y)
    edge = np.array([[X[:, 0].max(), 0, 0], [X[:, 0].min(), 0, 0]])
    far = np.array([[1e9, 0, 0], [-1e9, 0, 0]])
    np.testing.assert_array_equal(model.predict(far), model.predict(edge))


def test_more_interactions_than_pairs_takes_every_pair():
    X, y = additive_data(600)
    model = AdditiveRegressor(random_state=0, interactions=50, **FAST).fit(X, y)
    assert sorted(t for t in model.terms_ if len(t) == 2) == [(0, 1), (0, 2), (1, 2)]


def test_explicit_pairs_by_name():
    X, y = mixed_frame(300)
    model = AdditiveClassifier(random_state=0, interactions=[("group", "age")], **FAST).fit(X, y)
    assert model.terms_[-1] == (0, 2) and model.term_names_[-1] == "age \u00d7 group"
    with pytest.raises(ValueError, match=r"'height' \(in interactions\) is not a feature of X"):
        AdditiveClassifier(interactions=[("age", "height")], **FAST).fit(X, y)
    with pytest.raises(ValueError, match="two different features"):
        AdditiveClassifier(interactions=[("age", "age")], **FAST).fit(X, y)


def test_monotone_constraint_is_respected():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(1500, 2))
    y = X[:, 0] + np.sin(3 * X[:, 0]) + X[:, 1] + 0.1 * rng.normal(size=1500)  # not monotone in x0
    free = AdditiveRegressor(random_state=0, interactions=0, **FAST).fit(X, y)
    model = AdditiveRegressor(random_state=0, interactions=5, monotone_constraints=[1, 0], **FAST).fit(X, y)
    assert np.any(np.diff(free.term_scores_[0][:-1]) < -1e-3)
    assert np.all(np.diff(model.term_scores_[0][:-1]) >= 0)
    assert all(len(t) == 1 for t in model.terms_)  # no pair with a constrained feature
    X_frame, y_frame = mixed_frame(200)
    with pytest.raises(ValueError, match="'group' is categorical"):
        AdditiveClassifier(monotone_constraints={"group": 1}, **FAST).fit(X_frame, y_frame)
    with pytest.raises(ValueError, match="monotone constraint"):
        AdditiveClassifier(monotone_constraints={"age": 1}, interactions=[("age", "dose")], **FAST).fit(
            X_frame, y_frame)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(interactions="3x"), "'interactions' parameter of AdditiveClassifier must be .*Got '3x'"),
        (dict(interactions=["age"]), "got the entry 'age'"),
        (dict(monotone_constraints=[1, 0]), r"one entry per feature \(3\); got 2"),
        (dict(monotone_constraints={"age": 2}), "must hold -1, 0 or 1"),
        (dict(learning_rate=0.0), "'learning_rate' parameter of AdditiveClassifier must be a float in the range"),
        (dict(outer_bags=0), "'outer_bags' parameter"),
    ],
)
def test_bad_parameters_are_named(params, match):
    X, y = mixed_frame(60)
    with pytest.raises(ValueError, match=match):
        AdditiveClassifier(**{**FAST, **params}).fit(X, y)


def test_bad_edits_and_requests_are_named(binary_model):
    model, X, _ = binary_model
    with pytest.raises(ValueError, match="by must be 'feature' or 'term'; got 'pair'"):
        model.explain(X, by="pair")
    with pytest.raises(ValueError, match="must be finite"):
        model.set_shape("age", np.full(model.term_scores_[0].shape, np.nan))
    with pytest.raises(IndexError, match=r"has \d+ terms; got term index 99"):
        model.shape_functions([99])


def test_one_class_is_refused():
    X, _ = additive_data(50)
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class: 0.0."):
        AdditiveClassifier(**FAST).fit(X, np.zeros(50))


# -- properties ---------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n_classes=st.integers(2, 3), interactions=st.integers(0, 2))
def test_contributions_always_add_up(seed, n_classes, interactions):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = rng.integers(0, n_classes, 120)
    model = AdditiveClassifier(interactions=interactions, outer_bags=2, max_rounds=40, smoothing_rounds=10,
                               n_iter_no_change=10, random_state=seed).fit(X, y)
    exp = model.explain(X)
    scores = model.decision_function(X).reshape(len(X), -1)
    np.testing.assert_allclose(exp.output(), scores, atol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1)


def test_rare_levels_share_one_score():
    # Levels with fewer than 10 rows are pooled: the sorted split never separates them,
    # so noise in their handful of rows cannot give each its own score.
    rng = np.random.default_rng(0)
    common = rng.choice(["a", "b"], 600)
    rare = np.array([f"r{i}" for i in range(40) for _ in range(5)], dtype=object)  # 40 levels of 5 rows
    X = pd.DataFrame({"level": np.concatenate([common, rare]).astype(object), "x": rng.normal(size=800)})
    y = (rng.random(800) < np.where(X["level"] == "a", 0.7, 0.3)).astype(int)
    model = AdditiveClassifier(interactions=0, random_state=0, **FAST).fit(X, y)
    scores = model.shape_functions(["level"])[0]
    levels = list(scores.grid[0][:-1])
    values = scores.values[:-1, 0]
    rare_scores = values[[levels.index(f"r{i}") for i in range(40)]]
    np.testing.assert_allclose(rare_scores, rare_scores[0], atol=1e-12)
    assert values[levels.index("a")] - values[levels.index("b")] > 0.5


def test_pair_ranking_does_not_depend_on_its_chunks(monkeypatch):
    # The pairs are ranked a chunk of pairs at a time, to bound memory: one pair per
    # chunk must rank them exactly as all pairs in one chunk.
    from glassbox.models import _additive_terms

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    params = dict(FAST, interactions=3, random_state=0)
    monkeypatch.setattr(_additive_terms, "_PAIR_CELLS_PER_CHUNK", 10**9)
    together = AdditiveClassifier(**params).fit(X, y)
    monkeypatch.setattr(_additive_terms, "_PAIR_CELLS_PER_CHUNK", 1)
    one_by_one = AdditiveClassifier(**params).fit(X, y)
    assert one_by_one.term_names_ == together.term_names_
    _assert_same_model(one_by_one, together)
