"""The batch policy: how work is cut into chunks, and how the chunks are run.

Every explainer takes ``batch_size`` and means the same by it: a chunk holds at most
``batch_size`` rows of model input, and whatever the chunk builds besides (hybrid rows,
perturbed copies, coalition values, network activations, TreeSHAP work arrays) stays
within ``batch_size`` rows' worth of floats. ``"auto"`` bounds the chunk's working memory
instead, at :data:`AUTO_CELLS` floats unless the caller knows a better size for its
work. :func:`batch_units` turns that rule into the number of units (explained rows,
model rows, network points) a chunk takes; :func:`chunk_bounds` cuts the work; and
:func:`run_chunks` runs the chunks in order, in this process or through joblib.

Chunk boundaries depend on ``batch_size`` only, never on ``n_jobs``, so results do not
depend on the number of workers or the joblib backend.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral
from typing import Any, Literal

from joblib import Parallel, delayed

__all__ = ["AUTO_CELLS", "batch_units", "check_batch_size", "chunk_bounds", "run_chunks"]

AUTO_CELLS = 2**21
"""Floats of working memory per chunk with ``batch_size="auto"`` (16 MiB)."""


def check_batch_size(batch_size: int | Literal["auto"]) -> int | Literal["auto"]:
    """``batch_size`` as given if it is ``"auto"`` or a positive int; raise otherwise."""
    if batch_size == "auto":
        return batch_size
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be 'auto' or a positive int; got {batch_size!r}.")
    return int(batch_size)


def batch_units(
    batch_size: int | Literal["auto"],
    *,
    row_cells: int,
    unit_cells: int,
    auto_cells: int = AUTO_CELLS,
    max_rows: int | None = None,
) -> int:
    """Units of work per chunk under the batch policy (see the module docstring).

    Parameters
    ----------
    batch_size : int or "auto"
        Rows of model input a chunk may hold; ``"auto"`` for ``auto_cells`` floats.
    row_cells : int
        Floats of one row of model input (its width: the number of features, or the
        widest layer of a network pass).
    unit_cells : int
        Floats of working memory one unit of work needs: ``row_cells`` for a unit that
        is one model row, ``k * row_cells`` for an explained row evaluated on ``k``
        perturbed copies, the intermediate values per row otherwise.
    auto_cells : int, default=AUTO_CELLS
        The budget of ``"auto"``, in floats.
    max_rows : int, default=None
        With ``"auto"``, also keep a chunk within this many rows of model input (for
        models that run fastest on chunks that stay in cache).

    Returns
    -------
    n_units : int
        At least one.
    """
    batch_size = check_batch_size(batch_size)
    row_cells, unit_cells = max(1, int(row_cells)), max(1, int(unit_cells))
    if batch_size == "auto":
        budget = auto_cells if max_rows is None else min(auto_cells, max_rows * row_cells)
    else:
        budget = batch_size * row_cells
    return max(1, budget // unit_cells)


def chunk_bounds(n_total: int, batch_size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n_total)`` in pieces of ``batch_size``."""
    starts = range(0, n_total, batch_size)
    return [(s, min(s + batch_size, n_total)) for s in starts]


def run_chunks(
    task: Callable[..., Any],
    args_per_chunk: Iterable[Sequence[Any]],
    *,
    n_jobs: int | None = None,
    verbose: bool | int = False,
    desc: str = "evaluating",
) -> list[Any]:
    """Run ``task(*args)`` for every chunk and return the results in chunk order.

    With ``n_jobs`` in ``(None, 1)`` the chunks run in this process; otherwise through
    joblib, whose active backend (``joblib.parallel_config(backend="dask")``) decides
    where. ``verbose`` reports progress on standard error.
    """
    args_per_chunk = list(args_per_chunk)
    if n_jobs in (None, 1) or len(args_per_chunk) <= 1:
        progress = _Progress(len(args_per_chunk), desc) if verbose else None
        results = []
        for args in args_per_chunk:
            results.append(task(*args))
            if progress is not None:
                progress.step()
        return results
    return Parallel(n_jobs=n_jobs, verbose=10 if verbose else 0)(
        delayed(task)(*args) for args in args_per_chunk
    )


class _Progress:
    """Progress on standard error, at most once a second, and at the end."""

    def __init__(self, total, desc):
        self.total, self.desc, self.done = total, desc, 0
        self.start = self.last = time.monotonic()

    def step(self):
        self.done += 1
        now = time.monotonic()
        if now - self.last >= 1.0 or self.done == self.total:
            self.last = now
            sys.stderr.write(
                f"[glassbox] {self.desc}: {self.done}/{self.total} chunks, {now - self.start:.1f}s\n"
            )
