"""TreeSHAP on XGBoost, LightGBM and CatBoost models: the peers, brute force, efficiency.

Models are drawn at random (seeded: depth, number of trees, learning rate, the data) for
binary, multiclass and regression targets, on numeric data with missing values and on
pandas categorical columns. Path-dependent values are compared with shap's
TreeExplainer, which hands them to each library's own TreeSHAP; interventional values
with shap's interventional TreeExplainer where it reads the model (numeric splits) and
otherwise with the Shapley values of the interventional game enumerated over every
coalition (``method="exact"``), the model itself evaluated on the hybrid rows. Sums are compared with the
library's raw output.

XGBoost predicts and computes its contributions in float32: its values carry float32
rounding (relative 1e-7 of the largest value), so agreement is measured relative to the
largest value of each output.
"""

import subprocess
import sys
from functools import cache

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from glassbox._core import read_tree_model
from glassbox._core._trees._ensemble import SPLIT_BITSET, SPLIT_ZERO_MISSING
from glassbox.explainers import ShapleyExplainer
from glassbox.explainers._treeshap import tree_shap

pytestmark = [pytest.mark.boost, pytest.mark.filterwarnings("ignore:LightGBM binary classifier:UserWarning")]

LIBRARIES = ("xgboost", "lightgbm", "catboost")
TASKS = ("binary", "multiclass", "regression")
N_ROWS, N_EXPLAINED, N_BACKGROUND = 300, 40, 25


def _library(name):
    return pytest.importorskip(name)


def _table(data, seed):
    """Four columns; ``numeric``: missing values in two; ``categorical``: two categories."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(N_ROWS, 4)), columns=["a", "b", "c", "d"])
    X.loc[rng.random(N_ROWS) < 0.15, "a"] = np.nan
    X.loc[rng.random(N_ROWS) < 0.1, "b"] = np.nan
    signal = np.nan_to_num(X["a"].to_numpy()) - X["c"].to_numpy()
    if data == "categorical":
        levels = rng.integers(0, 7, N_ROWS)
        X["c"] = pd.Categorical(np.array(list("pqrstuv"))[levels])
        X["d"] = pd.Categorical(rng.integers(0, 40, N_ROWS) * 3)
        X.loc[rng.random(N_ROWS) < 0.1, "c"] = np.nan
        signal = np.nan_to_num(X["a"].to_numpy()) + (levels % 3) - (X["d"].cat.codes.to_numpy() % 4) * 0.5
    return X, signal + rng.normal(scale=0.5, size=N_ROWS)


def _target(task, signal):
    if task == "regression":
        return signal
    cuts = np.quantile(signal, [0.5] if task == "binary" else [0.33, 0.66])
    return np.searchsorted(cuts, signal)


def _model(library, task, data, seed):
    rng = np.random.default_rng(seed)
    depth, n_trees, rate = int(rng.integers(2, 6)), int(rng.integers(3, 16)), float(rng.uniform(0.1, 0.5))
    classifier = task != "regression"
    if library == "xgboost":
        import xgboost

        cls = xgboost.XGBClassifier if classifier else xgboost.XGBRegressor
        return cls(n_estimators=n_trees, max_depth=depth, learning_rate=rate, enable_categorical=True,
                   max_cat_to_onehot=1, n_jobs=1, random_state=seed)  # fmt: skip
    if library == "lightgbm":
        import lightgbm

        cls = lightgbm.LGBMClassifier if classifier else lightgbm.LGBMRegressor
        return cls(n_estimators=n_trees, num_leaves=2**depth, learning_rate=rate, min_child_samples=3,
                   min_data_per_group=3, cat_smooth=1.0, n_jobs=1, verbose=-1, random_state=seed)  # fmt: skip
    import catboost

    cls = catboost.CatBoostClassifier if classifier else catboost.CatBoostRegressor
    return cls(iterations=n_trees, depth=depth, learning_rate=rate, thread_count=1, verbose=0, random_seed=seed,
               allow_writing_files=False)


@cache
def fitted(library, task, data, seed):
    _library(library)
    X, signal = _table(data, seed)
    model = _model(library, task, data, seed).fit(X, _target(task, signal))
    return model, X


def raw(model, X):
    """The library's raw output (margin), shape (n, n_outputs)."""
    name = type(model).__module__.split(".")[0]
    kwargs = {"xgboost": {"output_margin": True}, "lightgbm": {"raw_score": True}}
    out = model.predict(X, **kwargs.get(name, {"prediction_type": "RawFormulaVal"}))
    return np.asarray(out, np.float64).reshape(len(X), -1)


