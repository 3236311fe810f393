"""The shape of a tree held as child arrays: levels, parents, depths, preorder, leaves.

A tree (or several, side by side) is two arrays ``left`` and ``right`` of child indices,
-1 at a leaf, as scikit-learn's ``tree_.children_left`` / ``children_right``. Each helper
walks the nodes one level at a time with numpy, never one node at a time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["tree_depths", "tree_leaves", "tree_levels", "tree_parents", "tree_preorder"]


def _roots(roots):
    return np.zeros(1, np.intp) if roots is None else np.asarray(roots, dtype=np.intp).reshape(-1)


def tree_levels(left: np.ndarray, right: np.ndarray, roots: ArrayLike | None = None) -> list[np.ndarray]:
    """Nodes by depth, from the roots down.

    Parameters
    ----------
    left, right : ndarray of int of shape (n_nodes,)
        Child indices, -1 at a leaf.
    roots : array-like of int, default=None
        Roots of the trees held in the arrays, in the order of the trees; ``None`` is
        node 0.

    Returns
    -------
    levels : list of ndarray of int
        ``levels[0]`` the roots; ``levels[k + 1]`` the left children of the internal
        nodes of ``levels[k]``, then their right children, in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox._core import tree_levels
    >>> left, right = np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1])
    >>> [level.tolist() for level in tree_levels(left, right)]
    [[0], [1, 2], [3, 4]]
    """
    levels = [_roots(roots)]
    frontier = levels[0]
    while True:
        inner = frontier[left[frontier] >= 0]
        if len(inner) == 0:
            return levels
        frontier = np.concatenate([left[inner], right[inner]])
        levels.append(frontier)


def tree_parents(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Parent of each node, -1 at a root.

    Parameters
    ----------
    left, right
        As in :func:`tree_levels`.

    Returns
    -------
    parent : ndarray of int of shape (n_nodes,)
    """
    parent = np.full(len(left), -1, dtype=np.intp)
    split = np.flatnonzero(np.asarray(left) >= 0)
    parent[left[split]] = split
    parent[right[split]] = split
    return parent


def tree_depths(left: np.ndarray, right: np.ndarray, roots: ArrayLike | None = None) -> np.ndarray:
    """Depth of each node, 0 at a root.

    Parameters
    ----------
    left, right, roots
        As in :func:`tree_levels`; nodes not reached from ``roots`` get depth 0.

    Returns
    -------
    depth : ndarray of int of shape (n_nodes,)

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox._core import tree_depths
    >>> left, right = np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1])
    >>> tree_depths(left, right).tolist()
    [0, 1, 1, 2, 2]
    """
    depth = np.zeros(len(left), dtype=np.intp)
    for k, level in enumerate(tree_levels(left, right, roots)):
        depth[level] = k
    return depth


def tree_preorder(left: np.ndarray, right: np.ndarray, roots: ArrayLike | None = None) -> np.ndarray:
    """Node ids depth first, left before right, tree after tree.

    Parameters
    ----------
    left, right, roots
        As in :func:`tree_levels`; the trees are listed in the order of ``roots``.

    Returns
    -------
    order : ndarray of int
        The nodes reachable from the roots.

    Notes
    -----
    Subtree sizes go up the levels, then each node's position comes down them: a left
    child follows its parent, a right child follows the parent's left subtree.

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox._core import tree_preorder
    >>> left, right = np.array([1, -1, 3, -1, -1]), np.array([2, -1, 4, -1, -1])
    >>> tree_preorder(left, right).tolist()
    [0, 1, 2, 3, 4]
    """
    levels = tree_levels(left, right, roots)
    size = np.ones(len(left), dtype=np.intp)  # nodes in each subtree
    for level in reversed(levels):
        inner = level[left[level] >= 0]
        size[inner] += size[left[inner]] + size[right[inner]]
    position = np.zeros(len(left), dtype=np.intp)
    position[levels[0]] = np.r_[0, np.cumsum(size[levels[0]])[:-1]]
    for level in levels:
        inner = level[left[level] >= 0]
        position[left[inner]] = position[inner] + 1
        position[right[inner]] = position[inner] + 1 + size[left[inner]]
    reached = np.concatenate(levels)
    order = np.empty(len(reached), dtype=np.intp)
    order[position[reached]] = reached
    return order


def tree_leaves(left: np.ndarray, right: np.ndarray, roots: ArrayLike | None = None) -> np.ndarray:
    """The leaves from left to right (in preorder), tree after tree.

    Parameters
    ----------
    left, right, roots
        As in :func:`tree_levels`.

    Returns
    -------
    leaves : ndarray of int
    """
    order = tree_preorder(left, right, roots)
    return order[left[order] < 0]
