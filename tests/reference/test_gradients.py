"""GradientExplainer against computations written here: gradient methods have no peer library.

Every reference calls only the model's own ``predict_proba`` / ``predict``:

- the gradient is compared with central differences (the five-point stencil, feature
  ``j`` moved by 1 and 2 steps of 1e-6 of its standard deviation either way: truncation
  error near 1e-24, rounding error near 1e-10 of the output's range). The error is read
  as a change of the output over one standard deviation of the feature, in units of the
  output's range, and must stay below 1e-6 (measured: 6e-9);
- integrated gradients with the midpoint rule at 10,000 steps are compared with a
  10,000-step midpoint Riemann sum of those central differences along the straight path
  from the baseline, to 1e-6 of the output's range for smooth networks (tanh, logistic,
  identity; linear models; measured 1e-9). For ReLU networks the gradient jumps where
  the path crosses a unit's kink, and a stencil that straddles a kink averages the two
  slopes, so one path point in 10,000 may be off by its share of the jump: the bound is
  1e-3 (measured 3e-4 on one configuration, which a step 100 times smaller brings to
  1e-8: the reference's error, not glassbox's);
- completeness: DeepLIFT's values add up to ``f(x) - f(b)`` exactly (1e-9 of the
  range). Integrated gradients with 10,000 steps add up as well as the 10,000-step
  Riemann sum does, within the bounds above: for ReLU networks the midpoint rule itself
  misses by up to a step's share of each jump (measured up to 1e-3 of the range). At the
  default settings, the completeness error glassbox reports (``fidelity``) is the one
  the model shows, to 1e-9.

The models are scikit-learn MLPs after a StandardScaler (the Pipelines
GradientExplainer differentiates) and logistic or ridge regression, on numeric data.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.explainers import GradientExplainer

pytestmark = pytest.mark.reference

GRADIENT = 1e-6
SMOOTH = 1e-6
KINKED = 1e-3
DEEPLIFT = 1e-9
STEPS = 10_000
N_ROWS = 5

SEARCH = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def gradient_model(f, activation, hidden=(16, 8)):
    """A model GradientExplainer differentiates, fitted on the case's (numeric) data."""
    classifier = f.case.is_classifier
    if activation == "linear":
        final = LogisticRegression(max_iter=2000) if classifier else Ridge(alpha=1.0)
    else:
        kind = MLPClassifier if classifier else MLPRegressor
        final = kind(hidden_layer_sizes=hidden, activation=activation, solver="lbfgs", alpha=1e-2, max_iter=500,
                     random_state=f.case.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(StandardScaler(), final).fit(f.X, f.y)


def model_output(f, model):
    """The explained output on a float array of rows: (n, o)."""
    method = "predict_proba" if f.case.is_classifier else "predict"

    def call(A):
        return np.asarray(getattr(model, method)(f.decode(A)), dtype=np.float64).reshape(len(A), -1)

    return call


def central_differences(output, A, h):
    """d output / d x_j by the five-point central stencil with steps h: (n, p, o)."""
    n, p = A.shape
    moved = np.repeat(A[:, None, :], p, axis=1)  # (n, p, p): row i with feature j moved
    step = np.eye(p) * h

    def at(k):  # the output with feature j moved by k steps: (n, p, o)
        return output((moved + k * step).reshape(-1, p)).reshape(n, p, -1)

    return (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * h)[None, :, None]


def riemann_integrated_gradients(output, x, baseline, h):
    """(x - b) times the mean gradient at the midpoints of STEPS equal steps: (p, o)."""
    alphas = (np.arange(STEPS) + 0.5) / STEPS
    points = baseline + alphas[:, None] * (x - baseline)
    return (x - baseline)[:, None] * central_differences(output, points, h).mean(axis=0)


def setup(f, activation):
    model = gradient_model(f, activation)
    output = model_output(f, model)
    rows = f.X.iloc[-N_ROWS:]
    A = f.encode(rows)
    h = 1e-6 * f.X.std(ddof=0).to_numpy()
    scale = float(np.ptp(output(f.encode(f.X)))) or 1.0
    return model, output, rows, A, h, scale


def check_gradient(f, activation, figures):
    model, output, rows, A, h, scale = setup(f, activation)
    exp = GradientExplainer(model, method="gradient").fit(f.X).explain(rows)
    reference = central_differences(output, A, h)
    sd = f.X.std(ddof=0).to_numpy()[None, :, None]
    error = (np.abs(exp.values - reference) * sd).max() / scale
    figures.add("gradient vs central differences: |difference| x feature sd / output range",
                f"{f.case} {activation}", error, GRADIENT)
    assert error <= GRADIENT, f"{f.case}, {activation}: gradients differ from central differences by {error:.2e}"


def check_integrated_gradients(f, activation, figures):
    model, output, rows, A, h, scale = setup(f, activation)
    tolerance = KINKED if activation == "relu" else SMOOTH
    label = f"{f.case} {activation}"
    explainer = GradientExplainer(model, method="integrated_gradients", n_steps=STEPS, integration="riemann")
    exp = explainer.fit(f.X).explain(rows)
    baseline = explainer.baseline_
    reference = np.stack([riemann_integrated_gradients(output, x, baseline, h) for x in A])
    error = np.abs(exp.values - reference).max() / scale
    kind = "ReLU" if activation == "relu" else "smooth"
    figures.add(f"integrated gradients ({kind}) vs 10,000-step Riemann sum / output range", label, error, tolerance)
    assert error <= tolerance, f"{label}: integrated gradients differ from the Riemann sum by {error:.2e}"

    f_x, f_b = output(A), output(baseline[None, :])
    base = np.abs(exp.base_values - f_b).max() / scale
    assert base <= DEEPLIFT, f"{label}: the base value is not the model's output at the baseline"
    ours = np.abs(exp.values.sum(axis=1) - (f_x - f_b)).max() / scale
    theirs = np.abs(reference.sum(axis=1) - (f_x - f_b)).max() / scale
    figures.add(f"integrated gradients ({kind}), 10,000 steps: completeness error beyond the Riemann sum's / range",
                label, ours - theirs, tolerance)
    assert ours <= theirs + tolerance, (
        f"{label}: integrated gradients miss f(x) - f(b) by {ours:.2e}, the Riemann sum by {theirs:.2e}"
    )

    default = GradientExplainer(model, method="integrated_gradients").fit(f.X).explain(rows)
    actual = np.abs(default.values.sum(axis=1) - (f_x - f_b))
    misreport = np.abs(default.fidelity - actual).max() / scale
    figures.add("integrated gradients, default settings: reported - actual completeness error / output range",
                label, misreport, DEEPLIFT)
    assert misreport <= DEEPLIFT, f"{label}: the reported completeness error is off by {misreport:.2e}"

    deeplift = GradientExplainer(model, method="deeplift").fit(f.X).explain(rows)
    error = np.abs(deeplift.values.sum(axis=1) - (f_x - f_b)).max() / scale
    figures.add("DeepLIFT: completeness error / output range", label, error, DEEPLIFT)
    assert error <= DEEPLIFT, f"{label}: DeepLIFT's values miss f(x) - f(b) by {error:.2e}"


GRADIENT_CASES = [
    ("mlp-binary-numeric-200x5-seed1", "relu"),
    ("mlp-multiclass-numeric-200x5-seed2", "tanh"),
    ("mlp-regression-numeric-200x5-seed3", "logistic"),
    ("linear-multiclass-numeric-200x5-seed4", "linear"),
]


@pytest.mark.parametrize(("name", "activation"), GRADIENT_CASES)
def test_gradient_matches_central_differences(name, activation, as_case, fitted, figures):
    check_gradient(fitted(as_case(name)), activation, figures)


@pytest.mark.parametrize(("name", "activation"), GRADIENT_CASES[:3])
def test_integrated_gradients_match_riemann_sum(name, activation, as_case, fitted, figures):
    check_integrated_gradients(fitted(as_case(name)), activation, figures)


ACTIVATIONS = st.sampled_from(["relu", "tanh", "logistic", "identity", "linear"])


@pytest.mark.slow
@SEARCH
@given(data=st.data(), activation=ACTIVATIONS)
def test_gradient_matches_central_differences_search(data, activation, case_strategy, fitted, figures):
    case = data.draw(case_strategy(families=("mlp",), data=("numeric",), n_features=(2, 8)))
    check_gradient(fitted(case), activation, figures)


@pytest.mark.slow
@SEARCH
@given(data=st.data(), activation=ACTIVATIONS)
def test_integrated_gradients_match_riemann_sum_search(data, activation, case_strategy, fitted, figures):
    case = data.draw(case_strategy(families=("mlp",), data=("numeric",), n_features=(2, 6)))
    check_integrated_gradients(fitted(case), activation, figures)


def test_integrated_gradients_default_completeness(as_case, fitted):
    """An MLPClassifier with hidden layers of 32 and 16 (ReLU), 200 rows, predict_proba:
    at the default settings the values add up to f(x) - f(b) within 1e-3 of the output's
    range (it was 6e-2 with 50 fixed points)."""
    f = fitted(as_case("mlp-multiclass-numeric-200x5-seed0"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=2000,
                                                              random_state=0)).fit(f.X, f.y)
    explainer = GradientExplainer(model, method="integrated_gradients").fit(f.X)
    exp = explainer.explain(f.X)
    proba = model.predict_proba(f.X)
    baseline = model.predict_proba(f.decode(explainer.baseline_[None, :]))
    error = np.abs(exp.values.sum(axis=1) - (proba - baseline)).max() / np.ptp(proba)
    assert error <= 1e-3, f"completeness error {error:.2e} of the output range"
