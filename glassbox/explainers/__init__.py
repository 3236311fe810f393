"""Post-hoc explainers: scikit-learn meta-estimators around the model they explain."""

from __future__ import annotations

from ._ale import AccumulatedLocalEffects
from ._anchor_result import Anchors
from ._anchors import AnchorExplainer
from ._counterfactual import CounterfactualExplainer
from ._counterfactual_result import Counterfactuals
from ._gradients import GradientExplainer
from ._interaction_result import InteractionExplanation
from ._layer_activations import layer_activations
from ._lime import LimeExplainer
from ._partial_dependence import PartialDependence
from ._permutation import PermutationImportance
from ._shapley import ShapleyExplainer
from ._text_result import TextExplanation

__all__ = [
    "AccumulatedLocalEffects",
    "AnchorExplainer",
    "Anchors",
    "CounterfactualExplainer",
    "Counterfactuals",
    "GradientExplainer",
    "InteractionExplanation",
    "LimeExplainer",
    "PartialDependence",
    "PermutationImportance",
    "ShapleyExplainer",
    "TextExplanation",
    "layer_activations",
]
