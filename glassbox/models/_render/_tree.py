"""Text, SQL and Python of the decision trees (TreeClassifier, TreeRegressor).

Every piece is read from the model's ``nodes_`` and ``rules_``, so the text, the query
and the module route a row exactly as ``predict`` does. The text says where missing
values go only for the columns that held some at fit; the exports route every missing
value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from ..._core import plain
from .._conditions import Conditions
from ._conditions import conjunction_python, conjunction_sql, conjunction_text
from ._python import PYTHON_PRELUDE, module_docstring, proba_module, python_array
from ._sql import case_sql, select_sql, sql_literal

__all__ = ["branch_text", "leaf_returns", "leaf_table", "nodes_text", "rule_text", "tree_python", "tree_sql", "tree_text"]


def rule_text(model, rule, precision=4, *, every_missing=False):
    """A conjunction of :class:`Conditions` as text, ``"always"`` for none.

    Unless ``every_missing``, where missing values go is said only for the columns that
    held missing values at fit: elsewhere it was not learnt from data (they follow the
    larger branch) and would only clutter the text.
    """
    if not every_missing:
        rule = Conditions(rule.feature, rule.op, rule.value, rule.missing & model._had_missing[rule.feature])
    return conjunction_text(rule, model._feature_schema, precision=precision) or "always"


def branch_text(model, nodes, node, go_left, precision):
    """The condition leading from split ``node`` of ``nodes`` to its left (or right) child, as text."""
    branch = Conditions.from_lists(*[[part] for part in nodes.branch(node, go_left)])
    return rule_text(model, branch, precision)


def tree_text(model, precision):
    """The tree as indented text: each branch with its training rows, each leaf with its
    prediction."""
    return nodes_text(model, model.nodes_, lambda node: _leaf_text(model, node, precision), precision)


def nodes_text(model, nodes, leaf_text, precision):
    """A tree of ``model`` as indented text: each branch with its training rows, each leaf
    as ``leaf_text(node)`` says."""
    lines = []
    stack = [(0, 0, None)]  # (node, depth, condition leading to it)
    while stack:
        node, depth, condition = stack.pop()
        indent = "|   " * depth + "|--- "
        if condition is not None:
            lines.append(f"{indent}{condition} (n={nodes.n_samples[node]})")
            depth += 1
            indent = "|   " * depth + "|--- "
        if nodes.left[node] < 0:
            lines.append(indent + leaf_text(node))
            continue
        for child, go_left in ((nodes.right[node], False), (nodes.left[node], True)):
            stack.append((child, depth, branch_text(model, nodes, node, go_left, precision)))
    return "\n".join(lines)


def _leaf_text(model, node, precision):
    value, n_samples = model.nodes_.value[node], model.nodes_.n_samples[node]
    if not is_classifier(model):
        return f"value: {value[0]:.{precision}g} (n={n_samples})"
    best = np.argmax(value)
    return f"class: {plain(model.classes_[best])} (p={value[best]:.2f}, n={n_samples})"


def leaf_outputs(model, name):
    """``(column name, value of each leaf)`` of the model's outputs, leaves left to right.

    A classifier gives a column per class, named by ``name.format(label)``, and
    ``prediction`` (the most probable class); a regressor gives ``prediction``.
    """
    leaf_values = model.nodes_.value[model.nodes_.leaves]  # (n_leaves, n_outputs)
    if not is_classifier(model):
        return [("prediction", leaf_values[:, 0])]
    columns = [(name.format(plain(label)), leaf_values[:, k]) for k, label in enumerate(model.classes_)]
    return columns + [("prediction", model.classes_[np.argmax(leaf_values, axis=1)])]


def tree_sql(model, table):
    """A query of the model's outputs: one CASE column each, with a WHEN per leaf."""
    schema = model._feature_schema
    whens = [conjunction_sql(rule, schema) for rule in model.rules_]
    columns = [
        (name, case_sql(whens, [sql_literal(plain(v)) for v in values]))
        for name, values in leaf_outputs(model, "proba_{}")
    ]
    return select_sql(columns, table)


def tree_python(model):
    """A module with ``predict(row)``; a classifier's also has ``CLASSES`` and
    ``predict_proba(row)``."""
    leaf_values = model.nodes_.value[model.nodes_.leaves]
    if is_classifier(model):
        return proba_module(model, leaf_returns(model, model.rules_, [python_array(row) for row in leaf_values]))
    return (
        f"{module_docstring(model)}\n\n"
        f"{PYTHON_PRELUDE}\n\n"
        "def predict(row):\n"
        '    """The prediction for one row (a dict of column values)."""\n'
        f"{leaf_returns(model, model.rules_, [python_array(v) for v in leaf_values[:, 0]])}\n"
    )


def leaf_returns(model, rules, values):
    """The statements of a function body returning ``values[leaf]`` for the leaf of
    ``rules`` (one conjunction per leaf, left to right) a row falls in."""
    schema = model._feature_schema
    n_leaves = len(rules)
    lines = []
    for leaf, (rule, value) in enumerate(zip(rules, values)):
        if leaf == n_leaves - 1:
            if n_leaves > 1:
                lines.append(f"    # otherwise: {rule_text(model, rule, every_missing=True)}")
            lines.append(f"    return {value}")
        else:
            lines += [f"    if {conjunction_python(rule, schema)}:", f"        return {value}"]
    return "\n".join(lines)


def leaf_table(model):
    """One row per leaf: its rule as text, training rows and outputs (``leaf_rules``)."""
    leaves = model.nodes_.leaves
    frame = pd.DataFrame(
        {"rule": [rule_text(model, rule) for rule in model.rules_], "n_samples": model.nodes_.n_samples[leaves]},
        index=pd.RangeIndex(len(leaves), name="leaf"),
    )
    for name, values in leaf_outputs(model, "p({})"):
        frame[name] = values
    return frame
