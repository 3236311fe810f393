"""Text input: finding a text column fed to a vectorizer, and the documents' tokens.

A model whose first step turns documents into features (scikit-learn's
``CountVectorizer``, ``TfidfVectorizer`` or ``HashingVectorizer``, alone at the head of a
Pipeline) reads a 1-D sequence of documents. Its players are the document's tokens:
:func:`text_input` recognises such a model and input in the ``fit`` prelude of every
explainer, so that the explainers that explain text take it per token and the others
say clearly that they cannot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
from sklearn.pipeline import Pipeline

__all__ = ["TEXT_SUPPORT", "text_input"]

VECTORIZERS = (CountVectorizer, HashingVectorizer)
TEXT_SUPPORT = (
    "glassbox explains tabular columns only: vectorize the text outside the model and explain "
    "the model on the vectorized columns"
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


def _is_documents(X):
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
    and ``(vectorizer, description)`` when ``X`` is a 1-D sequence of documents that
    the model's first step, ``vectorizer``, reads. Raises a ValueError for the inputs
    no explainer can take: a vectorizer given 2-D ``X`` (it would read the column
    names as documents), and a text column inside a ``ColumnTransformer``.
    """
    first = _first_step(estimator)
    if isinstance(first, ColumnTransformer):
        for _, transformer, columns in first.transformers:
            vectorizer = _column_vectorizer(transformer)
            if vectorizer is not None:
                raise ValueError(
                    f"{explainer_name} cannot explain the text column {columns!r} that the ColumnTransformer "
                    f"sends to {type(vectorizer).__name__}: a text column beside tabular columns is not "
                    "supported. Explain a Pipeline whose first step is the vectorizer on the text column "
                    "alone, or vectorize the text outside the model."
                )
        return None
    if not isinstance(first, VECTORIZERS):
        return None
    name = type(first).__name__
    if _is_documents(X):
        return first, f"{_column_name(X)} ({len(X)} documents) read by {name}, the model's first step"
    shape = getattr(X, "shape", None)
    columns = f" with columns {list(map(str, X.columns))}" if isinstance(X, pd.DataFrame) else ""
    hint = f" Pass the column itself, X[{str(X.columns[0])!r}]." if isinstance(X, pd.DataFrame) and X.shape[1] else ""
    raise ValueError(
        f"{explainer_name}: the model's first step, {name}, reads a 1-D sequence of documents (strings); got "
        f"X of type {type(X).__name__}{columns}" + (f" and shape {shape}" if shape is not None else "")
        + f". A vectorizer given a table reads its column names as documents.{hint}"
    )
