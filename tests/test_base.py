"""The explainer base class and the transparent-model mixin, through small test doubles."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassbox import KMeansBackground
from glassbox._core import masked_predict
from glassbox.explainers._base import BackgroundMixin, LocalExplainer


class OcclusionExplainer(BackgroundMixin, LocalExplainer):
    """Test double: value_j = f(x) - E_b f(x with feature j from the background)."""

    _parameter_constraints = {**LocalExplainer._parameter_constraints, **BackgroundMixin._background_constraints}

    def __init__(self, estimator, *, prefit="auto", output="auto", background=20, batch_size="auto",
                 n_jobs=None, random_state=None, verbose=False):
        self.estimator = estimator
        self.prefit = prefit
        self.output = output
        self.background = background
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def explain(self, X):
        X_encoded, model_output = self._prepare(X)
        p = X_encoded.shape[1]
        masks = np.vstack([np.ones(p, dtype=bool), ~np.eye(p, dtype=bool)])  # (p + 1, p)
        v = masked_predict(model_output, X_encoded, masks, self.background_, batch_size=self.batch_size,
                           n_jobs=self.n_jobs)
        values = v[:, :1, :] - v[:, 1:, :]  # (n, p, o)
        return self._explanation(X_encoded, values, v[:, 0, :], method="occlusion", model_output=model_output)


@parametrize_with_checks([OcclusionExplainer(Ridge())])
def test_explainer_base_is_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    return X, y


def test_occlusion_of_linear_model_is_closed_form(regression_data):
    X, y = regression_data
    model = LinearRegression().fit(X, y)
    exp = OcclusionExplainer(model, background=1000).fit(X).explain(X[:5])
    expected = model.coef_ * (X[:5] - X.mean(axis=0))
    np.testing.assert_allclose(exp.values[:, :, 0], expected, atol=1e-10)
    assert exp.shape == (5, 3, 1)
    np.testing.assert_allclose(exp.base_values[:, 0], model.predict(X[:5]))


def test_prefit_auto_uses_fitted_model_and_fits_unfitted_clone(regression_data):
    X, y = regression_data
    fitted = LinearRegression().fit(X, y)
    assert OcclusionExplainer(fitted).fit(X).estimator_ is fitted
    unfitted = LinearRegression()
    explainer = OcclusionExplainer(unfitted).fit(X, y)
    assert explainer.estimator_ is not unfitted and not hasattr(unfitted, "coef_")


def test_prefit_true_on_unfitted_model_names_the_fix(regression_data):
    X, _ = regression_data
    with pytest.raises(NotFittedError, match="prefit=True but LinearRegression is not fitted"):
        OcclusionExplainer(LinearRegression(), prefit=True).fit(X)


def test_unfitted_model_without_y_is_a_clear_error(regression_data):
    X, _ = regression_data
    with pytest.raises(ValueError, match="requires y to be passed"):
        OcclusionExplainer(LinearRegression()).fit(X)


def test_prefit_model_with_other_feature_count(regression_data):
    X, y = regression_data
    model = LinearRegression().fit(X[:, :2], y)
    with pytest.raises(ValueError, match="fitted on 2 features but X has 3"):
        OcclusionExplainer(model).fit(X)


def test_background_with_other_columns_is_rejected(regression_data):
    X, y = regression_data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    other = frame.rename(columns={"c": "z"})
    with pytest.raises(ValueError, match="background does not match"):
        OcclusionExplainer(LinearRegression(), background=other).fit(frame, y)


def test_classifier_outputs_are_class_probabilities_by_default():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    explainer = OcclusionExplainer(LogisticRegression()).fit(X, y)
    exp = explainer.explain(X[:4])
    assert list(exp.output_names) == ["no", "yes"]
    np.testing.assert_allclose(exp.base_values, explainer.estimator_.predict_proba(X[:4]))
    assert list(explainer.get_feature_names_out()) == ["no__x0", "no__x1", "yes__x0", "yes__x1"]
    log_odds = OcclusionExplainer(explainer.estimator_, output="log_odds").fit(X).explain(X[:4])
    p = explainer.estimator_.predict_proba(X[:4])
    np.testing.assert_allclose(log_odds.base_values, np.log(p / (1 - p)))


def test_pipeline_gridsearch_and_set_output(regression_data):
    X, y = regression_data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    pipe = Pipeline([("why", OcclusionExplainer(Ridge())), ("cohorts", KMeans(2, n_init=2, random_state=0))])
    labels = pipe.fit(frame, y).predict(frame)
    assert labels.shape == (60,)
    search = GridSearchCV(OcclusionExplainer(Ridge()), {"estimator__alpha": [0.1, 10.0]}, cv=2,
                          scoring=lambda est, X_, y_: -np.abs(est.transform(X_)).sum())
    search.fit(frame, y)
    assert search.best_params_["estimator__alpha"] == 10.0  # more shrinkage, smaller attributions
    out = clone(OcclusionExplainer(Ridge())).set_output(transform="pandas").fit(frame, y).transform(frame)
    assert list(out.columns) == ["a", "b", "c"] and isinstance(out, pd.DataFrame)


def test_categorical_frame_is_masked_with_real_categories():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame({"colour": ["red", "blue", "green", "red"] * 10, "size": np.arange(40.0)})
    y = (frame["colour"] == "red") * 3.0 + frame["size"] * 0.1
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"), LinearRegression()
    ).fit(frame, y)
    exp = OcclusionExplainer(model, background=KMeansBackground(3)).fit(frame).explain(frame.iloc[:4])
    assert exp.data[0, 0] == "red"  # shown as itself, never as a code
    assert exp.values.shape == (4, 2, 1)
    # A category the background never held is still explained (the model knows it).
    unseen = OcclusionExplainer(model, background=frame[frame.colour != "green"]).fit(frame)
    row = unseen.explain(frame.iloc[[2]])
    assert row.data[0, 0] == "green"
    np.testing.assert_allclose(row.base_values[0, 0], model.predict(frame.iloc[[2]])[0])


def test_user_frame_is_not_modified(regression_data):
    X, y = regression_data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    copy = frame.copy()
    OcclusionExplainer(Ridge()).fit(frame, y).explain(frame)
    pd.testing.assert_frame_equal(frame, copy)


def test_unseen_category_in_an_object_array_is_explained():
    class LevelModel(Ridge):
        """Regressor on an object array: value 5 for level 'c', else the number column."""

        def fit(self, X, y):
            self.n_features_in_ = 2
            return self

        def predict(self, X):
            X = np.asarray(X, dtype=object)
            return np.where(X[:, 0] == "c", 5.0, X[:, 1].astype(float))

    X = np.array([["a", 1.0], ["b", 2.0], ["a", 3.0]], dtype=object)
    explainer = OcclusionExplainer(LevelModel().fit(X, None)).fit(X)
    row = np.array([["c", 1.0]], dtype=object)
    exp = explainer.explain(row)
    assert exp.data[0, 0] == "c"
    np.testing.assert_allclose(exp.base_values[0, 0], 5.0)  # the model saw the real level
    # Occluding the level replaces it with background levels: mean over a, b, a -> column 1 = 1.0.
    np.testing.assert_allclose(exp.values[0, 0, 0], 5.0 - 1.0)


def test_clone_keeps_a_prefit_model_and_clones_an_unfitted_one(regression_data):
    X, y = regression_data
    fitted = LinearRegression().fit(X, y)
    assert clone(OcclusionExplainer(fitted)).estimator is fitted
    assert clone(OcclusionExplainer(fitted, prefit=False)).estimator is not fitted
    unfitted = Ridge(alpha=3.0)
    copy = clone(OcclusionExplainer(unfitted, background=7).set_output(transform="pandas"))
    assert copy.estimator is not unfitted and copy.estimator.alpha == 3.0 and copy.background == 7
    assert copy._sklearn_output_config == {"transform": "pandas"}
