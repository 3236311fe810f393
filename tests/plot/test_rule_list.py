"""RuleListDisplay: the IF / ELSE IF / ELSE table of a rule list."""

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from glassbox.models import RuleListClassifier, TreeClassifier
from glassbox.plot import RuleListDisplay


@pytest.fixture(params=["numpy-binary", "numpy-multiclass", "pandas-binary", "pandas-multiclass"])
def rule_list(request, penguins, binary):
    from sklearn.datasets import load_iris

    container, target = request.param.split("-")
    if container == "pandas":
        X, species, _ = penguins
        y = species if target == "multiclass" else species == "Adelie"
    elif target == "multiclass":
        X, y = load_iris(return_X_y=True)
    else:
        X, y = binary
    return RuleListClassifier(max_rules=3).fit(X, y)


def _cells(disp, row):
    return [disp.table_[row, c].get_text().get_text() for c in range(len(disp.columns_))]


def test_every_rule_is_a_row_with_its_probabilities_and_support(rule_list):
    disp = RuleListDisplay.from_estimator(rule_list).plot(precision=3)
    classes = rule_list.classes_
    shown = [1] if len(classes) == 2 else list(range(len(classes)))
    assert disp.columns_ == ["", "condition", *[f"p({classes[k]})" for k in shown], "n"]
    n_rules = len(rule_list.rules_)
    keywords = ["IF"] + ["ELSE IF"] * (n_rules - 1) + ["ELSE"]
    for r in range(n_rules + 1):
        proba = rule_list.rule_proba_[r]
        assert _cells(disp, r + 1) == [
            keywords[r],
            rule_list.rules_[r] if r < n_rules else "",
            *[f"{proba[k]:.3f}" for k in shown],
            str(rule_list.rule_support_[r]),
        ]
        for column, k in enumerate(shown, start=2):  # shaded by the probability
            assert disp.table_[r + 1, column].get_facecolor() == pytest.approx(colormaps["Blues"](0.6 * proba[k]))
        assert disp.table_[r + 1, 1].get_facecolor() == to_rgba("white")
    assert rule_list.rule_support_.sum() == sum(int(_cells(disp, r + 1)[-1]) for r in range(n_rules + 1))
    assert not disp.ax_.axison


def test_a_model_without_rules_is_refused_with_what_it_lacks(penguins):
    X, species, _ = penguins
    tree = TreeClassifier(max_leaf_nodes=3).fit(X, species)
    with pytest.raises(TypeError, match="needs a fitted rule list.*TreeClassifier has no rule_proba_, rule_support_"):
        RuleListDisplay.from_estimator(tree)


def test_inconsistent_shapes_are_refused():
    with pytest.raises(ValueError, match=r"proba of shape \(n_rules \+ 1, n_classes\) = \(2, 2\)"):
        RuleListDisplay(["x > 1"], np.ones((1, 2)), np.ones(2), ["a", "b"])
