"""The command line: one-line errors, the delimiter sniffed, identifiers and dates left
out and said, --drop, --sep, --positive-class, --title, --slice, --version."""

import html
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import glassbox
from glassbox.report._cli import main


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


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    """Iris written with semicolons, an identifier and a date column, as exports often are."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    frame = X.copy()
    frame.insert(0, "id", np.arange(1000, 1000 + len(frame)))
    frame.insert(1, "when", pd.date_range("2024-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d"))
    frame["species"] = load_iris().target_names[y]
    path = tmp_path_factory.mktemp("cli") / "iris.csv"
    frame.to_csv(path, sep=";", index=False)
    return path, frame


def test_a_semicolon_file_with_ids_and_dates(iris_csv, tmp_path, capsys):
    path, frame = iris_csv
    out = tmp_path / "iris.html"
    status = main(["report", str(path), "--target", "species", "-o", str(out), "--title", "Iris, read as it came",
                   "--drop", "sepal width (cm)", "--slice", "petal width (cm)", "--quiet"])
    err = capsys.readouterr().err
    assert status == 0
    assert err.splitlines() == ["glassbox: warning: Left out 'id': an identifier (a distinct value on every row).",
                                "glassbox: warning: Left out 'when': a date."]
    page = html.unescape(out.read_text())
    assert "<h1>Iris, read as it came</h1>" in page and "<title>Iris, read as it came</title>" in page
    assert "Left out 'id': an identifier" in page and "Left out 'when': a date." in page
    assert "Left out 'sepal width (cm)': asked for (--drop)." in page
    assert f"{len(frame)} rows, 3 features (0 categorical)" in page  # 4 measurements less the dropped one
    assert "made by: glassbox report" in page and "--slice 'petal width (cm)'" in page
    assert 'id="scores-per-cohort"' in page


def test_sep_given_and_a_positive_class(iris_csv, tmp_path, capsys):
    path, frame = iris_csv
    binary = frame[frame["species"] != "setosa"].drop(columns=["id", "when"])
    csv = tmp_path / "two.csv"
    binary.to_csv(csv, sep="|", index=False)
    out = tmp_path / "two.html"
    assert main(["report", str(csv), "--target", "species", "--sep", "|", "--positive-class", "versicolor",
                 "-o", str(out), "--quiet", "--cv", "3"]) == 0
    page = html.unescape(out.read_text())
    captions = re.findall(r"<figcaption>(Row \d+: .*?)</figcaption>", page)
    assert len(captions) == 3 and all("predicted P(versicolor) = " in caption for caption in captions)
    assert "positive class 'versicolor'" in page
    assert main(["report", str(csv), "--target", "species", "--sep", "|", "--positive-class", "setosa",
                 "-o", str(out), "--quiet"]) == 1
    assert "no class 'setosa' in 'species'; its classes are versicolor, virginica" in capsys.readouterr().err


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


def test_a_threshold_reaches_the_report_and_a_wrong_one_is_one_line(iris_csv, tmp_path, capsys, monkeypatch):
    path, _ = iris_csv
    status = main(["report", str(path), "--target", "species", "--threshold", "0.3", "-o", str(tmp_path / "r.html"),
                   "--quiet"])
    assert status == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("glassbox: error: --threshold needs a binary target; this one has more than two classes")
    seen = {}
    monkeypatch.setattr("glassbox.report._cli.build", lambda *args, **kwargs: seen.update(kwargs) or _Written())
    assert main(["report", str(path), "--target", "species", "--threshold", "0.7", "--quiet"]) == 0
    assert seen["threshold"] == 0.7 and seen["positive_class"] is None


class _Written:
    path = "r.html"
