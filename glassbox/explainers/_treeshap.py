"""TreeSHAP in vectorised numpy: exact Shapley values of tree ensembles.

Supported models: scikit-learn's ``DecisionTree*``, ``ExtraTree*``, ``RandomForest*``,
``ExtraTrees*``, ``GradientBoosting*`` and ``HistGradientBoosting*``, and glassbox's
``TreeClassifier`` and ``TreeRegressor``. Two value functions are computed exactly:

* path-dependent (``background=None``): the expectation of the model given the known
  features, estimated by following the training cover of each split (Lundberg et al.
  2020, Algorithm 2);
* interventional (``background`` rows): the average over background rows ``z`` of the
  model at the hybrid row taking the coalition's features from ``x`` and the others
  from ``z`` (the "independent" TreeSHAP of the same paper).

How it is computed
------------------
A tree is a sum over its leaves, so Shapley values are sums of per-leaf values. For a
leaf with ``d`` distinct features on its root-to-leaf path, a row enters only through
its *fail pattern*: the set ``U`` of those features whose splits on the path it does
not satisfy (``d`` bits). Per leaf, both value functions average a product game over
"reference" patterns: the background rows' patterns (interventional), or independent
patterns satisfying feature ``k`` with probability ``r_k``, the cover ratio of its
splits on the path (path-dependent). With ``A`` the features only the explained row
satisfies and ``B`` those only the reference satisfies (hybrids reach the leaf only
if no feature is failed by both), each feature of ``A`` gets
``(|A|-1)! |B|! / (|A|+|B|)!`` and each of ``B`` minus ``|A|! (|B|-1)! / (|A|+|B|)!``
(times the leaf value). So every leaf gets a table over the ``2**d`` fail patterns
(the FastTreeSHAP v2 idea, Yang 2021), built for many leaves at once: by a graded
superset-sum transform of the background patterns (interventional), or by
Gauss-Legendre quadrature of the product game, one batched matrix product
(path-dependent).

Leaf tables then merge bottom-up into *blocks*: a subtree whose root has ``d`` path
features and ``k`` internal nodes is indexed by the root's fail pattern and the
directions taken at its ``k`` internal nodes, ``d + k`` bits. Explaining rows is one
comparison per internal node, a few integer operations per node above the blocks,
and one table read per block feature, for all rows of a chunk at once. Blocks merge
when the reads they save pay for building them, given the number of rows expected.

Leaves with too many distinct path features for a table use formulas without tables:
a Linear TreeSHAP pass over the nodes (Yu et al. 2022; path-dependent) or the pairs of
explained and background rows whose fail patterns are disjoint (interventional). Deep
trees stay exact and memory stays bounded.

References
----------
Lundberg, Erion, Chen, DeGrave, Prutkin, Nair, Katz, Himmelfarb, Bansal, Lee (2020).
From local explanations to global understanding with explainable AI for trees.
Nature Machine Intelligence 2, 56-67.

Yang (2021). Fast TreeSHAP: accelerating SHAP value computation for trees.
arXiv:2109.09847.

Yu, Xu, Coons, Bhatt, Agrawal (2022). Linear TreeShap. NeurIPS 2022.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import beta
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

from .._core import batch_units, chunk_bounds, gauss_legendre, run_chunks
from ..models._tree import TreeClassifier, TreeRegressor

__all__ = ["TreeShap", "is_tree_model", "tree_shap"]

_SINGLE_TREES = (DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor)
_FORESTS = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)
_GRADIENT_BOOSTING = (GradientBoostingClassifier, GradientBoostingRegressor)
_HIST_GRADIENT_BOOSTING = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
_GLASSBOX_TREES = (TreeClassifier, TreeRegressor)
_SUPPORTED = _SINGLE_TREES + _FORESTS + _GRADIENT_BOOSTING + _HIST_GRADIENT_BOOSTING + _GLASSBOX_TREES

# Fields of HistGradientBoosting's private predictor nodes that TreeSHAP reads.
_HGB_NODE_FIELDS = ("value", "count", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf")

_MAX_TABLE_BITS = 12  # a lookup table has at most 2**12 patterns per feature slot
_MAX_PATTERN_BITS = 62  # fail patterns held in int64
_TABLE_BUDGET = 2**25  # floats of lookup tables per model (256 MiB); beyond, leaves go without
_CHUNK_CELLS = 2**23  # floats of work arrays per chunk of rows (64 MiB)
_BUILD_COST = 8.0  # cost of building one table entry, in reads of one table entry
_BUILD_CHUNK = 2**21  # table entries built at once (bounds the memory of construction)
_SINGLE, _PAIR, _OTHER = 0, 1, 2  # kinds of blocks: a leaf, two sibling leaves, any subtree


def is_tree_model(estimator):
    """Whether TreeSHAP supports ``estimator`` (fitted or not).

    Parameters
    ----------
    estimator : object

    Returns
    -------
    bool
        ``True`` for scikit-learn's decision trees, random forests, extra trees,
        gradient boosting and histogram gradient boosting models, and for glassbox's
        :class:`~glassbox.models.TreeClassifier` and
        :class:`~glassbox.models.TreeRegressor`.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.linear_model import Ridge
    >>> from glassbox.explainers._treeshap import is_tree_model
    >>> is_tree_model(RandomForestRegressor()), is_tree_model(Ridge())
    (True, False)
    """
    return isinstance(estimator, _SUPPORTED)


def tree_shap(
    estimator,
    X,
    *,
    background=None,
    background_weights=None,
    output="auto",
    decode=None,
    batch_size="auto",
    n_jobs=None,
):
    """Exact Shapley values of a tree model, path-dependent or interventional.

    Parameters
    ----------
    estimator : fitted tree model
        See :func:`is_tree_model`.
    X : ndarray of shape (n_samples, n_features)
        Rows to explain, in the columns the model was fitted on; NaN is missing.
    background : ndarray of shape (n_background, n_features), default=None
        ``None`` computes path-dependent values (the model's expectation given the
        known features, following the training cover of each split). Rows compute
        interventional values against them.
    background_weights : ndarray of shape (n_background,), default=None
        Weights of the background rows; equal when ``None``.
    output : {"auto", "predict_proba", "decision_function", "predict"}, default="auto"
        The model output explained; ``"auto"`` picks the one that is a sum over the
        trees: ``predict_proba`` for decision trees and forests of classifiers,
        ``decision_function`` for gradient boosting classifiers, ``predict`` for
        regressors.
    decode : callable, default=None
        Turns rows of ``X`` into the container the model was fitted on. Needed for a
        ``HistGradientBoosting*`` model with categorical features fitted on a
        DataFrame; for glassbox's trees, it lets rows encoded by another schema be
        re-encoded by the model's own (without it, ``X`` must be in the model's
        encoding). Unused by other models.
    batch_size : int or "auto", default="auto"
        Rows explained per chunk; bounds memory. ``"auto"`` keeps each chunk's
        arrays near 64 MiB.
    n_jobs : int or None, default=None
        Chunks run through joblib with this many workers; values do not depend on it.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features, n_outputs)
    base_values : ndarray of shape (n_samples, n_outputs)
        ``base_values + values.sum(axis=1)`` equals the explained output of ``X``.
    output_method : str
        The explained output: ``"predict_proba"``, ``"decision_function"`` or
        ``"predict"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from glassbox.explainers._treeshap import tree_shap
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    >>> values, base, method = tree_shap(model, X[:5])
    >>> values.shape, method
    ((5, 10, 1), 'predict')
    >>> bool(np.allclose(base[:, 0] + values.sum(axis=(1, 2)), model.predict(X[:5])))
    True
    """
    explainer = TreeShap(
        estimator,
        background=background,
        background_weights=background_weights,
        output=output,
        decode=decode,
        expected_rows=len(X),
    )
    values, base_values = explainer.explain(X, batch_size=batch_size, n_jobs=n_jobs)
    return values, base_values, explainer.output_method


class TreeShap:
    """TreeSHAP precomputed for one model and background, reusable across calls.

    Building it converts the trees to arrays and builds the lookup tables (the work
    that does not depend on the rows explained); :meth:`explain` then explains any
    number of rows. :func:`tree_shap` is the one-call form.

    Parameters
    ----------
    estimator, background, background_weights, output, decode
        As in :func:`tree_shap`.
    expected_rows : int, default=1000
        Rows expected to be explained with this object: leaves whose table would
        cost more to build than direct formulas cost for that many rows use the
        direct formulas.

    Attributes
    ----------
    output_method : str
        The explained output.
    n_outputs : int
    expected_value : ndarray of shape (n_outputs,)
        The base value: the cover-weighted mean output (path-dependent) or the
        weighted mean output over the background rows (interventional).
    """

    def __init__(
        self,
        estimator,
        *,
        background=None,
        background_weights=None,
        output="auto",
        decode=None,
        expected_rows=1000,
    ):
        self._ensemble = _extract(estimator, output, decode)
        self.output_method = self._ensemble.output_method
        self.n_outputs = self._ensemble.n_outputs
        reference = None
        if background is not None:
            reference = _check_background(background, background_weights, self._ensemble.n_features)
        self._plan = _Plan(self._ensemble, reference, expected_rows)
        self.expected_value = self._plan.expected_value

    def explain(self, X, *, batch_size="auto", n_jobs=None, verbose=False):
        """Shapley values of the rows of ``X``, in chunks of ``batch_size`` rows.

        ``"auto"`` keeps each chunk's work arrays near 64 MiB.

        Returns
        -------
        values : ndarray of shape (n_samples, n_features, n_outputs)
        base_values : ndarray of shape (n_samples, n_outputs)
        """
        X = _check_rows(X, self._ensemble.n_features, "X")
        n_samples = len(X)
        per_row = self._plan.cells_per_row()
        batch_size = batch_units(batch_size, row_cells=per_row, unit_cells=per_row, auto_cells=_CHUNK_CELLS)
        values = np.zeros((0, self._ensemble.n_model_features, self.n_outputs))
        if n_samples:
            Xm = self._ensemble.model_input(X)
            bounds = chunk_bounds(n_samples, batch_size)
            chunks = run_chunks(
                self._plan.explain_chunk,
                [(Xm[start:stop],) for start, stop in bounds],
                n_jobs=n_jobs,
                verbose=verbose,
                desc="TreeSHAP",
            )
            values = np.concatenate(chunks)
        values = self._ensemble.to_input_columns(values)
        base_values = np.broadcast_to(self.expected_value, (n_samples, self.n_outputs)).copy()
        return values, base_values


# --------------------------------------------------------------------------------------
# Trees as parallel arrays
# --------------------------------------------------------------------------------------


_NUMERIC, _NOT_EQUAL, _BITSET = 0, 1, 2  # splits: x <= threshold, x != level, category in a set


@dataclass(eq=False)
class _Ensemble:
    """Every tree of a model as one set of parallel node arrays.

    Node ``i`` of tree ``t`` is global node ``roots[t] + i``; ``left``/``right`` are
    global indices, -1 at leaves. The model output is
    ``offset + sum over trees of value[leaf reached]`` scattered into columns
    ``tree_columns[t]``.
    """

    left: np.ndarray  # (n_nodes,) intp
    right: np.ndarray  # (n_nodes,) intp
    feature: np.ndarray  # (n_nodes,) intp, -1 at leaves; a column of the model input
    threshold: np.ndarray  # (n_nodes,) float64: x <= threshold goes left (a level for _NOT_EQUAL)
    missing_left: np.ndarray  # (n_nodes,) bool: where NaN goes
    cover: np.ndarray  # (n_nodes,) float64: training weight reaching the node
    value: np.ndarray  # (n_nodes, width) float64, scaled so that outputs are plain sums
    roots: np.ndarray  # (n_trees,) intp
    tree_columns: np.ndarray  # (n_trees, width) intp: output column of each value
    n_outputs: int
    output_method: str
    n_features: int  # columns of the rows given by the caller
    offset: np.ndarray = None  # (n_outputs,) constant added to the sum of the trees
    float32_inputs: bool = False  # scikit-learn's CART compares float32 inputs
    kind: np.ndarray = None  # (n_nodes,) split kind; None when every split is _NUMERIC
    bitsets: np.ndarray = None  # (n_nodes, 2, 8) uint32: categories going left, categories known
    columns: np.ndarray = None  # (n_model_features,): input column of each model column
    transform: object = None  # callable: caller's rows -> model input

    @property
    def n_nodes(self):
        return len(self.left)

    @property
    def n_model_features(self):
        return self.n_features if self.columns is None else len(self.columns)

    @property
    def categorical(self):
        """Nodes whose split is not a threshold (a category level or set); None if none."""
        return None if self.kind is None else self.kind != _NUMERIC

    def model_input(self, X):
        """The caller's rows as the float64 columns the trees compare."""
        if self.transform is not None:
            X = np.asarray(self.transform(X), dtype=np.float64)
        if self.float32_inputs:
            X = X.astype(np.float32).astype(np.float64)
        return np.ascontiguousarray(X, dtype=np.float64)

    def to_input_columns(self, values):
        """Values of shape (n, n_model_features, o) in the caller's columns."""
        if self.columns is None:
            return values
        out = np.zeros((len(values), self.n_features, values.shape[2]))
        np.add.at(out, (slice(None), self.columns), values)
        return out

    def route(self, nodes, values):
        """Whether rows go left at internal ``nodes``; ``values`` of the same shape."""
        threshold = self.threshold[nodes]
        with np.errstate(invalid="ignore"):
            left = values <= threshold
        missing = np.isnan(values)
        if self.kind is not None:
            kind = self.kind[nodes]
            level = kind == _NOT_EQUAL
            left[level] = values[level] != threshold[level]
            category = kind == _BITSET
            if category.any():
                # HistGradientBoosting: categories in the node's set go left, other
                # known ones right; unknown or negative ones are treated as missing.
                codes = values[category]
                code = np.where(np.isnan(codes) | (codes < 0), 0, codes).astype(np.intp) & 255
                word, shift = code >> 5, (code & 31).astype(np.uint32)
                at = nodes[category]
                in_left = ((self.bitsets[at, 0, word] >> shift) & 1).astype(bool)
                known = ((self.bitsets[at, 1, word] >> shift) & 1).astype(bool)
                left[category] = in_left
                missing[category] |= (codes < 0) | (~in_left & ~known)
        return np.where(missing, self.missing_left[nodes], left)

    def predict(self, Xm):
        """Raw model output of model-input rows, shape (n_rows, n_outputs)."""
        n_rows = len(Xm)
        node = np.repeat(self.roots[:, None], n_rows, axis=1)  # (n_trees, n_rows)
        rows = np.broadcast_to(np.arange(n_rows), node.shape)
        internal = self.left[node] >= 0
        while internal.any():
            at = node[internal]
            goes_left = self.route(at, Xm[rows[internal], self.feature[at]])
            node[internal] = np.where(goes_left, self.left[at], self.right[at])
            internal = self.left[node] >= 0
        out = np.tile(self.offset, (n_rows, 1))
        for t in range(len(self.roots)):
            out[:, self.tree_columns[t]] += self.value[node[t]]
        return out


