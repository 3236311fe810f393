"""The SQL the exports write: quoted identifiers and tables, exact literals, one CASE
column per output, and the SELECT of a logistic or softmax model.

A missing value is ``NULL``; categories are compared as the values they are.
"""

from __future__ import annotations

import numpy as np

from ..._core import plain

__all__ = [
    "case_sql",
    "logistic_select_sql",
    "select_sql",
    "sql_identifier",
    "sql_literal",
    "sql_table",
    "sum_sql",
]

def sql_identifier(name):
    """A double-quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_table(table):
    """A table name for ``FROM``: ``schema.table`` is quoted part by part."""
    return ".".join(sql_identifier(part) for part in str(table).split("."))


def sql_literal(value):
    """A SQL literal: exact decimal for floats, single-quoted strings."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def case_sql(whens, literals):
    """A CASE expression: ``literals[r]`` where ``whens[r]`` is the first test that holds.

    One literal more than tests is the ``ELSE``; a single literal is the whole
    expression (a model of one leaf or rule).
    """
    if len(literals) == 1:
        return literals[0]
    lines = [f"    WHEN {when} THEN {literal}" for when, literal in zip(whens, literals)]
    if len(literals) > len(whens):
        lines.append(f"    ELSE {literals[-1]}")
    return "CASE\n" + "\n".join(lines) + "\n  END"


def sum_sql(parts):
    """SQL terms added up, one per line."""
    return "\n    + ".join(parts)


def select_sql(columns, table):
    """A SELECT of ``(name, expression)`` columns from ``table``."""
    selected = ",\n".join(f"  {expression} AS {sql_identifier(name)}" for name, expression in columns)
    return f"SELECT\n{selected}\nFROM {sql_table(table)}"


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
    classes = [plain(value) for value in classes]
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
