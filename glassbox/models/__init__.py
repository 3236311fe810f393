"""Models that are transparent by construction: each has ``fit``, ``predict``,
``explain``, ``complexity_``, reads as text and exports itself as SQL and Python."""

from ._additive import AdditiveClassifier, AdditiveRegressor
from ._linear import SparseLinearClassifier, SparseLinearRegressor
from ._rules import RuleListClassifier
from ._tree import TreeClassifier, TreeRegressor

__all__ = [
    "AdditiveClassifier",
    "AdditiveRegressor",
    "RuleListClassifier",
    "SparseLinearClassifier",
    "SparseLinearRegressor",
    "TreeClassifier",
    "TreeRegressor",
]
