"""Readers of the boosting libraries' models: XGBoost, LightGBM and CatBoost.

Each reads a fitted scikit-learn estimator of its library through the library's public
dump (XGBoost's JSON model, LightGBM's ``dump_model``, CatBoost's JSON export) into a
:class:`TreeEnsemble` of the raw output (the margin: log-odds for binary classifiers,
one score per class for multiclass ones, the prediction of regressors with an identity
link). Nothing here imports a library: a reader is picked by the module that defines
the estimator's class, so a library is only ever touched through a model of it that the
caller passed.

The split rules are the libraries' own. XGBoost and CatBoost compare float32 inputs
(``x < split`` and ``x > border``), LightGBM float64 ones (``x <= threshold``), and
where missing values go is read per node (``default_left``, LightGBM's ``missing_type``,
CatBoost's ``nan_value_treatment``). Native categorical splits are category sets
(LightGBM's ``==`` splits on pandas categories or integer codes, XGBoost's with
``enable_categorical``); CatBoost's categorical splits (one-hot on hashed values, and
target statistics of categories and their combinations) do not map onto the input
columns and are refused, naming the features.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from ._ensemble import SPLIT_BITSET, SPLIT_NUMERIC, SPLIT_ZERO_MISSING, TreeEnsemble, TreeList

__all__ = ["library_reader", "raw_output"]


# The base class of each library's scikit-learn estimators (not its Booster objects).
_ESTIMATOR_BASES = {("xgboost", "XGBModel"), ("lightgbm", "LGBMModel"), ("catboost", "CatBoost")}


def _library(estimator):
    """The boosting library whose scikit-learn estimator ``estimator`` is, or None."""
    for cls in type(estimator).__mro__:
        library = cls.__module__.split(".")[0]
        if (library, cls.__name__) in _ESTIMATOR_BASES:
            return library
    return None


def library_reader(estimator: Any) -> Callable[..., TreeEnsemble] | None:
    """``reader(estimator, output, decode)`` for a boosting library's estimator, or None."""
    library = _library(estimator)
    return None if library is None else _READERS[library]


def raw_output(estimator: Any) -> Callable[[Any], np.ndarray] | None:
    """The raw (margin) output of a boosting library's classifier, or None.

    XGBoost's, LightGBM's and CatBoost's classifiers have no ``decision_function``;
    their raw score is what their trees add up to and what TreeSHAP explains.
    """
    library = _library(estimator)
    if library is None:
        return None
    keyword = {"xgboost": {"output_margin": True}, "lightgbm": {"raw_score": True}}
    kwargs = keyword.get(library, {"prediction_type": "RawFormulaVal"})
    return lambda X: estimator.predict(X, **kwargs)


def _additive_output(estimator, output, identity_link, loss):
    """The output read: the raw score, named as glassbox names it; refuse non-additive ones."""
    from ._readers import resolve_tree_output

    name = type(estimator).__name__
    if hasattr(estimator, "predict_proba"):  # the libraries' classifiers
        return resolve_tree_output(estimator, output, "decision_function")
    if not identity_link:
        raise ValueError(
            f"{name} with the {loss} objective predicts a transformation of a sum of trees, which is not "
            "additive; TreeSHAP cannot explain predict exactly. Use method='kernel'."
        )
    return resolve_tree_output(estimator, output, "predict")


def _category_transform(decode, categories):
    """Rows -> model input with each categorical column as its training category codes.

    ``categories`` maps input column -> the training categories in code order; values
    the model never saw become missing.
    """
    if decode is None or not categories:
        return None

    def transform(X):
        import pandas as pd

        frame = decode(X)
        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
        out = np.empty(frame.shape, np.float64)
        for j in range(frame.shape[1]):
            column = frame.iloc[:, j]
            if j in categories:
                codes = pd.Categorical(np.asarray(column, dtype=object), categories=categories[j]).codes
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                out[:, j] = pd.to_numeric(column, errors="coerce")
        return out

    return transform


def _bitsets(nodes_sets, n_nodes, complement=False):
    """(n_nodes, 2, n_words) bitsets: the categories going left and every category known."""
    top = max((max(s) for s in nodes_sets.values() if len(s)), default=0)
    words = top // 32 + 1
    bitsets = np.zeros((n_nodes, 2, words), np.uint32)
    for node, cats in nodes_sets.items():
        bits = np.zeros(32 * words, bool)
        bits[np.asarray(cats, np.intp)] = True
        bits = ~bits if complement else bits
        bitsets[node, 0] = np.packbits(bits.reshape(words, 32)[:, ::-1], axis=1).view(">u4").reshape(words)
        bitsets[node, 1] = np.uint32(0xFFFFFFFF)
    return bitsets


