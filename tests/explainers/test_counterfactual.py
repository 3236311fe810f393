"""CounterfactualExplainer: every counterfactual reaches the target, respects immutable
features, observed ranges and levels; sparsity and distance against closed forms;
unreachable targets reported; reproducibility; bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from glassbox.explainers import CounterfactualExplainer, Counterfactuals


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0).fit(X, y)
    explainer = CounterfactualExplainer(model, n_counterfactuals=3, n_candidates=100, random_state=0).fit(X)
    return X, model, explainer


def mad_distance(X, original, counterfactual):
    """MAD-scaled L1 distance, computed independently of the explainer."""
    mad = (X - X.median()).abs().median().to_numpy()
    scale = np.where(mad > 0, mad, X.std(ddof=0).to_numpy())
    return (np.abs(counterfactual - original) / scale).sum(axis=1)


@settings(max_examples=8, deadline=None)
@given(
    rows=st.lists(st.integers(0, 568), min_size=1, max_size=4, unique=True),
    desired=st.sampled_from([None, 0, 1]),
)
def test_every_counterfactual_reaches_the_desired_class(cancer, rows, desired):
    X, model, explainer = cancer
    result = explainer.explain(X.iloc[rows], desired_class=desired)
    owner = result.counterfactuals.index.get_level_values("row").to_numpy()
    predicted = model.predict(result.counterfactuals) if len(owner) else result.prediction
    original = model.predict(X.iloc[rows])
    if desired is None:
        assert (predicted != original[owner]).all()
    else:
        assert (predicted == desired).all()
    np.testing.assert_array_equal(result.prediction, predicted)
    np.testing.assert_array_equal(result.original_prediction, original)
    # Status per row agrees with what was found, and no row is dropped.
    counts = np.bincount(owner, minlength=len(rows))
    assert len(result.status) == len(rows)
    for i, status in enumerate(result.status):
        if desired is not None and original[i] == desired:
            assert status == "already_desired" and counts[i] == 0
        else:
            assert status == {0: "not_found", 3: "found"}.get(counts[i], "partial")
    # Observed ranges, sparsity and distance.
    values = result.counterfactuals.to_numpy()
    assert (values >= X.min().to_numpy()).all() and (values <= X.max().to_numpy()).all()
    start = X.iloc[rows].to_numpy()[owner]
    np.testing.assert_array_equal(result.changed, values != start)
    np.testing.assert_array_equal(result.n_changed, (values != start).sum(axis=1))
    np.testing.assert_allclose(result.distance, mad_distance(X, start, values), rtol=1e-9)
    # Closest first within each row.
    for i in range(len(rows)):
        assert (np.diff(result.distance[owner == i]) >= 0).all()


def test_counterfactuals_are_found_and_sparse_on_breast_cancer(cancer):
    X, model, explainer = cancer
    result = explainer.explain(X.iloc[:30])
    assert result.success_rate >= 0.9
    assert np.median(result.n_changed) <= 4
    capped = CounterfactualExplainer(model, max_changed=2, n_candidates=100, random_state=0).fit(X)
    few = capped.explain(X.iloc[:10])
    assert len(few.n_changed) > 0 and (few.n_changed <= 2).all()
    owner = few.counterfactuals.index.get_level_values("row")
    assert (model.predict(few.counterfactuals) != few.original_prediction[owner]).all()


def test_one_relevant_feature_gives_one_change_just_past_the_threshold():
    # The model reads x0 only, at a threshold: sparsification keeps x0 alone and the
    # bisection brings it just past the threshold.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] > 0.3).astype(int)
    model = DecisionTreeClassifier(max_depth=1).fit(X, y)
    threshold = model.tree_.threshold[0]
    result = CounterfactualExplainer(model, n_counterfactuals=1, random_state=0).fit(X).explain(X[:10])
    assert (result.status == "found").all()
    np.testing.assert_array_equal(result.n_changed, 1)
    assert result.changed[:, 0].all()
    moved = result.counterfactuals.to_numpy()[:, 0]
    start = X[:10, 0]
    assert (np.sign(moved - threshold) != np.sign(start - threshold)).all()
    # Within the bisection's resolution (1/2**8 of the change) of the threshold.
    assert (np.abs(moved - threshold) <= np.abs(moved - start) / 2**7 + 1e-12).all()


def test_immutable_features_never_change(cancer):
    X, model, _ = cancer
    fixed = ["worst radius", "worst perimeter", "worst area", "worst concave points", "mean concave points"]
    explainer = CounterfactualExplainer(model, immutable=fixed, n_candidates=100, random_state=0).fit(X)
    result = explainer.explain(X.iloc[:12])
    assert len(result.counterfactuals) > 0
    owner = result.counterfactuals.index.get_level_values("row")
    pd.testing.assert_frame_equal(
        result.counterfactuals[fixed].reset_index(drop=True), X.iloc[:12][fixed].iloc[owner].reset_index(drop=True)
    )
    np.testing.assert_array_equal(explainer.immutable_, X.columns.isin(fixed))


def test_rows_that_cannot_be_flipped_are_reported():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    model = DecisionTreeClassifier(max_depth=1).fit(X, y)  # reads x0 only
    result = CounterfactualExplainer(model, immutable=[0], n_candidates=30, random_state=0).fit(X).explain(X[:5])
    assert result.status.tolist() == ["not_found"] * 5
    assert len(result.counterfactuals) == 0 and result.success_rate == 0.0
    assert "5 not found" in repr(result)
    everything = CounterfactualExplainer(model, immutable=[0, 1, 2]).fit(X).explain(X[:2])
    assert everything.status.tolist() == ["not_found", "not_found"]


# -- categorical features, missing values, integers -----------------------------------------------
@pytest.fixture(scope="module")
def penguins():
    frame = load_penguins()
    y = frame.pop("species")
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
            remainder=make_pipeline(SimpleImputer(), StandardScaler()),
        ),
        LogisticRegression(max_iter=1000),
    ).fit(frame, y)
    return frame, model


def test_categories_stay_levels_and_integers_stay_integers(penguins):
    frame, model = penguins
    explainer = CounterfactualExplainer(model, n_candidates=100, random_state=0).fit(frame)
    rows = frame.iloc[[0, 1, 2, 3, 4, 5, 6, 150, 151, 300]]  # row 3 is missing its measurements
    result = explainer.explain(rows, desired_class="Chinstrap")
    cf = result.counterfactuals
    assert (model.predict(cf) == "Chinstrap").all()
    assert cf.dtypes.equals(frame.dtypes)
    for column in ("island", "sex"):
        present = cf[column].dropna()
        assert present.isin(frame[column].dropna().unique()).all()
    assert cf["island"].ne(rows["island"].iloc[cf.index.get_level_values("row")].to_numpy()).any()
    assert (cf["year"] == cf["year"].round()).all() and cf["year"].between(2007, 2009).all()
    # Missing measurements stay missing.
    if 3 in cf.index.get_level_values("row"):
        assert result.for_row(3)[["bill_length_mm", "body_mass_g"]].isna().all().all()
    assert result.status[list(rows.index).index(300)] == "already_desired"
    # Distance: numeric changes in median absolute deviations, plus 1 per changed category.
    owner = cf.index.get_level_values("row")
    before, after = rows.iloc[owner].reset_index(drop=True), cf.reset_index(drop=True)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    categorical = ["island", "sex"]
    mad = (frame[numeric] - frame[numeric].median()).abs().median()
    moved = ((after[numeric] - before[numeric]).abs() / mad).sum(axis=1)
    same = (after[categorical] == before[categorical]) | (after[categorical].isna() & before[categorical].isna())
    swapped = ~same
    np.testing.assert_allclose(result.distance, moved + swapped.sum(axis=1))


def test_regressor_counterfactuals_reach_the_target_range():
    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    explainer = CounterfactualExplainer(model, immutable=["age", "sex"], n_candidates=100, random_state=0).fit(X)
    result = explainer.explain(X.iloc[:8], desired_range=(200, None))
    predicted = model.predict(result.counterfactuals)
    assert (predicted >= 200).all() and len(predicted) > 0
    already = model.predict(X.iloc[:8]) >= 200
    np.testing.assert_array_equal(result.status == "already_desired", already)
    owner = result.counterfactuals.index.get_level_values("row")
    np.testing.assert_array_equal(result.counterfactuals["sex"], X["sex"].iloc[owner])
    assert result.desired == (200.0, np.inf)
    inside = explainer.explain(X.iloc[:8], desired_range=(100, 150))
    assert ((model.predict(inside.counterfactuals) >= 100) & (model.predict(inside.counterfactuals) <= 150)).all()



class _RegressorWithEmptyClasses(RandomForestRegressor):
    """A regressor carrying an empty ``classes_``, as CatBoost's regressors do."""

    def fit(self, X, y):
        super().fit(X, y)
        self.classes_ = np.array([])
        return self


