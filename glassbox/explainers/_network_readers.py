"""Reading fitted models into a differentiable :class:`~._network.Network`.

scikit-learn's linear models, glassbox's sparse linear models and scikit-learn's
multi-layer perceptrons, alone or after per-feature scalers in a Pipeline, have a
function glassbox knows. Each is read into one form: a linear regressor is one affine
layer; a binary logistic model is one affine layer with logits ``[0, z]`` and a softmax
head; one-vs-rest probabilities are the softmax of the log-logistic of the decision
function; an MLP is its layers; a scaler in front is folded into the first layer. Any
other model raises :class:`NotDifferentiable`, which says why.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import (
    GammaRegressor,
    LogisticRegression,
    LogisticRegressionCV,
    PoissonRegressor,
    SGDClassifier,
    TweedieRegressor,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.svm import LinearSVC, LinearSVR

from ._network import Layer, Network

__all__ = ["NotDifferentiable", "network_of", "pipeline_steps"]

_SCALERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
"""Per-feature affine scalers that fold into the first layer of a network."""


class NotDifferentiable(ValueError):
    """The model is not one whose function glassbox can differentiate; the message says why."""


def network_of(estimator, output):
    """The :class:`Network` computing ``output`` of a fitted model, or :class:`NotDifferentiable`."""
    steps = pipeline_steps(estimator)
    final, front = steps[-1], steps[:-1]
    scale, shift = _front_affine(front)
    layers, head = _final_layers(final, output)
    if scale is not None:  # fold x' = scale * x + shift into the first layer
        first = layers[0]
        layers[0] = Layer(scale[:, None] * first.weights, shift @ first.weights + first.bias, first.activation)
    return Network(tuple(layers), head)


def pipeline_steps(estimator):
    """The estimators of a Pipeline (nested ones flattened) in order; ``[estimator]`` for a bare one."""
    if isinstance(estimator, Pipeline):
        return [step for _, sub in estimator.steps for step in pipeline_steps(sub)]
    return [estimator]


def _front_affine(steps):
    """``(scale, shift)`` of the per-feature affine map of the steps before the model, or (None, None)."""
    scale = shift = None
    for step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        name = type(step).__name__
        if not isinstance(step, _SCALERS) or (isinstance(step, MinMaxScaler) and step.clip):
            raise NotDifferentiable(
                f"The Pipeline step {name} is not a per-feature scaler glassbox differentiates through"
                f"{' (clip=True is not affine)' if isinstance(step, MinMaxScaler) else ''}."
            )
        a, c = _scaler_affine(step)
        scale, shift = (a, c) if scale is None else (a * scale, a * shift + c)
    return scale, shift


def _scaler_affine(step):
    """``(a, c)`` with ``step.transform(x) = a * x + c``, from the scaler's fitted attributes."""
    n = step.n_features_in_
    if isinstance(step, MinMaxScaler):
        return np.asarray(step.scale_, dtype=np.float64), np.asarray(step.min_, dtype=np.float64)
    a = np.ones(n) if getattr(step, "scale_", None) is None else 1.0 / np.asarray(step.scale_, dtype=np.float64)
    centre = step.center_ if isinstance(step, RobustScaler) else getattr(step, "mean_", None)
    if isinstance(step, MaxAbsScaler) or centre is None or (isinstance(step, StandardScaler) and not step.with_mean):
        return a, np.zeros(n)
    return a, -np.asarray(centre, dtype=np.float64) * a


