"""Readers of fitted tree models: every tree of a model as one :class:`TreeEnsemble`.

:func:`read_tree_model` reads scikit-learn's ``DecisionTree*``, ``ExtraTree*``,
``RandomForest*``, ``ExtraTrees*``, ``GradientBoosting*`` and ``HistGradientBoosting*``
models (the last through private attributes, read with guards), the scikit-learn
estimators of XGBoost, LightGBM and CatBoost (:mod:`._boosting`, through their public
dumps; none of these libraries is imported by glassbox), and tree models of the
packages above the core that register a reader with :func:`register_tree_reader`
(glassbox's ``TreeClassifier``, ``TreeRegressor`` and sums of trees). Values are scaled
so that the explained output is the offset plus a plain sum over the trees. :func:`count_tree_splits`
counts the splits of a fitted scikit-learn tree, tree ensemble or boosted model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor
from sklearn.utils.validation import check_is_fitted

from ._boosting import library_reader
from ._ensemble import SPLIT_BITSET, SPLIT_NUMERIC, TreeEnsemble, TreeList

if TYPE_CHECKING:
    from .._typing import OutputMethod

__all__ = ["count_tree_splits", "is_tree_model", "read_tree_model", "register_tree_reader", "resolve_tree_output"]

_SINGLE_TREES = (DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor)
_FORESTS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)
_GRADIENT_BOOSTING = (GradientBoostingClassifier, GradientBoostingRegressor)
_HIST_GRADIENT_BOOSTING = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
_SKLEARN_TREE_MODELS = _SINGLE_TREES + _FORESTS + _GRADIENT_BOOSTING + _HIST_GRADIENT_BOOSTING

# Fields of HistGradientBoosting's private predictor nodes that the reader reads.
_HGB_NODE_FIELDS = ("value", "count", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf")

_READERS = {}  # classes -> reader, registered by the packages that define them


def register_tree_reader(
    classes: type | tuple[type, ...], reader: Callable[[Any, str, Callable[[Any], Any] | None, int], TreeEnsemble]
) -> None:
    """Let :func:`read_tree_model` read the tree models ``classes`` with ``reader``.

    The core imports nothing above it: a package defining a tree model registers how
    to read it, and :func:`is_tree_model` then recognises it.

    Parameters
    ----------
    classes : type or tuple of type
    reader : callable
        ``reader(estimator, output, decode, n_features)`` returns the
        :class:`TreeEnsemble` of a fitted ``estimator`` (see :func:`read_tree_model`).
    """
    _READERS[classes] = reader


def _registered_reader(estimator):
    for classes, reader in _READERS.items():
        if isinstance(estimator, classes):
            return reader
    return None


def is_tree_model(estimator: Any) -> bool:
    """Whether :func:`read_tree_model` reads ``estimator`` (fitted or not).

    Parameters
    ----------
    estimator : object

    Returns
    -------
    bool
        ``True`` for scikit-learn's decision trees, random forests, extra trees,
        gradient boosting and histogram gradient boosting models, the scikit-learn
        estimators of XGBoost (``XGBClassifier``, ``XGBRegressor``, ...), LightGBM
        (``LGBMClassifier``, ``LGBMRegressor``) and CatBoost (``CatBoostClassifier``,
        ``CatBoostRegressor``), and glassbox's :class:`~glassbox.models.TreeClassifier`,
        :class:`~glassbox.models.TreeRegressor`, :class:`~glassbox.models.TreeSumClassifier`
        and :class:`~glassbox.models.TreeSumRegressor`.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.linear_model import Ridge
    >>> from glassbox._core import is_tree_model
    >>> is_tree_model(RandomForestRegressor()), is_tree_model(Ridge())
    (True, False)
    """
    return (
        isinstance(estimator, _SKLEARN_TREE_MODELS)
        or _registered_reader(estimator) is not None
        or library_reader(estimator) is not None
    )


def read_tree_model(
    estimator: Any, output: OutputMethod = "auto", decode: Callable[[Any], Any] | None = None
) -> TreeEnsemble:
    """Every tree of a fitted tree model as one :class:`TreeEnsemble`.

    Parameters
    ----------
    estimator : fitted tree model
        See :func:`is_tree_model`.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        The output the trees are read for; only the one that is a sum over the trees
        is accepted (see :func:`resolve_tree_output`).
    decode : callable, default=None
        Turns rows given to :meth:`TreeEnsemble.model_input` into the container the
        model was fitted on (a ``HistGradientBoosting*`` model with categorical features
        fitted on a DataFrame; glassbox's trees re-encode such rows themselves).

    Returns
    -------
    ensemble : TreeEnsemble
    """
    if not is_tree_model(estimator):
        raise TypeError(
            f"TreeSHAP supports scikit-learn's DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees*, "
            f"GradientBoosting* and HistGradientBoosting* models, the scikit-learn estimators of XGBoost, "
            f"LightGBM and CatBoost, and glassbox's TreeClassifier, TreeRegressor, TreeSumClassifier and "
            f"TreeSumRegressor; got {type(estimator).__name__}. Use method='kernel' or method='permutation' "
            "for other models."
        )
    reader = library_reader(estimator)
    if reader is not None:  # they check their own fit
        return reader(estimator, output, decode)
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet; fit it before computing TreeSHAP values."
        ) from exc
    n_features = int(estimator.n_features_in_)
    reader = _registered_reader(estimator)
    if reader is not None:
        return reader(estimator, output, decode, n_features)
    if isinstance(estimator, _HIST_GRADIENT_BOOSTING):
        return _extract_hist_gradient_boosting(estimator, output, decode, n_features)
    if isinstance(estimator, _GRADIENT_BOOSTING):
        return _extract_gradient_boosting(estimator, output, n_features)
    return _extract_forest(estimator, output, n_features)


def resolve_tree_output(estimator: Any, output: OutputMethod, additive: str) -> str:
    """The output method read: ``additive`` (the one that is a sum over the trees).

    ``output`` is ``"auto"`` or ``additive``; any other output raises an error naming
    the one that is.
    """
    name = type(estimator).__name__
    valid = ("auto", "predict_proba", "decision_function", "log_odds", "predict")
    if output not in valid:
        raise ValueError(f"output must be one of {', '.join(map(repr, valid))}; got {output!r}.")
    if output in ("auto", additive):
        return additive
    raise ValueError(
        f"TreeSHAP explains the output of {name} that is a sum over its trees, {additive}; "
        f"{output} is not. Use output={additive!r}, or method='kernel' to explain {output}."
    )


def count_tree_splits(estimator: Any) -> int | None:
    """Splits over all trees of a fitted scikit-learn tree model; ``None`` for other models.

    A single tree (``tree_``), an ensemble whose members are all trees
    (``estimators_``: forests, gradient boosting, bagging) or a
    ``HistGradientBoosting*`` model (its private ``_predictors``).

    Parameters
    ----------
    estimator : fitted estimator

    Returns
    -------
    n_splits : int or None
    """
    if hasattr(estimator, "tree_"):
        return _splits(estimator)
    if hasattr(estimator, "estimators_"):
        trees = np.ravel(np.asarray(estimator.estimators_, dtype=object))
        if all(hasattr(t, "tree_") for t in trees):
            return int(sum(_splits(t) for t in trees))
    if hasattr(estimator, "_predictors"):  # HistGradientBoosting: private, so guarded
        return int(
            sum((~predictor.nodes["is_leaf"].astype(bool)).sum() for stage in estimator._predictors for predictor in stage)
        )
    return None


def _splits(tree):
    return int(np.count_nonzero(tree.tree_.children_left != -1))


def _add_sklearn_trees(trees, members, value, columns):
    """The fitted scikit-learn trees ``members`` in one block: each field concatenated once.

    ``value`` is every node's value, the trees one after the other; ``columns`` holds
    one row per tree.
    """
    nodes = [member.tree_ for member in members]

    def stack(name):
        return np.concatenate([getattr(tree, name) for tree in nodes])

    left = stack("children_left")
    if all(getattr(tree, "missing_go_to_left", None) is not None for tree in nodes):
        missing_left = stack("missing_go_to_left")
    else:  # scikit-learn without missing-value support in trees
        missing_left = np.zeros(len(left), bool)
    trees.add_trees(
        [tree.node_count for tree in nodes],
        left,
        stack("children_right"),
        stack("feature"),
        stack("threshold"),
        missing_left,
        stack("weighted_n_node_samples"),
        value,
        columns,
    )


def _extract_forest(estimator, output, n_features):
    is_classifier = hasattr(estimator, "classes_")
    members = [estimator] if isinstance(estimator, _SINGLE_TREES) else list(estimator.estimators_)
    if getattr(estimator, "n_outputs_", 1) > 1 and is_classifier:
        raise ValueError(
            f"{type(estimator).__name__} with several targets returns one probability array per target; "
            "TreeSHAP explains single-target classifiers. Fit one classifier per target."
        )
    method = resolve_tree_output(estimator, output, "predict_proba" if is_classifier else "predict")
    scale = 1.0 / len(members)
    if is_classifier:  # class probabilities at each node, as predict_proba computes them
        value = np.concatenate([member.tree_.value[:, 0, :] for member in members]).astype(np.float64)
        total = value.sum(axis=1, keepdims=True)
        total[total == 0.0] = 1.0
        value = value / total
    else:
        value = np.concatenate([member.tree_.value[:, :, 0] for member in members])
    columns = np.broadcast_to(np.arange(value.shape[1]), (len(members), value.shape[1]))
    trees = TreeList()
    _add_sklearn_trees(trees, members, value * scale, columns)
    n_outputs = len(estimator.classes_) if is_classifier else int(getattr(estimator, "n_outputs_", 1))
    return trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.zeros(n_outputs),
        float32_inputs=True,
    )


def _extract_gradient_boosting(estimator, output, n_features):
    is_classifier = hasattr(estimator, "classes_")
    method = resolve_tree_output(estimator, output, "decision_function" if is_classifier else "predict")
    init = estimator.init_
    constant = isinstance(init, str) and init == "zero"
    constant |= isinstance(init, DummyRegressor)
    constant |= isinstance(init, DummyClassifier) and init.strategy in ("prior", "most_frequent", "constant", "uniform")
    if not constant:
        raise ValueError(
            f"{type(estimator).__name__} starts from the predictions of {type(init).__name__}, which vary with "
            "the row; TreeSHAP attributes sums of trees plus a constant only. Use method='kernel'."
        )
    stages = estimator.estimators_  # (n_stages, n_trees_per_stage)
    members = stages.ravel()  # stage after stage
    value = np.concatenate([member.tree_.value[:, 0, :1] for member in members]) * estimator.learning_rate
    n_outputs = stages.shape[1]
    trees = TreeList()
    _add_sklearn_trees(trees, members, value, np.tile(np.arange(n_outputs), len(stages))[:, None])
    ensemble = trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.zeros(n_outputs),
        float32_inputs=True,
    )
    offset = _gradient_boosting_init(estimator)
    if offset is None:  # an init estimator not read off its attributes: read off one row
        row = np.zeros((1, n_features))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            raw = getattr(estimator, method)(row)
        raw = np.asarray(raw, dtype=np.float64).reshape(1, -1)
        offset = raw[0] - ensemble.predict(ensemble.model_input(row))[0]
    ensemble.offset = offset
    return ensemble


def _gradient_boosting_init(estimator: Any) -> np.ndarray | None:
    """The raw prediction a fitted ``GradientBoosting*`` model starts from, without predicting.

    What scikit-learn's ``_raw_predict_init`` returns for every row, read off the init
    estimator: zeros for ``init="zero"``, the constant of a ``DummyRegressor`` and the
    class priors of a ``DummyClassifier(strategy="prior")`` (the defaults), through the
    link of the model's loss. ``None`` for any other init estimator, or when the model
    keeps no loss with a link (the caller then reads the constant off a prediction).

    Parameters
    ----------
    estimator : fitted GradientBoostingClassifier or GradientBoostingRegressor

    Returns
    -------
    init : ndarray of shape (n_trees_per_stage,) or None

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> from glassbox._core._trees._readers import _gradient_boosting_init
    >>> X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    >>> model = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, y)
    >>> bool(_gradient_boosting_init(model)[0] == y.mean())
    True
    """
    init, n_outputs = estimator.init_, estimator.estimators_.shape[1]
    if isinstance(init, str) and init == "zero":
        return np.zeros(n_outputs)
    link = getattr(getattr(estimator, "_loss", None), "link", None)
    if link is None or not callable(getattr(link, "link", None)):
        return None
    # The exact classes only: a subclass may predict otherwise.
    if type(init) is DummyRegressor and not hasattr(estimator, "classes_"):
        predictions = np.asarray(init.constant_, dtype=np.float64).reshape(-1)
        if predictions.shape != (1,):
            return None
    elif type(init) is DummyClassifier and init.strategy == "prior" and hasattr(estimator, "classes_"):
        prior = np.asarray(init.class_prior_, dtype=np.float64)
        if prior.shape != (len(estimator.classes_),):
            return None
        predictions = prior[1:] if n_outputs == 1 else prior[None, :]  # binary: the positive class
        eps = np.finfo(np.float64).eps
        predictions = np.clip(predictions, eps, 1 - eps, dtype=np.float64)
    else:
        return None
    raw = np.asarray(link.link(predictions), dtype=np.float64).reshape(-1)
    return raw if raw.shape == (n_outputs,) else None


def _extract_hist_gradient_boosting(estimator, output, decode, n_features):
    name = type(estimator).__name__
    is_classifier = hasattr(estimator, "classes_")
    if not is_classifier and estimator.loss not in ("squared_error", "absolute_error", "quantile"):
        raise ValueError(
            f"{name}(loss={estimator.loss!r}) predicts a transformation (exp) of a sum of trees, which is not "
            "additive; TreeSHAP cannot explain predict exactly. Use method='kernel'."
        )
    method = resolve_tree_output(estimator, output, "decision_function" if is_classifier else "predict")
    predictors = getattr(estimator, "_predictors", None)
    baseline = getattr(estimator, "_baseline_prediction", None)
    if predictors is None or baseline is None:
        raise ValueError(
            f"This version of scikit-learn stores the trees of {name} in an unknown way (no _predictors or "
            "_baseline_prediction); TreeSHAP cannot read them. Use method='kernel'."
        )
    preprocessor = getattr(estimator, "_preprocessor", None)
    known, f_idx_map = None, None
    if getattr(estimator, "is_categorical_", None) is not None:
        known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    members = [predictor for iteration in predictors for predictor in iteration]  # iteration after iteration
    node_arrays = [predictor.nodes for predictor in members]
    dtypes = {n.dtype for n in node_arrays}
    missing = [f for f in _HGB_NODE_FIELDS if any(f not in (d.names or ()) for d in dtypes)]
    if missing or len(dtypes) != 1:
        what = f"without the fields {missing}" if missing else "in several layouts"
        raise ValueError(
            f"This version of scikit-learn stores the nodes of {name} {what}; TreeSHAP cannot read them. "
            "Use method='kernel'."
        )
    names = node_arrays[0].dtype.names
    # Every tree's nodes in one record array, filled tree by tree (np.concatenate of record
    # arrays promotes their fields one array at a time, which costs more than the copy).
    sizes = np.array([len(n) for n in node_arrays], np.intp)
    nodes, start = np.empty(sizes.sum(), node_arrays[0].dtype), 0
    for n in node_arrays:
        nodes[start : start + len(n)] = n
        start += len(n)
    is_leaf = nodes["is_leaf"].astype(bool)
    left = np.where(is_leaf, -1, nodes["left"].astype(np.intp))
    right = np.where(is_leaf, -1, nodes["right"].astype(np.intp))
    feature = nodes["feature_idx"].astype(np.intp)
    kind, bitsets = None, None
    if "is_categorical" in names and nodes["is_categorical"].any():
        categorical = nodes["is_categorical"].astype(bool) & ~is_leaf
        kind = np.where(categorical, SPLIT_BITSET, SPLIT_NUMERIC)
        bitsets = np.zeros((len(nodes), 2, 8), np.uint32)
        cat = np.flatnonzero(categorical)
        # Each tree numbers its own bitsets: shift them past the trees before it.
        tree_bitsets = [predictor.raw_left_cat_bitsets for predictor in members]
        first = np.repeat(np.r_[0, np.cumsum([len(t) for t in tree_bitsets])[:-1]], sizes)
        bitsets[cat, 0] = np.concatenate(tree_bitsets)[first[cat] + nodes["bitset_idx"][cat]]
        bitsets[cat, 1] = known[f_idx_map[feature[cat]]]
    n_outputs = len(predictors[0]) if predictors else 1
    trees = TreeList()
    trees.add_trees(
        sizes,
        left,
        right,
        feature,
        nodes["num_threshold"],
        nodes["missing_go_to_left"].astype(bool),
        nodes["count"],
        nodes["value"],
        np.tile(np.arange(n_outputs), len(predictors))[:, None],
        kind=kind,
        bitsets=bitsets,
    )
    columns, transform = None, None
    if preprocessor is not None:
        columns = _preprocessed_columns(preprocessor, n_features)

        def transform(X):
            rows = X if decode is None else decode(X)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                return preprocessor.transform(rows)

    return trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.asarray(baseline, dtype=np.float64).reshape(-1)[:n_outputs].copy(),
        columns=columns,
        transform=transform,
    )


def _preprocessed_columns(preprocessor, n_features):
    """Input column of each column that HistGradientBoosting's preprocessor outputs."""
    columns = np.full(sum(s.stop - s.start for s in preprocessor.output_indices_.values()), -1, np.intp)
    for name, _, selection in preprocessor.transformers_:
        if name not in preprocessor.output_indices_:
            continue
        selected = np.arange(n_features)[selection]
        out = preprocessor.output_indices_[name]
        if out.stop - out.start != len(selected):
            raise ValueError("Unexpected HistGradientBoosting preprocessor: cannot map its columns back.")
        columns[out] = selected
    return columns
