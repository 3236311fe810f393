"""The batch policy: how work is cut into chunks, and how the chunks are run.

Every explainer takes ``batch_size`` and means the same by it: a chunk holds at most
``batch_size`` rows of model input, and whatever the chunk builds besides (hybrid rows,
perturbed copies, coalition values, network activations, TreeSHAP work arrays) stays
within ``batch_size`` rows' worth of floats. ``"auto"`` bounds the chunk's working memory
instead, at :data:`AUTO_CELLS` floats unless the caller knows a better size for its
work. :func:`batch_units` turns that rule into the number of units (explained rows,
model rows, network points) a chunk takes; :func:`chunk_bounds` cuts the work; and
:func:`run_chunks` runs the chunks in order, in this process or through joblib.
:class:`Workspace` lends the chunks of one call the same buffers, so that each chunk
does not fault in fresh pages for arrays of the size the last one used.

Chunk boundaries depend on ``batch_size`` only, never on ``n_jobs``, so results do not
depend on the number of workers or the joblib backend.

Progress goes through the ``"glassbox"`` logger (:data:`logger`), in one format
everywhere in the library (:data:`LOG_FORMAT`): ``verbose=`` means "show progress", and
:func:`progress_logger` makes sure a message at level INFO is seen, on standard error,
unless the application has configured logging itself.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from numbers import Integral
from typing import Any, Literal

import numpy as np
from joblib import Parallel, delayed

__all__ = [
    "AUTO_CELLS",
    "LOG_FORMAT",
    "Workspace",
    "batch_units",
    "check_batch_size",
    "chunk_bounds",
    "format_duration",
    "logger",
    "progress_logger",
    "run_chunks",
]

logger = logging.getLogger("glassbox")
"""The one logger of the library; modules log to it or to its children (``glassbox.report``)."""

LOG_FORMAT = "[glassbox %(asctime)s] %(message)s"
"""The format of every progress line: ``[glassbox 14:02:11] cross-validating ...``."""

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
    where. ``verbose`` logs progress (chunks done, time spent, time left) to the
    ``"glassbox"`` logger, at most once a second and at the end.
    """
    args_per_chunk = list(args_per_chunk)
    progress = _Progress(len(args_per_chunk), desc) if verbose else None
    if n_jobs in (None, 1) or len(args_per_chunk) <= 1:
        results = (task(*args) for args in args_per_chunk)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator" if progress else "list")(
            delayed(task)(*args) for args in args_per_chunk
        )
    if progress is None:
        return list(results)
    done = []
    for result in results:  # in chunk order, as each finishes
        done.append(result)
        progress.step()
    return done


class Workspace:
    """Buffers reused by the chunks of one call, one set per thread.

    Chunks of the same call build arrays of the same shapes; allocating them afresh
    costs a page fault per 4 KiB whenever the allocator has handed the memory back to
    the system in between (glibc does for arrays of megabytes). ``array(name, shape,
    dtype)`` returns an uninitialised array backed by the buffer kept under ``name``,
    grown when too small. A chunk must be done with its arrays before the next asks for
    them (chunks of one thread run one after the other; threads get their own buffers).
    Pickled (to a joblib worker process) it travels empty.

    Examples
    --------
    >>> import numpy as np
    >>> work = Workspace()
    >>> a = work.array("samples", (2, 3), np.float64)
    >>> b = work.array("samples", (3, 2), np.float64)
    >>> bool(np.shares_memory(a, b)), b.shape
    (True, (3, 2))
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def array(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised array of ``shape`` and ``dtype`` on the buffer ``name``."""
        buffers = self._local.__dict__.setdefault("buffers", {})
        dtype = np.dtype(dtype)
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buffer = buffers.get(name)
        if buffer is None or buffer.nbytes < size:
            buffer = buffers[name] = np.empty(size, dtype=np.uint8)
        return buffer[:size].view(dtype).reshape(shape)

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self._local = threading.local()


def progress_logger(verbose: bool | int = True) -> logging.Logger | None:
    """The ``"glassbox"`` logger when ``verbose`` asks for progress, else ``None``.

    Its messages are logged at level INFO. When no handler would receive them (the
    application has not configured logging), the logger gets one, once, that writes
    to standard error in :data:`LOG_FORMAT`; an application that configured logging
    keeps its own handlers and format.
    """
    if not verbose:
        return None
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if not logger.hasHandlers():
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
        logger.addHandler(handler)
    return logger


def format_duration(seconds: float) -> str:
    """``"8 s"``, ``"2 min 5 s"``, ``"1 h 3 min"``: a duration as a person says it."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class _StderrHandler(logging.StreamHandler):
    """A handler writing to the ``sys.stderr`` of the moment (which tests may replace)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ sets it; the property always reads sys.stderr
        pass


class _Progress:
    """Chunks done, time spent and time left, logged at most once a second and at the end."""

    def __init__(self, total, desc):
        self.total, self.desc, self.done = total, desc, 0
        self.start = self.last = time.monotonic()
        self.log = progress_logger()

    def step(self):
        self.done += 1
        now = time.monotonic()
        if now - self.last >= 1.0 or self.done == self.total:
            self.last = now
            spent = now - self.start
            left = spent / self.done * (self.total - self.done)
            self.log.info("%s: %d/%d chunks, %s spent, about %s left", self.desc, self.done, self.total,
                          format_duration(spent), format_duration(left))
