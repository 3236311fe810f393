"""TreeSHAP: glassbox against shap's TreeExplainer, side by side in one run.

For each model and value function (path-dependent, and interventional against 100
background rows) both libraries explain the same rows from scratch: glassbox's time
includes converting the trees and building its lookup tables, shap's includes building
its TreeExplainer. Runs alternate between the two libraries; the table reports medians.

Besides speed, each row reports the largest difference between the two libraries'
values and, for each library, the largest additivity error (base value plus values
minus the model output).

Two parts. ``synthetic``: forests and boosting on generated regression data (1,000 and
10,000 rows). ``forests``: the forests people train, on every classification data set
of the ``bench`` list (categories as their codes, missing values as NaN): scikit-learn's
``RandomForestClassifier(100)`` at its default depth and at depth 8, 200 rows explained,
path-dependent and interventional against 100 training rows. Each part writes its table.

Usage::

    .venv/bin/python benchmarks/treeshap.py                    # synthetic, about 5 minutes
    .venv/bin/python benchmarks/treeshap.py --quick            # a smoke run
    .venv/bin/python benchmarks/treeshap.py --full             # adds the forest on 10k rows
    .venv/bin/python benchmarks/treeshap.py --part forests     # about 40 minutes
    .venv/bin/python benchmarks/treeshap.py --part forests --depth default --mode interventional --data HI
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread for both libraries

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from glassbox.explainers._treeshap import TreeShap  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _data import DATASETS, load, split  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "treeshap.md"
FOREST_RESULTS = Path(__file__).parent / "results" / "treeshap_forests.md"


def data(n_rows):
    """20 informative features; the target is standardised, so outputs are O(1)."""
    X, y = make_regression(n_samples=5000 + n_rows, n_features=20, n_informative=20, noise=1.0, random_state=0)
    return X[:5000], y[:5000] / y.std(), X[5000:]


def run_glassbox(model, rows, background):
    start = time.perf_counter()
    explainer = TreeShap(model, background=background, expected_rows=len(rows))
    values, base = explainer.explain(rows)
    return time.perf_counter() - start, values, base


def run_shap(model, rows, background):
    start = time.perf_counter()
    if background is None:
        explainer = shap.TreeExplainer(model)
    else:
        explainer = shap.TreeExplainer(model, data=background, feature_perturbation="interventional")
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):  # no progress bar
        warnings.simplefilter("ignore")
        values = explainer.shap_values(rows, check_additivity=False)
    elapsed = time.perf_counter() - start
    values = np.asarray(values).reshape(len(rows), rows.shape[1], -1)
    base = np.broadcast_to(np.ravel(explainer.expected_value), (len(rows), values.shape[2]))
    return elapsed, values, base


def additivity_error(model, rows, values, base):
    output = model.predict_proba(rows) if hasattr(model, "predict_proba") else model.predict(rows)
    output = np.asarray(output, dtype=float).reshape(len(rows), -1)
    return float(np.abs(base + values.sum(axis=1) - output).max())


def forest_data(name):
    """A classification data set of the list as floats: categories as codes, NaN kept."""
    spec = DATASETS[name]
    X, y = load(name)
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            codes = X[column].astype("category").cat.codes.astype(float)
            X[column] = codes.where(codes >= 0)
    X_train, X_test, y_train, _ = split(X, y, spec.task)
    return X_train.to_numpy(float), y_train.to_numpy(), X_test.to_numpy(float)


def compare(label, model, rows, background, repeats):
    times = {"glassbox": [], "shap": []}
    cpu = {"glassbox": [], "shap": []}  # CPU time of this process: robust to other jobs' load
    load = [os.getloadavg()[0]]
    for _ in range(repeats):  # alternate the libraries
        start = time.process_time()
        t, ours, our_base = run_glassbox(model, rows, background)
        cpu["glassbox"].append(time.process_time() - start)
        times["glassbox"].append(t)
        start = time.process_time()
        t, theirs, their_base = run_shap(model, rows, background)
        cpu["shap"].append(time.process_time() - start)
        times["shap"].append(t)
        load.append(os.getloadavg()[0])
    ours_t, shap_t = np.median(times["glassbox"]), np.median(times["shap"])
    ratios = np.divide(times["shap"], times["glassbox"])
    row = {
        "case": label,
        "rows": len(rows),
        "runs": repeats,
        "glassbox rows/s": len(rows) / ours_t,
        "shap rows/s": len(rows) / shap_t,
        "ratio": shap_t / ours_t,
        "ratio range": (ratios.min(), ratios.max()),
        "cpu ratio": float(np.median(cpu["shap"]) / np.median(cpu["glassbox"])),
        "load": (min(load), max(load)),
        "max |glassbox - shap|": float(np.abs(ours - theirs).max()),
        "additivity glassbox": additivity_error(model, rows, ours, our_base),
        "additivity shap": additivity_error(model, rows, theirs, their_base),
    }
    print(
        f"{label:<44} {len(rows):>6} rows  glassbox {row['glassbox rows/s']:>9.0f}/s  shap "
        f"{row['shap rows/s']:>9.0f}/s  ratio {row['ratio']:6.2f}  CPU ratio {row['cpu ratio']:6.2f}  "
        f"load {row['load'][0]:.1f}-{row['load'][1]:.1f}  diff {row['max |glassbox - shap|']:.1e}  "
        f"additivity {row['additivity glassbox']:.1e} / {row['additivity shap']:.1e}",
        flush=True,
    )
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows, one repeat")
    parser.add_argument("--full", action="store_true", help="also the forest on 10k rows")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--part", choices=["synthetic", "forests"], default="synthetic")
    parser.add_argument("--data", nargs="+", default=None,
                        help="forests: only these data sets (the table is then printed, not written)")
    parser.add_argument("--depth", choices=["default", "8"], default=None,
                        help="forests: only this depth (the table is then printed, not written)")
    parser.add_argument("--mode", choices=["path-dependent", "interventional"], default=None,
                        help="forests: only this value function (the table is then printed, not written)")
    parser.add_argument("--merge", action="store_true",
                        help="forests, with --data/--depth/--mode: replace those cases' rows in the written table")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    if args.part == "forests":
        return forests(repeats, args)
    small, large = (300, 2000) if args.quick else (1000, 10000)
    X, y, rows = data(large)
    background = X[:100]

    forest = RandomForestRegressor(n_estimators=100, max_depth=8, random_state=0, n_jobs=1).fit(X, y)
    boosting = GradientBoostingRegressor(random_state=0).fit(X, y)
    histogram = HistGradientBoostingRegressor(random_state=0).fit(X, y)
    deep_forest = RandomForestRegressor(n_estimators=20, random_state=0, n_jobs=1).fit(X, y)

    cases = [
        ("RandomForest(100, depth 8), path-dependent", forest, small, None),
        ("RandomForest(100, depth 8), interventional", forest, small, background),
        ("GradientBoosting(100, depth 3), path-dependent", boosting, small, None),
        ("GradientBoosting(100, depth 3), path-dependent", boosting, large, None),
        ("GradientBoosting(100, depth 3), interventional", boosting, small, background),
        ("HistGradientBoosting(100, 31 leaves), path-dependent", histogram, small, None),
        ("HistGradientBoosting(100, 31 leaves), path-dependent", histogram, large, None),
        ("HistGradientBoosting(100, 31 leaves), interventional", histogram, small, background),
        ("RandomForest(20, unlimited depth), path-dependent", deep_forest, small // 5, None),
        ("RandomForest(20, unlimited depth), interventional", deep_forest, small // 5, background),
    ]
    if args.full:
        cases[2:2] = [
            ("RandomForest(100, depth 8), path-dependent", forest, large, None),
            ("RandomForest(100, depth 8), interventional", forest, large, background),
        ]
    # shap takes minutes on the forest with 10k rows: one run of those.
    results = [
        compare(label, model, rows[:n], bg, 1 if model is forest and n == large else repeats)
        for label, model, n, bg in cases
    ]
    write(results, repeats, args)


def forests(repeats, args):
    names = [n for n, spec in DATASETS.items() if spec.use == "bench" and spec.task != "regression"]
    selected = args.data is not None or args.depth is not None or args.mode is not None
    if args.data is not None:
        unknown = sorted(set(args.data) - set(names))
        if unknown:
            raise SystemExit(f"--data: unknown data sets {unknown}; expected some of {names}")
        names = [n for n in names if n in args.data]
    depths = {None: (None, 8), "default": (None,), "8": (8,)}[args.depth]
    modes = ("path-dependent", "interventional") if args.mode is None else (args.mode,)
    n_rows = 50 if args.quick else 200
    results = []
    for name in names:
        X, y, rows = forest_data(name)
        rows, background = rows[:n_rows], X[:100]
        for depth in depths:
            model = RandomForestClassifier(n_estimators=100, max_depth=depth, random_state=0, n_jobs=1).fit(X, y)
            trees = model.estimators_
            shape = (
                f"depth {np.median([t.get_depth() for t in trees]):.0f} "
                f"(max {max(t.get_depth() for t in trees)}), "
                f"{np.median([t.get_n_leaves() for t in trees]):.0f} leaves"
            )
            for mode, bg in (("path-dependent", None), ("interventional", background)):
                if mode not in modes:
                    continue
                label = f"{name} ({X.shape[0]:,} x {X.shape[1]}), {'default depth' if depth is None else 'depth 8'}"
                row = compare(f"{label}, {mode}", model, rows, bg, repeats)
                row.update(data=name, depth=depth, mode=mode, shape=shape)
                results.append(row)
        if not selected:
            write_forests(results, args)  # after each data set: a long run stopped early keeps its rows
    if selected and args.merge:
        write_forests(merged_rows(results), args, rerun=sys.argv[1:])


def merged_rows(results):
    """The written table's rows, those of the cases in ``results`` replaced by them."""
    rows = []
    for line in FOREST_RESULTS.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != 13 or cells[0] == "data":
            continue
        depth, shape = cells[1].split(": ", 1)
        low, high = (float(v) for v in cells[7].split("-"))
        load = tuple(float(v) for v in cells[9].split("-"))
        rows.append({
            "data": cells[0], "depth": None if depth == "default depth" else 8, "shape": shape, "mode": cells[2],
            "runs": int(cells[3]), "glassbox rows/s": float(cells[4].replace(",", "")),
            "shap rows/s": float(cells[5].replace(",", "")), "ratio": float(cells[6].rstrip("x")),
            "ratio range": (low, high), "cpu ratio": float(cells[8].rstrip("x")), "load": load,
            "max |glassbox - shap|": float(cells[10]), "additivity glassbox": float(cells[11]),
            "additivity shap": float(cells[12]),
        })
    new = {(r["data"], r["depth"], r["mode"]): r for r in results}
    merged = [new.pop((r["data"], r["depth"], r["mode"]), r) for r in rows]
    return merged + list(new.values())


