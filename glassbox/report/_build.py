"""The whole story of a data set in one self-contained HTML file.

:func:`build` reads a table as it comes (categorical columns, missing values), searches
across transparent model families and a black box with cross-validation, picks the
simplest model within one standard error of the best, and writes an HTML page with the
accuracy-complexity front, the chosen model as text, a global surrogate of the black box
and its fidelity, global importances, effects of the top features and local
explanations of a few rows. Figures are inline SVG; the page needs no network, no server
and no JavaScript.
"""

from __future__ import annotations

import html
import io
import sys
import time
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from .._core import plain
from ..metrics import complexity_scorer, pareto_front, simplest_within

__all__ = ["Report", "ReportError", "build", "load_table"]


class ReportError(ValueError):
    """A problem with the input of a report, told in one line."""


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
        The least complex model within one standard error of the best, refit on all rows.
    metric : str
        The cross-validated score (``roc_auc``, ``roc_auc_ovr`` or ``r2``).
    fidelity : float
        Held-out fidelity of the black box's tree surrogate (NaN when the black box
        predicts one class for every row and there is nothing to mimic).
    """

    path: Path
    front: pd.DataFrame
    chosen: object
    metric: str
    fidelity: float


@dataclass
class _Section:
    title: str
    parts: list = field(default_factory=list)

    def text(self, paragraph):
        self.parts.append(f"<p>{html.escape(paragraph)}</p>")

    def pre(self, text):
        self.parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, frame):
        self.parts.append(frame.to_html(index=False, border=0, classes="table", float_format=lambda v: f"{v:.4g}"))

    def figure(self, display, caption):
        self.parts.append(f"<figure>{_svg(display.figure_)}<figcaption>{html.escape(caption)}</figcaption></figure>")

    def html(self):
        return f"<section><h2>{html.escape(self.title)}</h2>{''.join(self.parts)}</section>"


def load_table(source: pd.DataFrame | str | PathLike[str]) -> pd.DataFrame:
    """Read a CSV path (or take a DataFrame) with text columns as categories.

    Raises
    ------
    ReportError
        For a missing, unreadable or empty file, with a one-line reason.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise ReportError(f"no such file: {path}")
        try:
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise ReportError(f"{path} is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
        except OSError as exc:
            raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    if frame.empty or frame.shape[1] == 0:
        raise ReportError("the table has no rows or no columns")
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_object_dtype(column.dtype) or isinstance(column.dtype, pd.StringDtype):
            frame[name] = column.astype("category")
    return frame


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
) -> Report:
    """Write the report of ``data`` predicting ``target`` to ``output``.

    Parameters
    ----------
    data : DataFrame or path to a CSV file
        Text columns become categories; missing values stay missing. Rows whose target
        is missing are dropped (and counted in the report); columns with no value at
        all are left out with a warning the report repeats.
    target : str
        Name of the column to predict.
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"`` treats a numeric target with more than 10 distinct values as
        regression, anything else as classification.
    output : str or Path, default="report.html"
    cv : int, default=5
        Cross-validation folds of the model search.
    n_local : int, default=3
        Rows whose predictions are explained one by one.
    random_state : int, default=0
    verbose : bool, default=False
        Report progress on standard error.
    title : str, default=None

    Returns
    -------
    report : Report
        Where the report was written, the front, the chosen model and the surrogate's
        fidelity.
    """
    from ..explainers import PartialDependence, PermutationImportance, ShapleyExplainer
    from ..plot import EffectDisplay, ImportanceDisplay, TradeoffDisplay, WaterfallDisplay
    from ..surrogate import GlobalSurrogate

    progress = _Progress(verbose)
    notes = []  # what the report changed in the data, said again in its summary
    frame = load_table(data)
    if target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:12])) + (" ..." if frame.shape[1] > 12 else "")
        raise ReportError(f"no column {target!r} in the table; its columns are {shown}")
    dropped = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()]
    y = frame[target]
    X = frame.drop(columns=[target])
    empty = [str(c) for c in X.columns if X[c].isna().all()]
    if empty:
        notes.append(f"Left out {len(empty)} column{'s' if len(empty) > 1 else ''} with no value at all: "
                     f"{', '.join(map(repr, empty))}.")
        warnings.warn(notes[-1], UserWarning, stacklevel=2)
        X = X.drop(columns=empty)
    if X.shape[1] == 0:
        raise ReportError("the table has no feature columns besides the target")
    if y.nunique() < 2:
        raise ReportError(f"the target {target!r} has a single value; there is nothing to predict")
    task = _resolve_task(task, y)
    if task == "classification":
        y = y.astype(str) if isinstance(y.dtype, pd.CategoricalDtype) else y
        smallest = y.value_counts().min()
        if smallest < 2:
            raise ReportError(f"a class of {target!r} has a single row; each class needs at least two")
        cv = min(cv, int(smallest))
    sections = []

    # 1. Search across families, pick the simplest within one standard error.
    progress(f"cross-validating models of {4 if task == 'classification' else 3} families and a black box on {len(X)} rows")
    metric, search = _search(X, y, task, cv, random_state)
    families = [_family(params["model"]) for params in search.cv_results_["params"]]
    front = pareto_front(search.cv_results_, metric)
    chosen = search.best_estimator_["model"]
    section = _Section("Accuracy against complexity")
    section.text(
        f"{len(families)} candidate models of {len(set(families))} families were cross-validated "
        f"({cv} folds, {metric}). Complexity counts what a reader must read: non-zero coefficients, "
        "splits, rule conditions or terms. The chosen model is the least complex within one "
        "standard error of the best."
    )
    display = TradeoffDisplay.from_cv_results(search.cv_results_, metric, chosen=search.best_index_, labels=families)
    section.figure(display.plot(), "Every candidate, the Pareto front, and the chosen model (star).")
    front_table = front.assign(model=[_describe(search.cv_results_["params"][i]["model"]) for i in front["candidate"]])
    section.table(front_table[["model", "complexity", f"mean_{metric}", f"std_{metric}"]])
    sections.append(section)

    section = _Section(f"The chosen model: {_describe(chosen)}")
    section.text(
        f"Mean cross-validated {metric} {search.cv_results_[f'mean_test_{metric}'][search.best_index_]:.4f} "
        f"against {np.nanmax(search.cv_results_[f'mean_test_{metric}']):.4f} for the best candidate."
    )
    section.pre(chosen.to_text() if hasattr(chosen, "to_text") else repr(chosen))
    sections.append(section)

    # 2. The black box: a surrogate, importances, effects, local explanations.
    progress("fitting the black box and its surrogate")
    black_box = _black_box(task, random_state).fit(X, y)
    section = _Section("A transparent surrogate of the black box")
    labels = black_box.predict(X) if task == "classification" else None
    if labels is not None and len(np.unique(labels)) < 2:
        fidelity = float("nan")
        section.text(
            f"{type(black_box).__name__} predicts {plain(labels[0])!r} for every row, so there is no decision to "
            "mimic: a surrogate would be that one constant."
        )
    else:
        surrogate = GlobalSurrogate(black_box, _surrogate_model(task, random_state), random_state=random_state).fit(X)
        fidelity = surrogate.fidelity_
        section.text(
            f"A {surrogate.complexity_}-split tree fitted to the predictions of {type(black_box).__name__} "
            f"agrees with it on {surrogate.fidelity_:.1%} of held-out rows."
            if task == "classification"
            else f"A {surrogate.complexity_}-split tree fitted to the predictions of {type(black_box).__name__} "
            f"explains R² = {surrogate.fidelity_:.3f} of them on held-out rows."
        )
        section.pre(surrogate.surrogate_.to_text())
    sections.append(section)

    progress("permutation importance")
    importance = PermutationImportance(black_box, n_repeats=5, random_state=random_state)
    global_exp = importance.fit(X).explain(X)
    positive = _output_of(global_exp, black_box)
    section = _Section("What the black box relies on")
    section.text(
        "Permutation importance: the mean squared change of the prediction when a feature's values "
        "are shuffled across rows."
    )
    display = ImportanceDisplay.from_explanation(global_exp, output=positive).plot()
    section.figure(display, "Importance, with its spread over repeats.")
    sections.append(section)

    progress("effects of the top features")
    top = list(global_exp.feature_names[np.argsort(-global_exp.values[:, positive], kind="stable")[:3]])
    effects = PartialDependence(black_box, kind="both", grid_resolution=30).fit(X).explain(X, features=top)
    section = _Section("How the top features move the prediction")
    section.text("Partial dependence (thick) over individual curves of the rows (thin).")
    for effect in effects:
        display = EffectDisplay(effect, output=_output_of(effect, black_box)).plot()
        section.figure(display, f"Partial dependence on {effect.feature_names[0]}.")
    sections.append(section)

    progress(f"explaining {n_local} rows")
    rows = _rows_to_explain(black_box, X, n_local)
    explainer = ShapleyExplainer(black_box, random_state=random_state).fit(X)
    local = explainer.explain(X.iloc[rows])
    section = _Section("Why the black box decided, row by row")
    section.text(f"Shapley values ({local.method}) from the average prediction to the row's prediction.")
    for i, row in enumerate(rows):
        display = WaterfallDisplay.from_explanation(local, row=i, output=_output_of(local, black_box)).plot()
        section.figure(display, f"Row {X.index[row]}.")
    sections.append(section)

    summary = (
        f"{len(X)} rows, {X.shape[1]} features ({int(sum(_is_categorical(X[c]) for c in X))} categorical), "
        f"{int(X.isna().sum().sum())} missing cells; target {target!r} ({task})"
        + (f"; {dropped} rows without a target dropped" if dropped else "")
        + "."
        + "".join(f" {note}" for note in notes)
    )
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(title or f"glassbox report: {target}", summary, sections), encoding="utf-8")
    progress(f"wrote {path}")
    _close_figures()
    return Report(path, front_table, chosen, metric, fidelity)


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