class _TreeList:
    """Collects trees as node arrays and concatenates them into an _Ensemble."""

    def __init__(self):
        self.trees = []

    def add(self, left, right, feature, threshold, missing_left, cover, value, columns, kind=None, bitsets=None):
        """One tree: node arrays with local child indices (-1 at leaves)."""
        n = len(left)
        self.trees.append(
            {
                "left": np.asarray(left, np.intp),
                "right": np.asarray(right, np.intp),
                "feature": np.asarray(feature, np.intp),
                "threshold": np.asarray(threshold, np.float64),
                "missing_left": np.asarray(missing_left, bool),
                "cover": np.asarray(cover, np.float64),
                "value": np.asarray(value, np.float64).reshape(n, -1),
                "columns": np.asarray(columns, np.intp),
                "kind": np.zeros(n, np.int8) if kind is None else np.asarray(kind, np.int8),
                "bitsets": bitsets,
            }
        )

    def build(self, **kwargs):
        sizes = np.array([len(t["left"]) for t in self.trees])
        roots = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.intp)

        def glue(name):
            return np.concatenate([t[name] for t in self.trees])

        offsets = np.repeat(roots, sizes)
        left, right = glue("left"), glue("right")
        is_split = left >= 0
        kind = np.where(is_split, glue("kind"), _NUMERIC).astype(np.int8)
        bitsets = None
        if (kind == _BITSET).any():
            bitsets = np.concatenate(
                [
                    np.zeros((len(t["left"]), 2, 8), np.uint32) if t["bitsets"] is None else t["bitsets"]
                    for t in self.trees
                ]
            )
        return _Ensemble(
            left=np.where(is_split, left + offsets, -1),
            right=np.where(is_split, right + offsets, -1),
            feature=np.where(is_split, glue("feature"), -1),
            threshold=glue("threshold"),
            missing_left=glue("missing_left") & is_split,
            cover=glue("cover"),
            value=glue("value"),
            roots=roots,
            tree_columns=np.stack([t["columns"] for t in self.trees]),
            kind=kind if kind.any() else None,
            bitsets=bitsets,
            **kwargs,
        )


def _add_sklearn_tree(trees, tree, value, columns):
    left = tree.children_left
    missing_left = getattr(tree, "missing_go_to_left", None)
    if missing_left is None:
        missing_left = np.zeros(len(left), bool)
    trees.add(
        left,
        tree.children_right,
        tree.feature,
        tree.threshold,
        missing_left,
        tree.weighted_n_node_samples,
        value,
        columns,
    )


def _classifier_values(tree):
    """Class probabilities at each node, as ``predict_proba`` computes them."""
    value = tree.value[:, 0, :].astype(np.float64)
    total = value.sum(axis=1, keepdims=True)
    total[total == 0.0] = 1.0
    return value / total


def _resolve_output(estimator, output, additive):
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


def _extract(estimator, output, decode):
    """Convert a fitted tree model into an _Ensemble."""
    if not is_tree_model(estimator):
        raise TypeError(
            f"TreeSHAP supports scikit-learn's DecisionTree*, ExtraTree*, RandomForest*, ExtraTrees*, "
            f"GradientBoosting* and HistGradientBoosting* models and glassbox's TreeClassifier and "
            f"TreeRegressor; got {type(estimator).__name__}. Use method='kernel' or method='permutation' "
            "for other models."
        )
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet; fit it before computing TreeSHAP values."
        ) from exc
    n_features = int(estimator.n_features_in_)
    if isinstance(estimator, _GLASSBOX_TREES):
        return _extract_glassbox_tree(estimator, output, decode, n_features)
    if isinstance(estimator, _HIST_GRADIENT_BOOSTING):
        return _extract_hist_gradient_boosting(estimator, output, decode, n_features)
    if isinstance(estimator, _GRADIENT_BOOSTING):
        return _extract_gradient_boosting(estimator, output, n_features)
    return _extract_forest(estimator, output, n_features)


