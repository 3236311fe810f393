"""TreeSHAP for one model: the trees read once, the tables built once, rows explained in chunks.

With ``players`` (groups of columns), every split is credited to the player of the
column it reads: the paths then count the distinct players on them, as they count
repeated features once, and the values are those of the game whose players are the
groups (a coalition keeps or hides all the columns of a group at once), for the
path-dependent and the interventional value functions alike. Rows are still routed by
the columns themselves.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..._core import batch_units, chunk_bounds, read_tree_model, run_chunks
from ._engines import _Engines

__all__ = ["TreeShap", "player_ensemble", "tree_shap"]

_CHUNK_CELLS = 2**23  # floats of work arrays per chunk of rows with batch_size="auto" (64 MiB)
_MAX_CHUNK_CELLS = 2**26  # and with any batch_size (512 MiB): larger chunks are cut


def tree_shap(
    estimator,
    X,
    *,
    background=None,
    background_weights=None,
    output="auto",
    decode=None,
    players=None,
    batch_size="auto",
    n_jobs=None,
):
    """Exact Shapley values of a tree model, path-dependent or interventional.

    Parameters
    ----------
    estimator : fitted tree model
        See :func:`~glassbox._core.is_tree_model`.
    X : ndarray of shape (n_samples, n_features)
        Rows to explain, in the columns the model was fitted on; NaN is missing.
    background : ndarray of shape (n_background, n_features), default=None
        ``None`` computes path-dependent values (the model's expectation given the
        known features, following the training cover of each split). Rows compute
        interventional values against them.
    background_weights : ndarray of shape (n_background,), default=None
        Weights of the background rows; equal when ``None``.
    output : {"auto", "predict_proba", "decision_function", "predict"}, default="auto"
        The model output explained; ``"auto"`` picks the one that is a sum over the
        trees: ``predict_proba`` for decision trees and forests of classifiers,
        ``decision_function`` for gradient boosting classifiers (the raw score of
        XGBoost's, LightGBM's and CatBoost's), ``predict`` for regressors.
    decode : callable, default=None
        Turns rows of ``X`` into the container the model was fitted on. Needed for a
        ``HistGradientBoosting*``, XGBoost or LightGBM model with categorical features
        fitted on a DataFrame; for glassbox's trees, it lets rows encoded by another schema be
        re-encoded by the model's own (without it, ``X`` must be in the model's
        encoding). Unused by other models.
    players : ndarray of int of shape (n_features,), default=None
        The player (group) of each column, numbered from 0: the values are then those
        of the players, shape (n_samples, n_players, n_outputs), with ``n_players``
        one more than the largest number. ``None``: every column is a player.
    batch_size : int or "auto", default="auto"
        Rows explained per chunk; bounds memory. ``"auto"`` keeps each chunk's
        arrays near 64 MiB; whatever the value, a chunk's arrays stay within 512 MiB
        (larger chunks are explained in pieces).
    n_jobs : int or None, default=None
        Chunks run through joblib with this many workers; values do not depend on it.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features or n_players, n_outputs)
    base_values : ndarray of shape (n_samples, n_outputs)
        ``base_values + values.sum(axis=1)`` equals the explained output of ``X``.
    output_method : str
        The explained output: ``"predict_proba"``, ``"decision_function"`` or
        ``"predict"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from glassbox.explainers._treeshap import tree_shap
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    >>> values, base, method = tree_shap(model, X[:5])
    >>> values.shape, method
    ((5, 10, 1), 'predict')
    >>> bool(np.allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X[:5])))
    True
    >>> grouped, _, _ = tree_shap(model, X[:5], players=np.array([0, 0, 1, 1, 2, 2, 2, 2, 2, 2]))
    >>> grouped.shape
    (5, 3, 1)
    >>> bool(np.allclose(grouped.sum(axis=1), values.sum(axis=1)))
    True
    """
    explainer = TreeShap(
        estimator,
        background=background,
        background_weights=background_weights,
        output=output,
        decode=decode,
        players=players,
        expected_rows=len(X),
    )
    values, base_values = explainer.explain(X, batch_size=batch_size, n_jobs=n_jobs)
    return values, base_values, explainer.output_method


class TreeShap:
    """TreeSHAP precomputed for one model and background, reusable across calls.

    Building it converts the trees to arrays and builds the lookup tables (the work
    that does not depend on the rows explained); :meth:`explain` then explains any
    number of rows. :func:`tree_shap` is the one-call form.

    Parameters
    ----------
    estimator, background, background_weights, output, decode, players
        As in :func:`tree_shap`.
    expected_rows : int, default=1000
        Rows expected to be explained with this object: leaves whose table would
        cost more to build than direct formulas cost for that many rows use the
        direct formulas.

    Attributes
    ----------
    output_method : str
        The explained output.
    n_outputs : int
    expected_value : ndarray of shape (n_outputs,)
        The base value: the cover-weighted mean output (path-dependent) or the
        weighted mean output over the background rows (interventional).
    decodes_rows : bool
        Whether the model reads rows in its own encoding (they are decoded first, as
        for HistGradientBoosting's categories and glassbox's trees); otherwise its trees
        compare the encoded columns as numbers.
    """

    def __init__(
        self,
        estimator,
        *,
        background=None,
        background_weights=None,
        output="auto",
        decode=None,
        players=None,
        expected_rows=1000,
    ):
        self._ensemble = read_tree_model(estimator, output, decode)
        self._players = self._ensemble if players is None else player_ensemble(self._ensemble, players)
        self.output_method = self._ensemble.output_method
        self.n_outputs = self._ensemble.n_outputs
        self.decodes_rows = self._ensemble.transform is not None
        reference = None
        if background is not None:
            reference = _check_background(background, background_weights, self._ensemble.n_features)
        self._plan = _Engines(self._players, reference, expected_rows, routing=self._ensemble)
        self.expected_value = self._plan.expected_value

    def explain(self, X, *, batch_size="auto", n_jobs=None, verbose=False):
        """Shapley values of the rows of ``X``, in chunks of ``batch_size`` rows.

        ``"auto"`` keeps each chunk's work arrays near 64 MiB, and no chunk's exceed
        512 MiB whatever ``batch_size``.

        Returns
        -------
        values : ndarray of shape (n_samples, n_features, n_outputs)
        base_values : ndarray of shape (n_samples, n_outputs)
        """
        X = _check_rows(X, self._ensemble.n_features, "X")
        n_samples = len(X)
        per_row = self._plan.cells_per_row()
        batch_size = batch_units(batch_size, row_cells=per_row, unit_cells=per_row, auto_cells=_CHUNK_CELLS)
        batch_size = min(batch_size, max(1, _MAX_CHUNK_CELLS // per_row))
        values = np.zeros((n_samples, self._players.n_model_features, self.n_outputs))
        if n_samples:
            fill_by_chunks(self._explain_rows, X, values, chunk_bounds(n_samples, batch_size), n_jobs=n_jobs,
                           verbose=verbose, desc="TreeSHAP")
        values = self._players.to_input_columns(values)
        base_values = np.broadcast_to(self.expected_value, (n_samples, self.n_outputs)).copy()
        return values, base_values

    def _explain_rows(self, X):
        return self._plan.explain_chunk(self._ensemble.model_input(X))


def fill_by_chunks(explain_rows, X, values, bounds, *, n_jobs, verbose, desc):
    """Write ``explain_rows(X[start:stop])`` into ``values[start:stop]`` for each chunk of
    ``bounds``: one chunk at a time straight into the result in this process (no second
    copy of it), or in parallel and then copied in."""
    if n_jobs in (None, 1):
        run_chunks(_explain_into, [(explain_rows, X, values, start, stop) for start, stop in bounds],
                   verbose=verbose, desc=desc)
        return
    parts = run_chunks(explain_rows, [(X[start:stop],) for start, stop in bounds], n_jobs=n_jobs, verbose=verbose,
                       desc=desc)
    for (start, stop), part in zip(bounds, parts):
        values[start:stop] = part


def _explain_into(explain_rows, X, values, start, stop):
    values[start:stop] = explain_rows(X[start:stop])


def player_ensemble(ens, players):
    """``ens`` with each split's feature replaced by the player of the column it reads.

    ``players`` gives the player of each of the caller's columns (numbered from 0);
    the result has one column per player and routes nothing itself (its splits read
    players): :class:`._engines._Engines` routes rows with ``ens``.
    """
    players = np.asarray(players)
    if players.shape != (ens.n_features,) or players.dtype.kind not in "iu" or (players < 0).any():
        raise ValueError(
            f"players must give a player number (an int from 0) to each of the {ens.n_features} columns of the "
            f"model; got {players.shape[0] if players.ndim == 1 else players.shape} values of dtype {players.dtype}."
        )
    model_players = players if ens.columns is None else players[ens.columns]
    feature = np.where(ens.feature >= 0, model_players[np.maximum(ens.feature, 0)], -1)
    n_players = int(players.max(initial=-1)) + 1
    return dataclasses.replace(ens, feature=feature, columns=None, n_features=n_players)


def _check_rows(X, n_features, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have shape (n_rows, {n_features}) like the data the model was fitted on; got shape {X.shape}."
        )
    return X


def _check_background(background, weights, n_features):
    data = _check_rows(background, n_features, "background")
    if len(data) == 0:
        raise ValueError("background must have at least one row.")
    if weights is None:
        weights = np.full(len(data), 1.0 / len(data))
    else:
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if len(weights) != len(data) or (weights < 0).any() or not weights.sum() > 0:
            raise ValueError(
                f"background_weights must be {len(data)} non-negative numbers with a positive sum; "
                f"got {weights.shape[0]} values."
            )
        weights = weights / weights.sum()
    return data, weights
