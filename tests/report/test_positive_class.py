"""--positive-class and --threshold: every number and figure of the report is about the
class the user named, and the held-out classes are decided at the threshold."""

import re

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix

from glassbox.models import AdditiveClassifier, SparseLinearClassifier
from glassbox.plot import CoefficientDisplay, EffectDisplay, WaterfallDisplay
from glassbox.report import _build, _explain, _page, _search, build

CLASSES = ("benign", "malignant")  # classes_[0], classes_[1]


def _frame():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X[["mean radius", "mean texture", "mean smoothness", "worst concave points"]].iloc[:240]
    return X.assign(diagnosis=y.iloc[:240].map({0: "malignant", 1: "benign"}).to_numpy())


def _report(tmp_path, family, positive, threshold=None):
    """A report whose chosen model is ``family`` (a sparse linear or an additive model),
    with the displays it drew and their captions."""
    models = {"linear": SparseLinearClassifier(max_features=3),
              "additive": AdditiveClassifier(outer_bags=2, interactions=0, max_rounds=300, random_state=0)}
    drawn = []

    def record(section, display, caption):
        drawn.append((section.title, display, caption))
        section.parts.append(f"<figure><figcaption>{caption}</figcaption></figure>")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_search, "candidates", lambda task, random_state, n: [models[family],
                                                                            _search.black_box(task, random_state)])
        patch.setattr(_build, "choose", lambda results, metric: 0)
        patch.setattr(_page.Section, "figure", record)
        report = build(_frame(), "diagnosis", output=tmp_path / f"{family}-{positive}.html", cv=2,
                       positive_class=positive, threshold=threshold)
    return report, drawn, report.path.read_text()


