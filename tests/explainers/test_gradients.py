"""GradientExplainer and layer_activations: closed forms on linear models, completeness of
integrated gradients and DeepLIFT, analytic gradients against finite differences
(Hypothesis over rows), reproducibility, activation maps, bad input."""

import warnings
from functools import cache

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402
from palmerpenguins import load_penguins  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import (  # noqa: E402
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    SGDClassifier,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import LinearSVC  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

from glassbox._core import InvalidParameterError  # noqa: E402
from glassbox.explainers import GradientExplainer, layer_activations  # noqa: E402
from glassbox.models import SparseLinearClassifier, SparseLinearRegressor  # noqa: E402

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@cache
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@cache
def mlp(kind, activation):
    """A small MLP on standardised iris: a regressor, or a binary, multiclass or multilabel classifier."""
    X, y = iris()
    params = dict(hidden_layer_sizes=(6, 5), activation=activation, alpha=1.0, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "regressor":
            return MLPRegressor(**params).fit(X, X[:, 0] * y)
        if kind == "binary":
            return MLPClassifier(**params).fit(X, y == 1)
        if kind == "multiclass":
            return MLPClassifier(**params).fit(X, y)
        return MLPClassifier(**params).fit(X, np.column_stack([y == 0, y == 1, X[:, 0] > 0]))


def explained_output(model, X, output):
    """The explained output computed from the model directly, shape (n, n_outputs)."""
    if output == "predict":
        return model.predict(X).reshape(len(X), -1)
    if output == "decision_function":
        return model.decision_function(X).reshape(len(X), -1)
    p = model.predict_proba(X)
    return p if output == "predict_proba" else np.log(p) - np.log1p(-p)


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * np.array([1.0, 2.0, 0.5, 3.0]) + np.array([0.0, 5.0, -1.0, 2.0])
    coef = np.array([4.0, -2.0, 1.0, 0.5])
    return X, X @ coef + 3.0 + 0.1 * rng.normal(size=300)


# -- closed forms on linear models ----------------------------------------------------------------
def test_saliency_of_a_linear_model_is_the_absolute_coefficient(linear_data):
    X, y = linear_data
    model = Ridge().fit(X, y)
    saliency = GradientExplainer(model, method="saliency").fit(X).explain(X[:10])
    np.testing.assert_allclose(saliency.values[:, :, 0], np.tile(np.abs(model.coef_), (10, 1)), rtol=1e-12)
    assert saliency.base_values is None and saliency.fidelity is None and saliency.method == "saliency"
    normalized = GradientExplainer(model, method="normalized_saliency").fit(X).explain(X[:10])
    expected = np.abs(model.coef_) / np.abs(model.coef_).sum()
    np.testing.assert_allclose(normalized.values[:, :, 0], np.tile(expected, (10, 1)), rtol=1e-12)


def test_saliency_of_a_multiclass_decision_function_is_each_class_coefficient():
    X, y = iris()
    model = LogisticRegression().fit(X, y)
    exp = GradientExplainer(model, method="saliency", output="decision_function").fit(X).explain(X[:5])
    assert exp.shape == (5, 4, 3)
    np.testing.assert_allclose(exp.values, np.broadcast_to(np.abs(model.coef_.T), (5, 4, 3)), rtol=1e-12)


def test_gradient_and_input_x_gradient_of_a_linear_model(linear_data):
    X, y = linear_data
    model = LinearRegression().fit(X, y)
    gradient = GradientExplainer(model, method="gradient").fit(X).explain(X[:6]).values[:, :, 0]
    np.testing.assert_allclose(gradient, np.tile(model.coef_, (6, 1)), rtol=1e-12)
    product = GradientExplainer(model, method="input_x_gradient").fit(X).explain(X[:6]).values[:, :, 0]
    np.testing.assert_allclose(product, model.coef_ * X[:6], rtol=1e-12)
    np.testing.assert_allclose(product.sum(axis=1), model.predict(X[:6]) - model.intercept_, rtol=1e-10)


@pytest.mark.parametrize("integration", ["gauss_legendre", "riemann"])
@pytest.mark.parametrize("n_steps", [1, 7])
def test_integrated_gradients_of_a_linear_model_are_exact(linear_data, integration, n_steps):
    X, y = linear_data
    model = Ridge().fit(X, y)
    explainer = GradientExplainer(model, n_steps=n_steps, integration=integration).fit(X)
    exp = explainer.explain(X[:20])
    np.testing.assert_allclose(explainer.baseline_, X.mean(axis=0))
    np.testing.assert_allclose(exp.values[:, :, 0], model.coef_ * (X[:20] - X.mean(axis=0)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(exp.base_values[:, 0], model.predict(X.mean(axis=0)[None]).repeat(20))
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(X[:20]), rtol=1e-12)
    assert exp.fidelity.shape == (20, 1) and exp.fidelity.max() < 1e-10


@pytest.mark.parametrize("baseline", ["zeros", np.array([1.0, -2.0, 0.5, 7.0]), "frame"])
def test_deeplift_of_a_linear_model_is_coef_times_difference(linear_data, baseline):
    X, y = linear_data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = Ridge().fit(frame, y)
    reference = {"zeros": np.zeros(4), "frame": X[7]}.get(baseline if isinstance(baseline, str) else "", baseline)
    given_baseline = frame.iloc[[7]] if isinstance(baseline, str) and baseline == "frame" else baseline
    exp = GradientExplainer(model, method="deeplift", baseline=given_baseline).fit(frame).explain(frame.iloc[:15])
    np.testing.assert_array_equal(exp.values[:, :, 0], model.coef_ * (X[:15] - reference))
    assert list(exp.feature_names) == ["a", "b", "c", "d"]
    assert exp.fidelity.max() < 1e-10


def test_deeplift_of_linear_classifiers_and_scaled_pipelines():
    X, y = iris()
    raw = load_iris().data
    binary = LogisticRegression().fit(X, y == 2)
    exp = GradientExplainer(binary, method="deeplift", output="log_odds").fit(X).explain(X[:10])
    expected = binary.coef_[0] * (X[:10] - X.mean(axis=0))
    np.testing.assert_allclose(exp.values[:, :, 1], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(exp.values[:, :, 0], -expected, rtol=1e-10, atol=1e-12)  # log-odds of class 0
    pipe = make_pipeline(StandardScaler(), Ridge()).fit(raw, y)
    exp = GradientExplainer(pipe, method="deeplift").fit(raw).explain(raw[:10])
    slope = pipe[-1].coef_ / pipe[0].scale_  # chain rule through the scaler
    np.testing.assert_allclose(exp.values[:, :, 0], slope * (raw[:10] - raw.mean(axis=0)), rtol=1e-10, atol=1e-12)


def test_sparse_linear_models_are_differentiated_through_their_value_terms(linear_data):
    X, y = linear_data
    model = SparseLinearRegressor(max_features=3).fit(X, y)
    exp = GradientExplainer(model, method="gradient").fit(X).explain(X[:4])
    slope = np.zeros(4)
    np.add.at(slope, model.term_feature_idx_, model.coef_)
    np.testing.assert_allclose(exp.values[:, :, 0], np.tile(slope, (4, 1)), rtol=1e-12)
    assert (exp.values[:, ~model.support_, 0] == 0).all()


# -- completeness -------------------------------------------------------------------------------
@pytest.mark.parametrize("integration", ["gauss_legendre", "riemann"])
def test_integrated_gradients_completeness_error_vanishes_as_steps_grow(integration):
    X, _ = iris()
    model = mlp("multiclass", "tanh")
    errors = []
    for n_steps in (2, 8, 32, 128):
        exp = GradientExplainer(model, n_steps=n_steps, integration=integration).fit(X).explain(X[::10])
        # The reported error is the gap to the model's own output.
        gap = np.abs(exp.output() - model.predict_proba(X[::10]))
        np.testing.assert_allclose(exp.fidelity, gap, atol=1e-12)
        errors.append(exp.fidelity.max())
    assert errors[0] > 1e-4  # the path is curved enough for the test to mean something
    # Decreasing until rounding: Gauss-Legendre converges geometrically, the midpoint rule as 1 / n_steps**2.
    assert all(later < earlier or later < 1e-13 for earlier, later in zip(errors, errors[1:]))
    assert errors[-1] < (1e-12 if integration == "gauss_legendre" else 1e-3 * errors[0])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "kind, output",
    [
        ("regressor", "predict"),
        ("binary", "predict_proba"),
        ("binary", "log_odds"),
        ("multiclass", "predict_proba"),
        ("multiclass", "log_odds"),
        ("multilabel", "predict_proba"),
        ("multilabel", "log_odds"),
    ],
)
def test_deeplift_is_complete_on_mlps(activation, kind, output):
    X, _ = iris()
    model = mlp(kind, activation)
    explainer = GradientExplainer(model, method="deeplift", output=output).fit(X)
    exp = explainer.explain(X)
    np.testing.assert_allclose(explainer.baseline_output_, explained_output(model, X.mean(axis=0)[None], output)[0])
    gap = exp.output() - explained_output(model, X, output)
    assert np.abs(gap).max() < 1e-8
    assert exp.fidelity.max() < 1e-8


def test_deeplift_of_a_row_at_the_baseline_is_zero():
    X, _ = iris()
    exp = GradientExplainer(mlp("multiclass", "relu"), method="deeplift", baseline=X[3]).fit(X).explain(X[[3, 3]])
    np.testing.assert_array_equal(exp.values, 0.0)


# -- analytic gradients against finite differences ------------------------------------------------
def pre_activations(model, rows):
    """Hidden pre-activations of a scikit-learn MLP, computed independently."""
    values, out = rows, []
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        z = values @ W + b
        out.append(z)
        values = {"identity": z, "relu": np.maximum(z, 0), "tanh": np.tanh(z), "logistic": 1 / (1 + np.exp(-z))}[
            model.activation
        ]
    return out


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "kind, output",
    [
        ("regressor", "predict"),
        ("binary", "predict_proba"),
        ("binary", "log_odds"),
        ("multiclass", "predict_proba"),
        ("multiclass", "log_odds"),
        ("multilabel", "predict_proba"),
        ("multilabel", "log_odds"),
    ],
)
@settings(max_examples=10, deadline=None)
@given(rows=arrays(np.float64, (3, 4), elements=st.floats(-2.5, 2.5)))
def test_mlp_gradients_agree_with_finite_differences(activation, kind, output, rows):
    X, _ = iris()
    model = mlp(kind, activation)
    if activation == "relu":  # the gradient does not exist at a kink
        assume(min(np.abs(z).min() for z in pre_activations(model, rows)) > 1e-3)
    if output == "log_odds":  # the model's own log-odds lose digits as p nears 0 or 1
        p = model.predict_proba(rows)
        assume(p.min() > 1e-6 and p.max() < 1 - 1e-6)
    analytic = GradientExplainer(model, method="gradient", output=output).fit(X).explain(rows).values
    numeric = GradientExplainer(model, method="finite_difference", output=output).fit(X).explain(rows).values
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def linear_models():
    X, y = iris()
    raw = load_iris().data
    diabetes_X, diabetes_y = load_diabetes(return_X_y=True)
    return [
        ("logistic-multiclass", LogisticRegression().fit(X, y), X, ["predict_proba", "log_odds", "decision_function"]),
        ("sgd-ovr", SGDClassifier(loss="log_loss", alpha=0.1, random_state=0).fit(X, y), X, ["predict_proba"]),
        ("linear-svc", LinearSVC().fit(X, y), X, ["decision_function"]),
        ("poisson", PoissonRegressor().fit(diabetes_X, diabetes_y), diabetes_X, ["predict"]),
        ("sparse-classifier", SparseLinearClassifier(max_features=3).fit(X, y), X, ["predict_proba", "log_odds"]),
        (
            "minmax-logistic",
            make_pipeline(MinMaxScaler(), LogisticRegression()).fit(raw, y == 1),
            raw,
            ["predict_proba", "log_odds"],
        ),
        (
            "scaled-mlp",
            make_pipeline(
                RobustScaler(),
                MaxAbsScaler(),
                MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", max_iter=500, random_state=0),
            ).fit(raw, y),
            raw,
            ["predict"],
        ),
    ]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name, model, X, outputs", linear_models(), ids=lambda v: v if isinstance(v, str) else "")
def test_linear_model_and_pipeline_gradients_agree_with_finite_differences(name, model, X, outputs):
    rows = X[::15]
    for output in outputs:
        analytic = GradientExplainer(model, method="gradient", output=output).fit(X).explain(rows).values
        numeric = GradientExplainer(model, method="finite_difference", output=output).fit(X).explain(rows).values
        scale = np.abs(analytic).max()
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7 * scale, err_msg=output)
        deeplift = GradientExplainer(model, method="deeplift", output=output).fit(X).explain(rows)
        assert deeplift.fidelity.max() < 1e-8 * max(1.0, np.abs(deeplift.base_values).max()), output


def test_log_odds_are_differentiated_as_clipped():
    # Separable classes and a weak penalty: far rows reach the clipping of probabilities,
    # where the explained log-odds are flat.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    model = LogisticRegression(C=1e6, max_iter=1000).fit(X, X[:, 0] > 0)
    rows = np.array([[0.001, 0.0], [50.0, 1.0], [-50.0, 1.0]])
    gradient = GradientExplainer(model, method="gradient", output="log_odds").fit(X).explain(rows).values
    np.testing.assert_allclose(gradient[0, :, 1], model.coef_[0])
    np.testing.assert_array_equal(gradient[1:], 0.0)
    deeplift = GradientExplainer(model, method="deeplift", output="log_odds").fit(X).explain(rows)
    assert deeplift.fidelity.max() < 1e-8


class Smooth(RegressorMixin, BaseEstimator):
    """f(x) = sin(x0 / 1000) + 1e6 x1**3 + x0 x2 / 1000, with features on very different scales."""

    def fit(self, X, y=None):
        self.n_features_in_ = 3
        self.calls_, self.rows_ = 0, 0
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.calls_ += 1
        self.rows_ += len(X)
        return np.sin(X[:, 0] / 1000) + 1e6 * X[:, 1] ** 3 + X[:, 0] * X[:, 2] / 1000


def test_finite_differences_of_any_model_with_scale_aware_steps():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3)) * np.array([1000.0, 1e-3, 1.0])
    model = Smooth().fit(X)
    explainer = GradientExplainer(model, method="finite_difference", batch_size=48).fit(X)
    model.fit(X)  # reset the counters
    exp = explainer.explain(X[:10])
    expected = np.column_stack(
        [np.cos(X[:10, 0] / 1000) / 1000 + X[:10, 2] / 1000, 3e6 * X[:10, 1] ** 2, X[:10, 0] / 1000]
    )
    # Relative to each feature's scale of derivatives: rounding of f is divided by the step.
    scale = np.abs(expected).max(axis=0)
    np.testing.assert_allclose(exp.values[:, :, 0] / scale, expected / scale, rtol=1e-7, atol=1e-7)
    # Every up and down copy of every row is one stacked batch, cut in chunks of batch_size.
    assert model.rows_ == 10 * 2 * 3 and model.calls_ == int(np.ceil(60 / 48))
    np.testing.assert_allclose(explainer.scale_, X.std(axis=0))


