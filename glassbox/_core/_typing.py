"""Type aliases shared by the annotations of glassbox's public signatures.

Annotations are never evaluated at run time (every module starts with
``from __future__ import annotations``), so modules import these names under
``typing.TYPE_CHECKING`` only and this module costs nothing at import.
"""

from __future__ import annotations

from typing import Literal, TypeVar

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["EffectFeatures", "EstimatorT", "FeatureKey", "OutputMethod", "RandomStateLike"]

EstimatorT = TypeVar("EstimatorT", bound=BaseEstimator)
"""The estimator's own class, returned by ``fit`` (which returns ``self``)."""

RandomStateLike = int | np.random.RandomState | None
"""What ``random_state`` accepts: an int seed, a ``RandomState`` or ``None``."""

OutputMethod = Literal["auto", "predict_proba", "decision_function", "log_odds", "predict"]
"""The model output an explainer attributes (``output=``; see ``ModelOutput``)."""

FeatureKey = int | str
"""A feature given by its name or its position."""

EffectFeatures = FeatureKey | tuple[FeatureKey, FeatureKey] | list[FeatureKey | tuple[FeatureKey, FeatureKey]]
"""The ``features`` of an effect: a feature, a pair (a tuple of two), or a list of them."""
