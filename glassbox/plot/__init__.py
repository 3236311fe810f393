"""Display classes: the only place glassbox imports matplotlib.

Each Display keeps the computed data, draws it with ``plot(ax=None, **style)`` and keeps
the artists (``bars_``, ``lines_``) so they can be restyled without recomputing.
"""

from ._effect import EffectDisplay
from ._importance import ImportanceDisplay
from ._tradeoff import TradeoffDisplay
from ._waterfall import WaterfallDisplay

__all__ = [
    "EffectDisplay",
    "ImportanceDisplay",
    "TradeoffDisplay",
    "WaterfallDisplay",
    "plot_effect",
    "plot_explanation",
]


def plot_explanation(explanation, *, ax=None, output=0, max_features=20):
    """The natural picture of an Explanation: importance bars (mean |value| when local)."""
    return ImportanceDisplay.from_explanation(explanation, output=output, max_features=max_features).plot(ax=ax)


def plot_effect(effect, *, ax=None, output=0):
    """The natural picture of a one-feature Effect: its curve, or bars for categories."""
    return EffectDisplay.from_effect(effect, output=output).plot(ax=ax)
