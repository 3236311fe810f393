"""Measures of models and explanations: complexity, fidelity, the accuracy-complexity
trade-off, scores per cohort and the quality of explanations."""

from __future__ import annotations

from ._complexity import complexity
from ._fidelity import fidelity_score
from ._quality import deletion_score, faithfulness_curve, insertion_score, stability_score
from ._sliced import sliced_scores
from ._tradeoff import complexity_scorer, pareto_front, simplest_within, tradeoff_table

__all__ = [
    "complexity",
    "complexity_scorer",
    "deletion_score",
    "faithfulness_curve",
    "fidelity_score",
    "insertion_score",
    "pareto_front",
    "simplest_within",
    "sliced_scores",
    "stability_score",
    "tradeoff_table",
]
