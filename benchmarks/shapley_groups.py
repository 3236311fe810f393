"""Shapley values of feature groups with the tree method, and Owen values, against their floors and shap.

Groups with TreeSHAP: ``ShapleyExplainer(forest, method="tree", groups=...)`` credits each
split to its column's group, so its cost should be that of ungrouped TreeSHAP (the floor
here: no peer computes the group game on trees). Beside it, what explaining groups of a
forest cost before: the model-agnostic exact method on the same groups. A random forest
of 100 trees of depth 8 on the diabetes data (10 columns in 4 groups and 2 lone columns:
6 players), interventional (100 background rows) and path-dependent.

Owen values: ``ShapleyExplainer(method="exact", groups=<binary tree of dicts>)`` against
shap's ``PartitionExplainer`` with a ``Partition`` masker given the same binary hierarchy
as a linkage matrix (it recurses from the root; with a budget covering every node its
values are the Owen values), on an MLP regressor over the 10 diabetes columns, 20
background rows. The floor is the model on as many rows as glassbox evaluates
(coalitions times background rows), built before timing. Reported: time per row, the
ratio to shap and to the floor, and the largest difference of the values.

Times are medians of alternating repeats of the process CPU time (the machine is shared).

Run:  .venv/bin/python benchmarks/shapley_groups.py          (3 repeats)
      .venv/bin/python benchmarks/shapley_groups.py --quick  (1 repeat, fewer rows)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from glassbox.explainers import ShapleyExplainer  # noqa: E402

clock = time.process_time
RESULTS = Path(__file__).parent / "results" / "shapley_groups.md"
GROUPS = {"body": ["bmi", "bp"], "lipids": ["s1", "s2"], "cholesterol": ["s3", "s4"], "glucose": ["s5", "s6"]}
# The binary hierarchy ((age, sex), (bmi, bp)), ((s1, s2), (s3, (s4, (s5, s6)))) as glassbox's groups
# and as the linkage matrix shap's Partition masker takes (leaves 0-9, merged nodes from 10).
HIERARCHY = {
    "n1": {"n2": {"age": ["age"], "sex": ["sex"]}, "n3": {"bmi": ["bmi"], "bp": ["bp"]}},
    "n4": {"n5": {"s1": ["s1"], "s2": ["s2"]},
           "n6": {"s3": ["s3"], "n7": {"s4": ["s4"], "n8": {"s5": ["s5"], "s6": ["s6"]}}}},
}
LINKAGE = np.array([[0, 1, 1, 2], [2, 3, 2, 2], [10, 11, 3, 4], [4, 5, 4, 2], [8, 9, 5, 2], [7, 14, 6, 3],
                    [6, 15, 7, 4], [13, 16, 8, 6], [12, 17, 9, 10]], dtype=np.float64)


def timed(function):
    start = clock()
    out = function()
    return clock() - start, out


def alternate(functions, repeats):
    """Median CPU seconds of each function over alternating repeats, and the last results."""
    times = {name: [] for name in functions}
    results = {}
    for _ in range(repeats):
        for name, function in functions.items():
            seconds, results[name] = timed(function)
            times[name].append(seconds)
    return {name: float(np.median(t)) for name, t in times.items()}, results


def tree_rows(X, y, n_rows, repeats):
    forest = RandomForestRegressor(100, max_depth=8, random_state=0).fit(X, y)
    rows = X.iloc[:n_rows]
    lines = []
    for perturbation in ("interventional", "tree_path_dependent"):
        kwargs = dict(background=100, random_state=0, feature_perturbation=perturbation)
        plain = ShapleyExplainer(forest, method="tree", **kwargs).fit(X)
        grouped = ShapleyExplainer(forest, method="tree", groups=GROUPS, **kwargs).fit(X)
        functions = {"ungrouped": lambda e=plain: e.explain(rows), "grouped": lambda e=grouped: e.explain(rows)}
        if perturbation == "interventional":
            exact = ShapleyExplainer(forest, method="exact", groups=GROUPS, background=100, random_state=0).fit(X)
            functions["exact"] = lambda e=exact: e.explain(rows[:20])
        times, results = alternate(functions, repeats)
        line = (f"| {perturbation} | {n_rows} | {1e3 * times['grouped'] / n_rows:.3f} | "
                f"{1e3 * times['ungrouped'] / n_rows:.3f} | {times['grouped'] / times['ungrouped']:.2f} | ")
        if "exact" in times:
            gap = np.abs(results["exact"].values - results["grouped"].values[:20]).max()
            line += f"{1e3 * times['exact'] / 20:.1f} | {gap:.1e} |"
        else:
            line += "- | - |"
        lines.append(line)
    return lines


def owen_rows(X, y, n_rows, repeats):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300,
                                                             random_state=0)).fit(X, y)
    names = list(X.columns)
    background, rows = X.iloc[:20], X.iloc[100:100 + n_rows]
    ours = ShapleyExplainer(model, method="exact", groups=HIERARCHY, background=background).fit(X)
    n_coalitions = len(ours._design["masks"]) + 2

    def predict(Z):
        return model.predict(pd.DataFrame(Z, columns=names))

    masker = shap.maskers.Partition(background.to_numpy(), clustering=LINKAGE)
    peer = shap.PartitionExplainer(predict, masker)
    peer(rows.to_numpy()[:1], max_evals=4000)  # compiled before timing
    floor_rows = np.repeat(rows.to_numpy()[:1], n_coalitions * len(background) * n_rows, axis=0)
    times, results = alternate({
        "glassbox": lambda: ours.explain(rows),
        "shap": lambda: peer(rows.to_numpy(), max_evals=4000),
        "floor": lambda: predict(floor_rows),
    }, repeats)
    order = [names.index(str(n)) for n in results["glassbox"].feature_names]
    gap = np.abs(results["glassbox"].values[:, :, 0] - results["shap"].values[:, order]).max()
    return [f"| {n_rows} | {n_coalitions} | {1e3 * times['glassbox'] / n_rows:.1f} | "
            f"{1e3 * times['shap'] / n_rows:.1f} | {times['glassbox'] / times['shap']:.2f} | "
            f"{times['glassbox'] / times['floor']:.2f} | {gap:.1e} |"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeats, tree_n, owen_n = (1, 200, 5) if args.quick else (3, 1000, 20)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    out = [
        "# Shapley values of groups with TreeSHAP, and Owen values",
        "",
        f"`python benchmarks/shapley_groups.py{' --quick' if args.quick else ''}`; {platform.processor() or 'cpu'}, "
        f"OMP_NUM_THREADS=1, medians of {repeats} alternating repeat(s) of process CPU time.",
        "",
        "## TreeSHAP with groups (random forest, 100 trees of depth 8, 6 players)",
        "",
        "| value function | rows | grouped ms/row | ungrouped ms/row (floor) | ratio to floor "
        "| exact method on groups ms/row | largest gap to exact |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *tree_rows(X, y, tree_n, repeats),
        "",
        "## Owen values (MLP, binary hierarchy of the 10 columns, 20 background rows)",
        "",
        "| rows | coalitions | glassbox ms/row | shap Partition ms/row | ratio to shap | ratio to floor "
        "| largest gap to shap |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *owen_rows(X, y, owen_n, repeats),
        "",
    ]
    text = "\n".join(out)
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
