"""The result of explaining documents per token: :class:`TextExplanation`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
        return self.base_values + sums

    def to_frame(self) -> pd.DataFrame:
        """One row per token (and output): ``document``, ``position``, ``token``,
        ``output`` (with several outputs), ``value``, and ``std`` where present."""
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
        return (
            f"TextExplanation(method={self.method!r}, {len(self)} documents, {n_tokens} tokens)\n"
            f"  outputs: {outputs}"
        )

    def plot(self, document: int = 0, *, output: Hashable = -1, **kwargs: Any) -> TextDisplay:
        """Draw document ``document`` with each token coloured by its value for ``output``
        (the last output by default: the positive class of a binary classifier).

        Keyword arguments go to :meth:`glassbox.plot.TextDisplay.plot`.
        """
        from ..plot import TextDisplay

        return TextDisplay.from_explanation(self, document=document, output=output).plot(**kwargs)
