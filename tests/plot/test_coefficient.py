"""CoefficientDisplay: signed bars of glassbox and scikit-learn linear models."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassbox._core import format_number
from glassbox.models import SparseLinearClassifier, SparseLinearRegressor
from glassbox.plot import CoefficientDisplay

RED, BLUE = to_rgba("#c44e52"), to_rgba("#4c72b0")
SCALED = "standardized coefficient (change per standard deviation of the term)"
RAW = "coefficient (change per unit of the term)"


def _expected_order(coef):
    """Terms with a non-zero coefficient, largest absolute value (over outputs) first."""
    used = np.flatnonzero((coef != 0).any(axis=1))
    return used[np.argsort(-np.abs(coef[used]).max(axis=1), kind="stable")]


def _check_panels(disp, coef, names):
    """Each panel's bars are the columns of ``coef`` (n_terms, n_outputs), names top to bottom."""
    assert len(disp.axes_) == len(disp.bars_) == coef.shape[1]
    assert disp.term_names.tolist() == list(names)
    for k, bars in enumerate(disp.bars_):
        assert [bar.get_width() for bar in bars] == pytest.approx(coef[:, k], rel=1e-12)
        assert [bar.get_facecolor() for bar in bars] == [RED if c >= 0 else BLUE for c in coef[:, k]]
        assert [bar.get_y() + bar.get_height() / 2 for bar in bars] == list(range(len(names)))[::-1]
    axis = disp.axes_[0]  # the panels share it
    labels = sorted(zip(axis.get_yticks(), (t.get_text() for t in axis.get_yticklabels())), reverse=True)
    assert [label.split(" (sd ")[0] for _, label in labels] == list(names)  # the largest on top


@pytest.mark.parametrize("standardized", ["auto", True, False])
def test_glassbox_linear_models_show_their_terms(data, standardized):
    _, task, X, y = data
    model = (SparseLinearClassifier if task == "classifier" else SparseLinearRegressor)(max_features=3).fit(X, y)
    disp = CoefficientDisplay.from_estimator(model, standardized=standardized).plot()
    scaled = standardized in ("auto", True)
    coef = np.atleast_2d(model.standardized_coef_ if scaled else model.coef_).T  # (n_terms, n_outputs)
    order = _expected_order(coef)
    _check_panels(disp, coef[order], model.terms_[order])
    assert disp.ax_.get_xlabel() == (SCALED if scaled else RAW)
    if scaled:  # each label gives the term's standard deviation in its own units
        raw, standardized = np.atleast_2d(model.coef_), np.atleast_2d(model.standardized_coef_)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(raw != 0, np.abs(standardized / raw), 0.0).max(axis=0)
        assert disp.term_scales == pytest.approx(scale[order], rel=1e-12)
        assert [t.get_text() for t in disp.ax_.get_yticklabels()] == [
            f"{name} (sd {format_number(sd, 3)})" for name, sd in zip(model.terms_[order], scale[order])]
    titles = [axis.get_title() for axis in disp.axes_]
    assert titles == ([f"class {c}" for c in model.classes_] if task == "classifier" else [""])


def test_one_class_of_a_multiclass_model(penguins):
    X, species, _ = penguins
    model = SparseLinearClassifier(max_features=3).fit(X, species)
    disp = CoefficientDisplay.from_estimator(model, output="Gentoo").plot()
    coef = model.standardized_coef_[2][:, None]
    order = _expected_order(coef)
    _check_panels(disp, coef[order], model.terms_[order])
    assert disp.ax_.get_title() == "class Gentoo"


def test_a_binary_model_has_one_panel_for_its_positive_class(binary):
    X, y = binary
    model = SparseLinearClassifier(max_features=2).fit(X, y)
    disp = CoefficientDisplay.from_estimator(model, output=1, max_terms=1).plot()
    coef = model.standardized_coef_.T
    order = _expected_order(coef)[:1]
    _check_panels(disp, coef[order], model.terms_[order])
    assert disp.ax_.get_title() == "class 1"


def test_the_other_class_of_a_binary_model_has_every_sign_turned(binary):
    X, y = binary
    model = SparseLinearClassifier(max_features=2).fit(X, y)
    first = CoefficientDisplay.from_estimator(model, output=0).plot()  # the label 0: classes_[0]
    second = CoefficientDisplay.from_estimator(model, output=1).plot()
    coef = model.standardized_coef_.T
    order = _expected_order(coef)
    _check_panels(first, -coef[order], model.terms_[order])
    np.testing.assert_array_equal(first.coef, -second.coef)
    assert first.ax_.get_title() == "class 0"


def _sklearn_pipeline(container, task):
    final = LogisticRegression(max_iter=2000) if task == "classifier" else Ridge(alpha=1.0)
    if container == "numpy":
        return make_pipeline(StandardScaler(), final)
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
    columns = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        ("cat", OneHotEncoder(sparse_output=False), ["island", "sex"]),
    ])
    return make_pipeline(columns, final)


def test_scikit_learn_models_are_named_by_their_pipeline(data):
    container, task, X, y = data
    pipeline = _sklearn_pipeline(container, task).fit(X, y)
    names = pipeline[:-1].get_feature_names_out()
    coef = np.atleast_2d(pipeline[-1].coef_).T

    raw = CoefficientDisplay.from_estimator(pipeline).plot()  # "auto" without X: per unit
    order = _expected_order(coef)
    _check_panels(raw, coef[order], names[order])
    assert raw.ax_.get_xlabel() == RAW

    scaled = CoefficientDisplay.from_estimator(pipeline, X).plot()  # per standard deviation of the model's input
    coef = coef * pipeline[:-1].transform(X).std(axis=0)[:, None]
    order = _expected_order(coef)
    _check_panels(scaled, coef[order], names[order])
    assert scaled.ax_.get_xlabel() == SCALED
    assert scaled.term_scales == pytest.approx(pipeline[:-1].transform(X).std(axis=0)[order])


def test_errors_name_what_was_expected(binary):
    X, y = binary
    ridge = Ridge().fit(X, y)
    with pytest.raises(ValueError, match="needs X.*or standardized=False"):
        CoefficientDisplay.from_estimator(ridge, standardized=True)
    with pytest.raises(TypeError, match="linear model with coef_.*got RandomForestRegressor"):
        CoefficientDisplay.from_estimator(RandomForestRegressor(n_estimators=2).fit(X, y))
    with pytest.raises(ValueError, match="standardized must be True, False or 'auto'"):
        CoefficientDisplay.from_estimator(ridge, standardized="yes")
    disp = CoefficientDisplay.from_estimator(ridge)
    with pytest.raises(ValueError, match="needs 1 axes, one per output; got 2"):
        disp.plot(ax=[None, None])
