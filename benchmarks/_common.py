"""What several benchmarks share: the peers' numeric design, scores, the Pareto front."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, r2_score, roc_auc_score

__all__ = ["call_limited", "front", "numeric_design", "scores"]


def numeric_design(train, test):
    """One-hot categories, median-imputed numbers and missing indicators (for the peers)."""
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in train.columns if c not in numeric]
    parts = []
    for frame in (train, test):
        out = frame[numeric].astype(float)
        for c in numeric:
            if train[c].isna().any():
                out[f"{c}_missing"] = frame[c].isna().astype(float)
        out = out.fillna(train[numeric].median())
        dummies = (pd.get_dummies(frame[categorical].astype(object), dummy_na=True, dtype=float)
                   if categorical else pd.DataFrame(index=frame.index))
        parts.append(pd.concat([out, dummies], axis=1))
    design_train = parts[0]
    design_test = parts[1].reindex(columns=design_train.columns, fill_value=0.0)
    keep = design_train.nunique() > 1
    return design_train.loc[:, keep].to_numpy(), design_test.loc[:, keep].to_numpy()


def scores(task, model, X_test, y_test):
    """``(AUC or R², log-loss or NaN)``: macro one-vs-rest AUC for several classes."""
    if task == "regression":
        return r2_score(y_test, model.predict(X_test)), np.nan
    proba = model.predict_proba(X_test)
    labels = np.unique(y_test) if not hasattr(model, "classes_") else model.classes_
    proba = np.clip(proba, 1e-15, 1)
    proba = proba / proba.sum(axis=1, keepdims=True)
    if task == "binary":
        auc = roc_auc_score(y_test, proba[:, 1])
    else:
        auc = roc_auc_score(y_test, proba, multi_class="ovr", labels=labels)
    return auc, log_loss(y_test, proba, labels=labels)


def front(points, score="score"):
    """Non-dominated points (dicts with ``complexity`` and ``score``): least complex first,
    score strictly rising."""
    kept, best = [], -np.inf
    for point in sorted(points, key=lambda p: (p["complexity"], -p[score])):
        if point[score] > best:
            kept.append(point)
            best = point[score]
    return kept


def _worker(queue, function, args):
    try:
        queue.put(function(*args))
    except Exception as error:  # reported in the parent
        queue.put(error)


def call_limited(limit, function, *args):
    """``function(*args)`` in a forked child stopped after ``limit`` seconds (``None`` then)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_worker, args=(queue, function, args))
    process.start()
    try:
        result = queue.get(timeout=limit)
    except Exception:  # queue.Empty: over the limit
        process.terminate()
        process.join()
        return None
    process.join()
    if isinstance(result, Exception):
        raise result
    return result
