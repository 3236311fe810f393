"""The computations of the gradient explainer, on the columns a network is fed.

:class:`GradientWork` runs the analytic methods on a :class:`~._network.Network`: the
Jacobian, integrated gradients, DeepLIFT and SmoothGrad, each over a stack of rows cut in
chunks by the batch policy. Every row may have its own baseline (rows of ``B``), which is
how categorical columns and missing cells keep the row's values along a path when a
Pipeline front encodes them (:mod:`._gradient_front`). Central differences, for any model,
are a stacked batch of moved copies (:class:`CentralDifferences`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._core import batch_units, chunk_bounds, gauss_legendre, run_chunks, safe_std

__all__ = ["CentralDifferences", "GradientWork", "feature_scale"]

_NETWORK_CELLS = 2**18
"""Floats in the widest array of a chunk's pass through a network with batch_size="auto":
the passes are memory-bound, and arrays of this size stay in cache (2 MiB)."""
_FIRST_POINTS = 4
"""Gauss-Legendre points per piece of a path in the first pass of ``n_steps="auto"``."""
_MAX_STEPS = 4096
"""Most points per row of integrated gradients with ``n_steps="auto"``."""


@dataclass(frozen=True, eq=False)
class GradientWork:
    """The analytic methods on ``network``, chunked by ``batch_size``."""

    network: object
    batch_size: object
    n_jobs: object
    verbose: object

    def rows_per_chunk(self, points_per_row=1):
        """Rows per chunk when each row is ``points_per_row`` rows of network input:
        ``batch_size`` rows of input, or with "auto" about ``_NETWORK_CELLS`` cells in the
        widest array of a pass."""
        widest = self.network.n_outputs * self.network.width
        return batch_units(
            self.batch_size, row_cells=widest, unit_cells=widest * points_per_row, auto_cells=_NETWORK_CELLS
        )

    def _run(self, task, args, desc):
        return np.concatenate(run_chunks(task, args, n_jobs=self.n_jobs, verbose=self.verbose, desc=desc))

    def jacobian(self, Z):
        """Gradients of shape (n, n_outputs, n_inputs)."""
        bounds = chunk_bounds(len(Z), self.rows_per_chunk())
        return self._run(_gradient_chunk, [(self.network, Z[a:b]) for a, b in bounds], "gradients")

    def deeplift(self, Z, B):
        """DeepLIFT rescale multipliers times ``Z - B`` (one baseline row per row): (n, o, d)."""
        bounds = chunk_bounds(len(Z), self.rows_per_chunk())
        args = [(self.network, Z[a:b], B[a:b]) for a, b in bounds]
        return self._run(_deeplift_chunk, args, "DeepLIFT") * (Z - B)[:, None, :]

    def integrated(self, Z, B, n_steps, integration, allowed):
        """Integrated gradients from the baselines ``B`` to the rows ``Z``: (n, o, d).

        ``n_steps`` points on the whole path with ``integration``, or with ``"auto"``
        pieces of the path between ReLU kinks with Gauss-Legendre points doubled per row
        until its completeness gap is within ``allowed`` (n_outputs,), and the number of
        rows that did not get there within ``_MAX_STEPS`` points.
        """
        if n_steps != "auto":
            if integration == "gauss_legendre":
                alphas, weights = gauss_legendre(n_steps)
            else:
                alphas, weights = (np.arange(n_steps) + 0.5) / n_steps, np.full(n_steps, 1.0 / n_steps)
            bounds = chunk_bounds(len(Z), self.rows_per_chunk(n_steps))
            args = [(self.network, Z[a:b], B[a:b], alphas, weights) for a, b in bounds]
            return self._run(_integrated_chunk, args, "integrated gradients") * (Z - B)[:, None, :], 0
        network = self.network
        values = np.empty((len(Z), network.n_outputs, Z.shape[1]))
        target = network.predict(Z) - network.predict(B)  # (n, o)
        owner, alpha = network.kinks(Z, B)
        piece = owner[1:] == owner[:-1]  # consecutive breakpoints of a row bound one piece
        pieces = (owner[:-1][piece], alpha[:-1][piece], alpha[1:][piece])  # row, start, end
        n_pieces = np.bincount(pieces[0], minlength=len(Z))
        todo, per_piece, unmet = np.arange(len(Z)), _FIRST_POINTS, 0
        while len(todo):  # each row on its own: its points depend on its gap only
            values[todo] = self._integrate_pieces(Z, B, todo, pieces, per_piece)
            gap = np.abs(values[todo].sum(axis=2) - target[todo])  # (t, o)
            todo = todo[(gap > allowed).any(axis=1)]
            at_most = per_piece * n_pieces[todo] >= _MAX_STEPS
            unmet += int(at_most.sum())
            todo, per_piece = todo[~at_most], per_piece * 2
        return values, unmet

    def _integrate_pieces(self, Z, B, rows, pieces, per_piece):
        """Integrated gradients of ``Z[rows]`` with ``per_piece`` Gauss-Legendre points on
        each piece of their paths, in chunks of whole rows."""
        owner, start, end = pieces
        nodes, weights = gauss_legendre(per_piece)
        keep = np.isin(owner, rows)
        owner, start, end = owner[keep], start[keep], end[keep]
        local = np.searchsorted(rows, owner)  # position of each piece's row in ``rows``
        points_of_row = np.bincount(local, minlength=len(rows)) * per_piece
        args = []
        for first, last in _chunks_of_whole_rows(points_of_row, self.rows_per_chunk(1)):
            mine = (local >= first) & (local < last)
            length = end[mine] - start[mine]
            alphas = (start[mine][:, None] + length[:, None] * nodes[None, :]).ravel()
            point_weights = (length[:, None] * weights[None, :]).ravel()
            owners = np.repeat(local[mine] - first, per_piece)
            args.append((self.network, Z[rows[first:last]], B[rows[first:last]], owners, alphas, point_weights))
        return self._run(_pieces_chunk, args, "integrated gradients") * (Z[rows] - B[rows])[:, None, :]

    def smoothgrad(self, Z, rngs, n_samples, sigma):
        """Mean gradient over noisy copies of each row and its standard error, each (n, o, d).

        ``sigma`` (d,) is the standard deviation of the noise in each input column.
        """
        rows_per_chunk = self.rows_per_chunk(n_samples)
        args = [
            (self.network, Z[a:b], rngs[a:b], n_samples, sigma) for a, b in chunk_bounds(len(Z), rows_per_chunk)
        ]
        chunks = run_chunks(_smoothgrad_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="SmoothGrad")
        return tuple(np.concatenate(part) for part in zip(*chunks))


def warn_unmet(unmet, n_rows, tol):
    """Say how many rows integrated gradients left above the tolerance."""
    if unmet:
        warnings.warn(
            f"Integrated gradients of {unmet} of {n_rows} rows did not reach the completeness tol={tol} of the "
            f"output's range with up to {_MAX_STEPS} points; their gap is in the explanation's fidelity. Use "
            "method='deeplift' for attributions that add up exactly.",
            UserWarning,
            stacklevel=4,
        )


# -- chunk tasks (module level, so that every joblib backend can pickle them) ---------------
def _gradient_chunk(network, Z):
    return network.jacobian(Z)


def _deeplift_chunk(network, Z, B):
    return network.multipliers(Z, B)


def _integrated_chunk(network, Z, B, alphas, weights):
    """Quadrature of the gradient along the paths from ``B`` to ``Z``: (c, o, d)."""
    n_rows, n_inputs = Z.shape
    points = B[:, None, :] + alphas[None, :, None] * (Z - B)[:, None, :]  # (c, s, d)
    gradients = network.first_layer_gradient(points.reshape(-1, n_inputs), np.tile(weights, n_rows))
    # Summed over each row's points first, then mapped to the inputs once per row.
    sums = gradients.reshape(n_rows, len(alphas), *gradients.shape[1:]).sum(axis=1)  # (c, o, units)
    return network.to_inputs(sums)


def _pieces_chunk(network, Z, B, owner, alphas, weights):
    """Weighted gradient sums along the pieces of the paths of rows ``Z``: (c, o, d).

    ``owner`` (sorted) gives the row of each point, at ``alphas`` with ``weights``.
    """
    points = B[owner] + alphas[:, None] * (Z[owner] - B[owner])  # (m, d)
    gradients = network.first_layer_gradient(points, weights)  # (m, kept, units)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    sums = np.zeros((len(Z), *gradients.shape[1:]))
    sums[owner[starts]] = np.add.reduceat(gradients, starts, axis=0)
    return network.to_inputs(sums)


def _chunks_of_whole_rows(points_of_row, budget):
    """``[(first, last), ...]`` rows per chunk, each within ``budget`` points unless a
    single row needs more."""
    bounds, first, total = [], 0, 0
    for row, points in enumerate(points_of_row.tolist()):
        if total and total + points > budget:
            bounds.append((first, row))
            first, total = row, 0
        total += points
    bounds.append((first, len(points_of_row)))
    return bounds


def _smoothgrad_chunk(network, Z, rngs, n_samples, sigma):
    n_rows, n_inputs = Z.shape
    noise = np.stack([rng.standard_normal((n_samples, n_inputs)) for rng in rngs])  # (c, s, d)
    points = (Z[:, None, :] + noise * sigma).reshape(-1, n_inputs)  # (c * s, d)
    gradients = network.to_inputs(network.first_layer_gradient(points), expand=False)  # (c * s, kept, d)
    gradients = gradients.reshape(n_rows, n_samples, *gradients.shape[1:])
    mean = gradients.mean(axis=1)
    std = gradients.std(axis=1, ddof=1) / np.sqrt(n_samples) if n_samples > 1 else np.zeros_like(mean)
    return network.expand(mean), network.expand(std, sign=1.0)


class CentralDifferences:
    """Rows ``start:stop`` of the stack of perturbed copies for central differences.

    The stack holds, for every row ``i``, ``n_features`` copies moved up (copy ``j``
    has feature ``j`` at ``upper[i, j]``), then ``n_features`` moved down.
    """

    def __init__(self, X, upper, lower):
        self.X, self.upper, self.lower = X, upper, lower

    @property
    def n_rows(self):
        return self.X.shape[0] * 2 * self.X.shape[1]

    def __call__(self, start, stop):
        n_features = self.X.shape[1]
        per_row = 2 * n_features
        first, last = start // per_row, (stop - 1) // per_row
        offset = first * per_row
        # Copies of the rows the chunk covers (a block copy), then one value moved in each.
        rows = np.repeat(self.X[first : last + 1], per_row, axis=0)[start - offset : stop - offset]  # (c, p)
        flat = np.arange(start, stop)
        row, rest = flat // per_row, flat % per_row
        feature = rest % n_features
        rows[np.arange(len(flat)), feature] = np.where(
            rest >= n_features, self.lower[row, feature], self.upper[row, feature]
        )
        return rows


def feature_scale(X_encoded):
    """Standard deviation of each column (finite whatever the values), 1 for a constant
    one or one with no value."""
    scale = safe_std(X_encoded, axis=0)
    return np.where(scale > 0, scale, 1.0)
