"""Displays are drawn with the Agg backend and every figure is closed after its test.

The ``data`` fixture runs a test on a numeric array and on a DataFrame with categorical
columns and missing values, each for a classifier and a regressor.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from palmerpenguins import load_penguins  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def penguins():
    """Penguins with categoricals and missing values: X, species and body mass."""
    frame = load_penguins().dropna(subset=["species", "body_mass_g"]).reset_index(drop=True)
    X = frame[["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "sex"]].copy()
    X.loc[::17, "bill_length_mm"] = np.nan  # more missing values
    return X, frame["species"].to_numpy(), frame["body_mass_g"].to_numpy()


@pytest.fixture(params=[(c, t) for c in ("numpy", "pandas") for t in ("classifier", "regressor")],
                ids=lambda case: "-".join(case))
def data(request, penguins):
    """``(container, task, X, y)``: a multiclass or numeric target on an array or a DataFrame."""
    container, task = request.param
    if container == "pandas":
        X, species, mass = penguins
        return container, task, X, species if task == "classifier" else mass
    if task == "classifier":
        X, y = load_iris(return_X_y=True)
        return container, task, X, y
    X, y = load_diabetes(return_X_y=True)
    return container, task, X[:200, :6], y[:200]


@pytest.fixture(scope="session")
def binary():
    """A binary target on numeric columns."""
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :6], y
