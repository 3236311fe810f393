"""AdditiveClassifier / AdditiveRegressor against interpret's EBM and HistGradientBoosting.

Every data set of the project's list with a target (``tests`` and ``bench`` in
``benchmarks/_data.py``) is split once: at most 10,000 training rows, the rest held out.
Side by side in one run, on that split:

- glassbox and EBM without pairs (``interactions=0``), each with seeds 0, 1 and 2: the
  score is the mean over the seeds and the seed spread their standard deviation;
- glassbox with its default pairs (``interactions=10``) and EBM asked for as many
  (``interactions=10``), seed 0 (``--pair-seeds 3``: seeds 0, 1, 2); where a model keeps
  fewer, the table says how many;
- scikit-learn's ``HistGradientBoosting`` with defaults, the black-box reference.

Scores are ROC AUC (binary; one-against-rest macro average for several classes) or R² on
the held-out rows. Fit times are medians over the seeds, glassbox and EBM alternating, each
on one thread (glassbox ``n_jobs=1``; EBM ``n_jobs=1``, which is what its default ``-2``
gives on a 2-core machine). Every EBM fit runs in a child process with a time limit.
All models receive the raw table (categories as strings, missing values as NaN);
HistGradientBoosting gets ``categorical_features="from_dtype"`` after the string columns
are made pandas categories.

The goal: AUC within 0.003 of EBM's (R² within 0.005) at the same number of pairs, a fit at
least 5x faster, and a seed spread comparable to EBM's.

Run:  .venv/bin/python benchmarks/additive.py          (every data set, three seeds)
      .venv/bin/python benchmarks/additive.py --quick  (one seed, no pair models, at most
                                                         2,000 training rows)
      .venv/bin/python benchmarks/additive.py --no-pairs  (three seeds, only the models without pairs)
      .venv/bin/python benchmarks/additive.py --only-pairs --pair-seeds 2  (only the models with pairs)
      .venv/bin/python benchmarks/additive.py --datasets iris wine --save part1.json
      .venv/bin/python benchmarks/additive.py --merge part1.json part2.json
                                             (data sets in several processes, one table)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _data import DATASETS, load, split  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.metrics import r2_score, roc_auc_score  # noqa: E402

from glassbox.models import AdditiveClassifier, AdditiveRegressor  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "additive.md"
GOAL_SCORE = {"binary": 0.003, "multiclass": 0.003, "regression": 0.005}  # AUC / R² gap to EBM allowed
GOAL_SPEEDUP = 5.0
SEEDS = (0, 1, 2)
PAIRS = 10  # glassbox's default


# -- models -------------------------------------------------------------------------
def glassbox(task, pairs, seed):
    cls = AdditiveRegressor if task == "regression" else AdditiveClassifier
    return cls(interactions=pairs, n_jobs=1, random_state=seed)


def ebm(task, pairs, seed):
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor

    cls = ExplainableBoostingRegressor if task == "regression" else ExplainableBoostingClassifier
    return cls(interactions=pairs, n_jobs=1, random_state=seed)


def hgb(task, pairs, seed):
    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return cls(categorical_features="from_dtype", random_state=seed)


def n_terms(model):
    if hasattr(model, "complexity_"):
        return int(model.complexity_)
    if hasattr(model, "term_features_"):
        return len(model.term_features_)
    return None


def score(task, model, X, y):
    if task == "regression":
        return r2_score(y, model.predict(X))
    proba = model.predict_proba(X)
    if task == "binary":
        return roc_auc_score(y, proba[:, 1])
    return roc_auc_score(y, proba, multi_class="ovr", labels=model.classes_)


def as_categories(X):
    X = X.copy()
    for column in X.columns:
        if not (pd.api.types.is_numeric_dtype(X[column]) or isinstance(X[column].dtype, pd.CategoricalDtype)):
            X[column] = X[column].astype("category")  # object and string columns alike
    return X


def fit_and_score(make, task, pairs, seed, data):
    """Fit time, score and number of terms of one fit."""
    X_train, X_test, y_train, y_test = data
    model = make(task, pairs, seed)
    if make is hgb:
        X_train, X_test = as_categories(X_train), as_categories(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        return seconds, score(task, model, X_test, y_test), n_terms(model)


def _child(connection, *args):
    try:
        connection.send(("ok", fit_and_score(*args)))
    except Exception as exc:  # report any failure of a peer instead of crashing the run
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    connection.close()


def fit_with_limit(limit, *args):
    """``fit_and_score`` in a child process; None when it runs past ``limit`` seconds."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, *args))
    process.start()
    child.close()
    if parent.poll(limit):
        status, result = parent.recv()
        process.join()
        if status == "error":
            raise RuntimeError(result)
        return result
    process.kill()
    process.join()
    return None