def _candidates(task, random_state, n_features):
    """The model families and budgets the report searches over."""
    from ..models import (
        AdditiveClassifier,
        AdditiveRegressor,
        RuleListClassifier,
        SparseLinearClassifier,
        SparseLinearRegressor,
        TreeClassifier,
        TreeRegressor,
    )

    if task == "classification":
        models = [SparseLinearClassifier(max_features=k) for k in (1, 2, 4, 8) if k <= n_features]
        models += [TreeClassifier(max_leaf_nodes=k, random_state=random_state) for k in (2, 4, 8, 16)]
        models += [RuleListClassifier(max_rules=k) for k in (1, 2, 4, 8)]
        models += [AdditiveClassifier(random_state=random_state)]
    else:
        models = [SparseLinearRegressor(max_features=k) for k in (1, 2, 4, 8) if k <= n_features]
        models += [TreeRegressor(max_leaf_nodes=k, random_state=random_state) for k in (2, 4, 8, 16)]
        models += [AdditiveRegressor(random_state=random_state)]
    return models + [_black_box(task, random_state)]


def _search(X, y, task, cv, random_state):
    if task == "classification":
        metric = "roc_auc" if y.nunique() == 2 else "roc_auc_ovr"
        folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    else:
        metric, folds = "r2", KFold(cv, shuffle=True, random_state=random_state)
    candidates = _candidates(task, random_state, X.shape[1])
    search = GridSearchCV(
        Pipeline([("model", candidates[0])]),
        {"model": candidates},
        scoring={metric: metric, "complexity": complexity_scorer},
        refit=simplest_within(metric),
        cv=folds,
        error_score="raise",
    )
    return metric, search.fit(X, y)


