"""The explainer template: the shared ``fit`` prelude and the bases every explainer builds on.

:class:`BaseExplainer` is a meta-estimator around the explained model. Its ``fit`` is a
template: it validates the parameters and ``X``, fits the model when needed (the
``prefit`` convention), builds the model response the explainer evaluates, draws the
seed, and then calls the one hook an explainer fills, :meth:`BaseExplainer._fit`. Its
``_prepare`` takes the rows to explain through the same schema (categories first seen
there included) for every explainer, and ``_explanation`` wraps the result.

Explainers that hide features behind background rows mix in :class:`BackgroundMixin`,
which declares the ``background`` parameter and learns it; explainers with one
attribution per row derive from :class:`LocalExplainer`, a transformer usable as a
Pipeline step.
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from .._base import PrefitCloneMixin, fitted_model
from .._core import (
    OUTPUTS,
    UNKNOWN_CODE,
    Background,
    HasMethods,
    Interval,
    KMeansBackground,
    ModelOutput,
    StrOptions,
    draw_seed,
    final_estimator,
    has_classes,
    kmeans_background,
    sample_background,
    validate_params,
    validate_X,
)
from ..explanation import Explanation
from ._text import (
    TEXT_SUPPORT,
    Documents,
    fitted_vectorizer,
    is_documents,
    text_input,
    text_model_output,
    token_pattern,
)
from ._text_table import TableTextOutput, table_documents

if TYPE_CHECKING:
    from .._core._typing import EstimatorT, RandomStateLike

__all__ = ["BackgroundMixin", "BaseExplainer", "DecisionMixin", "LocalExplainer"]


class BaseExplainer(PrefitCloneMixin, MetaEstimatorMixin, BaseEstimator):
    """Base of the post-hoc explainers: a meta-estimator around the explained model.

    ``fit(X, y=None)`` uses the wrapped estimator as it is when it is already fitted
    (``prefit="auto"``, the default) and otherwise fits a clone of it on ``X, y``, like
    :class:`~sklearn.feature_selection.SelectFromModel`; it then learns the feature
    schema, builds the model response and draws the seed, and hands the encoded ``X``
    to :meth:`_fit`, where each explainer learns what it needs. Subclasses store their
    parameters in ``__init__`` and implement ``explain``.

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
    batch_size : int or "auto", default="auto"
        Rows of model input per chunk; bounds memory (see :mod:`glassbox._core._batching`).
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
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["boolean", Integral],
    }

    _allow_nan = True
    """Whether ``X`` may hold missing values (the explainer's policy, checked at ``fit``)."""

    def __init__(
        self,
        estimator: Any,
        *,
        prefit: bool | Literal["auto"] = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        self.estimator = estimator
        self.prefit = prefit
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike | None = None, **fit_params: Any) -> EstimatorT:
        """Fit the model if needed and learn what the explainer needs from ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data the model is explained against.
        y : array-like of shape (n_samples,), default=None
            Target, needed only when the estimator has to be fitted.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        validate_params(self)
        text = text_input(type(self).__name__, self.estimator, X)
        if text is not None:
            return self._fit_text(X, y, text, fit_params)
        self._vectorizer = None
        X_encoded = validate_X(self, X, reset=True, allow_nan=self._allow_nan)
        self.estimator_ = fitted_model(self, self.estimator, X, y, prefit=self.prefit, fit_params=fit_params)
        self._model_output = self._response(self._feature_schema)
        self.output_names_ = self._model_output.output_names
        self._seed = draw_seed(self.random_state)
        self._fit(X_encoded)
        return self

    _explains_text = False
    """Whether the explainer explains a text column per token (see :meth:`_fit_text`)."""

    def _fit_text(self, X, y, text, fit_params):
        """The prelude of ``fit`` on documents ``X`` that the model's first step vectorizes.

        ``text`` is ``(vectorizer, description)`` from :func:`text_input`, or
        ``(vectorizer, description, (step, column))`` for a text column of the DataFrame
        ``X`` that a ColumnTransformer vectorizes beside tabular columns (those are then
        validated as ``X`` and hidden behind ``background_``: :mod:`._text_table`).
        Explainers of tabular columns refuse; the others get the fitted model, the output
        evaluated on documents and the seed, then the hook :meth:`_fit_documents`.
        """
        name = type(self).__name__
        beside = len(text) == 3
        if not self._explains_text:
            support = ("LimeExplainer and ShapleyExplainer explain a text column beside tabular columns, per token "
                       "and column"
                       if beside else TEXT_SUPPORT)
            raise ValueError(f"{name} cannot explain {text[1]}: {support}.")
        if beside and not hasattr(self, "_learn_background"):
            raise ValueError(
                f"{name} cannot explain {text[1]}: the tabular columns would be hidden behind background rows, "
                f"which {name} does not use. Use LimeExplainer or ShapleyExplainer, or explain a model of the text alone."
            )
        for attribute in ("n_features_in_", "feature_names_in_", "_feature_schema"):
            self.__dict__.pop(attribute, None)
        if beside:
            self.n_features_in_ = X.shape[1]  # what the model was fitted on, for fitted_model's check
        self.estimator_ = fitted_model(self, self.estimator, X, y, prefit=self.prefit, fit_params=fit_params)
        self._seed = draw_seed(self.random_state)
        self._text_column = None
        if beside:
            step, column = text[2]
            self._vectorizer = fitted_vectorizer(self.estimator_, step)
            X_encoded = validate_X(self, X.drop(columns=[column]), reset=True, allow_nan=self._allow_nan)
            self._text_column = column
            self._model_output = TableTextOutput(self.estimator_, self._feature_schema, self.output, column,
                                                 X.columns.get_loc(column))
            self.background_ = self._learn_background(X_encoded, drop=column)
        else:
            self._vectorizer = fitted_vectorizer(self.estimator_)
            self._model_output = text_model_output(self.estimator_, self.output)
        self.output_names_ = self._model_output.output_names
        token_pattern(self._vectorizer)  # refuses tokens it cannot find in a document
        self._fit_documents()
        return self

    def _fit_documents(self):
        """Check and learn what explaining documents needs (the hook of the text prelude)."""

    def _prepare_documents(self, X):
        """The :class:`Documents` of ``X`` to explain, tokenised as the model reads them."""
        check_is_fitted(self)
        if getattr(self, "_text_column", None) is not None:
            return table_documents(self, X, self._text_column, self._vectorizer)
        if not is_documents(X):
            shape = getattr(X, "shape", None)
            raise ValueError(
                f"{type(self).__name__} was fitted on documents: X must be a 1-D sequence of strings; got "
                f"{type(X).__name__}" + (f" of shape {shape}" if shape is not None else "") + "."
            )
        return Documents.tokenise(list(X), self._vectorizer)

    def _response(self, schema):
        """The model response the explainer evaluates: the output chosen by ``output``."""
        return ModelOutput(self.estimator_, schema, self.output)

    def _fit(self, X_encoded):
        """Learn what the explainer needs from the encoded ``X`` (the hook of ``fit``)."""

    def _encode_rows(self, rows, *, what):
        """Encode user rows with the fitted schema, naming ``what`` in errors."""
        try:
            return validate_X(self, rows, reset=False)
        except ValueError as exc:
            raise ValueError(f"The {what} does not match the X given to fit: {exc}") from exc

    def _prepare(self, X):
        """Validate ``X`` for explaining; return its encoding and the model response.

        Categories that ``fit`` never saw are legitimate here (the model may know them):
        the schema is extended with them so that masked rows still decode to real values.
        Pass the returned response on to ``_explanation(..., model_output=...)``.
        """
        check_is_fitted(self)
        X_encoded = validate_X(self, X, reset=False, handle_unknown="use_encoded_value")
        schema = self._feature_schema
        if not (X_encoded[:, schema.is_categorical] == UNKNOWN_CODE).any():
            return X_encoded, self._model_output
        raw = X[list(schema.feature_names)] if isinstance(X, pd.DataFrame) else np.asarray(X)
        extended = schema.with_levels_of(raw)
        return extended.encode(raw), self._model_output.with_schema(extended)

    def _explanation(self, X_encoded, values, base_values, *, method, std=None, model_output=None):
        """Wrap values of shape (n_samples, n_features, n_outputs) with names and data.

        Pass the ``model_output`` that ``_prepare`` returned: its schema knows the
        categories first seen in the explained rows.
        """
        schema = model_output.schema if model_output is not None else self._feature_schema
        data, names = self._attributed(schema.display(X_encoded), schema.feature_names)
        return Explanation(
            values,
            base_values=base_values,
            data=data,
            feature_names=names,
            output_names=self.output_names_,
            method=method,
            std=std,
        )

    def _attributed(self, data, feature_names):
        """What the values are attributed to: the explained rows as displayed and their
        names, given those of the columns (explainers of other players map them)."""
        return data, feature_names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The explainer accepts whatever the model it wraps accepts.
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.allow_nan = inner.allow_nan and self._allow_nan
        tags.input_tags.categorical = inner.categorical
        tags.target_tags.required = False
        return tags


class DecisionMixin:
    """For explainers of the model's decision (``predict``): one target, its classes."""

    def _adopt_decision(self, purpose):
        """Refuse a model of several targets (``purpose`` says what needs one) and keep the
        model's ``classes_``, dropping those of a classifier explained before."""
        n_targets = int(getattr(final_estimator(self.estimator_), "n_outputs_", 1))
        if n_targets > 1:
            raise ValueError(
                f"{type(self.estimator_).__name__} predicts {n_targets} targets per row; {purpose}. "
                "Explain a model of one target."
            )
        if has_classes(self.estimator_):
            self.classes_ = np.asarray(self.estimator_.classes_)
        elif hasattr(self, "classes_"):  # refitted on a regressor
            del self.classes_


