"""Conditions on one feature, shared by trees and rule lists.

A condition is ``(feature, op, value, missing)``: ``feature`` is a column index,
``op`` one of ``"<="``, ``">"``, ``"=="``, ``"!="``, ``"missing"``, ``"not missing"``,
``value`` a threshold or a category code (on the encoded representation of ``_core``),
and ``missing`` says whether the condition holds when the feature is missing (ignored for
``op="missing"``, which holds exactly then, and ``op="not missing"``, which holds exactly
otherwise). Sets of conditions are parallel arrays, evaluated as boolean masks without a
Python loop over rows, and rendered as text, SQL and Python so that every model reads
and exports the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Conditions", "logistic_select_sql", "python_literal", "sql_identifier", "sql_literal", "sql_table"]

OPS = ("<=", ">", "==", "!=", "missing", "not missing")
_TEXT_OPS = {"<=": "<=", ">": ">", "==": "=", "!=": "!="}


@dataclass(frozen=True, eq=False)
class Conditions:
    """Parallel arrays describing ``n_conditions`` single-feature conditions.

    Attributes
    ----------
    feature : ndarray of int of shape (n_conditions,)
    op : ndarray of str of shape (n_conditions,)
    value : ndarray of float of shape (n_conditions,)
    missing : ndarray of bool of shape (n_conditions,)
        Whether the condition holds for a missing value.
    """

    feature: np.ndarray
    op: np.ndarray
    value: np.ndarray
    missing: np.ndarray

    @classmethod
    def from_lists(cls, feature, op, value, missing=None):
        feature = np.asarray(feature, dtype=np.intp)
        op = np.asarray(op, dtype=object)
        bad = set(op.tolist()) - set(OPS)
        if bad:
            raise ValueError(f"Unknown condition operators {sorted(bad)}; expected {OPS}.")
        value = np.asarray(value, dtype=np.float64)
        missing = np.zeros(len(feature), dtype=bool) if missing is None else np.asarray(missing, dtype=bool)
        return cls(feature, op, value, missing)

    def __len__(self):
        return len(self.feature)

    def __getitem__(self, index):
        index = np.atleast_1d(np.arange(len(self))[index])
        return Conditions(self.feature[index], self.op[index], self.value[index], self.missing[index])

    def evaluate(self, X):
        """Whether each row of encoded ``X`` satisfies each condition, shape (n_samples, n_conditions)."""
        columns = X[:, self.feature]  # (n, k)
        is_missing = np.isnan(columns)
        value = self.value[None, :]
        with np.errstate(invalid="ignore"):
            holds = np.select(
                [self.op == "<=", self.op == ">", self.op == "==", self.op == "!=", self.op == "not missing"],
                [columns <= value, columns > value, columns == value, columns != value, True],
                default=False,
            )
        holds_if_missing = (self.op == "missing") | (self.missing & (self.op != "not missing"))
        return np.where(is_missing, holds_if_missing, holds)

    # -- rendering -----------------------------------------------------------------
    def to_text(self, i, schema, *, precision=4):
        """Condition ``i`` as a person writes it, e.g. ``bmi > 30.5`` or ``smoker = yes``."""
        name, op, value = schema.feature_names[self.feature[i]], self.op[i], self.value[i]
        if op in ("missing", "not missing"):
            return f"{name} is {op}"
        shown = _level(schema, self.feature[i], value) if schema.is_categorical[self.feature[i]] else f"{value:.{precision}g}"
        text = f"{name} {_TEXT_OPS[op]} {shown}"
        return f"({text} or {name} is missing)" if self.missing[i] else text

    def to_sql(self, i, schema):
        """Condition ``i`` as a SQL boolean expression (NULL is missing)."""
        column = sql_identifier(schema.feature_names[self.feature[i]])
        op, value = self.op[i], self.value[i]
        if op in ("missing", "not missing"):
            return f"{column} IS {'NULL' if op == 'missing' else 'NOT NULL'}"
        literal = (
            sql_literal(_level(schema, self.feature[i], value))
            if schema.is_categorical[self.feature[i]]
            else sql_literal(float(value))
        )
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        if self.missing[i]:
            return f"({column} IS NULL OR {column} {sql_op} {literal})"
        return f"({column} IS NOT NULL AND {column} {sql_op} {literal})"

    def to_python(self, i, schema, row="row"):
        """Condition ``i`` as a Python expression over ``row[name]`` (None or NaN is missing).

        The generated code calls ``_missing(value)``, which the exported module defines
        (see :data:`PYTHON_PRELUDE`).
        """
        access = f"{row}[{python_literal(str(schema.feature_names[self.feature[i]]))}]"
        op, value = self.op[i], self.value[i]
        if op in ("missing", "not missing"):
            return f"{'' if op == 'missing' else 'not '}_missing({access})"
        literal = (
            python_literal(_level(schema, self.feature[i], value))
            if schema.is_categorical[self.feature[i]]
            else python_literal(float(value))
        )
        if self.missing[i]:
            return f"(_missing({access}) or {access} {op} {literal})"
        return f"(not _missing({access}) and {access} {op} {literal})"


PYTHON_PRELUDE = '''\
def _missing(value):
    """None and NaN are missing."""
    return value is None or value != value
'''


def _level(schema, feature, code):
    return schema.categories[feature][int(code)]


def sql_identifier(name):
    """A double-quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_table(table):
    """A table name for ``FROM``: ``schema.table`` is quoted part by part."""
    return ".".join(sql_identifier(part) for part in str(table).split("."))


