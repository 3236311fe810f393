"""The whole story of a data set in one self-contained HTML file.

:func:`build` reads a table as it comes (categorical columns, missing values; identifiers
and dates left out and said), holds a quarter of the rows out, cross-validates
transparent model families and a black box on the rest, and chooses the simplest
transparent model within one standard error of the best transparent one. The page has a
table of contents, a data summary, the model card, the accuracy-complexity front, the
chosen model drawn with its own display beside the black box's score, held-out
performance, scores per cohort, importances, effects and local explanations of the
chosen model, and a surrogate of the black box with its fidelity. Figures are inline SVG
with their text as text; the page needs no network, no server and no JavaScript.
"""

from __future__ import annotations

import datetime
import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .._core import progress_logger
from ..metrics import pareto_front
from . import _explain
from ._page import Section, page
from ._search import Silent, choose, cross_validate_candidates, describe, family, metric_words, refit
from ._table import ReportError, data_summary, load_table, unusable_columns

__all__ = ["Report", "ReportError", "build", "load_table"]

_HOLD_OUT = 0.25


@dataclass(frozen=True)
class Report:
    """What :func:`build` wrote and found.

    Attributes
    ----------
    path : Path
        The HTML file.
    front : DataFrame
        The accuracy-complexity Pareto front of the model search, least complex first,
        with a ``model`` column.
    chosen : estimator
        The simplest transparent model within one standard error of the best
        transparent one, fitted on the rows not held out.
    metric : str
        The cross-validated score (``roc_auc``, ``roc_auc_ovr`` or ``r2``).
    fidelity : float
        Held-out fidelity of the black box's tree surrogate (NaN when the black box
        predicts one class for every row and there is nothing to mimic).
    cv_results : dict
        Every candidate's cross-validated scores and complexity, as
        ``GridSearchCV.cv_results_`` holds them (``params`` with a ``model`` each); the
        black box is the last candidate.
    chosen_index : int
        The chosen candidate's position in ``cv_results``.
    black_box : estimator
        The reference black box, fitted on the rows not held out.
    dropped_columns : dict
        Columns left out of the features, each with the reason.
    slices : DataFrame or None
        Held-out scores per cohort (:func:`glassbox.metrics.sliced_scores`), the largest
        gaps first, when ``slices`` were asked for.
    held_out : ndarray of int
        Positions of the held-out rows among the rows with a target (empty when the
        table is too small to hold any out).
    """

    path: Path
    front: pd.DataFrame
    chosen: Any
    metric: str
    fidelity: float
    cv_results: dict
    chosen_index: int
    black_box: Any
    dropped_columns: dict
    slices: pd.DataFrame | None = None
    held_out: np.ndarray | None = None


