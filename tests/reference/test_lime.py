"""LimeExplainer against the lime package (``lime.lime_tabular.LimeTabularExplainer``).

Both fit, for every explained row and output, a ridge regression (``alpha=1``, intercept
not penalised) weighted by the kernel ``sqrt(exp(-d**2 / w**2))`` with ``w = 0.75
sqrt(p)``, on an interpretable representation of perturbed rows, and the settings below
make the two draw their perturbations from the same distribution:

- ``sampling="continuous"`` is lime's ``discretize_continuous=False`` with
  ``sample_around_instance=True``: numeric features move by Gaussian noise with their
  training standard deviation and enter standardised; categorical features (lime's
  ``categorical_features``, given as integer codes) take training levels with their
  training frequencies and enter as "same level as the row";
- ``sampling="quartile"`` is lime's default quartile discretiser: every feature enters
  as "same quartile bin (or level) as the row", and the bin a perturbed value falls in
  has its training frequency. Within a bin the two differ by design: glassbox draws
  real training values, lime a normal truncated to the bin. The models then see
  different rows unless lime's truncated normal reproduces the bin's values, which it
  does for a bin that holds one value (lime returns the bin's mean). For features that
  are themselves normally distributed it does not: the truncated normal pulls the mean
  of an outer quartile outward by about 0.1 standard deviation, and on a linear model
  lime's weights of rows in an outer quartile are 8-11% larger than glassbox's (up to 9
  of lime's own standard errors). The quartile comparison therefore uses numeric
  features that take four values, one per quartile (``data="quartiles"``);
- ``num_features=None`` with ``feature_selection="none"`` is lime's ``"none"`` with
  every feature; ``"forward"``, ``"highest_weights"`` and ``"lasso_path"`` are lime's
  ``"forward_selection"``, ``"highest_weights"`` and ``"lasso_path"``;
- classifiers are explained on every class of ``predict_proba`` (lime's
  ``mode="classification"`` with every label); a single output (a regressor, a binary
  decision function) is lime's ``mode="regression"``. A multiclass decision function
  goes through lime's classification mode as well (lime warns that the rows do not sum
  to one and explains each column all the same).

Both sample, so the tolerance is lime's own spread: lime is run with several seeds in
each test, and glassbox must differ from lime's mean no more than one more lime run
would (see SPREAD_LEVEL), with the same sign wherever lime's sign is clear and the same
top feature wherever lime's is clear. Missing values are left out:
lime has no representation for them.

The weights are read from ``Explanation.coef`` and ``Explanation.intercept``; until
``LimeExplainer`` fills them those tests are expected to fail (#12 item 1).
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import f as f_dist

from glassbox.explainers import LimeExplainer

lime_tabular = pytest.importorskip("lime.lime_tabular")

pytestmark = pytest.mark.reference

NUM_SAMPLES = 1000
LIME_RUNS = 8
N_ROWS = 5
SPREAD_LEVEL = 1e-4
"""glassbox's distance to lime's mean over LIME_RUNS seeds (root mean square over the
weights and intercepts) is compared with what one more lime run would show (lime's
standard deviation times sqrt(1 + 1 / LIME_RUNS)). Drawn from the same distribution,
their squared ratio follows an F distribution, with as many degrees of freedom as
independent values (the effective number, since values spread differently) and
LIME_RUNS - 1 times as many: the ratio may reach its upper 1e-4 quantile, between 1.3
(many values) and 3 (a handful). Measured: glassbox's spread equals lime's (0.0110 and
0.0108 over 20 seeds each, no bias beyond 1.8 standard errors), and the ratio reached
at most 0.89 of its bound over the Hypothesis search (1.5 against 2.05 in continuous
mode, 1.25 against 1.49 in quartile mode); a bias of two standard errors everywhere
gives about 2.2."""
CLEAR = 3.0
"""A sign is clear where lime's mean weight is 3 of lime's standard deviations from 0
(measured: no disagreement in 1598 such weights); a top feature is clear where it leads
the second by 3 times the sum of their standard deviations."""

SEARCH = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

LIME_SELECTION = {"none": "none", "forward": "forward_selection", "highest_weights": "highest_weights",
                  "lasso_path": "lasso_path"}


def local_weights(exp):
    """Weights (n, p, o) and intercepts (n, o) of glassbox's local models."""
    return exp.coef, exp.intercept