def test_finite_differences_of_a_tree_with_a_coarse_step():
    X = np.linspace(0, 10, 101)[:, None]
    tree = DecisionTreeRegressor(max_depth=1).fit(X, (X[:, 0] > 5.05) * 2.0)
    h = 0.1 * X.std()
    exp = GradientExplainer(tree, method="finite_difference", step=0.1).fit(X).explain(np.array([[1.0], [5.0], [9.0]]))
    np.testing.assert_allclose(exp.values[:, 0, 0], [0.0, 2.0 / (2 * h), 0.0])


# -- sampling and parallelism -------------------------------------------------------------------
def test_smoothgrad_same_seed_same_result_for_any_n_jobs_batch_and_order():
    X, _ = iris()
    model = mlp("multiclass", "tanh")
    rows = X[::7]

    def smoothgrad(**params):
        return GradientExplainer(model, method="smoothgrad", smoothgrad_samples=20, random_state=3, **params).fit(X)

    reference = smoothgrad().explain(rows)
    parallel = smoothgrad(n_jobs=2, batch_size=40).explain(rows)
    np.testing.assert_array_equal(parallel.values, reference.values)
    np.testing.assert_array_equal(parallel.std, reference.std)
    reversed_rows = smoothgrad(batch_size=25).explain(rows[::-1])
    np.testing.assert_array_equal(reversed_rows.values[::-1], reference.values)
    assert (reference.std > 0).all()
    other_seed = GradientExplainer(model, method="smoothgrad", smoothgrad_samples=20, random_state=4).fit(X)
    assert not np.allclose(other_seed.explain(rows).values, reference.values)
    # The mean of the noisy gradients approaches the gradient as the noise vanishes.
    quiet = GradientExplainer(model, method="smoothgrad", noise=1e-8, random_state=0).fit(X).explain(rows)
    gradient = GradientExplainer(model, method="gradient").fit(X).explain(rows)
    np.testing.assert_allclose(quiet.values, gradient.values, atol=1e-6)