def test_regressor_with_an_empty_classes_attribute_is_a_regressor():
    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    model = _RegressorWithEmptyClasses(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    explainer = CounterfactualExplainer(model, n_candidates=50, random_state=0).fit(X)
    assert not hasattr(explainer, "classes_")
    result = explainer.explain(X.iloc[:3], desired_range=(200, None))
    assert (model.predict(result.counterfactuals) >= 200).all()

# -- reproducibility and the result type -------------------------------------------------------------
def test_same_seed_same_result_across_n_jobs_and_batches(cancer):
    X, model, _ = cancer
    params = dict(n_counterfactuals=2, n_candidates=50, random_state=5)
    serial = CounterfactualExplainer(model, **params).fit(X).explain(X.iloc[:6])
    parallel = CounterfactualExplainer(model, n_jobs=2, batch_size=100, **params).fit(X).explain(X.iloc[:6])
    pd.testing.assert_frame_equal(parallel.counterfactuals, serial.counterfactuals)
    np.testing.assert_array_equal(parallel.distance, serial.distance)
    alone = CounterfactualExplainer(model, **params).fit(X).explain(X.iloc[[4]])
    pd.testing.assert_frame_equal(alone.for_row(0), serial.for_row(4))


def test_result_helpers_agree_with_the_frame(cancer):
    X, model, explainer = cancer
    result = explainer.explain(X.iloc[:3], desired_class=1)
    assert isinstance(result, Counterfactuals)
    row = int(np.flatnonzero(result.status == "found")[0])
    mine = result.for_row(row)
    assert list(mine.index) == list(range(len(mine)))
    changes = result.changes(row)
    changed = result.changed[result.counterfactuals.index.get_level_values("row") == row]
    assert len(changes) == changed.sum()
    for line in changes.itertuples():
        assert line.original == X.iloc[row][line.feature]
        assert line.counterfactual == mine.iloc[line.rank][line.feature] != line.original
    frame = result.to_frame()
    assert list(frame.columns[-3:]) == ["prediction", "distance", "n_changed"]
    assert "Counterfactuals(3 rows" in repr(result)
    with pytest.raises(IndexError, match="row 3 is out of range for 3 explained rows"):
        result.for_row(3)


# -- bad input ----------------------------------------------------------------------------------------
def test_desired_class_the_model_does_not_have(cancer):
    X, _, explainer = cancer
    with pytest.raises(ValueError, match=r"desired_class='benign' is not a class of RandomForestClassifier; "
                                         r"its classes are 0, 1\."):
        explainer.explain(X.iloc[:2], desired_class="benign")
    with pytest.raises(ValueError, match="is a classifier: ask for a class with desired_class"):
        explainer.explain(X.iloc[:2], desired_range=(0, 1))


def test_immutable_feature_not_in_X(cancer):
    X, model, _ = cancer
    with pytest.raises(ValueError, match=r"'radius' \(in immutable\) is not a feature of X; the features are "
                                         r"'mean radius', 'mean texture'"):
        CounterfactualExplainer(model, immutable=["radius"]).fit(X)
    with pytest.raises(ValueError, match=r"Feature 30 \(in immutable\) is out of range: X has 30 features"):
        CounterfactualExplainer(model, immutable=[30]).fit(X)


def test_regressor_needs_a_valid_range():
    X, y = load_diabetes(return_X_y=True)
    explainer = CounterfactualExplainer(RandomForestRegressor(n_estimators=3, random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match=r"is a regressor: pass desired_range=\(low, high\)"):
        explainer.explain(X[:2])
    with pytest.raises(ValueError, match="is a regressor: it has no classes"):
        explainer.explain(X[:2], desired_class=1)
    with pytest.raises(ValueError, match="must satisfy low <= high"):
        explainer.explain(X[:2], desired_range=(200, 100))
    with pytest.raises(ValueError, match="must be a pair"):
        explainer.explain(X[:2], desired_range=200)


def test_columns_not_seen_at_fit(cancer):
    X, _, explainer = cancer
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- radius"):
        explainer.explain(X.rename(columns={"mean radius": "radius"}).iloc[:2])


def test_a_model_of_several_targets_is_refused_with_its_count():
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    forest = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, np.column_stack([X[:, 0], X[:, 1]]))
    with pytest.raises(ValueError, match="RandomForestRegressor predicts 2 targets per row"):
        CounterfactualExplainer(forest).fit(X)


def test_one_row_whose_counterfactual_changes_only_a_category():
    # The search changes only the category; the step moving numeric values back must not
    # call the model on zero rows.
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"c": pd.Categorical(rng.choice(["a", "b", "c"], 300)), "x": rng.normal(size=300)})
    y = (X["c"] == "a").astype(int)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=20).fit(X, y)
    cf = CounterfactualExplainer(model, random_state=0).fit(X).explain(X.iloc[[0]])
    assert cf.status[0] in ("found", "partial")
    assert (model.predict(cf.counterfactuals) != model.predict(X.iloc[[0]])[0]).all()


def test_finite_rows_give_finite_distances():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    X[5, 1] = 1e300  # finite, but its square is not
    cf = CounterfactualExplainer(model, random_state=0).fit(X).explain(X[3:7])
    assert np.isfinite(cf.distance).all() and np.isfinite(CounterfactualExplainer(model).fit(X).scale_).all()
