"""Every script in examples/ runs, and shows what it promises."""

import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_demo_compares_accuracy_and_complexity(capsys):
    runpy.run_path(str(EXAMPLES / "demo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "test AUC" in out and "complexity" in out
    rows = [line for line in out.splitlines() if line.startswith(("black box", "decision tree", "L1 logistic"))]
    assert len(rows) == 3
    complexities = [int(line.split()[-1]) for line in rows]
    assert complexities[0] > 100 * max(complexities[1:])  # the black box is far harder to read
