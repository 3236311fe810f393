"""The sections of a report that explain: the chosen model drawn with its own display,
the front, held-out performance, scores per cohort, importances, effects, rows one by
one, and the surrogate of the black box."""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import logit
from sklearn.base import is_classifier

from .._core import format_number, plain
from ..explanation import Effect
from ._page import Section
from ._search import describe, family, metric_words

__all__ = [
    "about_positive",
    "chosen_model",
    "cohorts",
    "front_section",
    "global_sections",
    "held_out",
    "local_section",
    "predicted_classes",
    "surrogate_section",
]

_N_EFFECTS = 3


def output_label(model, positive):
    """What the model's output is, in words: ``"probability of >50K"``, ``"prediction"``."""
    if positive is not None:
        return f"probability of {plain(positive)}"
    return "class probabilities" if is_classifier(model) else "prediction"


def _output_of(result, positive):
    """Position of the positive class among a result's outputs (the first otherwise)."""
    if positive is not None:
        hits = np.flatnonzero(np.asarray(result.output_names, dtype=object) == positive)
        if len(hits):
            return int(hits[0])
    return 0


def about_positive(result, model, positive):
    """``result`` (an Explanation or an Effect) told about the class ``positive``.

    A binary model in log-odds (sparse linear, additive) scores ``classes_[1]``: its
    results have one output named ``classes_[1]``. When ``positive`` is ``classes_[0]``,
    whose log-odds are minus those, local contributions, base values, shape functions,
    curves and bands change sign (a band's ends swap) and the output is named
    ``positive``; a global importance is a magnitude, the same for both classes, and is
    only renamed. Any other result comes back as it is.
    """
    classes = list(getattr(model, "classes_", []))
    if len(classes) != 2 or positive is None or positive != classes[0]:
        return result
    if list(result.output_names) != [classes[1]]:
        return result
    names = np.asarray([positive], dtype=object)

    def turn(values):
        return None if values is None else -np.asarray(values)

    if isinstance(result, Effect):
        return replace(result, values=-result.values, individual=turn(result.individual), lower=turn(result.upper),
                       upper=turn(result.lower), output_names=names)
    if not result.is_local:
        return replace(result, output_names=names)
    return replace(result, values=-result.values, base_values=turn(result.base_values), output_names=names,
                   coef=turn(result.coef), intercept=turn(result.intercept))


def chosen_model(section, model, X, positive):
    """Draw the chosen model as it is read: equation and coefficients, tree, rules, shapes,
    all about the class ``positive`` for a binary target."""
    from ..plot import CoefficientDisplay, EffectDisplay, RuleListDisplay, TreeDisplay

    kind = family(model)
    if kind == "SparseLinear":
        scale = f"log-odds of {plain(positive)}" if positive is not None else "log-odds"
        section.text("The model is an equation: each term times its coefficient, summed"
                     + (f" (in {scale})." if is_classifier(model) else "."))
        section.pre(model.to_text(positive_class=positive) if positive is not None else model.to_text())
        display = CoefficientDisplay.from_estimator(model, output=positive).plot()
        section.figure(display, "Coefficients per standard deviation of each term (its spread in its own units "
                                "beside its name): the bars compare terms measured in different units"
                                + (f"; a bar is the change of the {scale}." if positive is not None else "."))
    elif kind == "Tree":
        section.text("The model is a tree: follow the conditions from the top to a leaf.")
        section.figure(TreeDisplay.from_estimator(model).plot(), "The tree, each box with its rows and prediction.")
    elif kind == "RuleList":
        section.text("The model is a list of rules: the first rule a row meets decides.")
        section.figure(RuleListDisplay.from_estimator(model).plot(), "The rules in order, with their support.")
    else:  # additive: a shape function per term
        section.text("The model is a sum of one function per term: read each curve, add them up.")
        shapes = [about_positive(shape, model, positive) for shape in model.shape_functions()]
        scale = f"log-odds of {plain(positive)}" if positive is not None else None
        for t in np.argsort(-model.term_importances_, kind="stable")[:4]:
            display = EffectDisplay.from_effect(shapes[t], output=0, X=X, output_label=scale).plot()
            caption = f"Shape function of {' × '.join(map(str, shapes[t].feature_names))}"
            if scale is not None:
                caption += f", in {scale}"
            if shapes[t].lower is not None:
                caption += ", with its band over bags"
            if display.deciles_ is not None:
                caption += "; ticks along the bottom mark the data's minimum, deciles and maximum"
            section.figure(display, caption + ".")


