"""Every script in examples/ runs, and shows what it promises."""

import runpy
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_demo_writes_the_report_and_prints_the_choice(capsys, tmp_path, monkeypatch):
    output = tmp_path / "report.html"
    monkeypatch.setattr(sys, "argv", ["demo.py", str(output)])
    runpy.run_path(str(EXAMPLES / "demo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert output.is_file() and output.stat().st_size > 10_000
    assert "accuracy-complexity front (roc_auc" in out
    assert "chosen (the simplest transparent model within one standard error of the best one)" in out
    assert "HistGradientBoosting" not in out.split("chosen (")[1].split("\n\n")[0]
    assert f"report written to {output}" in out


def test_tradeoff_example_chooses_a_simple_model_on_the_front(tmp_path, capsys):
    namespace = runpy.run_path(str(EXAMPLES / "tradeoff.py"))
    search, front = namespace["main"](str(tmp_path / "front.png"))
    assert (tmp_path / "front.png").stat().st_size > 1000
    assert search.best_index_ in set(front["candidate"])
    chosen = search.best_estimator_["model"]
    black_box = front[front["model"] == "black box"]
    assert chosen.complexity_ < 50 and (black_box.empty or chosen.complexity_ < black_box["complexity"].min())
    assert front["model"].nunique() >= 2  # several families reach the front


def test_cohorts_example_separates_rows_by_reasons(capsys):
    namespace = runpy.run_path(str(EXAMPLES / "cohorts.py"))
    cohort, summary = namespace["main"](n_cohorts=3)
    assert len(set(cohort)) == 3 and summary.shape[0] == 3
    # Cohorts differ in the direction the model was pushed: some mean attributions of opposite sign.
    totals = summary.sum(axis=1)
    assert totals.min() < 0 < totals.max()
