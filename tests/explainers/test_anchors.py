"""AnchorExplainer: reported precision against fresh samples drawn independently of the
explainer, anchors hold on their row, coverage against the data, the shortest anchor
against brute force over every subset of conditions, KL bounds against their
definition, reproducibility for any n_jobs, categorical and missing values, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from palmerpenguins import load_penguins
from scipy.optimize import brentq
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from glassbox.explainers import AnchorExplainer, Anchors
from glassbox.explainers._anchor_search import kl_bounds


def holds(conditions, X):
    """Whether each row of DataFrame ``X`` satisfies the conditions, read from their
    operators and values (independently of the explainer's keys and bins)."""
    mask = np.ones(len(X), dtype=bool)
    for feature, operator, value in zip(conditions["feature"], conditions["operator"], conditions["value"]):
        column = X[feature]
        if operator == "is missing":
            mask &= column.isna().to_numpy()
            continue
        if operator == "=":
            mask &= (column.astype(object) == value).fillna(False).to_numpy(dtype=bool)
            continue
        numbers = column.to_numpy(dtype=np.float64)  # NaN satisfies no comparison
        if operator == "<=":
            mask &= numbers <= value
        elif operator == ">":
            mask &= numbers > value
        else:
            assert operator == "in"
            mask &= (numbers > value[0]) & (numbers <= value[1])
    return mask


def fresh_precision(model, X, conditions, prediction, n, rng):
    """Precision on ``n`` new samples drawn as documented: random rows of ``X`` whose
    anchored features are taken, together, from a random row of ``X`` satisfying the
    anchor."""
    satisfied = np.flatnonzero(holds(conditions, X))
    assert len(satisfied), "the documented sampler needs a row satisfying the anchor"
    samples = X.iloc[rng.integers(len(X), size=n)].reset_index(drop=True)
    donors = X.iloc[satisfied[rng.integers(len(satisfied), size=n)]].reset_index(drop=True)
    anchored = list(conditions["feature"].unique())
    samples[anchored] = donors[anchored]
    return float((model.predict(samples) == prediction).mean())


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :10]  # the ten "mean" measurements: a search of seconds
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    explainer = AnchorExplainer(model, random_state=0).fit(X)
    rows = [0, 1, 19, 20]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anchors = explainer.explain(X.iloc[rows])
    return X, model, explainer, rows, anchors


def test_reported_precision_is_within_its_bound_of_a_fresh_estimate(cancer):
    X, model, _, rows, anchors = cancer
    rng = np.random.default_rng(1)
    n = 4000
    for i in range(len(rows)):
        fresh = fresh_precision(model, X, anchors.for_row(i), anchors.prediction[i], n, rng)
        noise = 3 * np.sqrt(max(fresh * (1 - fresh), 1 / n) / n)  # the fresh estimate's own error
        assert anchors.precision_lower[i] - noise <= fresh <= anchors.precision_upper[i] + noise, (i, fresh)
        assert anchors.precision_lower[i] <= anchors.precision[i] <= anchors.precision_upper[i]
        if anchors.reached[i]:
            assert anchors.precision[i] >= 0.95
            assert anchors.precision_lower[i] >= 0.95 - 0.1 / 2


def test_anchor_holds_on_its_row_and_coverage_is_the_share_of_rows_satisfying_it(cancer):
    X, _, _, rows, anchors = cancer
    for i, row in enumerate(rows):
        conditions = anchors.for_row(i)
        assert holds(conditions, X.iloc[[row]])[0]
        assert anchors.coverage[i] == pytest.approx(holds(conditions, X).mean(), abs=1e-12)
        assert anchors.rule[i] == " AND ".join(conditions["text"])
    assert anchors.reached.all()
    np.testing.assert_array_equal(anchors.prediction, X.pipe(cancer[1].predict)[rows])


