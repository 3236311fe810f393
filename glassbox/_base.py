"""Base classes: the transparent-model mixin and the explainer meta-estimator.

Every transparent model mixes in :class:`TransparentMixin`; every post-hoc explainer
derives from :class:`BaseExplainer` (global ones, such as permutation importance) or
:class:`LocalExplainer` (one attribution per row, usable as a Pipeline step).
"""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._core import (
    Background,
    HasMethods,
    Interval,
    KMeansBackground,
    ModelOutput,
    StrOptions,
    draw_seed,
    kmeans_background,
    sample_background,
    validate_params,
    validate_X,
)
from ._core._predict import OUTPUTS
from ._core._validation import UNKNOWN_CODE
from .explanation import Explanation

__all__ = ["BaseExplainer", "LocalExplainer", "PrefitCloneMixin", "TransparentMixin", "fitted_model"]


class TransparentMixin:
    """Mixin for models that are transparent by construction.

    A transparent model sets ``complexity_`` in ``fit`` (the elementary pieces a reader
    must read: non-zero coefficients, splits, rule conditions, terms), implements
    ``to_text()`` and ``explain(X=None)``: the global explanation without ``X``, local
    contributions with it. ``str(model)`` is the text of a fitted model.
    """

    def to_text(self):  # pragma: no cover - every model overrides it
        raise NotImplementedError(f"{type(self).__name__} does not implement to_text().")

    def __str__(self):
        try:
            check_is_fitted(self)
        except NotFittedError:
            return repr(self)
        return self.to_text()

    def _local_explanation(self, X_encoded, values, base_values, output_names, method):
        """Wrap local contributions of shape (n_samples, n_features, n_outputs)."""
        schema = self._feature_schema
        return Explanation(
            values,
            base_values=base_values,
            data=schema.display(X_encoded),
            feature_names=schema.feature_names,
            output_names=output_names,
            method=method,
        )


class PrefitCloneMixin:
    """``clone`` keeps a fitted wrapped model that ``prefit`` says is used as it is.

    A fitted model handed to an explainer or a surrogate is data, not a hyperparameter:
    GridSearchCV and cross-validation clone the meta-estimator and should explain (or
    mimic) that same model, not refit an empty copy of it. With ``prefit=True``, or
    ``"auto"`` and a fitted model, the clone shares the fitted model; otherwise
    everything is cloned as scikit-learn does. ``_wrapped_param`` names the parameter.
    """

    _wrapped_param = "estimator"

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        model = params[self._wrapped_param]
        keep = self.prefit is True or (self.prefit == "auto" and _is_fitted(model))
        cloned = type(self)(**{
            name: value if (keep and name == self._wrapped_param) else clone(value, safe=False)
            for name, value in params.items()
        })
        if hasattr(self, "_metadata_request"):
            cloned._metadata_request = clone(self._metadata_request, safe=False)
        if hasattr(self, "_sklearn_output_config"):
            cloned._sklearn_output_config = copy.deepcopy(self._sklearn_output_config)
        return cloned