class BackgroundMixin:
    """The ``background`` of explainers that hide features behind background rows.

    Declares the parameter (add :attr:`_background_constraints` to the explainer's
    ``_parameter_constraints``) and learns ``background_`` from the encoded ``X`` of
    ``fit`` in :meth:`_fit` (an explainer that learns more calls ``super()._fit`` first):

    background : int, array-like or KMeansBackground, default=100
        Rows that masked features take their values from: an int draws that many rows
        of the ``X`` given to ``fit`` (all rows when there are fewer); array-like rows
        (with the columns of ``X``) are used as given, equally weighted;
        ``KMeansBackground(k)`` summarises ``X`` by ``k`` weighted k-means centres.
    """

    _background_constraints = {
        "background": [Interval(Integral, 1, None, closed="left"), "array-like", KMeansBackground],
    }

    def _fit(self, X_encoded):
        self.background_ = self._learn_background(X_encoded)
        super()._fit(X_encoded)

    def _learn_background(self, X_encoded, drop=None):
        """The :class:`~glassbox._core.Background` the ``background`` parameter asks for
        (without the column ``drop`` of a background DataFrame: a text column beside them)."""
        background = self.background
        if drop is not None and isinstance(background, pd.DataFrame) and drop in background.columns:
            background = background.drop(columns=[drop])
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


