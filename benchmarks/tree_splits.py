"""The tree against scikit-learn's CART and imodels' HSTree over several train/test splits.

``benchmarks/accuracy.py`` scores every model on one held-out split (seed 0). Where the
tree and CART part (missing values routed per split against median-imputed numbers,
equally good splits broken by a different feature order, a different shrinkage chosen by
cross-validation), one split says little about which side is better. This script refits
the Tree family of ``accuracy.py`` the same way (the peers on the one-hot design with
median-imputed numbers and missing indicators, glassbox on the raw table) on the data
sets where the two part, over the train/test splits of seeds 0 to ``--seeds - 1``, and
reports the mean, smallest and largest Δ (glassbox minus the peer) at each budget, with
the shrinkage each cross-validation chose.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/tree_splits.py [--seeds 5] [--quick]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import numeric_design, scores  # noqa: E402
from _data import DATASETS, load, split  # noqa: E402

warnings.filterwarnings("ignore")
RESULTS = Path(__file__).parent / "results"
DATA = ("TitanicSurvival", "credit_data", "penguins", "diabetes", "lending_club", "Wage")
SPLITS = (4, 8, 16, 32)


def fit_cells(name, seed, splits):
    """One row per budget: the held-out score of the four models and the chosen shrinkage."""
    from imodels import HSTreeClassifierCV, HSTreeRegressorCV
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from glassbox.models import TreeClassifier, TreeRegressor

    spec = DATASETS[name]
    classify = spec.task != "regression"
    tree, cart = (TreeClassifier, DecisionTreeClassifier) if classify else (TreeRegressor, DecisionTreeRegressor)
    hstree = HSTreeClassifierCV if classify else HSTreeRegressorCV
    X, y = load(name)
    X_train, X_test, y_train, y_test = split(X, y, spec.task, random_state=seed)
    design_train, design_test = numeric_design(X_train, X_test)
    rows = []
    for s in splits:
        plain = tree(max_leaf_nodes=s + 1, random_state=0).fit(X_train, y_train)
        shrunk = tree(max_leaf_nodes=s + 1, shrinkage="cv", random_state=0).fit(X_train, y_train)
        peer = cart(max_leaf_nodes=s + 1, random_state=0).fit(design_train, y_train)
        peer_shrunk = hstree(cart(max_leaf_nodes=s + 1, random_state=0), max_leaf_nodes=s + 1).fit(design_train, y_train)
        rows.append({
            "data set": name, "splits": s, "seed": seed,
            "Δ CART": scores(spec.task, plain, X_test, y_test)[0] - scores(spec.task, peer, design_test, y_test)[0],
            "Δ HSTree cv": (scores(spec.task, shrunk, X_test, y_test)[0]
                            - scores(spec.task, peer_shrunk, design_test, y_test)[0]),
            "λ ours": shrunk.shrinkage_, "λ HSTree": float(peer_shrunk.reg_param),
        })
        print(f"  {name:16s} seed {seed} splits {s:2d}  Δ CART {rows[-1]['Δ CART']:+.4f}  "
              f"Δ HSTree cv {rows[-1]['Δ HSTree cv']:+.4f}", file=sys.stderr, flush=True)
    return rows


def summarise(frame):
    """Mean, smallest and largest Δ per data set and budget, and the shrinkage chosen per seed."""
    def choices(values):
        return " ".join(f"{v:g}" for v in values)

    grouped = frame.groupby(["data set", "splits"], sort=False)
    table = grouped[["Δ CART", "Δ HSTree cv"]].agg(["mean", "min", "max"])
    table.columns = [f"{delta} {stat}" for delta, stat in table.columns]
    table["λ ours (per seed)"] = grouped["λ ours"].agg(choices)
    table["λ HSTree (per seed)"] = grouped["λ HSTree"].agg(choices)
    overall = frame.groupby("data set", sort=False)[["Δ CART", "Δ HSTree cv"]].mean()
    return table.reset_index(), overall.reset_index()


def markdown(frame):
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:+.4f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="train/test splits (seeds 0 to SEEDS - 1)")
    parser.add_argument("--quick", action="store_true", help="two data sets, two seeds, budgets 8 and 32")
    args = parser.parse_args(argv)
    data, seeds, splits = (DATA[:2], 2, (8, 32)) if args.quick else (DATA, args.seeds, SPLITS)
    frame = pd.DataFrame([row for name in data for seed in range(seeds) for row in fit_cells(name, seed, splits)])
    table, overall = summarise(frame)
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/tree_splits.py" + (
        " --quick" if args.quick else f" --seeds {seeds}")
    lines = [
        "# The tree against CART and HSTree cv over several train/test splits",
        "",
        f"Command: `{command}`",
        "",
        *__doc__.split("\n\n")[1].splitlines(),
        "",
        f"Seeds 0 to {seeds - 1}; Δ is glassbox minus the peer (AUC, or R² for diabetes and Wage).",
        "",
        "## Mean Δ per data set (every budget)",
        "",
        *markdown(overall),
        "",
        "## Per budget",
        "",
        *markdown(table),
        "",
        f"Share of cells with Δ CART >= -0.00005: {np.mean(frame['Δ CART'] >= -5e-5):.2f}; "
        f"with Δ HSTree cv >= -0.003: {np.mean(frame['Δ HSTree cv'] >= -0.003):.2f} "
        f"(of {len(frame)}).",
        "",
    ]
    (RESULTS / "tree_splits.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
