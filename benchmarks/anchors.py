"""AnchorExplainer on every classification and regression data set of DATASETS.md
(``tests`` and ``bench``): time, model evaluations, time over the floor, and the quality
of the anchors.

Each data set: a fixed split (at most 2,000 training rows, the data anchors are sampled
from and measured on), a HistGradientBoosting model (50 iterations, native categorical
and missing values), ``AnchorExplainer`` with its defaults (threshold 0.95) on ``n_rows``
held-out rows explained in one call. The model's calls are counted by a wrapper.

- time per row: median over alternating repeats of the whole ``explain`` (the floor is
  timed in the same repeats, alternately);
- floor: the time the model itself needs for the evaluations the search spent: its
  ``predict`` on as many training rows, in the chunks glassbox uses. The search cannot
  run below it; time / floor is the overhead of sampling and bookkeeping;
- model calls: the calls of one ``explain`` (every row's requests of a round go into one call);
- reached: share of rows with an anchor certified at the threshold;
- fresh within bounds: share of rows whose precision, re-estimated on 2,000 new samples
  drawn independently of the explainer (the documented sampler, written out here from
  the rules' text fields), lies within the reported KL bounds widened by three standard
  errors of the fresh estimate;
- precision, coverage and conditions: medians over the rows.

No peer runs here: alibi's AnchorTabular, the reference implementation, is not
installed in this project's environment.

Run:  .venv/bin/python benchmarks/anchors.py          (full)
      .venv/bin/python benchmarks/anchors.py --quick  (fewer rows, one repeat, tests data only)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _data import DATASETS, load, split  # noqa: E402

from glassbox._core import batch_units  # noqa: E402
from glassbox.explainers import AnchorExplainer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "anchors.md"
MAX_TRAIN = 2_000
FRESH = 2_000


class Counted(BaseEstimator):
    """A fitted model whose ``predict`` counts the rows it is given."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y=None):
        return self

    def __getattr__(self, name):
        if name in ("classes_", "n_features_in_", "feature_names_in_", "n_outputs_"):
            return getattr(self.__dict__["model"], name)
        raise AttributeError(name)

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X):
        self.rows_ = getattr(self, "rows_", 0) + len(X)
        self.calls_ = getattr(self, "calls_", 0) + 1
        return self.model.predict(X)


def holds(conditions, X):
    """Rows of ``X`` satisfying conditions read from their operators and values."""
    mask = np.ones(len(X), dtype=bool)
    for feature, operator, value in zip(conditions["feature"], conditions["operator"], conditions["value"]):
        column = X[feature]
        if operator == "is missing":
            mask &= column.isna().to_numpy()
        elif operator == "=":
            mask &= (column.astype(object) == value).fillna(False).to_numpy(dtype=bool)
        else:
            numbers = column.to_numpy(dtype=np.float64)
            low, high = {"<=": (-np.inf, value), ">": (value, np.inf)}.get(operator, value)
            mask &= (numbers > low) & (numbers <= high)
    return mask


def fresh_within_bounds(model, X, anchors, tolerance, rng):
    """Whether each row's fresh precision lies within its reported bounds (+3 s.e.)."""
    inside = []
    for i in range(len(anchors.rule)):
        conditions = anchors.for_row(i)
        satisfied = np.flatnonzero(holds(conditions, X))
        if not len(satisfied):  # coverage 0: the documented sampler replaces features alone
            continue
        samples = X.iloc[rng.integers(len(X), size=FRESH)].reset_index(drop=True)
        donors = X.iloc[satisfied[rng.integers(len(satisfied), size=FRESH)]].reset_index(drop=True)
        anchored = list(conditions["feature"].unique())
        samples[anchored] = donors[anchored].to_numpy()
        predicted = model.predict(samples)
        if tolerance is None:
            kept = predicted == anchors.prediction[i]
        else:
            kept = np.abs(predicted - anchors.prediction[i]) <= tolerance
        fresh = kept.mean()
        noise = 3 * np.sqrt(max(fresh * (1 - fresh), 1 / FRESH) / FRESH)
        inside.append(anchors.precision_lower[i] - noise <= fresh <= anchors.precision_upper[i] + noise)
    return float(np.mean(inside)) if inside else float("nan"), len(inside)


