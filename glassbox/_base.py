"""What models, explainers and surrogates share: the transparent-model mixin and the
``prefit`` convention of meta-estimators.

Every transparent model mixes in :class:`TransparentMixin`. Meta-estimators that wrap a
model (the explainers of :mod:`glassbox.explainers`, :class:`~glassbox.surrogate.GlobalSurrogate`,
:class:`~glassbox.selection.FeatureSelector`) take it through :func:`fitted_model` and
keep a fitted one through cloning with :class:`PrefitCloneMixin`.
"""

from __future__ import annotations

import copy
import warnings

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from ._core import validate_X
from ._core._trees._boosting import library_reader
from .explanation import Explanation

__all__ = ["PrefitCloneMixin", "TransparentMixin", "fitted_model", "is_fitted"]


class TransparentMixin:
    """Mixin for models that are transparent by construction.

    A transparent model sets ``complexity_`` in ``fit`` (the elementary pieces a reader
    must read: non-zero coefficients, splits, rule conditions, terms), implements
    ``to_text()`` and ``explain(X=None)``: the global explanation without ``X``, local
    contributions with it. ``str(model)`` is the text of a fitted model.
    """

    def to_text(self) -> str:  # pragma: no cover - every model overrides it
        raise NotImplementedError(f"{type(self).__name__} does not implement to_text().")

    def __str__(self):
        try:
            check_is_fitted(self)
        except NotFittedError:
            return repr(self)
        return self.to_text()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Every transparent model takes categorical columns and missing values as they are.
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags

    def _encode(self, X):
        """Encode rows to predict or explain with the fitted schema.

        Categories ``fit`` never saw get the unknown code (they match no level).
        """
        check_is_fitted(self)
        return validate_X(self, X, reset=False, handle_unknown="use_encoded_value")

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
        keep = self.prefit is True or (self.prefit == "auto" and is_fitted(model))
        cloned = type(self)(**{
            name: value if (keep and name == self._wrapped_param) else clone(value, safe=False)
            for name, value in params.items()
        })
        if hasattr(self, "_metadata_request"):
            cloned._metadata_request = clone(self._metadata_request, safe=False)
        if hasattr(self, "_sklearn_output_config"):
            cloned._sklearn_output_config = copy.deepcopy(self._sklearn_output_config)
        return cloned


def fitted_model(owner, estimator, X, y, *, prefit, fit_params=None):
    """The fitted model a meta-estimator wraps, following the ``prefit`` convention.

    ``prefit=True``: ``estimator`` must be fitted and is used as it is. ``False``: a clone
    is fitted on ``X, y``. ``"auto"``: fitted models are used, others fitted. A fitted
    model must have been fitted on as many features as ``owner`` saw in ``X``.
    """
    name = type(estimator).__name__
    fitted = is_fitted(estimator)
    if prefit is True or (prefit == "auto" and fitted):
        if not fitted:
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
        # XGBoost, LightGBM and CatBoost check names their own way (LightGBM records
        # "mean radius" as "mean_radius"): their predict is the judge.
        named = getattr(estimator, "feature_names_in_", None) is not None and library_reader(estimator) is None
        if named and hasattr(X, "columns"):
            # The names and order of the columns, checked as the model's own predict checks
            # them: methods that read the model instead of calling it (trees, linear) must
            # refuse what predict would refuse.
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    validate_data(estimator, X, reset=False, skip_check_array=True)
            except ValueError as exc:
                raise ValueError(f"X does not have the columns {name} was fitted on. {exc}") from None
        return estimator
    if y is None:
        raise ValueError(
            f"{type(owner).__name__} requires y to be passed, but the target y is None: {name} "
            "is not fitted yet. Pass y, or fit the model first."
        )
    return clone(estimator).fit(X, y, **(fit_params or {}))


def is_fitted(estimator):
    """Whether ``estimator`` is a fitted scikit-learn estimator."""
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True