def write_forests(results, args, rerun=None):
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/treeshap.py --part forests" + (
        " --quick" if args.quick else ""
    ) + (f" --repeats {args.repeats}" if args.repeats else "")
    if rerun is not None:  # a previous run's table with some cases re-run: say which
        previous = FOREST_RESULTS.read_text().splitlines()[2]
        command = f"{previous.removeprefix('Command: ')}; re-run since: `.venv/bin/python benchmarks/treeshap.py {' '.join(rerun)}`"
        command = command.strip("`")
    lines = [
        "# TreeSHAP on the forests people train: glassbox vs shap's TreeExplainer",
        "",
        f"Command: `{command}`",
        "",
        *machine(),
        "",
        "Data: every classification data set of the `bench` list (`benchmarks/_data.py`), categories as "
        "their codes, missing values as NaN (credit_data, TitanicSurvival), at most 10,000 training rows. "
        "`RandomForestClassifier(n_estimators=100)` at scikit-learn's default depth (no `max_depth`) and at "
        "`max_depth=8`; the first 200 held-out rows explained; interventional values against the first 100 "
        "training rows. Times include building each explainer. Speed-up: shap's median time over "
        "glassbox's; its range is over the paired runs. CPU speed-up: the same with the CPU time of "
        "the benchmark's process (both libraries run in it on one thread), which other jobs' load "
        "disturbs less than wall-clock time; load: the machine's 1-minute load average during the "
        "case (2 cores).",
        "",
        "| data | trees | mode | runs | glassbox rows/s | shap rows/s | speed-up | range | CPU speed-up | load | "
        "max abs difference | additivity error glassbox | additivity error shap |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        low, high = r["ratio range"]
        lines.append(
            f"| {r['data']} | {'default depth' if r['depth'] is None else 'depth 8'}: {r['shape']} | {r['mode']} | "
            f"{r['runs']} | {r['glassbox rows/s']:,.1f} | {r['shap rows/s']:,.1f} | {r['ratio']:.2f}x | "
            f"{low:.2f}-{high:.2f} | {r['cpu ratio']:.2f}x | {r['load'][0]:.1f}-{r['load'][1]:.1f} | "
            f"{r['max |glassbox - shap|']:.1e} | {r['additivity glassbox']:.1e} | "
            f"{r['additivity shap']:.1e} |"
        )

    def verdict(ratios, goal):
        ratios = np.asarray(ratios)
        met = int((ratios >= goal).sum())
        return (
            f"median {np.median(ratios):.2f}x, slowest {ratios.min():.2f}x; {met} of {len(ratios)} cases "
            f"at or above {goal}x: " + ("met" if met == len(ratios) else "**not met**")
        )

    lines += ["", "## Goals (issue #14)", ""]
    for mode in ("path-dependent", "interventional"):
        for key, clock in (("ratio", "wall-clock"), ("cpu ratio", "CPU time")):
            deep = [r[key] for r in results if r["depth"] is None and r["mode"] == mode]
            lines.append(f"- Default depth, {mode}, at least 3x shap ({clock}): {verdict(deep, 3)}.")
    for key, clock in (("ratio", "wall-clock"), ("cpu ratio", "CPU time")):
        shallow = [r[key] for r in results if r["depth"] == 8]
        lines.append(f"- Depth 8, both modes, at least 10x shap ({clock}): {verdict(shallow, 10)}.")
    agreement = max(r["max |glassbox - shap|"] for r in results)
    additivity = max(r["additivity glassbox"] for r in results)
    lines.append(
        f"- Largest difference from shap {agreement:.1e}; largest additivity error of glassbox {additivity:.1e}."
    )
    FOREST_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    FOREST_RESULTS.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {FOREST_RESULTS}", file=sys.stderr)


def machine():
    return [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), one thread; Python "
        f"{platform.python_version()}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"shap {shap.__version__}. Median of alternating runs (column `runs`), wall-clock time, "
        "on a machine shared with other jobs."
    ]


