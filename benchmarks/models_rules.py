"""RuleListClassifier against imodels' rule lists, FIGS and CART at equal numbers of conditions.

On every binary data set of ``benchmarks/_data.py`` (the ``tests`` and ``bench`` ones), with
the fixed split of ``_data.split`` (at most 10,000 training rows, the rest held out,
stratified, seed 0), every model is fitted on the training rows and scored by ROC AUC on
the held-out rows. Complexity is counted the same way for all: the conditions (splits) a
reader must read. glassbox's rule list runs with its defaults (at most 8 rules of at most
2 conditions); CART (``max_leaf_nodes``) and FIGS (``max_rules``) get exactly as many
splits as it used, imodels' greedy rule list and OneR as many splits at most,
BayesianRuleList as many rules of at most 2 conditions. The rule list reads the columns
as they are (categories, missing values); the peers get one-hot categories and
median-imputed numbers with missing-value indicators (BayesianRuleList, which needs
binary features, gets quartile indicators instead).

The speed section fits the rule list and imodels' greedy rule list on the same input,
alternating, one thread: the raw columns and their one-hot encoding (lending_club one-hot
is the ~100-column, 10,000-row case; HI has 22,272 rows). The floor is encoding and
binning the input once (``validate_X`` and the candidate conditions), which every fit
does; peak memory is traced (tracemalloc) over one fit.

Fit times are medians over repeats, glassbox and peer fits alternating, one thread.
BayesianRuleList runs in a child process stopped after ``--brl-limit`` seconds.

Run:  .venv/bin/python benchmarks/models_rules.py [--quick]
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _common import numeric_design  # noqa: E402
from _data import load, split  # noqa: E402

from glassbox import complexity  # noqa: E402
from glassbox._core import validate_X  # noqa: E402
from glassbox.models import RuleListClassifier  # noqa: E402
from glassbox.models._rule_search import _CandidateSpace  # noqa: E402

warnings.filterwarnings("ignore")
RESULTS = Path(__file__).parent / "results" / "models_rules.md"
IMODELS_RULE_LISTS = ("GreedyRuleList", "OneR", "BayesianRuleList", "CORELS")


# -- data -----------------------------------------------------------------------------
def load_datasets():
    from _data import DATASETS, load

    for spec in DATASETS.values():
        if spec.task == "binary" and spec.use in ("tests", "bench"):
            X, y = load(spec.name)
            yield spec.name, X, y.to_numpy()


def synthetic(n_samples):
    X, y = make_classification(n_samples, 20, n_informative=6, n_redundant=4, random_state=0)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(20)]), y


def dummies(frame, columns, dtype):
    if not columns:
        return pd.DataFrame(index=frame.index)
    return pd.get_dummies(frame[columns].astype(object), dummy_na=True, dtype=dtype)


def binary_design(train, test):
    """Quartile indicators of numbers and one-hot categories (for BayesianRuleList)."""
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    columns_train, columns_test = [], []
    for c in numeric:
        cuts = np.unique(np.nanquantile(train[c].to_numpy(dtype=float), [0.25, 0.5, 0.75]))
        for t in cuts:
            columns_train.append((train[c] > t).to_numpy(int))
            columns_test.append((test[c] > t).to_numpy(int))
    categorical = [c for c in train.columns if c not in numeric]
    dummies_train = dummies(train, categorical, int)
    dummies_test = dummies(test, categorical, int).reindex(columns=dummies_train.columns, fill_value=0)
    design_train = np.column_stack(columns_train + [dummies_train.to_numpy()])
    design_test = np.column_stack(columns_test + [dummies_test.to_numpy()])
    keep = design_train.min(axis=0) != design_train.max(axis=0)
    return design_train[:, keep], design_test[:, keep]


# -- models ---------------------------------------------------------------------------
def timed_fit(make, X, y):
    start = time.perf_counter()
    model = make().fit(X, y)
    return model, time.perf_counter() - start


def conditions_of_imodels_list(model):
    """Splits of imodels' greedy rule list and OneR (the final leaf has none)."""
    return sum("col" in rule for rule in model.rules_)