def floor_seconds(model, X, n_evaluations, rng):
    """The model's ``predict`` on ``n_evaluations`` training rows, in glassbox's chunks."""
    rows = X.iloc[rng.integers(len(X), size=n_evaluations)]
    chunk = batch_units("auto", row_cells=X.shape[1], unit_cells=X.shape[1])
    start = time.perf_counter()
    for first in range(0, len(rows), chunk):
        model.predict(rows.iloc[first : first + chunk])
    return time.perf_counter() - start


def bench(name, n_rows, repeats):
    spec = DATASETS[name]
    X, y = load(name)
    X = X.astype({c: "category" for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or X[c].dtype == bool})
    X_train, X_test, y_train, _ = split(X, y, spec.task, max_train=MAX_TRAIN, max_test=n_rows)
    kind = HistGradientBoostingRegressor if spec.task == "regression" else HistGradientBoostingClassifier
    model = kind(max_iter=50, categorical_features="from_dtype", random_state=0).fit(X_train, y_train)
    counted = Counted(model)
    explainer = AnchorExplainer(counted, prefit=True, random_state=0).fit(X_train)
    rng = np.random.default_rng(0)
    times, floors = [], []
    for _ in range(repeats):
        counted.rows_ = counted.calls_ = 0
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            anchors = explainer.explain(X_test)
        times.append(time.perf_counter() - start)
        evaluations, calls = counted.rows_, counted.calls_
        floors.append(floor_seconds(model, X_train, evaluations, rng))
    inside, checked = fresh_within_bounds(model, X_train, anchors, anchors.tolerance, rng)
    return {
        "data": name,
        "task": spec.task,
        "features": X.shape[1],
        "rows": len(X_test),
        "ms/row": 1e3 * np.median(times) / len(X_test),
        "spread": 1e3 * (max(times) - min(times)) / len(X_test),
        "evaluations/row": evaluations / len(X_test),
        "model calls": calls,
        "time / floor": np.median(times) / np.median(floors),
        "reached": anchors.reached.mean(),
        "fresh within bounds": f"{inside:.2f} of {checked}",
        "precision": np.median(anchors.precision),
        "coverage": np.median(anchors.coverage),
        "conditions": np.median(anchors.n_conditions),
    }


def table(frame):
    """Markdown lines of ``frame``, numbers to three significant digits."""
    def cell(value):
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_rows, repeats = (5, 1) if args.quick else (4, 2)
    uses = ("tests",) if args.quick else ("tests", "bench")
    names = [n for n, s in DATASETS.items() if s.use in uses and s.task in ("binary", "multiclass", "regression")]
    load_before = os.getloadavg()[0]
    records = []
    for name in names:
        try:
            records.append(bench(name, n_rows, repeats))
        except Exception as error:  # a data set that fails is reported, never dropped
            records.append({"data": name, "task": DATASETS[name].task, "error": f"{type(error).__name__}: {error}"})
        print(records[-1], flush=True)
        lines = report(records, args.quick, repeats, load_before, done=len(records) == len(names))
        RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


def report(records, quick, repeats, load_before, *, done):
    frame = pd.DataFrame(records)
    lines = [
        "# Anchors on every classification and regression data set",
        "",
        f"Produced by `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/anchors.py{' --quick' if quick else ''}` "
        f"(Python {platform.python_version()}, 1 thread, {repeats} repeat(s); 2 cores shared, load average "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after: absolute times move with the load, "
        "the ratio to the floor, timed alternately in the same repeats, less).",
        "",
        "HistGradientBoosting (50 iterations) per data set, at most 2,000 training rows (the data anchors are "
        "sampled from), the first held-out rows explained in one call with the defaults (threshold 0.95, "
        "beam 2, 100 samples a draw, quartile bins). ms/row is the median of the repeats, spread their range. "
        "The floor is the model's own `predict` on as many rows as the search evaluated, in glassbox's "
        "chunks; model calls counts the calls of the whole explain (the rows' searches share each round's call). "
        "No peer: alibi's AnchorTabular is not installed here.",
        "",
        *table(frame),
        "",
    ]
    if not done:
        lines.append("(Run in progress: the data sets not listed yet are still to come.)")
    return lines


if __name__ == "__main__":
    main()
