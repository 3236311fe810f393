"""The result of explaining documents per token: :class:`TextExplanation`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._core import format_number

if TYPE_CHECKING:
    from ..plot import TextDisplay

__all__ = ["TextExplanation"]


@dataclass(frozen=True, eq=False, repr=False)
class TextExplanation:
    """Per-token attributions of documents: each document's tokens and their values.

    Documents have different numbers of tokens, so the values are a list with one
    array per document. Shapley values of a document plus its base value equal the
    model's output on it (:meth:`output`); LIME's values are the weights of its local
    model (plus the intercept, an approximation of the output, see ``fidelity``).
    When a ColumnTransformer reads the text beside tabular columns, each row's columns
    are players too: their values are in ``column_values``, and the tokens' and the
    columns' values together add up to the output.

    Attributes
    ----------
    documents : list of str
        The explained documents.
    tokens : list of list of str
        Each document's tokens, in order, as written in it.
    spans : list of ndarray of shape (n_tokens, 2)
        Where each token starts and stops in its document.
    values : list of ndarray of shape (n_tokens, n_outputs)
        The attribution of each token of each document.
    base_values : ndarray of shape (n_documents, n_outputs)
        The output on the document with every token removed (Shapley), or the
        intercept of the local model (LIME).
    output_names : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    method : str
        For example ``"shapley-kernel"`` or ``"lime-text"``.
    std : list of ndarray of shape (n_tokens, n_outputs) or None
        Standard errors of the sampling methods.
    fidelity : ndarray of shape (n_documents, n_outputs) or None
        Weighted R² of each local model (LIME).
    columns : ndarray of shape (n_columns,)
        The tabular columns explained beside the text (empty for text alone).
    column_values : ndarray of shape (n_documents, n_columns, n_outputs)
        The attribution of each tabular column of each row.
    column_data : ndarray of shape (n_documents, n_columns)
        The rows' tabular values, as displayed.
    column_std : ndarray of shape (n_documents, n_columns, n_outputs) or None
        Standard errors of the columns' values (sampling methods).
    """

    documents: list
    tokens: list
    spans: list
    values: list
    base_values: np.ndarray
    output_names: np.ndarray
    method: str = ""
    std: list | None = None
    fidelity: np.ndarray | None = None
    columns: np.ndarray = None
    column_values: np.ndarray = None
    column_data: np.ndarray = None
    column_std: np.ndarray | None = None

    def __post_init__(self):
        if self.columns is None:  # text alone: no tabular column
            n, k = len(self.documents), len(self.output_names)
            object.__setattr__(self, "columns", np.empty(0, dtype=object))
            object.__setattr__(self, "column_values", np.zeros((n, 0, k)))
            object.__setattr__(self, "column_data", np.empty((n, 0), dtype=object))

    def _with_columns(self, columns, values, data, std=None):
        """The same explanation with the tabular columns' values beside the tokens'
        (:mod:`._text_table` adds them; not part of the public interface)."""
        return replace(self, columns=np.asarray(columns, dtype=object), column_values=values, column_data=data,
                       column_std=std)

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def output_index(self, output: Hashable) -> int:
        """Position of ``output``: a label of ``output_names`` or an integer position."""
        labels = [str(name) for name in self.output_names]
        if str(output) in labels:
            return labels.index(str(output))
        if isinstance(output, (int, np.integer)) and -self.n_outputs <= output < self.n_outputs:
            return int(output) % self.n_outputs
        raise KeyError(f"Unknown output {output!r}; the outputs are {labels}.")

    def output(self) -> np.ndarray:
        """Values plus base values, shape (n_documents, n_outputs): the explained output
        for Shapley values, the local model at the document for LIME."""
        sums = np.array([v.sum(axis=0) for v in self.values]).reshape(len(self), self.n_outputs)
        return self.base_values + sums + self.column_values.sum(axis=1)

    def to_frame(self) -> pd.DataFrame:
        """One row per token (and output): ``document``, ``position``, ``token``,
        ``output`` (with several outputs), ``value``, and ``std`` where present.

        With tabular columns, each document's tokens are followed by one row per column
        whose ``column`` names it (``column`` is None for tokens), ``position`` is -1 and
        ``token`` holds the row's value of the column as displayed."""
        frame = self._token_frame()
        if not len(self.columns):
            return frame
        n, c, k = self.column_values.shape
        columns: dict[str, Any] = {
            "document": np.repeat(np.arange(n), c * k),
            "position": -1,
            "token": np.repeat([_shown(v) for v in np.asarray(self.column_data, dtype=object).ravel()], k),
            "column": np.repeat(np.tile(self.columns, n), k),
        }
        if k > 1:
            columns["output"] = np.tile(self.output_names, n * c)
        columns["value"] = self.column_values.ravel()
        if "std" in frame:
            columns["std"] = np.nan if self.column_std is None else self.column_std.ravel()
        frame.insert(3, "column", None)
        both = pd.concat([frame.assign(_order=0), pd.DataFrame(columns).assign(_order=1)], ignore_index=True)
        return both.sort_values(["document", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)

    def _token_frame(self) -> pd.DataFrame:
        n_tokens = np.array([len(t) for t in self.tokens], dtype=np.intp)
        document = np.repeat(np.arange(len(self)), n_tokens)
        position = np.concatenate([np.arange(n) for n in n_tokens]) if len(self) else np.empty(0, dtype=np.intp)
        token = np.asarray([t for tokens in self.tokens for t in tokens], dtype=object)
        values = np.concatenate(self.values) if len(self) else np.empty((0, self.n_outputs))
        std = np.concatenate(self.std) if self.std is not None and len(self) else None
        k = self.n_outputs
        columns: dict[str, Any] = {
            "document": np.repeat(document, k),
            "position": np.repeat(position, k),
            "token": np.repeat(token, k),
        }
        if k > 1:
            columns["output"] = np.tile(self.output_names, len(token))
        columns["value"] = values.ravel()
        if std is not None:
            columns["std"] = std.ravel()
        return pd.DataFrame(columns)

    def __repr__(self):
        n_tokens = sum(len(t) for t in self.tokens)
        outputs = ", ".join(map(str, self.output_names[:5])) + (" ..." if self.n_outputs > 5 else "")
        columns = f", {len(self.columns)} tabular columns" if len(self.columns) else ""
        return (
            f"TextExplanation(method={self.method!r}, {len(self)} documents, {n_tokens} tokens{columns})\n"
            f"  outputs: {outputs}"
        )

    def plot(self, document: int = 0, *, output: Hashable = -1, **kwargs: Any) -> TextDisplay:
        """Draw document ``document`` with each token coloured by its value for ``output``
        (the last output by default: the positive class of a binary classifier).

        Keyword arguments go to :meth:`glassbox.plot.TextDisplay.plot`.
        """
        from ..plot import TextDisplay

        return TextDisplay.from_explanation(self, document=document, output=output).plot(**kwargs)


def _shown(value):
    """A tabular value as ``to_frame`` writes it: numbers to 6 digits, NaN as "missing"."""
    if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
        return "missing" if np.isnan(value) else format_number(value, 6)
    return str(value)
