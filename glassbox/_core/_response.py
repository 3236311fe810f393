"""The prediction adapter: a fitted model's prediction method, called on encoded rows.

Every explainer evaluates the model on many encoded rows (masked, permuted, perturbed
copies). :class:`ModelResponse` decodes them into the format the model was fitted on and
calls one of its methods; :class:`ModelOutput` is the response an explainer attributes:
the output chosen by ``output=`` (``predict_proba``, ``decision_function``, the log-odds
or ``predict``), as a float array ``(n_rows, n_outputs)`` with its output names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._numeric import plain
from ._trees._boosting import raw_output

if TYPE_CHECKING:
    from ._typing import OutputMethod
    from ._validation import FeatureSchema

__all__ = ["OUTPUTS", "PROBA_CLIP", "ModelOutput", "ModelResponse", "final_estimator", "log_odds"]

OUTPUTS = ("auto", "predict_proba", "decision_function", "log_odds", "predict")

PROBA_CLIP = 1e-12
"""Probabilities are clipped to ``[PROBA_CLIP, 1 - PROBA_CLIP]`` before a logarithm."""


def log_odds(p: ArrayLike) -> np.ndarray:
    """``log(p / (1 - p))`` of probabilities clipped to ``[PROBA_CLIP, 1 - PROBA_CLIP]``."""
    p = np.clip(p, PROBA_CLIP, 1 - PROBA_CLIP)
    return np.log(p) - np.log1p(-p)


class ModelResponse:
    """A fitted model's ``method`` on encoded rows, as the model returns it.

    Parameters
    ----------
    estimator : fitted estimator
    schema : FeatureSchema
        Decodes rows back into the container the model was fitted on.
    method : str
        A prediction method of ``estimator`` (``"predict"``, ``"predict_proba"``...).

    Attributes
    ----------
    output_names : ndarray of shape (n_outputs,)
        ``["prediction"]``.
    """

    def __init__(self, estimator: Any, schema: FeatureSchema, method: str) -> None:
        self.estimator = estimator
        self.schema = schema
        self.method = method
        self.output_names = np.asarray(["prediction"], dtype=object)

    def with_schema(self, schema: FeatureSchema) -> ModelResponse:
        """The same response on rows encoded with ``schema`` (one knowing more levels)."""
        return type(self)(self.estimator, schema, self.method)

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """``estimator.method`` of encoded rows ``Z``, as an ndarray (empty for no rows:
        the model is never called on zero rows)."""
        if len(Z) == 0:
            return np.empty(0)
        return np.asarray(getattr(self.estimator, self.method)(self.schema.decode(Z)))


class ModelOutput(ModelResponse):
    """A fitted model's explained output, evaluated on encoded rows.

    Parameters
    ----------
    estimator : fitted estimator
    schema : FeatureSchema
        Decodes rows back into the container the model was fitted on.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}
        ``"auto"`` explains ``predict_proba`` of classifiers (falling back to
        ``decision_function``) and ``predict`` of regressors. ``"log_odds"`` is
        ``log(p / (1 - p))`` of each class probability (see :func:`log_odds`).
        ``decision_function`` of XGBoost's, LightGBM's and CatBoost's classifiers is
        their raw score (margin).

    Attributes
    ----------
    method : str
        The resolved output.
    output_names : ndarray of shape (n_outputs,)
        Class labels for classifiers; ``["prediction"]`` for regressors, or
        ``["prediction_0", "prediction_1", ...]`` for a regressor fitted on several
        targets (one output per target).

    Notes
    -----
    A classifier fitted on a single class (scikit-learn's MLP and HistGradientBoosting
    then return two probability columns, the second for no class) is explained on the
    probability of its one class; its decision function scores no class and is refused.
    """

    def __init__(self, estimator: Any, schema: FeatureSchema, output: OutputMethod = "auto") -> None:
        super().__init__(estimator, schema, _resolve_output(estimator, output))
        classes = getattr(estimator, "classes_", None)
        if self.method in ("predict_proba", "log_odds"):
            self.output_names = np.asarray(classes)
        elif self.method == "decision_function":
            if len(classes) == 1:
                raise ValueError(
                    f"{type(estimator).__name__} was fitted on the single class {plain(classes[0])!r}: its "
                    "decision function scores no class. Explain output='predict_proba'."
                )
            self.output_names = np.asarray(classes[1:] if len(classes) == 2 else classes)
        else:
            n_targets = int(getattr(final_estimator(estimator), "n_outputs_", 1))
            if n_targets > 1:
                self.output_names = np.asarray([f"prediction_{k}" for k in range(n_targets)], dtype=object)

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """Model output on encoded rows ``Z``, shape (n_rows, n_outputs), float64."""
        if len(Z) == 0:
            return np.empty((0, self.n_outputs))
        X = self.schema.decode(Z)
        if self.method == "log_odds":
            out = log_odds(self.estimator.predict_proba(X))
        elif self.method == "decision_function" and not hasattr(self.estimator, "decision_function"):
            out = raw_output(self.estimator)(X)  # a boosting library's raw score
        else:
            out = getattr(self.estimator, self.method)(X)
        out = np.asarray(out, dtype=np.float64).reshape(len(Z), -1)
        if out.shape[1] > self.n_outputs == 1 and self.method in ("predict_proba", "log_odds"):
            out = out[:, :1]  # a single class: its probability, not the column of no class
        if not np.isfinite(out).all():
            raise ValueError(
                f"{type(self.estimator).__name__}.{self.method} returned NaN or infinity for "
                f"{int((~np.isfinite(out)).any(axis=1).sum())} of {len(Z)} rows; glassbox can only "
                "explain finite outputs. Check the model on those inputs."
            )
        return out


def final_estimator(estimator: Any) -> Any:
    """The last step of a Pipeline (of Pipelines), or the estimator itself."""
    while getattr(estimator, "steps", None):
        estimator = estimator.steps[-1][1]
    return estimator


def has_classes(estimator: Any) -> bool:
    """Whether a fitted model is a classifier: it has a non-empty ``classes_``.

    ``hasattr(estimator, "classes_")`` is not enough: CatBoost's regressors carry an empty
    ``classes_``.
    """
    return np.size(getattr(estimator, "classes_", ())) > 0


def _resolve_output(estimator, output):
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}; got {output!r}.")
    is_classifier = has_classes(estimator)
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
    ) and not (output == "decision_function" and raw_output(estimator) is not None):
        alternatives = [o for o in ("predict_proba", "decision_function") if hasattr(estimator, o)]
        hint = f" Use output={alternatives[0]!r}." if alternatives else ""
        raise ValueError(f"{name} has no {output if output != 'log_odds' else 'predict_proba'} method.{hint}")
    if output == "predict" and is_classifier:
        raise ValueError(
            f"{name} is a classifier: its predict returns labels, which cannot be attributed. "
            "Use output='predict_proba', 'log_odds' or 'decision_function'."
        )
    return output