def logistic_select_sql(score_sql, classes, table):
    """A SELECT of class probabilities and the predicted label from linear scores.

    Parameters
    ----------
    score_sql : list of str
        SQL expressions of the scores: one (the log-odds of ``classes[1]``) for a
        binary model, one per class (softmax) otherwise.
    classes : array-like
        The class labels; probability columns are named ``proba_<label>``.
    table : str
        The table holding the model's columns.
    """
    classes = [value.item() if isinstance(value, np.generic) else value for value in classes]
    K = len(classes)
    if K == 2:
        scores = [sql_identifier("score")]
        inner = f"  {score_sql[0]} AS {scores[0]}"
        p1 = f"1.0 / (1.0 + EXP(-{scores[0]}))"
        probas = [f"1.0 - {p1}", p1]
        label = f"CASE WHEN {scores[0]} > 0 THEN {sql_literal(classes[1])} ELSE {sql_literal(classes[0])} END"
    else:
        scores = [sql_identifier(f"score_{k}") for k in range(K)]
        inner = ",\n".join(f"  {score_sql[k]} AS {scores[k]}" for k in range(K))
        total = " + ".join(f"EXP({s})" for s in scores)
        probas = [f"EXP({s}) / ({total})" for s in scores]
        whens = [
            f"WHEN {' AND '.join(f'{scores[k]} >= {scores[m]}' for m in range(k + 1, K))} THEN {sql_literal(classes[k])}"
            for k in range(K - 1)
        ]
        label = f"CASE {' '.join(whens)} ELSE {sql_literal(classes[-1])} END"
    outputs = [f"  {p} AS {sql_identifier(f'proba_{c}')}" for p, c in zip(probas, classes)]
    outputs.append(f"  {label} AS {sql_identifier('prediction')}")
    return (
        "SELECT\n" + ",\n".join(outputs) + "\nFROM (\nSELECT\n" + inner
        + f"\nFROM {sql_table(table)}\n) AS {sql_identifier('scores')}"
    )


def sql_literal(value):
    """A SQL literal: exact decimal for floats, single-quoted strings."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def python_literal(value):
    """A Python literal that round-trips ``value`` exactly."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (np.integer,)):
        return repr(int(value))
    if isinstance(value, np.str_):
        return repr(str(value))
    return repr(value)
