"""Sparse linear models against scikit-learn's L1 models at equal numbers of non-zero coefficients.

On every binary and regression data set of ``benchmarks/_data.py`` (``tests`` and
``bench``) and a 20,000 x 20 synthetic task, with the fixed split of ``_data.split`` (at
most 10,000 training rows, the rest held out, seed 0), two budgets are compared:

- *columns*: ``max_features=k``; the peer gets the number of non-zero coefficients
  glassbox used (a categorical column of many levels counts many);
- *terms*: ``max_features=None, max_terms=k``; the peer gets ``k`` non-zeros.

The peer is ``LogisticRegression(l1_ratio=1, solver='liblinear')`` (classification) or
``Lasso`` (regression) on mean-imputed (with missing indicators), standardised and
one-hot-encoded columns, its ``C`` (``alpha``) bisected to give that number of non-zero
coefficients (or the nearest it reaches). Both are timed on the same training rows
(median of alternating repeats) and scored on the held-out rows by ROC AUC or R^2.

Run:  .venv/bin/python benchmarks/models_linear.py          (full)
      .venv/bin/python benchmarks/models_linear.py --quick  (smaller synthetic task, one repeat)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import Lasso, LogisticRegression  # noqa: E402
from sklearn.metrics import r2_score, roc_auc_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from glassbox.models import SparseLinearClassifier, SparseLinearRegressor  # noqa: E402

BUDGETS = (("columns", 10), ("terms", 3), ("terms", 10), ("terms", 20))
RESULTS = Path(__file__).parent / "results" / "models_linear.md"
sys.path.insert(0, str(Path(__file__).parent))


# -- data ---------------------------------------------------------------------------
def load_datasets(quick):
    from _data import DATASETS, load

    for spec in DATASETS.values():
        if spec.use in ("tests", "bench") and spec.task in ("binary", "regression"):
            X, y = load(spec.name)
            yield spec.name, spec.task, X, y.to_numpy()
    n = 5_000 if quick else 20_000
    X, y = make_classification(n_samples=n, n_features=20, n_informative=8, n_redundant=4, flip_y=0.05,
                               class_sep=0.8, random_state=0)
    yield f"synthetic {n // 1000}k x 20", "binary", pd.DataFrame(X, columns=[f"x{j}" for j in range(20)]), y


# -- the peer -----------------------------------------------------------------------
def encoder():
    numeric = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler())
    categorical = make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                OneHotEncoder(handle_unknown="ignore"))
    return ColumnTransformer([
        ("num", numeric, make_column_selector(dtype_include="number")),
        ("cat", categorical, make_column_selector(dtype_exclude="number")),
    ], sparse_threshold=0)


def l1_model(task, C):
    """The peer at inverse penalty ``C`` (``alpha = 1 / C`` for the Lasso)."""
    if task == "binary":
        return make_pipeline(encoder(), LogisticRegression(l1_ratio=1.0, C=C, solver="liblinear", max_iter=1000))
    return make_pipeline(encoder(), Lasso(alpha=1.0 / C, max_iter=5000))


def nonzeros(pipeline):
    return int(np.count_nonzero(pipeline[-1].coef_))


def match_C(task, X, y, target):
    """Bisect log C until the L1 model has ``target`` non-zero coefficients (or the nearest)."""
    low, high = (-6.0, 3.0) if task == "binary" else (-4.0, 6.0)
    best = None
    for _ in range(30):
        mid = (low + high) / 2
        model = l1_model(task, 10.0**mid).fit(X, y)
        count = nonzeros(model)
        if best is None or abs(count - target) < abs(best[1] - target):
            best = (10.0**mid, count)
        if count == target:
            break
        low, high = (mid, high) if count < target else (low, mid)
    return best[0]


# -- timing -------------------------------------------------------------------------
def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def glassbox_model(task, mode, k):
    estimator = SparseLinearClassifier if task == "binary" else SparseLinearRegressor
    return estimator(max_features=k) if mode == "columns" else estimator(max_features=None, max_terms=k)


def score(task, model, X, y):
    if task == "binary":
        return roc_auc_score(y, model.predict_proba(X)[:, 1])
    return r2_score(y, model.predict(X))


def run(quick, only=None):
    from _data import split

    repeats = 1 if quick else 3
    rows = []
    for name, task, X, y in load_datasets(quick):
        if only and name not in only:
            continue
        X_train, X_test, y_train, y_test = split(X, pd.Series(y), task)
        for mode, k in BUDGETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", (ConvergenceWarning, UserWarning))
                ours = glassbox_model(task, mode, k).fit(X_train, y_train)
                C = match_C(task, X_train, y_train, ours.complexity_)
                times = {"glassbox": [], "sklearn": []}
                for _ in range(repeats):  # alternate the two
                    ours, t = timed_fit(glassbox_model(task, mode, k), X_train, y_train)
                    times["glassbox"].append(t)
                    peer, t = timed_fit(l1_model(task, C), X_train, y_train)
                    times["sklearn"].append(t)
            row = {
                "data set": name,
                "metric": "AUC" if task == "binary" else "R2",
                "budget": f"{'max_features' if mode == 'columns' else 'max_terms'}={k}",
                "glassbox": score(task, ours, X_test, y_test),
                "sklearn L1": score(task, peer, X_test, y_test),
                "nonzero glassbox": ours.complexity_,
                "nonzero sklearn L1": nonzeros(peer),
                "fit s glassbox": float(np.median(times["glassbox"])),
                "fit s sklearn L1": float(np.median(times["sklearn"])),
            }
            row["diff"] = row["glassbox"] - row["sklearn L1"]
            row["time ratio"] = row["fit s glassbox"] / row["fit s sklearn L1"]
            rows.append(row)
            print(
                f"{name:>20} {row['budget']:<16} {row['metric']} {row['glassbox']:.4f} vs {row['sklearn L1']:.4f}  "
                f"nonzero {row['nonzero glassbox']} vs {row['nonzero sklearn L1']}  "
                f"fit {row['fit s glassbox']:.3f}s vs {row['fit s sklearn L1']:.3f}s",
                flush=True,
            )
    return pd.DataFrame(rows)


def to_markdown(table):
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in table.iterrows():
        cells = []
        for c in columns:
            v = row[c]
            if isinstance(v, float):
                cells.append(f"{v:+.4f}" if c == "diff" else f"{v:.2f}" if c == "time ratio"
                             else f"{v:.3f}" if c.startswith("fit") else f"{v:.4f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller synthetic task and one repeat")
    parser.add_argument("--only", nargs="*", help="data sets to run (default: every one)")
    args = parser.parse_args(argv)
    table = run(args.quick, args.only)
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/models_linear.py" + (" --quick" if args.quick else "")
    wins = int((table["diff"] >= -0.005).sum())
    terms = table[table["budget"].str.startswith("max_terms")]
    equal = int((terms["nonzero glassbox"] == terms["nonzero sklearn L1"]).sum())
    bounded = int((terms["nonzero glassbox"] <= terms["budget"].str.split("=").str[1].astype(int)).sum())
    text = "\n".join([
        "# Sparse linear models vs scikit-learn's L1 models at equal non-zero coefficients",
        "",
        f"Produced by `{command}` ({'quick' if args.quick else 'full'} run; "
        f"Python {sys.version.split()[0]}, 1 thread, 2-core machine shared with other jobs).",
        "",
        "Split of `_data.split` (at most 10,000 training rows, the rest held out, seed 0). "
        "`max_features=k`: glassbox's group-lasso path to `k` columns and a lightly ridged refit, the "
        "peer matched to the non-zeros glassbox used. `max_terms=k` (with `max_features=None`): the "
        "lasso path over single terms, the peer matched to `k`. The peer is "
        "`LogisticRegression(l1_ratio=1, solver='liblinear')` or `Lasso` on mean-imputed (with missing "
        "indicators), standardised and one-hot-encoded columns, `C` (`1 / alpha`) bisected to the same "
        "number of non-zero coefficients (or the nearest it reaches). Complexity is counted the same way "
        "for both: non-zero coefficients (a categorical level counts one). Scores: ROC AUC (binary) or R^2 "
        "(regression) on the held-out rows. Fit times are medians of alternating repeats; the glassbox "
        "time includes its path search, the scikit-learn time is one fit at the matched `C` (the search "
        "for that `C` is not counted).",
        "",
        to_markdown(table),
        "",
        f"glassbox scores at least scikit-learn's (within 0.005) in {wins} of {len(table)} settings; "
        f"median difference {table['diff'].median():+.4f}; median fit-time ratio "
        f"{table['time ratio'].median():.1f}x. With `max_terms`, glassbox's non-zeros are within the budget in "
        f"{bounded} of {len(terms)} settings and equal the peer's in {equal} of {len(terms)}.",
        "",
    ])
    if not args.quick and not args.only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
