"""Text input: finding a text column fed to a vectorizer, and the documents' tokens.

A model whose first step turns documents into features (scikit-learn's
``CountVectorizer``, ``TfidfVectorizer`` or ``HashingVectorizer``, alone at the head of a
Pipeline) reads a 1-D sequence of documents. Its players are the document's tokens:
:func:`text_input` recognises such a model and input in the ``fit`` prelude of every
explainer, so that the explainers that explain text take it per token and the others
say clearly that they cannot.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline

from .._core import MODEL_ROWS, ModelOutput, batch_units, predict_built
from ._text_result import TextExplanation

__all__ = [
    "DOCUMENTS",
    "TEXT_SUPPORT",
    "Documents",
    "document_outputs",
    "fitted_vectorizer",
    "group_documents",
    "is_documents",
    "text_input",
    "text_model_output",
    "token_pattern",
]

VECTORIZERS = (CountVectorizer, HashingVectorizer)
TEXT_SUPPORT = (
    "text is explained per token by LimeExplainer and ShapleyExplainer (method 'auto', 'exact', "
    "'kernel' or 'permutation')"
)
"""What explains text, for the error of the explainers that do not."""


def _first_step(estimator):
    """The first step of a Pipeline (skipping ``"passthrough"``), or the estimator itself."""
    while isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if not steps:
            return None
        estimator = steps[0]
    return estimator


def _column_vectorizer(transformer):
    """The vectorizer ``transformer`` is or starts with, or None."""
    first = _first_step(transformer)
    return first if isinstance(first, VECTORIZERS) else None


def is_documents(X):
    """Whether ``X`` is a 1-D sequence whose values are all strings."""
    if isinstance(X, (pd.DataFrame, str)) or not hasattr(X, "__len__"):
        return False
    values = X.to_numpy() if isinstance(X, pd.Series) else np.asarray(X, dtype=object)
    return values.ndim == 1 and len(values) > 0 and all(isinstance(v, str) for v in values)


def _column_name(X):
    if isinstance(X, pd.Series) and X.name is not None:
        return f"the text column {str(X.name)!r}"
    return "a 1-D X of documents"


def text_input(explainer_name, estimator, X):
    """Recognise a text column fed to a vectorizer.

    Returns ``None`` when the model does not start with a vectorizer (tabular input),
    ``(vectorizer, description)`` when ``X`` is a 1-D sequence of documents that the
    model's first step, ``vectorizer``, reads, and ``(vectorizer, description, column)``
    when the first step is a ``ColumnTransformer`` sending the column ``column`` of the
    DataFrame ``X`` to ``vectorizer`` beside tabular columns (:mod:`._text_table`).
    Raises a ValueError for the inputs no explainer can take: a vectorizer given 2-D
    ``X`` (it would read the column names as documents), several text columns, and a
    text column in a ColumnTransformer given anything but a DataFrame holding it.
    """
    first = _first_step(estimator)
    if isinstance(first, ColumnTransformer):
        return _table_text_input(explainer_name, first, X)
    if not isinstance(first, VECTORIZERS):
        return None
    name = type(first).__name__
    if is_documents(X):
        return first, f"{_column_name(X)} ({len(X)} documents) read by {name}, the model's first step"
    shape = getattr(X, "shape", None)
    columns = f" with columns {list(map(str, X.columns))}" if isinstance(X, pd.DataFrame) else ""
    hint = f" Pass the column itself, X[{str(X.columns[0])!r}]." if isinstance(X, pd.DataFrame) and X.shape[1] else ""
    raise ValueError(
        f"{explainer_name}: the model's first step, {name}, reads a 1-D sequence of documents (strings); got "
        f"X of type {type(X).__name__}{columns}" + (f" and shape {shape}" if shape is not None else "")
        + f". A vectorizer given a table reads its column names as documents.{hint}"
    )


def _table_text_input(explainer_name, transformer, X):
    """``text_input`` of a ColumnTransformer: None, or its one vectorizer and text column."""
    found = [(name, _column_vectorizer(step), columns) for name, step, columns in transformer.transformers]
    found = [(name, vectorizer, columns) for name, vectorizer, columns in found if vectorizer is not None]
    if not found:
        return None
    name, vectorizer, column = found[0]
    kind = type(vectorizer).__name__
    if len(found) > 1:
        raise ValueError(
            f"{explainer_name} cannot explain the ColumnTransformer's {len(found)} text columns "
            f"{[c for _, _, c in found]}: one text column (beside any number of tabular columns) is supported. "
            "Join the documents into one column, or explain each text model apart."
        )
    if not isinstance(column, (str, int, np.integer)):
        raise ValueError(
            f"{explainer_name} cannot explain the column selection {column!r} that the ColumnTransformer sends to "
            f"{kind}: a vectorizer reads one column, given by its name (a string), which the explainer then "
            "explains per token. Select the text column by name."
        )
    key = X.columns[column] if isinstance(X, pd.DataFrame) and not isinstance(column, str) else column
    if not isinstance(X, pd.DataFrame) or key not in X.columns:
        raise ValueError(
            f"{explainer_name}: the model's ColumnTransformer sends the text column {column!r} to {kind}; X must "
            f"be a DataFrame holding it (beside the tabular columns); got {type(X).__name__}"
            + (f" with columns {list(map(str, X.columns))}" if isinstance(X, pd.DataFrame) else "") + "."
        )
    description = (f"the text column {str(key)!r} ({len(X)} documents) that the ColumnTransformer sends to {kind}, "
                   f"beside {X.shape[1] - 1} tabular columns")
    return vectorizer, description, (name, key)


def fitted_vectorizer(estimator, step=None):
    """The vectorizer at the head of a fitted text model, or in its ColumnTransformer's step ``step``."""
    first = _first_step(estimator)
    if step is None:
        return first
    return _column_vectorizer(first.named_transformers_[step])


