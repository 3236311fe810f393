"""Configurations for the reference-agreement suite: data, models, and how peers see them.

Every test here compares one glassbox method with the implementation that defines it
(shap, lime, scikit-learn's inspection module, PyALE) or, for gradients, with a
computation written in the test. A configuration (:class:`Case`) names a model family,
a task, a kind of data, the size of the table and a seed; :func:`build` turns it into a
DataFrame, a target and a fitted model, cached for the session. Tests run a small fixed
set of cases by default and, under the ``slow`` marker, a derandomised Hypothesis search
over configurations drawn by :func:`cases` (the ``case_strategy`` fixture).

glassbox reads the DataFrame itself (categories as pandas categoricals, NaN for missing
values). The peers take numeric arrays: :class:`Fitted` encodes a table as floats, each
category by its code, and decodes such arrays back into a DataFrame for the model, so
that both libraries evaluate the same model on the same rows.

Peers are imported by the test modules with ``pytest.importorskip``: without the
``reference`` extra those modules are skipped and ``make test`` still passes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC, SVR

FAMILIES = ("linear", "forest", "boosting", "hgb", "mlp", "svm")
"""Model families: (logistic) ridge, random forest, gradient boosting, histogram gradient
boosting with native categoricals, a multi-layer perceptron, a support vector machine."""
TASKS = ("binary", "multiclass", "regression")
DATA = ("numeric", "categorical", "missing")
"""``numeric``: every column numeric. ``categorical``: two pandas categorical columns.
``missing``: one categorical column, and missing values in it and in two numeric ones.
One more kind is drawn only where asked for: ``quartiles``, numeric columns that take four
values, each on a quarter of the rows (and one categorical column), so that every
quartile bin holds a single value."""

_LEVELS = (("a", "b", "c"), ("low", "mid", "high", "top"))
_LEVEL_EFFECTS = ((-1.0, 0.2, 1.2), (0.8, -0.6, 0.0, 1.5))


@dataclass(frozen=True)
class Case:
    """One configuration: a model family fitted on a task and a kind of data.

    ``str(case)`` reads like ``hgb-binary-categorical-200x5-seed3`` and ``Case.parse``
    turns it back into the case, so a disagreement can be reproduced from its name.
    """

    family: str
    task: str
    data: str = "numeric"
    n_rows: int = 200
    n_features: int = 5
    seed: int = 0

    def __str__(self):
        return f"{self.family}-{self.task}-{self.data}-{self.n_rows}x{self.n_features}-seed{self.seed}"

    @classmethod
    def parse(cls, name):
        family, task, data, shape, seed = name.split("-")
        n_rows, n_features = map(int, shape.split("x"))
        return cls(family, task, data, n_rows, n_features, int(seed.removeprefix("seed")))

    @property
    def is_classifier(self):
        return self.task != "regression"


@dataclass(eq=False)
class Fitted:
    """The table, target and fitted model of a :class:`Case`, and their encoding for peers.

    Attributes
    ----------
    X : DataFrame of shape (n_rows, n_features)
        Numeric columns ``num*`` and pandas categorical columns ``cat*``.
    y : ndarray of shape (n_rows,)
    model : fitted estimator
        Takes ``X`` as it is (a Pipeline where the family needs one).
    categories : dict of str to Index
        Levels of each categorical column.
    """

    case: Case
    X: pd.DataFrame
    y: np.ndarray
    model: object
    categories: dict = field(default_factory=dict)

    @property
    def columns(self):
        return list(self.X.columns)

    @property
    def method(self):
        """The output glassbox explains by default: ``predict_proba`` of classifiers that
        have it, else ``decision_function``; ``predict`` of regressors."""
        if not self.case.is_classifier:
            return "predict"
        return "predict_proba" if hasattr(self.model, "predict_proba") else "decision_function"

    @property
    def n_outputs(self):
        """Outputs of :attr:`method`: one per class, one for a binary decision function."""
        if not self.case.is_classifier:
            return 1
        n_classes = len(self.model.classes_)
        return 1 if self.method == "decision_function" and n_classes == 2 else n_classes

    def encode(self, X):
        """Floats of shape (n, p): category codes, NaN for missing values."""
        columns = []
        for name in self.columns:
            column = X[name]
            if name in self.categories:
                codes = pd.Categorical(column, categories=self.categories[name]).codes.astype(np.float64)
                columns.append(np.where(codes < 0, np.nan, codes))
            else:
                columns.append(column.to_numpy(dtype=np.float64))
        return np.column_stack(columns)

    def decode(self, A):
        """The DataFrame the model takes, from encoded rows of shape (n, p)."""
        A = np.asarray(A, dtype=np.float64).reshape(-1, len(self.columns))
        frame = {}
        for j, name in enumerate(self.columns):
            if name in self.categories:
                codes = np.where(np.isnan(A[:, j]), -1, A[:, j]).astype(np.int64)
                frame[name] = pd.Categorical.from_codes(codes, categories=self.categories[name])
            else:
                frame[name] = A[:, j]
        return pd.DataFrame(frame)

    def response(self, method):
        """The model's ``method`` on encoded rows: (n,) for one output, else (n, o)."""
        bound = getattr(self.model, method)

        def call(A):
            return np.asarray(bound(self.decode(A)), dtype=np.float64)

        return call