def lime_weights(f, rows, *, continuous, seed, num_features=None, selection="none"):
    """lime's weights (n, p, o), intercepts (n, o) and selected features, with
    LimeExplainer's settings (see the module docstring)."""
    p, n_outputs = f.X.shape[1], f.n_outputs
    classification = n_outputs > 1
    explainer = lime_tabular.LimeTabularExplainer(
        f.encode(f.X),
        mode="classification" if classification else "regression",
        feature_names=f.columns,
        categorical_features=[j for j, column in enumerate(f.columns) if column in f.categories],
        discretize_continuous=not continuous,
        discretizer="quartile",
        sample_around_instance=continuous,
        feature_selection=LIME_SELECTION[selection],
        random_state=seed,
    )
    weights, intercepts = np.zeros((len(rows), p, n_outputs)), np.zeros((len(rows), n_outputs))
    selected = np.zeros(weights.shape, dtype=bool)
    labels = range(n_outputs) if classification else (0,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a decision function does not sum to one
        for i, row in enumerate(f.encode(rows)):
            result = explainer.explain_instance(row, f.response(f.method), labels=labels, num_samples=NUM_SAMPLES,
                                                num_features=p if num_features is None else num_features)
            for o in range(n_outputs):
                label = o if classification else 1  # lime's regression mode keeps its weights under 1
                for j, weight in result.local_exp[label]:
                    weights[i, j, o], selected[i, j, o] = weight, True
                intercepts[i, o] = result.intercept[label]
    return weights, intercepts, selected


def glassbox_lime(f, **params):
    return LimeExplainer(f.model, num_samples=NUM_SAMPLES, random_state=0, **params).fit(f.X)


def spread_ratio(ours, theirs):
    """RMS distance of ours to the mean of theirs (runs first) over one more run's, and
    the bound it may reach (see SPREAD_LEVEL)."""
    mean, var = theirs.mean(axis=0), theirs.var(axis=0, ddof=1) * (1 + 1 / len(theirs))
    if not var.any():  # lime always gives the same value, so must glassbox
        return float(np.abs(ours - mean).max() > 1e-9 * (np.abs(mean).max() + 1e-300)), 0.5
    ratio = np.sqrt(np.mean((ours - mean) ** 2) / np.mean(var))
    effective = var.sum() ** 2 / np.sum(var**2)  # values that spread alike
    return ratio, np.sqrt(f_dist.isf(SPREAD_LEVEL, effective, effective * (len(theirs) - 1)))


def check_weights(f, figures, *, continuous):
    rows = f.X.iloc[-N_ROWS:]
    sampling = "continuous" if continuous else "quartile"
    exp = glassbox_lime(f, sampling=sampling, num_features=None).explain(rows)
    weights, intercepts = local_weights(exp)
    runs = [lime_weights(f, rows, continuous=continuous, seed=seed) for seed in range(LIME_RUNS)]
    lime_w, lime_b = np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs])
    if f.method == "predict_proba" and f.n_outputs == 2:  # two probabilities: one model, mirrored
        weights, intercepts, lime_w, lime_b = weights[..., 1:], intercepts[..., 1:], lime_w[..., 1:], lime_b[..., 1:]

    ours = np.concatenate([weights.reshape(len(rows), -1), intercepts], axis=1)
    theirs = np.concatenate([lime_w.reshape(LIME_RUNS, len(rows), -1), lime_b], axis=2)
    ratio, bound = spread_ratio(ours, theirs)
    figures.add(f"lime {sampling}: spread of glassbox / spread of lime", f.case, ratio, bound)
    figures.add(f"lime {sampling}: spread of glassbox / spread of lime, over its bound", f.case, ratio / bound, 1)
    assert ratio <= bound, f"{f.case}: glassbox is {ratio:.2f} lime spreads away from lime's mean ({bound:.2f} allowed)"

    mean, sd = lime_w.mean(axis=0), lime_w.std(axis=0, ddof=1)
    clear = np.abs(mean) > CLEAR * sd
    wrong_sign = int(np.sum(clear & (np.sign(weights) != np.sign(mean))))
    figures.add(f"lime {sampling}: weights of clear sign with the other sign", f.case, wrong_sign, 0)
    assert wrong_sign == 0, f"{f.case}: {wrong_sign} of {clear.sum()} clearly signed weights have the other sign"

    order = np.argsort(-np.abs(mean), axis=1)  # (n, p, o)
    first, second = order[:, 0], order[:, 1]
    pick = lambda a, j: np.take_along_axis(a, j[:, None], axis=1)[:, 0]  # noqa: E731
    lead = np.abs(pick(mean, first)) - np.abs(pick(mean, second))
    clear_top = lead > CLEAR * (pick(sd, first) + pick(sd, second))
    ours = np.argmax(np.abs(weights), axis=1)
    wrong_top = int(np.sum(clear_top & (ours != first)))
    figures.add(f"lime {sampling}: rows whose clear top feature differs", f.case, wrong_top, 0)
    assert wrong_top == 0, f"{f.case}: {wrong_top} of {clear_top.sum()} clear top features differ from lime's"


