"""Text, SQL and Python of the boosted additive models (AdditiveClassifier, AdditiveRegressor).

The text is a table of the terms (importance, smallest and largest score) and, on
request, every term's scores bin by bin. SQL and Python add the intercept and one
lookup per term, in the order of ``terms_``, as ``predict`` does: a term is a CASE over
its feature's bins in SQL, a table indexed by bin in Python.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier

from ..._core import bin_labels, plain
from ._python import PYTHON_PRELUDE, link_functions, module_docstring, python_array, python_classes, python_literal
from ._sql import logistic_select_sql, select_sql, sql_identifier, sql_literal, sum_sql

__all__ = ["additive_python", "additive_sql", "additive_text"]

# How the exported module finds the bin of a value and the score of every term.
_PYTHON_FUNCTIONS = '''

def _bin(row, name):
    kind, table, missing_bin = BINS[name]
    value = row[name]
    if _missing(value):
        return missing_bin
    if kind == "numeric":
        return bisect.bisect_left(table, value)
    return table.get(value, missing_bin)


def _term_scores(row):
    """The scores of every term for one row, in the order of TERMS."""
    for names, groups, scores in TERMS:
        if groups is None:
            yield scores[_bin(row, names[0])]
        else:
            yield scores[groups[0][_bin(row, names[0])]][groups[1][_bin(row, names[1])]]
'''

# The intercept plus every term, in the order of TERMS, as predict adds them.
_SUM_OF_TERMS = '''\
    score = INTERCEPT
    for value in _term_scores(row):
        score = score + value
    return score
'''

_SCORE_FUNCTION = '\n\ndef decision_function(row):\n    """Log-odds of CLASSES[1]."""\n' + _SUM_OF_TERMS + '\n\n'

_SCORES_FUNCTION = '''

def decision_function(row):
    """One score per class of CLASSES."""
    scores = list(INTERCEPT)
    for values in _term_scores(row):
        scores = [s + v for s, v in zip(scores, values)]
    return scores


'''

_PREDICT_FUNCTION = '\n\ndef predict(row):\n    """The prediction for one row."""\n' + _SUM_OF_TERMS


# -- text -----------------------------------------------------------------------------
def additive_text(model, shapes, precision):
    """The equation, a table of the terms and, with ``shapes``, every term's scores."""
    lines = [_equation_text(model, precision), ""]
    name_width = max([len("term"), *map(len, model.term_names_)])
    if model._n_scores == 1:
        header = f"{'term':<{name_width}}  {'importance':>10}  {'min':>9}  {'max':>9}"
        lines.append(header)
        for t, name in enumerate(model.term_names_):
            scores = model._scores3(t)[..., 0]
            seen = model._term_weights[t] > 0
            low, high = (scores[seen].min(), scores[seen].max()) if seen.any() else (0.0, 0.0)
            lines.append(f"{name:<{name_width}}  {_fmt(model._importances[t, 0], precision):>10}  "
                         f"{_fmt(low, precision):>9}  {_fmt(high, precision):>9}")
    else:
        labels = [str(o)[:10] for o in model._output_names()]
        lines.append(f"{'term':<{name_width}}  " + "  ".join(f"{label:>10}" for label in labels))
        lines.append(f"{'':<{name_width}}  (importance for each class)")
        for t, name in enumerate(model.term_names_):
            row = "  ".join(f"{_fmt(v, precision):>10}" for v in model._importances[t])
            lines.append(f"{name:<{name_width}}  {row}")
    if shapes:
        for t in range(len(model.terms_)):
            lines += ["", *_shape_text(model, t, precision)]
    return "\n".join(lines)