class BaseExplainer(PrefitCloneMixin, MetaEstimatorMixin, BaseEstimator):
    """Base of the post-hoc explainers: a meta-estimator around the explained model.

    ``fit(X, y=None)`` uses the wrapped estimator as it is when it is already fitted
    (``prefit="auto"``, the default) and otherwise fits a clone of it on ``X, y``, like
    :class:`~sklearn.feature_selection.SelectFromModel`; it then learns the feature
    schema and the background rows. Subclasses take these parameters (store them in
    ``__init__``) and implement ``explain``.

    Parameters
    ----------
    estimator : estimator object
        The model to explain.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted and is used as it is. ``False``: a clone
        is always fitted on ``X, y``. ``"auto"``: fitted models are used, others fitted.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        What is explained: class probabilities for classifiers, ``predict`` for
        regressors, or the decision function or log-odds instead.
    background : int, array-like or KMeansBackground, default=100
        Rows that masked features take their values from: an int draws that many rows
        of the ``X`` given to ``fit`` (all rows when there are fewer); array-like rows
        (with the columns of ``X``) are used as given, equally weighted;
        ``KMeansBackground(k)`` summarises ``X`` by ``k`` weighted k-means centres.
    batch_size : int or "auto", default="auto"
        Rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Parallel workers (joblib); results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds every random draw.
    verbose : bool, default=False
        Report progress of long computations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    background_ : Background
        Encoded background rows and weights.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.
    """

    _parameter_constraints = {
        "estimator": [HasMethods(("fit",))],
        "prefit": ["boolean", StrOptions({"auto"})],
        "output": [StrOptions(OUTPUTS)],
        "background": [Interval(Integral, 1, None, closed="left"), "array-like", KMeansBackground],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["boolean", Integral],
    }

    def fit(self, X, y=None, **fit_params):
        """Fit the model if needed and learn the feature schema and background.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data the model is explained against; the background is drawn from it.
        y : array-like of shape (n_samples,), default=None
            Target, needed only when the estimator has to be fitted.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        self.estimator_ = fitted_model(self, self.estimator, X, y, prefit=self.prefit, fit_params=fit_params)
        self._model_output = ModelOutput(self.estimator_, self._feature_schema, self.output)
        self.output_names_ = self._model_output.output_names
        self._seed = draw_seed(self.random_state)
        self.background_ = self._learn_background(X_encoded)
        return self

    def _learn_background(self, X_encoded):
        background = self.background
        if isinstance(background, KMeansBackground):
            return kmeans_background(
                X_encoded,
                self._feature_schema.is_categorical,
                n_clusters=background.n_clusters,
                random_state=self._seed,
            )
        if isinstance(background, Integral) and not isinstance(background, bool):
            return sample_background(X_encoded, max_samples=background, random_state=self._seed)
        data = self._encode_rows(background, what="background")
        return Background(data, np.full(len(data), 1.0 / len(data)))

    def _encode_rows(self, rows, *, what):
        """Encode user rows with the fitted schema, naming ``what`` in errors."""
        try:
            return validate_X(self, rows, reset=False)
        except ValueError as exc:
            raise ValueError(f"The {what} does not match the X given to fit: {exc}") from exc

    def _prepare(self, X):
        """Validate ``X`` for explaining; return its encoding and the model output.

        Categories that ``fit`` never saw are legitimate here (the model may know them):
        the schema is extended with them so that masked rows still decode to real values.
        Pass the returned model output on to ``_explanation(..., model_output=...)``.
        """
        check_is_fitted(self)
        X_encoded = validate_X(self, X, reset=False, handle_unknown="use_encoded_value")
        schema = self._feature_schema
        if not (X_encoded[:, schema.is_categorical] == UNKNOWN_CODE).any():
            return X_encoded, self._model_output
        raw = X[list(schema.feature_names)] if isinstance(X, pd.DataFrame) else np.asarray(X)
        extended = schema.with_levels_of(raw)
        return extended.encode(raw), ModelOutput(self.estimator_, extended, self.output)

    def _explanation(self, X_encoded, values, base_values, *, method, std=None, schema=None, model_output=None):
        """Wrap values of shape (n_samples, n_features, n_outputs) with names and data.

        Pass the ``model_output`` that ``_prepare`` returned: its schema knows the
        categories first seen in the explained rows.
        """
        if schema is None:
            schema = model_output.schema if model_output is not None else self._feature_schema
        return Explanation(
            values,
            base_values=base_values,
            data=schema.display(X_encoded),
            feature_names=schema.feature_names,
            output_names=self.output_names_,
            method=method,
            std=std,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The explainer accepts whatever the model it wraps accepts.
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.allow_nan = inner.allow_nan
        tags.input_tags.categorical = inner.categorical
        tags.target_tags.required = False
        return tags


class LocalExplainer(TransformerMixin, BaseExplainer):
    """Base of explainers with one attribution per row and feature.

    ``transform(X)`` returns the attribution matrix, so the explainer works as a
    Pipeline step (for example followed by KMeans to group rows by why the model
    decided) and with ``set_output(transform="pandas")``. With several outputs the
    columns are ``output__feature``, outputs outermost.
    """

    def transform(self, X):
        """Attributions of shape (n_samples, n_features * n_outputs)."""
        values = self.explain(X).values  # (n, p, o)
        return values.transpose(0, 2, 1).reshape(len(values), -1)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        features = np.asarray(self._feature_schema.feature_names, dtype=object)
        if input_features is not None and list(map(str, input_features)) != list(features):
            raise ValueError(f"input_features must match the features seen in fit: {list(features)}.")
        if len(self.output_names_) == 1:
            return features
        return np.asarray([f"{o}__{f}" for o in self.output_names_ for f in features], dtype=object)


def fitted_model(owner, estimator, X, y, *, prefit, fit_params=None):
    """The fitted model a meta-estimator wraps, following the ``prefit`` convention.

    ``prefit=True``: ``estimator`` must be fitted and is used as it is. ``False``: a clone
    is fitted on ``X, y``. ``"auto"``: fitted models are used, others fitted. A fitted
    model must have been fitted on as many features as ``owner`` saw in ``X``.
    """
    name = type(estimator).__name__
    is_fitted = _is_fitted(estimator)
    if prefit is True or (prefit == "auto" and is_fitted):
        if not is_fitted:
            raise NotFittedError(
                f"{type(owner).__name__} got prefit=True but {name} is not fitted. Fit it first, "
                "or pass prefit='auto' to let it fit a clone on X, y."
            )
        expected = getattr(estimator, "n_features_in_", None)
        if expected is not None and expected != owner.n_features_in_:
            raise ValueError(
                f"{name} was fitted on {expected} features but X has {owner.n_features_in_}; "
                "use data with the columns it was fitted on."
            )
        return estimator
    if y is None:
        raise ValueError(
            f"{type(owner).__name__} requires y to be passed, but the target y is None: {name} "
            "is not fitted yet. Pass y, or fit the model first."
        )
    return clone(estimator).fit(X, y, **(fit_params or {}))


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True