# -- XGBoost ----------------------------------------------------------------------------
_XGB_LOGIT = ("binary:logistic", "reg:logistic")  # base_score is a probability (others: the margin)
_XGB_IDENTITY = (
    "reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
    "reg:quantileerror", "reg:linear",
)  # fmt: skip


def _read_xgboost(estimator, output, decode):
    name = type(estimator).__name__
    booster = estimator.get_booster()  # raises NotFittedError when not fitted
    model = json.loads(bytes(booster.save_raw("json")))
    learner = model["learner"]
    objective = learner["objective"]["name"]
    if callable(getattr(estimator, "objective", None)):
        raise ValueError(
            f"{name} was fitted with a custom objective: its output's link and base score are unknown to "
            "TreeSHAP. Refit with a built-in objective, or use method='kernel'."
        )
    booster_kind = learner["gradient_booster"]["name"]
    if booster_kind == "gblinear":
        raise ValueError(f"{name}(booster='gblinear') is a linear model, not trees. Use method='linear' or 'kernel'.")
    if booster_kind == "dart":
        gbtree = learner["gradient_booster"]["gbtree"]["model"]
        weights = np.asarray(learner["gradient_booster"]["weight_drop"], np.float64)
    else:
        gbtree = learner["gradient_booster"]["model"]
        weights = np.ones(len(gbtree["trees"]))
    method = _additive_output(estimator, output, objective in _XGB_IDENTITY, objective)
    params = learner["learner_model_param"]
    n_outputs = max(int(params.get("num_class", "0")), int(params.get("num_target", "1")), 1)
    base = np.asarray(json.loads(params["base_score"].replace("E", "e")), np.float64).reshape(-1)
    if objective in _XGB_LOGIT:
        base = np.log(base / (1.0 - base))
    n_trees = len(gbtree["trees"])
    try:
        best = estimator.best_iteration  # the sklearn estimators predict with it
        n_trees = int(np.asarray(gbtree["iteration_indptr"])[best + 1])
    except (AttributeError, KeyError, IndexError):
        pass
    trees = TreeList()
    for t in range(n_trees):
        tree = gbtree["trees"][t]
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            raise ValueError(
                f"{name} was fitted with multi_strategy='multi_output_tree' (vector leaves); TreeSHAP reads "
                "one output per tree. Refit with the default multi_strategy, or use method='kernel'."
            )
        left = np.asarray(tree["left_children"], np.intp)
        split = np.asarray(tree["split_conditions"], np.float32)
        is_leaf = left < 0
        # x < split goes left: for float32 x, x <= the float32 just below split.
        threshold = np.where(is_leaf, 0.0, np.nextafter(split, np.float32(-np.inf)))
        kind, bitsets = None, None
        if tree.get("categories_nodes"):
            kind = np.asarray(tree["split_type"], np.int8) * SPLIT_BITSET
            cats, start = tree["categories"], tree["categories_segments"]
            sets = {
                node: cats[s : s + n]
                for node, s, n in zip(tree["categories_nodes"], start, tree["categories_sizes"])
            }
            bitsets = _bitsets(sets, len(left), complement=True)  # XGBoost's sets go right
        trees.add(
            left,
            tree["right_children"],
            np.where(is_leaf, -1, tree["split_indices"]),
            threshold,
            tree["default_left"],
            tree["sum_hessian"],
            np.where(is_leaf, split.astype(np.float64) * weights[t], 0.0),
            [gbtree["tree_info"][t]],
            kind=kind,
            bitsets=bitsets,
        )
    categories = {}
    for j, enc in enumerate(gbtree.get("cats", {}).get("enc", [])):
        if "offsets" in enc and len(enc["offsets"]) > 1:
            raw, at = bytes(enc["values"]), enc["offsets"]
            categories[j] = [raw[a:b].decode("utf-8") for a, b in zip(at[:-1], at[1:])]
        elif enc.get("values"):
            categories[j] = list(enc["values"])
    return trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=int(booster.num_features()),
        offset=np.broadcast_to(base, (n_outputs,)).copy(),
        float32_inputs=True,
        cover_is_count=objective in ("reg:squarederror", "reg:linear"),  # elsewhere hessians are not 1
        transform=_category_transform(decode, categories),
    )