CONTINUOUS_CASES = ["mlp-multiclass-categorical-300x5-seed1", "hgb-regression-numeric-300x5-seed2"]


@pytest.mark.parametrize("name", CONTINUOUS_CASES)
def test_continuous_weights_match_lime(name, as_case, fitted, figures):
    check_weights(fitted(as_case(name)), figures, continuous=True)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_continuous_weights_match_lime_search(data, case_strategy, fitted, figures):
    case = data.draw(case_strategy(data=("numeric", "categorical"), n_features=(3, 6)))
    check_weights(fitted(case), figures, continuous=True)


@pytest.mark.parametrize("name", ["forest-binary-quartiles-300x5-seed3", "svm-multiclass-quartiles-300x5-seed4"])
def test_quartile_weights_match_lime(name, as_case, fitted, figures):
    check_weights(fitted(as_case(name)), figures, continuous=False)


@pytest.mark.slow
@SEARCH
@given(data=st.data())
def test_quartile_weights_match_lime_search(data, case_strategy, fitted, figures):
    case = data.draw(case_strategy(data=("quartiles",), n_rows=[200, 300, 400], n_features=(3, 6)))
    check_weights(fitted(case), figures, continuous=False)


# -- feature selection: which features each local model keeps (no weights needed) ----------
SELECTION_K = 2


def check_selection(f, figures, selection):
    """glassbox keeps the features lime keeps most often, about as often as lime does.

    lime's own agreement is leave-one-out: each run against the most frequent selection
    of the other runs. glassbox may fall short of it by 3 standard errors of the
    difference of two such rates over the local models (at least as large as when one
    local model in all of them disagreed).
    """
    rows = f.X.iloc[-2 * N_ROWS:]
    exp = glassbox_lime(f, sampling="continuous", num_features=SELECTION_K, feature_selection=selection).explain(rows)
    ours = exp.values != 0  # the kept features; a kept value is 0 only where x equals the mean
    runs = np.stack([lime_weights(f, rows, continuous=True, seed=seed, num_features=SELECTION_K,
                                  selection=selection)[2] for seed in range(LIME_RUNS)])  # (R, n, p, o)
    if f.method == "predict_proba" and f.n_outputs == 2:  # two probabilities, one local model twice
        ours, runs = ours[..., 1:], runs[..., 1:]

    def modal(selections):  # the most frequent selection per row and output: (n, p, o)
        codes = np.einsum("rnpo,p->rno", selections.astype(np.int64), 2 ** np.arange(selections.shape[2]))
        best = np.apply_along_axis(lambda c: np.bincount(c).argmax(), 0, codes)
        return (best[:, None, :] >> np.arange(selections.shape[2])[None, :, None]) & 1 == 1

    def agree(a, b):
        return float(np.mean(np.all(a == b, axis=1)))

    theirs = np.mean([agree(runs[r], modal(np.delete(runs, r, axis=0))) for r in range(LIME_RUNS)])
    glassbox = agree(ours, modal(runs))
    n_models = ours.shape[0] * ours.shape[2]
    margin = 3 * np.sqrt(2 * max(theirs * (1 - theirs), 1 / n_models) / n_models)
    figures.add(f"lime selection {selection}: lime's own agreement - glassbox's", f.case, theirs - glassbox, margin)
    assert glassbox >= theirs - margin, (
        f"{f.case}: glassbox keeps lime's most frequent features in {glassbox:.0%} of the local models, "
        f"lime itself in {theirs:.0%}"
    )


@pytest.mark.parametrize("selection", ["forward", "highest_weights", "lasso_path"])
def test_feature_selection_matches_lime(selection, as_case, fitted, figures):
    check_selection(fitted(as_case("hgb-regression-categorical-300x5-seed5")), figures, selection)


@pytest.mark.slow
@SEARCH
@given(data=st.data(), selection=st.sampled_from(["forward", "highest_weights", "lasso_path"]))
def test_feature_selection_matches_lime_search(data, selection, case_strategy, fitted, figures):
    case = data.draw(case_strategy(data=("numeric", "categorical"), n_features=(4, 7)))
    check_selection(fitted(case), figures, selection)
