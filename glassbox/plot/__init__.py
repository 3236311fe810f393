"""Display classes: the only place glassbox imports matplotlib.

Each Display keeps the computed data, draws it with ``plot(ax=None, **style)`` and keeps
the artists (``bars_``, ``lines_``) so they can be restyled without recomputing.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from ._activation import ActivationDisplay
from ._beeswarm import BeeswarmDisplay
from ._coefficients import CoefficientDisplay
from ._effect import EffectDisplay
from ._importance import ImportanceDisplay
from ._interactions import InteractionDependenceDisplay, InteractionHeatmapDisplay
from ._rules import RuleListDisplay
from ._text import TextDisplay
from ._tradeoff import TradeoffDisplay
from ._tree import TreeDisplay
from ._waterfall import WaterfallDisplay

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import Effect, Explanation

__all__ = [
    "ActivationDisplay",
    "BeeswarmDisplay",
    "CoefficientDisplay",
    "EffectDisplay",
    "ImportanceDisplay",
    "InteractionDependenceDisplay",
    "InteractionHeatmapDisplay",
    "RuleListDisplay",
    "TextDisplay",
    "TradeoffDisplay",
    "TreeDisplay",
    "WaterfallDisplay",
    "plot_effect",
    "plot_explanation",
]


def plot_explanation(
    explanation: Explanation,
    *,
    ax: Axes | None = None,
    output: Hashable = 0,
    max_features: int | None = None,
    **plot_kw: Any,
) -> ImportanceDisplay | BeeswarmDisplay | WaterfallDisplay:
    """The natural picture of an Explanation, drawn on ``ax``.

    A global explanation gives importance bars (:class:`ImportanceDisplay`); a local
    one a beeswarm (:class:`BeeswarmDisplay`), or a waterfall
    (:class:`WaterfallDisplay`) when it holds a single row with its base value.
    ``max_features`` (each display's own default when ``None``) and ``output`` go to
    the display's ``from_explanation``, ``plot_kw`` to its ``plot``.
    """
    options = {"output": output} if max_features is None else {"output": output, "max_features": max_features}
    if not explanation.is_local:
        display = ImportanceDisplay
    elif len(explanation) == 1 and explanation.base_values is not None:
        display = WaterfallDisplay
    else:
        display = BeeswarmDisplay
    return display.from_explanation(explanation, **options).plot(ax=ax, **plot_kw)


def plot_effect(effect: Effect, *, ax: Axes | None = None, output: Hashable = 0, **plot_kw: Any) -> EffectDisplay:
    """The natural picture of an Effect (:class:`EffectDisplay`): a curve for a numeric
    feature, bars for a categorical one, a heatmap for a pair."""
    return EffectDisplay.from_effect(effect, output=output).plot(ax=ax, **plot_kw)
