"""SHAP interaction values: glassbox against shap's ``TreeExplainer.shap_interaction_values``.

Both libraries explain the same rows of the same model from scratch (path-dependent:
shap computes interaction values for that game only): glassbox's time includes reading
the trees, shap's building its TreeExplainer. Runs alternate between the two libraries;
the table reports medians, shap's time over glassbox's (speed-up), and glassbox's time
over its floor: glassbox's own Shapley values of the same rows (the diagonal needs them,
so interaction values cannot cost less). Each row also reports the largest difference
between the libraries and glassbox's additivity error (base value plus all values minus
the model output). The last cases time glassbox's interventional interaction values
against 100 background rows, for which shap has no counterpart.

Usage::

    .venv/bin/python benchmarks/shap_interactions.py            # about 5 minutes on an idle machine
    .venv/bin/python benchmarks/shap_interactions.py --quick    # a smoke run
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread for both libraries

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import shap  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor  # noqa: E402

from glassbox.explainers import ShapleyExplainer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "shap_interactions.md"


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def fitted_explainer(model, X, background):
    """glassbox's tree explainer: path-dependent without background rows, else interventional."""
    if background is None:
        return ShapleyExplainer(model, method="tree", feature_perturbation="tree_path_dependent").fit(X)
    return ShapleyExplainer(model, method="tree", background=background).fit(X)


def run_glassbox(model, X, rows, background):
    return fitted_explainer(model, X, background).explain_interactions(rows)


def run_floor(model, X, rows, background):
    return fitted_explainer(model, X, background).explain(rows)


def run_shap(model, rows):
    return np.asarray(shap.TreeExplainer(model).shap_interaction_values(rows))


def compare(label, model, X, rows, background, repeats):
    times = {"glassbox": [], "shap": [], "floor": []}
    ours = theirs = None
    for _ in range(repeats):  # alternate the libraries
        t, ours = timed(lambda: run_glassbox(model, X, rows, background))
        times["glassbox"].append(t)
        times["floor"].append(timed(lambda: run_floor(model, X, rows, background))[0])
        if background is None:
            t, theirs = timed(lambda: run_shap(model, rows))
            times["shap"].append(t)
    ours_t = float(np.median(times["glassbox"]))
    row = {
        "case": label,
        "rows": len(rows),
        "runs": repeats,
        "glassbox s": ours_t,
        "floor ratio": float(np.median(np.divide(times["glassbox"], times["floor"]))),
        "additivity": float(np.abs(ours.output()[:, 0] - model.predict(rows)).max()),
        "shap s": None,
    }
    if theirs is not None:
        ratios = np.divide(times["shap"], times["glassbox"])
        row.update({
            "shap s": float(np.median(times["shap"])),
            "ratio": float(np.median(times["shap"]) / ours_t),
            "ratio range": (ratios.min(), ratios.max()),
            "difference": float(np.abs(ours.values[..., 0] - theirs).max()),
        })
    shap_text = "" if row["shap s"] is None else (
        f"shap {row['shap s']:.2f}s  speed-up {row['ratio']:.2f}x  diff {row['difference']:.1e}  ")
    print(f"{label:<52} {len(rows):>5} rows  glassbox {ours_t:.2f}s  {shap_text}"
          f"floor ratio {row['floor ratio']:.2f}  additivity {row['additivity']:.1e}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    n_rows = 50 if args.quick else 300
    X, y = make_regression(n_samples=5000 + n_rows, n_features=10, n_informative=10, noise=1.0, random_state=0)
    X, y, rows = X[:5000], y[:5000] / y.std(), X[5000:]
    forest = RandomForestRegressor(n_estimators=100, max_depth=8, random_state=0, n_jobs=1).fit(X, y)
    boosting = GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=0).fit(X, y)
    deep = GradientBoostingRegressor(n_estimators=100, max_depth=6, random_state=0).fit(X, y)
    cases = [
        ("RandomForest(100, depth 8), path-dependent", forest, None),
        ("GradientBoosting(100, depth 3), path-dependent", boosting, None),
        ("GradientBoosting(100, depth 6), path-dependent", deep, None),
        ("GradientBoosting(100, depth 3), interventional (100 rows)", boosting, X[:100]),
        ("RandomForest(100, depth 8), interventional (100 rows)", forest, X[:100]),
    ]
    results = [compare(label, model, X, rows, background, repeats) for label, model, background in cases]
    write(results, repeats, args)


def write(results, repeats, args):
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/shap_interactions.py" + (" --quick" if args.quick else "") + (
        f" --repeats {args.repeats}" if args.repeats else "")
    lines = [
        "# SHAP interaction values: glassbox vs shap's TreeExplainer.shap_interaction_values",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work), one thread; Python "
        f"{platform.python_version()}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"shap {shap.__version__}.",
        "",
        "Data: `make_regression` with 10 informative features, 5,000 training rows; the held-out rows are "
        "explained, each giving a 10 x 10 matrix. Times include building each explainer. Speed-up: shap's median "
        "time over glassbox's, its range over the paired runs. Floor ratio: glassbox's interaction values over "
        "its own Shapley values of the same rows (the main effects need them).",
        "",
        "| case | rows | runs | glassbox s | shap s | speed-up | range | glassbox / floor | "
        "max abs difference | additivity error |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r["shap s"] is None:
            peer = "| - | - | - | "
            difference = "-"
        else:
            low, high = r["ratio range"]
            peer = f"| {r['shap s']:.2f} | {r['ratio']:.2f}x | {low:.2f}-{high:.2f} | "
            difference = f"{r['difference']:.1e}"
        lines.append(f"| {r['case']} | {r['rows']} | {r['runs']} | {r['glassbox s']:.2f} {peer}"
                     f"{r['floor ratio']:.1f}x | {difference} | {r['additivity']:.1e} |")
    compared = [r for r in results if r["shap s"] is not None]
    met = sum(r["ratio"] >= 1 for r in compared)
    lines += [
        "",
        "## Goals (issue #15)",
        "",
        f"- Equal to shap to 1e-6: largest difference {max(r['difference'] for r in compared):.1e}: "
        + ("met." if max(r["difference"] for r in compared) <= 1e-6 else "**not met**."),
        f"- At least as fast as shap: {met} of {len(compared)} cases: " + ("met." if met == len(compared) else
                                                                          "**not met**."),
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
