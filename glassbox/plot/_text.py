"""One document with each token coloured by its attribution."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explainers import TextExplanation

__all__ = ["TextDisplay"]


class TextDisplay:
    """A document written out with its tokens highlighted: red where a token raises the
    output, blue where it lowers it, the stronger the larger the value.

    Parameters
    ----------
    pieces : list of str
        The document cut into alternating pieces: the text before the first token, the
        first token, the text between the first and second tokens, ... , the text
        after the last token (``2 * n_tokens + 1`` pieces).
    values : array-like of shape (n_tokens,)
        The value of each token.
    base_value : float
    output_name : str, default=""

    Attributes
    ----------
    ax_, figure_ : matplotlib Axes and Figure
    texts_ : list of matplotlib Text
        One text artist per token, in order; its box's face colour shows the value.
    colorbar_ : matplotlib Colorbar
    """

    def __init__(self, pieces: list, values: ArrayLike, base_value: float, *, output_name: str = "") -> None:
        self.pieces = [str(piece) for piece in pieces]
        self.values = np.asarray(values, dtype=float)
        self.base_value = float(base_value)
        self.output_name = output_name
        if len(self.pieces) != 2 * len(self.values) + 1:
            raise ValueError(
                f"pieces must alternate text and tokens (2 * n_tokens + 1 = {2 * len(self.values) + 1} pieces); "
                f"got {len(self.pieces)}."
            )

    @classmethod
    def from_explanation(
        cls, explanation: TextExplanation, *, document: int = 0, output: Hashable = -1
    ) -> TextDisplay:
        """Document ``document`` of a :class:`~glassbox.explainers.TextExplanation`."""
        k = explanation.output_index(output)
        text, spans = explanation.documents[document], explanation.spans[document]
        cuts = np.r_[0, np.asarray(spans).ravel(), len(text)]
        pieces = [text[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        return cls(
            pieces,
            explanation.values[document][:, k],
            explanation.base_values[document, k],
            output_name=str(explanation.output_names[k]),
        )

    def colors(self, cmap: Any = "coolwarm") -> np.ndarray:
        """RGBA face colour of each token: the colormap at ``0.5 + value / (2 max |value|)``."""
        import matplotlib

        scale = np.abs(self.values).max() if len(self.values) else 0.0
        position = 0.5 + (self.values / (2 * scale) if scale > 0 else 0 * self.values)
        return matplotlib.colormaps[cmap](position)

    def plot(
        self, ax: Axes | None = None, *, cmap: Any = "coolwarm", width: int = 70, fontsize: float = 11
    ) -> TextDisplay:
        """Draw on ``ax`` (a new figure by default), wrapping lines at ``width`` characters."""
        import matplotlib.pyplot as plt
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        lines = _wrap(self.pieces, width)
        if ax is None:
            _, ax = plt.subplots(figsize=(0.11 * width + 1.5, 0.32 * len(lines) + 1.0))
        ax.set_axis_off()
        ax.set_xlim(0, width)
        ax.set_ylim(len(lines), -0.5)
        colors = self.colors(cmap)
        self.texts_ = []
        for y, line in enumerate(lines):
            for x, piece, token in line:
                style = dict(family="monospace", fontsize=fontsize, va="center", ha="left")
                if token is None:
                    ax.text(x, y, piece, **style)
                    continue
                artist = ax.text(x, y, piece, bbox=dict(facecolor=colors[token], edgecolor="none", pad=1.5), **style)
                self.texts_.append(artist)
        scale = float(np.abs(self.values).max()) if len(self.values) else 1.0
        mappable = ScalarMappable(norm=Normalize(-scale, scale), cmap=cmap)
        self.colorbar_ = ax.figure.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02)
        self.colorbar_.set_label(f"token value ({self.output_name}; base value {self.base_value:.3g})")
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _wrap(pieces, width):
    """Lines of ``(column, text, token index or None)``; a token never splits across lines."""
    lines, line, column = [], [], 0
    for i, piece in enumerate(pieces):
        token = (i - 1) // 2 if i % 2 else None
        for j, part in enumerate(piece.split("\n")):
            if j:
                lines.append(line)
                line, column = [], 0
            if token is not None and column + len(part) > width and column:
                lines.append(line)
                line, column = [], 0
            if part:
                line.append((column, part, token))
                column += len(part)
    lines.append(line)
    return lines