def _extract_forest(estimator, output, n_features):
    is_classifier = hasattr(estimator, "classes_")
    members = [estimator] if isinstance(estimator, _SINGLE_TREES) else list(estimator.estimators_)
    if getattr(estimator, "n_outputs_", 1) > 1 and is_classifier:
        raise ValueError(
            f"{type(estimator).__name__} with several targets returns one probability array per target; "
            "TreeSHAP explains single-target classifiers. Fit one classifier per target."
        )
    method = _resolve_output(estimator, output, "predict_proba" if is_classifier else "predict")
    scale = 1.0 / len(members)
    trees = _TreeList()
    for member in members:
        tree = member.tree_
        if is_classifier:
            value = _classifier_values(tree)
        else:
            value = tree.value[:, :, 0]
        columns = np.arange(value.shape[1])
        _add_sklearn_tree(trees, tree, value * scale, columns)
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
    method = _resolve_output(estimator, output, "decision_function" if is_classifier else "predict")
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
    trees = _TreeList()
    for stage in stages:
        for k, member in enumerate(stage):
            tree = member.tree_
            _add_sklearn_tree(trees, tree, tree.value[:, 0, :1] * estimator.learning_rate, [k])
    n_outputs = stages.shape[1]
    ensemble = trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.zeros(n_outputs),
        float32_inputs=True,
    )
    # The initial raw prediction is a constant: read it off one row.
    row = np.zeros((1, n_features))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        raw = getattr(estimator, method)(row)
    raw = np.asarray(raw, dtype=np.float64).reshape(1, -1)
    ensemble.offset = raw[0] - ensemble.predict(ensemble.model_input(row))[0]
    return ensemble


def _extract_hist_gradient_boosting(estimator, output, decode, n_features):
    name = type(estimator).__name__
    is_classifier = hasattr(estimator, "classes_")
    if not is_classifier and estimator.loss not in ("squared_error", "absolute_error", "quantile"):
        raise ValueError(
            f"{name}(loss={estimator.loss!r}) predicts a transformation (exp) of a sum of trees, which is not "
            "additive; TreeSHAP cannot explain predict exactly. Use method='kernel'."
        )
    method = _resolve_output(estimator, output, "decision_function" if is_classifier else "predict")
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
    trees = _TreeList()
    for iteration in predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            missing = [f for f in _HGB_NODE_FIELDS if f not in (nodes.dtype.names or ())]
            if missing:
                raise ValueError(
                    f"This version of scikit-learn stores the nodes of {name} without the fields "
                    f"{missing}; TreeSHAP cannot read them. Use method='kernel'."
                )
            is_leaf = nodes["is_leaf"].astype(bool)
            left = np.where(is_leaf, -1, nodes["left"].astype(np.intp))
            right = np.where(is_leaf, -1, nodes["right"].astype(np.intp))
            feature = nodes["feature_idx"].astype(np.intp)
            kind, bitsets = None, None
            if "is_categorical" in nodes.dtype.names and nodes["is_categorical"].any():
                categorical = nodes["is_categorical"].astype(bool) & ~is_leaf
                kind = np.where(categorical, _BITSET, _NUMERIC)
                bitsets = np.zeros((len(nodes), 2, 8), np.uint32)
                cat = np.flatnonzero(categorical)
                bitsets[cat, 0] = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][cat]]
                bitsets[cat, 1] = known[f_idx_map[feature[cat]]]
            trees.add(
                left,
                right,
                feature,
                nodes["num_threshold"],
                nodes["missing_go_to_left"].astype(bool),
                nodes["count"],
                nodes["value"],
                [k],
                kind=kind,
                bitsets=bitsets,
            )
    n_outputs = len(predictors[0]) if predictors else 1
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