# -- running ------------------------------------------------------------------------
class Cell:
    """Scores, times and terms of one model over its seeds."""

    def __init__(self):
        self.scores, self.times, self.terms, self.timed_out = [], [], None, False

    def add(self, result):
        if result is None:
            self.timed_out = True
            return
        seconds, value, terms = result
        self.times.append(seconds)
        self.scores.append(value)
        self.terms = terms

    def to_dict(self):
        return dict(vars(self))

    @classmethod
    def from_dict(cls, values):
        cell = cls()
        vars(cell).update(values)
        return cell

    @property
    def ok(self):
        return bool(self.scores) and not self.timed_out

    @property
    def score(self):
        return float(np.mean(self.scores))

    @property
    def spread(self):
        return float(np.std(self.scores)) if len(self.scores) > 1 else None

    @property
    def seconds(self):
        return float(np.median(self.times))


def run_dataset(name, quick, limit, max_train, pairs=True, pair_seeds=1, only_pairs=False):
    spec = DATASETS[name]
    X, y = load(name)
    data = split(X, y, spec.task, max_train=max_train)
    task, n_features = spec.task, X.shape[1]
    seeds = SEEDS[:1] if quick else SEEDS
    cells = {key: Cell() for key in ("glassbox 0", "EBM 0", "glassbox pairs", "EBM pairs", "HGB")}
    for seed in () if only_pairs else seeds:  # glassbox and EBM alternate
        cells["glassbox 0"].add(fit_and_score(glassbox, task, 0, seed, data))
        cells["EBM 0"].add(fit_with_limit(limit, ebm, task, 0, seed, data))
    if pairs and not quick:
        for seed in SEEDS[:pair_seeds]:
            cells["glassbox pairs"].add(fit_and_score(glassbox, task, PAIRS, seed, data))
            cells["EBM pairs"].add(fit_with_limit(limit, ebm, task, PAIRS, seed, data))
    if not only_pairs:
        cells["HGB"].add(fit_and_score(hgb, task, 0, 0, data))
    return {"name": name, "task": task, "n_train": len(data[0]), "n_test": len(data[1]),
            "n_features": n_features, "cells": cells}


# -- report -------------------------------------------------------------------------
def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def verdicts(result):
    """(label, gap, speed-up, goal met) of every glassbox/EBM couple of a data set."""
    cells, task = result["cells"], result["task"]
    out = []
    for ours, peer in (("glassbox 0", "EBM 0"), ("glassbox pairs", "EBM pairs")):
        a, b = cells[ours], cells[peer]
        if not a.ok:
            continue
        if not b.ok:
            out.append((ours, None, None, f"EBM over the {LIMIT[0]:.0f} s limit" if b.timed_out else "—"))
            continue
        gap = b.score - a.score
        speedup = b.seconds / a.seconds
        met = gap <= GOAL_SCORE[task] and speedup >= GOAL_SPEEDUP
        out.append((ours, gap, speedup, "met" if met else "not met"))
    return out


LIMIT = [300.0]


def header(title, command, load):
    """The first lines of a report: title, command, and the machine's load at start and end."""
    return [f"# {title}", "", f"Command: `{command}`", "",
            f"Machine: {os.cpu_count()} cores shared with other work; load average {load[0]:.1f} at the start and "
            f"{load[1]:.1f} at the end of the run.", ""]