def _equation_text(model, precision):
    n = len(model.terms_)
    total = f"the sum of {n} term{'s' if n != 1 else ''} below"
    name = type(model).__name__
    if is_classifier(model) and model._n_scores == 1:
        return (f"{name}: log-odds of {plain(model.classes_[1])!r} = "
                f"{_fmt(model.intercept_[0], precision)} + {total}")
    if is_classifier(model):
        intercepts = ", ".join(f"{plain(c)!r}: {_fmt(v, precision)}" for c, v in zip(model.classes_, model.intercept_))
        return (f"{name}: score(class) = intercept(class) + {total}; p(class) = softmax of "
                f"the scores\nintercepts: {intercepts}")
    return f"{name}: prediction = {_fmt(model.intercept_[0], precision)} + {total}"


def _shape_text(model, t, precision):
    term = model.terms_[t]
    scores = model._scores3(t)
    schema = model._feature_schema
    title = f"{model.term_names_[t]} (importance {_fmt(model.term_importances_[t], precision)})"
    if len(term) == 1:
        j = term[0]
        labels = bin_labels(model.bins_, schema, j)
        shown = [" ".join(f"{_fmt(v, precision):>9}" for v in scores[b]) for b in range(len(labels))]
        rows = []  # (label, text), runs of numeric bins showing the same score merged
        for b, (label, text) in enumerate(zip(labels, shown)):
            mergeable = not schema.is_categorical[j] and 0 < b < len(labels) - 1
            if mergeable and rows and rows[-1][1] == text:
                rows[-1] = (_merge_labels(rows[-1][0], label), text)
            else:
                rows.append((label, text))
        width = max(len(label) for label, _ in rows)
        return [title] + [f"  {label:<{width}}  {text}" for label, text in rows]
    j, k = term
    rows_labels = [_short(v) for v in model._group_labels[j]]
    cols_labels = [_short(v) for v in model._group_labels[k]]
    names = schema.feature_names
    lines = [title, f"  rows: {names[j]}, columns: {names[k]}"]
    for c in range(model._n_scores):
        if model._n_scores > 1:
            lines.append(f"  class {plain(model.classes_[c])!r}")
        width = max(map(len, rows_labels))
        lines.append("  " + " " * width + "  " + "  ".join(f"{label:>9}" for label in cols_labels))
        for r, label in enumerate(rows_labels):
            lines.append(f"  {label:<{width}}  " + "  ".join(f"{_fmt(v, precision):>9}" for v in scores[r, :, c]))
    return lines


def _fmt(value, precision):
    return f"{float(value):.{precision}g}"


def _short(value):
    if isinstance(value, float) and np.isnan(value):
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _merge_labels(first, last):
    """Join bin labels ``(a, b]`` and ``(c, d]`` into ``(a, d]``."""
    return first.split(",")[0] + "," + last.split(",", 1)[1]


# -- SQL ------------------------------------------------------------------------------
def additive_sql(model, table):
    """A query of the prediction, or of the class probabilities and the predicted class."""
    if not is_classifier(model):
        return select_sql([("prediction", _score_sql(model, 0))], table)
    return logistic_select_sql([_score_sql(model, c) for c in range(model._n_scores)], model.classes_, table)


def _score_sql(model, c):
    """SQL expression of score ``c``: the intercept plus one CASE per term."""
    parts = [sql_literal(float(model.intercept_[c]))]
    for t, term in enumerate(model.terms_):
        scores = model._scores3(t)[..., c]
        if len(term) == 1:
            parts.append(_case_sql(model, term[0], np.arange(len(scores)), [sql_literal(float(v)) for v in scores]))
        else:
            j, k = term
            inner = [_case_sql(model, k, model._groups[k], [sql_literal(float(v)) for v in row]) for row in scores]
            parts.append(_case_sql(model, j, model._groups[j], inner))
    return sum_sql(parts)