# A model with a known rule, and data where every subset of conditions can be tried.
class RuleClassifier(ClassifierMixin, BaseEstimator):
    """Predicts by a fixed rule on the first three columns."""

    def __init__(self, rule="and"):
        self.rule = rule

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        positive = X[:, :3] > 0
        if self.rule == "and":
            return (positive[:, 0] & positive[:, 1]).astype(int)
        if self.rule == "or":
            return (positive[:, 0] | positive[:, 1]).astype(int)
        return (positive.sum(axis=1) >= 2).astype(int)  # majority of three


class ThresholdClassifier(ClassifierMixin, BaseEstimator):
    """Predicts ``x0 > cut``: the anchor of a row is known in closed form."""

    def __init__(self, cut=0.0):
        self.cut = cut

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return (np.asarray(X, dtype=np.float64)[:, 0] > self.cut).astype(int)


@pytest.fixture(scope="module")
def uniform_data():
    return np.random.default_rng(0).uniform(-1, 1, size=(400, 4))


def brute_force_precisions(explainer, row, n_samples=3000):
    """Precision of every subset of the row's conditions, from large samples."""
    space = explainer._space
    conditions = space.conditions(space.row_keys(row[None, :])[0])
    prediction = explainer.estimator_.predict(row[None, :])[0]
    rng = np.random.default_rng(0)
    precisions = {}
    for mask in range(2 ** len(conditions)):
        anchor = tuple(c for c in range(len(conditions)) if mask >> c & 1)
        samples = space.sample(row, space.prepare(conditions, anchor), n_samples, rng)
        precisions[anchor] = (explainer.estimator_.predict(samples) == prediction).mean()
    return precisions


@settings(max_examples=12, deadline=None)
@given(
    row=st.lists(st.floats(-0.95, 0.95), min_size=4, max_size=4),
    rule=st.sampled_from(["and", "or", "majority"]),
)
@example(row=[0.75, 0.0, 0.0, 0.0], rule="and")  # an anchor of two-sided lines: six conditions on four features
def test_no_shorter_anchor_is_skipped_against_brute_force(uniform_data, row, rule):
    row = np.asarray(row)
    explainer = AnchorExplainer(RuleClassifier(rule).fit(uniform_data), random_state=0).fit(uniform_data)
    precisions = brute_force_precisions(explainer, row)
    # Only clear cases: no subset's precision within 0.04 of the threshold.
    assume(all(abs(p - 0.95) > 0.04 for p in precisions.values()))
    reachable = [len(a) for a, p in precisions.items() if p >= 0.95]
    if not reachable:  # even every condition together stays under the threshold
        with pytest.warns(UserWarning, match="reached no anchor"):
            anchors = explainer.explain(row[None, :])
        assert not anchors.reached[0] and anchors.precision[0] < 0.95
        return
    shortest = min(reachable)
    anchors = explainer.explain(row[None, :])
    assert anchors.reached[0]
    # A line "low < x <= high" is the row's two conditions on that feature together.
    assert sum(2 if op == "in" else 1 for op in anchors.for_row(0)["operator"]) == shortest
    found = [a for a in precisions if len(a) == shortest and precisions[a] >= 0.95]
    assert anchors.precision_lower[0] <= max(precisions[a] for a in found) + 0.04


