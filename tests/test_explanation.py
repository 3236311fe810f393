"""The Explanation and Effect result types."""

import pickle

import numpy as np
import pandas as pd
import pytest

from glassbox import Effect, Explanation


@pytest.fixture
def exp():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 3, 2))
    return Explanation(
        values,
        base_values=np.array([0.2, 0.8]),
        data=np.arange(12.0).reshape(4, 3),
        feature_names=["age", "bmi", "sex"],
        output_names=["no", "yes"],
        method="test",
        std=np.abs(values) / 10,
    )


def test_local_values_are_always_three_dimensional(exp):
    assert exp.shape == (4, 3, 2) and exp.is_local
    assert exp.base_values.shape == (4, 2)
    assert exp[0].shape == (1, 3, 2)
    assert exp[:, "bmi"].shape == (4, 1, 2)
    assert exp[:, :, "yes"].shape == (4, 3, 1)


def test_slicing_by_name_keeps_everything_aligned(exp):
    part = exp[1:3, ["sex", "age"], "yes"]
    np.testing.assert_array_equal(part.values[:, :, 0], exp.values[1:3][:, [2, 0], 1])
    np.testing.assert_array_equal(part.data, exp.data[1:3][:, [2, 0]])
    np.testing.assert_array_equal(part.std, exp.std[1:3][:, [2, 0]][:, :, [1]])
    np.testing.assert_array_equal(part.base_values, exp.base_values[1:3, [1]])
    assert part.feature_names.tolist() == ["sex", "age"] and part.output_names.tolist() == ["yes"]
    mask = np.array([True, False, True])
    assert exp[:, mask].feature_names.tolist() == ["age", "sex"]


def test_bad_keys_name_what_exists(exp):
    with pytest.raises(KeyError, match="'weight' is not a feature of the explanation; the features are 'age', 'bmi', 'sex'"):
        exp[:, "weight"]
    with pytest.raises(IndexError, match="out of range"):
        exp[:, 5]
    with pytest.raises(IndexError, match="Too many indices"):
        exp[0, 0, 0, 0]


def test_output_adds_base_and_values(exp):
    np.testing.assert_allclose(exp.output(), exp.base_values + exp.values.sum(axis=1))


def test_mean_abs_is_global(exp):
    g = exp.mean_abs()
    assert not g.is_local and g.shape == (3, 2)
    np.testing.assert_allclose(g.values, np.abs(exp.values).mean(axis=0))
    assert g["bmi", "no"].values.item() == pytest.approx(np.abs(exp.values[:, 1, 0]).mean())
    with pytest.raises(ValueError, match="already global"):
        g.mean_abs()


def test_to_frame_wide_and_long(exp):
    wide = exp.to_frame()
    assert wide.shape == (4, 6)
    assert wide[("yes", "bmi")].tolist() == exp.values[:, 1, 1].tolist()
    one = exp[:, :, "no"].to_frame()
    assert list(one.columns) == ["age", "bmi", "sex"]
    long = exp.to_frame(long=True)
    assert len(long) == 24 and set(long.columns) == {"sample", "feature", "output", "value", "std", "data"}
    row = long[(long["sample"] == 2) & (long["feature"] == "sex") & (long["output"] == "yes")]
    assert row["value"].item() == exp.values[2, 2, 1] and row["data"].item() == exp.data[2, 2]
    glob = exp.mean_abs().to_frame()
    assert list(glob.index) == ["age", "bmi", "sex"] and list(glob.columns) == ["no", "yes"]


def test_pickle_round_trip(exp):
    again = pickle.loads(pickle.dumps(exp))
    np.testing.assert_array_equal(again.values, exp.values)
    assert again.feature_names.tolist() == exp.feature_names.tolist()


def test_repr_names_method_shape_and_top_features(exp):
    text = repr(exp)
    assert text.startswith("Explanation(method='test', local, 4 samples x 3 features x 2 outputs)")
    top = exp.feature_names[np.argmax(np.abs(exp.values).mean(axis=(0, 2)))]
    assert f"mean |value|: {top}=" in text


def test_shape_mismatches_are_explained():
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        Explanation(np.zeros(3))
    with pytest.raises(ValueError, match="Expected 2 x names, got 3"):
        Explanation(np.zeros((1, 2, 1)), feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="data of shape"):
        Explanation(np.zeros((1, 2, 1)), data=np.zeros((2, 2)))


def test_effect_shapes_slicing_and_frame():
    grid = np.array([0.0, 1.0, 2.0])
    values = np.column_stack([grid, -grid])
    effect = Effect(("age",), (grid,), values, output_names=["a", "b"], method="partial_dependence",
                    individual=np.stack([values, values + 1]), lower=values - 0.1, upper=values + 0.1,
                    counts=np.array([5, 6, 7]))
    assert effect.n_outputs == 2 and not effect.is_2d
    b = effect["b"]
    assert b.values.shape == (3, 1) and b.individual.shape == (2, 3, 1)
    frame = effect.to_frame()
    assert len(frame) == 6 and frame.loc[(frame.age == 2.0) & (frame.output == "b"), "value"].item() == -2.0
    assert frame["count"].tolist() == [5, 5, 6, 6, 7, 7]
    assert "Effect(method='partial_dependence', age (3 points), 2 outputs)" in repr(effect)
    with pytest.raises(ValueError, match=r"must have shape \(\*grid_shape, n_outputs\)"):
        Effect(("age",), (grid,), np.zeros((4, 1)))


def test_two_dimensional_categorical_effect():
    levels = np.array(["a", "b"], dtype=object)
    effect = Effect(("c", "x"), (levels, np.arange(3.0)), np.zeros((2, 3, 1)), is_categorical=(True, False))
    assert effect.is_2d and effect.is_categorical == (True, False)
    frame = effect.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame["c"].tolist()[:3] == ["a", "a", "a"]
    assert pickle.loads(pickle.dumps(effect)).grid[0].tolist() == ["a", "b"]


def test_local_surrogate_weights_slice_with_the_values():
    values = np.arange(12.0).reshape(2, 3, 2)
    exp = Explanation(values, base_values=np.zeros((2, 2)), coef=values * 2, intercept=[[1.0, 2.0], [3.0, 4.0]],
                      feature_names=["a", "b", "c"], output_names=["no", "yes"])
    part = exp[1, ["c", "a"], "yes"]
    np.testing.assert_array_equal(part.coef, (values * 2)[[1]][:, [2, 0]][:, :, [1]])
    np.testing.assert_array_equal(part.intercept, [[4.0]])
    with pytest.raises(ValueError, match=r"coef of shape \(2, 3\) does not match values of shape \(2, 3, 2\)"):
        Explanation(values, coef=values[:, :, 0])
    with pytest.raises(ValueError, match=r"intercept of shape \(3,\) does not match"):
        Explanation(values, intercept=[1.0, 2.0, 3.0])
