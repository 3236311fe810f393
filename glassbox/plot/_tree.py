"""Drawing of a fitted glassbox tree: a box per node, top down."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._core import format_number, plain
from ..models import TreeNodes
from ._words import plain_numbers

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

__all__ = ["TreeDisplay"]


class TreeDisplay:
    """A decision tree drawn top down: one box per node, the root on top.

    A split node's box holds the condition its rows must meet to go left (where
    missing values go, when the column had some at fit), its training rows and its
    prediction; a leaf's box holds its prediction and rows. The edges to the children
    read "yes" (left) and "no" (right). A box is coloured by its predicted class, paler
    the less pure the node (classifier), or by its value (regressor).

    Build it with :meth:`from_estimator`; :meth:`plot` draws it.

    Parameters
    ----------
    left, right : ndarray of int of shape (n_nodes,)
        Children of each node, -1 at a leaf; node 0 is the root.
    node_labels : list of str of length n_nodes
        The text of each box.
    value : ndarray of shape (n_nodes, n_outputs)
        Class probabilities (classifier) or the predicted value (regressor) of each
        node, which colour the boxes.
    is_classifier : bool, default=True

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    boxes_ : list of Text
        One per drawn node, depth first (left before right).
    node_ids_ : ndarray of int
        The node of each box.
    edges_ : LineCollection
        One segment per drawn edge, in the order of ``node_ids_[1:]`` (each box's
        edge to its parent).
    edge_labels_ : list of Text
        "yes" and "no" on each drawn edge, in the order of ``edges_``.

    See Also
    --------
    glassbox.models.TreeClassifier.to_text : The same tree as indented text.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from glassbox.models import TreeClassifier
    >>> from glassbox.plot import TreeDisplay
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = TreeClassifier(max_leaf_nodes=3, random_state=0).fit(X, y)
    >>> disp = TreeDisplay.from_estimator(model).plot()
    >>> print(disp.boxes_[0].get_text())
    petal width (cm) <= 0.8
    n = 150
    class: 0 (p = 0.33)
    >>> [label.get_text() for label in disp.edge_labels_]
    ['yes', 'no', 'yes', 'no']
    """

    def __init__(
        self,
        left: np.ndarray,
        right: np.ndarray,
        node_labels: Sequence[str],
        value: np.ndarray,
        *,
        is_classifier: bool = True,
    ) -> None:
        self.left = np.asarray(left, dtype=np.intp)
        self.right = np.asarray(right, dtype=np.intp)
        self.node_labels = [str(label) for label in node_labels]
        self.value = np.asarray(value, dtype=np.float64)
        self.is_classifier = bool(is_classifier)
        if not len(self.left) == len(self.right) == len(self.node_labels) == len(self.value):
            raise ValueError(
                "TreeDisplay needs left, right, node_labels and value of one length (the number of nodes); got "
                f"{len(self.left)}, {len(self.right)}, {len(self.node_labels)} and {len(self.value)}."
            )

    @classmethod
    def from_estimator(cls, estimator: Any, *, precision: int = 4) -> TreeDisplay:
        """The nodes of a fitted :class:`~glassbox.models.TreeClassifier` or
        :class:`~glassbox.models.TreeRegressor`.

        Parameters
        ----------
        estimator : TreeClassifier or TreeRegressor
        precision : int, default=4
            Significant digits of thresholds and predicted values.

        Returns
        -------
        display : TreeDisplay
        """
        from ..models import TreeClassifier, TreeRegressor

        if not isinstance(estimator, (TreeClassifier, TreeRegressor)):
            raise TypeError(
                "TreeDisplay draws glassbox's TreeClassifier and TreeRegressor; got "
                f"{type(estimator).__name__}. For a scikit-learn tree use sklearn.tree.plot_tree."
            )
        check_is_fitted(estimator)
        nodes = estimator.nodes_
        is_classifier = isinstance(estimator, TreeClassifier)
        labels = []
        for node in range(len(nodes.left)):
            lines = []
            if nodes.left[node] >= 0:
                lines.append(plain_numbers(estimator.branch_text(node, precision=precision)))
            lines.append(f"n = {nodes.n_samples[node]}")
            value = nodes.value[node]
            if is_classifier:
                best = int(np.argmax(value))
                lines.append(f"class: {plain(estimator.classes_[best])} (p = {value[best]:.2f})")
            else:
                lines.append(f"value: {format_number(value[0], precision)}")
            labels.append("\n".join(lines))
        return cls(nodes.left, nodes.right, labels, nodes.value, is_classifier=is_classifier)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        max_depth: int | None = None,
        fontsize: float | None = None,
        filled: bool = True,
        cmap: str | Colormap | None = None,
    ) -> TreeDisplay:
        """Draw on ``ax`` (a new figure by default) and return ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        max_depth : int, default=None
            Deepest level drawn (the root is level 0); a split below it is marked
            "(...)". The whole tree by default.
        fontsize : float, default=None
            Size of the text in the boxes; chosen from the tree's width by default.
        filled : bool, default=True
            Whether boxes are coloured by their prediction.
        cmap : str or Colormap, default=None
            Colours of the classes (default "tab10") or of the values (default "Oranges").
        """
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        tree = TreeNodes.from_children(self.left, self.right)
        x, depth, parent, drawn = _layout(tree, max_depth)
        n_columns = int(np.nanmax(x)) + 1
        n_levels = int(depth[drawn].max()) + 1
        if fontsize is None:
            fontsize = float(np.clip(11 - 0.25 * n_columns, 6, 9))
        if ax is None:
            widest = max(len(line) for node in np.flatnonzero(drawn) for line in self.node_labels[node].split("\n"))
            column_width = 0.6 * fontsize / 72 * widest + 0.4  # inches: a box and a margin
            _, ax = plt.subplots(figsize=(max(4.0, column_width * n_columns), max(2.0, 1.25 * n_levels)))
        colors = self._colors(cmap) if filled else np.ones((len(self.left), 4))
        order = tree.preorder()
        self.node_ids_ = order[drawn[order]]
        self.boxes_, segments, self.edge_labels_ = [], [], []
        for node in self.node_ids_:
            y = -depth[node]
            self.boxes_.append(ax.text(
                x[node], y, self.node_labels[node], ha="center", va="center", fontsize=fontsize, zorder=3,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": colors[node], "edgecolor": "#555555"},
            ))
            if self.left[node] >= 0 and not drawn[self.left[node]]:
                ax.text(x[node], y - 0.6, "(...)", ha="center", va="center", fontsize=fontsize)
            if node == 0:
                continue
            up = parent[node]
            segments.append([(x[up], -depth[up]), (x[node], y)])
            word = "yes" if self.left[up] == node else "no"
            self.edge_labels_.append(ax.text(
                (x[up] + x[node]) / 2, y + 0.5, word, ha="center", va="center", fontsize=0.9 * fontsize, zorder=2,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            ))
        self.edges_ = ax.add_collection(LineCollection(segments, colors="#777777", linewidths=1, zorder=1))
        ax.set_xlim(-0.6, n_columns - 0.4)
        is_cut = drawn & (self.left >= 0) & ~drawn[np.maximum(self.left, 0)]
        ax.set_ylim(-(n_levels - 1) - (0.9 if is_cut.any() else 0.6), 0.6)
        ax.set_axis_off()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _colors(self, cmap):
        """RGBA face colour of every node."""
        from matplotlib import colormaps

        white = np.ones(4)
        if self.is_classifier:
            palette = colormaps[cmap or "tab10"] if not hasattr(cmap, "N") else cmap
            n_classes = self.value.shape[1]
            best = np.argmax(self.value, axis=1)
            top = self.value.max(axis=1)
            # 0 for a node split evenly among the classes, 1 for a pure node.
            purity = (top - 1 / n_classes) / (1 - 1 / n_classes) if n_classes > 1 else np.ones(len(top))
            base = np.asarray([palette(k % palette.N) for k in best])
            strength = (0.1 + 0.6 * purity)[:, None]
            return white * (1 - strength) + base * strength
        palette = colormaps[cmap or "Oranges"] if not hasattr(cmap, "N") else cmap
        values = self.value[:, 0]
        span = np.ptp(values)
        scaled = (values - values.min()) / span if span > 0 else np.full(len(values), 0.5)
        return np.asarray(palette(0.1 + 0.6 * scaled))


def _layout(tree, max_depth=None):
    """Positions of the nodes of a :class:`~glassbox.models.TreeNodes`, in the spirit of
    ``sklearn.tree._export``.

    The nodes drawn without children (leaves, and splits at ``max_depth``) take the
    columns 0, 1, 2... from left to right; a split sits midway between its children.

    Returns
    -------
    x : ndarray of float of shape (n_nodes,)
        Column of each node, NaN when not drawn.
    depth : ndarray of int of shape (n_nodes,)
        The root is at depth 0.
    parent : ndarray of int of shape (n_nodes,)
        -1 for the root.
    drawn : ndarray of bool of shape (n_nodes,)
    """
    left, right, depth, order = tree.left, tree.right, tree.depth, tree.preorder()
    n_nodes = len(left)
    drawn = np.ones(n_nodes, dtype=bool) if max_depth is None else depth <= max_depth
    is_end = drawn & ((left < 0) | (depth == (max_depth if max_depth is not None else -1)))
    x = np.full(n_nodes, np.nan)
    ends = order[is_end[order]]  # left to right
    x[ends] = np.arange(len(ends), dtype=np.float64)
    for node in order[::-1]:  # children before parents
        if drawn[node] and not is_end[node]:
            x[node] = (x[left[node]] + x[right[node]]) / 2
    return x, depth, tree.parent, drawn
