"""Models that are transparent by construction: each has ``fit``, ``predict``,
``explain``, ``complexity_`` and reads as text."""

from ._additive import AdditiveClassifier, AdditiveRegressor
from ._linear import SparseLinearClassifier, SparseLinearRegressor
from ._rules import RuleListClassifier
from ._tree import TreeClassifier, TreeRegressor

__all__ = []
__all__ += ["SparseLinearClassifier", "SparseLinearRegressor"]
__all__ += ["TreeClassifier", "TreeRegressor"]
__all__ += ["AdditiveClassifier", "AdditiveRegressor"]
__all__ += ["RuleListClassifier"]
