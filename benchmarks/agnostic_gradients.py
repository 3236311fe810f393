"""GradientExplainer: time per row of each method over its floor, and against finite differences.

There is no peer library for gradients of scikit-learn models in numpy, so each method is
measured against its floor, the model evaluations it cannot avoid: the model's own
``predict_proba`` (or ``predict``) on the stacked rows the method must pass through the
network, in glassbox's chunks (a gradient costs a forward pass and a backward pass, so an
analytic method sits somewhat above this forward-only floor):

- saliency (and every method built on one gradient per row): the ``n`` rows;
- integrated gradients: ``n * n_steps`` path points;
- DeepLIFT: the ``n`` rows and the baseline;
- SmoothGrad: ``n * smoothgrad_samples`` noisy copies;
- finite differences: ``n * 2 * n_features`` perturbed copies.

Against finite differences: the time central differences need for the same gradients
(measured for saliency; for integrated gradients and SmoothGrad, which need a gradient at
``n_steps`` or ``smoothgrad_samples`` points per row, the measured per-gradient time of
finite differences times that number), and how far the analytic gradient is from the
numerical one. Times are CPU seconds of this process (one thread: the work itself, not
what other processes on a shared machine take from it), medians of alternating repeats.

Run:  .venv/bin/python benchmarks/agnostic_gradients.py          (full: 5000 rows, 5 repeats)
      .venv/bin/python benchmarks/agnostic_gradients.py --quick  (1000 rows, one repeat)
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
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from glassbox._core import batch_units, row_rngs  # noqa: E402
from glassbox.explainers import GradientExplainer  # noqa: E402
from glassbox.explainers._gradients import _CentralDifferences  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "agnostic_gradients.md"
N_STEPS = 50
SMOOTHGRAD_SAMPLES = 50
METHODS = ["saliency", "integrated_gradients", "deeplift", "smoothgrad", "finite_difference"]
GOALS = {"saliency": 3, "integrated_gradients": 3, "deeplift": 3, "smoothgrad": 3, "finite_difference": 1.2}
"""Most time over the floor each method should take (set here: the issue names no peer or goal)."""


def cases():
    X_bc, y_bc = load_breast_cancer(return_X_y=True)
    X_db, y_db = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return [
            (
                "MLPClassifier(100, relu), breast_cancer",
                X_bc,
                make_pipeline(
                    StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,), max_iter=300, random_state=0)
                ).fit(X_bc, y_bc),
                "predict_proba",
                METHODS,
            ),
            (
                "MLPRegressor(64, 64, tanh), diabetes",
                X_db,
                make_pipeline(
                    StandardScaler(),
                    MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", max_iter=500, random_state=0),
                ).fit(X_db, y_db),
                "predict",
                METHODS,
            ),
            (
                "LogisticRegression, breast_cancer",
                X_bc,
                make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_bc, y_bc),
                "predict_proba",
                METHODS,
            ),
            (
                "HistGradientBoostingRegressor, diabetes",
                X_db,
                HistGradientBoostingRegressor(random_state=0).fit(X_db, y_db),
                "predict",
                ["finite_difference"],
            ),
        ]


def floor_rows(method, X, baseline):
    """The stacked rows a method must evaluate (their number and spread, not their exact values).

    Integrated gradients and DeepLIFT also evaluate the model on the explained rows, for
    the completeness error they report.
    """
    n, p = X.shape
    rng = np.random.default_rng(0)
    if method == "integrated_gradients":
        alphas = np.linspace(0, 1, N_STEPS)
        path = (baseline + alphas[None, :, None] * (X - baseline)[:, None, :]).reshape(-1, p)
        return np.vstack([path, X])
    if method == "smoothgrad":
        noise = 0.15 * X.std(axis=0) * rng.standard_normal((n * SMOOTHGRAD_SAMPLES, p))
        return np.repeat(X, SMOOTHGRAD_SAMPLES, axis=0) + noise
    if method == "finite_difference":
        return np.repeat(X, 2 * p, axis=0)
    if method == "deeplift":
        return np.vstack([X, X, baseline])
    return X


def floor_seconds(model, output, rows):
    chunk = batch_units("auto", row_cells=rows.shape[1], unit_cells=rows.shape[1])
    predict = getattr(model, output)
    start = time.process_time()
    for first in range(0, len(rows), chunk):
        predict(rows[first : first + chunk])
    return time.process_time() - start


def explained_rows(X, n_rows):
    """``n_rows`` rows drawn from ``X`` with a little noise, so that fixed costs do not dominate."""
    rng = np.random.default_rng(0)
    rows = X[rng.choice(len(X), n_rows)]
    return rows + 0.05 * X.std(axis=0) * rng.standard_normal(rows.shape)


def timed_explain(model, X_train, X, method, output):
    explainer = GradientExplainer(
        model, method=method, output=output, n_steps=N_STEPS, smoothgrad_samples=SMOOTHGRAD_SAMPLES, random_state=0
    ).fit(X_train)
    start = time.process_time()
    explanation = explainer.explain(X)
    return time.process_time() - start, explanation


def bench(name, X_train, model, output, methods, repeats, n_rows):
    X = explained_rows(X_train, n_rows)
    baseline = X_train.mean(axis=0)
    times = {m: [] for m in methods}
    floors = {m: [] for m in methods}
    results = {}
    for method in methods:  # warm up (imports, caches, allocator) before timing
        timed_explain(model, X_train, X[:100], method, output)
    for _ in range(repeats):  # alternate the methods and their floors
        for method in methods:
            seconds, results[method] = timed_explain(model, X_train, X, method, output)
            times[method].append(seconds)
            floors[method].append(floor_seconds(model, output, floor_rows(method, X, baseline)))
    n = len(X)
    per_row = {m: np.median(times[m]) / n for m in methods}
    fd_gradient = per_row["finite_difference"]  # one numerical gradient per row
    records = []
    for method in methods:
        floor = np.median(floors[method]) / n
        gradients_per_row = {"integrated_gradients": N_STEPS, "smoothgrad": SMOOTHGRAD_SAMPLES}.get(method, 1)
        fd_equivalent = None if method in ("deeplift", "finite_difference") else fd_gradient * gradients_per_row
        exp = results[method]
        completeness = "" if exp.fidelity is None else f"{np.median(exp.fidelity):.1e} / {exp.fidelity.max():.1e}"
        records.append(
            {
                "model": name,
                "method": method,
                "µs/row": f"{1e6 * per_row[method]:.1f}",
                "floor µs/row": f"{1e6 * floor:.1f}",
                "time / floor": f"{per_row[method] / floor:.2f}",
                "finite differences µs/row": ""
                if fd_equivalent is None
                else (f"{1e6 * fd_equivalent:.1f}" + (" (est.)" if gradients_per_row > 1 else "")),
                "speed-up over finite differences": ""
                if fd_equivalent is None
                else f"{fd_equivalent / per_row[method]:.1f}x",
                "completeness error (median / max)": completeness,
                "_ratio": per_row[method] / floor,
                "_speedup": None if fd_equivalent is None else fd_equivalent / per_row[method],
            }
        )
    costs = {}
    if "smoothgrad" in methods:  # seeding one generator per row, keyed by the row
        start = time.process_time()
        row_rngs(0, X)
        costs["seeding"] = (time.process_time() - start) / n
    stack = _CentralDifferences(X, X + 1e-3, X - 1e-3)  # building the perturbed copies alone
    chunk = batch_units("auto", row_cells=X.shape[1], unit_cells=X.shape[1])
    start = time.process_time()
    for first in range(0, stack.n_rows, chunk):
        stack(first, min(first + chunk, stack.n_rows))
    costs["building"] = (time.process_time() - start) / n
    accuracy = None
    if "saliency" in methods:
        analytic = GradientExplainer(model, method="gradient", output=output).fit(X_train).explain(X).values
        numeric = results["finite_difference"].values
        accuracy = float(np.abs(analytic - numeric).max() / np.abs(analytic).max())
    return records, accuracy, costs


def table(records):
    columns = [c for c in records[0] if not c.startswith("_")]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in records]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a single repeat")
    args = parser.parse_args()
    repeats, n_rows = (1, 1000) if args.quick else (5, 5000)
    records, notes = [], []
    for name, X, model, output, methods in cases():
        rows, accuracy, costs = bench(name, X, model, output, methods, repeats, n_rows)
        records += rows
        overheads = [f"building the perturbed copies of finite differences {1e6 * costs['building']:.1f} µs/row"]
        if "seeding" in costs:
            overheads.insert(0, f"seeding SmoothGrad's row-keyed noise {1e6 * costs['seeding']:.1f} µs/row")
        notes.append(f"- {name}: " + "; ".join(overheads) + ".")
        if accuracy is not None:
            notes.append(
                f"- {name}: the analytic gradient and central differences differ by at most "
                f"{accuracy:.1e} of the largest gradient entry."
            )
    verdicts = []
    for method in METHODS:
        mine = [r for r in records if r["method"] == method]
        worst = max(mine, key=lambda r: r["_ratio"])
        goal = GOALS[method]
        met = [r["model"] for r in mine if r["_ratio"] <= goal]
        missed = [f"{r['model']} ({r['_ratio']:.2f}x)" for r in mine if r["_ratio"] > goal]
        verdicts.append(
            f"- {method}: at most {worst['_ratio']:.2f}x its floor (goal at most {goal}x: "
            + (
                "met for every model"
                if not missed
                else f"met for {len(met)} of {len(mine)}; not met for " + ", ".join(missed)
            )
            + ")."
        )
    speedups = [r["_speedup"] for r in records if r["_speedup"] is not None]
    verdicts.append(
        f"- Against finite differences, the analytic methods are {min(speedups):.1f}x to {max(speedups):.1f}x "
        f"faster for the same gradients (goal at least 5x: {'met' if min(speedups) >= 5 else 'not met'})."
    )
    command = f"OMP_NUM_THREADS=1 .venv/bin/python benchmarks/agnostic_gradients.py{' --quick' if args.quick else ''}"
    report = "\n".join(
        [
            "# GradientExplainer: time per row against the floor and against finite differences",
            "",
            f"Produced by `{command}` (Python {platform.python_version()}, 1 thread, CPU time, "
            f"{'quick run' if args.quick else f'median of {repeats} repeats'}). {n_rows} rows drawn from each data "
            f"set (with a little noise) are explained in one call; integrated gradients use {N_STEPS} "
            "Gauss-Legendre points, SmoothGrad "
            f"{SMOOTHGRAD_SAMPLES} noisy copies.",
            "",
            "The floor is the model's own forward pass (`predict_proba` or `predict`) on the rows the method must "
            "evaluate, in glassbox's chunks (integrated gradients and DeepLIFT include the explained rows once "
            "more, for the completeness error they report). An analytic gradient adds a backward pass to the "
            "forward one, so the goal for the analytic methods is at most 3x the floor; finite differences are "
            "model evaluations only, so their goal is at most 1.2x. There is no peer library to compare with. "
            "'Finite differences µs/row' is the time central differences take for the same gradients (est.: the "
            "measured time of one numerical gradient per row times the gradients a row needs); the goal is "
            "at least 5x faster. Completeness error: `|sum of values - (f(x) - f(baseline))|` over the rows.",
            "",
            table(records),
            "",
            *notes,
            *verdicts,
            "",
        ]
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(report)
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