def _black_box(task, random_state):
    kind = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    return kind(categorical_features="from_dtype", random_state=random_state)


def _surrogate_model(task, random_state):
    from ..models import TreeClassifier, TreeRegressor

    kind = TreeClassifier if task == "classification" else TreeRegressor
    return kind(max_leaf_nodes=8, random_state=random_state)


def _family(model):
    name = type(model).__name__
    for family in ("SparseLinear", "Tree", "RuleList", "Additive", "HistGradientBoosting"):
        if name.startswith(family):
            return {"HistGradientBoosting": "black box"}.get(family, family)
    return name


def _describe(model):
    budget = {k: v for k, v in model.get_params(deep=False).items() if k in ("max_features", "max_leaf_nodes", "max_rules")}
    return f"{type(model).__name__}({', '.join(f'{k}={v}' for k, v in budget.items())})"


def _positive_output(model):
    return 1 if is_classifier(model) and len(model.classes_) == 2 else 0


def _output_of(result, model):
    """Position of the positive class among a result's outputs (the first output otherwise)."""
    if is_classifier(model) and len(model.classes_) == 2:
        hits = np.flatnonzero(np.asarray(result.output_names) == model.classes_[1])
        if len(hits):
            return int(hits[0])
    return 0


def _rows_to_explain(model, X, n_local):
    """The rows with the highest and the lowest prediction, then those nearest the median."""
    if is_classifier(model):
        score = model.predict_proba(X)[:, _positive_output(model)]
    else:
        score = model.predict(X)
    order = np.argsort(score, kind="stable")
    middle = np.argsort(np.abs(score - np.median(score)), kind="stable")
    return list(dict.fromkeys(int(i) for i in [order[-1], order[0], *middle]))[:n_local]


def _is_categorical(column):
    return isinstance(column.dtype, pd.CategoricalDtype)


def _svg(figure):
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _close_figures():
    import matplotlib.pyplot as plt

    plt.close("all")


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
table.table { border-collapse: collapse; font-size: 0.9em; }
table.table th, table.table td { padding: 0.3em 0.8em; border-bottom: 1px solid #eee; text-align: left; }
.summary { color: #444; }
"""


def _page(title, summary, sections):
    body = "".join(section.html() for section in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"summary\">{html.escape(summary)}</p>{body}"
        "</body></html>\n"
    )


class _Progress:
    def __init__(self, verbose):
        self.verbose = verbose
        self.start = time.perf_counter()

    def __call__(self, message):
        if self.verbose:
            sys.stderr.write(f"[glassbox report {time.perf_counter() - self.start:5.1f}s] {message}\n")
            sys.stderr.flush()

