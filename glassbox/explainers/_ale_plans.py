"""The evaluation table of accumulated local effects and the curves read from it.

:class:`EvaluationTable` stacks every edited row an ALE explanation needs (each a row
of ``X`` with one or two columns set to a bin edge or a level) into one table evaluated
in chunks. Each kind of effect is a plan: it adds its rows to the table, and once the
table is evaluated it turns the outputs into its centred curve, its band and the rows
behind each point:

- :class:`NumericPlan`: a numeric feature, at its bin edges, plus a missing point;
- :class:`LevelPlan`: a categorical feature, each row moved to the next and previous
  level in the order ALE follows;
- :class:`PairPlan`: the second-order effect of two numeric features on the grid of
  their bin edges.

Bootstrap bands reuse the local differences: each resample only reweights the rows,
so it costs no model call.
"""

from __future__ import annotations

from itertools import product

import numpy as np
from scipy import sparse, stats
from scipy.spatial import cKDTree

from .._core import predict_built
from ._effect_utils import percentile_band

__all__ = ["EvaluationTable", "LevelPlan", "NumericPlan", "PairPlan"]


class EvaluationTable:
    """The stacked table of edited rows that ALE evaluates in one call.

    Each entry is a row of ``X`` with up to two columns set to given values; the rows
    of ``X`` themselves are the first block, added when a plan asks for them. The table
    keeps the blocks as they are added (rows, columns, values) and builds the rows of a
    chunk only when the chunk is evaluated.
    """

    def __init__(self, X):
        self.X = X
        self._blocks = []
        self._size = 0
        self._base = None

    def base(self):
        """Slice of the unedited rows of ``X`` in the outputs."""
        if self._base is None:
            self._base = self.add(np.arange(len(self.X)), (), ())
        return self._base

    def add(self, rows, columns, values):
        """Append ``rows`` of X with ``columns`` (none, one or two) set to ``values`` (a
        scalar or one value per row for each column); return their slice in the outputs."""
        rows = np.asarray(rows, dtype=np.intp)
        n = len(rows)
        values = tuple(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for v in values)
        self._blocks.append(_Block(rows, tuple(columns), values))
        self._size += n
        return slice(self._size - n, self._size)

    def evaluate(self, model_output, n_outputs, *, batch_size, n_jobs, verbose):
        """Model outputs of every entry, shape (n_entries, n_outputs)."""
        if self._size == 0:
            return np.zeros((0, n_outputs))
        build = _EditedRows(self.X, self._blocks)
        return predict_built(
            model_output, build, self._size, n_features=self.X.shape[1], batch_size=batch_size,
            n_jobs=n_jobs, verbose=verbose,
        )


class _Block:
    """Rows of X with columns set to values; ``first`` when the rows are a run ``first,
    first + 1, ...`` (copied as a slice rather than gathered)."""

    def __init__(self, rows, columns, values):
        self.rows, self.columns, self.values = rows, columns, values
        is_run = len(rows) > 0 and rows[-1] - rows[0] == len(rows) - 1 and bool(np.all(np.diff(rows) == 1))
        self.first = int(rows[0]) if is_run else None


class _EditedRows:
    """Rows ``start:stop`` of the evaluation table: ``X[rows]`` with columns set to values."""

    def __init__(self, X, blocks):
        self.X, self.blocks = X, blocks
        self.starts = np.cumsum([0] + [len(block.rows) for block in blocks])

    def __call__(self, start, stop):
        Z = np.empty((stop - start, self.X.shape[1]))
        first = int(np.searchsorted(self.starts, start, side="right")) - 1
        for b in range(first, len(self.blocks)):
            offset = self.starts[b]
            if offset >= stop:
                break
            block = self.blocks[b]
            lo, hi = max(start - offset, 0), min(stop - offset, len(block.rows))
            out = Z[offset + lo - start : offset + hi - start]
            if block.first is not None:
                out[:] = self.X[block.first + lo : block.first + hi]
            else:
                np.take(self.X, block.rows[lo:hi], axis=0, out=out)
            for column, values in zip(block.columns, block.values):
                out[:, column] = values[lo:hi]
        return Z


# -- statistics per bin, over the rows or per bootstrap resample --------------------


def _bin_sums(index, n_bins, data, counts=None):
    """Sums of ``data`` (n, n_outputs) per bin: (n_bins, n_outputs), or per resample
    (n_bootstrap, n_bins, n_outputs) with ``counts`` of shape (n_bootstrap, n)."""
    if counts is None:
        return np.stack([np.bincount(index, weights=d, minlength=n_bins) for d in data.T], axis=-1)
    onehot = sparse.csr_matrix((np.ones(len(index)), (np.arange(len(index)), index)), shape=(len(index), n_bins))
    return np.stack([(onehot.T @ (counts * d).T).T for d in data.T], axis=-1)