def test_smoothgrad_of_a_linear_model_is_its_coefficient(linear_data):
    X, y = linear_data
    model = Ridge().fit(X, y)
    exp = GradientExplainer(model, method="smoothgrad", random_state=0).fit(X).explain(X[:5])
    np.testing.assert_allclose(exp.values[:, :, 0], np.tile(model.coef_, (5, 1)), rtol=1e-12)
    np.testing.assert_allclose(exp.std, 0.0, atol=1e-12)


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift", "saliency", "finite_difference"])
def test_same_result_for_any_n_jobs(method):
    X, _ = iris()
    model = mlp("binary", "logistic")
    one = GradientExplainer(model, method=method, batch_size=64).fit(X).explain(X)
    two = GradientExplainer(model, method=method, batch_size=64, n_jobs=2).fit(X).explain(X)
    np.testing.assert_array_equal(one.values, two.values)


# -- the estimator around it ----------------------------------------------------------------------
def test_frames_names_and_transform():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    explainer = GradientExplainer(model, method="deeplift").fit(X)
    exp = explainer.explain(X.iloc[:5])
    assert list(exp.feature_names) == list(X.columns) and list(exp.output_names) == [0, 1, 2]
    np.testing.assert_allclose(exp.data, X.iloc[:5].to_numpy())
    out = explainer.set_output(transform="pandas").transform(X.iloc[:5])
    assert out.shape == (5, 12) and out.columns[0] == "0__sepal length (cm)"
    np.testing.assert_allclose(out.to_numpy()[:, 4:8], exp.values[:, :, 1])