def assert_close(ours, theirs, rtol=1e-6):
    """Equal to ``rtol`` of the largest magnitude of each output."""
    theirs = np.asarray(theirs, np.float64).reshape(ours.shape)
    scale = np.abs(theirs).reshape(-1, theirs.shape[-1]).max(axis=0)
    gap = np.abs(ours - theirs) / np.maximum(scale, 1e-12)
    assert gap.max() <= rtol, f"largest gap {gap.max():.3g} of the output's largest magnitude"


def shap_values(model, X, background=None):
    shap = pytest.importorskip("shap")
    perturbation = "tree_path_dependent" if background is None else "interventional"
    explainer = shap.TreeExplainer(model, background, feature_perturbation=perturbation)
    return np.asarray(explainer.shap_values(X, check_additivity=False))


def glassbox_values(model, X, background=None):
    """ShapleyExplainer's values (n, p, k) and base values (n, k) on the DataFrame."""
    perturbation = "tree_path_dependent" if background is None else "interventional"
    explainer = ShapleyExplainer(model, method="tree", feature_perturbation=perturbation,
                                 background=N_BACKGROUND)  # fmt: skip
    explanation = explainer.fit(X if background is None else background).explain(X)
    values = np.asarray(explanation.values, np.float64).reshape(len(X), X.shape[1], -1)
    return values, np.asarray(explanation.base_values, np.float64).reshape(len(X), -1)


CASES = [(lib, task, seed) for lib in LIBRARIES for task in TASKS for seed in (0, 1)]


@pytest.mark.parametrize(("library", "task", "seed"), CASES)
def test_path_dependent_equals_shap_and_sums_to_raw_output(library, task, seed):
    model, X = fitted(library, task, "numeric", seed)
    rows = X.iloc[:N_EXPLAINED]
    values, base = glassbox_values(model, rows)
    assert_close(values, shap_values(model, rows))
    assert_close(base + values.sum(axis=1), raw(model, rows))


@pytest.mark.parametrize(("library", "task", "seed"), CASES)
def test_interventional_equals_shap_and_sums_to_raw_output(library, task, seed):
    if (library, task) == ("catboost", "multiclass"):
        pytest.skip("shap's TreeExplainer cannot read CatBoost multiclass models interventionally")
    model, X = fitted(library, task, "numeric", seed)
    rows, background = X.iloc[:N_EXPLAINED], X.iloc[-N_BACKGROUND:]
    values, base = glassbox_values(model, rows, background)
    assert_close(values, shap_values(model, rows, background))
    assert_close(base + values.sum(axis=1), raw(model, rows))


def enumerated(model, rows, background):
    """Interventional values by enumerating every coalition, the model called on the hybrids
    (``method="exact"``, which shares nothing with TreeSHAP but the model's raw output)."""
    output = "decision_function" if hasattr(model, "predict_proba") else "predict"
    explainer = ShapleyExplainer(model, method="exact", background=len(background), output=output).fit(background)
    return np.asarray(explainer.explain(rows).values, np.float64).reshape(len(rows), rows.shape[1], -1)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_native_categorical_splits(library, task):
    """Category sets: path-dependent as the library's own TreeSHAP, interventional by brute force."""
    model, X = fitted(library, task, "categorical", 2)
    assert (read_tree_model(model).kind == SPLIT_BITSET).any()
    rows, background = X.iloc[:N_EXPLAINED], X.iloc[-N_BACKGROUND:]
    values, base = glassbox_values(model, rows)
    assert_close(values, shap_values(model, rows))
    assert_close(base + values.sum(axis=1), raw(model, rows))
    values, base = glassbox_values(model, rows.iloc[:3], background)
    assert_close(values, enumerated(model, rows.iloc[:3], background))
    assert_close(base + values.sum(axis=1), raw(model, rows.iloc[:3]))


def test_catboost_multiclass_interventional_by_brute_force():
    model, X = fitted("catboost", "multiclass", "numeric", 0)
    rows, background = X.iloc[:3], X.iloc[-N_BACKGROUND:]
    values, _ = glassbox_values(model, rows, background)
    assert_close(values, enumerated(model, rows, background))


