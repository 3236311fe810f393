"""Scores per cohort: each slice's score against a direct computation, the bootstrap against
the binomial distribution, the slices against pandas' own grouping."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import check_scoring, get_scorer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassbox.metrics import sliced_scores
from glassbox.metrics._sliced import _WEIGHTED, _Metric

palmerpenguins = pytest.importorskip("palmerpenguins")


@pytest.fixture(scope="module")
def penguins():
    frame = palmerpenguins.load_penguins().dropna(subset=["species"]).reset_index(drop=True)
    y = frame.pop("species").to_numpy()
    numeric = frame[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(numeric.fillna(numeric.mean()), y)
    return model, numeric.fillna(numeric.mean()), y, frame


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :5]
    model = RandomForestClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X.iloc[::2], y.iloc[::2])
    return model, X.iloc[1::2].reset_index(drop=True), y.iloc[1::2].to_numpy()


def _direct(model, X, y, rows, scoring):
    try:
        return float(get_scorer(scoring)(model, X.iloc[rows], y[rows]))
    except ValueError:
        return np.nan


@pytest.mark.parametrize("scoring", ["accuracy", "balanced_accuracy", "roc_auc_ovr"])
def test_each_level_scores_as_scikit_learn_scores_its_rows(penguins, scoring):
    model, X, y, frame = penguins
    scores = sliced_scores(model, X, y, by=[frame["island"], frame["sex"]], scoring=scoring, n_bootstrap=0)
    for column in ("island", "sex"):
        levels = frame[column].fillna("missing")
        part = scores[scores["feature"] == column]
        assert sorted(part["slice"]) == sorted(levels.unique())
        for _, row in part.iterrows():
            rows = np.flatnonzero(levels == row["slice"])
            assert row["n"] == len(rows)
            np.testing.assert_allclose(row["score"], _direct(model, X, y, rows, scoring), rtol=1e-12, atol=1e-12,
                                       equal_nan=True)
            assert row["base_rate"] == pytest.approx(pd.Series(y[rows]).value_counts(normalize=True).max())
    overall = get_scorer(scoring)(model, X, y)
    assert scores.attrs["overall"] == pytest.approx(overall, abs=1e-12)
    np.testing.assert_allclose(scores["gap"], scores["score"] - overall, atol=1e-12)


@pytest.mark.parametrize("scoring", ["roc_auc", "accuracy"])
def test_binary_slices_of_numeric_bins_and_pairs(cancer, scoring):
    model, X, y = cancer
    scores = sliced_scores(model, X, y, by=["mean radius", ("mean radius", "mean texture")], scoring=scoring,
                           n_bootstrap=0)
    single = scores[scores["feature"] == "mean radius"]
    assert len(single) == 4 and single["n"].sum() == len(X)  # quartiles, no missing slice
    bins = pd.qcut(X["mean radius"], 4, labels=False)  # equal counts: the same cuts on distinct values
    for k, (_, row) in enumerate(single.iterrows()):
        rows = np.flatnonzero(bins == k)
        low, high = X["mean radius"].iloc[rows].min(), X["mean radius"].iloc[rows].max()
        assert row["n"] == len(rows) and row["slice"] == f"{low:.4g} to {high:.4g}"
        assert row["score"] == pytest.approx(_direct(model, X, y, rows, scoring), abs=1e-12)
        assert row["base_rate"] == pytest.approx(np.mean(y[rows] == 1))
    pairs = scores[scores["feature"] == "mean radius × mean texture"]
    crossed = pd.crosstab(bins, pd.qcut(X["mean texture"], 4, labels=False))
    assert sorted(pairs["n"]) == sorted(v for v in crossed.to_numpy().ravel() if v > 0)


def test_regression_scores_and_target_means():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    y = y.to_numpy()
    for scoring in ["r2", "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error"]:
        scores = sliced_scores(model, X, y, by="sex", scoring=scoring, n_bootstrap=0)
        for _, row in scores.iterrows():
            rows = np.flatnonzero(X["sex"].map(lambda v: f"{v:.4g}") == row["slice"])
            assert row["score"] == pytest.approx(_direct(model, X, y, rows, scoring), rel=1e-10)
            assert row["target_mean"] == pytest.approx(y[rows].mean())
    assert "base_rate" not in scores


def test_a_zero_inflated_column_keeps_its_zeros_in_one_bin_and_missing_values_in_another():
    rng = np.random.default_rng(1)
    n = 600
    gain = np.where(rng.random(n) < 0.6, 0.0, rng.exponential(5000, n).round())
    gain[:25] = np.nan
    X = pd.DataFrame({"gain": gain, "x": rng.normal(size=n)})
    y = (X["x"] + rng.normal(size=n) > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X[["x"]], y)
    scores = sliced_scores(model, X[["x"]], y, by=X["gain"], n_bootstrap=0)
    assert scores["slice"].iloc[0] == "0" and scores["n"].iloc[0] == int((gain == 0).sum())
    assert scores["slice"].iloc[-1] == "missing" and scores["n"].iloc[-1] == 25
    assert scores["n"].sum() == n


def test_bootstrap_interval_of_accuracy_is_the_binomial_interval():
    # The correct rows of a resample of n rows are Binomial(n, accuracy): the percentile
    # interval is the binomial quantiles, to within one row.
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = (X["x"] + 0.8 * rng.normal(size=n) > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(X, y)
    accuracy = np.mean(model.predict(X) == y)
    scores = sliced_scores(model, X, y, by=pd.Series(np.zeros(n, dtype=int).astype(str), name="all"),
                           n_bootstrap=20000, confidence=0.9, random_state=0)
    low, high = stats.binom.ppf([0.05, 0.95], n, accuracy) / n
    assert scores["lower"].iloc[0] == pytest.approx(low, abs=1.01 / n)
    assert scores["upper"].iloc[0] == pytest.approx(high, abs=1.01 / n)
    assert scores.attrs["overall_lower"] == pytest.approx(low, abs=1.01 / n)


@pytest.mark.parametrize("scoring", sorted(_WEIGHTED))
def test_a_resample_is_the_score_weighted_by_each_rows_count(penguins, cancer, scoring):
    # Each weighted metric equals scikit-learn's metric with the resample's counts as sample_weight.
    if scoring in ("r2", "neg_mean_squared_error", "neg_root_mean_squared_error", "neg_mean_absolute_error"):
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        model, y = LinearRegression().fit(X, y), y.to_numpy()
    elif scoring in ("roc_auc",):
        model, X, y = cancer
    else:
        model, X, y, _ = penguins
    metric = _Metric(model, X, y, scoring)
    counts = np.random.default_rng(3).multinomial(len(y), np.full(len(y), 1 / len(y)), size=3)
    got = metric.function(metric.response, y, counts.astype(np.float32), getattr(model, "classes_", None))
    scorer = check_scoring(model, scoring=scoring)
    expected = [scorer(model, X, y, sample_weight=c) for c in counts]
    np.testing.assert_allclose(got, expected, rtol=2e-5)


def test_a_scorer_without_a_weighted_form_is_called_per_slice(cancer):
    model, X, y = cancer
    scores = sliced_scores(model, X, y, by="mean radius", scoring="neg_log_loss", n_bootstrap=30, random_state=0)
    bins = pd.qcut(X["mean radius"], 4, labels=False)
    for k, (_, row) in enumerate(scores.iterrows()):
        rows = np.flatnonzero(bins == k)
        assert row["score"] == pytest.approx(_direct(model, X, y, rows, "neg_log_loss"))
        assert row["lower"] <= row["upper"]


def test_small_and_undefined_slices_are_marked(cancer):
    model, X, y = cancer
    # A slice holding one class only has no ROC AUC.
    label = pd.Series(np.where(y == 1, "pure", "mixed"), name="purity")
    label.iloc[np.flatnonzero(y == 1)[:40]] = "mixed"
    scores = sliced_scores(model, X, y, by=label, scoring="roc_auc", n_bootstrap=50, random_state=0, min_size=30)
    pure = scores[scores["slice"] == "pure"].iloc[0]
    assert np.isnan(pure["score"]) and pure["too_small"] and np.isnan(pure["lower"])
    assert not scores[scores["slice"] == "mixed"]["too_small"].iloc[0]
    small = sliced_scores(model, X, y, by=pd.Series(["a"] * 20 + ["b"] * (len(y) - 20), name="g"), n_bootstrap=0)
    assert small["too_small"].tolist() == [True, False]


def test_same_seed_same_intervals_and_the_interval_holds_the_score(cancer):
    model, X, y = cancer
    first = sliced_scores(model, X, y, by="mean radius", n_bootstrap=200, random_state=7)
    second = sliced_scores(model, X, y, by="mean radius", n_bootstrap=200, random_state=7)
    pd.testing.assert_frame_equal(first, second)
    assert (first["lower"] <= first["score"]).all() and (first["score"] <= first["upper"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "nope"}, "nope"),
        ({"by": []}, "names no column"),
        ({"by": ("mean radius", "mean texture", "mean area")}, "one or two columns"),
        ({"by": pd.Series([1, 2], name="short")}, "has 2 values for"),
        ({"by": "mean radius", "n_bins": 0}, "n_bins must be"),
        ({"by": "mean radius", "confidence": 1.5}, "confidence must be"),
    ],
)
def test_bad_arguments_say_what_was_expected(cancer, kwargs, message):
    model, X, y = cancer
    with pytest.raises((ValueError, KeyError), match=message):
        sliced_scores(model, X, y, **kwargs)


def test_mismatched_target_is_refused(cancer):
    model, X, y = cancer
    with pytest.raises(ValueError, match="X has .* rows, y has"):
        sliced_scores(model, X, y[:-1], by="mean radius")
