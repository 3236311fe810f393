"""Accuracy of every transparent family against its peers, on every data set with a target.

Every ``tests`` and ``bench`` data set of ``benchmarks/_data.py`` (binary, multiclass and
regression), at most 10,000 training rows and the rest held out (seed 0). Each family of
glassbox is fitted at a few budgets beside the peers that define it, in one run:

- ``AdditiveClassifier/Regressor`` at 0 and 10 pairs against interpret's EBM at the same
  numbers of pairs, and HistGradientBoosting as the black box a user would deploy;
- the sum of trees against imodels' FIGS at 4, 8, 16 and 32 splits;
- the tree, without and with hierarchical shrinkage, against scikit-learn's CART and
  imodels' HSTree at the same splits;
- the rule list at budgets of 4, 8, 16 and 32 conditions (``max_complexity``, each rule's
  length chosen by the search) against CART grown to as many conditions as the list has,
  and against imodels' greedy rule list (the best of its depths at no more conditions);
- the sparse linear model at a budget of non-zero terms, as refitted (``relax=1``, the
  default) and as the relaxed lasso chosen by cross-validation on the training rows
  (``relax="cv"``), against an L1 logistic regression (Lasso for regression) on the same
  one-hot design, the best of a path of penalties with no more non-zeros (so the peer is
  favoured: its penalty is chosen on the test rows);
- for the front only (the tables keep the budgets above), the sparse linear model at every
  ``max_terms`` from 1 to 16 and at 20, 24 and 32, the tree and the sum of trees at 1, 2, 3,
  5, 6, 7, 12 and 24 splits too.

Scores: ROC AUC (macro one-vs-rest for several classes) and log-loss, or R². Complexity
is what a reader must read, counted by ``glassbox.complexity`` for every model it knows:
splits of trees (summed over a sum), conditions of a rule list, non-zero coefficients,
terms of an additive model (EBM's too). glassbox's models and EBM read the raw table
(categories and missing values as they are); the other peers read one-hot categories,
median-imputed numbers and missing-value indicators. EBM runs in a child process
stopped after ``--limit`` seconds. Fit times are of one fit on a shared machine (the
median of three for the sum of trees and FIGS, whose speed is a goal): read them as
orders of magnitude (the families' own benchmarks repeat and alternate fits).

Goals (on every data set, every cell reported, met or not):
- additive: score within 0.003 AUC (0.005 R²) of EBM's at the same pairs, fit >= 5x faster;
- sum of trees: score at least FIGS's at every budget, fit >= 5x faster;
- rule list: within 0.01 of CART at equal conditions, at least the best greedy rule list;
- glassbox's combined front dominates or touches (within 0.003) every point of the fronts
  of interpret, imodels and scikit-learn.

Each data set's points are kept in ``benchmarks/results/accuracy/<name>.json``; a run
computes the data sets without one (or all with ``--fresh``) and rebuilds the table
``benchmarks/results/accuracy.md`` and one front figure per data set from all of them.
``--families TreeSum RuleList`` refits only those glassbox families and their peers (on
the data sets asked for, or all) and replaces their points in the kept files.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/accuracy.py [--quick] [--datasets NAME ...]
      [--families FAMILY ...] [--limit SECONDS] [--fresh] [--report]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import call_limited, front, numeric_design, scores  # noqa: E402
from _data import DATASETS, load, split  # noqa: E402

from glassbox import complexity  # noqa: E402

warnings.filterwarnings("ignore")
RESULTS = Path(__file__).parent / "results"
POINTS = RESULTS / "accuracy"
GLASSBOX, PEERS = "glassbox", ("interpret", "imodels", "scikit-learn")
SPLITS = (4, 8, 16, 32)
RULE_CONDITIONS = (4, 8, 16, 32)  # the rule list's budget of conditions, each rule's length chosen
TERMS = (1, 2, 4, 8, 16)
# Budgets fitted for the front only (the tables above stay at SPLITS, RULES and TERMS): every
# count of non-zeros up to 16 (peers' fronts have points at any count), and small trees.
FRONT_TERMS = (*range(1, 17), 20, 24, 32)
FRONT_SPLITS = (1, 2, 3, 5, 6, 7, 12, 24)
PAIRS = (0, 10)
TOLERANCE = {"auc": 0.003, "r2": 0.005}  # the additive goal and the front's "touches"
RULE_TOLERANCE = 0.01
# Scores equal to the fourth decimal are the same trees (the sums differ by rounding only).
SAME_TREES = 5e-5
GOAL_SPEEDUP = 5.0
QUICK_ROWS = 1500
REPEATS = {"TreeSum": 3, "FIGS": 3}  # families with a speed goal: the median of a few fits
# Each glassbox family with the peers it is judged against (for --families).
GROUPS = {
    "Additive": ("Additive", "EBM", "HistGradientBoosting"),
    "TreeSum": ("TreeSum", "FIGS"),
    "Tree": ("Tree", "Tree cv", "CART", "HSTree cv"),
    "RuleList": ("RuleList", "GreedyRuleList", "CART at the rules' conditions"),
    "SparseLinear": ("SparseLinear", "SparseLinear cv", "L1 linear"),
}


# -- candidates ---------------------------------------------------------------------------
def candidates(task, quick):
    """``(library, family, budget, make, input)`` for every family and budget of ``task``.

    ``input`` is ``"raw"`` (the table as loaded) or ``"numeric"`` (the one-hot design).
    """
    from imodels import FIGSClassifier, FIGSRegressor, GreedyRuleListClassifier, HSTreeClassifierCV, HSTreeRegressorCV
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from glassbox.models import (
        AdditiveClassifier,
        AdditiveRegressor,
        RuleListClassifier,
        SparseLinearClassifier,
        SparseLinearRegressor,
        TreeClassifier,
        TreeRegressor,
        TreeSumClassifier,
        TreeSumRegressor,
    )

    classify = task != "regression"

    def pick(classifier, regressor):
        return classifier if classify else regressor

    splits = (4, 16) if quick else SPLITS
    out = []
    for k in (2, 8) if quick else FRONT_TERMS:
        out.append((GLASSBOX, "SparseLinear", f"max_terms={k}",
                    lambda k=k: pick(SparseLinearClassifier, SparseLinearRegressor)(max_features=None, max_terms=k),
                    "raw"))
    for k in (2, 8) if quick else TERMS:  # the relaxed lasso chosen by cross-validation, at the table's budgets
        out.append((GLASSBOX, "SparseLinear cv", f"max_terms={k}",
                    lambda k=k: pick(SparseLinearClassifier, SparseLinearRegressor)(max_features=None, max_terms=k,
                                                                                    relax="cv"),
                    "raw"))
    for s in splits:
        out.append((GLASSBOX, "Tree", f"splits={s}",
                    lambda s=s: pick(TreeClassifier, TreeRegressor)(max_leaf_nodes=s + 1, random_state=0), "raw"))
        out.append((GLASSBOX, "Tree cv", f"splits={s}",
                    lambda s=s: pick(TreeClassifier, TreeRegressor)(max_leaf_nodes=s + 1, shrinkage="cv",
                                                                    random_state=0), "raw"))
        out.append((GLASSBOX, "TreeSum", f"splits={s}",
                    lambda s=s: pick(TreeSumClassifier, TreeSumRegressor)(max_splits=s, random_state=0), "raw"))
    for s in () if quick else FRONT_SPLITS:  # for the front: no peer at these budgets
        out.append((GLASSBOX, "Tree", f"splits={s}",
                    lambda s=s: pick(TreeClassifier, TreeRegressor)(max_leaf_nodes=s + 1, random_state=0), "raw"))
        out.append((GLASSBOX, "TreeSum", f"splits={s}",
                    lambda s=s: pick(TreeSumClassifier, TreeSumRegressor)(max_splits=s, random_state=0), "raw"))
    if classify:
        for c in (4, 16) if quick else RULE_CONDITIONS:
            out.append((GLASSBOX, "RuleList", f"max_complexity={c}",
                        lambda c=c: RuleListClassifier(max_rules=c, max_complexity=c), "raw"))
    for k in PAIRS:
        out.append((GLASSBOX, "Additive", f"pairs={k}",
                    lambda k=k: pick(AdditiveClassifier, AdditiveRegressor)(interactions=k, random_state=0), "raw"))
        out.append(("interpret", "EBM", f"pairs={k}",
                    lambda k=k: pick(ExplainableBoostingClassifier, ExplainableBoostingRegressor)(
                        interactions=k, n_jobs=1, random_state=0), "raw"))
    for s in splits:
        out.append(("imodels", "FIGS", f"splits={s}",
                    lambda s=s: pick(FIGSClassifier, FIGSRegressor)(max_rules=s, random_state=0), "numeric"))
        def cart(s=s):
            return pick(DecisionTreeClassifier, DecisionTreeRegressor)(max_leaf_nodes=s + 1, random_state=0)

        out.append(("imodels", "HSTree cv", f"splits={s}",
                    lambda cart=cart, s=s: pick(HSTreeClassifierCV, HSTreeRegressorCV)(cart(), max_leaf_nodes=s + 1),
                    "numeric"))
        out.append(("scikit-learn", "CART", f"splits={s}", cart, "numeric"))
    if task == "binary":  # imodels' greedy rule list is binary only
        for depth in (1, 2, 4) if quick else (1, 2, 3, 4, 6, 8):
            out.append(("imodels", "GreedyRuleList", f"max_depth={depth}",
                        lambda d=depth: GreedyRuleListClassifier(max_depth=d), "numeric"))
    out.append(("scikit-learn", "HistGradientBoosting", "default",
                lambda: pick(HistGradientBoostingClassifier, HistGradientBoostingRegressor)(random_state=0), "raw-hgb"))
    return out


def count(model):
    """What a reader must read: ``glassbox.complexity``, and the peers it does not know."""
    if hasattr(model, "term_features_"):  # EBM
        return len(model.term_features_)
    if hasattr(model, "rules_") and type(model).__name__ == "GreedyRuleListClassifier":
        return sum("col" in rule for rule in model.rules_)
    if hasattr(model, "estimator_") and hasattr(model.estimator_, "tree_"):  # HSTree: its CART
        return int((model.estimator_.tree_.children_left >= 0).sum())
    if type(model).__name__.startswith("HistGradientBoosting"):
        return -1  # a black box: not on any front
    return int(complexity(model))


def l1_path(task, design_train, y_train, quick):
    """L1 logistic (Lasso) fits along a path of penalties: ``(budget, make)`` pairs."""
    from sklearn.linear_model import Lasso, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import l1_min_c

    scaled = StandardScaler().fit_transform(design_train)
    n = 6 if quick else 14
    if task == "regression":
        y = np.asarray(y_train, dtype=float)
        alpha_max = np.max(np.abs(scaled.T @ (y - y.mean()))) / len(y)
        return [(f"alpha={a:.3g}", lambda a=a: make_pipeline(StandardScaler(), Lasso(alpha=a, max_iter=5000)))
                for a in alpha_max * np.logspace(-0.05, -3, n)]
    c_min = l1_min_c(scaled, y_train, loss="log") if task == "binary" else 1e-3
    solver = "liblinear" if task == "binary" else "saga"
    return [(f"C={c:.3g}", lambda c=c: make_pipeline(
        StandardScaler(), LogisticRegression(C=c, l1_ratio=1.0, solver=solver, max_iter=2000, random_state=0)))
        for c in c_min * np.logspace(0.05, 3, n)]


# -- fitting ------------------------------------------------------------------------------
def fit_score(make, task, X_train, y_train, X_test, y_test, repeats=1):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = make().fit(X_train, y_train)
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    score, loss = scores(task, model, X_test, y_test)
    return {"score": float(score), "log_loss": float(loss), "complexity": count(model), "fit_s": seconds}


def rule_list_cart(task, rule_points, inputs, y_train, y_test):
    """CART grown to exactly as many conditions as each fitted rule list has."""
    from sklearn.tree import DecisionTreeClassifier

    X_train, X_test = inputs["numeric"]
    out = []
    for point in rule_points:
        conditions = max(point["complexity"], 1)
        result = fit_score(partial(DecisionTreeClassifier, max_leaf_nodes=conditions + 1, random_state=0), task, X_train, y_train, X_test, y_test)
        out.append({"library": "scikit-learn", "family": "CART at the rules' conditions",
                    "budget": point["budget"], **result})
    return out


def bench_dataset(spec, *, quick, limit, families=None):
    X, y = load(spec.name)
    if quick and len(X) > QUICK_ROWS:
        keep = np.random.default_rng(0).choice(len(X), QUICK_ROWS, replace=False)
        X, y = X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)
    X_train, X_test, y_train, y_test = split(X, y, spec.task)
    design_train, design_test = numeric_design(X_train, X_test)
    hgb = [X_train.copy(), X_test.copy()]
    for frame in hgb:  # HistGradientBoosting reads categories from the pandas dtype
        for column in frame.columns[~frame.dtypes.map(pd.api.types.is_numeric_dtype)]:
            frame[column] = pd.Categorical(frame[column], categories=sorted(X[column].dropna().unique()))
    inputs = {"raw": (X_train, X_test), "numeric": (design_train, design_test), "raw-hgb": tuple(hgb)}
    todo = candidates(spec.task, quick)
    todo += [("scikit-learn", "L1 linear", budget, make, "numeric")
             for budget, make in l1_path(spec.task, design_train, y_train, quick)]
    if families is not None:
        todo = [item for item in todo if item[1] in families]
    points, notes = [], []
    for library, family, budget, make, kind in todo:
        args = (make, spec.task, *inputs[kind][:1], y_train, inputs[kind][1], y_test)
        # Speed is a goal at the table's budgets only; a point only for the front is fitted once.
        repeats = REPEATS.get(family, 1) if budget in {f"splits={s}" for s in SPLITS} else 1
        try:
            result = (call_limited(limit, fit_score, *args) if family == "EBM" else fit_score(*args, repeats=repeats))
        except Exception as error:  # a peer that cannot fit this task: said, not hidden
            notes.append(f"{library} {family} {budget}: {type(error).__name__}: {str(error)[:120]}")
            print(f"  {family} {budget}: {type(error).__name__}", file=sys.stderr, flush=True)
            continue
        if result is None:
            notes.append(f"{library} {family} {budget}: did not finish in {limit:.0f} s")
            continue
        points.append({"library": library, "family": family, "budget": budget, **result})
        print(f"  {spec.name:16s} {family:22s} {budget:14s} complexity {result['complexity']:4d} "
              f"score {result['score']:.4f}  {result['fit_s']:7.2f} s", file=sys.stderr, flush=True)
    rule_points = [p for p in points if p["family"] == "RuleList"]
    points += rule_list_cart(spec.task, rule_points, inputs, y_train, y_test)
    return {"name": spec.name, "task": spec.task, "use": spec.use, "n_train": len(X_train),
            "n_test": len(X_test), "quick": quick, "points": points, "notes": notes}


# -- goals --------------------------------------------------------------------------------
def metric_of(task):
    return "r2" if task == "regression" else "auc"


def find(points, family, budget=None):
    for p in points:
        if p["family"] == family and (budget is None or p["budget"] == budget):
            return p
    return None


def additive_rows(result):
    tol = TOLERANCE[metric_of(result["task"])]
    rows = []
    for k in PAIRS:
        ours, ebm = find(result["points"], "Additive", f"pairs={k}"), find(result["points"], "EBM", f"pairs={k}")
        if ours is None:
            continue
        delta = ours["score"] - ebm["score"] if ebm else np.nan
        speed = ebm["fit_s"] / ours["fit_s"] if ebm else np.nan
        rows.append({"data set": result["name"], "pairs": k, "glassbox": ours["score"],
                     "EBM": ebm["score"] if ebm else np.nan, "Δ": delta, "met (Δ)": _met(delta >= -tol, delta),
                     "fit s glassbox": ours["fit_s"], "fit s EBM": ebm["fit_s"] if ebm else np.nan,
                     "speed-up": speed, "met (5x)": _met(speed >= GOAL_SPEEDUP, speed)})
    return rows


def budget_rows(result, ours_family, peer_family, budgets, *, tolerance=0.0, speed=True):
    rows = []
    for budget in budgets:
        ours, peer = find(result["points"], ours_family, budget), find(result["points"], peer_family, budget)
        if ours is None or peer is None:
            continue
        delta = ours["score"] - peer["score"]
        row = {"data set": result["name"], "budget": budget, ours_family: ours["score"], peer_family: peer["score"],
               "Δ": delta, "met (Δ)": _met(delta >= -tolerance, delta),
               f"splits {ours_family}": ours["complexity"], f"splits {peer_family}": peer["complexity"]}
        if speed:
            ratio = peer["fit_s"] / ours["fit_s"]
            row.update({"fit s ours": ours["fit_s"], "fit s peer": peer["fit_s"], "speed-up": ratio,
                        "met (5x)": _met(ratio >= GOAL_SPEEDUP, ratio)})
        rows.append(row)
    return rows


def rule_rows(result):
    rows = []
    greedy = [p for p in result["points"] if p["family"] == "GreedyRuleList"]
    for ours in (p for p in result["points"] if p["family"] == "RuleList"):
        cart = find(result["points"], "CART at the rules' conditions", ours["budget"])
        within = [p for p in greedy if p["complexity"] <= ours["complexity"]]
        best = max(within, key=lambda p: p["score"]) if within else None
        d_cart = ours["score"] - cart["score"]
        d_greedy = ours["score"] - best["score"] if best else np.nan
        rows.append({"data set": result["name"], "budget": ours["budget"], "conditions": ours["complexity"],
                     "RuleList": ours["score"], "CART": cart["score"], "Δ CART": d_cart,
                     "met (CART)": _met(d_cart >= -RULE_TOLERANCE, d_cart),
                     "best greedy list": best["score"] if best else np.nan, "Δ greedy": d_greedy,
                     "met (greedy)": _met(d_greedy >= 0, d_greedy) if best else "no list within",
                     "fit s": ours["fit_s"]})
    return rows


def linear_rows(result):
    rows = []
    l1 = [p for p in result["points"] if p["family"] == "L1 linear"]
    for ours in (p for p in result["points"] if p["family"] in ("SparseLinear", "SparseLinear cv")
                 and p["budget"] in _budgets("max_terms", TERMS)):
        within = [p for p in l1 if p["complexity"] <= ours["complexity"]]
        best = max(within, key=lambda p: p["score"]) if within else None
        delta = ours["score"] - best["score"] if best else np.nan
        rows.append({"data set": result["name"], "budget": ours["budget"],
                     "relax": "cv" if ours["family"].endswith("cv") else "1 (refit)", "non-zeros": ours["complexity"],
                     "SparseLinear": ours["score"], "best L1 at no more non-zeros": best["score"] if best else np.nan,
                     "its non-zeros": best["complexity"] if best else np.nan, "Δ": delta,
                     "met (Δ >= 0)": _met(delta >= 0, delta) if best else "no L1 fit within",
                     "fit s": ours["fit_s"]})
    return rows


def front_rows(result):
    """For every point of each peer library's front: glassbox's best at no more complexity.

    A constant prediction (complexity 0) is open to everyone, glassbox included.
    """
    tol = TOLERANCE[metric_of(result["task"])]
    constant = 0.5 if result["task"] != "regression" else 0.0
    on_front = [p for p in result["points"] if p["complexity"] >= 0]
    ours = [{"complexity": 0, "score": constant, "family": "constant", "budget": ""}]
    ours += [p for p in on_front if p["library"] == GLASSBOX]
    rows = []
    for library in PEERS:
        for point in front([p for p in on_front if p["library"] == library]):
            best = max((p for p in ours if p["complexity"] <= point["complexity"]), key=lambda p: p["score"])
            delta = best["score"] - point["score"]
            rows.append({"data set": result["name"], "peer": f"{library} {point['family']} {point['budget']}",
                         "complexity": point["complexity"], "peer score": point["score"],
                         "glassbox": f"{best['family']} {best['budget']}".strip(), "its complexity": best["complexity"],
                         "glassbox score": best["score"], "Δ": delta, "met": _met(delta >= -tol, delta)})
    return rows


def _budgets(name, values):
    """The budgets of a family-vs-peer table (points at other budgets are for the front only)."""
    return {f"{name}={v}" for v in values}


def _met(ok, value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return "yes" if ok else "**no**"


# -- report -------------------------------------------------------------------------------
def markdown(frame, formats=None):
    if frame.empty:
        return ["(none)"]
    formats = formats or {}
    header = "| " + " | ".join(frame.columns) + " |"
    lines = [header, "|" + "---|" * len(frame.columns)]
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            if isinstance(value, float):
                cells.append("" if np.isnan(value) else format(value, formats.get(column, ".4f")))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary(frame, column):
    if frame.empty:
        return "no cell"
    met = (frame[column] == "yes").sum()
    known = (frame[column] != "n/a").sum()
    return f"met in {met} of {known} cells"


def _linear_summary(frame):
    """The cells met by each setting of ``relax``, in one line."""
    if frame.empty:
        return ["no cell."]
    parts = [f"relax={relax}: {summary(frame[frame['relax'] == relax], 'met (Δ >= 0)')}"
             for relax in ("1 (refit)", "cv")]
    return ["; ".join(parts) + "."]


def figure(result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from glassbox.plot import TradeoffDisplay
    from glassbox.plot._words import metric_words

    points = [p for p in result["points"] if p["complexity"] >= 0 and p["family"] != "CART at the rules' conditions"]
    cost = np.array([max(p["complexity"], 1) for p in points], dtype=float)
    score = np.array([p["score"] for p in points])
    labels = [f"{p['library']}: {p['family']}" for p in points]
    on_front = [points.index(p) for p in front(points)]
    fig, ax = plt.subplots(figsize=(8, 5))
    metric = "r2" if result["task"] == "regression" else "roc_auc"
    TradeoffDisplay(cost, score, front=np.array(on_front), labels=labels, metric=metric).plot(ax=ax)
    ax.set_ylabel(f"held-out {metric_words(metric)}")  # one split, not cross-validated
    ax.set_title(f"{result['name']} ({result['task']}, {result['n_train']} training rows)")
    path = POINTS / f"{result['name']}.png"
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def write_report(results, command, missing):
    sections = {
        "additive": pd.DataFrame([r for res in results for r in additive_rows(res)]),
        "treesum": pd.DataFrame([r for res in results for r in budget_rows(
            res, "TreeSum", "FIGS", [f"splits={s}" for s in SPLITS], tolerance=SAME_TREES)]),
        "tree": pd.DataFrame([r for res in results for r in budget_rows(
            res, "Tree cv", "HSTree cv", [f"splits={s}" for s in SPLITS], tolerance=TOLERANCE["auc"], speed=False)]),
        "cart": pd.DataFrame([r for res in results for r in budget_rows(
            res, "Tree", "CART", [f"splits={s}" for s in SPLITS], tolerance=SAME_TREES, speed=False)]),
        "rules": pd.DataFrame([r for res in results for r in rule_rows(res)]),
        "linear": pd.DataFrame([r for res in results for r in linear_rows(res)]),
        "front": pd.DataFrame([r for res in results for r in front_rows(res)]),
    }
    quick = any(res["quick"] for res in results)
    lines = [
        "# Accuracy of glassbox's transparent models against their peers, on every data set",
        "",
        f"Command: `{command}`" + (" (quick: at most 1,500 rows of each data set, fewer budgets)" if quick else ""),
        "",
        *"\n\n".join(__doc__.split("\n\n")[1:4]).splitlines(),
        "",
        "Scores are ROC AUC for classifiers (macro one-vs-rest for several classes) and R² for "
        "regressors; Δ is glassbox minus the peer. Fit times are single fits on a shared "
        "2-core machine.",
        "",
        "| data set | task | use | training rows | held-out rows |",
        "|---|---|---|---:|---:|",
        *[f"| {r['name']} | {r['task']} | {r['use']} | {r['n_train']} | {r['n_test']} |" for r in results],
        "",
        "## Additive models vs EBM (goal: Δ >= -0.003 AUC / -0.005 R², fit >= 5x faster)",
        "",
        f"Score {summary(sections['additive'], 'met (Δ)')}; speed {summary(sections['additive'], 'met (5x)')}.",
        "",
        *markdown(sections["additive"], {"speed-up": ".1f", "fit s glassbox": ".2f", "fit s EBM": ".2f", "Δ": "+.4f"}),
        "",
        "## Sums of trees vs FIGS at equal splits (goal: Δ >= 0, fit >= 5x faster)",
        "",
        f"Score {summary(sections['treesum'], 'met (Δ)')} (a Δ of ±0.0000, the same trees up to "
        f"rounding, counts as met); speed {summary(sections['treesum'], 'met (5x)')}.",
        "",
        *markdown(sections["treesum"], {"speed-up": ".1f", "fit s ours": ".2f", "fit s peer": ".2f", "Δ": "+.4f"}),
        "",
        "## Trees with hierarchical shrinkage (cv) vs imodels HSTree (cv) at equal splits (Δ >= -0.003)",
        "",
        f"{summary(sections['tree'], 'met (Δ)')}.",
        "",
        *markdown(sections["tree"], {"Δ": "+.4f"}),
        "",
        "## Trees vs scikit-learn's CART at equal splits (the same algorithm: Δ >= 0)",
        "",
        f"{summary(sections['cart'], 'met (Δ)')} (a Δ of ±0.0000, the same trees up to rounding, counts as "
        "met). The tree reads missing values and categories as they are: each split learns the side "
        "missing values take and one-hot levels are tested with missing categories routed likewise, "
        "where CART reads median-imputed numbers, missing indicators and a level for missing; equally "
        "good splits are broken by scikit-learn's feature order, which differs between the two "
        "designs. On data sets with missing values the two grow different trees (see "
        "`docs/models/tree.md`, Against scikit-learn's CART and imodels' HSTree).",
        "",
        *markdown(sections["cart"], {"Δ": "+.4f"}),
        "",
        "## Rule lists vs CART at equal conditions (Δ >= -0.01) and the best greedy rule list (Δ >= 0)",
        "",
        f"CART: {summary(sections['rules'], 'met (CART)')}; greedy list: {summary(sections['rules'], 'met (greedy)')}.",
        "",
        *markdown(sections["rules"], {"Δ CART": "+.4f", "Δ greedy": "+.4f", "fit s": ".2f"}),
        "",
        "## Sparse linear models vs L1 at no more non-zeros (Δ >= 0; the L1 penalty chosen on the test rows)",
        "",
        *_linear_summary(sections["linear"]),
        "",
        *markdown(sections["linear"], {"Δ": "+.4f", "its non-zeros": ".0f", "fit s": ".2f"}),
        "",
        "## Fronts: glassbox's best at no more complexity than each peer's front point (Δ >= -tolerance)",
        "",
        f"{summary(sections['front'], 'met')}. Figures: `benchmarks/results/accuracy/<data set>.png`.",
        "",
        *markdown(sections["front"], {"Δ": "+.4f"}),
        "",
        "## Notes (fits that failed or ran out of time)",
        "",
        *[f"- {res['name']}: {note}" for res in results for note in res["notes"]],
        *([f"- not computed yet: {', '.join(missing)}"] if missing else []),
        "",
    ]
    (RESULTS / "accuracy.md").write_text("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,500 rows a data set, fewer budgets")
    parser.add_argument("--datasets", nargs="*", help="data sets to (re)compute; default: those without points")
    parser.add_argument("--limit", type=float, default=900.0, help="seconds allowed to one EBM fit")
    parser.add_argument("--families", nargs="*", choices=sorted(GROUPS),
                        help="refit only these glassbox families and their peers, keeping the other points")
    parser.add_argument("--fresh", action="store_true", help="recompute every data set")
    parser.add_argument("--report", action="store_true", help="only rebuild the table and figures from the points")
    args = parser.parse_args(argv)
    POINTS.mkdir(parents=True, exist_ok=True)
    specs = [s for s in DATASETS.values() if s.use in ("tests", "bench")]
    for spec in specs:
        path = POINTS / f"{spec.name}.json"
        wanted = args.fresh or (spec.name in args.datasets if args.datasets else not path.exists())
        if args.families and not args.datasets:
            wanted = path.exists()  # every data set already computed
        if args.datasets and spec.name not in args.datasets:
            wanted = False
        if not wanted or args.report:
            continue
        print(f"{spec.name} ...", file=sys.stderr, flush=True)
        families = {f for name in args.families for f in GROUPS[name]} if args.families else None
        result = bench_dataset(spec, quick=args.quick, limit=args.limit, families=families)
        if families is not None and path.exists():  # the other families' points stay as they were
            kept = json.loads(path.read_text())
            notes = [n for n in kept["notes"] if not any(f" {f} " in n for f in families)]
            kept["points"] = [p for p in kept["points"] if p["family"] not in families] + result["points"]
            kept["notes"] = notes + result["notes"]
            result = kept
        path.write_text(json.dumps(result, indent=1))
    results = [json.loads((POINTS / f"{s.name}.json").read_text()) for s in specs
               if (POINTS / f"{s.name}.json").exists()]
    missing = [s.name for s in specs if not (POINTS / f"{s.name}.json").exists()]
    for result in results:
        figure(result)
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/accuracy.py" + (" --quick" if args.quick else "")
    write_report(results, command, missing)
    if missing:
        print(f"not yet computed: {', '.join(missing)}", file=sys.stderr)


if __name__ == "__main__":
    main()
