"""Input validation: encoding, decoding, feature names and clear errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator

from glassbox._core import check_sample_weight, check_target, learn_schema, validate_X


class Model(BaseEstimator):
    """Bare estimator the validators attach their fitted attributes to."""


@pytest.fixture
def penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return palmerpenguins.load_penguins().drop(columns="species")


def test_mixed_frame_round_trips_exactly(penguins):
    model = Model()
    encoded = validate_X(model, penguins, reset=True)
    schema = model._feature_schema
    assert encoded.dtype == np.float64
    assert list(schema.feature_names[schema.is_categorical]) == ["island", "sex"]
    assert list(schema.categories[0]) == ["Biscoe", "Dream", "Torgersen"]
    pd.testing.assert_frame_equal(schema.decode(encoded), penguins)
    assert list(model.feature_names_in_) == list(penguins.columns)


def test_categorical_codes_and_missing(penguins):
    model = Model()
    encoded = validate_X(model, penguins, reset=True)
    island = penguins["island"].to_numpy(dtype=object)
    levels = model._feature_schema.categories[0]
    np.testing.assert_array_equal(levels[encoded[:, 0].astype(int)], island)
    np.testing.assert_array_equal(np.isnan(encoded[:, 6 - 1]), penguins["sex"].isna().to_numpy())


def test_numeric_strings_stay_categorical():
    frame = pd.DataFrame({"code": ["1", "2", "10"], "x": [1.0, 2.0, 3.0]})
    schema = learn_schema(frame)
    assert schema.is_categorical.tolist() == [True, False]
    assert list(schema.categories[0]) == ["1", "10", "2"]


def test_pandas_category_keeps_its_level_order_and_dtype():
    frame = pd.DataFrame({"size": pd.Categorical(["s", "l", "m"], categories=["s", "m", "l"], ordered=True)})
    model = Model()
    encoded = validate_X(model, frame, reset=True)
    assert encoded[:, 0].tolist() == [0.0, 2.0, 1.0]
    decoded = model._feature_schema.decode(encoded)
    assert decoded["size"].dtype == frame["size"].dtype


def test_object_array_with_strings_is_categorical_and_numbers_numeric():
    X = np.array([["a", 1.0], ["b", 2.5], [None, 3.0]], dtype=object)
    model = Model()
    encoded = validate_X(model, X, reset=True)
    assert model._feature_schema.is_categorical.tolist() == [True, False]
    assert np.isnan(encoded[2, 0]) and encoded[1, 1] == 2.5
    decoded = model._feature_schema.decode(encoded)
    assert decoded[0, 0] == "a" and decoded[1, 1] == 2.5


def test_unknown_category_error_and_encoded_value():
    model = Model()
    validate_X(model, pd.DataFrame({"c": ["a", "b"]}), reset=True)
    with pytest.raises(ValueError, match=r"Column 'c' holds categories that fit never saw: 'z'"):
        validate_X(model, pd.DataFrame({"c": ["z"]}), reset=False)
    encoded = validate_X(model, pd.DataFrame({"c": ["z", None]}), reset=False, handle_unknown="use_encoded_value")
    assert encoded[0, 0] == -1.0 and np.isnan(encoded[1, 0])


def test_with_levels_of_appends_new_levels_keeping_codes():
    schema = learn_schema(pd.DataFrame({"c": ["b", "a"]}))
    extended = schema.with_levels_of(pd.DataFrame({"c": ["c", "a"]}))
    assert list(extended.categories[0]) == ["a", "b", "c"]
    np.testing.assert_array_equal(extended.encode(pd.DataFrame({"c": ["c", "b"]}))[:, 0], [2.0, 1.0])


def test_reordered_columns_are_matched_by_name():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    model = Model()
    first = validate_X(model, frame, reset=True)
    again = validate_X(model, frame[["b", "a"]], reset=False)
    np.testing.assert_array_equal(first, again)


def test_user_frame_is_not_modified(penguins):
    copy = penguins.copy()
    model = Model()
    validate_X(model, penguins, reset=True)
    validate_X(model, penguins, reset=False)
    pd.testing.assert_frame_equal(penguins, copy)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA], ids=["None", "NaN", "pd.NA"])
def test_object_array_of_numbers_reads_every_missing_marker_as_missing(missing):
    X = np.array([[1.0, 2], [missing, 3], [3.5, 1]], dtype=object)
    model = Model()
    encoded = validate_X(model, X, reset=True)
    assert not model._feature_schema.is_categorical.any()
    np.testing.assert_array_equal(encoded, [[1.0, 2.0], [np.nan, 3.0], [3.5, 1.0]])
    np.testing.assert_array_equal(validate_X(model, X, reset=False), encoded)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.arange(3.0), ValueError, r"2-D X .* got a 1-D array of shape \(3,\)\. Reshape your data"),
        (np.zeros((2, 2, 2)), ValueError, r"got a 3-D array"),
        (np.zeros((0, 3)), ValueError, r"0 sample\(s\) \(shape=\(0, 3\)\)"),
        (np.zeros((3, 0)), ValueError, r"0 feature\(s\)"),
        (np.array([[1.0, np.inf]]), ValueError, r"infinity in 'x1'"),
        (np.array([[1 + 2j]]), ValueError, "Complex data not supported"),
        (np.array([[{"a": 1}]], dtype=object), TypeError, "argument must be a string or a real number, not 'dict'"),
        (pd.DataFrame({"c": ["a", "b", ("a",), "a"]}), TypeError, "a real number, not 'tuple'"),  # hashable
        (pd.DataFrame({"c": ["a", ["b"], "a"]}), TypeError, "a real number, not 'list'"),  # unhashable
        (pd.Series([1.0, 2.0]), ValueError, "got a pandas Series"),
        (pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])}), TypeError, "dates or times"),
        (None, ValueError, "got None"),
    ],
)
def test_bad_X_gets_a_clear_error(X, error, match):
    with pytest.raises(error, match=match):
        validate_X(Model(), X, reset=True)


def test_nan_policy_is_the_callers():
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    assert np.isnan(validate_X(Model(), X, reset=True)[0, 1])
    with pytest.raises(ValueError, match=r"NaN \(missing values\) in 'x1'; Model does not accept"):
        validate_X(Model(), X, reset=True, allow_nan=False)


def test_categorical_refused_where_the_caller_needs_numbers():
    with pytest.raises(TypeError, match=r"needs numeric features, but these columns are categorical: 'c'"):
        validate_X(Model(), pd.DataFrame({"c": ["a"], "x": [1.0]}), reset=True, allow_categorical=False)


def test_wrong_feature_count_and_names_at_predict_time():
    model = Model()
    validate_X(model, pd.DataFrame({"a": [1.0], "b": [2.0]}), reset=True)
    with pytest.raises(ValueError, match="X has 1 features, but Model is expecting 2 features"):
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            validate_X(model, np.zeros((1, 1)), reset=False)
    with pytest.raises(ValueError, match="feature names should match"):
        validate_X(model, pd.DataFrame({"a": [1.0], "c": [2.0]}), reset=False)


def test_strings_where_numbers_were_fitted():
    model = Model()
    validate_X(model, pd.DataFrame({"x": [1.0, 2.0]}), reset=True)
    with pytest.raises(TypeError, match="Column 'x' was numeric at fit"):
        validate_X(model, pd.DataFrame({"x": ["a", "b"]}), reset=False)


def test_check_target():
    y_index, classes = check_target(Model(), np.array(["b", "a", "b"]), 3, task="classification")
    assert classes.tolist() == ["a", "b"] and y_index.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        check_target(Model(), None, 3, task="regression")
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        check_target(Model(), [1.0, 2.0], 3, task="regression")
    with pytest.raises(ValueError, match="Unknown label type"):
        check_target(Model(), [0.5, 1.5, 2.5], 3, task="classification")
    with pytest.raises(ValueError, match="needs a numeric target"):
        check_target(Model(), ["a", "b", "c"], 3, task="regression")


def test_check_sample_weight():
    np.testing.assert_array_equal(check_sample_weight(None, 3), np.ones(3))
    with pytest.raises(ValueError, match="length 3"):
        check_sample_weight([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="non-negative"):
        check_sample_weight([1.0, -2.0, 1.0], 3)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["a", "b", "c"]), st.none()), min_size=1, max_size=20),
    st.lists(st.floats(-1e6, 1e6) | st.just(float("nan")), min_size=20, max_size=20),
)
def test_encode_decode_round_trip_property(levels, numbers):
    n = len(levels)
    frame = pd.DataFrame({"cat": pd.Series(levels, dtype=object), "num": numbers[:n]})
    if frame["cat"].isna().all():
        frame["cat"] = frame["cat"].astype(object).fillna("a")
    model = Model()
    encoded = validate_X(model, frame, reset=True)
    decoded = model._feature_schema.decode(encoded)
    assert decoded["cat"].isna().equals(frame["cat"].isna())
    assert (decoded["cat"].dropna() == frame["cat"].dropna()).all()
    np.testing.assert_array_equal(decoded["num"].to_numpy(), frame["num"].to_numpy())


def test_standard_deviation_and_norm_stay_finite_where_the_values_are():
    from glassbox._core import safe_mean_std, safe_norm, safe_std

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    X[3, 1] = np.nan
    np.testing.assert_allclose(safe_std(X), np.nanstd(X, axis=0))
    np.testing.assert_allclose(safe_mean_std(X)[0], np.nanmean(X, axis=0))
    X[5, 2] = 1e300
    assert np.isfinite(safe_std(X)).all() and np.isinf(np.std(X[:, 2]))
    np.testing.assert_allclose(safe_norm(np.array([[3.0, 4.0], [1e300, 1e300]])), [5.0, np.sqrt(2) * 1e300])
    np.testing.assert_array_equal(safe_std(np.full((4, 2), np.nan)), [0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_decode_of_float_columns_is_one_block_equal_to_the_columns(dtype):
    # Columns of one float dtype decode to a frame in one piece (the float64 one shares
    # the encoded rows' memory), equal to decoding column by column.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(50, 4)).astype(dtype), columns=["a", "b", "c", "d"])
    model = Model()
    encoded = validate_X(model, frame, reset=True)
    schema = model._feature_schema
    decoded = schema.decode(encoded)
    by_column = pd.DataFrame({name: schema._decode_column(encoded[:, j], j) for j, name in enumerate(frame)})
    pd.testing.assert_frame_equal(decoded, by_column)
    pd.testing.assert_frame_equal(decoded, frame)
    assert np.shares_memory(decoded.to_numpy(), encoded) == (dtype == np.float64)


def test_decode_keeps_mixed_and_integer_columns_column_by_column():
    frame = pd.DataFrame({"a": [1.5, 2.5], "n": np.array([1, 2], dtype=np.int64), "f": np.float32([0.5, 1.0])})
    model = Model()
    encoded = validate_X(model, frame, reset=True)
    decoded = model._feature_schema.decode(encoded)
    assert list(decoded.dtypes) == [np.float64, np.int64, np.float32]
    pd.testing.assert_frame_equal(decoded, frame)


def _column_kinds(rng, n):
    """Columns of every kind a table may hold, with missing values."""
    words = np.array(["b", "a", "c", "ab", "B", ""], dtype=object)
    strings = words[rng.integers(0, len(words), n)]
    strings[rng.random(n) < 0.2] = None
    with_nan = strings.copy()
    with_nan[rng.random(n) < 0.2] = np.nan
    mixed = strings.copy()
    mixed[rng.random(n) < 0.3] = 7  # strings and numbers: categorical, sorted as text
    return {
        "float": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "int": rng.integers(-3, 3, n),
        "bool": rng.random(n) < 0.5,
        "nullable": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 5, n)), dtype="Int64"),
        "strings": strings,
        "with_nan": with_nan,
        "mixed": mixed,
        "string_dtype": pd.array(strings, dtype="string"),
        "category": pd.Categorical(strings, categories=["c", "b", "a", "ab", "B", ""]),
        "numbers_as_objects": np.where(rng.random(n) < 0.2, None, rng.integers(0, 4, n)).astype(object),
        "bytes": np.array([b"x", b"y"], dtype=object)[rng.integers(0, 2, n)],
    }


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), as_array=st.booleans(),
       kinds=st.lists(st.sampled_from(sorted(_column_kinds(np.random.default_rng(0), 2))), min_size=1, max_size=6))
def test_fit_encoding_in_one_pass_equals_schema_then_encode(seed, n, as_array, kinds):
    """validate_X at fit learns the schema and encodes in one pass over the columns: the same
    schema and codes as learn_schema followed by schema.encode, for every kind of column."""
    if as_array:  # an object array holding pandas' NA is not read as numbers (not a table a user has)
        kinds = [kind for kind in kinds if kind != "nullable"] or ["float"]
    columns = _column_kinds(np.random.default_rng(seed), n)
    frame = pd.DataFrame({f"{kind}{j}": columns[kind] for j, kind in enumerate(kinds)})
    X = frame.to_numpy(dtype=object) if as_array else frame
    model = Model()
    encoded = validate_X(model, X, reset=True)
    schema = learn_schema(X)
    fitted = model._feature_schema
    np.testing.assert_array_equal(fitted.is_categorical, schema.is_categorical)
    for mine, theirs in zip(fitted.categories, schema.categories):
        assert (mine is None and theirs is None) or (list(mine) == list(theirs) and mine.dtype == theirs.dtype)
    np.testing.assert_array_equal(encoded, schema.encode(X))


def test_unhashable_values_are_named_at_fit():
    frame = pd.DataFrame({"x": ["a", ["b"], "c"]})
    with pytest.raises(TypeError, match="Column 'x'.*not 'list'"):
        validate_X(Model(), frame, reset=True)
