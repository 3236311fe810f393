"""The shared core: validation, parameter constraints, binning, background summaries,
the prediction adapter and masked batch evaluation. Every estimator and explainer in
glassbox takes these from here, so that a fix lands everywhere at once. Nothing here
imports from the rest of the package."""

from ._binning import Bins, QuantileBinner, apply_bins, fit_bins
from ._masking import (
    Background,
    KMeansBackground,
    kmeans_background,
    masked_predict,
    predict_built,
    predict_rows,
    sample_background,
)
from ._params import HasMethods, Interval, InvalidParameterError, Options, StrOptions, validate_params
from ._predict import ModelOutput, chunk_bounds, chunk_rngs, draw_seed, resolve_batch_size, row_rngs, run_chunks
from ._validation import FeatureSchema, check_sample_weight, check_target, learn_schema, validate_X

__all__ = [
    "Background",
    "Bins",
    "FeatureSchema",
    "HasMethods",
    "Interval",
    "KMeansBackground",
    "InvalidParameterError",
    "ModelOutput",
    "Options",
    "QuantileBinner",
    "StrOptions",
    "apply_bins",
    "check_sample_weight",
    "check_target",
    "chunk_bounds",
    "chunk_rngs",
    "draw_seed",
    "fit_bins",
    "kmeans_background",
    "learn_schema",
    "masked_predict",
    "predict_built",
    "predict_rows",
    "resolve_batch_size",
    "row_rngs",
    "run_chunks",
    "sample_background",
    "validate_X",
    "validate_params",
]
