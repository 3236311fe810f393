"""Conditions of trees and rule lists as text, SQL and Python.

A conjunction of :class:`~glassbox.models._conditions.Conditions` reads
``bmi > 30.5 and smoker = yes`` as text, and tests the same rows in SQL (NULL is
missing) and in Python (the prelude's ``_missing``): the two code dialects share one
skeleton, each with its own columns, literals, operators and missing-value tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._python import python_literal
from ._sql import sql_identifier, sql_literal

__all__ = ["conjunction_python", "conjunction_sql", "conjunction_text"]

_TEXT_OPS = {"<=": "<=", ">": ">", "==": "=", "!=": "!="}


def conjunction_text(conditions, schema, index=None, *, joiner=" and ", precision=4):
    """The conditions at ``index`` (all by default), joined; ``""`` for none.

    A numeric value shows ``precision`` significant digits, a category its level; a
    condition that also holds for a missing value says so, ``(age <= 30 or age is missing)``.
    """
    index = range(len(conditions)) if index is None else index
    return joiner.join(_condition_text(conditions, i, schema, precision) for i in index)


def _condition_text(conditions, i, schema, precision):
    j, op, value = conditions.feature[i], conditions.op[i], conditions.value[i]
    name = schema.feature_names[j]
    if op in ("missing", "not missing"):
        return f"{name} is {op}"
    shown = schema.categories[j][int(value)] if schema.is_categorical[j] else f"{value:.{precision}g}"
    text = f"{name} {_TEXT_OPS[op]} {shown}"
    return f"({text} or {name} is missing)" if conditions.missing[i] else text


@dataclass(frozen=True)
class _Dialect:
    """How a code dialect reads a column, writes a literal, compares and tests missingness."""

    column: Callable  # feature name -> the expression of its value
    literal: Callable  # value -> literal
    ops: dict  # condition operator -> the dialect's
    missing: str  # "{}" the column: it is missing ...
    present: str  # ... it is not
    either: str  # "{} or {}" of two tests, parenthesised
    both: str
    joiner: str


_SQL = _Dialect(
    column=sql_identifier,
    literal=sql_literal,
    ops={"<=": "<=", ">": ">", "==": "=", "!=": "<>"},
    missing="{} IS NULL",
    present="{} IS NOT NULL",
    either="({} OR {})",
    both="({} AND {})",
    joiner=" AND ",
)
_PYTHON = _Dialect(
    column=lambda name: f"row[{python_literal(str(name))}]",
    literal=python_literal,
    ops={op: op for op in _TEXT_OPS},
    missing="_missing({})",
    present="not _missing({})",
    either="({} or {})",
    both="({} and {})",
    joiner=" and ",
)


def conjunction_sql(conditions, schema, index=None):
    """The conditions at ``index`` (all by default) as a SQL test (NULL is missing)."""
    return _conjunction(_SQL, conditions, schema, index)


def conjunction_python(conditions, schema, index=None):
    """The conditions at ``index`` (all by default) as a Python test over ``row[name]``;
    it calls the prelude's ``_missing``."""
    return _conjunction(_PYTHON, conditions, schema, index)


def _conjunction(dialect, conditions, schema, index):
    index = range(len(conditions)) if index is None else index
    return dialect.joiner.join(_condition(dialect, conditions, i, schema) for i in index)


def _condition(dialect, conditions, i, schema):
    j, op, value = conditions.feature[i], conditions.op[i], conditions.value[i]
    column = dialect.column(schema.feature_names[j])
    if op in ("missing", "not missing"):
        return (dialect.missing if op == "missing" else dialect.present).format(column)
    literal = dialect.literal(schema.categories[j][int(value)] if schema.is_categorical[j] else float(value))
    comparison = f"{column} {dialect.ops[op]} {literal}"
    if conditions.missing[i]:
        return dialect.either.format(dialect.missing.format(column), comparison)
    return dialect.both.format(dialect.present.format(column), comparison)
