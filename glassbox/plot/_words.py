"""Words and numbers on the displays: axis labels a reader understands, values written
plainly, category labels that never overlap."""

from __future__ import annotations

import re

import numpy as np
from matplotlib import rcParams, ticker
from matplotlib.font_manager import FontProperties

from .._core import format_number

__all__ = [
    "EM",
    "ReadableLocator",
    "attribution_label",
    "axis_points",
    "fit_category_labels",
    "method_words",
    "overlapping_labels",
    "plain_numbers",
    "readable_axis",
    "value_text",
]

EM = 0.62  # the width of an average character of the tick labels, in font sizes

_WORDS = {
    "saabas": "Saabas value",
    "additive": "term score",
    "additive-terms": "term score",
    "additive-term-importance": "term importance",
    "sparse-linear": "linear contribution",
    "sparse-linear-standardized": "standardized coefficient",
    "coefficients": "coefficient",
    "standardized_coefficients": "coefficient per standard deviation",
    "rule-list": "rule contribution",
    "rule-list-coverage": "rule importance",
    "impurity-importance": "impurity importance",
    "permutation_importance": "permutation importance",
    "partial_dependence": "partial dependence",
    "ale": "accumulated local effect",
    "shape": "shape function",
}
_PREFIXES = {"shapley-": "SHAP value", "lime-": "LIME value"}


def method_words(method: str) -> str:
    """What a method's values are, in words: ``"shapley-tree"`` is ``"SHAP value"``,
    ``"mean |shapley-tree|"`` is ``"mean |SHAP value|"``."""
    if method.startswith("mean |") and method.endswith("|"):
        return f"mean |{method_words(method[6:-1])}|"
    if method in _WORDS:
        return _WORDS[method]
    for prefix, words in _PREFIXES.items():
        if method.startswith(prefix):
            return words
    return method.replace("_", " ").replace("-", " ") or "value"


_METRICS = {
    "roc_auc": "ROC AUC",
    "roc_auc_ovr": "ROC AUC (one vs rest)",
    "roc_auc_ovo": "ROC AUC (one vs one)",
    "auc": "ROC AUC",
    "average_precision": "average precision",
    "balanced_accuracy": "balanced accuracy",
    "f1": "F1 score",
    "r2": "R²",
    "neg_log_loss": "log-loss (negated)",
    "neg_brier_score": "Brier score (negated)",
    "neg_mean_squared_error": "mean squared error (negated)",
    "neg_root_mean_squared_error": "root mean squared error (negated)",
    "neg_mean_absolute_error": "mean absolute error (negated)",
}


def metric_words(metric: str) -> str:
    """A scikit-learn scorer's name in words: ``"roc_auc"`` is ``"ROC AUC"``, ``"r2"`` is ``"R²"``."""
    return _METRICS.get(metric, metric.replace("_", " "))


def attribution_label(method: str, output: object, output_label: str | None = None) -> str:
    """An axis label such as ``"mean |SHAP value| (impact on log-odds of >50K)"``.

    ``output_label`` says what the output is (``"log-odds of >50K"``); the output's
    name (a class label, ``"prediction"``) stands in without it.
    """
    return f"{method_words(method)} (impact on {output_label or output})"


def value_text(value: object) -> str:
    """A data value as a person reads it: ``15,024``, ``"missing"``, a category's name."""
    if value is None:
        return "missing"
    if isinstance(value, (float, np.floating)):
        return "missing" if np.isnan(value) else format_number(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return format_number(value)
    return str(value)


_SCIENTIFIC = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?e[+-]?\d+(?![\w.])")


def plain_numbers(text: str) -> str:
    """``text`` with numbers in scientific notation written plainly: ``"gain <= 1.869e+04"``
    reads ``"gain <= 18,690"``."""
    return _SCIENTIFIC.sub(lambda match: format_number(float(match.group())), text)


def fit_category_labels(axis: object, *, fontsize: float | None = None) -> None:
    """Turn and, if need be, shrink the tick labels of a categorical x axis so that they
    do not overlap: upright while each fits its slot, vertical otherwise, smaller when even
    their line height does not fit.

    The room is read from the figure size and the axes' position, before any drawing.
    """
    labels = [label.get_text() for label in axis.get_ticklabels()]
    if not labels:
        return
    ax = axis.axes
    size = fontsize or axis.get_ticklabels()[0].get_fontsize()
    slot = axis_points(ax) / len(labels)  # points per tick
    widest = EM * size * max(len(text) for text in labels)
    if widest <= 0.9 * slot:
        return
    size = min(size, 0.8 * slot / 1.2)  # a vertical label's thickness is its line height
    for label in axis.get_ticklabels():
        label.set_rotation(90)
        label.set_fontsize(max(size, 4.0))


class ReadableLocator(ticker.MaxNLocator):
    """Ticks of a horizontal axis no closer than their labels allow.

    The densest of the usual steps (1, 2, 2.5, 5, 10) whose labels, as the axis'
    formatter writes them, fit side by side along the axis with a space between.
    Install it with ``ax.xaxis.set_major_locator(ReadableLocator())``.
    """

    def __init__(self) -> None:
        super().__init__(nbins=9, steps=[1, 2, 2.5, 5, 10])

    def __call__(self) -> np.ndarray:
        low, high = self.axis.get_view_interval()
        return self.tick_values(low, high)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        if self.axis is None or self.axis.axes is None:
            return super().tick_values(vmin, vmax)
        room = axis_points(self.axis.axes)
        size = FontProperties(size=rcParams["xtick.labelsize"]).get_size_in_points()
        formatter = self.axis.get_major_formatter()
        for nbins in range(9, 0, -1):
            self.set_params(nbins=nbins)
            ticks = super().tick_values(vmin, vmax)
            low, high = min(vmin, vmax), max(vmin, vmax)
            shown = ticks[(ticks >= low) & (ticks <= high)]
            texts = formatter.format_ticks(shown) if len(shown) else []
            if sum(EM * size * (len(text) + 1.5) for text in texts) <= room:
                return ticks
        return ticks


def readable_axis(axis: object) -> None:
    """Give a horizontal numeric axis ticks whose labels fit (:class:`ReadableLocator`),
    written plainly (``15,000``, never ``1.5e4`` or an offset)."""
    axis.set_major_locator(ReadableLocator())
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: format_number(value)))


def axis_points(ax: object) -> float:
    """The width of an Axes in points, from the figure size and the axes' position."""
    return ax.get_position().width * ax.figure.get_figwidth() * 72


def overlapping_labels(figure: object) -> list[tuple[str, str]]:
    """Pairs of texts of ``figure`` that overlap once drawn: tick labels of one axis, and
    the boxed texts of one axes (a tree's nodes).

    The figure is drawn with its own canvas, and each text's extent measured with the
    renderer (``get_window_extent``); texts touching by less than half a pixel do not
    count.
    """
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    pairs = []
    for ax in figure.axes:
        groups = [axis.get_ticklabels() for axis in (ax.xaxis, ax.yaxis)]
        groups.append([text for text in ax.texts if text.get_bbox_patch() is not None])
        for texts in groups:
            shown = [text for text in texts if text.get_visible() and text.get_text().strip()]
            boxes = [(text.get_bbox_patch() or text).get_window_extent(renderer) for text in shown]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    width = min(boxes[i].x1, boxes[j].x1) - max(boxes[i].x0, boxes[j].x0)
                    height = min(boxes[i].y1, boxes[j].y1) - max(boxes[i].y0, boxes[j].y0)
                    if width > 0.5 and height > 0.5:
                        pairs.append((shown[i].get_text(), shown[j].get_text()))
    return pairs