# -- LightGBM ---------------------------------------------------------------------------
_LGB_IDENTITY = ("regression", "regression_l2", "l2", "regression_l1", "l1", "huber", "fair", "quantile", "mape")


def _read_lightgbm(estimator, output, decode):
    name = type(estimator).__name__
    if not estimator.__sklearn_is_fitted__():
        raise NotFittedError(f"This {name} is not fitted yet; fit it before computing TreeSHAP values.")
    booster = estimator.booster_
    dump = booster.dump_model()  # at the best iteration, as predict
    objective = str(dump.get("objective", "regression")).split(" ")[0]
    method = _additive_output(estimator, output, objective in _LGB_IDENTITY, objective)
    per_iteration = int(dump["num_tree_per_iteration"])
    # In random forest mode (average_output) LightGBM's raw score and its own contributions
    # are the sum over the trees (its probabilities take their mean): the sum is read.
    trees = TreeList()
    for t, info in enumerate(dump["tree_info"]):
        _add_lightgbm_tree(trees, info["tree_structure"], [t % per_iteration])
    categories = {}
    pandas_categorical = dump.get("pandas_categorical") or []
    if decode is not None and pandas_categorical:
        import pandas as pd

        frame = decode(np.zeros((0, int(dump["max_feature_idx"]) + 1)))
        positions = [j for j in range(frame.shape[1]) if isinstance(frame.dtypes.iloc[j], pd.CategoricalDtype)]
        if len(positions) == len(pandas_categorical):
            categories = dict(zip(positions, pandas_categorical))
    return trees.build(
        n_outputs=per_iteration,
        output_method=method,
        n_features=int(dump["max_feature_idx"]) + 1,
        offset=np.zeros(per_iteration),
        transform=_category_transform(decode, categories),
    )


def _add_lightgbm_tree(trees, root, columns):
    """One tree of ``dump_model`` (nested dicts), numbered depth first."""
    nodes, left, right = [], [], []
    stack = [(root, -1, False)]
    while stack:
        node, parent, is_right = stack.pop()
        i = len(nodes)
        nodes.append(node)
        left.append(-1)
        right.append(-1)
        if parent >= 0:
            (right if is_right else left)[parent] = i
        if "split_feature" in node:
            stack.append((node["right_child"], i, True))
            stack.append((node["left_child"], i, False))
    n = len(nodes)
    feature, threshold = np.zeros(n, np.intp), np.zeros(n)
    missing_left, kind = np.zeros(n, bool), np.zeros(n, np.int8)
    cover, value = np.ones(n), np.zeros(n)
    sets = {}
    for i, node in enumerate(nodes):
        if "split_feature" not in node:
            if node.get("leaf_coeff"):
                raise ValueError(
                    "This LightGBM model was fitted with linear_tree=True: its leaves are linear models, not "
                    "constants. Use method='kernel'."
                )
            value[i] = node["leaf_value"]
            cover[i] = node.get("leaf_count", 1)
            continue
        feature[i], cover[i] = node["split_feature"], node["internal_count"]
        if node["decision_type"] == "==":  # the listed categories go left; NaN, negative, others right
            kind[i] = SPLIT_BITSET
            sets[i] = [int(c) for c in str(node["threshold"]).split("||")]
            continue
        threshold[i] = node["threshold"]
        missing = node.get("missing_type", "None")
        if missing == "None":  # NaN is read as 0
            missing_left[i] = threshold[i] >= 0.0
        else:
            missing_left[i] = bool(node["default_left"])
            kind[i] = SPLIT_ZERO_MISSING if missing == "Zero" else SPLIT_NUMERIC
    bitsets = _bitsets(sets, n) if sets else None
    trees.add(left, right, feature, threshold, missing_left, cover, value, columns, kind=kind, bitsets=bitsets)


# -- CatBoost ---------------------------------------------------------------------------
_CB_IDENTITY = ("RMSE", "MAE", "Quantile", "Expectile", "Huber", "MAPE", "Lq", "LogCosh")