def _case_sql(model, j, slot_of_bin, slot_sql):
    """A CASE expression giving ``slot_sql[slot]`` for the slot the bin of feature ``j`` maps to."""
    schema = model._feature_schema
    if len({slot_sql[slot] for slot in slot_of_bin}) == 1:  # the same value in every bin
        return slot_sql[slot_of_bin[0]]
    column = sql_identifier(schema.feature_names[j])
    missing = slot_sql[slot_of_bin[-1]]
    whens = [f"WHEN {column} IS NULL THEN {missing}"]
    if schema.is_categorical[j]:
        by_slot = {}
        for b, level in enumerate(schema.categories[j]):
            by_slot.setdefault(slot_of_bin[b], []).append(sql_literal(plain(level)))
        for slot, literals in by_slot.items():
            test = f"{column} = {literals[0]}" if len(literals) == 1 else f"{column} IN ({', '.join(literals)})"
            whens.append(f"WHEN {test} THEN {slot_sql[slot]}")
        return "(CASE " + " ".join(whens) + f" ELSE {missing} END)"
    # Bin b holds thresholds[b - 1] < x <= thresholds[b]; a threshold between two bins
    # with the same expression is left out, the next one decides.
    value_sql = [slot_sql[slot] for slot in slot_of_bin[:-1]]
    for b, threshold in enumerate(model.bins_.thresholds[j]):
        if value_sql[b] != value_sql[b + 1]:
            whens.append(f"WHEN {column} <= {sql_literal(float(threshold))} THEN {value_sql[b]}")
    return "(CASE " + " ".join(whens) + f" ELSE {value_sql[-1]} END)"


# -- Python ---------------------------------------------------------------------------
def additive_python(model):
    """A module with ``predict(row)``; a classifier's also has ``CLASSES``,
    ``decision_function(row)`` and ``predict_proba(row)``."""
    if not is_classifier(model):
        lines = _python_header(model, ["bisect"]) + [f"INTERCEPT = {python_literal(float(model.intercept_[0]))}", ""]
        lines += _python_tables(model)
        return "\n".join(lines) + _PYTHON_FUNCTIONS + _PREDICT_FUNCTION
    lines = _python_header(model, ["bisect", "math"]) + [f"CLASSES = {python_classes(model.classes_)}"]
    binary = model._n_scores == 1
    lines.append(f"INTERCEPT = {python_array(model.intercept_[0] if binary else model.intercept_)}")
    lines += ["", *_python_tables(model)]
    score_function = _SCORE_FUNCTION if binary else _SCORES_FUNCTION
    return "\n".join(lines) + _PYTHON_FUNCTIONS + score_function + link_functions(len(model.classes_))


def _python_header(model, imports):
    return [module_docstring(model), "", *(f"import {name}" for name in imports), "", "", PYTHON_PRELUDE, ""]


def _python_tables(model):
    """Python source of the binning of each used feature and of the term tables."""
    schema = model._feature_schema
    used = sorted({j for term in model.terms_ for j in term})
    lines = ["# How a value finds its bin: numeric features by their thresholds (a bin holds",
             "# the values up to its threshold), categorical ones by level; the missing bin",
             "# (missing values and unseen categories) comes last.",
             "BINS = {"]
    for j in used:
        name = python_literal(str(schema.feature_names[j]))
        last = int(model.bins_.n_bins[j]) - 1
        if schema.is_categorical[j]:
            mapping = ", ".join(f"{python_literal(plain(level))}: {b}" for b, level in enumerate(schema.categories[j]))
            lines.append(f"    {name}: ('categorical', {{{mapping}}}, {last}),")
        else:
            thresholds = ", ".join(python_literal(float(v)) for v in model.bins_.thresholds[j])
            lines.append(f"    {name}: ('numeric', [{thresholds}], {last}),")
    lines += ["}", "", "# Terms in order: (features, group of each bin per feature, scores).", "TERMS = ["]
    for t, term in enumerate(model.terms_):
        names = python_literal(tuple(str(schema.feature_names[j]) for j in term))
        if len(term) == 1:
            groups = "None"
        else:
            groups = "(" + ", ".join(python_literal([int(g) for g in model._groups[j]]) for j in term) + ")"
        lines.append(f"    ({names}, {groups}, {python_array(model._public(model._scores3(t)))}),")
    lines += ["]", ""]
    return lines