@pytest.fixture(scope="module", params=["linear", "additive"])
def both(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    return request.param, {positive: _report(folder, request.param, positive, threshold=0.3) for positive in CLASSES}


def _cells(fragment):
    """The cells of the first HTML table of ``fragment``, row by row, and its header."""
    table = fragment[fragment.index("<table"):fragment.index("</table>")]
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    return rows[0], rows[1:]


def _counts(fragment):
    """The confusion matrix in ``fragment``: the first table's numbers after its label column."""
    _, rows = _cells(fragment)
    return np.array([[int(c) for c in row[1:]] for row in rows])


def _of(drawn, kind):
    return [(display, caption) for _, display, caption in drawn if isinstance(display, kind)]


def test_the_chosen_model_s_own_display_is_negated_for_the_other_class(both):
    family, reports = both
    first, second = (reports[c][1] for c in CLASSES)
    if family == "linear":
        (a, _), = _of(first, CoefficientDisplay)
        (b, _), = _of(second, CoefficientDisplay)
        np.testing.assert_array_equal(a.coef, -b.coef)
        assert list(a.term_names) == list(b.term_names)
        assert [str(t) for t in a.output_names] == ["class benign"]
        assert [str(t) for t in b.output_names] == ["class malignant"]
    else:
        shapes = {c: _of(reports[c][1], EffectDisplay)[:4] for c in CLASSES}  # the shapes come first
        assert len(shapes["benign"]) == len(shapes["malignant"]) > 0
        for (a, caption_a), (b, caption_b) in zip(shapes["benign"], shapes["malignant"]):
            assert a.effect.method == "shape" and a.effect.feature_names == b.effect.feature_names
            np.testing.assert_array_equal(a.effect.values, -b.effect.values)
            np.testing.assert_array_equal(a.effect.lower, -b.effect.upper)  # the band turns over
            assert "in log-odds of benign" in caption_a and "in log-odds of malignant" in caption_b
            assert "log-odds of benign" in a.ax_.get_ylabel()


def test_the_equation_gives_the_log_odds_of_the_positive_class(both):
    family, reports = both
    if family != "linear":
        return  # an equation is a linear model's
    model = reports["malignant"][0].chosen
    numbers = {}
    for positive in CLASSES:
        page = reports[positive][2]
        equation = re.search(r"<pre>(.*?)</pre>", page, flags=re.S).group(1).split("\nwhere")[0]
        assert equation.startswith(f"logit p({positive}) = ")
        signed = re.sub(r"([+\u2212]) ", r"\1", equation.split(" = ", 1)[1].replace("\n", " "))
        numbers[positive] = [float(n.replace("\u2212", "-")) for n in re.findall(r"[+\u2212]?[\d.]+(?= ×|\s|$)",
                                                                                 signed)]
    expected = [model.intercept_[0], *np.atleast_2d(model.coef_)[0, model._used_terms()]]
    np.testing.assert_allclose(numbers["malignant"], expected, rtol=1e-3)
    np.testing.assert_allclose(numbers["benign"], -np.asarray(expected), rtol=1e-3)


def test_rows_are_explained_in_the_probability_of_the_positive_class(both):
    _, reports = both
    X = _frame().drop(columns="diagnosis")
    contributions = {}
    for positive in CLASSES:
        report, drawn, _ = reports[positive]
        waterfalls = _of(drawn, WaterfallDisplay)
        assert len(waterfalls) == 3
        for display, caption in waterfalls:
            row = int(caption.split(":")[0].split()[1])
            p = report.chosen.predict_proba(X.loc[[row]])[0, list(report.chosen.classes_).index(positive)]
            given = positive if p >= 0.3 else CLASSES[1 - CLASSES.index(positive)]  # at the report's threshold
            assert f"predicted P({positive}) = {p:.2f} (class {given})" in caption
            assert expit(display.base_value + display.values.sum()) == pytest.approx(p, abs=1e-9)
            assert display.ax_.get_xlabel() == f"probability of {positive}"
            contributions.setdefault(positive, []).append((row, display.values, display.base_value))
    for (row_a, values_a, base_a), (row_b, values_b, base_b) in zip(*contributions.values()):
        if row_a == row_b:  # the rows with the highest P(benign) and P(malignant) swap places
            np.testing.assert_allclose(sorted(values_a), sorted(-values_b), atol=1e-12)
            assert base_a == pytest.approx(-base_b, abs=1e-12)


def test_the_other_sections_name_the_positive_class(both):
    _, reports = both
    for positive in CLASSES:
        _, drawn, page = reports[positive]
        captions = [caption for _, _, caption in drawn]
        assert any(f"positive class {positive!r}" in caption for caption in captions)  # ROC
        assert any(f"predicted probability of {positive!r}" in caption for caption in captions)  # calibration
        importance = [d for title, d, _ in drawn if title == "What the chosen model relies on"][0]
        assert f"log-odds of {positive}" in importance.ax_.get_xlabel()


@pytest.mark.parametrize(("positive", "threshold"), [("benign", 0.2), ("malignant", 0.5), ("malignant", 0.9)])
def test_the_confusion_matrix_is_decided_at_the_threshold(positive, threshold):
    frame = _frame()
    X, y = frame.drop(columns="diagnosis"), frame["diagnosis"]
    model = SparseLinearClassifier(max_features=2).fit(X.iloc[::2], y.iloc[::2])
    X_test, y_test = X.iloc[1::2], y.iloc[1::2]
    section = _explain.held_out(model, model, X_test, y_test, "classification", positive, threshold)
    page = "".join(section.parts)
    p = model.predict_proba(X_test)[:, list(model.classes_).index(positive)]
    other = CLASSES[1 - CLASSES.index(positive)]
    decided = np.where(p >= threshold, positive, other)
    expected = confusion_matrix(y_test, decided, labels=model.classes_)
    assert f"Confusion matrix of the chosen model (P({positive}) ≥ {threshold:g})" in page
    np.testing.assert_array_equal(_counts(page.split("Confusion matrix")[1]), expected)
    head, rows = _cells(page)
    scores = dict(zip(head, rows[0]))
    assert float(scores["accuracy"]) == pytest.approx(accuracy_score(y_test, decided), abs=1e-4)
    assert float(scores["balanced accuracy"]) == pytest.approx(balanced_accuracy_score(y_test, decided), abs=1e-4)
    assert f"at least {threshold:g}" in page


def test_the_report_s_confusion_matrix_is_decided_at_its_threshold(both):
    _, reports = both
    frame = _frame()
    for positive in CLASSES:
        report, _, page = reports[positive]
        X, y = frame.drop(columns="diagnosis").iloc[report.held_out], frame["diagnosis"].iloc[report.held_out]
        p = report.chosen.predict_proba(X)[:, list(report.chosen.classes_).index(positive)]
        decided = np.where(p >= 0.3, positive, CLASSES[1 - CLASSES.index(positive)])
        assert f"Confusion matrix of the chosen model (P({positive}) ≥ 0.3)" in page
        np.testing.assert_array_equal(_counts(page.split("Confusion matrix")[1]),
                                      confusion_matrix(y, decided, labels=list(CLASSES)))


def test_more_classes_keep_the_most_probable_class_and_say_so():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = SparseLinearClassifier(max_features=2).fit(X, y)
    section = _explain.held_out(model, model, X, y, "classification", None)
    page = "".join(section.parts)
    assert "a row is given its most probable class" in page
    assert "Confusion matrix of the chosen model (the most probable class)" in page
    expected = confusion_matrix(y, model.classes_[np.argmax(model.predict_proba(X), axis=1)])
    np.testing.assert_array_equal(_counts(page.split("Confusion matrix")[1]), expected)


@pytest.mark.parametrize(("target", "threshold", "message"), [
    ("diagnosis", 1.0, "strictly between 0 and 1; got 1.0"),
    ("diagnosis", 0.0, "strictly between 0 and 1; got 0.0"),
    ("grade", 0.5, "--threshold needs a binary target; this one has more than two classes"),
    ("size", 0.5, "--threshold needs a binary target; this one has a regression"),
])
def test_a_threshold_out_of_place_is_a_clear_error(tmp_path, target, threshold, message):
    frame = _frame()
    frame["grade"] = np.resize(["a", "b", "c"], len(frame))
    frame["size"] = frame.pop("mean radius")
    with pytest.raises(_build.ReportError, match=re.escape(message)):
        build(frame, target, threshold=threshold, output=tmp_path / "r.html")


def test_the_about_positive_helper_leaves_results_in_probability_alone():
    from glassbox.models import TreeClassifier

    frame = _frame()
    X, y = frame.drop(columns="diagnosis"), frame["diagnosis"]
    tree = TreeClassifier(max_leaf_nodes=4, random_state=0).fit(X, y)
    local = tree.explain(X.iloc[:5])  # one output per class: nothing to turn
    assert _explain.about_positive(local, tree, "benign") is local
    linear = SparseLinearClassifier(max_features=2).fit(X, y)
    importance = linear.explain()
    turned = _explain.about_positive(importance, linear, "benign")
    np.testing.assert_array_equal(turned.values, importance.values)  # a magnitude, the same for both classes
    assert list(turned.output_names) == ["benign"]
