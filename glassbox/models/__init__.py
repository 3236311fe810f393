"""Models that are transparent by construction: each has ``fit``, ``predict``,
``explain``, ``complexity_``, reads as text and exports itself as SQL and Python.

``TreeNodes`` is the fitted tree of ``TreeClassifier`` and ``TreeRegressor`` as arrays
(their ``nodes_``, and each of the ``trees_`` of ``TreeSumClassifier`` and
``TreeSumRegressor``), for displays and explainers that walk it."""

from __future__ import annotations

from ._additive import AdditiveClassifier, AdditiveRegressor
from ._linear import SparseLinearClassifier, SparseLinearRegressor
from ._rules import RuleListClassifier
from ._tree import TreeClassifier, TreeRegressor
from ._tree_nodes import TreeNodes
from ._treesum import TreeSumClassifier, TreeSumRegressor

__all__ = [
    "AdditiveClassifier",
    "AdditiveRegressor",
    "RuleListClassifier",
    "SparseLinearClassifier",
    "SparseLinearRegressor",
    "TreeClassifier",
    "TreeNodes",
    "TreeRegressor",
    "TreeSumClassifier",
    "TreeSumRegressor",
]