def _extract_glassbox_tree(estimator, output, decode, n_features):
    """glassbox's TreeClassifier / TreeRegressor: the tree it reads, on encoded rows.

    Its splits compare encoded columns: ``x <= threshold`` (float64 thresholds),
    ``x != level`` for a categorical level, and "not missing" (threshold +inf). The
    cover comes from the scikit-learn tree it was grown as, which has the same nodes.
    """
    nodes, cart = getattr(estimator, "_nodes", None), getattr(estimator, "tree_estimator_", None)
    fields = ("left", "right", "feature", "op", "threshold", "missing_left", "value")
    if cart is None or nodes is None or not all(hasattr(nodes, f) for f in fields):
        raise ValueError(
            f"This {type(estimator).__name__} does not expose its tree as TreeSHAP expects; use method='kernel'."
        )
    is_classifier = hasattr(estimator, "classes_")
    method = _resolve_output(estimator, output, "predict_proba" if is_classifier else "predict")
    cover = cart.tree_.weighted_n_node_samples
    if len(cover) != len(nodes.left):
        cover = nodes.n_samples
    value = np.asarray(nodes.value, dtype=np.float64)
    trees = _TreeList()
    trees.add(
        nodes.left,
        nodes.right,
        nodes.feature,
        np.nan_to_num(nodes.threshold, nan=0.0),
        nodes.missing_left,
        cover,
        value,
        np.arange(value.shape[1]),
        kind=np.where(nodes.op == "!=", _NOT_EQUAL, _NUMERIC),
    )

    def transform(X):  # rows in the model's own encoding
        return estimator._encode(decode(X))

    return trees.build(
        n_outputs=value.shape[1],
        output_method=method,
        n_features=n_features,
        offset=np.zeros(value.shape[1]),
        transform=None if decode is None else transform,
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


def _check_rows(X, n_features, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"{name} must have shape (n_rows, {n_features}) like the data the model was fitted on; got shape {X.shape}."
        )
    return X


def _check_background(background, weights, n_features):
    data = _check_rows(background, n_features, "background")
    if len(data) == 0:
        raise ValueError("background must have at least one row.")
    if weights is None:
        weights = np.full(len(data), 1.0 / len(data))
    else:
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if len(weights) != len(data) or (weights < 0).any() or not weights.sum() > 0:
            raise ValueError(
                f"background_weights must be {len(data)} non-negative numbers with a positive sum; "
                f"got {weights.shape[0]} values."
            )
        weights = weights / weights.sum()
    return data, weights


# --------------------------------------------------------------------------------------
# Paths, lookup tables and blocks
# --------------------------------------------------------------------------------------


def _popcount(n_bits):
    """Number of set bits of 0 .. 2**n_bits - 1."""
    counts = np.zeros(1, np.intp)
    for _ in range(n_bits):
        counts = np.concatenate([counts, counts + 1])
    return counts


def _shapley_weights(n):
    """Closed-form interventional weights for |A| = a and |B| = b, a, b <= n.

    ``w_a[a, b] = (a-1)! b! / (a+b)!`` (a feature only the explained row satisfies) and
    ``w_b[a, b] = a! (b-1)! / (a+b)!`` (one only the reference row satisfies); zero
    where the set is empty.
    """
    a = np.arange(n + 1, dtype=np.float64)[:, None]
    b = np.arange(n + 1, dtype=np.float64)[None, :]
    w_a = np.where(a >= 1, beta(np.maximum(a, 1), b + 1), 0.0)
    w_b = np.where(b >= 1, beta(a + 1, np.maximum(b, 1)), 0.0)
    return w_a, w_b


def _path_dependent_tables(ratio):
    """Per-leaf Shapley tables of the path-dependent value function.

    Parameters
    ----------
    ratio : ndarray of shape (n_leaves, d)
        Cover ratio ``r_k`` of each path feature: the product, over the path's splits
        on it, of the share of the training cover going the path's way.

    Returns
    -------
    tables : ndarray of shape (n_leaves, d, 2**d)
        As :func:`_interventional_tables`.

    Notes
    -----
    The value function of a leaf is the product game
    ``v(S) = prod_{k in S} s_k prod_{k not in S} r_k`` (``s_k``: the row satisfies
    feature ``k``), whose Shapley values are
    ``phi_j = (s_j - r_j) integral_0^1 prod_{k != j} f_k(t) dt`` with
    ``f_k(t) = r_k + t (s_k - r_k)``: a polynomial of degree ``d - 1``, integrated
    exactly by ``ceil(d / 2)`` Gauss-Legendre nodes. With ``P(U, t)`` the product of
    all ``f_k`` for fail pattern ``U``, a satisfied feature gets
    ``(1 - r_j) P / (r_j + t (1 - r_j))`` and a failed one ``-P / (1 - t)``, so the
    tables of all patterns are one batched matrix product.
    """
    n_leaves, d = ratio.shape
    t, w = gauss_legendre((d + 1) // 2)
    r = ratio[:, None, :]  # (n_leaves, 1, d)
    satisfied = r + t[None, :, None] * (1.0 - r)  # factor of a satisfied feature, (n_leaves, Q, d)
    failed = r * (1.0 - t)[None, :, None]
    product = _pattern_products(satisfied, failed)  # P(U, t); bit k of U set: feature k failed
    gain = (w[None, :, None] * (1.0 - r) / satisfied).transpose(0, 2, 1)  # (n_leaves, d, Q)
    tables = gain @ product  # (n_leaves, d, 2**d)
    loss = (-w / (1.0 - t)) @ product  # (n_leaves, 2**d)
    for j in range(d):  # patterns failing feature j: the second half of each 2**(j+1)
        failed = (slice(None), slice(None), 1)
        tables[:, j].reshape(n_leaves, -1, 2, 2**j)[failed] = loss.reshape(n_leaves, -1, 2, 2**j)[failed]
    return tables


def _pattern_products(satisfied, failed):
    """Products over features of ``satisfied`` or ``failed`` factors, for every pattern.

    Parameters
    ----------
    satisfied, failed : ndarray of shape (n, Q, k)

    Returns
    -------
    ndarray of shape (n, Q, 2**k)
        Entry ``U``: the product over ``j`` of ``failed[..., j]`` when bit ``j`` of
        ``U`` is set, else ``satisfied[..., j]``.
    """
    n, q, k = satisfied.shape
    if k > 2:  # outer product of the low and the high half of the bits
        low = _pattern_products(satisfied[:, :, : k // 2], failed[:, :, : k // 2])
        high = _pattern_products(satisfied[:, :, k // 2 :], failed[:, :, k // 2 :])
        return (high[:, :, :, None] * low[:, :, None, :]).reshape(n, q, 2**k)
    product = np.ones((n, q, 1))
    for j in range(k):
        product = np.concatenate([product * satisfied[:, :, j : j + 1], product * failed[:, :, j : j + 1]], axis=2)
    return product


def _interventional_tables(reference, d):
    """Per-leaf Shapley tables from the distribution of reference patterns.

    Parameters
    ----------
    reference : ndarray of shape (n_leaves, 2**d)
        ``reference[l, Y]``: probability that a reference row satisfies exactly the
        path features in bit set ``Y`` of leaf ``l``.
    d : int
        Distinct features on each leaf's path.

    Returns
    -------
    tables : ndarray of shape (n_leaves, d, 2**d)
        ``tables[l, j, U]``: Shapley value of path feature ``j`` for the indicator of
        reaching leaf ``l``, for an explained row failing exactly the features in
        ``U``.

    Notes
    -----
    For an explained row failing the set ``U`` and a reference row satisfying the set
    ``Y``, hybrids of the two reach the leaf only if ``Y`` contains ``U``; then the
    features only the explained row satisfies are ``A``, with ``|A| = d - |Y|``, and
    those only the reference row satisfies are ``B = U``. Each feature of ``A`` gets
    ``(|A|-1)! |B|! / (|A|+|B|)!`` and each of ``B`` minus ``|A|! (|B|-1)! / (|A|+|B|)!``.
    Summing over ``Y`` needs, for every ``U`` and size ``m``, the reference mass on
    supersets of ``U`` of size ``m``: a graded superset-sum transform. A feature ``j``
    the explained row satisfies is in ``A`` unless the reference satisfies it too:
    its value is the sum over supersets of ``U`` minus the sum over supersets of
    ``U + {j}`` (``phi_a`` and ``psi_a`` below). Leaves are the last axis of the
    transform, so its operations run over contiguous memory.
    """
    n_leaves, size = reference.shape
    pop = _popcount(d)
    patterns = np.arange(size)
    # graded[m, U, l] = sum of reference[l, Y] over Y containing U with |Y| = m
    graded = np.zeros((d + 1, size, n_leaves))
    graded[pop, patterns] = reference.T
    for k in range(d):
        view = graded.reshape(d + 1, size >> (k + 1), 2, (1 << k) * n_leaves)
        view[:, :, 0] += view[:, :, 1]
    w_a, w_b = _shapley_weights(d)
    size_a = d - np.arange(d + 1)[:, None]  # (d + 1, 1): |A| for |Y| = m
    weights = np.stack(
        [w_a[size_a, pop[None, :]], w_a[size_a, np.maximum(pop - 1, 0)[None, :]], w_b[size_a, pop[None, :]]]
    )  # (3, d + 1, size)
    # phi_a[U], phi_b[U]: weighted sums over supersets Y of U (|B| = |U|); psi_a[V]:
    # over supersets of V = U + {j}, weighted with |B| = |V| - 1 = |U|.
    phi_a, psi_a, phi_b = np.einsum("tmu,mul->tlu", weights, graded)  # each (n_leaves, size)
    tables = np.empty((n_leaves, d, size))
    for j in range(d):
        # Axis 2 of these views is bit j of the pattern: 0 where feature j is
        # satisfied, 1 where it is failed.
        table, shape = tables[:, j].reshape(n_leaves, -1, 2, 2**j), (n_leaves, -1, 2, 2**j)
        np.subtract(phi_a.reshape(shape)[:, :, 0], psi_a.reshape(shape)[:, :, 1], out=table[:, :, 0])
        np.negative(phi_b.reshape(shape)[:, :, 1], out=table[:, :, 1])
    return tables


def _group_rank(groups):
    """Rank of each element among the elements with the same group, in order."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), np.intp)
    rank[order] = np.arange(len(groups)) - first
    return rank


class _Paths:
    """Root-to-node paths of every node of an ensemble, computed level by level.

    Attributes
    ----------
    levels : list of ndarray
        Nodes at depth 0, 1, ...
    parent, is_left : ndarray of shape (n_nodes,)
    n_unique : ndarray of shape (n_nodes,)
        Distinct features on the path from the root to the node (``d``).
    features : ndarray of shape (n_nodes, width)
        Those features in order of first use on the path; -1 beyond ``n_unique``.
    bit : ndarray of shape (n_nodes,)
        Slot, in the path features of the node, of its parent's split feature.
    ratio : ndarray of shape (n_nodes, width)
        Product of the cover ratios of the path's splits on each path feature.
    n_internal : ndarray of shape (n_nodes,)
        Internal nodes in the subtree of the node.
    internal : ndarray of shape (n_internal,)
        The internal nodes, sorted by split feature: the rows of ``goes_left``.
    gpos : ndarray of shape (n_nodes,)
        Row of an internal node in ``goes_left``, -1 at leaves.
    """

    def __init__(self, ens):
        n = ens.n_nodes
        left, right = ens.left, ens.right
        parent = np.full(n, -1, np.intp)
        is_left = np.zeros(n, bool)
        levels = [ens.roots]
        frontier = ens.roots
        while True:
            inner = frontier[left[frontier] >= 0]
            if len(inner) == 0:
                break
            children = np.concatenate([left[inner], right[inner]])
            parent[children] = np.concatenate([inner, inner])
            is_left[left[inner]] = True
            levels.append(children)
            frontier = children
        width = max(1, min(len(levels) - 1, ens.n_model_features))
        features = np.full((n, width), -1, np.intp)
        n_unique = np.zeros(n, np.intp)
        bit = np.full(n, -1, np.intp)
        ratio = np.ones((n, width))
        for children in levels[1:]:
            p = parent[children]
            f = ens.feature[p]
            path = features[p]
            match = path == f[:, None]
            found = match.any(axis=1)
            slot = np.where(found, match.argmax(axis=1), n_unique[p])
            rows = np.arange(len(children))
            path[rows, slot] = f
            features[children] = path
            n_unique[children] = n_unique[p] + ~found
            bit[children] = slot
            r = ratio[p]
            with np.errstate(invalid="ignore", divide="ignore"):
                step = np.where(ens.cover[p] > 0, ens.cover[children] / ens.cover[p], 0.0)
            r[rows, slot] *= step
            ratio[children] = r
        n_internal = np.zeros(n, np.intp)
        for level in reversed(levels):
            inner = level[left[level] >= 0]
            n_internal[inner] = 1 + n_internal[left[inner]] + n_internal[right[inner]]
        internal = np.flatnonzero(left >= 0)
        internal = internal[np.argsort(ens.feature[internal], kind="stable")]
        gpos = np.full(n, -1, np.intp)
        gpos[internal] = np.arange(len(internal))
        self.levels, self.parent, self.is_left = levels, parent, is_left
        self.features, self.n_unique, self.bit, self.ratio = features, n_unique, bit, ratio
        self.n_internal, self.internal, self.gpos = n_internal, internal, gpos


class _Router:
    """Which way every row goes at every internal node, for all nodes at once."""

    def __init__(self, ens, internal):
        self.ens = ens
        features = ens.feature[internal]  # internal nodes come sorted by feature
        bounds = np.r_[0, np.flatnonzero(np.diff(features)) + 1, len(features)]
        self.groups = [(int(features[s]), s, e) for s, e in zip(bounds[:-1], bounds[1:]) if e > s]
        self.thresholds = ens.threshold[internal]
        self.missing_left = ens.missing_left[internal]
        self.internal = internal
        self.special = None  # rows of the splits that are not plain thresholds
        if ens.kind is not None and (ens.kind[internal] != _NUMERIC).any():
            self.special = np.flatnonzero(ens.kind[internal] != _NUMERIC)

    def __call__(self, XT):
        """``goes_left`` of shape (n_internal + 1, n_rows) for model-input columns ``XT``.

        The last row is always False: padding indices read it.
        """
        n_rows = XT.shape[1]
        out = np.empty((len(self.internal) + 1, n_rows), bool)
        out[-1] = False
        for f, s, e in self.groups:
            x = XT[f]
            np.greater_equal.outer(self.thresholds[s:e], x, out=out[s:e])
            missing = np.isnan(x)
            if missing.any():
                out[s:e, missing] = self.missing_left[s:e, None]
        if self.special is not None:
            nodes = np.repeat(self.internal[self.special][:, None], n_rows, axis=1)
            out[self.special] = self.ens.route(nodes, XT[self.ens.feature[nodes[:, 0]]])
        return out


class _Descent:
    """Fail patterns at chosen nodes, by one pass down the levels above them.

    The fail pattern of a node has bit ``k`` set when the row fails a split on the
    ``k``-th distinct feature of the node's path. A child's pattern is its parent's
    with the bit of the parent's feature set when the row goes the other way. Every
    needed parent computes both children at once, level by level; int16 holds the
    patterns of tables (at most _MAX_TABLE_BITS bits), int64 those of deep leaves.
    """

    def __init__(self, paths, targets, dtype=np.int16):
        self.dtype = dtype
        n = len(paths.parent)
        keep = np.zeros(n, bool)
        keep[targets] = True
        for level in reversed(paths.levels[1:]):
            keep[paths.parent[level[keep[level]]]] = True
        left_of = np.full(n, -1, np.intp)
        right_of = np.full(n, -1, np.intp)
        children = np.flatnonzero(paths.parent >= 0)
        left_of[paths.parent[children[paths.is_left[children]]]] = children[paths.is_left[children]]
        right_of[paths.parent[children[~paths.is_left[children]]]] = children[~paths.is_left[children]]
        pos = np.full(n, -1, np.intp)
        frontier = paths.levels[0][keep[paths.levels[0]]]
        pos[frontier] = np.arange(len(frontier))
        self.n_roots = len(frontier)
        size = len(frontier)
        self.steps = []
        while True:
            parents = frontier[(left_of[frontier] >= 0) & (keep[left_of[frontier]] | keep[right_of[frontier]])]
            if len(parents) == 0:
                break
            m = len(parents)
            left, right = left_of[parents], right_of[parents]
            pos[left] = size + np.arange(m)
            pos[right] = size + m + np.arange(m)
            self.steps.append(
                (
                    pos[parents],
                    paths.gpos[parents],
                    np.left_shift(1, paths.bit[left]).astype(dtype)[:, None],
                    np.left_shift(1, paths.bit[right]).astype(dtype)[:, None],
                    size,
                    m,
                )
            )
            size += 2 * m
            frontier = np.concatenate([left, right])
            frontier = frontier[keep[frontier]]
        self.size = size
        self.targets = pos[targets]

    def __call__(self, goes_left):
        """Fail patterns of the targets, shape (n_targets, n_rows)."""
        fail = np.empty((self.size, goes_left.shape[1]), self.dtype)
        fail[: self.n_roots] = 0
        for parent, gpos, left_bit, right_bit, start, m in self.steps:
            left = goes_left[gpos]
            known = fail[parent]
            np.bitwise_or(known, np.where(left, 0, left_bit), out=fail[start : start + m])
            np.bitwise_or(known, np.where(left, right_bit, 0), out=fail[start + m : start + 2 * m])
        return fail[self.targets]


class _Plan:
    """Everything TreeSHAP needs for one model and reference, built once.

    Parameters
    ----------
    ens : _Ensemble
    reference : tuple (rows, weights) or None
        Background rows and weights (interventional) or ``None`` (path-dependent).
    expected_rows : int
        Rows expected to be explained: sets which leaves get tables and how far
        tables merge into blocks, trading construction time for speed per row.
    """

    def __init__(self, ens, reference, expected_rows):
        self.ens = ens
        paths = self.paths = _Paths(ens)
        self.router = _Router(ens, paths.internal)
        self.width = ens.value.shape[1]
        self.tree_of = np.repeat(np.arange(len(ens.roots)), np.diff(np.r_[ens.roots, ens.n_nodes]))
        self.expected_rows = max(int(expected_rows), 1)
        leaves = np.flatnonzero(ens.left < 0)
        d = paths.n_unique[leaves]
        n_reference = 0 if reference is None else len(reference[1])
        tabled = d <= self._table_bits(d, n_reference)
        self.expected_value = ens.offset.astype(np.float64).copy()
        self.reference_goes_left = None
        if reference is not None:
            ref_rows, self.reference_weights = reference
            self.reference_goes_left = self.router(np.ascontiguousarray(ens.model_input(ref_rows).T))
        # A tree that is a single leaf only adds its value to the base value.
        alone = d == 0
        np.add.at(self.expected_value, ens.tree_columns[self.tree_of[leaves[alone]]], ens.value[leaves[alone]])
        self._build_blocks(leaves[tabled & ~alone], d[tabled & ~alone])
        self._build_deep(leaves[~tabled], d[~tabled])

    # ---- construction ---------------------------------------------------------------

    def _table_bits(self, d, n_reference):
        """Largest number of distinct path features a leaf gets a lookup table for.

        A table costs about ``d * d * 2**d`` to build. Without it, a leaf costs about
        ``d * d`` per row (path-dependent) or a few operations per pair of row and
        reference row (interventional). Tables are built when the rows expected to
        be explained pay for them, within a memory budget.
        """
        rows = self.expected_rows

        def pays_off(bits):
            if n_reference:
                return 2.0**bits * bits * bits <= 4.0 * rows * n_reference
            return 4.0 * 2.0**bits <= rows * bits

        bits = _MAX_TABLE_BITS
        while bits > 4 and not pays_off(bits):
            bits -= 1
        sizes = d.astype(np.float64) * 2.0 ** np.minimum(d, 63)
        while bits > 0 and sizes[d <= bits].sum() > _TABLE_BUDGET:
            bits -= 1
        return bits

    def _leaf_tables(self, leaves, d, reference_fail):
        """Tables of some leaves, slot-major and concatenated, and where each starts.

        Also adds the leaves' share of the expected value. With one value per leaf
        (``width == 1``) tables are scaled by it here.
        """
        order = np.argsort(d, kind="stable")  # tables of equal size side by side
        sizes = d[order] * 2 ** d[order]
        base = np.empty(len(leaves), np.intp)
        base[order] = np.r_[0, np.cumsum(sizes)[:-1]]
        tables = np.empty(int(sizes.sum()))
        value = self.ens.value[leaves]
        columns = self.ens.tree_columns[self.tree_of[leaves]]
        for n_bits in np.unique(d):
            n_bits = int(n_bits)
            group = order[d[order] == n_bits]
            if reference_fail is None:
                ratio = self.paths.ratio[leaves[group], :n_bits]
                reach = ratio.prod(axis=1)
                block = _path_dependent_tables(ratio) if n_bits else None
            else:
                size = 2**n_bits
                satisfied = ~reference_fail[group] & (size - 1)
                flat = (np.arange(len(group))[:, None] * size + satisfied).ravel()
                weights = np.broadcast_to(self.reference_weights, satisfied.shape).ravel()
                reference = np.bincount(flat, weights=weights, minlength=len(group) * size).reshape(len(group), size)
                reach = reference[:, -1]  # every path feature satisfied: the leaf is reached
                block = _interventional_tables(reference, n_bits) if n_bits else None
            np.add.at(self.expected_value, columns[group], value[group] * reach[:, None])
            if block is None:
                continue
            if self.width == 1:
                block *= value[group, 0][:, None, None]
            tables[base[group[0]] : base[group[0]] + block.size] = block.ravel()
        return tables, base

    def _choose_blocks(self, leaves, d):
        """Nodes whose subtree becomes one lookup block.

        Bottom-up, a node merges its children's blocks when both are blocks, its
        index fits in _MAX_TABLE_BITS bits, and building the merged table (about
        ``sum of the leaves' d * 2**bits`` gathers, _BUILD_COST reads each) costs less
        than the reads it saves on the rows expected, within the memory budget.
        """
        paths, ens = self.paths, self.ens
        n = ens.n_nodes
        eligible = np.zeros(n, bool)
        eligible[leaves] = True
        sum_d = np.zeros(n)
        sum_d[leaves] = d
        build = np.zeros(n)
        build[leaves] = d * 2.0**d
        index_bits = paths.n_unique + paths.n_internal
        rows = float(self.expected_rows)
        allowance = _TABLE_BUDGET / max(len(leaves), 1)  # table entries per leaf
        for level in reversed(paths.levels):
            inner = level[ens.left[level] >= 0]
            if len(inner) == 0:
                continue
            left, right = ens.left[inner], ens.right[inner]
            sum_d[inner] = sum_d[left] + sum_d[right]
            children = build[left] + build[right]
            merged = sum_d[inner] * 2.0 ** np.minimum(index_bits[inner], 200)
            # Reads saved per row: the root's path features and its split feature
            # are read once instead of once per child block. Two sibling leaves
            # under a new feature merge by slicing, at no extra cost.
            saved = paths.n_unique[left]
            pair = (paths.n_internal[inner] == 1) & (paths.n_unique[left] > paths.n_unique[inner])
            ok = eligible[left] & eligible[right] & (index_bits[inner] <= _MAX_TABLE_BITS)
            worth = _BUILD_COST * (merged - children) <= rows * saved
            ok &= pair | (worth & (merged <= allowance * (paths.n_internal[inner] + 1)))
            eligible[inner] = ok
            build[inner] = np.where(ok, merged, children)
        parent_eligible = np.zeros(n, bool)
        has_parent = paths.parent >= 0
        parent_eligible[has_parent] = eligible[paths.parent[has_parent]]
        return np.flatnonzero(eligible & ~parent_eligible)

    def _build_blocks(self, leaves, d):
        paths, ens = self.paths, self.ens
        n, p_model = ens.n_nodes, ens.n_model_features
        self.n_slots = self.n_blocks = 0
        if len(leaves) == 0:
            return
        roots = self._choose_blocks(leaves, d)
        block_of = np.full(n, -1, np.intp)
        block_of[roots] = np.arange(len(roots))
        for level in paths.levels[1:]:
            p = paths.parent[level]
            inherit = (block_of[level] < 0) & (block_of[p] >= 0)
            block_of[level[inherit]] = block_of[p[inherit]]
        leaf_block = block_of[leaves]

        # Features of each block: its root's path features, then those met below.
        root_d = paths.n_unique[roots]
        slot_grid = np.arange(paths.features.shape[1])
        new = (slot_grid[None, :] >= root_d[leaf_block][:, None]) & (slot_grid[None, :] < d[:, None])
        keys = (leaf_block[:, None] * p_model + paths.features[leaves])[new]
        unique_keys = np.unique(keys)
        block_d = root_d + np.bincount(unique_keys // p_model, minlength=len(roots))

        # Renumber blocks by decreasing number of features: the blocks having a
        # feature slot j are then a prefix, for every j. Among equals, single leaves,
        # then sibling leaves under a new feature, then the others, by index bits:
        # runs of alike blocks are filled by slicing (see _fill_alike).
        k = paths.n_internal[roots]
        splits_new = paths.n_unique[np.maximum(ens.left[roots], 0)] > root_d
        kind = np.where(k == 0, _SINGLE, np.where((k == 1) & splits_new, _PAIR, _OTHER))
        order = np.lexsort((root_d + k, kind, -block_d))
        renumber = np.empty(len(roots), np.intp)
        renumber[order] = np.arange(len(roots))
        roots, root_d, block_d, kind = roots[order], root_d[order], block_d[order], kind[order]
        block_of = np.where(block_of >= 0, renumber[np.maximum(block_of, 0)], -1)
        leaf_block = renumber[leaf_block]
        # Leaves by block, left before right.
        by_block = np.lexsort((~paths.is_left[leaves], leaf_block))
        leaves, d, leaf_block, new = leaves[by_block], d[by_block], leaf_block[by_block], new[by_block]
        keys = (leaf_block[:, None] * p_model + paths.features[leaves])[new]
        unique_keys = np.sort(renumber[unique_keys // p_model] * p_model + unique_keys % p_model)
        new_rank = _group_rank(unique_keys // p_model)
        n_blocks = len(roots)
        block_slot = np.broadcast_to(slot_grid, new.shape).copy()  # leaf slot -> block slot
        block_slot[new] = root_d[keys // p_model] + new_rank[np.searchsorted(unique_keys, keys)]
        block_features = np.full((n_blocks, max(int(block_d.max(initial=0)), paths.features.shape[1])), -1, np.intp)
        block_features[:, : paths.features.shape[1]] = paths.features[roots]
        block_features[unique_keys // p_model, root_d[unique_keys // p_model] + new_rank] = unique_keys % p_model

        # Internal nodes of each block, numbered 0 .. k-1; padding reads the router's
        # last row, which is always False.
        k = paths.n_internal[roots]
        block_bits = root_d + k
        inner = np.flatnonzero((block_of >= 0) & (ens.left >= 0))
        bpos = np.full(n, -1, np.intp)
        bpos[inner] = _group_rank(block_of[inner])
        k_max = int(k.max(initial=0))
        block_gpos = np.full((n_blocks, k_max), len(paths.internal), np.intp)
        block_gpos[block_of[inner], bpos[inner]] = paths.gpos[inner]

        # Steps of each leaf inside its block: (direction bit, child is left, slot).
        leaf_root = roots[leaf_block]
        node = leaves.copy()
        step_pos, step_left, step_bit = [], [], []
        active = node != leaf_root
        while active.any():
            p = np.where(active, paths.parent[node], node)
            step_pos.append(np.where(active, bpos[p], -1))
            step_left.append(paths.is_left[node].astype(np.intp))
            step_bit.append(np.where(active, paths.bit[node], 0))
            node = p
            active = node != leaf_root

        # Tables per feature slot j, each covering the blocks having slot j; a block's
        # entries sit at the same offset in every one of them.
        size = 2**block_bits
        block_base = np.r_[0, np.cumsum(size)[:-1]].astype(np.intp)
        slot_counts = [int((block_d > j).sum()) for j in range(int(block_d.max(initial=0)))]
        rank_lengths = [int(block_base[c - 1] + size[c - 1]) for c in slot_counts]
        rank_offset = np.r_[0, np.cumsum(rank_lengths)].astype(np.intp)
        self.tables = np.zeros((self.width, int(rank_offset[-1])))
        reference_fail = None
        if self.reference_goes_left is not None:
            reference_fail = _Descent(paths, leaves)(self.reference_goes_left)  # (n_leaves, n_reference)
        leaf_bits = block_bits[leaf_block]
        leaf_k = k[leaf_block]
        steps = (step_pos, step_left, step_bit)
        layout = (rank_offset, block_base, block_slot, leaf_block)
        # Blocks in chunks of bounded work and memory: the tables of their leaves, then
        # the blocks' tables.
        work = np.bincount(leaf_block, weights=d * (2.0**d + 2.0**leaf_bits), minlength=n_blocks)
        chunk_of_block = np.floor(np.cumsum(work) / _BUILD_CHUNK).astype(np.intp)
        first_leaf = np.searchsorted(leaf_block, np.arange(n_blocks + 1))
        direct_pairs = reference_fail is None  # path-dependent pairs skip leaf tables
        for blocks in np.split(np.arange(n_blocks), np.flatnonzero(np.diff(chunk_of_block)) + 1):
            chunk = np.arange(first_leaf[blocks[0]], first_leaf[blocks[-1] + 1])
            tabled = np.ones(len(chunk), bool)
            if direct_pairs:
                tabled = kind[leaf_block[chunk]] != _PAIR
            fail = None if reference_fail is None else reference_fail[chunk]
            leaf_tables, base = self._leaf_tables(leaves[chunk[tabled]], d[chunk[tabled]], fail)
            table_base = np.full(len(chunk), -1, np.intp)
            table_base[tabled] = base
            # Runs of consecutive blocks of one kind, number of features and index bits.
            key = np.stack([kind[blocks], block_d[blocks], block_bits[blocks]])
            cuts = np.flatnonzero((key[:, 1:] != key[:, :-1]).any(axis=0)) + 1
            for run in np.split(blocks, cuts):
                run_leaves = np.arange(first_leaf[run[0]], first_leaf[run[-1] + 1])
                local = run_leaves - chunk[0]
                n_bits, n_features = int(block_bits[run[0]]), int(block_d[run[0]])
                if n_features == 0:
                    continue
                if kind[run[0]] == _OTHER:
                    self._fill_any(
                        leaf_tables, table_base[local], leaves, d, run_leaves, leaf_k, leaf_bits, steps, layout
                    )
                elif kind[run[0]] == _PAIR and direct_pairs:
                    self._fill_path_dependent_pairs(leaves[run_leaves], n_features, rank_offset, block_base[run[0]])
                else:
                    start = table_base[local[0]]
                    stacked = leaf_tables[start : start + len(run_leaves) * n_features * 2**n_features]
                    stacked = stacked.reshape(len(run_leaves), n_features, 2**n_features)
                    self._fill_alike(stacked, kind[run[0]], leaves[run_leaves], rank_offset, block_base[run[0]], n_bits)

        # Explain-time plan.
        self.n_blocks = n_blocks
        self.descent = _Descent(paths, roots)
        self.block_shift = k.astype(np.int16)[:, None]
        # Directions inside the blocks: bit i of a block's index is its i-th internal
        # node's direction. Dense bits are set for all blocks (padding reads an always
        # False row), sparse ones for the blocks having that node only.
        self.direction_steps = []
        for i in range(k_max):
            has = np.flatnonzero(k > i)
            if 2 * len(has) >= n_blocks:
                self.direction_steps.append((i, None, block_gpos[:, i]))
            else:
                self.direction_steps.append((i, has, block_gpos[has, i]))
        self.block_base = block_base[:, None]
        self.slot_counts = slot_counts
        self.rank_ranges = list(zip(rank_offset[:-1], rank_offset[1:]))
        self.n_slots = int(sum(slot_counts))
        # One sparse matrix per slot j adds the values read for slot j of every block
        # into the rows of phi (feature * n_outputs + output column).
        columns = ens.tree_columns[self.tree_of[roots]]  # (n_blocks, width)
        self.reduce = []
        for j, count in enumerate(slot_counts):
            rows = (block_features[:count, j, None] * ens.n_outputs + columns[:count]).T.ravel()
            self.reduce.append(
                sparse.csr_matrix(
                    (np.ones(len(rows)), (rows, np.arange(len(rows)))),
                    shape=(p_model * ens.n_outputs, self.width * count),
                )
            )

    def _fill_alike(self, stacked, kind, leaves, rank_offset, base, n_bits):
        """Fill a run of consecutive single-leaf or sibling-pair blocks by slicing.

        ``stacked`` holds the leaves' tables, shape (n_leaves, d, 2**d), in block
        order (left before right). A single leaf's block table is its own table. Two
        sibling leaves under a new feature (their last slot) make a block indexed by
        ``2 * parent fail pattern + goes left``: going left, the left leaf sees the
        parent's pattern and the right one the same with the new feature failed, and
        the other way round going right.
        """
        n_leaves, n_features, size = stacked.shape
        n_blocks = n_leaves if kind == _SINGLE else n_leaves // 2
        span = n_blocks * 2**n_bits
        for o in range(self.width):
            tables = stacked
            if self.width > 1:
                tables = stacked * self.ens.value[leaves, o][:, None, None]
            if kind == _PAIR:
                half = size // 2
                pair = tables.reshape(n_blocks, 2, n_features, size)
                left, right = pair[:, 0], pair[:, 1]
                merged = np.empty((n_blocks, n_features, half, 2))
                np.add(left[:, :, :half], right[:, :, half:], out=merged[..., 1])
                np.add(left[:, :, half:], right[:, :, :half], out=merged[..., 0])
                tables = merged.reshape(n_blocks, n_features, size)
            for j in range(n_features):
                start = rank_offset[j] + base
                np.copyto(self.tables[o, start : start + span].reshape(n_blocks, -1), tables[:, j])

    def _fill_path_dependent_pairs(self, leaves, n_features, rank_offset, base):
        """Path-dependent tables of a run of sibling-pair blocks, without leaf tables.

        ``leaves`` alternate left and right children of parents with ``m`` path
        features; the split feature is new, slot ``m = n_features - 1`` of both
        leaves. Both leaves share the parent's product of factors ``P(U, t)`` (see
        :func:`_path_dependent_tables`) and differ only in the factor of the new
        feature, so the block table (index ``2 * U + goes left``) is one product with
        the two leaves' factors and values combined per direction.
        """
        ens, m = self.ens, n_features - 1
        left, right = leaves[0::2], leaves[1::2]
        n_blocks = len(left)
        ratio = self.paths.ratio[left, :m]  # the parent's features: shared
        rho_left, rho_right = self.paths.ratio[left, m], self.paths.ratio[right, m]
        value_left, value_right = ens.value[left], ens.value[right]
        for leaf, value in ((left, value_left), (right, value_right)):
            reach = self.paths.ratio[leaf, : m + 1].prod(axis=1)
            np.add.at(self.expected_value, ens.tree_columns[self.tree_of[leaf]], value * reach[:, None])
        t, w = gauss_legendre((n_features + 1) // 2)
        r = ratio[:, None, :]  # (n_blocks, 1, m)
        satisfied = r + t[None, :, None] * (1.0 - r)  # (n_blocks, Q, m)
        product = _pattern_products(satisfied, r * (1.0 - t)[None, :, None])  # (n_blocks, Q, 2**m)
        gain = (w[None, :, None] * (1.0 - r) / satisfied).transpose(0, 2, 1)  # (n_blocks, m, Q)

        def factors(rho):  # the new feature's factor when satisfied / failed, (n_blocks, Q)
            return rho[:, None] + t * (1.0 - rho[:, None]), rho[:, None] * (1.0 - t)

        (sat_left, fail_left), (sat_right, fail_right) = factors(rho_left), factors(rho_right)
        mass = w @ product  # (n_blocks, 2**m): integral of the parent's product
        span = n_blocks * 2**n_features
        for o in range(self.width):
            vl, vr = value_left[:, o, None], value_right[:, o, None]
            # Going right (0): the left leaf fails the new feature; going left (1): the right one.
            combined = np.stack([vl * fail_left + vr * sat_right, vl * sat_left + vr * fail_right], axis=-1)
            weighted = (product[:, :, :, None] * combined[:, :, None, :]).reshape(n_blocks, len(t), -1)
            tables = np.empty((n_blocks, n_features, 2**n_features))
            np.matmul(gain, weighted, out=tables[:, :m])
            loss = (-w / (1.0 - t)) @ weighted  # (n_blocks, 2 * 2**m)
            for j in range(m):  # index bit j + 1 is parent feature j: failed half from loss
                failed = (slice(None), slice(None), 1)
                tables[:, j].reshape(n_blocks, -1, 2, 2 ** (j + 1))[failed] = loss.reshape(
                    n_blocks, -1, 2, 2 ** (j + 1)
                )[failed]
            new_gain = np.stack(
                [
                    -vl[:, 0] * rho_left + vr[:, 0] * (1.0 - rho_right),
                    vl[:, 0] * (1.0 - rho_left) - vr[:, 0] * rho_right,
                ],
                axis=-1,
            )  # (n_blocks, 2): the new feature's value per direction, per unit of mass
            tables[:, m] = (mass[:, :, None] * new_gain[:, None, :]).reshape(n_blocks, -1)
            for j in range(n_features):
                start = rank_offset[j] + base
                np.copyto(self.tables[o, start : start + span].reshape(n_blocks, -1), tables[:, j])

    def _fill_any(self, leaf_tables, table_base, leaves, d, run, leaf_k, leaf_bits, steps, layout):
        """Add the leaves ``run`` to their blocks' tables, re-indexing each leaf table.

        A block's index is its root's fail pattern followed by the directions at its
        internal nodes; the leaf's fail pattern for each index is the root's pattern
        plus the features the leaf's path fails inside the block.
        """
        step_pos, step_left, step_bit = steps
        rank_offset, block_base, block_slot, leaf_block = layout
        for n_bits in np.unique(leaf_bits[run]):
            for leaf_d in np.unique(d[run][leaf_bits[run] == n_bits]):
                if leaf_d == 0:
                    continue
                here = np.flatnonzero((leaf_bits[run] == n_bits) & (d[run] == leaf_d))
                group = run[here]
                index = np.arange(2**n_bits)
                pattern = index[None, :] >> leaf_k[group][:, None]  # the root's fail pattern
                for pos, left, bit in zip(step_pos, step_left, step_bit):
                    pos = pos[group][:, None]
                    wrong = (((index[None, :] >> np.maximum(pos, 0)) & 1) ^ left[group][:, None]) & (pos >= 0)
                    pattern |= wrong << bit[group][:, None]
                source = table_base[here][:, None] + np.arange(leaf_d) * 2**leaf_d  # (n_group, leaf_d)
                gathered = leaf_tables[source[:, :, None] + pattern[:, None, :]].ravel()
                target = rank_offset[block_slot[group, :leaf_d]] + block_base[leaf_block[group]][:, None]
                target = (target[:, :, None] + index).ravel()  # add.at is fastest on 1-d
                if self.width == 1:
                    np.add.at(self.tables[0], target, gathered)
                else:
                    for o in range(self.width):
                        scale = np.repeat(self.ens.value[leaves[group], o], gathered.size // len(group))
                        np.add.at(self.tables[o], target, gathered * scale)

    def _build_deep(self, leaves, d):
        """Leaves with too many path features for a table: formulas without tables."""
        self.deep = None
        if len(leaves) == 0:
            return
        if self.reference_goes_left is None:
            self.deep = _LinearPathDependent(self, leaves, d)
        elif d.max() <= _MAX_PATTERN_BITS:
            self.deep = _CompatiblePairs(self, leaves, d)
        else:
            self.deep = _AllPairs(self, leaves, d)

    # ---- explaining ----------------------------------------------------------------

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        per_row = 3 * self.width * self.n_blocks + len(self.paths.internal) // 4 + 1
        if self.deep is not None:
            per_row += self.deep.cells_per_row
        return per_row

    def explain_chunk(self, Xm):
        """Shapley values of model-input rows, shape (n_rows, n_model_features, n_outputs)."""
        ens = self.ens
        n_rows = len(Xm)
        goes_left = self.router(np.ascontiguousarray(Xm.T))
        phi = np.zeros((ens.n_model_features * ens.n_outputs, n_rows))
        if self.n_slots:
            local = np.left_shift(self.descent(goes_left), self.block_shift)  # (n_blocks, n_rows) int16
            for i, blocks, gpos in self.direction_steps:
                bit = np.left_shift(goes_left[gpos].view(np.int8), i, dtype=np.int16)
                if blocks is None:
                    local |= bit
                else:
                    local[blocks] |= bit
            index = np.add(local, self.block_base, dtype=np.intp)
            values = np.empty((self.width * self.n_blocks, n_rows))
            for count, (lo, hi), reduce in zip(self.slot_counts, self.rank_ranges, self.reduce):
                for o in range(self.width):
                    self.tables[o, lo:hi].take(index[:count], out=values[o * count : (o + 1) * count], mode="clip")
                phi += reduce @ values[: self.width * count]
        if self.deep is not None:
            phi += self.deep(goes_left)
        return phi.reshape(ens.n_model_features, ens.n_outputs, n_rows).transpose(2, 0, 1)


def _popcount64(x):
    """Set bits of each int64 of ``x``."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.intp)
    as_bytes = np.ascontiguousarray(x, dtype=np.int64).view(np.uint8).reshape(*x.shape, 8)
    return _BYTE_POPCOUNT[as_bytes].sum(axis=-1)


_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.intp)


def _output_rows(ens, features, columns):
    """Row of ``phi`` (feature * n_outputs + column) for each (item, width) pair."""
    return features[:, None] * ens.n_outputs + columns


class _LinearPathDependent:
    """Path-dependent values of leaves without tables: one pass down, one pass up.

    For a leaf, the value is ``phi_j = integral_0^1 (s_j - r_j) / F_j(t) * G(t) dt``
    with ``F_k(t) = r_k + t (s_k - r_k)`` for each path feature (``s_k``: the row
    satisfies the feature's splits, ``r_k``: their cover ratio) and
    ``G(t) = value * prod_k F_k(t)``, a polynomial of degree ``d``. Writing the
    feature's factor as a telescoping sum over its splits on the path, each edge
    contributes ``(h_child - h_before) * sum of G over the leaves below``, with
    ``h = (s - r) / F`` for the feature's splits up to the child, and before it
    (Linear TreeSHAP, Yu et al. 2022). Products go down the tree, sums of ``G`` come
    up, and every polynomial is kept by its values at ``ceil(d / 2) + 1``
    Gauss-Legendre nodes, which integrate it exactly. Work per row is proportional
    to the number of nodes above the leaves.
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        n = ens.n_nodes
        self.width = plan.width
        t, w = gauss_legendre(int(d.max()) // 2 + 1)
        self.t = t[:, None]  # (Q, 1)
        w = w[None, :, None]
        keep = np.zeros(n, bool)
        keep[leaves] = True
        for level in reversed(paths.levels[1:]):
            keep[paths.parent[level[keep[level]]]] = True
        is_deep_leaf = np.zeros(n, bool)
        is_deep_leaf[leaves] = True
        roots = paths.levels[0][keep[paths.levels[0]]]
        pos = np.full(n, -1, np.intp)
        pos[roots] = np.arange(len(roots))
        last_edge = np.full((len(roots), paths.features.shape[1]), -1, np.intp)
        size = len(roots)
        frontier = roots
        value = ens.value
        ratio = np.maximum(paths.ratio, 1e-12)  # zero cover would divide by zero below
        self.levels = []
        while True:
            has = ens.left[frontier] >= 0
            parent_local = np.flatnonzero(has)
            parent_local = np.concatenate([parent_local, parent_local])
            children = np.concatenate([ens.left[frontier[has]], ens.right[frontier[has]]])
            kept = keep[children]
            children, parent_local = children[kept], parent_local[kept]
            if len(children) == 0:
                break
            m = len(children)
            parents = frontier[parent_local]
            slot = paths.bit[children]
            pos[children] = size + np.arange(m)
            previous = last_edge[parent_local, slot]  # earlier split on the same feature, or -1
            child_edges = last_edge[parent_local]
            child_edges[np.arange(m), slot] = pos[children]
            leaf = is_deep_leaf[children]
            columns = ens.tree_columns[plan.tree_of[children]]  # (m, width)
            rows = _output_rows(ens, ens.feature[parents], columns).ravel()
            # Factors and weights for the three cases (satisfied after / before the
            # edge): both, only before, neither (see the class docstring).
            r = ratio[children, slot][:, None, None]
            r_before = np.where(previous >= 0, ratio[parents, slot], 1.0)[:, None, None]
            t = self.t[None]  # (1, Q, 1)
            sat, sat_before = r + t * (1.0 - r), r_before + t * (1.0 - r_before)
            h_before = (1.0 - r_before) / sat_before
            self.levels.append(
                {
                    "positions": slice(size, size + m),
                    "parent_local": parent_local,
                    "n_left": int(kept[: len(kept) // 2].sum()),
                    "gpos": paths.gpos[parents],
                    "is_left": paths.is_left[children][:, None],
                    "previous": previous,
                    "ratio": (sat / sat_before, r * (1.0 - t) / sat_before, r / r_before),
                    "weight": ((((1.0 - r) / sat) - h_before) * w, (-1.0 / (1.0 - t) - h_before) * w),
                    "leaf": np.flatnonzero(leaf),
                    "leaf_value": value[children[leaf]][:, :, None, None],  # (n_leaf, width, 1, 1)
                    "reduce": sparse.csr_matrix(
                        (np.ones(len(rows)), (rows, np.arange(len(rows)))),
                        shape=(ens.n_model_features * ens.n_outputs, m * self.width),
                    ),
                }
            )
            size += m
            frontier = children
            last_edge = child_edges
        self.size = size
        self.n_roots = len(roots)
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        self.cells_per_row = size * len(self.t) * (self.width + 3)
        # The cover-weighted mean of the leaves: value times the product of ratios.
        reach = np.where(np.arange(paths.ratio.shape[1])[None, :] < d[:, None], paths.ratio[leaves], 1.0).prod(axis=1)
        np.add.at(plan.expected_value, ens.tree_columns[plan.tree_of[leaves]], value[leaves] * reach[:, None])

    def __call__(self, goes_left):
        n_rows = goes_left.shape[1]
        n_nodes = len(self.t)
        satisfied = np.ones((self.size + 1, n_rows), bool)  # last row: "no earlier split"
        product = np.ones((self.n_roots, n_nodes, n_rows))
        # Down: which path features each node's row satisfies, and the product of the
        # factors; G at the leaves.
        below, cases = [], []
        for level in self.levels:
            ok = goes_left[level["gpos"]] == level["is_left"]
            before = satisfied[level["previous"]]
            s = ok & before
            satisfied[level["positions"]] = s
            both, only_before, neither = level["ratio"]
            s, before = s[:, None, :], before[:, None, :]
            product = product[level["parent_local"]] * np.where(s, both, np.where(before, only_before, neither))
            below.append(level["leaf_value"] * product[level["leaf"]][:, None])  # (n_leaf, width, Q, n_rows)
            cases.append((s, before))
        # Up: sums of G below every node, and each edge's contribution.
        phi = np.zeros((self.n_output_rows, n_rows))
        carried = None
        for level, leaf_sums, (s, before) in zip(reversed(self.levels), reversed(below), reversed(cases)):
            m = len(level["parent_local"])
            sums = np.zeros((m, self.width, n_nodes, n_rows))
            sums[level["leaf"]] = leaf_sums
            if carried is not None:
                sums[: len(carried)] += carried
            both, only_before = level["weight"]
            weight = np.where(s, both, np.where(before, only_before, 0.0))  # (m, Q, n_rows)
            contribution = np.einsum("mqr,mwqr->mwr", weight, sums)
            phi += level["reduce"] @ contribution.reshape(m * self.width, n_rows)
            parent_local, n_left = level["parent_local"], level["n_left"]
            carried = np.zeros((int(parent_local.max()) + 1,) + sums.shape[1:])
            carried[parent_local[:n_left]] = sums[:n_left]
            carried[parent_local[n_left:]] += sums[n_left:]
        return phi


class _CompatiblePairs:
    """Interventional values of leaves without tables, from compatible pairs only.

    A hybrid of an explained row ``x`` and a reference row ``z`` reaches a leaf only
    when no path feature is failed by both, that is when their fail patterns
    (int64 bit sets) are disjoint. For deep leaves few pairs are: they are found with
    one AND per (leaf, row, reference), and only they are weighted by the closed form
    of the module docstring (``A``: features ``z`` fails, ``B``: features ``x`` fails).
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        self.descent = _Descent(paths, leaves, dtype=np.int64)
        self.reference_fail = self.descent(plan.reference_goes_left)  # (n_leaves, n_reference)
        self.reference_weights = plan.reference_weights
        self.value = ens.value[leaves]  # (n_leaves, width)
        columns = ens.tree_columns[plan.tree_of[leaves]]
        self.d_max = int(d.max())
        features = np.where(np.arange(self.d_max)[None, :] < d[:, None], paths.features[leaves][:, : self.d_max], 0)
        # phi row of (leaf, slot, output): feature * n_outputs + column
        self.rows = features[:, :, None] * ens.n_outputs + columns[:, None, :]
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        self.w_a, self.w_b = _shapley_weights(self.d_max)
        reach = (self.reference_fail == 0) @ self.reference_weights
        np.add.at(plan.expected_value, columns, self.value * reach[:, None])
        self.cells_per_row = len(leaves) * (len(self.reference_weights) // 4 + 1)

    def __call__(self, goes_left):
        n_rows = goes_left.shape[1]
        fail = self.descent(goes_left)  # (n_leaves, n_rows)
        reference = self.reference_fail
        n_reference = reference.shape[1]
        phi = np.zeros(self.n_output_rows * n_rows)
        step = max(1, 2**21 // max(n_rows * n_reference, 1))
        for start in range(0, len(fail), step):
            stop = min(start + step, len(fail))
            both = fail[start:stop, :, None] & reference[start:stop, None, :]
            flat = np.flatnonzero(both == 0)  # compatible (leaf, row, reference) triples
            pair, ref = np.divmod(flat, n_reference)  # pair = leaf * n_rows + row
            leaf, row = np.divmod(pair, n_rows)
            leaf += start
            x_fails, z_fails = fail[leaf, row], reference[leaf, ref]
            size_a, size_b = _popcount64(z_fails), _popcount64(x_fails)
            mass = self.reference_weights[ref]
            # Features only the explained row satisfies (z fails them) gain...
            self._scatter(phi, n_rows, leaf, row, z_fails, self.w_a[size_a, size_b] * mass)
            # ... and those only the reference satisfies (x fails them) lose; x's fail
            # pattern is the same for every reference, so sum over references first.
            loss = np.bincount(pair, weights=self.w_b[size_a, size_b] * mass, minlength=(stop - start) * n_rows)
            pair = np.flatnonzero(loss)
            leaf, row = np.divmod(pair, n_rows)
            self._scatter(phi, n_rows, leaf + start, row, fail[leaf + start, row], -loss[pair])
        return phi.reshape(self.n_output_rows, n_rows)

    def _scatter(self, phi, n_rows, leaf, row, bits, amount):
        """Add ``amount`` to every path feature in the bit sets ``bits`` of each item."""
        item = np.arange(len(bits))
        bits = bits.copy()
        keep = bits != 0
        item, bits = item[keep], bits[keep]
        while len(item):
            lowest = bits & -bits
            slot = np.frexp(lowest.astype(np.float64))[1] - 1  # exact: lowest is a power of two
            for o in range(self.value.shape[1]):
                target = self.rows[leaf[item], slot, o] * n_rows + row[item]
                phi += np.bincount(target, weights=amount[item] * self.value[leaf[item], o], minlength=phi.size)
            bits ^= lowest
            keep = bits != 0
            item, bits = item[keep], bits[keep]


class _AllPairs:
    """Interventional values of leaves with more path features than an int64 holds.

    Every (leaf, row, reference) triple, with boolean satisfaction per path feature:
    slow, but only met on paths with more than _MAX_PATTERN_BITS distinct features.
    """

    def __init__(self, plan, leaves, d):
        paths, ens = plan.paths, plan.ens
        self.d_max = d_max = int(d.max())
        node = leaves.copy()
        gpos, left, slot = [], [], []
        while (node >= 0).any():  # every edge of each path, padded with no-ops
            p = np.where(node >= 0, paths.parent[np.maximum(node, 0)], -1)
            edge = p >= 0
            gpos.append(np.where(edge, paths.gpos[np.maximum(p, 0)], len(paths.internal)))
            left.append(edge & paths.is_left[np.maximum(node, 0)])
            slot.append(np.where(edge, paths.bit[np.maximum(node, 0)], d_max))
            node = p
        self.gpos, self.left, self.slot = np.array(gpos).T, np.array(left).T[:, :, None], np.array(slot).T
        self.reference = self._satisfied(plan.reference_goes_left).astype(np.float64)
        self.reference_weights = plan.reference_weights
        value = ens.value[leaves]
        columns = ens.tree_columns[plan.tree_of[leaves]]
        reach = (self.reference.min(axis=1)) @ self.reference_weights
        np.add.at(plan.expected_value, columns, value * reach[:, None])
        present = np.arange(d_max)[None, :] < d[:, None]
        features = np.where(present, paths.features[leaves][:, :d_max], 0)
        rows = features[:, :, None] * ens.n_outputs + columns[:, None, :]
        weights = present[:, :, None] * value[:, None, :]
        shape = (ens.n_model_features * ens.n_outputs, rows[:, :, 0].size)
        self.reduce = [
            sparse.csr_matrix((weights[:, :, o].ravel(), (rows[:, :, o].ravel(), np.arange(shape[1]))), shape=shape)
            for o in range(plan.width)
        ]
        self.w_a, self.w_b = _shapley_weights(d_max)
        self.cells_per_row = len(leaves) * d_max * len(self.reference_weights)

    def _satisfied(self, goes_left):
        """Satisfied path features: bool (n_leaves, d_max, n_rows)."""
        n_leaves, n_edges = self.gpos.shape
        fail = np.zeros((n_leaves, self.d_max + 1, goes_left.shape[1]), bool)
        leaves = np.arange(n_leaves)
        for t in range(n_edges):
            fail[leaves, self.slot[:, t]] |= goes_left[self.gpos[:, t]] != self.left[:, t]
        return ~fail[:, :-1]

    def __call__(self, goes_left):
        x = self._satisfied(goes_left).astype(np.float64)  # (n_leaves, d, n_rows)
        z = self.reference  # (n_leaves, d, n_reference)
        x_t = x.transpose(0, 2, 1)
        size_a = np.rint(x_t @ (1.0 - z)).astype(np.intp)  # |A| per (leaf, row, reference)
        size_b = np.rint((1.0 - x_t) @ z).astype(np.intp)  # |B|
        compatible = ((1.0 - x_t) @ (1.0 - z)) < 0.5  # no feature failed by both
        mass = compatible * self.reference_weights
        gain = (1.0 - z) @ (self.w_a[size_a, size_b] * mass).transpose(0, 2, 1)  # (n_leaves, d, n_rows)
        loss = z @ (self.w_b[size_a, size_b] * mass).transpose(0, 2, 1)
        flat = (x * gain - (1.0 - x) * loss).reshape(-1, goes_left.shape[1])
        return sum(reduce @ flat for reduce in self.reduce)
