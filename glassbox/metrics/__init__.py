"""Measures of models and explanations: complexity (and, as they land, fidelity, the
accuracy-complexity trade-off and explanation quality)."""

from ._complexity import complexity

__all__ = ["complexity"]