def test_unfitted_model_is_fitted_on_X_y(linear_data):
    X, y = linear_data
    explainer = GradientExplainer(Ridge(), method="gradient").fit(X, y)
    np.testing.assert_allclose(explainer.transform(X[:2]), np.tile(explainer.estimator_.coef_, (2, 1)))


# -- activation maps ------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_layer_activations_are_the_hidden_layers_of_the_network(activation):
    X, y = load_iris(return_X_y=True, as_frame=True)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(6, 3), activation=activation, max_iter=50, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    layers = layer_activations(pipe, X.iloc[:7])
    expected = pre_activations(pipe[-1], pipe[0].transform(X.iloc[:7]))
    squash = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0))
    assert [layer.shape for layer in layers] == [(7, 6, 1), (7, 3, 1)]
    for layer, z in zip(layers, expected):
        np.testing.assert_allclose(layer.values[:, :, 0], squash(z), rtol=1e-12)
    assert list(layers[0].feature_names) == [f"layer1_unit{u}" for u in range(6)]
    assert layers[1].method == f"layer 2 activation ({activation})"
    assert list(layers[1].output_names) == ["activation"]


def test_activation_display_draws_one_heatmap_per_layer():
    from glassbox.plot import ActivationDisplay

    X, _ = iris()
    model = mlp("multiclass", "relu")
    disp = ActivationDisplay.from_estimator(model, X[:9]).plot()
    layers = layer_activations(model, X[:9])
    assert len(disp.images_) == 2 and len(disp.axes_) == 2
    for image, layer in zip(disp.images_, layers):
        np.testing.assert_allclose(image.get_array(), layer.values[:, :, 0])
    assert [ax.get_title() for ax in disp.axes_] == ["layer 1 activation (relu)", "layer 2 activation (relu)"]
    assert disp.axes_[0].get_xlabel() == "unit" and disp.axes_[0].get_ylabel() == "row"
    assert [t.get_text() for t in disp.axes_[1].get_xticklabels()] == [str(u) for u in range(5)]
    _, axes = plt.subplots(1, 2)
    assert ActivationDisplay.from_activations(layers).plot(ax=axes).figure_ is axes[0].figure
    with pytest.raises(ValueError, match="2 axes, one per layer; got 1"):
        ActivationDisplay.from_activations(layers).plot(ax=axes[0])


