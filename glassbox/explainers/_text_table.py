"""A text column beside tabular columns: the players are a row's tokens and its columns.

A Pipeline whose first step is a ``ColumnTransformer`` sending one column of a DataFrame
to a vectorizer (``CountVectorizer``, ``TfidfVectorizer``...) and the others to tabular
transformers reads rows holding a document and tabular values. The players of a row are
its document's tokens (as :class:`~glassbox.explainers._text.Documents` finds them) and
its tabular columns. A coalition keeps the tokens and columns it holds: a token outside
it is removed from the document, a column outside it takes the values of the background
rows, and the value of the coalition is the weighted mean over the background of the
model's output on those rows. The empty coalition is the document with every token
removed beside the background's columns (the base value); the full one is the row
itself, so the values of a row add up to its output minus the base value.

:class:`TableDocuments` gives the Shapley methods of documents (:mod:`._shapley_text`)
these players: its masked rows are a document per coalition beside the coalition's
hybrid of the row and each background row (encoded, as every tabular explainer builds
them), decoded into a DataFrame with the text column put back in its place just before
the model call. LIME (:mod:`._lime_text`) takes its ``drawn`` rows instead: one
background row per coalition, drawn by its weight, and the output of each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._core import Background, ModelOutput, predict_built
from ._text import Documents

__all__ = ["TableDocuments", "TableTextOutput", "table_documents"]


@dataclass(frozen=True, eq=False)
class _TableTextSchema:
    """Decodes :class:`_Rows` into the DataFrame the Pipeline reads: the tabular columns
    (``schema``) with the documents inserted as column ``column`` at ``position``."""

    schema: object
    column: object
    position: int

    @property
    def feature_names(self):
        names = list(self.schema.feature_names)
        names.insert(self.position, self.column)
        return np.asarray(names, dtype=object)

    def decode(self, rows):
        frame = self.schema.decode(rows.tabular)
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame, columns=self.schema.feature_names)
        frame = frame.copy()
        frame.insert(self.position, self.column, rows.documents)
        return frame


@dataclass(frozen=True, eq=False)
class _Rows:
    """Model rows of the text-and-table game: a document and encoded tabular values each."""

    documents: np.ndarray  # (n,) object
    tabular: np.ndarray  # (n, n_columns) float64

    def __len__(self):
        return len(self.documents)

    def __getitem__(self, rows):
        return _Rows(self.documents[rows], self.tabular[rows])


class TableTextOutput(ModelOutput):
    """The model's output on :class:`_Rows`; ``with_schema`` takes the tabular columns' schema
    (one knowing more categories) and keeps the text column where it was."""

    def __init__(self, estimator, schema, output, column, position):
        super().__init__(estimator, _TableTextSchema(schema, column, position), output)

    def with_schema(self, schema):
        return TableTextOutput(self.estimator, schema, self.method, self.schema.column, self.schema.position)


class _Slice:
    """Rows ``start:stop`` of a stack of :class:`_Rows` (a picklable builder for ``predict_built``)."""

    def __init__(self, rows):
        self.rows = rows

    def __call__(self, start, stop):
        return self.rows[start:stop]


@dataclass(frozen=True, eq=False)
class TableDocuments:
    """Rows of a document and tabular columns, as players of a Shapley game.

    Attributes
    ----------
    documents : Documents
        The text column, cut into tokens.
    tabular : ndarray of shape (n_rows, n_columns)
        The encoded tabular columns of the rows.
    background : Background
        Encoded rows the hidden columns take their values from.
    model_output : TableTextOutput
        The model's output on these rows (its schema knows their categories).
    columns : ndarray of shape (n_columns,)
        The names of the tabular columns.
    data : ndarray of shape (n_rows, n_columns)
        The rows' tabular values as displayed.
    """

    documents: Documents
    tabular: np.ndarray
    background: Background
    model_output: TableTextOutput
    columns: np.ndarray
    data: np.ndarray

    def __len__(self):
        return len(self.documents)

    @property
    def texts(self):
        return self.documents.texts

    @property
    def rows_per_mask(self):
        return len(self.background.weights)

    def n_players(self, d):
        """The tokens of row ``d``'s document, then its tabular columns."""
        return self.documents.n_tokens(d) + len(self.columns)

    def key(self, d):
        """What keys the random draws of row ``d``: its document and tabular values."""
        return self.documents.texts[d] + "\x00" + ",".join(f"{v!r}" for v in self.tabular[d])

    def masked(self, d, keep):
        """The model rows of the coalitions ``keep`` (n_masks, n_players) of row ``d``:
        for each coalition, its document beside its hybrid with every background row."""
        keep = np.asarray(keep, dtype=bool)
        p, n_background = self.documents.n_tokens(d), self.rows_per_mask
        texts = np.repeat(self.documents.masked(d, keep[:, :p]), n_background)
        hybrid = np.where(keep[:, None, p:], self.tabular[d], self.background.data[None])
        return _Rows(texts, hybrid.reshape(len(keep) * n_background, -1))

    def drawn(self, d, keep, rng):
        """The model rows of the coalitions ``keep`` (n_masks, n_players) of row ``d`` with one
        background row each, drawn by its weight from ``rng``: a hidden column takes that
        row's value (LIME's perturbations, one model row per coalition)."""
        keep = np.asarray(keep, dtype=bool)
        p, weights = self.documents.n_tokens(d), self.background.weights
        drawn = rng.choice(len(weights), size=len(keep), p=weights)
        hybrid = np.where(keep[:, p:], self.tabular[d], self.background.data[drawn])
        return _Rows(self.documents.masked(d, keep[:, :p]), hybrid)

    def sample_outputs(self, model_output, stacks, *, batch_size="auto", n_jobs=None, verbose=False):
        """The output of every model row of each stack, (n_rows, n_outputs) arrays, from this
        object's ``model_output`` (which knows the rows' categories; the argument is the
        explainer's, on the categories of ``fit``)."""
        rows = _Rows(np.concatenate([s.documents for s in stacks]), np.concatenate([s.tabular for s in stacks]))
        out = predict_built(self.model_output, _Slice(rows), len(rows), n_features=rows.tabular.shape[1] + 1,
                            batch_size=batch_size, n_jobs=n_jobs, verbose=verbose)
        return np.split(out, np.cumsum([len(s) for s in stacks])[:-1])

    def outputs(self, model_output, stacks, *, batch_size="auto", n_jobs=None, verbose=False):
        """Coalition values of each stack of ``masked`` rows, (n_masks, n_outputs) arrays: the
        background-weighted mean of :meth:`sample_outputs`."""
        weights = self.background.weights
        return [np.einsum("mbo,b->mo", out.reshape(-1, len(weights), out.shape[1]), weights)
                for out in self.sample_outputs(model_output, stacks, batch_size=batch_size, n_jobs=n_jobs,
                                               verbose=verbose)]

    def explanation(self, values, base_values, output_names, *, method, std=None, fidelity=None):
        """A :class:`TextExplanation` with the tokens' values and the columns' values apart."""
        p = [self.documents.n_tokens(d) for d in range(len(self))]
        result = self.documents.explanation([v[:n] for v, n in zip(values, p)], base_values, output_names,
                                            method=method, std=None if std is None else [s[:n] for s, n in zip(std, p)],
                                            fidelity=fidelity)
        return result._with_columns(
            self.columns, np.stack([v[n:] for v, n in zip(values, p)]), self.data,
            None if std is None else np.stack([s[n:] for s, n in zip(std, p)]),
        )


def table_documents(explainer, X, column, vectorizer):
    """The :class:`TableDocuments` of ``X`` for a fitted explainer of text beside tabular
    columns (``fit`` learnt the tabular columns' schema and background)."""
    if not isinstance(X, pd.DataFrame) or column not in X.columns:
        raise ValueError(
            f"{type(explainer).__name__} was fitted on a DataFrame with the text column {column!r} beside tabular "
            f"columns; X must be such a DataFrame; got {type(X).__name__}"
            + (f" with columns {list(map(str, X.columns))}" if isinstance(X, pd.DataFrame) else "") + "."
        )
    documents = Documents.tokenise(list(X[column]), vectorizer, what=f"X[{column!r}]")
    tabular, model_output = explainer._prepare(X.drop(columns=[column]))
    schema = model_output.schema.schema
    return TableDocuments(documents, tabular, explainer.background_, model_output,
                          np.asarray(schema.feature_names, dtype=object), schema.display(tabular))

