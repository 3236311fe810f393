"""Explaining a Pipeline in the raw columns the user passed.

Model-agnostic explainers mask the raw columns, so a Pipeline is explained in them
without further ado. Explainers that read the structure of the final model (linear
coefficients, trees) work on the columns the final model sees instead: one-hot
indicators, scaled or imputed copies. :func:`split_pipeline` separates a fitted model
into its front (every step but the last) and its final estimator, and records which
raw column each derived column comes from, so that attributions of derived columns
fold back onto raw columns by summation (:meth:`PipelineFront.fold`). Attributions that
add up to the output keep adding up to it after folding.

A derived column must come from one raw column: ``OneHotEncoder``, scalers, imputers
without indicators, binners and the like, alone, inside a ``ColumnTransformer`` or a
nested ``Pipeline``. The mapping is read from ``transformers_``, ``output_indices_`` and
``get_feature_names_out``, then checked on background rows: changing one raw column may
only move the derived columns attributed to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

__all__ = ["PipelineFront", "split_pipeline"]


@dataclass(frozen=True, eq=False)
class PipelineFront:
    """The steps before the final estimator, and where their columns come from.

    Attributes
    ----------
    transformer : fitted transformer or None
        The front of the Pipeline (``pipeline[:-1]``); ``None`` for a bare model, whose
        columns are the encoded raw columns themselves.
    schema : FeatureSchema
        Decodes encoded rows into what the Pipeline was fitted on.
    sources : ndarray of int of shape (n_derived,)
        The raw column each derived column comes from.
    derived_names : ndarray of str of shape (n_derived,)
    """

    transformer: object
    schema: object
    sources: np.ndarray
    derived_names: np.ndarray

    @property
    def n_derived(self):
        return len(self.sources)

    def transform(self, X_encoded, schema=None):
        """Columns the final estimator sees, as float64 of shape (n_rows, n_derived)."""
        if self.transformer is None:
            return np.asarray(X_encoded, dtype=np.float64)
        Xt = self.transformer.transform((schema or self.schema).decode(X_encoded))
        if hasattr(Xt, "toarray"):
            Xt = Xt.toarray()
        return np.asarray(Xt, dtype=np.float64)

    def model_input(self, X_encoded, schema=None):
        """What the final estimator takes: the front's output, or decoded rows for a bare model."""
        if self.transformer is None:
            return (schema or self.schema).decode(X_encoded)
        return self.transform(X_encoded, schema)

    def folding_matrix(self):
        """One-hot matrix of shape (n_derived, n_features): derived column to raw column."""
        G = np.zeros((self.n_derived, self.schema.n_features))
        G[np.arange(self.n_derived), self.sources] = 1.0
        return G

    def fold(self, values):
        """Sum attributions of shape (n, n_derived, n_outputs) into (n, n_features, n_outputs)."""
        if self.transformer is None:
            return values
        return np.einsum("ndo,dp->npo", values, self.folding_matrix())


def split_pipeline(estimator, schema, background=None):
    """Split a fitted model into its :class:`PipelineFront` and its final estimator.

    Parameters
    ----------
    estimator : fitted estimator
        A Pipeline (its last step is the final estimator) or a bare model.
    schema : FeatureSchema
        The raw columns the model is explained in.
    background : ndarray of shape (n_background, n_features), default=None
        Encoded rows on which the mapping is checked.

    Returns
    -------
    front : PipelineFront
    final : estimator

    Raises
    ------
    ValueError
        When a derived column cannot be traced to a single raw column.
    """
    names = [str(n) for n in schema.feature_names]
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return PipelineFront(None, schema, np.arange(len(names)), np.asarray(names, dtype=object)), estimator
    transformer, final = estimator[:-1], estimator.steps[-1][1]
    sources, derived_names = _sources(transformer, names)
    front = PipelineFront(transformer, schema, sources, np.asarray(derived_names, dtype=object))
    if background is not None and len(background):
        _check_sources(front, background)
    return front, final


