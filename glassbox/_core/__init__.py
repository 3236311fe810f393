"""The shared core: validation, parameter constraints, binning, background summaries,
the prediction adapter, the batch policy, seeding, masked batch evaluation and the
reader of fitted trees. Every estimator and explainer in glassbox takes these from
here, so that a fix lands everywhere at once. Nothing here imports from the rest of
the package."""

from __future__ import annotations

from ._batching import AUTO_CELLS, batch_units, check_batch_size, chunk_bounds, run_chunks
from ._binning import Bins, QuantileBinner, apply_bins, bin_labels, fit_bins
from ._masking import (
    Background,
    KMeansBackground,
    kmeans_background,
    masked_predict,
    predict_built,
    predict_rows,
    sample_background,
)
from ._numeric import gauss_legendre, plain, safe_mean_std, safe_norm, safe_std
from ._params import HasMethods, Interval, InvalidParameterError, Options, StrOptions, validate_params
from ._random import chunk_rngs, draw_seed, row_keys, row_rngs
from ._response import OUTPUTS, PROBA_CLIP, ModelOutput, ModelResponse, final_estimator, log_odds
from ._trees import (
    SPLIT_BITSET,
    SPLIT_NOT_EQUAL,
    SPLIT_NUMERIC,
    TreeEnsemble,
    TreeList,
    count_tree_splits,
    is_tree_model,
    read_tree_model,
    register_tree_reader,
    resolve_tree_output,
    tree_depths,
    tree_leaves,
    tree_levels,
    tree_parents,
    tree_preorder,
)
from ._validation import (
    UNKNOWN_CODE,
    FeatureSchema,
    check_sample_weight,
    check_target,
    feature_index,
    learn_schema,
    match_columns,
    validate_X,
)

__all__ = [
    "AUTO_CELLS",
    "OUTPUTS",
    "PROBA_CLIP",
    "SPLIT_BITSET",
    "SPLIT_NOT_EQUAL",
    "SPLIT_NUMERIC",
    "UNKNOWN_CODE",
    "Background",
    "Bins",
    "FeatureSchema",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "KMeansBackground",
    "ModelOutput",
    "ModelResponse",
    "Options",
    "QuantileBinner",
    "StrOptions",
    "TreeEnsemble",
    "TreeList",
    "apply_bins",
    "batch_units",
    "bin_labels",
    "check_batch_size",
    "check_sample_weight",
    "check_target",
    "chunk_bounds",
    "chunk_rngs",
    "count_tree_splits",
    "draw_seed",
    "feature_index",
    "final_estimator",
    "fit_bins",
    "gauss_legendre",
    "is_tree_model",
    "kmeans_background",
    "learn_schema",
    "log_odds",
    "masked_predict",
    "match_columns",
    "plain",
    "predict_built",
    "predict_rows",
    "read_tree_model",
    "register_tree_reader",
    "resolve_tree_output",
    "row_keys",
    "row_rngs",
    "safe_mean_std",
    "safe_norm",
    "safe_std",
    "run_chunks",
    "sample_background",
    "tree_depths",
    "tree_leaves",
    "tree_levels",
    "tree_parents",
    "tree_preorder",
    "validate_X",
    "validate_params",
]