def test_a_threshold_rule_is_its_own_anchor_with_precision_one_and_coverage_its_share(uniform_data):
    X = uniform_data
    cuts = AnchorExplainer(ThresholdClassifier().fit(X)).fit(X).bins_.thresholds[0]
    cut = float(cuts[1])  # x0's second cut: the rows of its bins 1 and 2 have a one-condition anchor
    explainer = AnchorExplainer(ThresholdClassifier(cut).fit(X), random_state=0).fit(X)
    above, below = (cut + cuts[2]) / 2, (cuts[0] + cut) / 2  # x0 in bin 2, in bin 1
    rows = np.array([[above, 0.9, -0.9, 0.1], [below, -0.2, 0.5, 0.9]])
    anchors = explainer.explain(rows)
    assert anchors.prediction.tolist() == [1, 0]
    assert anchors.conditions["feature"].tolist() == ["x0", "x0"]
    assert anchors.conditions["operator"].tolist() == [">", "<="]
    assert anchors.conditions["value"].tolist() == [cut, cut]
    np.testing.assert_array_equal(anchors.precision, [1.0, 1.0])  # every sample satisfies the rule
    np.testing.assert_array_equal(anchors.coverage, [(X[:, 0] > cut).mean(), (X[:, 0] <= cut).mean()])
    assert anchors.reached.all() and (anchors.precision_lower >= 0.95 - 0.05).all()


def test_a_row_no_anchor_reaches_is_returned_with_its_best_rule_and_a_warning(uniform_data):
    model = RuleClassifier("and").fit(uniform_data)
    explainer = AnchorExplainer(model, max_conditions=1, random_state=0).fit(uniform_data)
    rows = np.array([[0.7, 0.7, 0.0, 0.0], [-0.7, 0.7, 0.0, 0.0]])  # needs two conditions, needs one
    with pytest.warns(UserWarning, match="1 of 2 rows reached no anchor of precision 0.95"):
        anchors = explainer.explain(rows)
    assert anchors.reached.tolist() == [False, True]
    assert anchors.n_conditions.tolist() == [1, 1]
    assert anchors.for_row(0)["feature"].iloc[0] in ("x0", "x1")  # the best single condition
    assert anchors.precision[0] < 0.95


def test_empty_anchor_when_the_model_predicts_one_class_almost_everywhere():
    X = np.random.default_rng(0).uniform(-1, 1, size=(300, 3))
    # x0 > 0.95 on about 2.5% of the data: class 0 holds on 97.5% whatever the row.
    model = RuleClassifier("and").fit(X)
    model.predict = lambda Z: (np.asarray(Z, dtype=np.float64)[:, 0] > 0.95).astype(int)
    anchors = AnchorExplainer(model, prefit=True, random_state=0).fit(X).explain(np.zeros((1, 3)))
    assert anchors.rule.tolist() == [""] and anchors.n_conditions.tolist() == [0]
    assert anchors.coverage[0] == 1.0 and anchors.reached[0]
    assert len(anchors.for_row(0)) == 0


def test_same_seed_same_anchors_for_any_n_jobs_batch_size_and_row_order(cancer):
    X, model, explainer, rows, anchors = cancer
    other = AnchorExplainer(model, random_state=0, n_jobs=2, batch_size=700).fit(X)
    again = other.explain(X.iloc[rows[::-1]])
    np.testing.assert_array_equal(again.rule, anchors.rule[::-1])
    np.testing.assert_array_equal(again.precision, anchors.precision[::-1])
    np.testing.assert_array_equal(again.n_evaluations, anchors.n_evaluations[::-1])
    alone = explainer.explain(X.iloc[[rows[2]]])
    assert alone.rule[0] == anchors.rule[2] and alone.precision[0] == anchors.precision[2]


def test_kl_bounds_solve_their_defining_equation():
    rng = np.random.default_rng(0)
    mean = np.r_[0.0, 1.0, rng.uniform(0.01, 0.99, 20)]
    level = np.r_[0.3, 0.3, rng.uniform(0.001, 0.5, 20)]
    lower, upper = kl_bounds(mean, level)

    def kl(p, q):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num(p * np.log(p / q)) + np.nan_to_num((1 - p) * np.log((1 - p) / (1 - q)))

    assert lower[0] == 0.0 and upper[1] == 1.0
    assert upper[0] == pytest.approx(1 - np.exp(-0.3), abs=1e-6)  # KL(0, q) = -log(1 - q)
    assert lower[1] == pytest.approx(np.exp(-0.3), abs=1e-6)  # KL(1, q) = -log(q)
    for p, lv, lo, up in zip(mean[2:], level[2:], lower[2:], upper[2:]):
        gap = lambda q, p=p, lv=lv: kl(p, q) - lv  # noqa: E731
        expected_up = 1.0 if gap(1 - 1e-15) <= 0 else brentq(gap, p, 1 - 1e-15)
        expected_lo = 0.0 if gap(1e-15) <= 0 else brentq(gap, 1e-15, p)
        assert up == pytest.approx(expected_up, abs=1e-6) and lo == pytest.approx(expected_lo, abs=1e-6)