def test_lightgbm_zero_as_missing_and_nan_unseen_in_training():
    """missing_type "Zero" (zeros and NaN take the default) and "None" (NaN read as 0)."""
    lightgbm = _library("lightgbm")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N_ROWS, 3))
    X[rng.random(X.shape) < 0.3] = 0.0
    y = X[:, 0] + (X[:, 1] == 0) + rng.normal(scale=0.3, size=N_ROWS)
    rows = X[:N_EXPLAINED].copy()
    rows[::3, 0], rows[1::3, 1] = np.nan, np.nan
    for zero_as_missing in (True, False):
        model = lightgbm.LGBMRegressor(n_estimators=8, num_leaves=8, zero_as_missing=zero_as_missing,
                                       verbose=-1, n_jobs=1).fit(X, y)  # fmt: skip
        kind = read_tree_model(model).kind
        assert (kind is not None and (kind == SPLIT_ZERO_MISSING).any()) == zero_as_missing
        values, base, _ = tree_shap(model, rows)
        assert_close(values, shap_values(model, rows)[..., None])
        assert_close(base + values.sum(axis=1), raw(model, rows))


def test_xgboost_dart_and_early_stopping_predict_as_the_model():
    xgboost = _library("xgboost")
    X, signal = _table("numeric", 4)
    y = _target("binary", signal)
    dart = xgboost.XGBClassifier(booster="dart", n_estimators=10, rate_drop=0.3, n_jobs=1, random_state=0).fit(X, y)
    stopped = xgboost.XGBClassifier(n_estimators=200, learning_rate=0.5, early_stopping_rounds=2, n_jobs=1)
    stopped.fit(X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False)
    assert stopped.best_iteration + 1 < 200
    for model in (dart, stopped):
        values, base, method = tree_shap(model, X[:N_EXPLAINED])
        assert method == "decision_function"
        assert_close(base + values.sum(axis=1), raw(model, X[:N_EXPLAINED]))