def brl_worker(queue, X_train, y_train, X_test, n_rules):
    from imodels import BayesianRuleListClassifier

    start = time.perf_counter()
    model = BayesianRuleListClassifier(
        listlengthprior=max(n_rules, 1), maxcardinality=2, max_iter=10_000, n_chains=3, random_state=0
    ).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    rules = [model.itemsets[j] for j in model.d_star if model.itemsets[j] != "null"]
    queue.put((model.predict_proba(X_test)[:, 1], seconds, sum(len(rule) for rule in rules)))


def run_brl(train, test, y_train, n_rules, limit):
    """BayesianRuleList in a child process, stopped after ``limit`` seconds."""
    X_train, X_test = binary_design(train, test)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=brl_worker, args=(queue, X_train, y_train, X_test, n_rules))
    process.start()
    try:
        proba, seconds, n_conditions = queue.get(timeout=limit)
    except Exception:  # queue.Empty after the time limit, or a failure in the child
        process.terminate()
        process.join()
        return None
    process.join()
    return proba, seconds, n_conditions


def corels_status():
    try:
        import corels  # noqa: F401
    except ImportError:
        return "not installed: `pip install corels` fails to build here (its setup script breaks on current numpy)"
    return None


# -- benchmark ------------------------------------------------------------------------
def bench_dataset(name, X, y, *, repeats, brl_limit):
    from imodels import FIGSClassifier, GreedyRuleListClassifier, OneRClassifier

    train, test, y_train, y_test = split(X, y, "binary")
    design_train, design_test = numeric_design(train, test)
    ours = RuleListClassifier().fit(train, y_train)  # its complexity sets the peers' budgets
    budget, n_rules = ours.complexity_, len(ours.rules_)
    makers = {
        "glassbox RuleList": (lambda: RuleListClassifier(), train, test),
        "CART": (lambda: DecisionTreeClassifier(max_leaf_nodes=budget + 1, random_state=0), design_train, design_test),
        "FIGS": (lambda: FIGSClassifier(max_rules=budget, random_state=0), design_train, design_test),
        "GreedyRuleList": (lambda: GreedyRuleListClassifier(max_depth=budget), design_train, design_test),
        "OneR": (lambda: OneRClassifier(max_depth=budget), design_train, design_test),
    }
    times = {key: [] for key in makers}
    fitted = {}
    for _ in range(repeats):
        for key in makers:  # glassbox first in every round: its runs alternate with the peers'
            make, fit_rows, _test_rows = makers[key]
            fitted[key], seconds = timed_fit(make, fit_rows, y_train)
            times[key].append(seconds)
    rows = []
    for key, (_, _, test_rows) in makers.items():
        model = fitted[key]
        if key in ("GreedyRuleList", "OneR"):
            n_conditions = conditions_of_imodels_list(model)
        else:
            n_conditions = complexity(model)
        auc = roc_auc_score(y_test, model.predict_proba(test_rows)[:, 1])
        rows.append({"dataset": name, "model": key, "auc": auc, "conditions": n_conditions,
                     "fit_s": float(np.median(times[key]))})
    brl = run_brl(train, test, y_train, n_rules, brl_limit)
    if brl is None:
        rows.append({"dataset": name, "model": "BayesianRuleList", "auc": np.nan, "conditions": np.nan,
                     "fit_s": np.nan, "note": f"did not finish in {brl_limit:.0f} s"})
    else:
        proba, seconds, n_conditions = brl
        rows.append({"dataset": name, "model": "BayesianRuleList", "auc": roc_auc_score(y_test, proba),
                     "conditions": n_conditions, "fit_s": seconds, "note": "one run"})
    status = corels_status()
    if status:
        rows.append({"dataset": name, "model": "CORELS", "auc": np.nan, "conditions": np.nan, "fit_s": np.nan,
                     "note": status})
    return rows


