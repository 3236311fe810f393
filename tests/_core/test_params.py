"""Declarative parameter constraints."""

from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from glassbox._core import HasMethods, Interval, InvalidParameterError, StrOptions, validate_params


class Thing(BaseEstimator):
    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_terms": [Interval(Integral, 1, None, closed="left"), None],
        "method": [StrOptions({"exact", "kernel"})],
        "model": [HasMethods(("fit", "predict")), None],
        "random_state": ["random_state"],
        "flag": ["boolean"],
    }

    def __init__(self, alpha=1.0, max_terms=None, method="exact", model=None, random_state=None, flag=False):
        self.alpha = alpha
        self.max_terms = max_terms
        self.method = method
        self.model = model
        self.random_state = random_state
        self.flag = flag


@pytest.mark.parametrize(
    "params",
    [{}, {"alpha": 0}, {"alpha": 2.5}, {"max_terms": 3}, {"max_terms": np.int64(3)}, {"method": "kernel"},
     {"random_state": np.random.RandomState(0)}, {"random_state": np.random.default_rng(0)}, {"flag": True}],
)
def test_valid_parameters_pass(params):
    validate_params(Thing(**params))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"alpha": -1}, r"'alpha' parameter of Thing must be a float in the range \[0, inf\)\. Got -1 instead"),
        ({"alpha": float("nan")}, r"'alpha'"),
        ({"max_terms": 0}, r"an int in the range \[1, inf\) or None\. Got 0"),
        ({"max_terms": 2.0}, r"'max_terms'"),
        ({"max_terms": True}, r"'max_terms'"),
        ({"method": "fast"}, r"one of 'exact', 'kernel'\. Got 'fast'"),
        ({"model": object()}, r"an object implementing 'fit', 'predict'"),
        ({"random_state": "seed"}, r"an int, a numpy RandomState or Generator, or None"),
        ({"flag": 1}, r"'flag' parameter of Thing must be a bool"),
    ],
)
def test_invalid_parameters_name_what_was_expected_and_what_came(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        validate_params(Thing(**params))


def test_error_is_both_value_and_type_error():
    with pytest.raises(ValueError):
        validate_params(Thing(alpha=-1))
    with pytest.raises(TypeError):
        validate_params(Thing(alpha=-1))


def test_interval_bounds():
    open_interval = Interval(Real, 0, 1, closed="neither")
    assert not open_interval.is_satisfied_by(0) and open_interval.is_satisfied_by(0.5)
    assert not open_interval.is_satisfied_by(1)
    assert Interval(Real, 0, 1, closed="both").is_satisfied_by(1)
    with pytest.raises(ValueError, match="closed must be"):
        Interval(Real, 0, 1, closed="sideways")
