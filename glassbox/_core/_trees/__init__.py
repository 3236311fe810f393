"""Fitted tree models read into plain node arrays, and the shape of a tree.

One reader serves every part of glassbox that reads a fitted tree: TreeSHAP, the
partial-dependence recursion and the complexity count (:mod:`._readers`, into the
arrays of :mod:`._ensemble`); levels, parents, depths, preorder and leaves of child
arrays come from :mod:`._structure`.
"""

from __future__ import annotations

from ._ensemble import SPLIT_BITSET, SPLIT_NOT_EQUAL, SPLIT_NUMERIC, TreeEnsemble, TreeList
from ._readers import count_tree_splits, is_tree_model, read_tree_model, register_tree_reader, resolve_tree_output
from ._structure import tree_depths, tree_leaves, tree_levels, tree_parents, tree_preorder

__all__ = [
    "SPLIT_BITSET",
    "SPLIT_NOT_EQUAL",
    "SPLIT_NUMERIC",
    "TreeEnsemble",
    "TreeList",
    "count_tree_splits",
    "is_tree_model",
    "read_tree_model",
    "register_tree_reader",
    "resolve_tree_output",
    "tree_depths",
    "tree_leaves",
    "tree_levels",
    "tree_parents",
    "tree_preorder",
]
