"""``glassbox.explain(model, X)``: the right explainer for a model, picked for you."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from numpy.typing import ArrayLike

from ._base import TransparentMixin

if TYPE_CHECKING:
    from .explanation import Explanation

__all__ = ["explain", "register_explainer"]

_REGISTRY = []  # (priority, name, predicate, factory); higher priority is tried first


def register_explainer(
    name: str, predicate: Callable[[Any], bool], factory: Callable[..., Any], *, priority: int = 0
) -> None:
    """Make ``explain`` use ``factory(model, **kwargs)`` for models where ``predicate(model)``.

    Explainer modules call this when they are imported; ``factory`` returns an unfitted
    explainer. Registrations with a higher ``priority`` are tried first; registering a
    ``name`` again replaces it.
    """
    _REGISTRY[:] = [entry for entry in _REGISTRY if entry[1] != name]
    _REGISTRY.append((priority, name, predicate, factory))
    _REGISTRY.sort(key=lambda entry: -entry[0])


def explain(
    model: Any, X: ArrayLike | None = None, *, kind: Literal["local", "global"] | None = None, **kwargs: Any
) -> Explanation:
    """Explain ``model``, choosing the method a newcomer would hope for.

    A glassbox model explains itself: ``model.explain(X)`` (its global explanation
    when ``X`` is None). Without ``X``, a fitted scikit-learn linear model, tree or tree
    ensemble gives the global importance it carries itself: its coefficients
    (``coef_``, with the intercepts as base values), or its mean decrease in impurity
    (``feature_importances_``). Impurity importance is measured on the training data and
    favours features with many distinct values (continuous, high-cardinality) even when
    they carry no signal; coefficients are in the units of their features. Where that
    matters, pass ``X``, or use ``PermutationImportance`` on held-out rows.

    With ``X``, any other fitted model goes to the first registered explainer
    that accepts it, fitted on ``X`` (the background) and explaining ``X``: Shapley
    values, by path-dependent TreeSHAP for a tree model (no background is sampled), and
    otherwise with ``random_state=0`` unless ``random_state`` is passed, so the same call
    gives the same values.

    ``kind="global"`` with ``X`` asks for a linear model's own importance made
    comparable across features: its standardised coefficients, each coefficient times
    the standard deviation of its column of ``X`` (the change of the output per
    standard deviation of the feature), with the output at the columns' means as base
    values (``method="standardized_coefficients"``).

    Parameters
    ----------
    model : fitted estimator
    X : array-like or DataFrame of shape (n_samples, n_features), default=None
        Rows to explain; required for models that are not glassbox models and carry no
        importance of their own. With ``kind="global"``, the rows whose spread
        standardises a linear model's coefficients.
    kind : {"local", "global"}, default=None
        ``"local"``: attributions of the rows of ``X`` (the default when ``X`` is
        given). ``"global"``: the model's own global importance (the default without
        ``X``); with ``X``, a scikit-learn linear model's coefficients standardised by
        the columns of ``X``. Trees' impurity importance and glassbox models' global
        explanations are learned in fitting and take no ``X``.
    **kwargs
        Passed to the chosen explainer (for example ``random_state``).

    Returns
    -------
    explanation : Explanation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> import glassbox
    >>> X = np.column_stack([np.arange(10.0), 100 * np.arange(10.0) % 7])
    >>> model = LinearRegression().fit(X, 2 * X[:, 0] + 0.5 * X[:, 1])
    >>> per_sd = glassbox.explain(model, X, kind="global")
    >>> per_sd.method, np.round(per_sd.values[:, 0], 3).tolist()
    ('standardized_coefficients', [5.745, 0.976])
    """
    if kind not in (None, "local", "global"):
        raise ValueError(f"kind must be 'local', 'global' or None (chosen from X); got {kind!r}.")
    kind = kind or ("global" if X is None else "local")
    if kind == "local" and X is None:
        raise ValueError("kind='local' explains rows: pass them, explain(model, X).")
    if isinstance(model, TransparentMixin):
        if kwargs:
            raise TypeError(f"{type(model).__name__} explains itself and takes no options; got {sorted(kwargs)}.")
        if kind == "global" and X is not None:
            raise ValueError(
                f"The global explanation of {type(model).__name__} is learned in fitting and takes no X (a sparse "
                "linear model's is already per standard deviation of its training data); call explain(model)."
            )
        return model.explain(X if kind == "local" else None)
    if kind == "global":
        from ._model_importance import has_own_importance, own_importance

        if not has_own_importance(model) and X is not None:
            raise ValueError(
                f"kind='global' reads the importance a model carries itself (coef_ or feature_importances_); "
                f"{type(model).__name__} has none. Use explain(model, X) for its Shapley values, or "
                "PermutationImportance(model).fit(X, y) for a global importance measured on rows."
            )
        if not has_own_importance(model):
            raise ValueError(
                f"Explaining {type(model).__name__} needs the rows to explain: explain(model, X). Without rows, "
                "only glassbox models and fitted linear models, trees and tree ensembles (coef_ or "
                "feature_importances_) are explained, by their own global importance."
            )
        if kwargs:
            raise TypeError(f"The own importance of {type(model).__name__} takes no options; got {sorted(kwargs)}.")
        return own_importance(model, X)
    for _, _, predicate, factory in _REGISTRY:
        if predicate(model):
            return factory(model, **kwargs).fit(X).explain(X)
    available = ", ".join(entry[1] for entry in _REGISTRY) or "none yet"
    raise TypeError(
        f"No registered explainer accepts {type(model).__name__} (registered: {available}). "
        "Pick an explainer from glassbox.explainers directly."
    )