def front_section(results, index, metric, front_table, cv):
    from ..plot import TradeoffDisplay

    families = [family(params["model"]) for params in results["params"]]
    section = Section("Accuracy against complexity")
    section.text(
        f"{len(families)} candidate models of {len(set(families))} families were cross-validated "
        f"({cv} folds, {metric_words(metric)}). Complexity counts what a reader must read: non-zero coefficients, "
        "splits, rule conditions or terms. The chosen model is the least complex transparent model within one "
        "standard error of the best transparent one; the black box is shown as the reference."
    )
    display = TradeoffDisplay.from_cv_results(results, metric, chosen=index, labels=families)
    section.figure(display.plot(), "Every candidate, the Pareto front, and the chosen model (star).")
    section.table(front_table)
    return section


def predicted_classes(model, X, positive, threshold):
    """The class each row is given: for a binary target ``positive`` when its
    probability reaches ``threshold``, the other class below it; otherwise the most
    probable class."""
    proba = model.predict_proba(X)
    classes = np.asarray(model.classes_)
    if positive is None:
        return classes[np.argmax(proba, axis=1)]
    column = list(classes).index(positive)
    return np.where(proba[:, column] >= threshold, classes[column], classes[1 - column])


def held_out(chosen, reference, X, y, task, positive, threshold=0.5):
    """Scores of the chosen model and the black box on the held-out rows, and their pictures.

    A binary target's classes are decided at ``threshold`` on the probability of
    ``positive``; more classes by the most probable one.
    """
    from sklearn import metrics
    from sklearn.calibration import CalibrationDisplay

    section = Section("Held-out performance")
    models = {describe(chosen): chosen, f"black box: {describe(reference)}": reference}
    rows = []
    if task == "classification":
        rule = (f"a row is given {plain(positive)!r} when its predicted probability of {plain(positive)!r} is at "
                f"least {format_number(threshold)}, the other class otherwise" if positive is not None
                else "a row is given its most probable class")
        section.text(f"Accuracy, balanced accuracy and the confusion matrix count classes decided so: {rule}.")
        for name, model in models.items():
            proba = model.predict_proba(X)
            predicted = predicted_classes(model, X, positive, threshold)
            if positive is not None:
                score = metrics.roc_auc_score(y == positive, proba[:, list(model.classes_).index(positive)])
            else:
                score = metrics.roc_auc_score(y, proba, multi_class="ovr", labels=model.classes_)
            rows.append({"model": name, "ROC AUC": score, "accuracy": metrics.accuracy_score(y, predicted),
                         "balanced accuracy": metrics.balanced_accuracy_score(y, predicted)})
        section.table(pd.DataFrame(rows))
        proba = chosen.predict_proba(X)
        predicted = predicted_classes(chosen, X, positive, threshold)
        matrix = metrics.confusion_matrix(y, predicted, labels=chosen.classes_)
        table = pd.DataFrame(matrix, columns=[f"predicted {plain(c)}" for c in chosen.classes_])
        table.insert(0, "true class", [str(plain(c)) for c in chosen.classes_])
        how = (f"P({plain(positive)}) ≥ {format_number(threshold)}" if positive is not None
               else "the most probable class")
        section.parts.append(f"<h3>Confusion matrix of the chosen model ({html.escape(how)})</h3>")
        section.table(table)
        if positive is not None:
            score = proba[:, list(chosen.classes_).index(positive)]
            roc = metrics.RocCurveDisplay.from_predictions(y, score, pos_label=positive, name=describe(chosen))
            section.figure(roc, f"ROC curve of the chosen model on {len(y)} held-out rows, positive class "
                                f"{plain(positive)!r}.")
            pr = metrics.PrecisionRecallDisplay.from_predictions(y, score, pos_label=positive, name=describe(chosen),
                                                                 plot_chance_level=True)
            section.figure(pr, f"Precision against recall of {plain(positive)!r}; the dashed line is the share of "
                               f"{plain(positive)!r} among the held-out rows.")
            bins = max(2, min(10, len(y) // 30))
            calibration = CalibrationDisplay.from_predictions(y, score, pos_label=positive, n_bins=bins,
                                                              strategy="quantile", name=describe(chosen))
            section.figure(calibration, f"Calibration: the predicted probability of {plain(positive)!r} against "
                                        f"the observed share, in {bins} bins of equal size.")
    else:
        for name, model in models.items():
            predicted = model.predict(X)
            rows.append({"model": name, "R²": metrics.r2_score(y, predicted),
                         "mean absolute error": metrics.mean_absolute_error(y, predicted),
                         "root mean squared error": metrics.root_mean_squared_error(y, predicted)})
        section.table(pd.DataFrame(rows))
        display = metrics.PredictionErrorDisplay.from_predictions(y, chosen.predict(X), kind="residual_vs_predicted")
        section.figure(display, f"Residuals of the chosen model on {len(y)} held-out rows.")
    return section


def cohorts(model, X, y, by, metric, random_state, positive=None):
    """Scores per cohort on the held-out rows, the largest gaps (where the model is worse) first.

    For two classes the base rate is the share of ``positive`` (of ``classes_[1]`` without one).
    """
    from ..metrics import sliced_scores

    keys = [by[name].rename(str(name)).reset_index(drop=True) for name in by.columns]
    table = sliced_scores(model, X.reset_index(drop=True), y.reset_index(drop=True), by=keys, scoring=metric,
                          random_state=random_state)
    table = table.sort_values("gap", kind="stable").reset_index(drop=True)
    section = Section("Scores per cohort")
    overall = table.attrs["overall"]
    section.text(
        f"{metric_words(metric)} of the chosen model on {len(y)} held-out rows, per cohort, with a 95% bootstrap "
        f"interval; the gap is the cohort's score minus the overall {format_number(overall)}. The largest gaps "
        "come first: where the model is worse, and for whom. Cohorts marked too small have too few rows (or a "
        "single class) to judge."
    )
    classes = list(getattr(model, "classes_", []))
    if len(classes) == 2 and positive is not None and positive == classes[0]:
        table["base_rate"] = 1.0 - table["base_rate"]  # sliced_scores gives the share of classes_[1]
    names = {"feature": "column", "slice": "cohort", "n": "rows", "score": metric_words(metric),
             "lower": "interval from", "upper": "interval to", "gap": "gap to overall",
             "base_rate": (f"share of {plain(classes[1] if positive is None else positive)}" if len(classes) == 2
                           else "share of its most frequent class"),
             "target_mean": "mean target"}
    shown = table.drop(columns="too_small").rename(columns=names)
    shown["judged"] = np.where(table["too_small"], "too small to judge", "")
    section.table(shown)
    return section, table


def global_sections(model, X, positive):
    """What the chosen model relies on, and how its top features move its prediction."""
    from ..explainers import PartialDependence
    from ..plot import EffectDisplay, ImportanceDisplay

    label = output_label(model, positive)
    explanation = about_positive(model.explain(), model, positive)
    output = _output_of(explanation, positive)
    importance = Section("What the chosen model relies on")
    importance.text("Each feature's importance to the chosen model, read from the model itself.")
    scale = None  # what the importances are measured on, when the model says it
    if positive is not None and family(model) in ("SparseLinear", "Additive"):
        scale = f"log-odds of {plain(positive)}"
    display = ImportanceDisplay.from_explanation(explanation, output=output, output_label=scale).plot()
    importance.figure(display, "Global importance, the most important feature on top.")

    # The most important features (an additive model's importances are per term: its pairs are left out).
    values = np.abs(np.asarray(explanation.values)[:, output])
    columns = set(map(str, X.columns))
    top = [name for name, value in zip(explanation.feature_names[np.argsort(-values, kind="stable")],
                                       np.sort(values)[::-1]) if value > 0 and str(name) in columns][:_N_EFFECTS]
    effects = Section("How the top features move the prediction")
    effects.text("Partial dependence of the chosen model (thick) over individual curves of rows (thin); the "
                 "ticks along the bottom mark the data's minimum, deciles and maximum.")
    if top:
        # The grid spans the whole range (quantiles from 0 to 1): a decisive tail is drawn.
        pdp = PartialDependence(model, kind="both", grid_resolution=30, percentiles=(0.0, 1.0)).fit(X)
        for effect in pdp.explain(X.iloc[:500], features=top):
            display = EffectDisplay.from_effect(effect, output=_output_of(effect, positive), X=X,
                                                output_label=label).plot()
            effects.figure(display, f"Partial dependence on {effect.feature_names[0]}.")
    else:
        effects.text("The chosen model uses no feature: it predicts one value for every row.")
    return [importance, effects]


def local_section(model, X, y, positive, n_local, threshold=0.5):
    """A few held-out rows explained by the chosen model, each with its prediction and truth
    (for two classes, the class given at ``threshold`` on the probability of ``positive``)."""
    from ..plot import WaterfallDisplay

    rows = _rows_to_explain(model, X, positive, n_local)
    local = about_positive(model.explain(X.iloc[rows]), model, positive)
    output = _output_of(local, positive)
    link = _link(model, local, X.iloc[rows], output)
    section = Section("Why the chosen model decided, row by row")
    section.text(f"Contributions ({local.method}) from the average output E[f(X)] to the row's output f(x)"
                 + (", drawn in probability." if link == "logit" else "."))
    for i, row in enumerate(rows):
        display = WaterfallDisplay.from_explanation(local, row=i, output=output, link=link).plot()
        section.figure(display, f"Row {X.index[row]}: {_prediction_text(model, X.iloc[[row]], positive, threshold)}; "
                                f"true {'label' if is_classifier(model) else 'value'} {_true(y.iloc[row])}.")
    return section


def surrogate_section(black_box, X, task, random_state):
    from ..models import TreeClassifier, TreeRegressor
    from ..plot import TreeDisplay
    from ..surrogate import GlobalSurrogate

    section = Section("A transparent surrogate of the black box")
    name = type(black_box).__name__
    labels = black_box.predict(X) if task == "classification" else None
    if labels is not None and len(np.unique(labels)) < 2:
        section.text(f"{name} predicts {plain(labels[0])!r} for every row, so there is no decision to mimic: a "
                     "surrogate would be that one constant.")
        return section, float("nan")
    tree = (TreeClassifier if task == "classification" else TreeRegressor)(max_leaf_nodes=8, random_state=random_state)
    surrogate = GlobalSurrogate(black_box, tree, random_state=random_state).fit(X)
    section.text(
        f"A {surrogate.complexity_}-split tree fitted to the predictions of {name} "
        + (f"agrees with it on {surrogate.fidelity_:.1%} of held-out rows." if task == "classification"
           else f"explains R² = {surrogate.fidelity_:.3f} of them on held-out rows.")
        + " It shows what the black box does, roughly; the chosen model above is the model itself."
    )
    section.figure(TreeDisplay.from_estimator(surrogate.surrogate_).plot(), "The surrogate tree of the black box.")
    return section, float(surrogate.fidelity_)


def _rows_to_explain(model, X, positive, n_local):
    """The rows with the highest and the lowest prediction, then those nearest the median."""
    score = _score(model, X, positive)
    order = np.argsort(score, kind="stable")
    middle = np.argsort(np.abs(score - np.median(score)), kind="stable")
    return list(dict.fromkeys(int(i) for i in [order[-1], order[0], *middle]))[:n_local]


def _score(model, X, positive):
    if not is_classifier(model):
        return model.predict(X)
    proba = model.predict_proba(X)
    return proba[:, list(model.classes_).index(positive)] if positive is not None else proba.max(axis=1)


def _link(model, local, X, output):
    """``"logit"`` when the contributions add up to the log-odds of the output's class,
    ``"identity"`` when they add up to the output itself."""
    if not is_classifier(model) or len(model.classes_) != 2:
        return "identity"
    total = np.asarray(local.values)[:, :, output].sum(axis=1) + np.asarray(local.base_values)[:, output]
    name = local.output_names[output]
    column = list(model.classes_).index(name) if name in list(model.classes_) else 1
    proba = np.clip(model.predict_proba(X)[:, column], 1e-12, 1 - 1e-12)
    if np.allclose(total, proba, atol=1e-6):
        return "identity"
    return "logit" if np.allclose(total, logit(proba), atol=1e-4) else "identity"


def _prediction_text(model, row, positive, threshold=0.5):
    if not is_classifier(model):
        return f"predicted {format_number(model.predict(row)[0])}"
    proba = model.predict_proba(row)[0]
    predicted = plain(predicted_classes(model, row, positive, threshold)[0])
    if positive is not None:
        return (f"predicted P({plain(positive)}) = {proba[list(model.classes_).index(positive)]:.2f} "
                f"(class {predicted})")
    return f"predicted class {predicted} (p = {proba.max():.2f})"


def _true(value):
    value = plain(value)
    return format_number(value) if isinstance(value, float) else str(value)
