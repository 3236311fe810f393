"""Faithfulness (deletion / insertion) and stability of local explanations."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from glassbox.explainers import ShapleyExplainer
from glassbox.metrics import deletion_score, faithfulness_curve, insertion_score, stability_score


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = X @ np.array([3.0, -2.0, 0.5, 0.0])
    model = LinearRegression().fit(X, y)
    return X, model, ShapleyExplainer(model, method="exact", background=40, random_state=0).fit(X)


class ShuffledExplainer(ShapleyExplainer):
    """Shapley values with the features' attributions permuted: a deliberately bad ranking."""

    def explain(self, X):
        exp = super().explain(X)
        order = np.roll(np.arange(exp.n_features), 1)  # every attribution moves to another feature
        return replace(exp, values=exp.values[:, order, :])


def test_insertion_curve_of_shapley_on_a_linear_model_is_closed_form(linear):
    X, model, explainer = linear
    rows = X[:5]
    exp = explainer.explain(rows)
    curve = faithfulness_curve(explainer, rows, kind="insertion")
    # v(S) = base + sum of the attributions in S, exactly, for a linear model.
    ordered = -np.sort(-exp.values[:, :, 0], axis=1)
    expected = exp.base_values[:, :1] + np.concatenate([np.zeros((5, 1)), np.cumsum(ordered, axis=1)], axis=1)
    np.testing.assert_allclose(curve, expected, atol=1e-10)
    deletion = faithfulness_curve(explainer, rows, kind="deletion")
    np.testing.assert_allclose(deletion[:, 0], model.predict(rows))
    np.testing.assert_allclose(deletion[:, -1], exp.base_values[:, 0])


def test_faithful_ranking_beats_a_shuffled_one(linear):
    X, model, explainer = linear
    bad = ShuffledExplainer(model, method="exact", background=40, random_state=0).fit(X)
    assert deletion_score(explainer, X[:30]) < deletion_score(bad, X[:30])
    assert insertion_score(explainer, X[:30]) > insertion_score(bad, X[:30])


def test_stability_of_linear_shapley_is_its_lipschitz_constant(linear):
    X, model, explainer = linear
    # e(x) = coef * (x - mean): ||e(x) - e(x')|| / ||(x - x') / sd|| <= max |coef * sd|.
    lipschitz = stability_score(explainer, X[:10], noise=0.1, n_repeats=8, random_state=0)
    sd = np.nanstd(explainer.background_.data, axis=0)
    bound = np.max(np.abs(model.coef_) * sd)
    assert lipschitz.shape == (10,)
    assert np.all(lipschitz <= bound + 1e-9) and np.all(lipschitz > 0.3 * bound)
    again = stability_score(explainer, X[:10], noise=0.1, n_repeats=8, random_state=0)
    np.testing.assert_array_equal(lipschitz, again)


def test_bad_arguments(linear):
    X, model, explainer = linear
    with pytest.raises(ValueError, match="kind must be"):
        faithfulness_curve(explainer, X[:2], kind="sideways")
    with pytest.raises(KeyError, match="'proba' is not an output of the explanation"):
        faithfulness_curve(explainer, X[:2], output="proba")
    with pytest.raises(ValueError, match="n_repeats must be a positive int"):
        stability_score(explainer, X[:2], n_repeats=0)


def test_explainers_without_a_background_use_their_baseline_or_the_rows():
    # Gradients remove a feature by setting it to the baseline: the deletion curve of a
    # linear model ends at f(baseline) and, DeepLIFT being exact there, every step is closed form.
    from glassbox.explainers import GradientExplainer, LimeExplainer

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    model = LinearRegression().fit(X, X @ np.array([2.0, -1.0, 0.5]))
    gradients = GradientExplainer(model, method="deeplift").fit(X)
    exp = gradients.explain(X[:4])
    curve = faithfulness_curve(gradients, X[:4], kind="deletion")
    ordered = -np.sort(-exp.values[:, :, 0], axis=1)
    expected = model.predict(X[:4])[:, None] - np.concatenate([np.zeros((4, 1)), np.cumsum(ordered, axis=1)], axis=1)
    np.testing.assert_allclose(curve, expected, atol=1e-10)
    np.testing.assert_allclose(curve[:, -1], model.predict(X.mean(axis=0)[None])[0])
    # LIME has neither: the rows of X stand in, so the fully deleted row is their mean output.
    lime = LimeExplainer(model, num_samples=500, random_state=0).fit(X)
    curve = faithfulness_curve(lime, X[:4], kind="deletion")
    np.testing.assert_allclose(curve[:, -1], model.predict(X[:4]).mean())
    assert np.isfinite(deletion_score(lime, X[:4])) and np.isfinite(insertion_score(gradients, X[:4]))
    assert stability_score(lime, X[:4], random_state=0).shape == (4,)
