"""Activation maps: the hidden-layer activations of a fitted multi-layer perceptron."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from ..explanation import Explanation
from ._network import activate
from ._network_readers import pipeline_steps

__all__ = ["layer_activations"]


def layer_activations(estimator: Any, X: ArrayLike) -> list[Explanation]:
    """Hidden-layer activations of a fitted multi-layer perceptron: its activation maps.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A fitted scikit-learn MLP, alone or at the end of a Pipeline (whose other steps
        transform ``X`` first).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows to pass through the network.

    Returns
    -------
    activations : list of Explanation
        One per hidden layer, in order. Layer ``l`` has ``values`` of shape
        (n_samples, n_units, 1): the activation of every unit for every row, with unit
        names ``f"layer{l}_unit{u}"`` as feature names, the output name
        ``"activation"`` and ``method`` naming the layer and its activation function.
        Each is a local Explanation: slice it by row and unit name, ``to_frame()`` it,
        ``plot()`` the mean activation of its units, or draw all layers as heatmaps with
        :class:`~glassbox.plot.ActivationDisplay`.

    See Also
    --------
    GradientExplainer : Attributions from the gradient of the network.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neural_network import MLPClassifier
    >>> from glassbox.explainers import layer_activations
    >>> X, y = load_iris(return_X_y=True)
    >>> mlp = MLPClassifier(hidden_layer_sizes=(8, 4), solver="lbfgs", max_iter=2000, random_state=0).fit(X, y)
    >>> layers = layer_activations(mlp, X[:5])
    >>> [layer.shape for layer in layers]
    [(5, 8, 1), (5, 4, 1)]
    >>> layers[1].feature_names[:2].tolist()
    ['layer2_unit0', 'layer2_unit1']
    >>> bool((layers[0].values >= 0).all())  # ReLU units
    True
    """
    steps = pipeline_steps(estimator)
    mlp = steps[-1]
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise TypeError(
            "layer_activations needs a fitted MLPClassifier or MLPRegressor, alone or at the end of a Pipeline; "
            f"got {type(mlp).__name__}."
        )
    check_is_fitted(mlp)
    if isinstance(estimator, Pipeline) and len(steps) > 1:
        X = estimator[:-1].transform(X)
    values = validate_data(mlp, X, reset=False, dtype=np.float64)
    layers = []
    for number, (W, b) in enumerate(zip(mlp.coefs_[:-1], mlp.intercepts_[:-1]), start=1):
        values = activate(mlp.activation, values @ W + b)  # (n, units)
        layers.append(
            Explanation(
                values[:, :, None],
                feature_names=[f"layer{number}_unit{u}" for u in range(values.shape[1])],
                output_names=["activation"],
                method=f"layer {number} activation ({mlp.activation})",
            )
        )
    return layers
