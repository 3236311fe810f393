"""Shapley values of the tokens of documents.

The players of a document are its tokens (:class:`~glassbox.explainers._text.Documents`),
and beside them its row's tabular columns when a ColumnTransformer reads both
(:class:`~glassbox.explainers._text_table.TableDocuments`, whose coalition values average
over background rows);
the value of a coalition is the model's output on the document with every other token
removed, so the empty coalition is the document with no token and the values of a
document add up to its output minus that base value. The exact, kernel and permutation
methods run as for tabular rows (:mod:`._shapley_designs`, :mod:`._kernel_shap`) on
each document's own number of tokens; the masked documents of consecutive documents
are stacked into model calls of at most one batch.
"""

from __future__ import annotations

import numpy as np

from .._core import row_rngs
from ._kernel_shap import kernel_design, kernel_solve
from ._shapley_designs import (
    exact_design,
    exact_values,
    kernel_budget,
    permutation_budget,
    permutation_orders,
    permutation_values,
)
from ._text import group_documents

__all__ = ["TEXT_METHODS", "document_rng", "shapley_documents"]

TEXT_METHODS = ("auto", "exact", "kernel", "permutation")
"""Methods of documents; ``"auto"`` is exact up to 11 tokens, permutation sampling beyond."""
MAX_EXACT_TOKENS = 16
"""``method="exact"`` enumerates ``2**n_tokens`` coalitions; beyond this many tokens it refuses."""


def document_rng(seed, text, salt=0):
    """A generator keyed by ``seed`` and the document's characters (:func:`row_rngs`), so
    that a document gets the same draws alone, in a batch or in any order."""
    codes = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.float64)
    return row_rngs(seed, np.r_[salt, len(codes), codes][None, :])[0]


class _Plan:
    """The masks of one document and how its values follow from their outputs."""

    def __init__(self, method, n_tokens, n_samples, seed, text, designs):
        self.method = method
        budget = 2 * n_tokens + 2048 if n_samples == "auto" else int(n_samples)
        if n_tokens == 1:  # the single token receives the whole difference
            self.method, self.masks = "single", np.empty((0, 1), dtype=bool)
        elif method == "exact" or (method in ("auto", "kernel") and 2**n_tokens - 2 <= budget):
            if n_tokens > MAX_EXACT_TOKENS:
                raise ValueError(
                    f"method='exact' enumerates 2**n_tokens coalitions and handles at most {MAX_EXACT_TOKENS} "
                    f"tokens; a document has {n_tokens}. Use method='kernel' or method='permutation'."
                )
            self.method = "exact"  # every coalition costs no more than the kernel budget
            if ("exact", n_tokens) not in designs:
                designs["exact", n_tokens] = exact_design(n_tokens)
            self.design = designs["exact", n_tokens]
            self.masks = self.design["masks"]
        elif method == "kernel":
            kernel_budget(n_tokens, n_samples, "tokens")  # refuses too few coalitions
            if ("kernel", n_tokens, budget) not in designs:  # keyed by the length: the same in any batch
                rng = row_rngs(seed, [[n_tokens, budget]])[0]
                designs["kernel", n_tokens, budget] = kernel_design(n_tokens, budget, rng)
            self.design = designs["kernel", n_tokens, budget]
            self.masks = self.design["masks"]
        else:  # permutation sampling, also for "auto" (whose kernel designs would cost more than the model)
            self.method = "permutation"
            pairs = permutation_budget(n_tokens, n_samples) // 2
            self.positions, prefix = permutation_orders([document_rng(seed, text)], n_tokens, pairs)
            self.masks = prefix.reshape(-1, n_tokens)

    def values(self, v, fx, v0):
        """Values and standard errors (p, o) from the outputs of the masks ``v`` (m, o),
        of the document ``fx`` (o,) and of the empty document ``v0`` (o,)."""
        if self.method == "single":
            return (fx - v0)[None, :], np.zeros((1, len(fx)))
        if self.method == "exact":
            return exact_values(self.design["weights"], v[None], fx[None], v0)[0], np.zeros((self.masks.shape[1], len(fx)))
        if self.method == "kernel":
            values, std = kernel_solve(self.design, (v - v0)[None], (fx - v0)[None])
            return values[0], std[0]
        values, std = permutation_values(v[None], fx[None], v0, self.positions)
        return values[0], std[0]


def shapley_documents(documents, model_output, *, method, n_samples, seed, designs, batch_size, n_jobs, verbose):
    """Shapley values of the tokens of ``documents``.

    ``method="auto"`` enumerates the coalitions of a document when they are no more
    than the budget of model evaluations and samples permutations otherwise;
    ``"kernel"`` enumerates them likewise. ``designs`` caches the designs of each
    number of tokens (they depend only on it and ``seed``). Returns the values and
    standard errors (lists of (n_tokens, n_outputs) arrays; standard errors ``None``
    for the exact method, 0 where a document's coalitions were enumerated) and the
    base values (n_docs, n_outputs).
    """
    plans = [_Plan(method, documents.n_players(d), n_samples, seed, documents.key(d), designs)
             for d in range(len(documents))]
    values, std = [], []
    base_values = np.empty((len(documents), model_output.n_outputs))
    sizes = [(len(plan.masks) + 2) * documents.rows_per_mask for plan in plans]
    for start, stop in group_documents(sizes, batch_size):
        stacks = []
        for d in range(start, stop):
            p = documents.n_players(d)
            keep = np.concatenate([np.zeros((1, p), dtype=bool), np.ones((1, p), dtype=bool), plans[d].masks])
            stacks.append(documents.masked(d, keep))
        outputs = documents.outputs(model_output, stacks, batch_size=batch_size, n_jobs=n_jobs, verbose=verbose)
        for d, out in zip(range(start, stop), outputs):
            v0, fx, v = out[0], out[1], out[2:]
            value, error = plans[d].values(v, fx, v0)
            values.append(value)
            std.append(error)
            base_values[d] = v0
    return values, (None if method == "exact" else std), base_values