# -- bad input ------------------------------------------------------------------------------------
def test_non_differentiable_model_with_an_analytic_method_names_finite_differences(linear_data):
    X, y = linear_data
    tree = DecisionTreeRegressor(max_depth=3).fit(X, y)
    with pytest.raises(ValueError, match="DecisionTreeRegressor is not one of them.*method='finite_difference'"):
        GradientExplainer(tree, method="integrated_gradients").fit(X)
    pipe = make_pipeline(PolynomialFeatures(), Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="PolynomialFeatures is not a per-feature scaler.*finite_difference"):
        GradientExplainer(pipe, method="saliency").fit(X)
    clipped = make_pipeline(MinMaxScaler(clip=True), Ridge()).fit(X, y)
    with pytest.raises(ValueError, match="clip=True"):
        GradientExplainer(clipped, method="deeplift").fit(X)


def test_probabilities_without_a_known_link_are_refused():
    X, y = iris()
    model = SGDClassifier(loss="modified_huber", random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="output='decision_function'.*method='finite_difference'"):
        GradientExplainer(model, method="gradient").fit(X)
    exp = GradientExplainer(model, method="gradient", output="decision_function").fit(X).explain(X[:2])
    np.testing.assert_allclose(exp.values, np.broadcast_to(model.coef_.T, (2, 4, 3)))