def _final_layers(model, output):
    """The layers and head of the model at the end of a Pipeline (mutable list of layers)."""
    name = type(model).__name__
    if isinstance(model, (MLPClassifier, MLPRegressor)):
        return _mlp_layers(model, output)
    from ..models import SparseLinearClassifier, SparseLinearRegressor

    if isinstance(model, (SparseLinearClassifier, SparseLinearRegressor)):
        weights = _sparse_linear_weights(model)
        intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
        return _linear_layers(model, weights, intercept, output, link="softmax")
    module = type(model).__module__
    if (module.startswith("sklearn.linear_model") or isinstance(model, (LinearSVC, LinearSVR))) and hasattr(
        model, "coef_"
    ):
        coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # (K, p)
        intercept = np.broadcast_to(np.asarray(getattr(model, "intercept_", 0.0), dtype=np.float64), len(coef))
        return _linear_layers(model, coef.T, intercept, output, link=_probability_link(model))
    raise NotDifferentiable(f"{name} is not one of them.")


def _probability_link(model):
    """How a scikit-learn linear classifier turns its decision function into probabilities."""
    if isinstance(model, (LogisticRegression, LogisticRegressionCV)):
        return "ovr" if getattr(model, "multi_class", "auto") == "ovr" else "softmax"
    if isinstance(model, SGDClassifier) and model.loss == "log_loss":
        return "ovr"
    return None


def _linear_layers(model, weights, intercept, output, *, link):
    """One affine layer of ``weights`` (p, K) and the head for ``output``."""
    name = type(model).__name__
    if output in ("predict", "decision_function"):
        activation = "identity"
        if output == "predict" and isinstance(model, (PoissonRegressor, GammaRegressor)):
            activation = "exp"
        elif output == "predict" and isinstance(model, TweedieRegressor):
            activation = "exp" if model.link == "log" or (model.link == "auto" and model.power > 0) else "identity"
        return [Layer(weights, intercept, activation)], "identity"
    if link is None:
        raise NotDifferentiable(
            f"The probabilities of {name} are not a smooth function of its decision function that glassbox "
            "knows; explain output='decision_function' instead."
        )
    head = "softmax" if output == "predict_proba" else "log_odds"
    if weights.shape[1] == 1:  # binary: logits [0, z]
        weights = np.hstack([np.zeros_like(weights), weights])
        intercept = np.r_[0.0, intercept]
        return [Layer(weights, intercept, "identity")], head
    # One-vs-rest probabilities sigma(z_k) / sum_j sigma(z_j) are the softmax of log sigma(z).
    return [Layer(weights, intercept, "log_logistic" if link == "ovr" else "identity")], head


def _sparse_linear_weights(model):
    """Weights (p, K) of a glassbox sparse linear model on the values of its numeric columns.

    Its coefficients are over terms; on rows without missing values only the value
    terms vary (missing indicators are 0), each the value of one column.
    """
    from ..models._linear_terms import _VALUE

    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # (K, n_terms)
    is_value = model._terms.kind == _VALUE
    weights = np.zeros((model.n_features_in_, coef.shape[0]))
    np.add.at(weights, model.term_feature_idx_[is_value], coef[:, is_value].T)
    return weights


def _mlp_layers(model, output):
    """Backpropagation form of a scikit-learn MLP: hidden layers, output layer, head."""
    layers = [
        Layer(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64), model.activation)
        for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1])
    ]
    W, b = np.asarray(model.coefs_[-1], dtype=np.float64), np.asarray(model.intercepts_[-1], dtype=np.float64)
    out = model.out_activation_
    if out in ("identity", "exp"):  # regressors; "exp" with loss="poisson"
        return [*layers, Layer(W, b, out)], "identity"
    head = "softmax" if output == "predict_proba" else "log_odds"
    if out == "softmax":
        return [*layers, Layer(W, b, "identity")], head
    if W.shape[1] == 1:  # binary logistic output: logits [0, z]
        return [*layers, Layer(np.hstack([np.zeros_like(W), W]), np.r_[0.0, b], "identity")], head
    # Multilabel: one independent sigmoid per label; its log-odds are the logits themselves.
    if output == "predict_proba":
        return [*layers, Layer(W, b, "logistic")], "identity"
    return [*layers, Layer(W, b, "identity")], "sigmoid_log_odds"
