"""The HTML report and the command line."""

import html
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import glassbox
from glassbox.report import ReportError, build
from glassbox.report._cli import main


@pytest.fixture(scope="module")
def cancer_report(tmp_path_factory):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.iloc[:, :8].assign(diagnosis=y.map({0: "malignant", 1: "benign"}))
    path = tmp_path_factory.mktemp("report") / "cancer.html"
    return build(frame, "diagnosis", output=path, cv=3, random_state=0).path, frame


def test_report_tells_the_whole_story_in_one_self_contained_file(cancer_report):
    path, frame = cancer_report
    page = path.read_text()
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles[0] == "Accuracy against complexity"
    assert titles[1].startswith("The chosen model: ")
    assert titles[2:] == [
        "A transparent surrogate of the black box",
        "What the black box relies on",
        "How the top features move the prediction",
        "Why the black box decided, row by row",
    ]
    # front + importance + 3 effects + 3 waterfalls, all inline SVG.
    assert page.count("<svg") == 8
    assert "<script" not in page and "<img" not in page
    assert not re.search(r"""(src|href)=["']https?:""", page)  # nothing fetched from a network
    assert f"{len(frame)} rows, 8 features (0 categorical)" in page


def test_chosen_model_is_the_simplest_within_one_standard_error(cancer_report):
    path, _ = cancer_report
    page = path.read_text()
    chosen = re.search(r"<h2>The chosen model: (\w+)", page).group(1)
    assert chosen != "HistGradientBoostingClassifier"  # a transparent model is within 1 SE here


def test_categorical_and_missing_values_as_they_come(tmp_path):
    palmerpenguins = pytest.importorskip("palmerpenguins")
    penguins = palmerpenguins.load_penguins()
    csv = tmp_path / "penguins.csv"
    penguins.to_csv(csv, index=False)
    path = build(csv, "species", output=tmp_path / "penguins.html", cv=3).path
    page = html.unescape(path.read_text())
    assert "7 features (2 categorical)" in page and f"{int(penguins.drop(columns='species').isna().sum().sum())} missing" in page
    assert "island" in page  # categories are shown by name


def test_regression_report(tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    path = build(X.assign(progression=y), "progression", output=tmp_path / "d.html", cv=3).path
    page = html.unescape(path.read_text())
    assert "target 'progression' (regression)" in page and "mean_r2" in page


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        (None, "y", "no such file"),
        ("", "y", "is empty"),
        ("a,b\n1,2\n3,4\n", "y", "no column 'y' in the table; its columns are a, b"),
        ("a,y\n1,2\n3,2\n5,2\n", "y", "has a single value"),
        (b"\xff\xfe\x00\x81garbage\x00\x9c", "y", "cannot read"),
    ],
)
def test_bad_csv_gets_one_line_and_a_nonzero_exit(tmp_path, capsys, content, target, message):
    csv = tmp_path / "data.csv"
    if content is not None:
        csv.write_bytes(content if isinstance(content, bytes) else content.encode())
    status = main(["report", str(csv), "--target", target, "-o", str(tmp_path / "r.html"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("glassbox: error: ") and message in err
    assert "Traceback" not in err


def test_module_entry_point_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "glassbox", "report", str(tmp_path / "none.csv"), "--target", "y"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_version_is_printed_and_exits_zero(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"glassbox {glassbox.__version__}\n"


def test_module_entry_point_prints_the_version():
    result = subprocess.run([sys.executable, "-m", "glassbox", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout == f"glassbox {glassbox.__version__}\n"


def test_rows_without_target_are_dropped_and_counted(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "c": rng.choice(["u", "v"], 120)})
    frame["y"] = np.where(frame["x"] > 0, "yes", "no")
    frame.loc[:4, "y"] = None
    page = build(frame, "y", output=tmp_path / "r.html", cv=3).path.read_text()
    assert "115 rows" in page and "5 rows without a target dropped" in page
    with pytest.raises(ReportError, match="task must be"):
        build(frame, "y", task="clustering", output=tmp_path / "r.html")


def test_a_column_with_no_value_is_left_out_and_said(tmp_path):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    frame = X.iloc[:150, :3].assign(empty=np.nan, diagnosis=y.iloc[:150])
    with pytest.warns(UserWarning, match="Left out 1 column with no value at all: 'empty'"):
        path = build(frame, "diagnosis", output=tmp_path / "empty.html", cv=2).path
    page = html.unescape(path.read_text())
    assert "Left out 1 column with no value at all: 'empty'." in page
    assert "3 features (0 categorical)" in page


def test_a_black_box_predicting_one_class_gets_a_sentence_not_a_crash(tmp_path):
    # A constant feature: no model can split, so every one predicts the majority class.
    y = np.array(["no"] * 57 + ["yes"] * 3)
    frame = pd.DataFrame({"constant": np.ones(60), "target": y})
    report = build(frame, "target", output=tmp_path / "one.html", cv=2)
    page = html.unescape(report.path.read_text())
    assert "predicts 'no' for every row, so there is no decision to mimic" in page
    assert np.isnan(report.fidelity)