@pytest.fixture(scope="module")
def penguins():
    df = load_penguins()
    X = df.drop(columns=["species"]).astype({"island": "category", "sex": "category"})
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype", random_state=0)
    return X, model.fit(X, df["species"])


def test_categorical_and_missing_values_are_conditions_as_themselves(penguins):
    X, model = penguins
    rows = [3, 8, 0, 300]  # 3: every measurement missing; 8: sex missing
    assert X.iloc[3].isna().sum() == 5 and pd.isna(X.iloc[8]["sex"])
    anchors = AnchorExplainer(model, random_state=0).fit(X).explain(X.iloc[rows])
    for i, row in enumerate(rows):
        conditions = anchors.for_row(i)
        assert holds(conditions, X.iloc[[row]])[0]
        assert anchors.coverage[i] == pytest.approx(holds(conditions, X).mean(), abs=1e-12)
    operators = set(anchors.conditions["operator"])
    assert "is missing" in operators
    island = anchors.conditions[anchors.conditions["feature"] == "island"]
    assert set(island["value"]) <= {"Biscoe", "Dream", "Torgersen"}  # levels, never codes
    assert anchors.original["island"].dtype == X["island"].dtype
    np.testing.assert_array_equal(anchors.prediction, model.predict(X.iloc[rows]))
    assert len(set(anchors.prediction)) >= 2  # three species: the anchors of several classes


def test_a_level_fit_never_saw_is_a_condition_no_training_row_satisfies():
    df = load_penguins().dropna()
    X, y = df[["island", "bill_length_mm", "flipper_length_mm"]], df["species"]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["island"]), remainder="passthrough"),
        SimpleImputer(),
        LogisticRegression(max_iter=1000),
    ).fit(X, y)
    explainer = AnchorExplainer(model, random_state=0).fit(X)
    row = X.iloc[[0]].assign(island="Atlantis")
    anchors = explainer.explain(row)
    conditions = anchors.for_row(0)
    assert holds(conditions, row)[0]
    if "island" in set(conditions["feature"]):
        assert conditions.set_index("feature").loc["island", "value"] == "Atlantis"
        assert anchors.coverage[0] == 0.0
    assert anchors.original["island"].iloc[0] == "Atlantis"


