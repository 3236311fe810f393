"""TreeDisplay: a box per node with its split, rows and prediction, laid out top down."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from glassbox.models import TreeClassifier, TreeRegressor
from glassbox.plot import TreeDisplay


@pytest.fixture
def tree(data):
    _, task, X, y = data
    return (TreeClassifier if task == "classifier" else TreeRegressor)(max_leaf_nodes=6, random_state=0).fit(X, y)


def _positions(disp):
    return {int(node): np.asarray(box.get_position()) for node, box in zip(disp.node_ids_, disp.boxes_)}


def test_each_node_is_a_box_with_its_split_rows_and_prediction(tree):
    disp = TreeDisplay.from_estimator(tree).plot()
    n_leaves = tree.n_leaves_
    assert len(disp.boxes_) == 2 * n_leaves - 1
    leaves = [node for node in disp.node_ids_ if disp.left[node] < 0]  # depth first: left to right
    texts = [disp.boxes_[list(disp.node_ids_).index(node)].get_text() for node in leaves]
    rules = tree.leaf_rules()
    for text, (_, leaf) in zip(texts, rules.iterrows()):
        lines = text.split("\n")
        assert lines[0] == f"n = {leaf['n_samples']}"
        if isinstance(tree, TreeClassifier):
            best = max(leaf[f"p({c})"] for c in tree.classes_)
            assert lines[1] == f"class: {leaf['prediction']} (p = {best:.2f})"
        else:
            # Written plainly ("3,996"), to four significant digits.
            number = lines[1].removeprefix("value: ")
            assert lines[1].startswith("value: ") and "e" not in number
            assert float(number.replace(",", "")) == pytest.approx(leaf["prediction"], rel=5e-4)
    # The root's box reads the condition of its left branch, as the text of the model does.
    first = tree.to_text().split("\n")[0]
    root = disp.boxes_[0].get_text().split("\n")
    assert root[0] == first[len("|--- "):first.rindex(" (n=")]
    assert root[1] == f"n = {rules['n_samples'].sum()}"


def test_layout_puts_leaves_in_columns_and_splits_between_their_children(tree):
    disp = TreeDisplay.from_estimator(tree).plot()
    at = _positions(disp)
    leaves = [node for node in disp.node_ids_ if disp.left[node] < 0]
    assert [at[node][0] for node in leaves] == list(range(len(leaves)))
    segments = disp.edges_.get_segments()
    assert len(segments) == len(disp.edge_labels_) == len(disp.boxes_) - 1
    words = []
    for node in disp.node_ids_:
        left, right = disp.left[node], disp.right[node]
        if left < 0:
            continue
        assert at[node][0] == (at[left][0] + at[right][0]) / 2
        assert at[left][1] == at[right][1] == at[node][1] - 1
    for child, segment, label in zip(disp.node_ids_[1:], segments, disp.edge_labels_):
        parent = np.flatnonzero((disp.left == child) | (disp.right == child))[0]
        np.testing.assert_array_equal(segment, [at[parent], at[child]])
        words.append((label.get_text(), disp.left[parent] == child))
    assert all((word == "yes") == is_left for word, is_left in words)


def test_colours_deepen_with_purity_or_value(tree):
    disp = TreeDisplay.from_estimator(tree).plot()
    darkness = {int(n): -sum(box.get_bbox_patch().get_facecolor()[:3]) for n, box in zip(disp.node_ids_, disp.boxes_)}
    nodes = np.asarray(disp.node_ids_)
    if isinstance(tree, TreeClassifier):
        best, top = disp.value.argmax(axis=1), disp.value.max(axis=1)
        for k in np.unique(best):
            members = nodes[best[nodes] == k]
            by_purity = members[np.argsort(top[members], kind="stable")]
            assert np.all(np.diff([darkness[n] for n in by_purity]) >= -1e-12)
    else:
        by_value = nodes[np.argsort(disp.value[nodes, 0], kind="stable")]
        assert np.all(np.diff([darkness[n] for n in by_value]) >= -1e-12)


def test_max_depth_cuts_the_drawing_and_marks_the_cut(penguins):
    X, species, _ = penguins
    tree = TreeClassifier(max_leaf_nodes=8, random_state=0).fit(X, species)
    disp = TreeDisplay.from_estimator(tree).plot(max_depth=1)
    root_children = [disp.left[0], disp.right[0]]
    assert list(disp.node_ids_) == [0, *root_children]
    cut = [node for node in root_children if disp.left[node] >= 0]
    assert [t.get_text() for t in disp.ax_.texts].count("(...)") == len(cut) > 0
    assert [at[0] for at in _positions(disp).values()] == [0.5, 0.0, 1.0]
    assert len(disp.edges_.get_segments()) == 2


def test_only_glassbox_trees_are_drawn(binary):
    X, y = binary
    with pytest.raises(TypeError, match="TreeClassifier and TreeRegressor; got DecisionTreeClassifier.*plot_tree"):
        TreeDisplay.from_estimator(DecisionTreeClassifier(max_depth=2).fit(X, y))
