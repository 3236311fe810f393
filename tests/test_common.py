"""scikit-learn's common estimator checks over every public glassbox estimator.

Estimators are discovered from the public packages, so every new model or explainer is
checked as soon as it is exported. A class that cannot be built with its defaults (an
explainer needs a model to wrap) gets its instances in ``INSTANCES``; a check an
estimator cannot pass is listed in ``EXPECTED_FAILED`` with the reason.
"""

import importlib
import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassbox._core import QuantileBinner

PUBLIC_PACKAGES = ["glassbox", "glassbox.models", "glassbox.explainers", "glassbox.surrogate", "glassbox.selection"]


def public_estimators():
    """Every BaseEstimator subclass exported by a public glassbox package."""
    found = {QuantileBinner}
    for name in PUBLIC_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and not inspect.isabstract(obj):
                found.add(obj)
    return sorted(found, key=lambda cls: cls.__name__)


# Classes whose default construction is not enough, with the instances to check.
# Explainers wrap an unfitted regressor, which they fit on the check's X, y.
INSTANCES = {}

# {class name: {check name: reason}}
EXPECTED_FAILED = {}


def instances():
    for cls in public_estimators():
        if cls in INSTANCES:
            yield from INSTANCES[cls]
            continue
        params = inspect.signature(cls).parameters
        if any(p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD for p in params.values()):
            raise TypeError(f"{cls.__name__} needs arguments: register its instances in INSTANCES.")
        yield cls(random_state=0) if "random_state" in params else cls()


def expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(list(instances()), expected_failed_checks=expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_registry_covers_every_public_estimator():
    checked = {type(e) for e in instances()}
    assert checked == set(public_estimators())


def test_default_explainer_instances_use_an_unfitted_model():
    # The common checks vary the number of features, so wrapped models must be refit.
    for cls, explainers in INSTANCES.items():
        for explainer in explainers:
            assert not hasattr(explainer.get_params().get("estimator", Ridge()), "n_features_in_"), cls