def test_libraries_are_imported_only_for_their_models():
    code = (
        "import sys, numpy as np\n"
        "from sklearn.ensemble import RandomForestRegressor\n"
        "from glassbox.explainers import ShapleyExplainer\n"
        "X = np.random.default_rng(0).normal(size=(50, 3))\n"
        "model = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 0])\n"
        "ShapleyExplainer(model, method='tree').fit(X).explain(X[:5])\n"
        "print(sorted(m for m in ('xgboost', 'lightgbm', 'catboost') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- bad input ----------------------------------------------------------------------------
def test_refuses_what_is_not_a_sum_of_trees():
    xgboost, lightgbm = _library("xgboost"), _library("lightgbm")
    X, signal = _table("numeric", 5)
    y = _target("binary", signal)
    linear = xgboost.XGBClassifier(booster="gblinear", n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="gblinear.*linear model"):
        read_tree_model(linear)

    def logistic(y_true, margin):
        p = 1 / (1 + np.exp(-margin))
        return p - y_true, p * (1 - p)

    custom = xgboost.XGBRegressor(objective=logistic, n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="custom objective"):
        read_tree_model(custom)
    vector = xgboost.XGBClassifier(n_estimators=2, multi_strategy="multi_output_tree", tree_method="hist")
    with pytest.raises(ValueError, match="multi_output_tree"):
        read_tree_model(vector.fit(X, _target("multiclass", signal)))
    poisson = lightgbm.LGBMRegressor(objective="poisson", n_estimators=3, verbose=-1).fit(X, np.exp(signal / 3))
    with pytest.raises(ValueError, match="poisson objective.*not additive"):
        read_tree_model(poisson)
    linear_tree = lightgbm.LGBMRegressor(linear_tree=True, n_estimators=3, verbose=-1).fit(X.fillna(0), signal)
    with pytest.raises(ValueError, match="linear_tree"):
        read_tree_model(linear_tree)
    with pytest.raises(TypeError, match="estimators of XGBoost, LightGBM and CatBoost.*got Booster"):
        read_tree_model(linear_tree.booster_)  # the estimators are read, not the Booster objects


@pytest.mark.parametrize("library", LIBRARIES)
def test_not_fitted(library):
    model = _model(_library(library) and library, "binary", "numeric", 0)
    with pytest.raises(NotFittedError):
        read_tree_model(model)


def test_catboost_categorical_splits_are_refused_by_name():
    catboost = _library("catboost")
    X, signal = _table("categorical", 6)
    X["c"] = X["c"].astype(object).fillna("none").astype(str)
    X["d"] = X["d"].astype(str)
    model = catboost.CatBoostRegressor(iterations=10, depth=3, verbose=0, thread_count=1, one_hot_max_size=8,
                                    allow_writing_files=False)
    model.fit(X, signal, cat_features=["c", "d"])
    with pytest.raises(ValueError, match="'c'.*method='kernel'"):
        read_tree_model(model)


OBJECTIVES = [
    ("xgboost", "binary", {"objective": "binary:logistic"}),
    ("xgboost", "binary", {"objective": "binary:logitraw"}),
    ("xgboost", "binary", {"objective": "binary:hinge"}),
    ("xgboost", "multiclass", {"objective": "multi:softmax"}),
    ("xgboost", "regression", {"objective": "reg:absoluteerror"}),
    ("xgboost", "regression", {"objective": "reg:pseudohubererror"}),
    ("xgboost", "regression", {"objective": "reg:quantileerror", "quantile_alpha": 0.3}),
    ("lightgbm", "multiclass", {"objective": "multiclassova"}),
    ("lightgbm", "binary", {"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.7}),
    ("lightgbm", "regression", {"objective": "huber"}),
    ("lightgbm", "regression", {"objective": "quantile", "alpha": 0.3}),
    ("catboost", "regression", {"loss_function": "MAE"}),
    ("catboost", "binary", {"nan_mode": "Max"}),
]


@pytest.mark.parametrize(("library", "task", "params"), OBJECTIVES)
def test_objectives_base_scores_and_missing_modes_sum_to_raw_output(library, task, params):
    """The offset (base score, boost from average, bias) and the averaging of random forests."""
    X, signal = _table("numeric", 7)
    model = _model(library, task, "numeric", 7).set_params(**params).fit(X, _target(task, signal))
    rows = X.iloc[:N_EXPLAINED]
    for background in (None, X.iloc[-N_BACKGROUND:]):
        values, base = glassbox_values(model, rows, background)
        assert_close(base + values.sum(axis=1), raw(model, rows))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 20))
@pytest.mark.parametrize("library", LIBRARIES)
def test_random_models_equal_shap(library, seed):
    """More models drawn at random: every task, both value functions, against shap."""
    for task in TASKS:
        model, X = fitted(library, task, "numeric", seed)
        rows, background = X.iloc[:N_EXPLAINED], X.iloc[-N_BACKGROUND:]
        values, _ = glassbox_values(model, rows)
        assert_close(values, shap_values(model, rows))
        if (library, task) != ("catboost", "multiclass"):
            values, _ = glassbox_values(model, rows, background)
            assert_close(values, shap_values(model, rows, background))


@pytest.mark.parametrize(
    ("library", "params", "recursion"),
    [
        ("lightgbm", {"num_leaves": 2}, True),
        ("xgboost", {"max_depth": 1}, True),
        ("xgboost", {"max_depth": 1, "objective": "reg:pseudohubererror"}, False),
        ("catboost", {"depth": 1}, True),
    ],
)
def test_partial_dependence_recursion_where_cover_counts_rows(library, params, recursion):
    """Friedman's recursion weights by the cover: right where it counts training rows.

    On stumps (one feature per tree) the recursion equals brute force over the training
    rows; XGBoost's cover is a sum of hessians, which counts rows only for squared error,
    so other objectives take brute force.
    """
    from glassbox.explainers import PartialDependence

    X, signal = _table("numeric", 8)
    model = _model(library, "regression", "numeric", 8).set_params(**params).fit(X, signal)
    auto = PartialDependence(model).fit(X)
    assert (auto._trees[0] is not None) == recursion
    brute = PartialDependence(model, method="brute").fit(X)
    ours, theirs = auto.explain(X, features="a").values, brute.explain(X, features="a").values
    assert_close(np.asarray(ours)[None], np.asarray(theirs)[None])


def test_column_names_with_spaces():
    """LightGBM records "mean radius" as "mean_radius"; the explainer takes the frame it predicts on."""
    lightgbm = _library("lightgbm")
    X, signal = _table("numeric", 9)
    X.columns = ["mean radius", "b", "c", "d"]
    model = lightgbm.LGBMRegressor(n_estimators=5, verbose=-1, n_jobs=1).fit(X, signal)
    values, base = glassbox_values(model, X.iloc[:N_EXPLAINED])
    assert_close(base + values.sum(axis=1), raw(model, X.iloc[:N_EXPLAINED]))