def make_data(case):
    """A table with the columns the case asks for and a target with interactions."""
    rng = np.random.default_rng(case.seed)
    n, p = case.n_rows, case.n_features
    n_categorical = min({"numeric": 0, "categorical": 2, "missing": 1, "quartiles": 1}[case.data], p - 1)
    n_numeric = p - n_categorical
    z = rng.standard_normal((n, n_numeric))
    if case.data == "quartiles":
        if n % 4:
            raise ValueError(f"data='quartiles' needs a number of rows divisible by 4; got {n}.")
        quarter = np.argsort(np.argsort(z, axis=0), axis=0) * 4 // n  # 0..3, n / 4 rows each
        z = (quarter - 1.5) / np.sqrt(1.25)  # four values, mean 0 and variance 1
    loc = rng.uniform(-10, 10, n_numeric).round(1)
    scale = np.exp(rng.uniform(np.log(0.5), np.log(20), n_numeric)).round(2)
    weights = rng.choice([-1.0, 1.0], n_numeric) * rng.uniform(0.3, 1.5, n_numeric)
    signal = z @ weights + 0.8 * z[:, 0] * z[:, 1 % n_numeric]
    if n_numeric > 2:
        signal += np.sin(2 * z[:, 2])
    frame = {f"num{j}": loc[j] + scale[j] * z[:, j] for j in range(n_numeric)}
    categories = {}
    for k in range(n_categorical):
        levels = _LEVELS[k]
        codes = rng.integers(0, len(levels), n)
        signal = signal + np.asarray(_LEVEL_EFFECTS[k])[codes]
        if case.data == "missing":
            codes = np.where(rng.random(n) < 0.1, -1, codes)
        frame[f"cat{k}"] = pd.Categorical.from_codes(codes, categories=list(levels))
        categories[f"cat{k}"] = pd.Index(levels)
    X = pd.DataFrame(frame)
    if case.data == "missing":
        for j in range(min(2, n_numeric)):
            X.loc[rng.random(n) < 0.1, f"num{j}"] = np.nan
    noisy = signal + 0.3 * rng.standard_normal(n)
    if case.task == "regression":
        y = noisy
    elif case.task == "binary":
        y = (noisy > np.median(noisy)).astype(np.int64)
    else:
        y = np.digitize(noisy, np.quantile(noisy, [1 / 3, 2 / 3])).astype(np.int64)
    return X, y, categories