def test_unknown_method_and_baseline_are_refused(linear_data):
    X, y = linear_data
    with pytest.raises(InvalidParameterError, match="'method' parameter of GradientExplainer"):
        GradientExplainer(Ridge(), method="lrp").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'baseline' parameter.*'median'"):
        GradientExplainer(Ridge(), baseline="median").fit(X, y)
    with pytest.raises(ValueError, match="one value per feature: 4 values; got 3"):
        GradientExplainer(Ridge(), baseline=[0.0, 1.0, 2.0]).fit(X, y)
    with pytest.raises(ValueError, match="single row; got 2 rows"):
        GradientExplainer(Ridge(), baseline=X[:2]).fit(X, y)


def test_categorical_columns_behind_a_one_hot_front_get_no_gradient():
    penguins = load_penguins().dropna()
    X = penguins[["island", "bill_length_mm", "sex"]]
    encoder = make_column_transformer((OneHotEncoder(), ["island", "sex"]), remainder="passthrough")
    model = make_pipeline(encoder, Ridge()).fit(X, penguins["body_mass_g"])
    slope = model[-1].coef_[-1]  # the passthrough column comes last
    for method in ("finite_difference", "gradient"):
        exp = GradientExplainer(model, method=method).fit(X).explain(X.iloc[:5])
        np.testing.assert_allclose(exp.values[:, 1, 0], slope, rtol=1e-6)
        np.testing.assert_array_equal(exp.values[:, [0, 2], 0], 0.0)
    # A categorical column the model cannot take through a front is refused, naming the alternatives.
    from glassbox.models import SparseLinearRegressor

    with pytest.raises(TypeError, match="categorical: 'island', 'sex'.*ShapleyExplainer or LimeExplainer"):
        GradientExplainer(SparseLinearRegressor().fit(X, penguins["body_mass_g"]), method="gradient").fit(X)


