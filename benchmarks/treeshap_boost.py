"""TreeSHAP on XGBoost, LightGBM and CatBoost models: glassbox against shap, side by side.

Speed: on one synthetic table (``make_regression``, 20 features, 5,000 training rows;
and a three-class version), each library's model is explained by glassbox and by shap's
TreeExplainer, runs alternating between the two, from scratch each time (glassbox reads
the model and builds its tables, shap builds its explainer). shap's path-dependent
values are each library's own TreeSHAP (``pred_contribs``, ``pred_contrib``,
``ShapValues``), compiled code; its interventional values are shap's own algorithm.
The floor is the library's own raw prediction of the same rows (one pass over the
trees). Peak memory is glassbox's (tracemalloc, in an untimed run of its own: its arrays are numpy's); shap's and the
libraries' compiled allocations are not seen by tracemalloc and are not reported.

Agreement: on every ``tests`` and ``bench`` data set of the project's data list, each
library fits a model of 50 trees on at most 5,000 rows, once with categories as codes
(numeric splits) and, for XGBoost and LightGBM, once with native categorical splits;
glassbox's values are compared with shap's (largest gap relative to the largest value)
and their sums with the library's raw output.

Usage::

    .venv/bin/python benchmarks/treeshap_boost.py            # about 10 minutes
    .venv/bin/python benchmarks/treeshap_boost.py --quick    # a smoke run
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one thread everywhere

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import catboost  # noqa: E402
import lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
import xgboost  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _data import DATASETS, load, split  # noqa: E402
from treeshap import run_shap  # noqa: E402

from glassbox.explainers import ShapleyExplainer  # noqa: E402
from glassbox.explainers._treeshap import TreeShap  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "treeshap_boost.md"
ROWS = RESULTS.with_suffix(".json")  # the measured rows of both parts, so that one part can be rerun
LIBRARIES = ("xgboost", "lightgbm", "catboost")


def make_model(library, classifier, n_trees, categorical=False):
    if library == "xgboost":
        cls = xgboost.XGBClassifier if classifier else xgboost.XGBRegressor
        return cls(n_estimators=n_trees, max_depth=6, n_jobs=1, enable_categorical=categorical, random_state=0)
    if library == "lightgbm":
        cls = lightgbm.LGBMClassifier if classifier else lightgbm.LGBMRegressor
        return cls(n_estimators=n_trees, num_leaves=31, n_jobs=1, verbose=-1, random_state=0)
    cls = catboost.CatBoostClassifier if classifier else catboost.CatBoostRegressor
    return cls(iterations=n_trees, depth=6, thread_count=1, verbose=0, random_seed=0, allow_writing_files=False)


def raw(model, X):
    library = type(model).__module__.split(".")[0]
    kwargs = {"xgboost": {"output_margin": True}, "lightgbm": {"raw_score": True}}
    out = model.predict(X, **kwargs.get(library, {"prediction_type": "RawFormulaVal"}))
    return np.asarray(out, np.float64).reshape(len(X), -1)


def run_glassbox(model, rows, background):
    start = time.perf_counter()
    explainer = TreeShap(model, background=background, expected_rows=len(rows))
    values, base = explainer.explain(rows)
    return time.perf_counter() - start, values, base


def glassbox_peak(model, rows, background):
    """Peak of glassbox's numpy arrays, in a run of its own: tracemalloc slows every allocation."""
    tracemalloc.start()
    TreeShap(model, background=background, expected_rows=len(rows)).explain(rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def explain_frame(model, rows, background):
    """ShapleyExplainer's tree method on a DataFrame (categories as themselves)."""
    perturbation = "tree_path_dependent" if background is None else "interventional"
    data = rows if background is None else background
    explainer = ShapleyExplainer(model, method="tree", feature_perturbation=perturbation, background=len(data))
    explanation = explainer.fit(data).explain(rows)
    values = np.asarray(explanation.values, np.float64).reshape(len(rows), rows.shape[1], -1)
    return values, np.asarray(explanation.base_values, np.float64).reshape(len(rows), -1)


def relative_gap(ours, theirs):
    """Largest |glassbox - shap| over the largest |shap| of the same output."""
    theirs = np.asarray(theirs, np.float64).reshape(ours.shape)
    scale = np.abs(theirs).reshape(-1, ours.shape[-1]).max(axis=0)
    return float((np.abs(ours - theirs) / np.maximum(scale, 1e-300)).max())


def additivity(model, rows, values, base):
    out = raw(model, rows)
    return float((np.abs(base + values.sum(axis=1) - out) / np.maximum(np.abs(out).max(axis=0), 1e-300)).max())


# -- speed ------------------------------------------------------------------------------
def speed_case(label, model, rows, background, repeats):
    times = {"glassbox": [], "shap": [], "floor": []}
    cpu = {"glassbox": [], "shap": []}  # CPU time of the process, all its threads
    load = [os.getloadavg()[0]]
    for _ in range(repeats):  # alternate
        start = time.process_time()
        t, ours, base = run_glassbox(model, rows, background)
        cpu["glassbox"].append(time.process_time() - start)
        times["glassbox"].append(t)
        start = time.process_time()
        t, theirs, _ = run_shap(model, rows, background)
        cpu["shap"].append(time.process_time() - start)
        times["shap"].append(t)
        load.append(os.getloadavg()[0])
        start = time.perf_counter()
        raw(model, rows)
        times["floor"].append(time.perf_counter() - start)
    med = {k: float(np.median(v)) for k, v in times.items()}
    peak = glassbox_peak(model, rows, background)
    row = {
        "case": label,
        "rows": len(rows),
        "runs": repeats,
        "glassbox s": med["glassbox"],
        "glassbox spread": (min(times["glassbox"]), max(times["glassbox"])),
        "shap s": med["shap"],
        "shap spread": (min(times["shap"]), max(times["shap"])),
        "speed-up": med["shap"] / med["glassbox"],
        "cpu speed-up": float(np.median(cpu["shap"]) / np.median(cpu["glassbox"])),
        "load": (min(load), max(load)),
        "floor ratio": med["glassbox"] / med["floor"],
        "peak MiB": peak / 2**20,
        "gap": relative_gap(ours, theirs),
        "additivity": additivity(model, rows, ours, base),
    }
    print(
        f"{label:<48} {len(rows):>6} rows  glassbox {row['glassbox s']:.3f}s  shap {row['shap s']:.3f}s  "
        f"speed-up {row['speed-up']:.2f}  CPU {row['cpu speed-up']:.2f}  load {row['load'][0]:.1f}-{row['load'][1]:.1f}  "
        f"x floor {row['floor ratio']:.0f}  peak {row['peak MiB']:.0f} MiB  "
        f"gap {row['gap']:.1e}  additivity {row['additivity']:.1e}",
        flush=True,
    )
    return row


def speed(quick, repeats, libraries=LIBRARIES):
    n_small, n_large = (300, 2000) if quick else (1000, 10000)
    X, y = make_regression(n_samples=5000 + n_large, n_features=20, n_informative=20, noise=1.0, random_state=0)
    y = y / y.std()
    Xc, yc = make_classification(n_samples=5000 + n_small, n_features=20, n_informative=10, n_classes=3,
                                 random_state=0)  # fmt: skip
    background = X[:100]
    results = []
    for library in libraries:
        model = make_model(library, False, 100).fit(X[:5000], y[:5000])
        multi = make_model(library, True, 100).fit(Xc[:5000], yc[:5000])
        name = {"xgboost": "XGBoost(100, depth 6)", "lightgbm": "LightGBM(100, 31 leaves)",
                "catboost": "CatBoost(100, depth 6)"}[library]  # fmt: skip
        rows = X[5000:]
        results.append(speed_case(f"{name}, path-dependent", model, rows[:n_small], None, repeats))
        results.append(speed_case(f"{name}, path-dependent", model, rows[:n_large], None, repeats))
        results.append(speed_case(f"{name}, interventional", model, rows[:n_small], background, repeats))
        results.append(speed_case(f"{name}, 3 classes, path-dependent", multi, Xc[5000:], None, repeats))
    return results


# -- agreement --------------------------------------------------------------------------
def agreement(quick):
    names = [s.name for s in DATASETS.values() if s.use in ("tests", "bench")]
    if quick:
        names = names[:3]
    results = []
    for name in names:
        spec = DATASETS[name]
        X, y = load(name)
        X_train, X_test, y_train, _ = split(X, y, spec.task, max_train=5000)
        if spec.task != "regression":
            y_train = LabelEncoder().fit_transform(y_train)
        categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        native = X_train.copy()
        for c in categorical:
            native[c] = pd.Categorical(native[c], categories=sorted(X[c].dropna().unique()))
        coded = native.copy()
        for c in categorical:
            coded[c] = coded[c].cat.codes.replace(-1, np.nan).astype(float)
        rows_coded, rows_native = coded.iloc[:200], native.iloc[:200]
        for library in LIBRARIES:
            classifier = spec.task != "regression"
            variants = [("codes", coded, rows_coded)]
            if categorical and library != "catboost":
                variants.append(("native", native, rows_native))
            for variant, train, rows in variants:
                model = make_model(library, classifier, 50, categorical=variant == "native").fit(train, y_train)
                row = {"data": name, "task": spec.task, "library": library, "categories": variant}
                values, base = explain_frame(model, rows, None)
                _, theirs, _ = run_shap(model, rows, None)
                row["pd gap"], row["pd additivity"] = relative_gap(values, theirs), additivity(model, rows, values, base)
                values, base = explain_frame(model, rows[:100], train.iloc[-50:])
                row["int gap"], row["int additivity"] = None, additivity(model, rows[:100], values, base)
                if variant == "codes" and not (library == "catboost" and spec.task == "multiclass"):
                    _, theirs, _ = run_shap(model, rows[:100], train.iloc[-50:])
                    row["int gap"] = relative_gap(values, theirs)
                print(row, flush=True)
                results.append(row)
    return results


def write(speed_rows, agreement_rows, args, repeats):
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/treeshap_boost.py" + (" --quick" if args.quick else "")
    versions = (f"xgboost {xgboost.__version__}, lightgbm {lightgbm.__version__}, catboost {catboost.__version__}, "
                f"shap {shap.__version__}")  # fmt: skip
    lines = [
        "# TreeSHAP on XGBoost, LightGBM and CatBoost: glassbox vs shap's TreeExplainer",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs), one thread everywhere; "
        f"Python {platform.python_version()}, numpy {np.__version__}, {versions}.",
        "",
        "## Speed",
        "",
        f"Median wall-clock seconds of {repeats} alternating runs (spread: fastest-slowest). shap's "
        "path-dependent values are each library's own compiled TreeSHAP; its interventional values "
        "shap's own. Floor: the library's raw prediction of the same rows. Interventional: 100 "
        "background rows. Peak: glassbox's numpy arrays (tracemalloc, in a run of its own: "
        "it slows numpy's allocations, so no timed run has it on).",
        "",
        "CPU speed-up: the same ratio of the process's CPU time (all threads: CatBoost's own "
        "`ShapValues`, which shap calls, runs on every core, 2 here, whatever OMP_NUM_THREADS); load: the "
        "machine's 1-minute load average during the case.",
        "",
        "| case | rows | glassbox s (spread) | shap s (spread) | speed-up | CPU speed-up | load | glassbox / floor "
        "| glassbox peak MiB | gap to shap | additivity |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    def spread(pair):
        return "not recorded" if pair is None else f"{pair[0]:.3f}-{pair[1]:.3f}"

    def cpu(r):
        return f"{r['cpu speed-up']:.2f}x" if "cpu speed-up" in r else "not recorded"

    def load(r):
        return f"{r['load'][0]:.1f}-{r['load'][1]:.1f}" if "load" in r else "not recorded"

    for r in speed_rows:
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r['glassbox s']:.3f} ({spread(r['glassbox spread'])}) | "
            f"{r['shap s']:.3f} ({spread(r['shap spread'])}) | {r['speed-up']:.2f}x | {cpu(r)} | {load(r)} | "
            f"{r['floor ratio']:.0f}x | "
            f"{r['peak MiB']:.0f} | {r['gap']:.1e} | {r['additivity']:.1e} |"
        )

    def fmt(v):
        return "-" if v is None else f"{v:.1e}"

    lines += [
        "",
        "## Agreement on every data set",
        "",
        "50 trees, at most 5,000 training rows; 200 rows explained path-dependently, 100 "
        "interventionally against 50 background rows. Gap: largest |glassbox - shap| over the "
        "largest |shap| of the output. Additivity: largest |base + sum of values - raw output| "
        "over the largest |raw output|. `codes`: categories as numbers; `native`: the library's "
        "categorical splits (shap has no interventional values for them: `-`; glassbox's are "
        "checked against enumeration in the tests). shap cannot read "
        "CatBoost multiclass models interventionally (`-`); glassbox's are checked by brute force "
        "in the tests.",
        "",
        "| data | task | library | categories | path-dependent gap | additivity | interventional gap | additivity |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in agreement_rows:
        lines.append(
            f"| {r['data']} | {r['task']} | {r['library']} | {r['categories']} | {fmt(r['pd gap'])} | "
            f"{fmt(r['pd additivity'])} | {fmt(r['int gap'])} | {fmt(r['int additivity'])} |"
        )
    gaps = [r[k] for r in agreement_rows for k in ("pd gap", "int gap") if r[k] is not None]
    gaps += [r["gap"] for r in speed_rows]
    slowest = min(speed_rows, key=lambda r: r["speed-up"])
    lines += [
        "",
        "## Goals",
        "",
        f"- Equal to shap to 1e-6 relative: largest gap {max(gaps):.1e}, "
        f"{'met' if max(gaps) <= 1e-6 else '**not met**'}.",
        f"- At least as fast as shap: slowest case {slowest['speed-up']:.2f}x ({slowest['case']}, "
        f"{slowest['rows']:,} rows), {'met' if slowest['speed-up'] >= 1 else '**not met**'}.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {RESULTS}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and data sets, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--part", choices=("all", "speed", "agreement"), default="all",
                        help="rerun one part; the other's rows are read from the last run's JSON")  # fmt: skip
    parser.add_argument("--library", choices=LIBRARIES, default=None,
                        help="with --part speed: measure this library's rows only, keep the others'")  # fmt: skip
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    warnings.filterwarnings("ignore")
    rows = json.loads(ROWS.read_text()) if args.part != "all" and ROWS.exists() else {}
    if args.part in ("all", "speed"):
        libraries = LIBRARIES if args.library is None else (args.library,)
        measured = speed(args.quick, repeats, libraries)
        if args.library is not None and "speed" in rows:  # the other libraries' rows are kept
            names = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost"}
            kept = [r for r in rows["speed"] if not r["case"].startswith(names[args.library])]
            rank = {name: i for i, name in enumerate(names.values())}
            measured = sorted(kept + measured, key=lambda r: next(i for n, i in rank.items() if r["case"].startswith(n)))
        rows["speed"], rows["repeats"] = measured, repeats
    if args.part in ("all", "agreement"):
        rows["agreement"] = agreement(args.quick)
    ROWS.write_text(json.dumps(rows, indent=1))
    write(rows["speed"], rows["agreement"], args, rows["repeats"])


if __name__ == "__main__":
    main()
