"""Sums of trees and shrunk trees against imodels' FIGS and HSTree and scikit-learn's CART.

Every data set of the project's list with a target of the ``tests`` and ``bench`` uses
(binary, multiclass and regression), at most 10,000 training rows, the rest held out
(``_data.split``, seed 0). At each budget of ``s`` splits (4, 8, 16, 32):

- sums of trees: glassbox's ``TreeSumClassifier`` / ``TreeSumRegressor(max_splits=s)``
  with its defaults and with ``shrinkage="cv"``, against imodels'
  ``FIGSClassifier`` / ``FIGSRegressor(max_rules=s)`` (multiclass too: imodels fits one
  tree structure for every class, on the one-hot target);
- single trees: glassbox's ``TreeClassifier`` / ``TreeRegressor(max_leaf_nodes=s + 1)``
  without and with ``shrinkage="cv"``, against scikit-learn's CART and imodels'
  ``HSTreeClassifierCV`` / ``HSTreeRegressorCV`` (the same CART, shrunk with the
  ``reg_param`` of its grid that cross-validates best).

glassbox reads the raw table (categories as strings, missing values as NaN). The peers
get one-hot categories (missing as a level); CART and HSTree keep numeric missing values
(scikit-learn's trees route them), FIGS gets them median-imputed since it takes none.
Scores: ROC AUC (one-vs-rest, macro, for three classes) and log-loss for classifiers, R²
for regressors, on the held-out rows. Fit times include each model's encoding and are
medians of alternating repeats on one thread; complexity is the splits a reader reads.
Peak memory (tracemalloc) of one fit at 32 splits, and fit time on 1k to 100k synthetic
rows, close the report.

Run:  .venv/bin/python benchmarks/models_treesum.py          (full, about half an hour)
      .venv/bin/python benchmarks/models_treesum.py --quick  (four data sets subsampled to
                                                              1,500 rows, budgets 4 and 16, one repeat)
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import scores  # noqa: E402
from _data import DATASETS, load, split  # noqa: E402

from glassbox._core import QuantileBinner  # noqa: E402
from glassbox.models import TreeClassifier, TreeRegressor, TreeSumClassifier, TreeSumRegressor  # noqa: E402

warnings.filterwarnings("ignore")
RESULTS = Path(__file__).parent / "results" / "models_treesum.md"
BUDGETS = (4, 8, 16, 32)
QUICK_SETS = ("breast_cancer", "credit_data", "penguins", "diabetes")
GOAL_SPEEDUP = 5.0
TIE = 1e-9  # score differences below this are rounding: the same model
SUMS = ("TreeSum", "TreeSum cv", "FIGS")
TREES = ("Tree", "Tree cv", "CART", "HSTree cv")


# -- data and encodings ---------------------------------------------------------------
def datasets(quick):
    for spec in DATASETS.values():
        if spec.use not in ("tests", "bench") or (quick and spec.name not in QUICK_SETS):
            continue
        X, y = load(spec.name)
        if quick and len(X) > 1500:
            keep = np.random.default_rng(0).choice(len(X), 1500, replace=False)
            X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
        yield spec, split(X, y, spec.task)


def one_hot(numeric):
    """One-hot categories (missing as a level); numbers through ``numeric``."""
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [("num", numeric, make_column_selector(dtype_include="number")),
         ("cat", categorical, make_column_selector(dtype_exclude="number"))],
        sparse_threshold=0,
    )


def make_model(name, task, splits):
    from imodels import FIGSClassifier, FIGSRegressor, HSTreeClassifierCV, HSTreeRegressorCV

    classify = task != "regression"
    if name == "TreeSum":
        return (TreeSumClassifier if classify else TreeSumRegressor)(max_splits=splits, random_state=0)
    if name == "TreeSum cv":
        return (TreeSumClassifier if classify else TreeSumRegressor)(max_splits=splits, shrinkage="cv", random_state=0)
    if name == "FIGS":
        figs = FIGSClassifier if classify else FIGSRegressor
        return make_pipeline(one_hot(SimpleImputer(strategy="median")), figs(max_rules=splits, random_state=0))
    if name in ("Tree", "Tree cv"):
        shrinkage = "cv" if name == "Tree cv" else None
        return (TreeClassifier if classify else TreeRegressor)(
            max_leaf_nodes=splits + 1, shrinkage=shrinkage, random_state=0
        )
    cart = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(max_leaf_nodes=splits + 1, random_state=0)
    if name == "CART":
        return make_pipeline(one_hot("passthrough"), cart)
    hstree = HSTreeClassifierCV if classify else HSTreeRegressorCV
    return make_pipeline(one_hot("passthrough"), hstree(cart, max_leaf_nodes=splits + 1))


def splits_of(model):
    last = model[-1] if hasattr(model, "steps") else model
    if hasattr(last, "estimator_"):  # HSTree: its CART
        last = last.estimator_
    if hasattr(last, "tree_"):
        return int((last.tree_.children_left >= 0).sum())
    return int(last.complexity_)


def trees_of(model):
    last = model[-1] if hasattr(model, "steps") else model
    return len(last.trees_) if hasattr(last, "trees_") else 1


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


# -- runs ---------------------------------------------------------------------------
def floor_seconds(X_train, repeats):
    """The floor of a fit: validating, encoding and binning the table (QuantileBinner with
    TreeSum's automatic bin count), work any fit of TreeSum does before growing."""
    max_bins = int(np.clip(len(X_train) // 8, 16, 255))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        QuantileBinner(max_bins=max_bins).fit(X_train).transform(X_train)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_family(names, spec, data, budgets, repeats):
    X_train, X_test, y_train, y_test = data
    floor = floor_seconds(X_train, repeats) if "TreeSum" in names else np.nan
    rows = []
    for splits in budgets:
        times = {name: [] for name in names}
        fitted = {}
        for _ in range(repeats):  # alternate the models
            for name in names:
                fitted[name], seconds = timed_fit(make_model(name, spec.task, splits), X_train, y_train)
                times[name].append(seconds)
        row = {"data set": spec.name, "task": spec.task, "n_train": len(X_train), "budget": splits, "floor s": floor}
        for name in names:
            row[f"score {name}"], row[f"log-loss {name}"] = scores(spec.task, fitted[name], X_test, y_test)
            row[f"splits {name}"] = splits_of(fitted[name])
            row[f"trees {name}"] = trees_of(fitted[name])
            row[f"fit s {name}"] = float(np.median(times[name]))
            row[f"fit spread {name}"] = float(np.max(times[name]) - np.min(times[name]))
        rows.append(row)
        print(
            f"{spec.name:>16} s={splits:<3} "
            + " ".join(f"{n}={row[f'score {n}']:.4f}/{row[f'fit s {n}']:.2f}s" for n in names),
            flush=True,
        )
    return rows


def peak_memory(spec, data, name, splits):
    X_train, _, y_train, _ = data
    model = make_model(name, spec.task, splits)
    tracemalloc.start()
    model.fit(X_train, y_train)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def scaling(quick, repeats):
    rows = []
    for n in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        X, y = make_classification(n, 20, n_informative=8, n_redundant=4, flip_y=0.05, random_state=0)
        X = pd.DataFrame(X, columns=[f"x{j}" for j in range(20)])
        times = {"TreeSum": [], "FIGS": []}
        for _ in range(1 if n >= 100_000 else repeats):
            for name in times:
                times[name].append(timed_fit(make_model(name, "binary", 16), X, y)[1])
        rows.append({"rows": n, "fit s TreeSum": np.median(times["TreeSum"]), "fit s FIGS": np.median(times["FIGS"])})
        print(f"scaling n={n}: {rows[-1]}", flush=True)
    return pd.DataFrame(rows)


# -- report -------------------------------------------------------------------------
def markdown(frame, columns, formats):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            value = row[c]
            fmt = next((f for prefix, f in formats if c.startswith(prefix)), None)
            if isinstance(value, float) and np.isnan(value):
                cells.append("")
            elif fmt is not None and isinstance(value, (float, np.floating)):
                cells.append(format(value, fmt))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


FORMATS = [("score", ".4f"), ("log-loss", ".3f"), ("fit s", ".3f"), ("floor s", ".3f"), ("speed-up", ".1f"),
           ("x floor", ".1f"), ("Δ", "+.4f"), ("peak MB", ".1f")]


def sums_table(frame):
    frame = frame.copy()
    frame["Δ score vs FIGS"] = frame["score TreeSum"] - frame["score FIGS"]
    frame["Δ score cv vs FIGS"] = frame["score TreeSum cv"] - frame["score FIGS"]
    frame["speed-up vs FIGS"] = frame["fit s FIGS"] / frame["fit s TreeSum"]
    frame["x floor"] = frame["fit s TreeSum"] / frame["floor s"]
    columns = ["data set", "task", "n_train", "budget", "score TreeSum", "score TreeSum cv", "score FIGS",
               "Δ score vs FIGS", "Δ score cv vs FIGS", "log-loss TreeSum", "log-loss FIGS", "splits TreeSum",
               "splits FIGS", "trees TreeSum", "trees FIGS", "fit s TreeSum", "fit s TreeSum cv", "fit s FIGS",
               "speed-up vs FIGS", "floor s", "x floor"]
    return frame, markdown(frame, columns, FORMATS)


def trees_table(frame):
    frame = frame.copy()
    frame["Δ cv vs HSTree cv"] = frame["score Tree cv"] - frame["score HSTree cv"]
    frame["Δ cv vs Tree"] = frame["score Tree cv"] - frame["score Tree"]
    frame["Δ Tree vs CART"] = frame["score Tree"] - frame["score CART"]
    columns = ["data set", "task", "budget", "score Tree", "score Tree cv", "score CART", "score HSTree cv",
               "Δ cv vs Tree", "Δ cv vs HSTree cv", "Δ Tree vs CART", "log-loss Tree", "log-loss Tree cv",
               "log-loss CART", "log-loss HSTree cv", "splits Tree", "splits Tree cv", "splits HSTree cv",
               "fit s Tree", "fit s Tree cv", "fit s CART", "fit s HSTree cv"]
    return frame, markdown(frame, columns, FORMATS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="four data sets subsampled, budgets 4 and 16, one repeat")
    args = parser.parse_args(argv)
    budgets = (4, 16) if args.quick else BUDGETS
    repeats = 1 if args.quick else 3
    sums, trees, memory = [], [], []
    for spec, data in datasets(args.quick):
        sums += run_family(SUMS, spec, data, budgets, repeats)
        trees += run_family(TREES, spec, data, budgets, repeats)
        memory.append({"data set": spec.name, **{f"peak MB {name}": peak_memory(spec, data, name, max(budgets))
                                                  for name in ("TreeSum", "FIGS")}})
    sums, sums_md = sums_table(pd.DataFrame(sums))
    trees, trees_md = trees_table(pd.DataFrame(trees))
    memory = pd.DataFrame(memory)
    scale = scaling(args.quick, repeats)
    scale["speed-up vs FIGS"] = scale["fit s FIGS"] / scale["fit s TreeSum"]

    n = len(sums)
    at_least = int((sums["Δ score vs FIGS"] >= -TIE).sum())
    ties = int((sums["Δ score vs FIGS"].abs() < TIE).sum())
    figs_short = sums[sums["splits FIGS"] < sums["budget"]]
    within = int((sums["Δ score vs FIGS"] >= -0.005).sum())
    fast = int((sums["speed-up vs FIGS"] >= GOAL_SPEEDUP).sum())
    worst = sums.loc[sums["Δ score vs FIGS"].idxmin()]
    slowest = sums.loc[sums["speed-up vs FIGS"].idxmin()]
    classified = sums[sums["task"] != "regression"]
    better_log_loss = int((classified["log-loss TreeSum"] < classified["log-loss FIGS"]).sum())
    shrink_gain = int((trees["Δ cv vs Tree"] >= -TIE).sum())
    vs_hstree = int((trees["Δ cv vs HSTree cv"] >= -0.005).sum())
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/models_treesum.py" + (" --quick" if args.quick else "")
    text = "\n".join([
        "# Sums of trees and shrunk trees vs imodels FIGS, HSTree and scikit-learn CART",
        "",
        f"Produced by `{command}` ({'quick' if args.quick else 'full'} run; Python {sys.version.split()[0]}, "
        f"one thread, {repeats} alternating repeat{'s' if repeats > 1 else ''}, medians).",
        "",
        "Each data set: at most 10,000 training rows, the rest held out (seed 0). glassbox reads the raw "
        "table; CART and HSTree get one-hot categories with numeric missing values left to scikit-learn, "
        "FIGS one-hot categories and median-imputed numbers. Score: ROC AUC (macro one-vs-rest for three "
        "classes) for classifiers, R² for regressors; log-loss on clipped probabilities (FIGS: the softmax of "
        "its summed class means, as its predict_proba gives them). Fit times include each model's encoding.",
        "",
        "## Sums of trees: TreeSum vs FIGS at equal split budgets",
        "",
        f"Goals: score at least FIGS's at every budget on every data set; fit at least {GOAL_SPEEDUP:.0f}x faster. "
        f"Met: score >= FIGS in {at_least} of {n} cells ({ties} of them equal to rounding: the same trees; "
        f"within 0.005 in {within}); "
        f"{GOAL_SPEEDUP:.0f}x faster in {fast} of {n} cells (median speed-up "
        f"{sums['speed-up vs FIGS'].median():.1f}x). Worst score gap {worst['Δ score vs FIGS']:+.4f} "
        f"({worst['data set']}, {worst['budget']} splits); slowest relative fit "
        f"{slowest['speed-up vs FIGS']:.1f}x ({slowest['data set']}, {slowest['budget']} splits). "
        f"Lower log-loss than FIGS in {better_log_loss} of {len(classified)} classification cells. "
        f"FIGS stopped before its budget in {len(figs_short)} cells ({', '.join(sorted(set(figs_short['data set'])))}): "
        "its time there is for fewer splits. `floor s` is the time to validate, encode and bin the table "
        "(QuantileBinner), which every fit does before growing; `x floor` the fit time over it.",
        "",
        sums_md,
        "",
        "## Single trees: hierarchical shrinkage vs CART and imodels HSTree at equal leaves",
        "",
        f"`Tree cv` (shrinkage chosen by 5-fold CV) scores at least as well as the unshrunk tree in "
        f"{shrink_gain} of {len(trees)} cells and within 0.005 of HSTreeCV in {vs_hstree} of {len(trees)} "
        f"(median Δ vs Tree {trees['Δ cv vs Tree'].median():+.4f}, vs HSTreeCV "
        f"{trees['Δ cv vs HSTree cv'].median():+.4f}). The same CART and the same lambda give HSTree's "
        "probabilities exactly (tests/models/test_shrinkage.py); the two CVs differ in folds (5 shuffled, "
        "stratified vs 3 in order) and in the grid.",
        "",
        trees_md,
        "",
        f"## Peak memory of one fit at {max(budgets)} splits (tracemalloc)",
        "",
        markdown(memory, list(memory.columns), FORMATS),
        "",
        "## Fit time against rows (synthetic, 20 features, 16 splits)",
        "",
        markdown(scale, list(scale.columns), FORMATS),
        "",
    ])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
