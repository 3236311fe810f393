"""Declarative parameter constraints.

A small twin of scikit-learn's private ``sklearn.utils._param_validation``: estimators
declare ``_parameter_constraints`` next to their parameters and call
:func:`validate_params` at the start of ``fit``. Keeping our own copy means a
scikit-learn upgrade cannot break us.

Each parameter maps to a list of accepted constraints; the value is valid when any one
of them accepts it. A constraint is one of

- an :class:`Interval` or :class:`Options` instance;
- a type (``dict``, ``np.ndarray``) checked with ``isinstance``;
- ``None`` (the value ``None`` itself);
- one of the strings ``"array-like"``, ``"boolean"``, ``"callable"``,
  ``"random_state"``, ``"estimator"``;
- a :class:`HasMethods` instance.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """Raised when a parameter has a value that its constraints do not accept.

    Inherits from both ``ValueError`` and ``TypeError`` so that callers catching
    either, as scikit-learn users do, see it.
    """


@dataclass(frozen=True)
class Interval:
    """Numbers of a given type between ``left`` and ``right``.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real}
        ``Real`` accepts integers too; ``Integral`` rejects floats and booleans.
    left, right : float or None
        Bounds; ``None`` means unbounded on that side.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    type: type
    left: float | None
    right: float | None
    closed: str = "both"

    def __post_init__(self):
        if self.closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be 'left', 'right', 'both' or 'neither'; got {self.closed!r}.")

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.type):
            return False
        if isinstance(value, float) and np.isnan(value):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self):
        kind = "an int" if self.type is numbers.Integral else "a float"
        left_bracket = "[" if self.closed in ("left", "both") else "("
        right_bracket = "]" if self.closed in ("right", "both") else ")"
        left = "-inf" if self.left is None else self.left
        right = "inf" if self.right is None else self.right
        return f"{kind} in the range {left_bracket}{left}, {right}{right_bracket}"


@dataclass(frozen=True)
class Options:
    """A finite set of accepted values of a given type."""

    type: type
    options: frozenset

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.type) and value in self.options

    def __str__(self):
        return "one of " + ", ".join(repr(o) for o in sorted(self.options, key=str))


def StrOptions(options: Iterable[str]) -> Options:
    """Accepted strings, for example ``StrOptions({"auto", "exact"})``."""
    return Options(str, frozenset(options))


@dataclass(frozen=True)
class HasMethods:
    """Objects exposing all of the given methods (duck typing)."""

    methods: tuple

    def is_satisfied_by(self, value: Any) -> bool:
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def __str__(self):
        names = ", ".join(repr(m) for m in self.methods)
        return f"an object implementing {names}"


def _is_array_like(value):
    """Array-like and not a scalar (a string is not array-like), as scikit-learn checks it."""
    if isinstance(value, (str, bytes)) or np.isscalar(value):
        return False
    return hasattr(value, "__len__") or hasattr(value, "shape") or hasattr(value, "__array__")


_NAMED = {
    "array-like": (_is_array_like, "an array-like"),
    "boolean": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "callable": (callable, "a callable"),
    "random_state": (
        lambda v: v is None
        or (isinstance(v, numbers.Integral) and not isinstance(v, bool))
        or isinstance(v, (np.random.RandomState, np.random.Generator)),
        "an int, a numpy RandomState or Generator, or None",
    ),
    "estimator": (lambda v: hasattr(v, "fit") and hasattr(v, "get_params"), "a scikit-learn estimator"),
}


def _accepts(constraint, value):
    if constraint is None:
        return value is None
    if isinstance(constraint, str):
        return _NAMED[constraint][0](value)
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (
            constraint in (int, float, numbers.Integral, numbers.Real) and isinstance(value, bool)
        )
    return constraint.is_satisfied_by(value)


def _describe(constraint):
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        return _NAMED[constraint][1]
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__!r}"
    return str(constraint)


def validate_params(estimator: BaseEstimator) -> None:
    """Check every parameter of ``estimator`` against its ``_parameter_constraints``.

    Parameters without a declared constraint are not checked.

    Raises
    ------
    InvalidParameterError
        Naming the parameter, what it accepts and what it got.
    """
    constraints = getattr(estimator, "_parameter_constraints", {})
    params = estimator.get_params(deep=False)
    owner = type(estimator).__name__
    for name, accepted in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if any(_accepts(c, value) for c in accepted):
            continue
        descriptions = [_describe(c) for c in accepted]
        expected = descriptions[0] if len(descriptions) == 1 else (
            ", ".join(descriptions[:-1]) + " or " + descriptions[-1]
        )
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
        )
