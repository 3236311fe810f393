"""Text, SQL and Python of the sparse linear models.

The text is the model's equation with named terms, ``y = −300 + 7.27 × bmi + 56 × s5``
(one score per class for a multiclass model), then where missing values and reference
levels went. SQL and Python add the terms one at a time in the order of ``predict``, so
that they compute exactly the same numbers.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier

from .._linear_terms import _MISSING, _VALUE
from ._python import PYTHON_PRELUDE, link_functions, python_classes, python_literal
from ._sql import logistic_select_sql, select_sql, sql_identifier, sql_literal, sum_sql

__all__ = ["linear_python", "linear_sql", "linear_text"]

_MINUS = "\u2212"
_TIMES = "\u00d7"


def linear_text(model, precision, positive_class=None):
    """The equations with named terms, and a line saying how missing values and levels read.

    A binary model's equation gives the log-odds of ``positive_class`` (``classes_[1]`` by
    default); those of ``classes_[0]`` are their negation, every sign turned.
    """
    if not is_classifier(model):
        equations = [_equation(model, "y", 0, precision)]
    elif len(model.classes_) == 2:
        negated = positive_class is not None and positive_class == model.classes_[0]
        shown = model.classes_[0] if negated else model.classes_[1]
        equations = [_equation(model, f"logit p({shown})", 0, precision, sign=-1.0 if negated else 1.0)]
    else:
        equations = [f"p(class) = exp(score(class)) / sum of exp(score) over {', '.join(map(str, model.classes_))}"]
        equations += [_equation(model, f"score({c})", k, precision) for k, c in enumerate(model.classes_)]
    notes = _notes(model, precision)
    if notes:
        equations.append("where " + "; ".join(notes))
    return "\n".join(equations)


def _format(value, precision):
    return f"{value:.{precision}g}".replace("-", _MINUS)


def _equation(model, lhs, k, precision, width=88, sign=1.0):
    coef = sign * np.atleast_2d(model.coef_)
    intercept = sign * np.atleast_1d(model.intercept_)[k]
    pieces = [
        f"{_MINUS if coef[k, t] < 0 else '+'} {_format(abs(coef[k, t]), precision)} {_TIMES} {_term_label(model, t)}"
        for t in model._used_terms()
        if coef[k, t] != 0  # a multiclass term may have a coefficient in some equations only
    ]
    head = f"{lhs} = {_format(intercept, precision)}"
    line = " ".join([head, *pieces])
    return line if len(line) <= width else "\n".join([head, *("    " + p for p in pieces)])


def _term_label(model, t):
    name = model.terms_[t]
    return name if model._terms.kind[t] == _VALUE else f"[{name}]"


def _notes(model, precision):
    schema, terms = model._feature_schema, model._terms
    notes = []
    for j in np.unique(terms.feature[model._used_terms()]):
        name = schema.feature_names[j]
        if schema.is_categorical[j]:
            reference = model.reference_levels_[j]
            shown = "missing" if not isinstance(reference, str) and reference != reference else reference
            notes.append(f"{name}: reference level {shown}")
        elif (terms.kind[terms.feature == j] == _MISSING).any():
            notes.append(f"{name}: a missing value counts as {_format(model.fill_values_[j], precision)}")
    return notes


def linear_sql(model, table):
    """A query of the prediction, or of the class probabilities and the predicted class."""
    if not is_classifier(model):
        return select_sql([("prediction", _score_sql(model, 0))], table)
    n_scores = len(model.classes_) if len(model.classes_) > 2 else 1  # binary: the log-odds of classes_[1]
    return logistic_select_sql([_score_sql(model, k) for k in range(n_scores)], model.classes_, table)


def _score_sql(model, k):
    """SQL expression of output ``k`` of the linear predictor."""
    schema, terms = model._feature_schema, model._terms
    coef = np.atleast_2d(model.coef_)
    parts = [sql_literal(float(np.atleast_1d(model.intercept_)[k]))]
    for t in model._used_terms():
        j, kind = terms.feature[t], terms.kind[t]
        column = sql_identifier(schema.feature_names[j])
        if kind == _VALUE:
            value = f"COALESCE({column}, {sql_literal(float(terms.fill[t]))})"
        elif kind == _MISSING:
            value = f"(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)"
        else:
            level = schema.categories[j][int(terms.code[t])]
            value = f"(CASE WHEN {column} = {sql_literal(level)} THEN 1 ELSE 0 END)"
        if coef[k, t] != 0:  # adding 0 * value changes no score
            parts.append(f"{sql_literal(float(coef[k, t]))} * {value}")
    return sum_sql(parts)


def linear_python(model):
    """A module with ``predict(row)``; a classifier's also has ``CLASSES``,
    ``decision_function(row)`` and ``predict_proba(row)``."""
    if not is_classifier(model):
        lines = [PYTHON_PRELUDE, "", "def predict(row):", '    """The prediction for one row."""']
        lines += _score_python(model, ["y"])
        lines.append("    return y")
        return "\n".join(lines) + "\n"
    K = len(model.classes_)
    lines = ["import math", "", PYTHON_PRELUDE, f"CLASSES = {python_classes(model.classes_)}", "", ""]
    lines.append("def decision_function(row):")
    if K == 2:
        lines.append(f'    """Log-odds of {model.classes_[1]!r}."""')
        lines += _score_python(model, ["score"])
        lines.append("    return score")
    else:
        targets = [f"score_{k}" for k in range(K)]
        lines.append('    """One score per class of CLASSES."""')
        lines += _score_python(model, targets)
        lines.append(f"    return [{', '.join(targets)}]")
    return "\n".join(lines) + "\n\n\n" + link_functions(K)


def _score_python(model, targets):
    """Python statements adding each term to the score variables ``targets``."""
    schema, terms = model._feature_schema, model._terms
    coef = np.atleast_2d(model.coef_)
    lines = [f"    {target} = {python_literal(float(np.atleast_1d(model.intercept_)[k]))}"
             for k, target in enumerate(targets)]
    for t in model._used_terms():
        j, kind = terms.feature[t], terms.kind[t]
        access = f"row[{python_literal(str(schema.feature_names[j]))}]"
        if kind == _VALUE:
            value = f"({python_literal(float(terms.fill[t]))} if _missing({access}) else float({access}))"
        elif kind == _MISSING:
            value = f"_missing({access})"
        else:
            value = f"({access} == {python_literal(schema.categories[j][int(terms.code[t])])})"
        lines.append(f"    value = {value}  # {model.terms_[t]}")
        lines.extend(f"    {target} += {python_literal(float(coef[k, t]))} * value"
                     for k, target in enumerate(targets) if coef[k, t] != 0)
    return lines
