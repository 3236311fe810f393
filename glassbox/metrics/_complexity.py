"""Complexity: the elementary pieces a reader must read to follow a model.

One axis for every family, so that models compare on it: non-zero coefficients of a
linear model, splits of a tree (leaves minus one, summed over the trees of an
ensemble), conditions of a rule list, terms of an additive model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._core import count_tree_splits

__all__ = ["complexity"]


def complexity(estimator: Any) -> int:
    """Number of elementary pieces a reader must read to follow a fitted model.

    Parameters
    ----------
    estimator : fitted estimator
        A glassbox model (its ``complexity_``), a scikit-learn tree or tree ensemble
        (splits over all trees), a linear model (non-zero coefficients, over all
        classes), a Pipeline (its final step, so that feature selection before a linear
        model lowers the count) or a fitted search (its ``best_estimator_``).

    Returns
    -------
    complexity : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from glassbox import complexity
    >>> X, y = load_iris(return_X_y=True)
    >>> complexity(DecisionTreeClassifier(max_leaf_nodes=4, random_state=0).fit(X, y))
    3
    """
    name = type(estimator).__name__
    if hasattr(estimator, "complexity_"):
        return int(estimator.complexity_)
    if hasattr(estimator, "best_estimator_"):
        return complexity(estimator.best_estimator_)
    if hasattr(estimator, "steps"):
        return complexity(estimator.steps[-1][1])
    if not hasattr(estimator, "fit"):
        raise TypeError(f"complexity() needs a fitted estimator; got an object of type {name}.")
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise NotFittedError(f"complexity() needs a fitted model; {name} is not fitted yet.") from None
    except (TypeError, AttributeError):
        pass  # not a scikit-learn estimator: measured by its attributes below
    n_splits = count_tree_splits(estimator)
    if n_splits is not None:
        return n_splits
    if hasattr(estimator, "coef_"):
        return int(np.count_nonzero(estimator.coef_))
    raise TypeError(
        f"complexity() does not know how to measure {name}. glassbox models, scikit-learn trees, "
        "tree ensembles, linear models and Pipelines ending in one are supported; a model can "
        "also expose its own `complexity_` attribute."
    )
