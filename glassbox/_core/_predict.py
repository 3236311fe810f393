"""The prediction adapter: which output of a model is explained, and how a large stacked
batch of rows is evaluated.

Every explainer evaluates the model on many encoded rows (masked, permuted, perturbed
copies). :class:`ModelOutput` decodes them into the format the model was fitted on,
calls the chosen method and returns a float array ``(n_rows, n_outputs)``.
:func:`run_chunks` cuts the work into independent chunks whose boundaries depend on
``batch_size`` only, never on ``n_jobs``, and runs them through joblib. Randomness is
drawn from one integer seed (:func:`draw_seed`) spawned per chunk (:func:`chunk_rngs`)
or keyed by the row explained (:func:`row_rngs`), so the same ``random_state`` gives the
same result for any ``n_jobs`` and any joblib backend, the Dask and Ray ones included.
"""

from __future__ import annotations

import sys
import time
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import check_random_state

__all__ = [
    "ModelOutput",
    "chunk_bounds",
    "chunk_rngs",
    "draw_seed",
    "resolve_batch_size",
    "row_rngs",
    "run_chunks",
]

OUTPUTS = ("auto", "predict_proba", "decision_function", "log_odds", "predict")
_TARGET_CELLS = 2**21  # floats per chunk of model input for batch_size="auto" (16 MiB)


class ModelOutput:
    """A fitted model's chosen output, evaluated on encoded rows.

    Parameters
    ----------
    estimator : fitted estimator
    schema : FeatureSchema
        Decodes rows back into the container the model was fitted on.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}
        ``"auto"`` explains ``predict_proba`` of classifiers (falling back to
        ``decision_function``) and ``predict`` of regressors. ``"log_odds"`` is
        ``log(p / (1 - p))`` of each class probability.

    Attributes
    ----------
    method : str
        The resolved output.
    output_names : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    """

    def __init__(self, estimator, schema, output="auto"):
        self.estimator = estimator
        self.schema = schema
        self.method = _resolve_output(estimator, output)
        classes = getattr(estimator, "classes_", None)
        if self.method in ("predict_proba", "log_odds"):
            self.output_names = np.asarray(classes)
        elif self.method == "decision_function":
            self.output_names = np.asarray(classes[1:] if len(classes) == 2 else classes)
        else:
            self.output_names = np.asarray(["prediction"], dtype=object)

    @property
    def n_outputs(self):
        return len(self.output_names)

    def __call__(self, Z):
        """Model output on encoded rows ``Z``, shape (n_rows, n_outputs), float64."""
        X = self.schema.decode(Z)
        if self.method == "log_odds":
            p = np.clip(self.estimator.predict_proba(X), 1e-12, 1 - 1e-12)
            out = np.log(p) - np.log1p(-p)
        else:
            out = getattr(self.estimator, self.method)(X)
        out = np.asarray(out, dtype=np.float64).reshape(len(Z), -1)
        if not np.isfinite(out).all():
            raise ValueError(
                f"{type(self.estimator).__name__}.{self.method} returned NaN or infinity for "
                f"{int((~np.isfinite(out)).any(axis=1).sum())} of {len(Z)} rows; glassbox can only "
                "explain finite outputs. Check the model on those inputs."
            )
        return out


def _resolve_output(estimator, output):
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}; got {output!r}.")
    is_classifier = hasattr(estimator, "classes_")
    name = type(estimator).__name__
    if output == "auto":
        if not is_classifier:
            output = "predict"
        elif hasattr(estimator, "predict_proba"):
            output = "predict_proba"
        else:
            output = "decision_function"
    if output in ("predict_proba", "log_odds", "decision_function") and not hasattr(
        estimator, "predict_proba" if output != "decision_function" else output
    ):
        alternatives = [o for o in ("predict_proba", "decision_function") if hasattr(estimator, o)]
        hint = f" Use output={alternatives[0]!r}." if alternatives else ""
        raise ValueError(f"{name} has no {output if output != 'log_odds' else 'predict_proba'} method.{hint}")
    if output == "predict" and is_classifier:
        raise ValueError(
            f"{name} is a classifier: its predict returns labels, which cannot be attributed. "
            "Use output='predict_proba', 'log_odds' or 'decision_function'."
        )
    return output


def resolve_batch_size(batch_size, n_features):
    """Rows per model call: ``"auto"`` keeps each chunk near 2**21 input cells."""
    if batch_size == "auto":
        return max(1, _TARGET_CELLS // max(1, n_features))
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be 'auto' or a positive int; got {batch_size!r}.")
    return int(batch_size)


def chunk_bounds(n_total, batch_size):
    """``[(start, stop), ...]`` covering ``range(n_total)`` in pieces of ``batch_size``."""
    starts = range(0, n_total, batch_size)
    return [(s, min(s + batch_size, n_total)) for s in starts]


def draw_seed(random_state):
    """One integer seed from ``random_state`` (int, RandomState, Generator or None)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def chunk_rngs(seed, n_chunks):
    """Independent generators for ``n_chunks`` chunks spawned from one ``seed``."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_chunks)]


def row_rngs(seed, X):
    """One generator per row of encoded ``X``, keyed by ``seed`` and the row's values.

    A row draws the same random numbers wherever it sits in ``X`` and however the rows
    are chunked or parallelised, so a sampled explanation of a row depends only on the
    row and ``seed``: explaining it alone, in a batch or in another order gives the same
    result. Equal rows get equal streams.
    """
    X = np.asarray(X, dtype=np.float64)
    # One bit pattern for NaN and for zero, so that equal rows give equal keys.
    canonical = np.where(np.isnan(X), np.nan, X) + 0.0
    words = np.ascontiguousarray(canonical).view(np.uint32).reshape(len(X), -1)
    return [np.random.default_rng(np.random.SeedSequence([seed, *row])) for row in words.tolist()]


def run_chunks(task, args_per_chunk, *, n_jobs=None, verbose=False, desc="evaluating"):
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