def build(
    data: pd.DataFrame | str | PathLike[str],
    target: str,
    *,
    task: Literal["auto", "classification", "regression"] = "auto",
    output: str | PathLike[str] = "report.html",
    cv: int = 5,
    n_local: int = 3,
    random_state: int = 0,
    verbose: bool = False,
    title: str | None = None,
    drop: Sequence[str] = (),
    sep: str | None = None,
    positive_class: Any = None,
    threshold: float | None = None,
    slices: Sequence[str] = (),
    command: str | None = None,
) -> Report:
    """Write the report of ``data`` predicting ``target`` to ``output``.

    Parameters
    ----------
    data : DataFrame or path to a CSV file
        Text columns become categories; missing values stay missing. Rows whose target
        is missing are dropped (and counted in the report); columns with no value at
        all, identifiers (a distinct integer or text on every row) and dates are left
        out with a warning the report repeats.
    target : str
        Name of the column to predict.
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"`` treats a numeric target with more than 10 distinct values as
        regression, anything else as classification.
    output : str or Path, default="report.html"
    cv : int, default=5
        Cross-validation folds of the model search.
    n_local : int, default=3
        Held-out rows whose predictions are explained one by one.
    random_state : int, default=0
    verbose : bool, default=False
        Log progress (the candidate being fitted, the time left) to the ``"glassbox"``
        logger, shown on standard error unless the application configured logging.
    title : str, default=None
    drop : sequence of str, default=()
        Columns to leave out of the features.
    sep : str, default=None
        The CSV delimiter; sniffed by default.
    positive_class : label, default=None
        For a binary target, the class whose probability the report shows; the second
        class in sorted order by default.
    threshold : float, default=None
        For a binary target, the probability of the positive class from which a row is
        given that class in the held-out accuracy, balanced accuracy and confusion
        matrix, and in the captions of the rows explained; 0.5 by default. A target with more classes gives each row its most
        probable class and takes no threshold.
    slices : sequence of str, default=()
        Columns (features or not) whose cohorts are scored on the held-out rows.
    command : str, default=None
        The command that made the report, written in the model card.

    Returns
    -------
    report : Report
    """
    log = progress_logger(verbose) or Silent()
    notes = []  # what the report changed in the data, said again in its summary
    frame = load_table(data, sep=sep)
    if target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:12])) + (" ..." if frame.shape[1] > 12 else "")
        raise ReportError(f"no column {target!r} in the table; its columns are {shown}")
    missing = [str(c) for c in [*drop, *slices] if c not in frame.columns]
    if missing:
        raise ReportError(f"no column {missing[0]!r} in the table (asked for by --drop or --slice)")
    n_unlabelled = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()].reset_index(drop=True)
    y = frame[target]
    cohorts = frame[list(slices)]
    X = frame.drop(columns=[target])
    dropped = {str(c): "asked for (--drop)" for c in drop if c != target}
    dropped.update({c: "no value at all" for c in map(str, X.columns) if X[c].isna().all()})
    dropped.update({c: why for c, why in unusable_columns(X.drop(columns=list(dropped))).items()})
    for name, why in dropped.items():
        if why != "asked for (--drop)":
            notes.append(f"Left out {name!r}: {why}.")
            warnings.warn(notes[-1], UserWarning, stacklevel=2)
    X = X.drop(columns=list(dropped))
    if X.shape[1] == 0:
        raise ReportError("the table has no feature columns besides the target")
    if y.nunique() < 2:
        raise ReportError(f"the target {target!r} has a single value; there is nothing to predict")
    task = _resolve_task(task, y)
    if task == "classification":
        y = y.astype(str) if isinstance(y.dtype, pd.CategoricalDtype) else y
        if y.value_counts().min() < 2:
            raise ReportError(f"a class of {target!r} has a single row; each class needs at least two")
    positive = _positive(y, task, positive_class)
    threshold = _threshold(positive, task, threshold)

    # Hold a quarter out, when the table is large enough for both sides to judge.
    train, test = _hold_out(y, task, random_state)
    X_train, y_train = X.iloc[train], y.iloc[train]
    if task == "classification":
        cv = min(cv, int(y_train.value_counts().min()))

    sections = [_data_section(X, y, task, dropped, n_unlabelled, len(test))]
    metric, results = cross_validate_candidates(X_train, y_train, task, cv, random_state, log)
    index = choose(results, metric)
    black_index = len(results["params"]) - 1
    log.info("fitting the chosen model and the black box")
    chosen = refit(results, index, X_train, y_train)
    reference = refit(results, black_index, X_train, y_train)
    front = pareto_front(results, metric)
    front_table = _front_table(results, front, metric)

    section = Section(f"The chosen model: {describe(chosen)}")
    section.parts.append(f"<p class=\"verdict\">{html.escape(_verdict(results, index, black_index, metric))}</p>")
    _explain.chosen_model(section, chosen, X_train, positive)
    sections.append(section)
    sections.insert(1, _card(task, results, index, black_index, metric, X, command, target))
    sections.append(_explain.front_section(results, index, metric, front_table, cv))

    if len(test):
        log.info("scoring %d held-out rows", len(test))
        sections.append(_explain.held_out(chosen, reference, X.iloc[test], y.iloc[test], task, positive,
                                                  threshold))
    slice_table = None
    if slices:
        log.info("scores per cohort: %s", ", ".join(map(str, slices)))
        rows = test if len(test) else np.arange(len(y))
        section, slice_table = _explain.cohorts(chosen, X.iloc[rows], y.iloc[rows], cohorts.iloc[rows], metric,
                                                random_state, positive)
        sections.append(section)
    log.info("importance, effects and local explanations of the chosen model")
    sections.extend(_explain.global_sections(chosen, X_train, positive))
    local_rows = test if len(test) else np.arange(len(y))
    sections.append(_explain.local_section(chosen, X.iloc[local_rows], y.iloc[local_rows], positive, n_local,
                                           threshold))
    log.info("a surrogate of the black box")
    section, fidelity = _explain.surrogate_section(reference, X_train, task, random_state)
    sections.append(section)

    summary = (
        f"{len(X)} rows, {X.shape[1]} features ({int(sum(_is_categorical(X[c]) for c in X))} categorical), "
        f"{int(X.isna().sum().sum())} missing cells; target {target!r} ({task})"
        + (f"; {n_unlabelled} rows without a target dropped" if n_unlabelled else "")
        + "."
        + "".join(f" {note}" for note in notes)
    )
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(title or f"glassbox report: {target}", summary, sections), encoding="utf-8")
    log.info("wrote %s", path)
    _close_figures()
    return Report(path, front_table, chosen, metric, fidelity, results, index, reference, dropped, slice_table, test)