def _sources(step, names):
    """For each output column of fitted ``step``, the index of its input in ``names``."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.arange(len(names)), list(names)
    if isinstance(step, Pipeline):
        sources = np.arange(len(names))
        for _, sub in step.steps:
            local, names = _sources(sub, names)
            sources = sources[local]
        return sources, names
    if isinstance(step, ColumnTransformer):
        return _column_transformer_sources(step, names)
    names_out = _names_out(step, names)
    return _match_names(step, names_out, names), names_out


def _column_transformer_sources(ct, names):
    n_out = max((s.stop for s in ct.output_indices_.values()), default=0)
    sources = np.full(n_out, -1)
    for name, transformer, columns in ct.transformers_:
        out = ct.output_indices_.get(name)
        if out is None or out.stop == out.start or (isinstance(transformer, str) and transformer == "drop"):
            continue
        inputs = _column_indices(columns, names)
        local, _ = _sources(transformer, [names[i] for i in inputs])
        if len(local) != out.stop - out.start:
            raise _fold_error(ct, f"its step {name!r} gives {out.stop - out.start} columns, not {len(local)}")
        sources[out] = inputs[local]
    try:
        names_out = [str(n) for n in ct.get_feature_names_out(names)]
    except (AttributeError, ValueError, TypeError):
        names_out = [f"{names[s]}[{k}]" for k, s in enumerate(sources)]
    if (sources < 0).any():
        raise _fold_error(ct, "some of its output columns come from no transformer")
    return sources, names_out


def _column_indices(columns, names):
    """Positions in ``names`` of a ColumnTransformer column selection."""
    if isinstance(columns, slice):
        if isinstance(columns.start, str) or isinstance(columns.stop, str):
            start = names.index(columns.start) if columns.start is not None else 0
            stop = names.index(columns.stop) + 1 if columns.stop is not None else len(names)
            return np.arange(start, stop)
        return np.arange(len(names))[columns]
    if isinstance(columns, (str, int, np.integer)):
        columns = [columns]
    columns = np.asarray(columns)
    if columns.dtype == bool:
        return np.flatnonzero(columns)
    if columns.dtype.kind in "iu":
        return columns.astype(np.intp)
    return np.asarray([names.index(str(c)) for c in columns], dtype=np.intp)


def _names_out(step, names):
    try:
        return [str(n) for n in step.get_feature_names_out(names)]
    except (AttributeError, ValueError, TypeError) as exc:
        if len(names) == 1:  # every output comes from the one input, whatever it is called
            n_out = _n_outputs(step)
            if n_out is not None:
                return [f"{names[0]}[{k}]" for k in range(n_out)]
        raise _fold_error(step, "it cannot name its output columns (get_feature_names_out failed)") from exc


def _n_outputs(step):
    n_out = getattr(step, "n_features_out_", None)
    return int(n_out) if n_out is not None else None


def _match_names(step, names_out, names_in):
    """Input of each output column: itself for one-to-one steps, else by name prefix.

    Steps that expand each input into a block of columns (``OneHotEncoder`` names them
    ``colour_red``, ``colour_blue``...) list the blocks in input order; each output is
    given the longest input name it starts with, scanning forward.
    """
    if len(names_in) == 1:
        return np.zeros(len(names_out), dtype=np.intp)
    if list(names_out) == list(names_in):
        return np.arange(len(names_in))
    local = np.empty(len(names_out), dtype=np.intp)
    current = 0
    for k, out in enumerate(names_out):  # loop over column names, not rows
        candidates = [j for j in range(current, len(names_in)) if out.startswith(names_in[j])]
        if not candidates:
            raise _fold_error(step, f"its output column {out!r} is not named after one of its inputs {names_in}")
        current = max(candidates, key=lambda j: (len(names_in[j]), -j))
        local[k] = current
    return local


def _check_sources(front, background, max_rows=50):
    """Changing one raw column may move only the derived columns traced to it."""
    rows = background[:max_rows]
    n_rows, n_features = rows.shape
    base = front.transform(rows)  # (n_rows, n_derived)
    # One copy of the rows per raw column j with column j rolled by one row.
    shifted = np.repeat(rows[None], n_features, axis=0)  # (n_features, n_rows, n_features)
    cols = np.arange(n_features)
    shifted[cols, :, cols] = np.roll(rows, 1, axis=0).T
    moved = front.transform(shifted.reshape(-1, n_features)).reshape(n_features, n_rows, -1)
    same = (moved == base) | (np.isnan(moved) & np.isnan(base))
    changed = ~same.all(axis=1)  # (n_features, n_derived)
    wrong = changed & (front.sources[None, :] != cols[:, None])
    if wrong.any():
        j, d = np.argwhere(wrong)[0]
        raise _fold_error(
            front.transformer,
            f"its column {front.derived_names[d]!r} was traced to {front.schema.feature_names[front.sources[d]]!r} "
            f"but also changes with {front.schema.feature_names[j]!r}",
        )


def _fold_error(step, why):
    return ValueError(
        f"Cannot attribute the columns made by {type(step).__name__} to single input columns: {why}. "
        "Use method='exact' or method='kernel', which mask the raw columns and explain any Pipeline."
    )