# -- several splits -------------------------------------------------------------------
def split_means(name, X, y, n_splits):
    """The rule list, CART at its number of conditions and imodels' greedy list on
    ``n_splits`` splits of ``_data.split`` (seeds 0, 1, ...): ROC AUC of each."""
    from imodels import GreedyRuleListClassifier

    rows = []
    for seed in range(n_splits):
        train, test, y_train, y_test = split(X, pd.Series(y), "binary", random_state=seed)
        design_train, design_test = numeric_design(train, test)
        ours = RuleListClassifier().fit(train, y_train.to_numpy())
        cart = DecisionTreeClassifier(max_leaf_nodes=ours.complexity_ + 1, random_state=0).fit(design_train, y_train)
        greedy = GreedyRuleListClassifier(max_depth=16).fit(design_train, y_train.to_numpy())
        rows.append([roc_auc_score(y_test, ours.predict_proba(test)[:, 1]),
                     roc_auc_score(y_test, cart.predict_proba(design_test)[:, 1]),
                     roc_auc_score(y_test, greedy.predict_proba(design_test)[:, 1]), ours.complexity_])
    auc = np.asarray(rows)
    return {"dataset": name, "ours": auc[:, 0].mean(), "cart": auc[:, 1].mean(), "greedy": auc[:, 2].mean(),
            "diff_cart": (auc[:, 0] - auc[:, 1]).mean(), "sd_cart": (auc[:, 0] - auc[:, 1]).std(ddof=1),
            "diff_greedy": (auc[:, 0] - auc[:, 2]).mean(), "conditions": auc[:, 3].mean(), "n": n_splits}


