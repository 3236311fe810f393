"""LIME for documents: a weighted sparse linear model of the tokens around each document.

As the lime package's text explainer (with ``bow=False``: one feature per position):
each perturbed document removes ``k`` of its ``p`` tokens, ``k`` uniform on ``1..p``, a
random subset of that size; the interpretable representation is which tokens remain,
the distance to the document is 100 times the cosine distance of that representation
to all ones (``100 (1 - sqrt(kept / p))``) and the weights are
``exp(-d**2 / (2 w**2))``. The local regression is LIME's tabular one
(:mod:`._lime_fit`), solved per document on its own number of tokens; the perturbed
documents of consecutive documents are stacked into model calls of at most one batch.

Beside tabular columns (:class:`~glassbox.explainers._text_table.TableDocuments`) the
players are the row's tokens and its columns, removed alike (``k`` uniform on ``1..p``
over all of them); a hidden column takes the value of one background row drawn for the
sample, so each perturbed row is one model row and the local model has a weight per
token and per column.
"""

from __future__ import annotations

import numpy as np

from ._lime_fit import group_moments
from ._shapley_text import document_rng
from ._text import group_documents

__all__ = ["TEXT_KERNEL_WIDTH", "lime_documents", "removal_samples"]

TEXT_KERNEL_WIDTH = 25.0
"""The kernel width of documents when ``kernel_width=None`` (the lime package's for text)."""


def removal_samples(rng, n_tokens, num_samples):
    """Which tokens each of ``num_samples`` perturbed documents keeps, (num_samples, p).

    The first sample is the document itself; each other removes ``k`` tokens, ``k``
    uniform on ``1..p``, chosen at random.
    """
    removed = rng.integers(1, n_tokens + 1, size=num_samples - 1)
    ranks = np.argsort(np.argsort(rng.random((num_samples - 1, n_tokens)), axis=1), axis=1)
    keep = ranks >= removed[:, None]
    return np.concatenate([np.ones((1, n_tokens), dtype=bool), keep])


def lime_documents(documents, model_output, local, *, num_samples, kernel_width, seed, batch_size, n_jobs,
                   verbose):
    """LIME weights of the tokens of ``documents`` (then of their columns, beside tabular columns).

    Returns the weights and their standard errors (lists of (n_tokens, n_outputs)
    arrays), the intercepts and the weighted R² of the local models (n_docs, n_outputs).
    """
    coef, std = [], []
    intercept = np.empty((len(documents), model_output.n_outputs))
    r2 = np.empty_like(intercept)
    for start, stop in group_documents([num_samples] * len(documents), batch_size):
        keeps, stacks = [], []
        for d in range(start, stop):
            rng = document_rng(seed, documents.key(d), salt=1)
            keeps.append(removal_samples(rng, documents.n_players(d), num_samples))
            stacks.append(documents.drawn(d, keeps[-1], rng))
        outputs = documents.sample_outputs(model_output, stacks, batch_size=batch_size, n_jobs=n_jobs,
                                           verbose=verbose)
        for d, keep, out in zip(range(start, stop), keeps, outputs):
            p = keep.shape[1]
            distance = 100.0 * (1.0 - np.sqrt(keep.sum(axis=1) / p))
            weights = np.exp(distance**2 * (-0.5 / kernel_width**2))
            design = keep.astype(np.float64)
            moments = group_moments(design[None], weights[None], (out - out[0])[None])
            c, b, fit, error = local.fit(moments, np.ones((1, p)))
            coef.append(c[0].T)
            std.append(error[0].T)
            intercept[d], r2[d] = b[0] + out[0], fit[0]
    return coef, std, intercept, r2