def _resolve_task(task, y):
    if task not in ("auto", "classification", "regression"):
        raise ReportError(f"task must be auto, classification or regression; got {task!r}")
    if task != "auto":
        if task == "regression" and not pd.api.types.is_numeric_dtype(y.dtype):
            raise ReportError(f"regression needs a numeric target; {y.name!r} holds {y.dtype} values")
        return task
    if pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype) and y.nunique() > 10:
        return "regression"
    return "classification"


def _positive(y, task, positive_class):
    """The class whose probability the report shows (binary), else None."""
    if task != "classification" or y.nunique() != 2:
        if positive_class is not None:
            raise ReportError(f"--positive-class needs a binary target; {y.name!r} has {y.nunique()} values")
        return None
    classes = sorted(y.unique())
    if positive_class is None:
        return classes[1]
    for label in classes:
        if str(label) == str(positive_class):
            return label
    raise ReportError(f"no class {positive_class!r} in {y.name!r}; its classes are "
                      f"{', '.join(map(str, classes))}")


def _threshold(positive, task, threshold):
    """The probability of the positive class from which a binary row is given that class."""
    if threshold is None:
        return 0.5 if positive is not None else None
    if positive is None:
        kind = "a regression" if task == "regression" else "more than two classes"
        raise ReportError(f"--threshold needs a binary target; this one has {kind}, and each row is given its "
                          "most probable class (leave --threshold out)")
    if not 0.0 < float(threshold) < 1.0:
        raise ReportError(f"--threshold is a probability strictly between 0 and 1; got {threshold!r}")
    return float(threshold)


def _hold_out(y, task, random_state):
    """Rows to fit on and rows held out: a quarter held out (stratified by class) when
    there are at least 40 rows and every class has at least 8, none otherwise."""
    rows = np.arange(len(y))
    if len(y) < 40 or (task == "classification" and y.value_counts().min() < 8):
        return rows, rows[:0]
    stratify = y if task == "classification" else None
    train, test = train_test_split(rows, test_size=_HOLD_OUT, stratify=stratify, random_state=random_state)
    return np.sort(train), np.sort(test)


def _front_table(results, front, metric):
    words = metric_words(metric)
    models = [describe(results["params"][i]["model"]) for i in front["candidate"]]
    return pd.DataFrame({
        "model": models,
        "complexity": front["complexity"].to_numpy(),
        f"mean {words}": front[f"mean_{metric}"].to_numpy(),
        f"spread of {words} (sd over folds)": front[f"std_{metric}"].to_numpy(),
    })


