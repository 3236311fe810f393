"""The plain Python the exports write: exact literals and the pieces every exported
module shares.

An exported module needs nothing but Python. ``row`` is a dict from column name to
value; ``None`` or NaN is missing (the prelude's ``_missing``), categories are their
levels.
"""

from __future__ import annotations

import numpy as np

from ..._core import plain

__all__ = [
    "PYTHON_PRELUDE",
    "link_functions",
    "module_docstring",
    "proba_module",
    "python_array",
    "python_classes",
    "python_literal",
]

PYTHON_PRELUDE = '''\
def _missing(value):
    """None and NaN are missing."""
    return value is None or value != value
'''

# predict_proba and predict from the decision function: the log-odds of CLASSES[1] ...
_BINARY_LINK = '''\
def predict_proba(row):
    """Probabilities of CLASSES."""
    p = 1.0 / (1.0 + math.exp(-decision_function(row)))
    return [1.0 - p, p]


def predict(row):
    """The predicted class."""
    return CLASSES[1] if decision_function(row) > 0 else CLASSES[0]
'''

# ... or one softmax score per class.
_SOFTMAX_LINK = '''\
def predict_proba(row):
    """Probabilities of CLASSES."""
    scores = decision_function(row)
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def predict(row):
    """The predicted class."""
    scores = decision_function(row)
    return CLASSES[max(range(len(scores)), key=scores.__getitem__)]
'''


def python_literal(value):
    """A Python literal that round-trips ``value`` exactly."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (np.integer,)):
        return repr(int(value))
    if isinstance(value, np.str_):
        return repr(str(value))
    return repr(value)


def python_array(values):
    """Nested Python lists of exact float literals (a float for a scalar)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return python_literal(float(values))
    return "[" + ", ".join(python_array(v) for v in values) + "]"


def python_classes(classes):
    """The list of class labels, as plain Python values."""
    return python_literal([plain(label) for label in classes])


def module_docstring(estimator):
    """The first line of an exported module."""
    return f'"""{type(estimator).__name__} exported from glassbox: plain Python, no dependencies."""'


def proba_module(estimator, body):
    """A module whose ``predict_proba(row)`` runs the statements ``body``, and ``predict``."""
    return (
        f"{module_docstring(estimator)}\n\n"
        f"{PYTHON_PRELUDE}\n\n"
        f"CLASSES = {python_classes(estimator.classes_)}\n\n\n"
        "def predict_proba(row):\n"
        '    """Class probabilities of one row (a dict of column values), in the order of CLASSES."""\n'
        f"{body}\n\n\n"
        "def predict(row):\n"
        '    """The most probable class of one row."""\n'
        "    proba = predict_proba(row)\n"
        "    return CLASSES[proba.index(max(proba))]\n"
    )


def link_functions(n_classes):
    """Source of ``predict_proba(row)`` and ``predict(row)`` from ``decision_function(row)``:
    logistic for two classes, softmax for more (the module imports ``math``)."""
    return _BINARY_LINK if n_classes == 2 else _SOFTMAX_LINK
