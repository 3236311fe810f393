"""Text, SQL and Python of the rule lists (RuleListClassifier).

The rules are tried in order and the first that holds gives the class probabilities;
the text reads ``IF ... THEN p(yes) = 0.71 (n=120) ELSE IF ... ELSE ...``, the query has
one CASE column per output with a WHEN per rule and the default rule as ELSE, and the
module tests the rules one after the other.
"""

from __future__ import annotations

import numpy as np

from ..._core import plain
from ._conditions import conjunction_python, conjunction_sql, conjunction_text
from ._python import proba_module, python_array
from ._sql import case_sql, select_sql, sql_literal

__all__ = ["rule_list_python", "rule_list_sql", "rule_list_text", "rule_texts"]


def rule_texts(conditions, rule_conditions, schema):
    """The condition of each rule as text, ``"bmi > 30.5 AND age > 50"`` (``rules_``)."""
    return [conjunction_text(conditions, schema, index, joiner=" AND ") for index in rule_conditions]


def rule_list_text(model, precision):
    """One line per rule, then the default rule."""
    lines = [
        f"{'IF' if r == 0 else 'ELSE IF'} {condition} THEN "
        f"{_proba_text(model, model.rule_proba_[r], precision)} (n={model.rule_support_[r]})"
        for r, condition in enumerate(model.rules_)
    ]
    default = f"{_proba_text(model, model.rule_proba_[-1], precision)} (n={model.rule_support_[-1]})"
    lines.append(f"ELSE {default}" if lines else default)
    return "\n".join(lines)


def _proba_text(model, proba, precision):
    if len(model.classes_) == 2:
        return f"p({model.classes_[1]}) = {proba[1]:.{precision}f}"
    return ", ".join(f"p({c}) = {p:.{precision}f}" for c, p in zip(model.classes_, proba))


def rule_list_sql(model, table):
    """A query of the class probabilities (``proba_<class>``) and ``prediction``."""
    schema = model._feature_schema
    whens = [conjunction_sql(model.conditions_, schema, index) for index in model.rule_conditions_]
    labels = model.classes_[np.argmax(model.rule_proba_, axis=1)]
    outputs = [(f"proba_{plain(c)}", [float(p) for p in model.rule_proba_[:, k]]) for k, c in enumerate(model.classes_)]
    outputs.append(("prediction", [plain(label) for label in labels]))
    return select_sql([(name, case_sql(whens, [sql_literal(v) for v in values])) for name, values in outputs], table)


def rule_list_python(model):
    """A module with ``CLASSES``, ``predict_proba(row)`` and ``predict(row)``."""
    schema = model._feature_schema
    body = []
    for r, index in enumerate(model.rule_conditions_):
        test = conjunction_python(model.conditions_, schema, index)
        body += [f"    if {test}:", f"        return {python_array(model.rule_proba_[r])}"]
    body.append(f"    return {python_array(model.rule_proba_[-1])}")
    return proba_module(model, "\n".join(body))
