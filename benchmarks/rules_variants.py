"""RuleListClassifier's default search against variants, over several splits, on every
classification data set of the accuracy benchmark.

The rule-list goal of ``benchmarks/accuracy.py`` (ROC AUC within 0.01 of CART at the
list's conditions, and at least the best of imodels' greedy rule lists at no more
conditions) is judged there on one split (seed 0). Here the same data sets, budgets
(``max_complexity`` of 4, 8, 16 and 32 conditions, ``max_rules`` as many) and peers (CART,
``max_leaf_nodes``, grown to exactly as many conditions as each list has; the greedy list at
``max_depth`` 1, 2, 3, 4, 6 and 8, binary tasks only; both on one-hot categories,
median-imputed numbers and missing indicators) are scored on the splits of ``--seeds``
(``_data.split``), for the default list and for each variant of ``VARIANTS``: a larger
``min_support`` (rules of fewer rows cannot be learnt) and Laplace shrinkage (each rule's
probabilities pulled toward its parent's in proportion to its own size, where hierarchical
shrinkage scales by the parent's). A variant is a candidate for the default only if it meets the goals in more
cells over all splits, not on one.

Fit seconds are process CPU seconds of one fit (the median over cells is reported).

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rules_variants.py [--seeds 0 1 2] [--quick]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import numeric_design, scores  # noqa: E402
from _data import DATASETS, load, split  # noqa: E402

from glassbox import complexity  # noqa: E402
from glassbox.models import RuleListClassifier  # noqa: E402

warnings.filterwarnings("ignore")
RESULTS = Path(__file__).parent / "results"
BUDGETS = (4, 8, 16, 32)
TOLERANCE = 0.01
GREEDY_DEPTHS = (1, 2, 3, 4, 6, 8)
VARIANTS = {
    "default": {},
    "min_support=0.02": {"min_support": 0.02},
    "laplace, strength 20": {"shrinkage": "laplace", "shrinkage_strength": 20.0},
}


def peers(spec, design, y_train, y_test):
    """``(conditions, AUC)`` of the greedy lists (none for several classes), and a function
    giving CART's AUC at a number of conditions (cached)."""
    from imodels import GreedyRuleListClassifier
    from sklearn.tree import DecisionTreeClassifier

    greedy = []
    if spec.task == "binary":
        for depth in GREEDY_DEPTHS:
            model = GreedyRuleListClassifier(max_depth=depth).fit(design[0], y_train)
            greedy.append((sum("col" in rule for rule in model.rules_), scores(spec.task, model, design[1], y_test)[0]))
    cart = {}

    def cart_auc(conditions):
        if conditions not in cart:
            model = DecisionTreeClassifier(max_leaf_nodes=max(conditions, 1) + 1, random_state=0)
            cart[conditions] = scores(spec.task, model.fit(design[0], y_train), design[1], y_test)[0]
        return cart[conditions]

    return greedy, cart_auc


def cells(spec, seed):
    """One row per budget and variant: the list's AUC, CART's at its conditions, the best greedy list's."""
    X, y = load(spec.name)
    X_train, X_test, y_train, y_test = split(X, y, spec.task, random_state=seed)
    design = numeric_design(X_train, X_test)
    greedy, cart_auc = peers(spec, design, y_train, y_test)
    rows = []
    for budget in BUDGETS:
        for variant, params in VARIANTS.items():
            start = time.process_time()
            model = RuleListClassifier(max_rules=budget, max_complexity=budget, **params).fit(X_train, y_train)
            seconds = time.process_time() - start
            conditions = int(complexity(model))
            within = [auc for count, auc in greedy if count <= conditions]
            row = {"data set": spec.name, "seed": seed, "budget": budget, "variant": variant,
                   "conditions": conditions, "auc": scores(spec.task, model, X_test, y_test)[0],
                   "cart": cart_auc(conditions), "greedy": max(within) if within else np.nan, "fit s": seconds}
            rows.append(row)
            print(f"  {spec.name:16s} seed {seed} budget {budget:2d} {variant:22s} {row['auc']:.4f} "
                  f"(CART {row['cart']:.4f}, greedy {row['greedy']:.4f})", file=sys.stderr, flush=True)
    return rows


