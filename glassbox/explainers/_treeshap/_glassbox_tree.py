"""glassbox's own trees for the core tree reader.

The core imports nothing above it, so the reader of glassbox's ``TreeClassifier`` and
``TreeRegressor``, which reads the model's node arrays, lives here and registers with it.
"""

from __future__ import annotations

import numpy as np

from ..._core import SPLIT_NOT_EQUAL, SPLIT_NUMERIC, TreeList, register_tree_reader, resolve_tree_output
from ...models._tree import TreeClassifier, TreeRegressor


def _extract_glassbox_tree(estimator, output, decode, n_features):
    """glassbox's TreeClassifier / TreeRegressor: the tree it reads, on encoded rows.

    Its splits compare encoded columns: ``x <= threshold`` (float64 thresholds),
    ``x != level`` for a categorical level, and "not missing" (threshold +inf). The
    cover comes from the scikit-learn tree it was grown as, which has the same nodes.
    """
    nodes, cart = getattr(estimator, "_nodes", None), getattr(estimator, "tree_estimator_", None)
    fields = ("left", "right", "feature", "op", "threshold", "missing_left", "value")
    if cart is None or nodes is None or not all(hasattr(nodes, f) for f in fields):
        raise ValueError(
            f"This {type(estimator).__name__} does not expose its tree as TreeSHAP expects; use method='kernel'."
        )
    is_classifier = hasattr(estimator, "classes_")
    method = resolve_tree_output(estimator, output, "predict_proba" if is_classifier else "predict")
    cover = cart.tree_.weighted_n_node_samples
    if len(cover) != len(nodes.left):
        cover = nodes.n_samples
    value = np.asarray(nodes.value, dtype=np.float64)
    trees = TreeList()
    trees.add(
        nodes.left,
        nodes.right,
        nodes.feature,
        np.nan_to_num(nodes.threshold, nan=0.0),
        nodes.missing_left,
        cover,
        value,
        np.arange(value.shape[1]),
        kind=np.where(nodes.op == "!=", SPLIT_NOT_EQUAL, SPLIT_NUMERIC),
    )

    def transform(X):  # rows in the model's own encoding
        return estimator._encode(decode(X))

    return trees.build(
        n_outputs=value.shape[1],
        output_method=method,
        n_features=n_features,
        offset=np.zeros(value.shape[1]),
        transform=None if decode is None else transform,
    )


register_tree_reader((TreeClassifier, TreeRegressor), _extract_glassbox_tree)