class _DocumentSchema:
    """The schema of text models: their input is the documents themselves."""

    feature_names = np.asarray(["document"], dtype=object)

    @staticmethod
    def decode(Z):
        return list(Z)


DOCUMENTS = _DocumentSchema()
"""Pass to :class:`~glassbox._core.ModelOutput` to evaluate a text model on documents."""


@dataclass(frozen=True, eq=False)
class Documents:
    """Documents cut into the tokens their vectorizer reads: the players of a text game.

    A token is a match of the vectorizer's own ``token_pattern`` (the tokens its
    ``build_analyzer()`` returns, before stop words are dropped and n-grams formed), or
    a run of non-blank characters for a character analyzer. Masking a token removes it
    from the document: its characters become one blank, so that the analyzer reads
    every other token as before and never the removed one.

    Attributes
    ----------
    texts : list of str
    spans : list of ndarray of shape (n_tokens, 2)
        Start and stop of each token in its document.
    known : list of ndarray of shape (n_tokens,)
        Whether the vectorizer's vocabulary holds the token (all True without a vocabulary).
    """

    texts: list
    spans: list
    known: list

    @classmethod
    def tokenise(cls, texts, vectorizer, *, what="X"):
        """Tokenise ``texts`` as ``vectorizer`` reads them; refuse a document with no token."""
        pattern = token_pattern(vectorizer)
        analyzer = vectorizer.build_analyzer()
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        texts = [str(t) for t in texts]
        spans, known = [], []
        for text in texts:
            found = [m.span(pattern.groups and 1) for m in pattern.finditer(text)]
            spans.append(np.asarray(found, dtype=np.intp).reshape(-1, 2))
            if vocabulary is None or vectorizer.analyzer != "word":
                known.append(np.ones(len(found), dtype=bool))
            else:
                known.append(np.asarray([any(t in vocabulary for t in analyzer(text[s:e])) for s, e in found],
                                        dtype=bool))
        empty = [i for i, s in enumerate(spans) if len(s) == 0]
        if empty:
            raise ValueError(
                f"Documents {empty[:10]} of {what} hold no token that {type(vectorizer).__name__} reads "
                f"(token pattern {pattern.pattern!r}); there is nothing to explain in them. Drop empty documents."
            )
        unknown = [i for i, k in enumerate(known) if not k.any()]
        if unknown:
            warnings.warn(
                f"Documents {unknown[:10]} of {what} hold no token of {type(vectorizer).__name__}'s vocabulary: "
                "the model sees them as empty and every token gets 0.",
                UserWarning,
                stacklevel=3,
            )
        return cls(texts, spans, known)

    def __len__(self):
        return len(self.texts)

    def n_tokens(self, d):
        return len(self.spans[d])

    rows_per_mask = 1
    """Model rows per coalition (:class:`._text_table.TableDocuments` averages over background rows)."""

    def n_players(self, d):
        """Players of document ``d``: its tokens."""
        return self.n_tokens(d)

    def key(self, d):
        """What keys the random draws of document ``d``: its characters."""
        return self.texts[d]

    def outputs(self, model_output, stacks, *, batch_size="auto", n_jobs=None, verbose=False):
        """The output of each stack of ``masked`` documents: a list of (n_masks, n_outputs) arrays."""
        out = document_outputs(model_output, np.concatenate(stacks), batch_size=batch_size, n_jobs=n_jobs,
                               verbose=verbose)
        return np.split(out, np.cumsum([len(s) for s in stacks])[:-1])

    sample_outputs = outputs
    """The output of every model row of each stack (one row per coalition here)."""

    def drawn(self, d, keep, rng):
        """The model rows of the coalitions ``keep`` of document ``d`` (``masked``; ``rng``
        draws nothing for documents alone: they have no hidden column)."""
        return self.masked(d, keep)

    def tokens(self, d):
        """The tokens of document ``d``, as written in it."""
        return [self.texts[d][s:e] for s, e in self.spans[d]]

    def explanation(self, values, base_values, output_names, *, method, std=None, fidelity=None):
        """The :class:`TextExplanation` of these documents."""
        return TextExplanation(
            self.texts, [self.tokens(d) for d in range(len(self))], self.spans, values, base_values,
            np.asarray(output_names), method=method, std=std, fidelity=fidelity,
        )

    def masked(self, d, keep):
        """Document ``d`` with the tokens outside ``keep`` removed, for each row of ``keep``.

        ``keep`` has shape (n_masks, n_tokens); returns an object array of n_masks strings.
        """
        text, spans = self.texts[d], self.spans[d]
        cuts = np.r_[0, spans.ravel(), len(text)]
        gaps = [text[a:b] for a, b in zip(cuts[0::2], cuts[1::2])]  # n_tokens + 1 pieces between tokens
        tokens = self.tokens(d)
        out = np.empty(len(keep), dtype=object)
        for i, row in enumerate(np.asarray(keep, dtype=bool)):
            pieces = [gaps[0]]
            for token, kept, gap in zip(tokens, row, gaps[1:]):
                pieces.append(token if kept else " ")
                pieces.append(gap)
            out[i] = "".join(pieces)
        return out