def test_a_network_behind_a_front_that_encodes_categories_and_fills_missing_values():
    penguins = load_penguins()
    X = penguins[["island", "bill_length_mm", "flipper_length_mm", "sex"]]
    y = penguins["species"]
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    front = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
        (numeric, ["bill_length_mm", "flipper_length_mm"]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(front, MLPClassifier(hidden_layer_sizes=(8,), max_iter=600, random_state=0)).fit(X, y)
    rows = X.iloc[[0, 3, 8, 100, 200]]  # row 3 has its numeric values missing
    assert rows.isna().any(axis=None)
    for method in ("deeplift", "integrated_gradients"):
        exp = GradientExplainer(model, method=method).fit(X).explain(rows)
        movable = rows[["bill_length_mm", "flipper_length_mm"]].notna().to_numpy()
        np.testing.assert_array_equal(exp.values[:, [0, 3]], 0.0)  # categories keep the row's level
        np.testing.assert_array_equal(exp.values[:, 1:3][~movable], 0.0)  # and missing cells their imputation
        # Each row's baseline takes the row's categories and missing cells: the values add up to f(x) - f(b_x).
        baseline = rows.copy()
        means = X[["bill_length_mm", "flipper_length_mm"]].mean()
        for column in means.index:
            baseline[column] = np.where(rows[column].notna(), means[column], np.nan)
        np.testing.assert_allclose(exp.base_values, model.predict_proba(baseline), atol=1e-10)
        np.testing.assert_allclose(exp.output(), model.predict_proba(rows), atol=1e-3 if method != "deeplift" else 1e-10)
    # The gradient in a raw column is the derived gradient times the scaler's slope: central differences agree.
    analytic = GradientExplainer(model, method="gradient").fit(X).explain(rows.dropna())
    numerical = GradientExplainer(model, method="finite_difference").fit(X).explain(rows.dropna())
    np.testing.assert_allclose(analytic.values, numerical.values, atol=1e-6)


def test_missing_values_in_explained_rows_are_refused(linear_data):
    X, y = linear_data
    explainer = GradientExplainer(Ridge().fit(X, y)).fit(X)
    rows = X[:3].copy()
    rows[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN \(missing values\) in 'x2'.*ShapleyExplainer"):
        explainer.explain(rows)
    with pytest.raises(ValueError, match=r"NaN \(missing values\) in 'x2'; GradientExplainer does not accept"):
        GradientExplainer(Ridge().fit(X, y)).fit(rows)


def test_layer_activations_needs_an_mlp(linear_data):
    X, y = linear_data
    with pytest.raises(TypeError, match="needs a fitted MLPClassifier or MLPRegressor.*got Ridge"):
        layer_activations(make_pipeline(StandardScaler(), Ridge()).fit(X, y), X)
    with pytest.raises(ValueError, match="X has 3 features"):
        layer_activations(mlp("regressor", "relu"), X[:, :3])


def test_a_scaled_network_fitted_on_integer_columns_is_differentiated():
    # The mean baseline is not an integer: decoding must not truncate it to the columns' dtype.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(0, 10, size=(200, 4)), columns=list("abcd"))
    y = (X["a"] + X["b"] > 9).astype(int)
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=500, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    explainer = GradientExplainer(model, method="deeplift").fit(X)
    assert explainer.baseline_[0] == X["a"].mean()
    np.testing.assert_allclose(explainer.baseline_output_, model.predict_proba(X.mean().to_frame().T)[0])
    exp = explainer.explain(X.iloc[:5])
    np.testing.assert_allclose(exp.output(), model.predict_proba(X.iloc[:5]), atol=1e-8)


def test_finite_inputs_give_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    X[5, 1] = 1e300  # finite, but its square is not: the feature scale must stay finite
    exp = GradientExplainer(model, method="finite_difference").fit(X).explain(X[3:7])
    assert np.isfinite(exp.values).all()


@pytest.fixture(scope="module")
def relu_network():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 10))
    y = (X[:, 0] * X[:, 1] + np.sin(3 * X[:, 2]) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=500, random_state=0).fit(X[:200], y[:200])
    return X, model


