"""The report on every data set of the data list that has categorical columns.

For each one, ``glassbox.report.build`` runs as a user would (3 folds, the first
categorical column as a cohort slice) and the page is checked: the chosen model is
transparent, every section is present, every figure keeps its text as ``<text>``, and no
two labels of any figure overlap (matplotlib text extents, measured as each figure is
saved). The wall time of each report is recorded (one run each: a report takes
minutes; the machine is shared, so read the times as rough).

    OMP_NUM_THREADS=1 python benchmarks/report_datasets.py [name ...]

writes ``benchmarks/results/report_datasets.md`` (and keeps the reports in ``$REPORT_DIR``
when it is set).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _data import DATASETS, load  # noqa: E402

from glassbox.plot._words import overlapping_labels  # noqa: E402
from glassbox.report import _page, build  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "report_datasets.md"
N_SECTIONS = 10


def _table(name):
    spec = DATASETS[name]
    X, y = load(name)
    if spec.task == "binary":
        y = y.map({1: str(spec.positive), 0: f"not {spec.positive}"})
    return X.assign(**{spec.target: y}), spec


def run(name, folder):
    frame, spec = _table(name)
    categorical = [c for c in frame.columns if c != spec.target and not pd.api.types.is_numeric_dtype(frame[c])]
    collisions, n_figures = [], [0]
    original = _page.svg

    def measured(figure):
        n_figures[0] += 1
        collisions.extend(overlapping_labels(figure))
        return original(figure)

    _page.svg = measured
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = build(frame, spec.target, output=folder / f"{name}.html", cv=3, slices=categorical[:1],
                           positive_class=spec.positive if spec.task == "binary" else None)
        seconds = time.perf_counter() - start
    finally:
        _page.svg = original
    page = report.path.read_text()
    figures = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    chosen = type(report.chosen).__name__
    return {
        "data set": name,
        "rows": len(frame),
        "categorical": len(categorical),
        "task": spec.task,
        "chosen model": chosen,
        "transparent": "HistGradientBoosting" not in chosen,
        "sections": len(re.findall(r'<section id="', page)),
        "figures": len(figures),
        "figures with <text>": sum("<text" in f for f in figures),
        "overlapping label pairs": len(collisions),
        "dropped columns": ", ".join(f"{c} ({why})" for c, why in report.dropped_columns.items()) or "-",
        "seconds": round(seconds, 1),
    }


def main(names):
    rows = []
    keep = os.environ.get("REPORT_DIR")  # where to keep the reports, to look at them; a temporary folder otherwise
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or scratch
        for name in names:
            print(f"{name} ...", flush=True)
            rows.append(run(name, Path(folder)))
            print(rows[-1], flush=True)
            _write(rows)


def _commit():
    import subprocess

    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).parent)
    return result.stdout.strip() or "unknown"


def _write(rows):
    table = pd.DataFrame(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# The report on every data set with categorical columns\n\n"
        "`OMP_NUM_THREADS=1 python benchmarks/report_datasets.py` (3 folds, the first categorical column as a "
        f"slice, one run each on a shared 2-core machine, at commit {_commit()}). {N_SECTIONS} sections expected; "
        "the seconds are wall time of one run while other engineers' jobs shared the machine.\n\n"
        + _markdown(table)
    )


def _markdown(table):
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * table.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with_categories = ["penguins", "TitanicSurvival", "attrition", "HMDA", "Wage", "credit_data", "mlc_churn",
                       "lending_club", "HI", "CPS1988", "diamonds"]
    main(sys.argv[1:] or with_categories)
