"""ShapleyExplainer against shap, the implementation that defines each method.

The game is the interventional one of shap's ``maskers.Independent``: both libraries get
the same background rows and the same model, shap through the numeric encoding of
:class:`Fitted` (categories as codes, decoded back before the model is called).

- ``exact`` and the sampling methods with every coalition enumerated equal
  ``shap.ExactExplainer`` and ``shap.KernelExplainer`` to 1e-6 of the output's range.
- Sampled ``kernel`` and ``permutation`` values lie within their reported standard
  errors of shap's exact values, and are exact (1e-6) where the game allows it: a model
  whose features interact in pairs at most, for which shap's ``PermutationExplainer``
  is exact too.
- ``linear`` equals ``shap.LinearExplainer`` on the derived columns, summed back onto
  each raw column.
- ``tree`` equals ``shap.TreeExplainer``: path-dependent wherever shap reads the model
  correctly, interventional against ``shap.ExactExplainer`` on the explained raw output
  (and against ``TreeExplainer`` for forests and gradient boosting).

Where shap has no answer the comparison is left out, and said so: ``TreeExplainer`` does
not read ``GradientBoostingClassifier`` with more than two classes, nor the category
splits and missing-value directions of ``HistGradientBoosting*`` models (its values do
not add up to the model's output there, by 1 to 7 units of the raw score on the
configurations of this suite), and its interventional values for
``HistGradientBoosting*`` models do not add up even on numeric data (0.1 to 0.45).
Interventional ``TreeExplainer`` values add up to about 1e-7 only (it computes in single
precision), within the 1e-6 used here.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestRegressor,
)

import glassbox
from glassbox.explainers import ShapleyExplainer

shap = pytest.importorskip("shap")

pytestmark = pytest.mark.reference

EXACT = 1e-6
"""Both exact: the largest |glassbox - shap| over values and base values, divided by the
range of the explained output over the data (measured: below 1e-14, and 1e-8 against
shap's single-precision interventional TreeExplainer)."""
K_MAX = 8.0
"""Sampled: no value further than 8 standard errors from the exact one. The standard
errors are themselves estimated from a few dozen pairs, so the ratio has heavier tails
than a normal deviate (measured: largest 6.8 for Kernel SHAP with half the coalitions
and 3.1 for permutation sampling with 80 pairs over the Hypothesis search; 6.5 and 4.1
over 60 seeds of two near-additive models, whose values are on average within 1.05 to
1.12 standard errors: the errors are right, their tails heavy)."""
RATE_BEYOND_3 = 0.01
"""Sampled: the values beyond 3 standard errors may be as many as a binomial count at a
rate of 1% reaches with probability 1e-4 (a normal deviate passes 3 at 0.27%; measured
0.25% to 1.3%). Catches an estimator biased by a few standard errors everywhere, which
K_MAX alone would let pass."""

SEARCH = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DEFAULT_CASES = ["svm-multiclass-missing-200x5-seed1", "hgb-binary-categorical-200x5-seed2",
                 "mlp-regression-numeric-200x5-seed3"]


# -- helpers ------------------------------------------------------------------------------
def as3(values):
    """shap's values of shape (n, p) or (n, p, o) as (n, p, o)."""
    values = np.asarray(values, dtype=np.float64)
    return values if values.ndim == 3 else values[:, :, None]


def split(f, n_background=15, n_rows=6):
    """Background rows (the first rows) and rows to explain (the last), disjoint."""
    return f.X.iloc[:n_background], f.X.iloc[-n_rows:]


def output_range(f, method):
    out = np.asarray(getattr(f.model, method)(f.X), dtype=np.float64)
    return float(np.ptp(out)) or 1.0


def shap_exact(f, method, rows, background):
    """shap's exact interventional values and base values, (n, p, o) and (n, o)."""
    masker = shap.maskers.Independent(f.encode(background), max_samples=len(background))
    result = shap.ExactExplainer(f.response(method), masker)(f.encode(rows), silent=True)
    return as3(result.values), np.asarray(result.base_values, dtype=np.float64).reshape(len(rows), -1)


def tree_output(f):
    """The output TreeSHAP explains: the raw score of gradient boosting classifiers."""
    if f.case.is_classifier and f.case.family in ("boosting", "hgb"):
        return "decision_function"
    return f.method


def final_and_inputs(f):
    """The model's last step, a function giving its input columns, and their raw names."""
    if not hasattr(f.model, "steps"):
        return f.model, lambda X: f.encode(X), f.columns
    front = f.model[:-1]
    return f.model[-1], lambda X: np.asarray(front.transform(X), dtype=np.float64), list(front.get_feature_names_out())


def check_within_standard_errors(figures, check, case, values, std, reference, scale):
    """The sampled values against exact ones: K_MAX and RATE_BEYOND_3 (see above)."""
    if values.shape[2] == 2 and np.array_equal(values[..., 0], -values[..., 1]):
        # Two class probabilities: one output's values are the other's, negated.
        values, std, reference = values[..., 1:], std[..., 1:], reference[..., 1:]
    floor = 1e-9 * scale  # values that the method computes exactly carry a zero standard error
    z = np.abs(values - reference) / np.maximum(np.nan_to_num(std), floor)
    beyond, allowed = int(np.sum(z > 3)), int(binom.isf(1e-4, z.size, RATE_BEYOND_3))
    figures.add(f"{check}: largest |difference| / standard error", case, z.max(), K_MAX)
    figures.add(f"{check}: values beyond 3 standard errors, beyond the number allowed", case, beyond - allowed, 0)
    assert z.max() <= K_MAX, f"{case}: a value lies {z.max():.2f} standard errors from shap's exact value"
    assert beyond <= allowed, f"{case}: {beyond} of {z.size} values lie beyond 3 standard errors ({allowed} allowed)"


# -- exact ------------------------------------------------------------------------------------
def check_exact(f, figures):
    background, rows = split(f)
    reference, reference_base = shap_exact(f, f.method, rows, background)
    exp = ShapleyExplainer(f.model, method="exact", background=background).fit(f.X).explain(rows)
    error = max(np.abs(exp.values - reference).max(), np.abs(exp.base_values - reference_base).max())
    error /= output_range(f, f.method)
    figures.add("exact vs shap.ExactExplainer: |difference| / output range", f.case, error, EXACT)
    assert error <= EXACT, f"{f.case}: exact values differ from shap's by {error:.2e} of the output range"


@pytest.mark.parametrize("name", DEFAULT_CASES)
def test_exact_matches_shap(name, as_case, fitted, figures):
    check_exact(fitted(as_case(name)), figures)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_exact_matches_shap_search(data, case_strategy, fitted, figures):
    check_exact(fitted(data.draw(case_strategy(n_features=(2, 6)))), figures)


# -- kernel ------------------------------------------------------------------------------------
def check_kernel(f, figures):
    background, rows = split(f)
    p = f.X.shape[1]
    reference, _ = shap_exact(f, f.method, rows, background)
    scale = output_range(f, f.method)

    # Every coalition: both libraries enumerate them and solve exactly.
    enumerated = ShapleyExplainer(f.model, method="kernel", n_samples=2**p, background=background).fit(f.X)
    exp = enumerated.explain(rows)
    kernel = shap.KernelExplainer(f.response(f.method), f.encode(background))
    theirs = as3(kernel.shap_values(f.encode(rows), nsamples=2**p + 2, l1_reg=False, silent=True))
    error = max(np.abs(exp.values - theirs).max(), np.abs(exp.values - reference).max()) / scale
    figures.add("kernel, every coalition, vs shap.KernelExplainer: |difference| / output range", f.case, error, EXACT)
    assert error <= EXACT, f"{f.case}: enumerated Kernel SHAP differs from shap's by {error:.2e} of the range"

    # Half the coalitions: sampled, with standard errors.
    budget = 2 ** (p - 1)
    sampled = ShapleyExplainer(f.model, method="kernel", n_samples=budget, background=background, random_state=0)
    exp = sampled.fit(f.X).explain(rows)
    check_within_standard_errors(figures, "kernel, half the coalitions, vs shap.ExactExplainer", f.case,
                                 exp.values, exp.std, reference, scale)


@pytest.mark.parametrize("name", ["forest-multiclass-categorical-200x7-seed4", "svm-regression-missing-200x7-seed5"])
def test_kernel_matches_shap(name, as_case, fitted, figures):
    check_kernel(fitted(as_case(name)), figures)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_kernel_matches_shap_search(data, case_strategy, fitted, figures):
    check_kernel(fitted(data.draw(case_strategy(n_features=(7, 8)))), figures)


# -- permutation ----------------------------------------------------------------------------
def check_permutation(f, figures, n_samples=160):
    background, rows = split(f)
    reference, _ = shap_exact(f, f.method, rows, background)
    explainer = ShapleyExplainer(f.model, method="permutation", n_samples=n_samples, background=background,
                                 random_state=0)
    exp = explainer.fit(f.X).explain(rows)
    check_within_standard_errors(figures, f"permutation, {n_samples // 2} antithetic pairs, vs shap.ExactExplainer",
                                 f.case, exp.values, exp.std, reference, output_range(f, f.method))


@pytest.mark.parametrize("name", ["boosting-binary-missing-200x6-seed6", "mlp-multiclass-categorical-200x6-seed7"])
def test_permutation_matches_shap(name, as_case, fitted, figures):
    check_permutation(fitted(as_case(name)), figures)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_permutation_matches_shap_search(data, case_strategy, fitted, figures):
    check_permutation(fitted(data.draw(case_strategy(n_features=(3, 7)))), figures)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_sampled_methods_are_exact_for_pairwise_interactions(task, as_case, fitted, figures):
    """Trees of depth 2 interact in pairs at most: antithetic permutations and Kernel SHAP's
    complementary pairs are exact at any budget, and so is shap's PermutationExplainer."""
    f = fitted(as_case(f"forest-{task}-numeric-200x6-seed8"))
    X, y = f.encode(f.X), f.y
    if task == "regression":
        model, method = GradientBoostingRegressor(max_depth=2, n_estimators=40, random_state=0).fit(X, y), "predict"
    else:
        model = GradientBoostingClassifier(max_depth=2, n_estimators=40, random_state=0).fit(X, y)
        method = "decision_function"  # the raw score is a sum of the trees; probabilities are not
    background, rows = X[:15], X[-6:]
    masker = shap.maskers.Independent(background, max_samples=len(background))
    reference = as3(shap.ExactExplainer(getattr(model, method), masker)(rows, silent=True).values)
    theirs = as3(shap.PermutationExplainer(getattr(model, method), masker)(rows, max_evals=13, silent=True).values)
    scale = float(np.ptp(getattr(model, method)(X)))
    for name, n_samples in (("kernel", 14), ("permutation", 2)):
        exp = ShapleyExplainer(model, method=name, n_samples=n_samples, output=method, background=background,
                               random_state=0).fit(X).explain(rows)
        error = max(np.abs(exp.values - reference).max(), np.abs(exp.values - theirs).max()) / scale
        figures.add(f"{name} at its smallest budget, pairwise model, vs shap: |difference| / output range",
                    f"{task}, depth-2 gradient boosting", error, EXACT)
        assert error <= EXACT, f"{name} on a pairwise model differs from shap's exact values by {error:.2e}"


# -- linear ----------------------------------------------------------------------------------
def check_linear(f, figures):
    background, rows = split(f, n_background=40, n_rows=20)
    method = "decision_function" if f.case.is_classifier else "predict"
    exp = ShapleyExplainer(f.model, method="linear", output=method, background=background).fit(f.X).explain(rows)
    final, inputs, names = final_and_inputs(f)
    masker = shap.maskers.Independent(inputs(background), max_samples=len(background))
    result = shap.LinearExplainer(final, masker)(inputs(rows))
    derived = as3(result.values)
    # Each derived column (a one-hot indicator, a scaled copy) belongs to one raw column.
    folded = np.zeros(exp.values.shape)
    for k, name in enumerate(names):
        rest = name.split("__", 1)[-1]
        j = next(j for j, column in enumerate(f.columns) if rest == column or rest.startswith(column + "_"))
        folded[:, j] += derived[:, k]
    base = np.asarray(result.base_values, dtype=np.float64).reshape(len(rows), -1)
    error = max(np.abs(exp.values - folded).max(), np.abs(exp.base_values - base).max()) / output_range(f, method)
    figures.add("linear vs shap.LinearExplainer: |difference| / output range", f.case, error, EXACT)
    assert error <= EXACT, f"{f.case}: linear values differ from shap's by {error:.2e} of the output range"


@pytest.mark.parametrize("name", ["linear-multiclass-categorical-200x5-seed9",
                                  "linear-regression-missing-200x5-seed10"])
def test_linear_matches_shap(name, as_case, fitted, figures):
    check_linear(fitted(as_case(name)), figures)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_linear_matches_shap_search(data, case_strategy, fitted, figures):
    check_linear(fitted(data.draw(case_strategy(families=("linear",)))), figures)


# -- tree --------------------------------------------------------------------------------------
def shap_reads(case, feature_perturbation):
    """Whether shap's TreeExplainer reads the model correctly (see the module docstring)."""
    if case.family == "boosting":
        return case.task != "multiclass"
    if case.family == "hgb":
        return case.data == "numeric" and feature_perturbation == "tree_path_dependent"
    return True


def check_tree(f, figures, feature_perturbation):
    background, rows = split(f, n_background=30, n_rows=20)
    method = tree_output(f)
    scale = output_range(f, method)
    exp = ShapleyExplainer(f.model, method="tree", feature_perturbation=feature_perturbation,
                           background=background).fit(f.X).explain(rows)
    label = "path-dependent" if feature_perturbation == "tree_path_dependent" else "interventional"
    if feature_perturbation == "interventional":  # the game's definition, in double precision
        reference, base = shap_exact(f, method, rows, background)
        error = max(np.abs(exp.values - reference).max(), np.abs(exp.base_values - base).max()) / scale
        figures.add("tree interventional vs shap.ExactExplainer: |difference| / output range", f.case, error, EXACT)
        assert error <= EXACT, f"{f.case}: interventional TreeSHAP differs from shap's exact values by {error:.2e}"
    if not shap_reads(f.case, feature_perturbation):
        return
    final, inputs, names = final_and_inputs(f)
    if feature_perturbation == "interventional":
        explainer = shap.TreeExplainer(final, data=inputs(background), feature_perturbation="interventional")
    else:
        explainer = shap.TreeExplainer(final)
    result = explainer(inputs(rows), check_additivity=False)
    theirs = as3(result.values)[:, [names.index(column) for column in f.columns]]
    base = np.asarray(result.base_values, dtype=np.float64).reshape(len(rows), -1)
    error = max(np.abs(exp.values - theirs).max(), np.abs(exp.base_values - base).max()) / scale
    figures.add(f"tree {label} vs shap.TreeExplainer: |difference| / output range", f.case, error, EXACT)
    assert error <= EXACT, f"{f.case}: {label} TreeSHAP differs from shap's TreeExplainer by {error:.2e}"


TREE_CASES = ["forest-multiclass-missing-200x5-seed11", "boosting-binary-categorical-200x5-seed12",
              "hgb-regression-numeric-200x5-seed13", "hgb-multiclass-categorical-200x5-seed14"]


@pytest.mark.parametrize("feature_perturbation", ["tree_path_dependent", "interventional"])
@pytest.mark.parametrize("name", TREE_CASES)
def test_tree_matches_shap(name, feature_perturbation, as_case, fitted, figures):
    check_tree(fitted(as_case(name)), figures, feature_perturbation)


@pytest.mark.slow
@SEARCH
@given(data=st.data(), feature_perturbation=st.sampled_from(["tree_path_dependent", "interventional"]))
def test_tree_matches_shap_search(data, feature_perturbation, case_strategy, fitted, figures):
    case = data.draw(case_strategy(families=("forest", "boosting", "hgb")))
    # Path-dependent values have no reference where shap cannot read the model.
    assume(feature_perturbation == "interventional" or shap_reads(case, feature_perturbation))
    check_tree(fitted(case), figures, feature_perturbation)


# -- defects found once (issue #12), pinned ---------------------------------------------------------------
@pytest.mark.parametrize("change", ["reordered", "renamed"])
def test_tree_refuses_columns_the_model_was_not_fitted_on(change, as_case, fitted):
    """The model raises scikit-learn's feature-name error on such a frame; TreeSHAP, which
    reads the trees without calling the model, must too (today it explains the reordered
    frame with values that missed the model's output by 2.5 units)."""
    f = fitted(as_case("hgb-regression-numeric-200x4-seed15"))
    X = f.X[f.columns[::-1]] if change == "reordered" else f.X.rename(columns={f.columns[0]: "other"})
    with pytest.raises(ValueError, match="feature names should match"):
        f.model.predict(X)
    with pytest.raises(ValueError, match="feature names should match"):
        ShapleyExplainer(f.model, method="tree").fit(X).explain(X)


def test_explain_is_reproducible(as_case, fitted):
    f = fitted(as_case("hgb-regression-numeric-200x4-seed16"))
    first, second = glassbox.explain(f.model, f.X), glassbox.explain(f.model, f.X)
    assert np.array_equal(first.values, second.values)
    assert np.array_equal(first.base_values, second.base_values)


@pytest.mark.parametrize("method", ["exact", "kernel", "permutation"])
def test_classifier_fitted_on_one_class(method, as_case, fitted):
    """HistGradientBoostingClassifier fitted on one class has one class in ``classes_`` but
    two columns of ``predict_proba`` (1 and about 2e-15). Either a clear refusal naming
    the single class, or one output per class adding up to its probability."""
    f = fitted(as_case("hgb-binary-numeric-200x4-seed17"))
    model = HistGradientBoostingClassifier(max_iter=5).fit(f.X, np.zeros(len(f.X), dtype=int))
    background, rows = split(f)
    try:
        exp = ShapleyExplainer(model, method=method, background=background, random_state=0).fit(f.X).explain(rows)
    except ValueError as exc:
        if re.search(r"\b(one|single|1) class\b", str(exc)):
            return
        raise
    proba = model.predict_proba(rows)[:, : len(model.classes_)]
    assert exp.shape == (len(rows), f.X.shape[1], len(model.classes_))
    assert np.allclose(exp.output(), proba, atol=1e-9)


@pytest.mark.parametrize("method", ["tree", "permutation"])
def test_multi_output_forest(method, as_case, fitted, figures):
    f = fitted(as_case("forest-regression-numeric-200x5-seed18"))
    Y = np.column_stack([f.y, np.sin(f.y)])
    model = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0).fit(f.X, Y)
    background, rows = split(f)
    exp = ShapleyExplainer(model, method=method, n_samples=160, background=background,
                           random_state=0).fit(f.X).explain(rows)
    assert exp.shape == (len(rows), f.X.shape[1], 2)
    masker = shap.maskers.Independent(f.encode(background), max_samples=len(background))
    exact = shap.ExactExplainer(lambda A: model.predict(f.decode(A)), masker)
    reference = as3(exact(f.encode(rows), silent=True).values)
    scale = float(np.ptp(model.predict(f.X)))
    if method == "tree":
        assert np.abs(exp.values - reference).max() <= EXACT * scale
    else:
        check_within_standard_errors(figures, "permutation, multi-output forest", f.case, exp.values, exp.std,
                                     reference, scale)