def test_regressors_keep_a_predicted_range():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X[["bmi", "s5"]], y)
    explainer = AnchorExplainer(model, max_bins=8, random_state=0).fit(X[["bmi", "s5"]])
    assert explainer.tolerance_ == pytest.approx(0.5 * model.predict(X[["bmi", "s5"]]).std())
    assert not hasattr(explainer, "classes_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anchors = explainer.explain(X[["bmi", "s5"]].iloc[:3])
    assert anchors.tolerance == explainer.tolerance_
    rng = np.random.default_rng(0)
    Xs = X[["bmi", "s5"]]
    for i in range(3):
        conditions = anchors.for_row(i)
        satisfied = np.flatnonzero(holds(conditions, Xs))
        samples = Xs.iloc[rng.integers(len(Xs), size=3000)].reset_index(drop=True)
        donors = Xs.iloc[satisfied[rng.integers(len(satisfied), size=3000)]].reset_index(drop=True)
        anchored = list(conditions["feature"].unique())
        samples[anchored] = donors[anchored]
        kept = np.abs(model.predict(samples) - anchors.prediction[i]) <= explainer.tolerance_
        assert anchors.precision_lower[i] - 0.03 <= kept.mean() <= anchors.precision_upper[i] + 0.03
    fixed = AnchorExplainer(model, tolerance=5.0, random_state=0).fit(Xs)
    assert fixed.tolerance_ == 5.0


def test_result_helpers_agree(cancer):
    _, _, _, rows, anchors = cancer
    assert isinstance(anchors, Anchors)
    frame = anchors.to_frame()
    assert list(frame.index) == list(range(len(rows)))
    np.testing.assert_array_equal(frame["n_conditions"], [len(anchors.for_row(i)) for i in range(len(rows))])
    np.testing.assert_array_equal(frame["precision"], anchors.precision)
    assert "IF " in repr(anchors) and "THEN" in repr(anchors)
    assert list(anchors.feature_names) == list(cancer[0].columns)
    with pytest.raises(IndexError, match="out of range for 4 explained rows"):
        anchors.for_row(4)


def test_bad_input_gets_clear_errors(cancer):
    X, model, explainer, _, _ = cancer
    with pytest.raises(NotFittedError):
        AnchorExplainer(model).explain(X)
    with pytest.raises(ValueError, match="threshold"):
        AnchorExplainer(model, threshold=1.5).fit(X)
    with pytest.raises(ValueError, match="seen at fit time, yet now missing"):
        explainer.explain(X.iloc[:2, :5])
    with pytest.raises(TypeError, match="'mean radius' was numeric at fit but now holds values that are not numbers"):
        explainer.explain(X.iloc[:2].assign(**{"mean radius": "large"}))
    with pytest.raises(ValueError, match="'beam_size' parameter of AnchorExplainer must be an int in the range"):
        AnchorExplainer(model, beam_size=0).fit(X)
    with pytest.raises(ValueError, match="'tolerance' parameter .* or one of 'auto'. Got -1"):
        AnchorExplainer(model, tolerance=-1).fit(X)
    X2, y2 = load_diabetes(return_X_y=True)
    two_targets = RandomForestRegressor(n_estimators=3, random_state=0).fit(X2, np.c_[y2, y2])
    with pytest.raises(ValueError, match="predicts 2 targets per row"):
        AnchorExplainer(two_targets).fit(X2)


def test_the_bandit_samples_no_candidate_far_more_than_the_others_it_compares():
    """KL-LUCB over sixty candidates of close precisions (the second level of a row of
    thirty features): each round samples the weakest of the best and the strongest of
    the others, and the strongest of the others changes from round to round. A draw
    sized on each candidate's own count let the weakest of the best run away (millions of
    samples against hundreds of thousands); the pair now gets as many samples each."""
    from glassbox.explainers._anchor_search import RowSearch, Search

    rng = np.random.default_rng(0)
    means = {(i,): m for i, m in enumerate(rng.uniform(0.2, 0.4, 60))}
    search = Search(space=None, threshold=0.95, delta=0.1, epsilon=0.1, beam_size=2, n_samples=100,
                    max_conditions=None)
    row = RowSearch(search, conditions=list(range(60)))
    row._range = lambda anchor: anchor  # requests name the anchor itself

    def drive(run, budget=1_000_000):
        requests = next(run)
        while row.n_evaluations <= budget:
            try:
                requests = run.send([rng.binomial(n, means[anchor]) for anchor, n in requests])
            except StopIteration as done:
                return done.value
        return None

    drive(row._draw(list(means)))
    best = drive(row._best(list(means)))
    counts = sorted(row.n.values())
    assert best is not None, f"no choice within {row.n_evaluations} samples"
    assert counts[-1] <= 3 * counts[-2], counts[-5:]
    top = sorted(means.values())[-1]
    assert all(means[anchor] >= top - 0.1 for anchor in best)  # within epsilon of the best
