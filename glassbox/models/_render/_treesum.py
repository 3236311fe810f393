"""Text, SQL and Python of the sums of trees (TreeSumClassifier, TreeSumRegressor).

Every piece is read from the model's ``trees_`` and ``rules_``: a tree reads as the
decision trees do (:mod:`._tree`), its leaves showing the value they add; the query
adds one CASE expression per tree, the module one function per tree. The text says
where missing values go only for the columns that held some at fit; the exports route
every missing value, as ``predict`` does.
"""

from __future__ import annotations

from sklearn.base import is_classifier

from ..._core import plain
from ._conditions import conjunction_sql
from ._python import PYTHON_PRELUDE, link_functions, module_docstring, python_array, python_classes
from ._sql import case_sql, logistic_select_sql, select_sql, sql_literal, sum_sql
from ._tree import leaf_returns, nodes_text

__all__ = ["tree_sum_python", "tree_sum_sql", "tree_sum_text"]


def _score_name(model):
    """What the trees add up to, in words."""
    if not is_classifier(model):
        return "prediction"
    classes = [plain(c) for c in model.classes_]
    if len(classes) == 2:
        return f"log-odds of {classes[1]}"
    return "score of each class"


def tree_sum_text(model, precision):
    """The sum as text: what the trees add up to, then every tree with its leaf values."""
    n_trees = model.n_trees_
    terms = " + ".join(f"tree {t + 1}" for t in range(n_trees))
    lines = [f"{_score_name(model)} = {terms}"]
    if is_classifier(model):
        classes = [plain(c) for c in model.classes_]
        if len(classes) == 2:
            lines.append(f"P({classes[1]}) = 1 / (1 + exp(-log-odds))")
        else:
            lines.append("P(class) = exp(score of the class) / sum over the classes of exp(score)")
    for t, tree in enumerate(model.trees_):
        n_splits = len(tree.left) // 2
        lines += ["", f"tree {t + 1} ({n_splits} split{'s' if n_splits != 1 else ''})"]
        lines.append(nodes_text(model, tree, lambda node, tree=tree: _leaf_text(model, tree, node, precision), precision))
    return "\n".join(lines)


def _leaf_text(model, tree, node, precision):
    value, n_samples = tree.value[node], tree.n_samples[node]
    if len(value) == 1:
        return f"value: {value[0]:+.{precision}g} (n={n_samples})"
    shown = ", ".join(f"{plain(c)} {v:+.{precision}g}" for c, v in zip(model.classes_, value))
    return f"values: {shown} (n={n_samples})"


def _tree_cases(model, k):
    """SQL of output ``k`` of every tree: one CASE expression each, a WHEN per leaf."""
    schema = model._feature_schema
    cases = []
    for tree, rules in zip(model.trees_, model.rules_):
        whens = [conjunction_sql(rule, schema) for rule in rules]
        cases.append(case_sql(whens, [sql_literal(float(v)) for v in tree.value[tree.leaves, k]]))
    return sum_sql(cases)


def tree_sum_sql(model, table):
    """A query of the prediction, or of the class probabilities and the predicted class."""
    if not is_classifier(model):
        return select_sql([("prediction", _tree_cases(model, 0))], table)
    n_scores = model.trees_[0].value.shape[1]
    return logistic_select_sql([_tree_cases(model, k) for k in range(n_scores)], model.classes_, table)


def tree_sum_python(model):
    """A module with one function per tree and ``predict(row)``; a classifier's also has
    ``CLASSES``, ``decision_function(row)`` and ``predict_proba(row)``."""
    n_scores = model.trees_[0].value.shape[1]
    lines = [module_docstring(model), ""]
    if is_classifier(model):
        lines += ["import math", "", f"CLASSES = {python_classes(model.classes_)}", ""]
    lines += ["", PYTHON_PRELUDE]
    names = []
    for t, (tree, rules) in enumerate(zip(model.trees_, model.rules_)):
        names.append(f"tree_{t + 1}")
        values = tree.value[tree.leaves]
        returned = [python_array(v[0] if n_scores == 1 else v) for v in values]
        lines += [
            "",
            f"def {names[-1]}(row):",
            f'    """The value tree {t + 1} adds for one row (a dict of column values)."""',
            leaf_returns(model, rules, returned),
            "",
        ]
    if n_scores == 1:
        total = " + ".join(f"{name}(row)" for name in names)
    else:
        total = f"[sum(values) for values in zip({', '.join(f'{name}(row)' for name in names)})]"
    if not is_classifier(model):
        lines += ["", "def predict(row):", '    """The prediction for one row: the sum of the trees."""',
                  f"    return {total}", ""]
        return "\n".join(lines)
    what = "Log-odds of CLASSES[1]" if n_scores == 1 else "One score per class of CLASSES"
    lines += ["", "def decision_function(row):", f'    """{what}: the sum of the trees."""', f"    return {total}",
              "", "", link_functions(len(model.classes_))]
    return "\n".join(lines)
