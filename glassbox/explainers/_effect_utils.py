"""What partial dependence and accumulated local effects share.

Both explainers take the features of an effect the same way (a name or position, a
pair, a list of them), show grid values as a person reads them (category levels, not
codes), return :class:`~glassbox.Effect` objects, and draw bootstrap bands from the same
resamples of the explained rows: how often each row is drawn in each resample, and the
percentile interval over the resamples.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd

from .._core import Interval, chunk_rngs
from ..explanation import Effect

__all__ = ["BAND_CONSTRAINTS", "make_effect", "parse_features", "percentile_band", "resample_counts"]

BAND_CONSTRAINTS = {
    "confidence": [Interval(Real, 0, 1, closed="neither")],
    "n_bootstrap": [Interval(Integral, 2, None, closed="left")],
}
"""Constraints of the band parameters both explainers take (``band`` itself differs)."""


def parse_features(explainer, features):
    """``(specs, single)``: tuples of feature positions, and whether one Effect was asked."""
    n_features = explainer.n_features_in_
    if features is None:
        return [(j,) for j in range(n_features)], False
    if isinstance(features, tuple):
        return [_spec(explainer, features)], True
    if isinstance(features, (list, np.ndarray, pd.Index)):
        if len(features) == 0:
            raise ValueError("features is an empty list; name at least one feature or pair.")
        return [_spec(explainer, f) for f in features], False
    return [_spec(explainer, features)], True


def _spec(explainer, feature):
    if isinstance(feature, (tuple, list)):
        if len(feature) not in (1, 2):
            raise ValueError(f"An effect covers one feature or a pair; got {feature!r}.")
        spec = tuple(explainer._feature_schema.index_of(f) for f in feature)
        if len(spec) == 2 and spec[0] == spec[1]:
            raise ValueError(f"A pair needs two different features; got {feature!r}.")
        return spec
    return (explainer._feature_schema.index_of(feature),)


def make_effect(explainer, spec, grid, values, *, method, **curves):
    """The :class:`~glassbox.Effect` of the features ``spec`` on their encoded ``grid``.

    ``curves`` are the optional arrays of the Effect (``individual``, ``lower``,
    ``upper``, ``counts``).
    """
    schema = explainer._feature_schema
    return Effect(
        feature_names=tuple(schema.feature_names[j] for j in spec),
        grid=tuple(_display(schema, j, g) for j, g in zip(spec, grid)),
        values=values,
        output_names=explainer.output_names_,
        method=method,
        is_categorical=tuple(bool(schema.is_categorical[j]) for j in spec),
        **curves,
    )


def _display(schema, j, values):
    """Grid values as a person reads them: category levels (NaN for missing) or numbers."""
    values = np.asarray(values, dtype=np.float64)
    if not schema.is_categorical[j]:
        return values
    out = np.full(len(values), np.nan, dtype=object)
    known = ~np.isnan(values) & (values >= 0)
    out[known] = schema.categories[j][values[known].astype(np.intp)]
    return out


def resample_counts(seed, n_bootstrap, n_samples):
    """How often each row is drawn in each bootstrap resample, shape (n_bootstrap, n_samples)."""
    rng = chunk_rngs(seed, 1)[0]
    draws = rng.integers(0, n_samples, size=(n_bootstrap, n_samples))
    flat = (draws + n_samples * np.arange(n_bootstrap)[:, None]).ravel()
    return np.bincount(flat, minlength=n_bootstrap * n_samples).reshape(n_bootstrap, n_samples).astype(np.float64)


def percentile_band(samples, tail):
    """Lower and upper ``tail`` quantiles of ``samples`` over its first axis."""
    return np.quantile(samples, tail, axis=0), np.quantile(samples, 1 - tail, axis=0)