def _read_catboost(estimator, output, decode):
    name = type(estimator).__name__
    if not estimator.is_fitted():
        raise NotFittedError(f"This {name} is not fitted yet; fit it before computing TreeSHAP values.")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        estimator.save_model(path, format="json")
        with open(path, encoding="utf-8") as handle:
            model = json.load(handle)
    loss = str(model["model_info"].get("params", {}).get("loss_function", {}).get("type", "RMSE"))
    method = _additive_output(estimator, output, loss in _CB_IDENTITY, loss)
    info = model["features_info"]
    floats = {f["feature_index"]: f for f in info.get("float_features", [])}
    cat_names = {f["feature_index"]: f.get("feature_id") or f"column {f['flat_feature_index']}"
                 for f in info.get("categorical_features", [])}  # fmt: skip
    scale, bias = model["scale_and_bias"]
    bias = np.asarray(bias, np.float64).reshape(-1)
    n_outputs = max(len(bias), 1)
    trees = TreeList()
    for tree in model["oblivious_trees"]:
        splits = tree.get("splits", [])
        refused = sorted({_catboost_feature(s, info, cat_names) for s in splits if s["split_type"] != "FloatFeature"})
        if refused:
            raise ValueError(
                f"{name} splits on categorical features through hashed one-hot values or target statistics "
                f"(CatBoost's CTRs), which do not map onto input columns: {', '.join(refused)}. TreeSHAP reads "
                "CatBoost's numeric splits only; use method='kernel' or 'permutation' for this model."
            )
        _add_oblivious_tree(trees, tree, splits, floats, scale, n_outputs)
    n_features = len(floats) + len(cat_names)
    transform = None
    if cat_names and decode is not None:  # categorical columns the trees never split on

        def transform(X):
            out = np.array(X, dtype=np.float64)
            out[:, [f["flat_feature_index"] for f in info["categorical_features"]]] = 0.0
            return out

    return trees.build(
        n_outputs=n_outputs,
        output_method=method,
        n_features=n_features,
        offset=np.broadcast_to(bias if len(bias) else np.zeros(1), (n_outputs,)).copy(),
        float32_inputs=True,
        transform=transform,
    )


def _catboost_feature(split, info, cat_names):
    """The categorical feature(s) behind a one-hot or CTR split, quoted."""
    if "cat_feature_index" in split:
        return repr(cat_names.get(split["cat_feature_index"], split["cat_feature_index"]))
    ctrs = info.get("ctrs", [])
    owning = [c for c in ctrs if np.isclose(c.get("borders", []), split.get("border", np.nan)).any()] or ctrs
    indices = sorted({e["cat_feature_index"] for c in owning for e in c["elements"] if "cat_feature_index" in e})
    return ", ".join(repr(cat_names.get(i, i)) for i in indices) or "a categorical combination"


def _add_oblivious_tree(trees, tree, splits, floats, scale, n_outputs):
    """A symmetric tree as a full binary tree: level k splits on ``splits[depth - 1 - k]``.

    CatBoost's leaf index has bit ``k`` set when the row passes ``splits[k]`` (x >
    border); the heap numbering below puts leaf ``i`` at the end of the path of its bits.
    """
    depth = len(splits)
    leaf_values = np.asarray(tree["leaf_values"], np.float64).reshape(-1, n_outputs) * scale
    weights = np.asarray(tree["leaf_weights"], np.float64)
    n_internal = 2**depth - 1
    n = n_internal + 2**depth
    heap = np.arange(n)
    left = np.where(heap < n_internal, 2 * heap + 1, -1)
    right = np.where(heap < n_internal, 2 * heap + 2, -1)
    level = np.floor(np.log2(heap + 1)).astype(np.intp)
    feature, threshold = np.zeros(n, np.intp), np.zeros(n)
    missing_left = np.zeros(n, bool)
    for k in range(depth):
        split = splits[depth - 1 - k]
        float_feature = floats[split["float_feature_index"]]
        at = level == k
        feature[at] = float_feature["flat_feature_index"]
        threshold[at] = split["border"]
        missing_left[at] = float_feature.get("nan_value_treatment", "AsIs") != "AsTrue"
    # Leaf at heap position n_internal + p: p's bits from the top are the directions taken
    # at levels 0..depth-1, i.e. at splits depth-1..0: p read as a number is the leaf index
    # with bit k the pass of splits[k].
    value = np.zeros((n, n_outputs))
    cover = np.zeros(n)
    value[n_internal:] = leaf_values
    cover[n_internal:] = weights
    for node in range(n_internal - 1, -1, -1):
        cover[node] = cover[left[node]] + cover[right[node]]
    columns = np.arange(n_outputs)
    trees.add(left, right, feature, threshold, missing_left, cover, value, columns)


_READERS = {"xgboost": _read_xgboost, "lightgbm": _read_lightgbm, "catboost": _read_catboost}