def test_integrated_gradients_meet_the_tolerance_by_default(relu_network):
    X, model = relu_network
    explainer = GradientExplainer(model).fit(X[:200])
    exp = explainer.explain(X[200:400])
    outputs = model.predict_proba(X[:200])
    np.testing.assert_allclose(explainer.output_range_, outputs.max(axis=0) - outputs.min(axis=0))
    assert (exp.fidelity <= 1e-3 * explainer.output_range_).all()
    # 50 fixed points do not: the gradient of a ReLU network jumps along the path.
    fixed = GradientExplainer(model, n_steps=50).fit(X[:200]).explain(X[200:400])
    assert fixed.fidelity.max() > 1e-3
    # A row's values depend on the row only.
    alone = explainer.explain(X[[207]])
    np.testing.assert_allclose(alone.values[0], exp.values[7], rtol=0, atol=1e-12)


def test_paths_are_cut_where_a_relu_unit_switches(relu_network):
    X, model = relu_network
    explainer = GradientExplainer(model).fit(X[:200])
    network, baseline = explainer._network, explainer.baseline_
    owner, alpha = network.kinks(X[200:210], baseline)

    def pattern(row, a):  # which units of both hidden layers are on at position a of the path
        point = baseline + a * (X[200 + row] - baseline)
        return np.concatenate([network._pre_activation(point[None], d)[0] > 0 for d in (0, 1)])

    for row in range(10):
        cuts = alpha[owner == row]
        assert cuts[0] == 0.0 and cuts[-1] == 1.0 and np.all(np.diff(cuts) > 0)
        for a, c in zip(cuts[:-1], cuts[1:]):  # the same units are on across a piece
            inside = [pattern(row, a + (c - a) * f) for f in (0.01, 0.5, 0.99)]
            assert all(np.array_equal(inside[0], other) for other in inside[1:])
        for cut in cuts[1:-1]:  # and at each cut some unit is at its kink
            point = baseline + cut * (X[200 + row] - baseline)
            smallest = min(np.abs(network._pre_activation(point[None], d)).min() for d in (0, 1))
            assert smallest < 1e-9


def test_a_tolerance_out_of_reach_is_said(relu_network):
    X, model = relu_network
    with pytest.warns(UserWarning, match=r"did not reach the completeness tol=1e-300"):
        GradientExplainer(model, tol=1e-300).fit(X[:200]).explain(X[200:203])