def make_model(case, X):
    """An unfitted model of the case's family that takes ``X`` as it is."""
    classifier = case.is_classifier
    seed = case.seed
    categorical = [c for c in X.columns if c.startswith("cat")]
    numeric = [c for c in X.columns if c.startswith("num")]
    missing = case.data == "missing"
    if case.family in ("linear", "mlp", "svm"):
        scaled = make_pipeline(SimpleImputer(), StandardScaler()) if missing else StandardScaler()
        front = ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore"), categorical), ("num", scaled, numeric)]
        )
        network = dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=1e-2, max_iter=400, random_state=seed)
        final = {
            ("linear", True): LogisticRegression(max_iter=2000),
            ("linear", False): Ridge(alpha=1.0),
            ("mlp", True): MLPClassifier(**network),
            ("mlp", False): MLPRegressor(**network),
            ("svm", True): SVC(),  # no predict_proba: explained on its decision function
            ("svm", False): SVR(C=3.0),
        }[case.family, classifier]
        return make_pipeline(front, final)
    if case.family == "hgb":
        kind = HistGradientBoostingClassifier if classifier else HistGradientBoostingRegressor
        return kind(max_iter=30, max_leaf_nodes=15, categorical_features="from_dtype", random_state=seed)
    if case.family == "forest":
        kind = RandomForestClassifier if classifier else RandomForestRegressor
        final = kind(n_estimators=20, max_depth=6, random_state=seed)
    else:
        kind = GradientBoostingClassifier if classifier else GradientBoostingRegressor
        final = kind(n_estimators=30, max_depth=3, random_state=seed)
    impute = missing and case.family == "boosting"  # GradientBoosting* refuses NaN; forests take it
    steps = []
    if categorical:  # trees split on the codes of categories
        codes = make_pipeline(OrdinalEncoder(), SimpleImputer(strategy="most_frequent")) if impute else OrdinalEncoder()
        steps.append(("cat", codes, categorical))
    if impute:
        steps.append(("num", SimpleImputer(), numeric))
    if not steps:
        return final
    front = ColumnTransformer(steps, remainder="passthrough", verbose_feature_names_out=False)
    return make_pipeline(front, final)


@lru_cache(maxsize=64)
def build(case):
    """The :class:`Fitted` data and model of ``case``, built once per session."""
    X, y, categories = make_data(case)
    model = make_model(case, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return Fitted(case, X, y, model, categories)


def cases(families=FAMILIES, tasks=TASKS, data=DATA, n_rows=(150, 400), n_features=(3, 7)):
    """Hypothesis strategy of :class:`Case` over the given families, tasks and data kinds.

    ``n_rows`` and ``n_features`` are inclusive ranges, or tuples of allowed values when
    given as lists.
    """

    def choose(bounds):
        return st.sampled_from(bounds) if isinstance(bounds, list) else st.integers(*bounds)

    return st.builds(
        Case,
        family=st.sampled_from(families),
        task=st.sampled_from(tasks),
        data=st.sampled_from(data),
        n_rows=choose(n_rows),
        n_features=choose(n_features),
        seed=st.integers(0, 2**16),
    )


class Figures:
    """The worst disagreement each check has seen, with its tolerance and configuration.

    Tests report every comparison with ``figures.add(check, case, value, tolerance)``;
    the summary at the end of the run lists the worst per check, so a run records how
    close glassbox came to its references and where.
    """

    def __init__(self):
        self.worst = {}

    def add(self, check, case, value, tolerance):
        value = float(value)
        if check not in self.worst or value > self.worst[check][0]:
            self.worst[check] = (value, float(tolerance), str(case))


_FIGURES = Figures()


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES.worst:
        return
    terminalreporter.write_sep("-", "reference agreement: worst disagreement per check (tolerance)")
    for check, (value, tolerance, case) in sorted(_FIGURES.worst.items()):
        terminalreporter.write_line(f"{check}: {value:.3g} ({tolerance:.3g}) at {case}")


@pytest.fixture(scope="session")
def figures():
    """The session's :class:`Figures`."""
    return _FIGURES


@pytest.fixture(scope="session")
def fitted():
    """``fitted(case)``: the data and fitted model of a :class:`Case` (cached)."""
    return build


@pytest.fixture(scope="session")
def case_strategy():
    """``case_strategy(families=..., tasks=..., data=...)``: configurations for Hypothesis."""
    return cases


@pytest.fixture(scope="session")
def as_case():
    """``as_case("hgb-binary-categorical-200x5-seed3")``: a :class:`Case` from its name."""
    return Case.parse