def _bin_counts(index, n_bins, counts=None):
    if counts is None:
        return np.bincount(index, minlength=n_bins).astype(np.float64)
    onehot = sparse.csr_matrix((np.ones(len(index)), (np.arange(len(index)), index)), shape=(len(index), n_bins))
    return (onehot.T @ counts.T).T


def _safe_mean(sums, counts):
    """``sums / counts`` with zero where a bin is empty; counts broadcast over outputs."""
    counts = counts[..., None]
    return np.divide(sums, counts, out=np.zeros(np.broadcast_shapes(sums.shape, counts.shape)), where=counts > 0)


def _t_halfwidth(sums, squares, counts, tail):
    """Half-width of the t-interval of bin means (NaN for bins of fewer than two rows)."""
    n = counts[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / n
        variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
        quantile = stats.t.ppf(1 - tail, np.maximum(counts - 1, 1))[:, None]
        half = quantile * np.sqrt(variance / n)
    return np.where(n >= 2, half, np.nan)


# -- plans ----------------------------------------------------------------------------


class NumericPlan:
    """One-feature ALE of a numeric feature: bin edges, and a missing point."""

    def __init__(self, table, binned, bins, j, X):
        self.edges = bins.edges[j]
        self.n_bins = len(self.edges) - 1
        self.is_constant = self.edges[0] == self.edges[-1]
        column_bins = binned[:, j]
        self.observed = np.flatnonzero(column_bins < bins.missing_bin[j])
        self.missing = np.flatnonzero(column_bins == bins.missing_bin[j])
        self.bin = column_bins[self.observed]
        if not self.is_constant and len(self.observed):
            self.lower = table.add(self.observed, (j,), (self.edges[self.bin],))
            self.upper = table.add(self.observed, (j,), (self.edges[self.bin + 1],))
        if len(self.missing):
            # Missing rows are compared with themselves at the edge nearest the median.
            observed_values = X[self.observed, j]
            median = np.median(observed_values) if len(observed_values) else self.edges[0]
            self.reference = 0 if self.is_constant else int(np.argmin(np.abs(self.edges - median)))
            self.base = table.base()
            self.at_reference = table.add(self.missing, (j,), (self.edges[self.reference],))

    def finish(self, outputs, counts, band, tail):
        n_outputs = outputs.shape[1]
        n_bins = 0 if self.is_constant else self.n_bins
        grid = self.edges[:1] if self.is_constant else self.edges
        if n_bins and len(self.observed):
            differences = outputs[self.upper] - outputs[self.lower]  # (n_observed, n_outputs)
        else:
            differences = np.zeros((len(self.observed), n_outputs))
        bin_index = np.minimum(self.bin, max(n_bins - 1, 0))
        missing_differences = None
        if len(self.missing):
            missing_differences = outputs[self.base][self.missing] - outputs[self.at_reference]

        values = self._curve(bin_index, n_bins, differences, missing_differences, None)
        lower = upper = None
        if band == "bootstrap":
            samples = self._curve(bin_index, n_bins, differences, missing_differences, counts)
            lower, upper = percentile_band(samples, tail)
        elif band == "per_bin":
            lower, upper = values.copy(), values.copy()
            if n_bins:
                sums = _bin_sums(bin_index, n_bins, differences)
                squares = _bin_sums(bin_index, n_bins, differences**2)
                half = _t_halfwidth(sums, squares, _bin_counts(bin_index, n_bins), tail)
                lower[1 : n_bins + 1] -= half
                upper[1 : n_bins + 1] += half
            if missing_differences is not None:
                m = len(missing_differences)
                half = _t_halfwidth(
                    missing_differences.sum(0, keepdims=True), (missing_differences**2).sum(0, keepdims=True),
                    np.array([m], dtype=np.float64), tail,
                )[0]
                lower[-1] -= half
                upper[-1] += half

        point_counts = np.r_[0, _bin_counts(bin_index, n_bins)] if n_bins else np.array([len(self.observed)])
        if len(self.missing):
            grid = np.r_[grid, np.nan]
            point_counts = np.r_[point_counts, len(self.missing)]
        return values, lower, upper, point_counts.astype(np.intp), (grid,)

    def _curve(self, bin_index, n_bins, differences, missing_differences, counts):
        """Centred curve at the edges (and missing point): (n_points, o), or per resample."""
        resampled = counts is not None
        observed_counts = None if counts is None else counts[:, self.observed]
        n_outputs = differences.shape[1]
        lead = (len(counts),) if resampled else ()
        if n_bins:
            sizes = _bin_counts(bin_index, n_bins, observed_counts)  # (.., n_bins)
            local = _safe_mean(_bin_sums(bin_index, n_bins, differences, observed_counts), sizes)
            curve = np.concatenate([np.zeros((*lead, 1, n_outputs)), np.cumsum(local, axis=-2)], axis=-2)
            # Average of the curve over the rows, each bin by the mean of its two edges.
            mass = sizes.sum(axis=-1)
            centre = ((curve[..., :-1, :] + curve[..., 1:, :]) / 2 * sizes[..., None]).sum(axis=-2)
        else:
            curve = np.zeros((*lead, 1, n_outputs))
            mass = observed_counts.sum(axis=-1) if resampled else np.float64(len(self.observed))
            centre = np.zeros((*lead, n_outputs))
        if missing_differences is not None:
            if resampled:
                missing_counts = counts[:, self.missing]
                missing_mass = missing_counts.sum(axis=1)
                shift = _safe_mean(missing_counts @ missing_differences, missing_mass)
            else:
                missing_mass = np.float64(len(self.missing))
                shift = missing_differences.mean(axis=0)
            missing_point = curve[..., self.reference, :] + shift
            centre = centre + missing_point * np.asarray(missing_mass)[..., None]
            mass = mass + missing_mass
            curve = np.concatenate([curve, missing_point[..., None, :]], axis=-2)
        centre = _safe_mean(centre, np.asarray(mass, dtype=np.float64))
        return curve - centre[..., None, :]


class LevelPlan:
    """One-feature ALE of a categorical feature: each row moved to the next and previous level."""

    def __init__(self, table, binned, bins, j, order):
        missing_bin = bins.missing_bin[j]
        levels = binned[:, j]  # level code, or the missing bin (missing and unseen levels)
        present = np.unique(levels)
        order_bins = np.where(np.isnan(order), missing_bin, order).astype(np.intp)
        known = np.isin(order_bins, present)
        extra = present[~np.isin(present, order_bins)]  # levels fit never saw in order: last
        self.order = np.r_[order_bins[known], extra]  # bins in curve order
        self.codes = np.where(self.order == missing_bin, np.nan, self.order).astype(np.float64)
        position = np.full(missing_bin + 1, -1)
        position[self.order] = np.arange(len(self.order))
        self.position = position[levels]  # (n_samples,)
        n_levels = len(self.order)
        self.up_rows = np.flatnonzero(self.position < n_levels - 1)
        self.down_rows = np.flatnonzero(self.position > 0)
        if n_levels > 1:
            self.base = table.base()
            self.up = table.add(self.up_rows, (j,), (self.codes[self.position[self.up_rows] + 1],))
            self.down = table.add(self.down_rows, (j,), (self.codes[self.position[self.down_rows] - 1],))

    def finish(self, outputs, counts, band, tail):
        n_levels, n_outputs = len(self.order), outputs.shape[1]
        level_counts = np.bincount(self.position, minlength=n_levels)
        if n_levels > 1:
            own = outputs[self.base]
            up, down = outputs[self.up] - own[self.up_rows], own[self.down_rows] - outputs[self.down]
            differences = np.concatenate([up, down])
            boundary = np.r_[self.position[self.up_rows], self.position[self.down_rows] - 1]
            rows = np.r_[self.up_rows, self.down_rows]
        else:
            differences, boundary, rows = np.zeros((0, n_outputs)), np.zeros(0, np.intp), np.zeros(0, np.intp)
        values = self._curve(differences, boundary, rows, None)
        lower = upper = None
        if band == "bootstrap":
            lower, upper = percentile_band(self._curve(differences, boundary, rows, counts), tail)
        elif band == "per_bin":
            lower, upper = values.copy(), values.copy()
            if n_levels > 1:
                n_boundaries = n_levels - 1
                half = _t_halfwidth(
                    _bin_sums(boundary, n_boundaries, differences), _bin_sums(boundary, n_boundaries, differences**2),
                    _bin_counts(boundary, n_boundaries), tail,
                )
                lower[1:] -= half
                upper[1:] += half
        return values, lower, upper, level_counts.astype(np.intp), (self.codes,)

    def _curve(self, differences, boundary, rows, counts):
        n_levels, n_outputs = len(self.order), differences.shape[1]
        lead = () if counts is None else (len(counts),)
        if n_levels == 1:
            return np.zeros((*lead, 1, n_outputs))
        weights = None if counts is None else counts[:, rows]
        local = _safe_mean(
            _bin_sums(boundary, n_levels - 1, differences, weights), _bin_counts(boundary, n_levels - 1, weights)
        )
        curve = np.concatenate([np.zeros((*lead, 1, n_outputs)), np.cumsum(local, axis=-2)], axis=-2)
        sizes = _bin_counts(self.position, n_levels, counts)  # rows per level
        centre = _safe_mean((curve * sizes[..., None]).sum(axis=-2), sizes.sum(axis=-1))
        return curve - centre[..., None, :]


class PairPlan:
    """Second-order ALE of two numeric features on the grid of their bin edges."""

    def __init__(self, table, binned, bins, spec):
        j, k = spec
        self.edges = (bins.edges[j], bins.edges[k])
        self.shape = (len(self.edges[0]) - 1, len(self.edges[1]) - 1)
        both = (binned[:, j] < bins.missing_bin[j]) & (binned[:, k] < bins.missing_bin[k])
        self.rows = np.flatnonzero(both)
        a, b = binned[self.rows, j], binned[self.rows, k]
        self.cell = a * self.shape[1] + b
        corners = {}
        for da, db in product((0, 1), repeat=2):
            corners[da, db] = table.add(self.rows, (j, k), (self.edges[0][a + da], self.edges[1][b + db]))
        self.corners = corners

    def finish(self, outputs, counts, band, tail):
        c = self.corners
        differences = outputs[c[1, 1]] - outputs[c[1, 0]] - outputs[c[0, 1]] + outputs[c[0, 0]]
        values = self._surface(differences, None)
        lower = upper = None
        if band == "bootstrap":
            lower, upper = percentile_band(self._surface(differences, counts), tail)
        n_cells = self.shape[0] * self.shape[1]
        point_counts = np.zeros((self.shape[0] + 1, self.shape[1] + 1), dtype=np.intp)
        point_counts[1:, 1:] = np.bincount(self.cell, minlength=n_cells).reshape(self.shape)
        return values, lower, upper, point_counts, self.edges

    def _surface(self, differences, counts):
        """Centred second-order effect (n1 + 1, n2 + 1, o), or per resample."""
        k1, k2 = self.shape
        n_cells, n_outputs = k1 * k2, differences.shape[1]
        weights = None if counts is None else counts[:, self.rows]
        sizes = _bin_counts(self.cell, n_cells, weights)  # (.., n_cells)
        local = _safe_mean(_bin_sums(self.cell, n_cells, differences, weights), sizes)
        local = self._fill_empty(local, sizes)
        lead = local.shape[:-2]
        local = local.reshape(*lead, k1, k2, n_outputs)
        sizes = sizes.reshape(*lead, k1, k2)
        surface = np.zeros((*lead, k1 + 1, k2 + 1, n_outputs))
        surface[..., 1:, 1:, :] = np.cumsum(np.cumsum(local, axis=-3), axis=-2)
        # Remove the main effects that the accumulated cross differences still hold.
        weights = sizes[..., None]
        step = surface[..., 1:, :, :] - surface[..., :-1, :, :]  # (.., k1, k2 + 1, o)
        first = _safe_mean(((step[..., :-1, :] + step[..., 1:, :]) / 2 * weights).sum(axis=-2), sizes.sum(-1))
        step = surface[..., :, 1:, :] - surface[..., :, :-1, :]  # (.., k1 + 1, k2, o)
        second = _safe_mean(((step[..., :-1, :, :] + step[..., 1:, :, :]) / 2 * weights).sum(axis=-3), sizes.sum(-2))
        zero = np.zeros((*lead, 1, n_outputs))
        surface = surface - np.concatenate([zero, np.cumsum(first, axis=-2)], axis=-2)[..., :, None, :]
        surface = surface - np.concatenate([zero, np.cumsum(second, axis=-2)], axis=-2)[..., None, :, :]
        corners = [surface[..., i : i + k1, j : j + k2, :] for i in (0, 1) for j in (0, 1)]  # (.., k1, k2, o) each
        centre = _safe_mean((sum(corners) / 4 * weights).sum(axis=(-3, -2)), sizes.sum(axis=(-2, -1)))
        return surface - centre[..., None, None, :]

    def _fill_empty(self, local, sizes):
        """Empty cells take the local effect of the nearest non-empty cell (scaled centres)."""
        k1, k2 = self.shape
        e1, e2 = self.edges
        centres = np.stack(np.meshgrid((e1[:-1] + e1[1:]) / 2 / (e1[-1] - e1[0]),
                                       (e2[:-1] + e2[1:]) / 2 / (e2[-1] - e2[0]), indexing="ij"), -1).reshape(-1, 2)
        local = local.copy()
        flat_local = local.reshape(-1, *local.shape[-2:])
        flat_sizes = sizes.reshape(-1, sizes.shape[-1])
        for r in range(len(flat_local)):  # one pass per bootstrap resample
            empty = flat_sizes[r] == 0
            if empty.any() and not empty.all():
                full = np.flatnonzero(~empty)
                _, nearest = cKDTree(centres[full]).query(centres[empty])
                flat_local[r, empty] = flat_local[r, full[nearest]]
        return flat_local.reshape(local.shape)