def token_pattern(vectorizer):
    """The pattern of the tokens ``vectorizer`` reads; refuses a tokenizer that hides where they sit."""
    name = type(vectorizer).__name__
    if callable(vectorizer.analyzer) or vectorizer.tokenizer is not None:
        raise ValueError(
            f"{name} has a custom {'analyzer' if callable(vectorizer.analyzer) else 'tokenizer'}: glassbox cannot "
            "tell where its tokens sit in a document, so it cannot remove them one by one. Use its token_pattern "
            "(analyzer='word') or a character analyzer."
        )
    if vectorizer.analyzer == "word":
        return re.compile(vectorizer.token_pattern)
    return re.compile(r"\S+")  # character n-grams: the players are the words


class _Stack:
    """Rows ``start:stop`` of a stack of documents (a picklable builder for ``predict_built``)."""

    def __init__(self, texts):
        self.texts = texts

    def __call__(self, start, stop):
        return self.texts[start:stop]


def document_outputs(model_output, texts, *, batch_size="auto", n_jobs=None, verbose=False):
    """The model's output on a stack of documents, shape (n_documents, n_outputs)."""
    texts = np.asarray(texts, dtype=object)
    if len(texts) == 0:
        return np.empty((0, model_output.n_outputs))
    return predict_built(model_output, _Stack(texts), len(texts), n_features=1, batch_size=batch_size,
                         n_jobs=n_jobs, verbose=verbose)


def group_documents(sizes, batch_size):
    """Consecutive groups of documents whose stacks (``sizes`` documents each) fill one batch."""
    budget = batch_units(batch_size, row_cells=1, unit_cells=1, max_rows=MODEL_ROWS)
    groups, start, total = [], 0, 0
    for d, size in enumerate(sizes):
        if d > start and total + size > budget:
            groups.append((start, d))
            start, total = d, 0
        total += size
    if start < len(sizes):
        groups.append((start, len(sizes)))
    return groups


def text_model_output(estimator, output):
    """The explained output of a fitted text model, evaluated on documents."""
    return ModelOutput(estimator, DOCUMENTS, output)