def write(results, repeats, args):
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/treeshap.py" + "".join(
        f" --{name}" for name in ("quick", "full") if getattr(args, name)
    ) + (f" --repeats {args.repeats}" if args.repeats else "")
    lines = [
        "# TreeSHAP: glassbox vs shap's TreeExplainer",
        "",
        f"Command: `{command}`",
        "",
        *machine(),
        "",
        "Data: `make_regression` with 20 informative features, 5,000 training rows, target "
        "standardised; the rows explained are new rows. Interventional values use 100 "
        "background rows. Times include everything the user waits for: glassbox converts "
        "the trees and builds its lookup tables, shap builds its TreeExplainer. CPU speed-up: "
        "shap's median CPU time of the benchmark's process over glassbox's (both run in it on one "
        "thread), which other jobs' load disturbs less than wall-clock time; load: the machine's "
        "1-minute load average during the case (2 cores).",
        "",
        "| case | rows | runs | glassbox rows/s | shap rows/s | speed-up | CPU speed-up | load | "
        "max abs difference | additivity error glassbox | additivity error shap |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r['runs']} | {r['glassbox rows/s']:,.0f} | {r['shap rows/s']:,.0f} | "
            f"{r['ratio']:.1f}x | {r['cpu ratio']:.1f}x | {r['load'][0]:.1f}-{r['load'][1]:.1f} | "
            f"{r['max |glassbox - shap|']:.1e} | {r['additivity glassbox']:.1e} | {r['additivity shap']:.1e} |"
        )
    lines += ["", "## Goals", ""]
    lines += goals(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {RESULTS}", file=sys.stderr)


def goals(results):
    def worst(prefix, key, how):
        values = [r[key] for r in results if r["case"].startswith(prefix)]
        return how(values) if values else float("nan")

    forest, forest_cpu = worst("RandomForest(100", "ratio", min), worst("RandomForest(100", "cpu ratio", min)
    boosting, boosting_cpu = worst("GradientBoosting", "ratio", min), worst("GradientBoosting", "cpu ratio", min)
    histogram = worst("HistGradientBoosting", "ratio", min)
    histogram_cpu = worst("HistGradientBoosting", "cpu ratio", min)
    exact = [r for r in results if not r["case"].startswith("HistGradientBoosting(100, 31 leaves), interventional")]
    agreement = max(r["max |glassbox - shap|"] for r in exact)
    additivity = max(r["additivity glassbox"] for r in results)

    def verdict(ok):
        return "met" if ok else "**not met**"

    return [
        f"- At least 10x shap on the depth-8 forest (issue #14): slowest case {forest:.1f}x, {verdict(forest >= 10)}; "
        f"in CPU time {forest_cpu:.1f}x, {verdict(forest_cpu >= 10)}.",
        f"- At least 5x shap on GradientBoosting and HistGradientBoosting (issue #14): slowest cases {boosting:.1f}x "
        f"and {histogram:.1f}x, {verdict(min(boosting, histogram) >= 5)}; in CPU time {boosting_cpu:.1f}x and "
        f"{histogram_cpu:.1f}x, {verdict(min(boosting_cpu, histogram_cpu) >= 5)}.",
        f"- Values equal to shap's to 1e-6: largest difference {agreement:.1e}, {verdict(agreement <= 1e-6)} "
        "(HistGradientBoosting interventional excluded, see below).",
        f"- glassbox's values add up to the model output: largest error {additivity:.1e}.",
        "",
        "shap's interventional values of HistGradientBoosting models do not add up to the model's "
        "predictions (last column), so they cannot be a reference there; glassbox's agree with a "
        "brute-force enumeration of coalitions in `tests/explainers/test_treeshap.py`.",
        "",
        "Forests of unlimited depth have leaves with too many distinct features on their path for "
        "lookup tables; those go through the formulas without tables (a Linear TreeSHAP pass for "
        "path-dependent values, compatible pairs of rows for interventional ones); the forests people "
        "train are measured in `treeshap_forests.md` (`--part forests`).",
    ]


if __name__ == "__main__":
    main()
