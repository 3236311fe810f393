"""A rule list drawn as the table a person reads: IF, ELSE IF, ..., ELSE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ._words import plain_numbers

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

__all__ = ["RuleListDisplay"]


class RuleListDisplay:
    """A rule list as a table: one row per rule, in order, the default rule last.

    Each row reads ``IF`` / ``ELSE IF`` / ``ELSE``, the rule's conditions, its class
    probabilities (the second class only for a binary target) and the training rows
    it captures. Probability cells are shaded by their value, so the eye finds the
    rules that decide.

    Build it with :meth:`from_estimator`; :meth:`plot` draws it.

    Parameters
    ----------
    rules : list of str of length n_rules
        The condition of each rule, without the default rule.
    proba : ndarray of shape (n_rules + 1, n_classes)
        Class probabilities of each rule, the default rule last.
    support : ndarray of shape (n_rules + 1,)
        Training rows each rule captures, the default rule last.
    classes : array-like of shape (n_classes,)

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    table_ : matplotlib Table
        ``table_[0, c]`` is the header of column ``c``, ``table_[r + 1, c]`` the cell
        of rule ``r`` (the default rule last).
    columns_ : list of str
        The column headers: ``""``, ``"condition"``, one ``"p(class)"`` per class
        shown, ``"n"``.

    See Also
    --------
    glassbox.models.RuleListClassifier.to_text : The same list as text.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from glassbox.models import RuleListClassifier
    >>> from glassbox.plot import RuleListDisplay
    >>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0, 60.0, 70.0]})
    >>> model = RuleListClassifier(min_support=2, shrinkage=None).fit(X, ["no", "no", "no", "yes", "yes", "yes"])
    >>> disp = RuleListDisplay.from_estimator(model).plot()
    >>> disp.columns_
    ['', 'condition', 'p(yes)', 'n']
    >>> [[disp.table_[r, c].get_text().get_text() for c in range(4)] for r in (1, 2)]
    [['IF', 'age <= 45', '0.00', '3'], ['ELSE', '', '1.00', '3']]
    """

    def __init__(self, rules: Sequence[str], proba: np.ndarray, support: np.ndarray, classes: ArrayLike) -> None:
        self.rules = [plain_numbers(str(rule)) for rule in rules]
        self.proba = np.asarray(proba, dtype=np.float64)
        self.support = np.asarray(support)
        self.classes = np.asarray(classes, dtype=object)
        n_rows = len(self.rules) + 1
        if self.proba.shape != (n_rows, len(self.classes)) or self.support.shape != (n_rows,):
            raise ValueError(
                f"RuleListDisplay needs proba of shape (n_rules + 1, n_classes) = ({n_rows}, {len(self.classes)}) and "
                f"support of shape ({n_rows},), the default rule last; got {self.proba.shape} and {self.support.shape}."
            )

    @classmethod
    def from_estimator(cls, estimator: Any) -> RuleListDisplay:
        """The rules of a fitted :class:`~glassbox.models.RuleListClassifier`.

        Parameters
        ----------
        estimator : RuleListClassifier
            Or any fitted model with ``rules_``, ``rule_proba_``, ``rule_support_``
            and ``classes_`` in the same sense.

        Returns
        -------
        display : RuleListDisplay
        """
        check_is_fitted(estimator)
        missing = [name for name in ("rules_", "rule_proba_", "rule_support_", "classes_")
                   if not hasattr(estimator, name)]
        if missing:
            raise TypeError(
                "RuleListDisplay needs a fitted rule list (RuleListClassifier) with rules_, rule_proba_, "
                f"rule_support_ and classes_; {type(estimator).__name__} has no {', '.join(missing)}."
            )
        return cls(estimator.rules_, estimator.rule_proba_, estimator.rule_support_, estimator.classes_)

    def plot(
        self, ax: Axes | None = None, *, precision: int = 2, cmap: str | Colormap = "Blues", fontsize: float = 10
    ) -> RuleListDisplay:
        """Draw the table on ``ax`` (a new figure by default) and return ``self``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        precision : int, default=2
            Decimals of the probabilities.
        cmap : str or Colormap, default="Blues"
            Shading of the probability cells, from 0 to 1 (kept light).
        fontsize : float, default=10
        """
        import matplotlib.pyplot as plt
        from matplotlib import colormaps
        from matplotlib.table import Table

        shown = [1] if len(self.classes) == 2 else list(range(len(self.classes)))
        self.columns_ = ["", "condition", *[f"p({self.classes[k]})" for k in shown], "n"]
        n_rules = len(self.rules)
        keywords = ["IF" if r == 0 else "ELSE IF" for r in range(n_rules)] + ["ELSE"]
        conditions = [*self.rules, ""]
        rows = [
            [keyword, condition, *[f"{self.proba[r, k]:.{precision}f}" for k in shown], str(self.support[r])]
            for r, (keyword, condition) in enumerate(zip(keywords, conditions))
        ]
        # Column widths in characters (with a margin of one on each side), as fractions of the whole.
        chars = np.asarray([max(len(text) for text in column) + 2 for column in zip(self.columns_, *rows)], dtype=float)
        if ax is None:
            width = 0.65 * fontsize / 72 * chars.sum()  # inches
            figure = plt.figure(figsize=(max(3.0, width), 0.3 * (n_rules + 2)))
            ax = figure.add_axes((0.01, 0.02, 0.98, 0.96))  # the table fills the figure
        palette = colormaps[cmap] if isinstance(cmap, str) else cmap
        table = Table(ax, bbox=[0, 0, 1, 1])
        for r, row in enumerate([self.columns_, *rows]):
            for c, text in enumerate(row):
                is_proba = r > 0 and 2 <= c < len(row) - 1
                color = palette(0.6 * self.proba[r - 1, shown[c - 2]]) if is_proba else "#eeeeee" if r == 0 else "white"
                cell = table.add_cell(r, c, width=chars[c] / chars.sum(), height=1 / (n_rules + 2), text=text,
                                      loc="left" if c == 1 else "center", facecolor=color)
                cell.PAD = 1 / chars[c]  # one character, not a tenth of the column
                if r == 0 or c == 0:
                    cell.set_text_props(fontweight="bold")
        table.auto_set_font_size(False)
        table.set_fontsize(fontsize)
        self.table_ = ax.add_table(table)
        ax.set_axis_off()
        self.ax_, self.figure_ = ax, ax.figure
        return self
