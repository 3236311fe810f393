"""Every tree of a model as one set of parallel node arrays.

:class:`TreeEnsemble` holds the nodes of all trees of a model side by side, routes rows
through them and predicts the raw output they add up to; :class:`TreeList` collects
trees one at a time and glues them into one. The readers of fitted models build them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._structure import tree_levels

__all__ = ["SPLIT_BITSET", "SPLIT_NOT_EQUAL", "SPLIT_NUMERIC", "SPLIT_ZERO_MISSING", "TreeEnsemble", "TreeList"]

# Kinds of split: x <= threshold, x != level, category in a set, and x <= threshold with
# zero as missing (LightGBM's missing_type "Zero": NaN and |x| <= 1e-35 take the default).
SPLIT_NUMERIC, SPLIT_NOT_EQUAL, SPLIT_BITSET, SPLIT_ZERO_MISSING = 0, 1, 2, 3
_ZERO = 1e-35  # LightGBM's kZeroThreshold


@dataclass(eq=False)
class TreeEnsemble:
    """Every tree of a model as one set of parallel node arrays.

    Node ``i`` of tree ``t`` is global node ``roots[t] + i``; ``left``/``right`` are
    global indices, -1 at leaves. The model output is
    ``offset + sum over trees of value[leaf reached]`` scattered into columns
    ``tree_columns[t]``.
    """

    left: np.ndarray  # (n_nodes,) intp
    right: np.ndarray  # (n_nodes,) intp
    feature: np.ndarray  # (n_nodes,) intp, -1 at leaves; a column of the model input
    threshold: np.ndarray  # (n_nodes,) float64: x <= threshold goes left (a level for SPLIT_NOT_EQUAL)
    missing_left: np.ndarray  # (n_nodes,) bool: where NaN goes
    cover: np.ndarray  # (n_nodes,) float64: training weight reaching the node
    value: np.ndarray  # (n_nodes, width) float64, scaled so that outputs are plain sums
    roots: np.ndarray  # (n_trees,) intp
    tree_columns: np.ndarray  # (n_trees, width) intp: output column of each value
    n_outputs: int
    output_method: str
    n_features: int  # columns of the rows given by the caller
    offset: np.ndarray = None  # (n_outputs,) constant added to the sum of the trees
    float32_inputs: bool = False  # scikit-learn's CART compares float32 inputs
    cover_is_count: bool = True  # cover counts training rows (XGBoost's hessian sums do only for squared error)
    kind: np.ndarray = None  # (n_nodes,) split kind; None when every split is SPLIT_NUMERIC
    bitsets: np.ndarray = None  # (n_nodes, 2, n_words) uint32: categories going left, categories known
    columns: np.ndarray = None  # (n_model_features,): input column of each model column
    transform: object = None  # callable: caller's rows -> model input

    @property
    def n_nodes(self) -> int:
        return len(self.left)

    @property
    def n_model_features(self) -> int:
        return self.n_features if self.columns is None else len(self.columns)

    @property
    def categorical(self) -> np.ndarray | None:
        """Nodes whose split is not a plain threshold (a category level or set, or zero as
        missing): :meth:`route` routes them. None if none."""
        return None if self.kind is None else self.kind != SPLIT_NUMERIC

    @property
    def tree_of(self) -> np.ndarray:
        """The tree of each node, shape (n_nodes,)."""
        return np.repeat(np.arange(len(self.roots)), np.diff(np.r_[self.roots, self.n_nodes]))

    def levels(self) -> list[np.ndarray]:
        """Nodes of all trees by depth (see :func:`tree_levels`)."""
        return tree_levels(self.left, self.right, self.roots)

    def model_input(self, X: Any) -> np.ndarray:
        """The caller's rows as the float64 columns the trees compare."""
        if self.transform is not None:
            X = np.asarray(self.transform(X), dtype=np.float64)
        if self.float32_inputs:
            X = X.astype(np.float32).astype(np.float64)
        return np.ascontiguousarray(X, dtype=np.float64)

    def to_input_columns(self, values: np.ndarray) -> np.ndarray:
        """Values of shape (n, n_model_features, o) in the caller's columns."""
        if self.columns is None:
            return values
        out = np.zeros((len(values), self.n_features, values.shape[2]))
        np.add.at(out, (slice(None), self.columns), values)
        return out

    def route(self, nodes: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Whether rows go left at internal ``nodes``; ``values`` of the same shape."""
        threshold = self.threshold[nodes]
        with np.errstate(invalid="ignore"):
            left = values <= threshold
        missing = np.isnan(values)
        if self.kind is not None:
            kind = self.kind[nodes]
            level = kind == SPLIT_NOT_EQUAL
            left[level] = values[level] != threshold[level]
            zero = kind == SPLIT_ZERO_MISSING
            missing[zero] |= (values[zero] > -_ZERO) & (values[zero] <= _ZERO)
            category = kind == SPLIT_BITSET
            if category.any():
                # Categories in the node's set go left, other known ones right; unknown,
                # negative or beyond the bitset ones are treated as missing.
                codes = values[category]
                beyond = codes >= 32 * self.bitsets.shape[2]
                code = np.where(np.isnan(codes) | (codes < 0) | beyond, 0, codes).astype(np.intp)
                word, shift = code >> 5, (code & 31).astype(np.uint32)
                at = nodes[category]
                in_left = ((self.bitsets[at, 0, word] >> shift) & 1).astype(bool) & ~beyond
                known = ((self.bitsets[at, 1, word] >> shift) & 1).astype(bool) & ~beyond
                left[category] = in_left
                missing[category] |= (codes < 0) | (~in_left & ~known)
        return np.where(missing, self.missing_left[nodes], left)

    def predict(self, Xm: np.ndarray) -> np.ndarray:
        """Raw model output of model-input rows, shape (n_rows, n_outputs)."""
        n_rows = len(Xm)
        node = np.repeat(self.roots[:, None], n_rows, axis=1)  # (n_trees, n_rows)
        rows = np.broadcast_to(np.arange(n_rows), node.shape)
        internal = self.left[node] >= 0
        while internal.any():
            at = node[internal]
            goes_left = self.route(at, Xm[rows[internal], self.feature[at]])
            node[internal] = np.where(goes_left, self.left[at], self.right[at])
            internal = self.left[node] >= 0
        out = np.tile(self.offset, (n_rows, 1))
        for t in range(len(self.roots)):
            out[:, self.tree_columns[t]] += self.value[node[t]]
        return out


class TreeList:
    """Collects trees as node arrays and concatenates them into a :class:`TreeEnsemble`."""

    def __init__(self) -> None:
        self.blocks = []

    def add(
        self,
        left: ArrayLike,
        right: ArrayLike,
        feature: ArrayLike,
        threshold: ArrayLike,
        missing_left: ArrayLike,
        cover: ArrayLike,
        value: ArrayLike,
        columns: ArrayLike,
        kind: ArrayLike | None = None,
        bitsets: np.ndarray | None = None,
    ) -> None:
        """One tree: node arrays with local child indices (-1 at leaves)."""
        self.add_trees(
            [len(left)], left, right, feature, threshold, missing_left, cover, value,
            np.asarray(columns, np.intp)[None], kind, bitsets,
        )

    def add_trees(
        self,
        sizes: ArrayLike,
        left: ArrayLike,
        right: ArrayLike,
        feature: ArrayLike,
        threshold: ArrayLike,
        missing_left: ArrayLike,
        cover: ArrayLike,
        value: ArrayLike,
        columns: ArrayLike,
        kind: ArrayLike | None = None,
        bitsets: np.ndarray | None = None,
    ) -> None:
        """Several trees at once: their node arrays one after the other, ``sizes`` nodes
        each, child indices local to each tree (-1 at leaves); ``columns`` has one row per
        tree."""
        n = len(left)
        self.blocks.append(
            {
                "sizes": np.asarray(sizes, np.intp),
                "left": np.asarray(left, np.intp),
                "right": np.asarray(right, np.intp),
                "feature": np.asarray(feature, np.intp),
                "threshold": np.asarray(threshold, np.float64),
                "missing_left": np.asarray(missing_left, bool),
                "cover": np.asarray(cover, np.float64),
                "value": np.asarray(value, np.float64).reshape(n, -1),
                "columns": np.asarray(columns, np.intp),
                "kind": np.zeros(n, np.int8) if kind is None else np.asarray(kind, np.int8),
                "bitsets": bitsets,
            }
        )

    def build(self, **kwargs: Any) -> TreeEnsemble:
        """The trees added so far as one :class:`TreeEnsemble`; ``kwargs`` are its other fields."""
        sizes = np.concatenate([b["sizes"] for b in self.blocks])
        roots = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.intp)

        def glue(name):  # a copy: no array of the model read is shared
            return np.concatenate([b[name] for b in self.blocks])

        offsets = np.repeat(roots, sizes)
        left, right = glue("left"), glue("right")
        is_split = left >= 0
        kind = np.where(is_split, glue("kind"), SPLIT_NUMERIC).astype(np.int8)
        bitsets = None
        if (kind == SPLIT_BITSET).any():
            words = max(b["bitsets"].shape[2] for b in self.blocks if b["bitsets"] is not None)
            bitsets = np.zeros((len(left), 2, words), np.uint32)
            start = 0
            for b in self.blocks:
                stop = start + len(b["left"])
                if b["bitsets"] is not None:
                    bitsets[start:stop, :, : b["bitsets"].shape[2]] = b["bitsets"]
                start = stop
        return TreeEnsemble(
            left=np.where(is_split, left + offsets, -1),
            right=np.where(is_split, right + offsets, -1),
            feature=np.where(is_split, glue("feature"), -1),
            threshold=glue("threshold"),
            missing_left=glue("missing_left") & is_split,
            cover=glue("cover"),
            value=glue("value"),
            roots=roots,
            tree_columns=glue("columns"),
            kind=kind if kind.any() else None,
            bitsets=bitsets,
            **kwargs,
        )