def markdown(results, command, quick, load, pairs=True):
    metric = {"binary": "AUC", "multiclass": "AUC (ovr)", "regression": "R²"}
    n_zero = max(len(r["cells"]["glassbox 0"].scores) for r in results)
    counts = {len(r["cells"]["glassbox pairs"].scores) for r in results} - {0} or {1}
    n_pairs = max(counts)
    pair_seeds = ", ".join(map(str, SEEDS[:n_pairs]))
    if len(counts) > 1:  # some data sets were run on more seeds than others
        pair_seeds = f"{pair_seeds} where a seed spread is shown, seed 0 elsewhere"
    if quick:
        runs = "One seed, no pair models (quick). "
    else:
        runs = ("Without pairs: mean and standard deviation (seed spread) over seeds 0, 1, 2" if n_zero else
                "The models without pairs were not run (`--only-pairs`)")
        runs += (f"; with pairs: seed{'s' if n_pairs > 1 else ''} {pair_seeds}, both asked for {PAIRS} pairs "
                 "(glassbox's default). " if pairs else "; the models with pairs were not run (`--no-pairs`). ")
    lines = [
        *header("Additive models: glassbox against interpret's EBM and HistGradientBoosting", command, load),
        "Every data set of `benchmarks/_data.py` with a target (`tests` and `bench`); at most "
        f"{2_000 if quick else 10_000:,} training rows, the rest held out. Score on the held-out rows "
        "(AUC, one-against-rest macro for several classes; R²). " + runs
        + "Fit time: median over the seeds, one thread each. Terms: main terms + pairs.",
        "",
        "| data set | task | train / test | model | score | seed spread | fit (s) | terms |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    labels = {"glassbox 0": "glassbox, 0 pairs", "EBM 0": "EBM, 0 pairs", "glassbox pairs": f"glassbox, {PAIRS} pairs",
              "EBM pairs": f"EBM, {PAIRS} pairs", "HGB": "HistGradientBoosting"}
    for result in results:
        first = True
        for key, cell in result["cells"].items():
            if not cell.scores and not cell.timed_out:
                continue
            head = (f"{result['name']} | {metric[result['task']]} | {result['n_train']:,} / {result['n_test']:,}"
                    if first else " | | ")
            first = False
            if cell.timed_out:
                lines.append(f"| {head} | {labels[key]} | — | — | > {LIMIT[0]:.0f} | — |")
                continue
            lines.append(f"| {head} | {labels[key]} | {cell.score:.4f} | {fmt(cell.spread, '.4f')} | "
                         f"{cell.seconds:.2f} | {fmt(cell.terms, 'd')} |")
    lines += [
        "",
        "## Goal: score within 0.003 AUC (0.005 R²) of EBM's at the same pairs, fit at least 5x faster",
        "",
        "| data set | terms (glassbox / EBM) | score gap (EBM − glassbox) | allowed | speed-up | "
        "seed spread glassbox / EBM | goal |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    met = total = 0
    for result in results:
        cells = result["cells"]
        for ours, gap, speedup, verdict in verdicts(result):
            peer = cells["EBM 0" if ours == "glassbox 0" else "EBM pairs"]
            spread = f"{fmt(cells[ours].spread, '.4f')} / {fmt(peer.spread, '.4f')}"
            terms = f"{fmt(cells[ours].terms, 'd')} / {fmt(peer.terms, 'd')}"
            lines.append(f"| {result['name']} | {terms} | {fmt(gap, '+.4f')} | {GOAL_SCORE[result['task']]} | "
                         f"{fmt(speedup, '.1f')}x | {spread} | {verdict} |")
            total += 1
            met += verdict == "met"
    spreads = [(r["cells"]["glassbox 0"].spread, r["cells"]["EBM 0"].spread) for r in results]
    spreads = [(a, b) for a, b in spreads if a is not None and b is not None]
    lines += ["", f"Goal met on {met} of {total} comparisons."]
    if spreads:
        ours, theirs = np.array(spreads).T
        lines.append(f"Seed spread without pairs, median over data sets: glassbox {np.median(ours):.4f}, "
                     f"EBM {np.median(theirs):.4f}; largest: glassbox {ours.max():.4f}, EBM {theirs.max():.4f}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, no pair models, 2,000 training rows")
    parser.add_argument("--no-pairs", action="store_true", help="only the models without pairs")
    parser.add_argument("--only-pairs", action="store_true", help="only the models with pairs")
    parser.add_argument("--pair-seeds", type=int, default=1, choices=(1, 2, 3),
                        help="seeds of the models with pairs (0, then 1, then 2)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds before an EBM fit is stopped (default 600, quick 120)")
    names = [name for name, spec in DATASETS.items() if spec.use in ("tests", "bench")]
    parser.add_argument("--datasets", nargs="*", default=names, choices=names, metavar="NAME",
                        help="data sets (default: every one with a target)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--save", type=Path, default=None, help="also write the raw results to this JSON file")
    parser.add_argument("--merge", nargs="*", type=Path, default=None,
                        help="only write the table of the results saved by earlier runs")
    args = parser.parse_args(argv)
    LIMIT[0] = args.time_limit or (120.0 if args.quick else 600.0)
    max_train = 2_000 if args.quick else 10_000
    command = ".venv/bin/python benchmarks/additive.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.merge:
        saved = [json.loads(path.read_text()) for path in args.merge]
        results = [_result_from_dict(r) for part in saved for r in part["results"]]
        order = {name: i for i, name in enumerate(names)}
        results.sort(key=lambda r: order[r["name"]])
        commands = "`, `".join(part["command"] for part in saved)
        loads = (min(part["load"][0] for part in saved), max(part["load"][1] for part in saved))
        text = markdown(results, commands, saved[0]["quick"], loads, saved[0].get("pairs", True))
    else:
        results = []
        load_at_start = os.getloadavg()[0]
        for name in args.datasets:
            result = run_dataset(name, args.quick, LIMIT[0], max_train, pairs=not args.no_pairs,
                                 pair_seeds=args.pair_seeds, only_pairs=args.only_pairs)
            for key, cell in result["cells"].items():
                if cell.ok:
                    print(f"{name:16s} {key:15s} score {cell.score:.4f} spread {fmt(cell.spread, '.4f')} "
                          f"fit {cell.seconds:.2f}s terms {cell.terms}", flush=True)
            results.append(result)
            load = (load_at_start, os.getloadavg()[0])
            if args.save:  # after every data set, so that a failure keeps what was measured
                raw = [{**r, "cells": {k: c.to_dict() for k, c in r["cells"].items()}} for r in results]
                args.save.write_text(json.dumps({"command": command.strip(), "quick": args.quick,
                                                 "pairs": not args.no_pairs, "load": load, "results": raw}))
        load = (load_at_start, os.getloadavg()[0])
        text = markdown(results, command.strip(), args.quick, load, not args.no_pairs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


def _result_from_dict(result):
    return {**result, "cells": {k: Cell.from_dict(c) for k, c in result["cells"].items()}}


if __name__ == "__main__":
    main()