def splits_markdown(split_rows):
    n = split_rows[0]["n"]
    lines = [
        f"## Mean over {n} splits",
        "",
        f"The same comparison on {n} splits of `_data.split` (seeds 0 to {n - 1}): mean ROC AUC, and the",
        "mean and standard deviation of the difference from CART at the rule list's number of",
        "conditions. One split's held-out rows are few on the small and imbalanced sets",
        "(lending_club: about 120 positives), so single-split differences of 0.01 are within noise.",
        "",
        "| data set | glassbox | CART | AUC - CART (sd) | within 0.01 of CART | imodels greedy list | AUC - greedy | "
        "conditions |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in split_rows:
        lines.append(f"| {r['dataset']} | {r['ours']:.4f} | {r['cart']:.4f} | {r['diff_cart']:+.4f} ({r['sd_cart']:.4f}) | "
                     f"{'yes' if r['diff_cart'] >= -0.01 else 'no'} | {r['greedy']:.4f} | {r['diff_greedy']:+.4f} | "
                     f"{r['conditions']:.1f} |")
    return lines


# -- speed ----------------------------------------------------------------------------
SPEED_CASES = (("HI", False), ("HI", True), ("lending_club", False), ("lending_club", True))


def floor_fit(X):
    """The work every fit does first: encoding the input and binning it into conditions."""
    holder = RuleListClassifier()
    X_encoded = validate_X(holder, X, reset=True)
    _CandidateSpace.build(X_encoded, np.ones(len(X_encoded), dtype=bool), holder._feature_schema,
                          max_bins=holder.max_bins)


def peak_mib(fit):
    import tracemalloc

    tracemalloc.start()
    fit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def speed_case(name, one_hot, repeats):
    """Fit times (all rows) of the rule list, imodels' greedy list and the floor, alternating."""
    from imodels import GreedyRuleListClassifier

    X, y = load(name)
    y = y.to_numpy()
    design = pd.DataFrame(numeric_design(X, X)[0])  # one-hot, as the peer needs
    ours_input = design if one_hot else X
    fits = {
        "glassbox RuleList": lambda: RuleListClassifier().fit(ours_input, y),
        "imodels GreedyRuleList (one-hot)": lambda: GreedyRuleListClassifier(max_depth=16).fit(design.to_numpy(), y),
        "floor (encode + bin)": lambda: floor_fit(ours_input),
    }
    times = {key: [] for key in fits}
    cpu_times = {key: [] for key in fits}
    for _ in range(repeats):
        for key, fit in fits.items():
            start, cpu = time.perf_counter(), time.process_time()
            fit()
            times[key].append(time.perf_counter() - start)
            cpu_times[key].append(time.process_time() - cpu)
    shape = f"{ours_input.shape[0]} x {ours_input.shape[1]}"
    return [{"dataset": name, "input": "one-hot" if one_hot else "raw", "shape": shape, "model": key,
             "median_s": float(np.median(t)), "min_s": float(np.min(t)), "max_s": float(np.max(t)),
             "cpu_s": float(np.median(cpu_times[key])), "peak_mib": peak_mib(fits[key])}
            for key, t in times.items()]


def speed_goal(n_samples, repeats):
    """Wall and CPU time of a default fit on n_samples x 20 rows (all of them)."""
    X, y = synthetic(n_samples)
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        RuleListClassifier().fit(X, y)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return float(np.median(walls)), float(np.median(cpus))


def speed_markdown(speed_rows, repeats):
    lines = [
        "## Speed on raw and one-hot input",
        "",
        f"All rows, one thread, {repeats} alternating repeats: median wall-clock seconds and [min, max],",
        "median CPU seconds of the process (wall time counts the waits of a shared machine);",
        "peak memory traced over one more fit. *vs glassbox*: time / glassbox's time. imodels' greedy",
        "list always gets the one-hot columns (it cannot read categories); on one-hot input both",
        "read the same table. The floor is encoding and binning the input, which every fit does.",
        "",
        "| data set | input | shape | model | fit (s) | [min, max] | CPU (s) | vs glassbox (CPU) | peak MiB |",
        "|---|---|---|---|---:|---|---:|---:|---:|",
    ]
    for row in speed_rows:
        base = next(r for r in speed_rows if r["dataset"] == row["dataset"] and r["input"] == row["input"]
                    and r["model"] == "glassbox RuleList")
        lines.append(f"| {row['dataset']} | {row['input']} | {row['shape']} | {row['model']} | "
                     f"{row['median_s']:.3f} | [{row['min_s']:.3f}, {row['max_s']:.3f}] | {row['cpu_s']:.3f} | "
                     f"{row['cpu_s'] / base['cpu_s']:.2f} | {row['peak_mib']:.0f} |")
    return lines


def markdown(rows, speed, n_speed, speed_rows, repeats, split_rows, command):
    table = pd.DataFrame(rows)
    ours = table[table.model == "glassbox RuleList"].set_index("dataset")
    lines = [
        "# RuleListClassifier against imodels' rule lists, FIGS and CART",
        "",
        f"Produced by `{command}` ({time.strftime('%Y-%m-%d')}, one thread, 2-core machine shared with other jobs).",
        "",
        "ROC AUC on the held-out rows of `_data.split` (at most 10,000 training rows, stratified, seed 0).",
        "*conditions*: the conditions (splits) a",
        "reader must read. CART and FIGS get exactly the glassbox list's number of conditions; imodels'",
        "greedy list and OneR at most that many; BayesianRuleList as many rules of at most 2 conditions.",
        "Fit time: median wall-clock seconds over alternating repeats; *time ratio* = peer / glassbox.",
        "",
        "| data set | model | ROC AUC | AUC - glassbox | conditions | fit (s) | time ratio | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        base = ours.loc[row["dataset"]]
        auc = "n/a" if np.isnan(row["auc"]) else f"{row['auc']:.3f}"
        delta = "" if np.isnan(row["auc"]) or row["model"].startswith("glassbox") else f"{row['auc'] - base.auc:+.3f}"
        conditions = "n/a" if np.isnan(row["conditions"]) else f"{int(row['conditions'])}"
        fit = "n/a" if np.isnan(row["fit_s"]) else f"{row['fit_s']:.3f}"
        ratio = "" if np.isnan(row["fit_s"]) or row["model"].startswith("glassbox") else f"{row['fit_s'] / base.fit_s:.2f}"
        note = row.get("note", "") if isinstance(row.get("note", ""), str) else ""
        lines.append(f"| {row['dataset']} | {row['model']} | {auc} | {delta} | {conditions} | {fit} | {ratio} | {note} |")
    lines += ["", "## Goals", "", "| data set | goal | glassbox | reference | met |", "|---|---|---:|---:|---|"]
    for dataset, group in table.groupby("dataset", sort=False):
        ours_auc = ours.loc[dataset].auc
        lists = group[group.model.isin(IMODELS_RULE_LISTS)].auc.dropna()
        best_list = lists.max()
        lines.append(f"| {dataset} | AUC >= best imodels rule list | {ours_auc:.3f} | {best_list:.3f} | "
                     f"{'yes' if ours_auc >= best_list else 'no'} |")
        for peer in ("FIGS", "CART"):
            reference = group[group.model == peer].auc.iloc[0]
            lines.append(f"| {dataset} | AUC within 0.01 of {peer} at equal conditions | {ours_auc:.3f} | "
                         f"{reference:.3f} | {'yes' if ours_auc >= reference - 0.01 else 'no'} |")
    wall, cpu = speed
    lines.append(f"| synthetic {n_speed // 1000}k x 20 (all rows) | fit under 2 s | {wall:.2f} s wall "
                 f"({cpu:.2f} s CPU) | 2 s | {'yes' if wall < 2 else 'no'} |")
    for row in speed_rows:
        if row["model"] == "glassbox RuleList":
            lines.append(f"| {row['dataset']} {row['input']} ({row['shape']}, all rows) | fit under 2 s | "
                         f"{row['median_s']:.2f} s wall [{row['min_s']:.2f}, {row['max_s']:.2f}] "
                         f"({row['cpu_s']:.2f} s CPU) | 2 s | {'yes' if row['median_s'] < 2 else 'no'} |")
    lines += ["", *splits_markdown(split_rows), "", *speed_markdown(speed_rows, repeats)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k synthetic rows, one repeat")
    parser.add_argument("--brl-limit", type=float, default=None, help="seconds before BayesianRuleList is stopped")
    parser.add_argument("--only", nargs="*", help="data sets of the accuracy table (default: every binary one)")
    args = parser.parse_args(argv)
    n_synthetic = 5_000 if args.quick else 20_000
    repeats = 1 if args.quick else 3
    speed_repeats = 1 if args.quick else 5
    brl_limit = args.brl_limit or 20.0
    rows, split_rows = [], []
    for name, X, y in load_datasets():
        if args.only and name not in args.only:
            continue
        print(f"{name}: {X.shape[0]} rows x {X.shape[1]} columns", file=sys.stderr, flush=True)
        rows += bench_dataset(name, X, y, repeats=repeats, brl_limit=brl_limit)
        split_rows.append(split_means(name, X, y, n_splits=2 if args.quick else 5))
    speed = speed_goal(n_synthetic, repeats=repeats)
    speed_rows = []
    for name, one_hot in SPEED_CASES:
        print(f"speed: {name} {'one-hot' if one_hot else 'raw'}", file=sys.stderr, flush=True)
        speed_rows += speed_case(name, one_hot, repeats=speed_repeats)
    command = ".venv/bin/python benchmarks/models_rules.py" + (" --quick" if args.quick else "")
    text = markdown(rows, speed, n_synthetic, speed_rows, speed_repeats, split_rows, command)
    print(text)
    if not args.quick and not args.only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
