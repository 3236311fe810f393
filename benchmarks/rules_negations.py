"""RuleListClassifier with and without ``x != level`` conditions (``negations``), against
CART at the rules' conditions, on every classification data set of the accuracy benchmark.

The same data sets, split (``_data.split``, seed 0), budgets (``max_complexity`` of 4, 8,
16 and 32 conditions, ``max_rules`` as many) and peer as the rule-list section of
``benchmarks/accuracy.py``: CART (``max_leaf_nodes``) grown to exactly as many conditions
as each list has, on one-hot categories, median-imputed numbers and missing indicators.
The goal is the accuracy benchmark's: ROC AUC (macro one-vs-rest for several classes)
within 0.01 of CART. TitanicSurvival, where a list without negations needs two rules for
``sex = female AND class != 3rd``, is also scored over splits of seeds 0, 1 and 2.

The speed section fits the default list (``max_rules=8, max_conditions=2``) on all rows of
HI raw (22,272 rows), without and with negations, alternating, one thread; the medians of
``--repeats`` fits (goal: the default fit under 2 s).

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rules_negations.py [--repeats 3]
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
SEEDS = (0, 1, 2)


def cart_auc(task, design, y_train, y_test, conditions):
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(max_leaf_nodes=max(conditions, 1) + 1, random_state=0).fit(design[0], y_train)
    return scores(task, model, design[1], y_test)[0]


def cells(spec, seed=0, budgets=BUDGETS):
    """One row per budget: the list without and with negations, and CART at each one's conditions."""
    X, y = load(spec.name)
    X_train, X_test, y_train, y_test = split(X, y, spec.task, random_state=seed)
    design = numeric_design(X_train, X_test)
    rows = []
    for budget in budgets:
        row = {"data set": spec.name, "seed": seed, "budget": budget}
        for negations in (False, True):
            start = time.perf_counter()
            model = RuleListClassifier(max_rules=budget, max_complexity=budget, negations=negations).fit(X_train, y_train)
            seconds = time.perf_counter() - start
            key = "on" if negations else "off"
            row[f"conditions {key}"] = int(complexity(model))
            row[f"auc {key}"] = scores(spec.task, model, X_test, y_test)[0]
            row[f"cart {key}"] = cart_auc(spec.task, design, y_train, y_test, row[f"conditions {key}"])
            row[f"negations {key}"] = int((model.conditions_.op == "!=").sum())
            row[f"fit s {key}"] = seconds
        rows.append(row)
        print(f"  {spec.name:16s} seed {seed} budget {budget:2d}  off {row['auc off']:.4f} (CART {row['cart off']:.4f})"
              f"  on {row['auc on']:.4f} (CART {row['cart on']:.4f})", file=sys.stderr, flush=True)
    return rows


def speed(repeats):
    """Median fit seconds of the default list on all rows of HI raw, without and with negations."""
    X, y = load("HI")
    times = {False: [], True: []}
    for _ in range(repeats):
        for negations in (False, True):
            start = time.perf_counter()
            RuleListClassifier(negations=negations).fit(X, y)
            times[negations].append(time.perf_counter() - start)
    return X.shape, {k: float(np.median(v)) for k, v in times.items()}


def _mean_delta(rows, budget, key):
    return float(np.mean([r[f"auc {key}"] - r[f"cart {key}"] for r in rows if r["budget"] == budget]))


def _met(delta):
    return "yes" if delta >= -TOLERANCE else "**no**"


def table(rows, with_seed=False):
    head = ["data set", *(["seed"] if with_seed else []), "budget", "conditions off / on", "CART (off)",
            "RuleList off", "Δ CART off", "met off", "CART (on)", "RuleList on", "Δ CART on", "met on",
            "on - off", "!= used", "fit s off / on"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        d_off, d_on = r["auc off"] - r["cart off"], r["auc on"] - r["cart on"]
        cells_ = [r["data set"], *([str(r["seed"])] if with_seed else []), f"max_complexity={r['budget']}",
                  f"{r['conditions off']} / {r['conditions on']}", f"{r['cart off']:.4f}", f"{r['auc off']:.4f}",
                  f"{d_off:+.4f}", _met(d_off), f"{r['cart on']:.4f}", f"{r['auc on']:.4f}", f"{d_on:+.4f}",
                  _met(d_on), f"{r['auc on'] - r['auc off']:+.4f}", str(r["negations on"]),
                  f"{r['fit s off']:.2f} / {r['fit s on']:.2f}"]
        lines.append("| " + " | ".join(cells_) + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    specs = [s for s in DATASETS.values() if s.use in ("tests", "bench") and s.task != "regression"]
    rows = [row for spec in specs for row in cells(spec)]
    titanic = [row for seed in SEEDS for row in cells(DATASETS["TitanicSurvival"], seed, budgets=(4, 8))]
    shape, seconds = speed(args.repeats)

    def count(key):
        return sum(r[f"auc {key}"] - r[f"cart {key}"] >= -TOLERANCE for r in rows)

    diff = np.array([r["auc on"] - r["auc off"] for r in rows])
    lines = [
        "# Rule lists with and without `x != level` conditions (`negations`)", "",
        f"Run: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/rules_negations.py --repeats {args.repeats}`; "
        "see the script's docstring for the protocol.", "",
        "## Every classification data set of the accuracy benchmark (seed 0 split)", "",
        f"Within {TOLERANCE} AUC of CART at the list's conditions: {count('off')} of {len(rows)} cells without "
        f"negations, {count('on')} of {len(rows)} with. With negations the list's AUC is higher in "
        f"{int((diff > 5e-5).sum())} cells, lower in {int((diff < -5e-5).sum())}, the same in "
        f"{int((np.abs(diff) <= 5e-5).sum())} (mean change {diff.mean():+.4f}, worst {diff.min():+.4f}, "
        f"best {diff.max():+.4f}). `!= used`: the list's distinct `!=` conditions.", "",
        *table(rows), "",
        "## TitanicSurvival over three splits (seeds 0, 1, 2)", "",
        *table(titanic, with_seed=True), "",
        *[f"Mean Δ CART at max_complexity={b} over the three splits: {_mean_delta(titanic, b, 'off'):+.4f} "
          f"without negations, {_mean_delta(titanic, b, 'on'):+.4f} with." for b in (4, 8)], "",
        "## Speed: the default fit on all rows of HI raw", "",
        "| input | negations=False | negations=True | goal | met |", "|---|---|---|---|---|",
        f"| HI raw ({shape[0]:,} x {shape[1]}) | {seconds[False]:.2f} s | {seconds[True]:.2f} s | default under 2 s | "
        f"{'yes' if seconds[False] < 2 else 'no'} |", "",
    ]
    (RESULTS / "rules_negations.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