class LocalExplainer(TransformerMixin, BaseExplainer):
    """Base of explainers with one attribution per row and feature.

    ``transform(X)`` returns the attribution matrix, so the explainer works as a
    Pipeline step (for example followed by KMeans to group rows by why the model
    decided) and with ``set_output(transform="pandas")``. With several outputs the
    columns are ``output__feature``, outputs outermost.
    """

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Attributions of shape (n_samples, n_features * n_outputs)."""
        if getattr(self, "_vectorizer", None) is not None:
            raise ValueError(
                f"{type(self).__name__} was fitted on documents, whose tokens differ from one document to the "
                "next: there is no attribution matrix. Use explain(X), whose to_frame() lists every token."
            )
        values = self.explain(X).values  # (n, p, o)
        return values.transpose(0, 2, 1).reshape(len(values), -1)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        check_is_fitted(self)
        features = np.asarray(self._feature_schema.feature_names, dtype=object)
        if input_features is not None and list(map(str, input_features)) != list(features):
            raise ValueError(f"input_features must match the features seen in fit: {list(features)}.")
        features = np.asarray(self._attributed(None, features)[1], dtype=object)
        if len(self.output_names_) == 1:
            return features
        return np.asarray([f"{o}__{f}" for o in self.output_names_ for f in features], dtype=object)