def _verdict(results, index, black_index, metric):
    """One sentence: the chosen model's score beside the black box's, and what readability costs."""
    mean = results[f"mean_test_{metric}"]
    words = metric_words(metric)
    gap = round(float(mean[black_index] - mean[index]), 3)
    trade = (f"readability costs {gap:.3f} of {words}" if gap > 0 else
             f"the readable model is {-gap:.3f} of {words} better" if gap < 0 else "readability costs nothing at this precision")
    return (f"{describe(results['params'][index]['model'])} scores {words} {mean[index]:.3f} in cross-validation, "
            f"the black box {describe(results['params'][black_index]['model'])} {mean[black_index]:.3f}: {trade}.")


def _card(task, results, index, black_index, metric, X, command, target):
    """The model card: what was chosen and why, the scores, the limits, how it was made."""
    from .. import __version__

    words = metric_words(metric)
    mean, std = results[f"mean_test_{metric}"], results[f"std_test_{metric}"]
    n_splits = sum(1 for key in results if key.startswith("split") and key.endswith(f"_test_{metric}"))
    transparent = [k for k in range(len(mean)) if k != black_index]
    best = transparent[int(np.nanargmax(mean[transparent]))]
    model = results["params"][index]["model"]
    section = Section("Model card")
    section.items([
        f"Task: {task} of {target!r}.",
        f"Chosen model: {describe(model)} ({family(model)} family, complexity "
        f"{-results['mean_test_complexity'][index]:.0f}).",
        f"Why: the simplest transparent model whose mean {words} is within one standard error of the best "
        f"transparent one, {describe(results['params'][best]['model'])} ({mean[best]:.3f} ± "
        f"{std[best] / np.sqrt(n_splits):.3f}).",
        f"Cross-validated {words} ({n_splits} folds): {mean[index]:.3f}, standard deviation over folds "
        f"{std[index]:.3f}; the black box: {mean[black_index]:.3f}, standard deviation {std[black_index]:.3f}.",
        "Limitations: predictions for values outside the ranges of the data summary are extrapolations; "
        + _correlated(X)
        + " Scores come from the rows of this table: a population that differs will be scored differently.",
        f"glassbox {__version__}, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
        + (f", made by: {command}" if command else "."),
    ])
    return section


def _correlated(X, threshold=0.8):
    numeric = X.select_dtypes("number")
    if numeric.shape[1] < 2:
        return "no pair of numeric features to be correlated."
    corr = numeric.corr().to_numpy()
    names = list(map(str, numeric.columns))
    pairs = [(abs(corr[i, j]), names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))
             if abs(corr[i, j]) >= threshold]
    if not pairs:
        return f"no two numeric features are correlated beyond |r| = {threshold}."
    pairs.sort(reverse=True)
    shown = "; ".join(f"{a} and {b} (r = {r:.2f})" for r, a, b in pairs[:5])
    more = f" and {len(pairs) - 5} more pairs" if len(pairs) > 5 else ""
    return (f"correlated features share their effect, so the importance and effect of one depend on the other: "
            f"{shown}{more}.")


def _data_section(X, y, task, dropped, n_unlabelled, n_test):
    features, target = data_summary(X, y, task)
    section = Section("The data")
    kinds = features["type"].value_counts()
    section.text(
        f"{len(X)} rows and {X.shape[1]} feature columns ({kinds.get('numeric', 0)} numeric, "
        f"{kinds.get('categorical', 0)} categorical), {int(features['missing'].sum())} missing cells"
        + (f"; {n_unlabelled} rows without a target were dropped" if n_unlabelled else "")
        + (f". {n_test} rows ({_HOLD_OUT:.0%}) are held out to judge the chosen model; the search "
           "cross-validates on the others." if n_test else ". Too few rows to hold any out: the performance "
           "shown is cross-validated only.")
    )
    if dropped:
        section.items([f"Left out {name!r}: {why}." for name, why in dropped.items()])
    section.parts.append("<h3>The target</h3>")
    section.table(target)
    section.parts.append("<h3>The features</h3>")
    section.table(features)
    return section


def _is_categorical(column):
    return isinstance(column.dtype, pd.CategoricalDtype)


def _close_figures():
    import matplotlib.pyplot as plt

    plt.close("all")
