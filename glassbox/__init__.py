"""glassbox: interpretable machine learning that speaks scikit-learn.

Build models that are transparent by construction, explain and distil black boxes, and
tune accuracy against interpretability with Pipeline and GridSearchCV.
"""

from __future__ import annotations

from . import explainers  # noqa: F401  (registers the explainers used by explain())
from ._core import KMeansBackground
from ._explain import explain, register_explainer
from .explanation import Effect, Explanation
from .metrics import complexity

__version__ = "0.1.0.dev0"

__all__ = [
    "Effect",
    "Explanation",
    "KMeansBackground",
    "__version__",
    "complexity",
    "explain",
    "register_explainer",
]
