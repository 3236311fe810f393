"""AccumulatedLocalEffects against PyALE (``PyALE.ale``) on numeric features.

Both follow Apley and Zhu: each row moves to the lower and upper edge of its bin, the
mean difference per bin accumulates, and the curve is centred by the average of the
two edges of each bin weighted by its rows. Bins are right-closed in both. They cut the
bins at different quantiles, though: PyALE at the inverse of the empirical distribution
(R's type 1, always a data value), glassbox at the midpoint percentile of the values.
On continuous data the edges differ by a fraction of the spacing between neighbouring
values, and so do the curves (0.7% of the curve's range on the benchmark in
``benchmarks/results/agnostic_effects.md``).

The comparison is therefore made where the two grids coincide: a feature recorded at a
fixed precision, each of its values shared by ``max_bins + 1`` rows, with ``max_bins *
t + 1`` distinct values. Every quantile either method can pick then falls inside a run of
equal values, both grids are the same data values, and the curves agree to 1e-9 of their
range (measured below 1e-15). The other columns are left as they are, categorical
columns and missing values included (PyALE only passes them to the model). PyALE explains
one output, ``model.predict``: each output of glassbox (every class probability, the
decision function, the prediction) is compared with PyALE run on that output alone.
"""

import logging
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassbox.explainers import AccumulatedLocalEffects

pyale = pytest.importorskip("PyALE")

pytestmark = pytest.mark.reference

EXACT = 1e-9

SEARCH = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class OneOutput:
    """The model's explained output ``o`` as the ``predict`` PyALE calls."""

    def __init__(self, f, o):
        self.f, self.o = f, o

    def predict(self, X):
        out = np.asarray(getattr(self.f.model, self.f.method)(X), dtype=np.float64)
        return out.reshape(len(X), -1)[:, self.o]


def at_fixed_precision(column, repeats):
    """Each run of ``repeats`` neighbouring values (in sorted order) set to its median."""
    order = np.argsort(column, kind="stable").reshape(-1, repeats)
    out = np.empty_like(column)
    out[order] = np.median(column[order], axis=1, keepdims=True)
    return out


def check_ale(f, figures, max_bins):
    repeats = max_bins + 1
    if len(f.X) % repeats:
        raise ValueError(f"{f.case}: needs a multiple of {repeats} rows")
    logging.getLogger("PyALE").setLevel(logging.WARNING)
    for name in f.columns:
        if name in f.categories or f.X[name].isna().any():
            continue
        X = f.X.copy()
        X[name] = at_fixed_precision(f.X[name].to_numpy(), repeats)
        effect = AccumulatedLocalEffects(f.model, max_bins=max_bins).fit(X).explain(X, features=name)
        for o in range(effect.values.shape[-1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas FutureWarnings inside PyALE
                theirs = pyale.ale(X, OneOutput(f, o), [name], feature_type="continuous", grid_size=max_bins,
                                   include_CI=False, plot=False)
            grid = theirs.index.to_numpy(dtype=np.float64)
            assert np.array_equal(grid, effect.grid[0]), f"{f.case}, {name}: the grids differ: {grid} {effect.grid[0]}"
            curve = effect.values[:, o]
            error = np.abs(theirs["eff"].to_numpy() - curve).max() / (np.ptp(curve) or 1.0)
            figures.add("ALE vs PyALE, shared grid: |difference| / curve range", f.case, error, EXACT)
            assert error <= EXACT, f"{f.case}, {name}, output {o}: ALE differs from PyALE by {error:.2e} of its range"


@pytest.mark.parametrize(("name", "max_bins"), [("hgb-multiclass-missing-305x4-seed1", 4),
                                                ("mlp-regression-categorical-306x4-seed2", 5)])
def test_ale_matches_pyale(name, max_bins, as_case, fitted, figures):
    check_ale(fitted(as_case(name)), figures, max_bins)


@pytest.mark.slow
@SEARCH
@given(data=st.data(), max_bins=st.integers(3, 10), t=st.integers(2, 6))
def test_ale_matches_pyale_search(data, max_bins, t, case_strategy, fitted, figures):
    t = max(t, -(-(150 // (max_bins + 1)) // max_bins))  # at least about 150 rows
    n_rows = (max_bins + 1) * (max_bins * t + 1)  # max_bins * t + 1 values, each on max_bins + 1 rows
    check_ale(fitted(data.draw(case_strategy(n_rows=[n_rows], n_features=(2, 5)))), figures, max_bins)
