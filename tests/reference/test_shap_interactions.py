"""SHAP interaction values against ``shap.TreeExplainer(model).shap_interaction_values``.

shap computes path-dependent interaction values only (its interventional TreeExplainer
and its ``ExactExplainer`` give none of this index: the latter's ``interactions=2`` is
the Shapley-Taylor index, another one). The interventional and exact interaction values
are checked against the index enumerated from its definition in
``tests/explainers/test_shapley_interactions.py``. Here: the path-dependent values of
forests, gradient boosting and histogram gradient boosting (where shap reads the model,
see ``test_shap.py``) and XGBoost, to 1e-6 of the range of the explained output
(measured: below 1e-12 for scikit-learn's models; about 1e-7 for XGBoost, whose trees
shap evaluates in single precision).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor

from glassbox.explainers import ShapleyExplainer

shap = pytest.importorskip("shap")

pytestmark = pytest.mark.reference

EXACT = 1e-6
"""The largest |glassbox - shap| over interaction values, divided by the range of the
explained output over the data."""


def shap_reads(case):
    """Whether shap's TreeExplainer reads the model's path-dependent game (as in test_shap.py)."""
    if case.family == "boosting":
        return case.task != "multiclass"
    if case.family == "hgb":
        return case.data == "numeric"
    return True


def as4(values, n_outputs):
    """shap's interaction values, (n, p, p), (n, p, p, o) or a list per output, as (n, p, p, o)."""
    if isinstance(values, list):
        return np.stack(values, axis=-1)
    values = np.asarray(values, dtype=np.float64)
    return values[..., None] if values.ndim == 3 else values


def check_case(f, figures):
    rows = f.X.iloc[-20:]
    method = "decision_function" if f.case.is_classifier and f.case.family in ("boosting", "hgb") else f.method
    scale = float(np.ptp(np.asarray(getattr(f.model, method)(f.X), dtype=np.float64))) or 1.0
    inter = ShapleyExplainer(f.model, feature_perturbation="tree_path_dependent").fit(f.X).explain_interactions(rows)
    if hasattr(f.model, "steps"):
        final, front = f.model[-1], f.model[:-1]
        inputs, names = np.asarray(front.transform(rows), dtype=np.float64), list(front.get_feature_names_out())
    else:
        final, inputs, names = f.model, f.encode(rows), f.columns
    theirs = as4(shap.TreeExplainer(final).shap_interaction_values(inputs), inter.n_outputs)
    order = [names.index(column) for column in f.columns]
    theirs = theirs[:, order][:, :, order]
    error = np.abs(inter.values - theirs).max() / scale
    figures.add("interactions path-dependent vs shap.TreeExplainer: |difference| / output range", f.case, error, EXACT)
    assert error <= EXACT, f"{f.case}: interaction values differ from shap's by {error:.2e} of the output range"


CASES = ["forest-multiclass-missing-200x5-seed21", "forest-regression-categorical-200x6-seed22",
         "boosting-binary-numeric-200x5-seed23", "hgb-regression-numeric-200x5-seed24"]


@pytest.mark.parametrize("name", CASES)
def test_interactions_match_shap(name, as_case, fitted, figures):
    check_case(fitted(as_case(name)), figures)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_interactions_match_shap_search(data, case_strategy, fitted, figures):
    case = data.draw(case_strategy(families=("forest", "boosting", "hgb")).filter(shap_reads))
    check_case(fitted(case), figures)


@pytest.mark.parametrize("model", [RandomForestRegressor(50, max_depth=8, random_state=0),
                                   GradientBoostingRegressor(n_estimators=100, max_depth=4, random_state=0)],
                         ids=["forest", "boosting"])
def test_benchmark_models_match_shap(model, figures):
    X, y = make_regression(300, 8, n_informative=6, random_state=0)
    model.fit(X, y)
    inter = ShapleyExplainer(model, feature_perturbation="tree_path_dependent").fit(X).explain_interactions(X[:50])
    theirs = as4(shap.TreeExplainer(model).shap_interaction_values(X[:50]), 1)
    error = np.abs(inter.values - theirs).max() / np.ptp(model.predict(X))
    figures.add("interactions path-dependent vs shap.TreeExplainer: |difference| / output range",
                type(model).__name__, error, EXACT)
    assert error <= EXACT


def test_xgboost_multiclass_matches_shap(figures):
    xgboost = pytest.importorskip("xgboost")
    X, y = make_classification(300, 5, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    inter = ShapleyExplainer(model, feature_perturbation="tree_path_dependent").fit(X).explain_interactions(X[:30])
    theirs = as4(shap.TreeExplainer(model).shap_interaction_values(X[:30]), 3)
    error = np.abs(inter.values - theirs).max() / np.ptp(model.predict(X, output_margin=True))
    figures.add("interactions path-dependent vs shap.TreeExplainer: |difference| / output range", "xgboost", error,
                EXACT)
    assert error <= EXACT