def summary(rows, seeds):
    head = ["variant", *[f"CART met, seed {s}" for s in seeds], "CART met, all", "greedy met, all",
            "mean AUC", "mean Δ vs default", "cells better / worse than default", "median fit s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    default = {(r["data set"], r["seed"], r["budget"]): r["auc"] for r in rows if r["variant"] == "default"}
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant]
        per_seed = []
        for s in seeds:
            of_seed = [r for r in mine if r["seed"] == s]
            per_seed.append(f"{sum(r['auc'] - r['cart'] >= -TOLERANCE for r in of_seed)} / {len(of_seed)}")
        with_greedy = [r for r in mine if not np.isnan(r["greedy"])]
        diff = np.array([r["auc"] - default[(r["data set"], r["seed"], r["budget"])] for r in mine])
        lines.append("| " + " | ".join([
            variant, *per_seed, f"{sum(r['auc'] - r['cart'] >= -TOLERANCE for r in mine)} / {len(mine)}",
            f"{sum(r['auc'] >= r['greedy'] for r in with_greedy)} / {len(with_greedy)}",
            f"{np.mean([r['auc'] for r in mine]):.4f}", f"{diff.mean():+.4f}",
            f"{int((diff > 5e-5).sum())} / {int((diff < -5e-5).sum())}",
            f"{np.median([r['fit s'] for r in mine]):.2f}"]) + " |")
    return lines


def default_table(rows, seeds):
    head = ["data set", "budget", *[f"Δ CART s{s}" for s in seeds], "mean Δ CART",
            *[f"Δ greedy s{s}" for s in seeds], "mean Δ greedy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    mine = [r for r in rows if r["variant"] == "default"]
    for name in dict.fromkeys(r["data set"] for r in mine):
        for budget in BUDGETS:
            cell = {r["seed"]: r for r in mine if r["data set"] == name and r["budget"] == budget}
            d_cart = [cell[s]["auc"] - cell[s]["cart"] for s in seeds]
            d_greedy = [cell[s]["auc"] - cell[s]["greedy"] for s in seeds]

            def fmt(d, tol):
                return "" if np.isnan(d) else f"{d:+.4f}" + ("" if d >= tol else " **no**")

            lines.append("| " + " | ".join([
                name, f"max_complexity={budget}", *[fmt(d, -TOLERANCE) for d in d_cart],
                f"{np.mean(d_cart):+.4f}", *[fmt(d, 0.0) for d in d_greedy],
                "" if np.isnan(d_greedy).any() else f"{np.mean(d_greedy):+.4f}"]) + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", nargs="+", help="only these data sets (a smoke run; the table is not written)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: seed 0, iris and TitanicSurvival, no table")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.data = [0], ["iris", "TitanicSurvival"]
    specs = [s for s in DATASETS.values() if s.use in ("tests", "bench") and s.task != "regression"]
    if args.data:
        specs = [s for s in specs if s.name in args.data]
    rows = [row for spec in specs for seed in args.seeds for row in cells(spec, seed)]
    seeds_text = ", ".join(map(str, args.seeds))
    lines = [
        "# Rule lists: the default search against variants, over several splits", "",
        f"Run: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rules_variants.py --seeds {' '.join(map(str, args.seeds))}`;"
        " see the script's docstring for the protocol. Goals: ROC AUC within "
        f"{TOLERANCE} of CART at the list's conditions (CART met), at least the best greedy rule list at no more "
        "conditions (greedy met, binary data sets only).", "",
        f"## Each variant over the splits of seeds {seeds_text}", "",
        *summary(rows, args.seeds), "",
        f"## The default list per cell over the splits of seeds {seeds_text}", "",
        "Δ is the list's AUC minus the peer's on the same split.", "",
        *default_table(rows, args.seeds), "",
    ]
    if not args.data:
        (RESULTS / "rules_variants.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
