"""The main job of glassbox on a data set that ships with scikit-learn.

Cross-validate transparent models (sparse logistic regression, trees, rule lists,
additive models) and a black box on the breast-cancer data, choose the simplest model
within one standard error of the best, and write the whole story (the accuracy-complexity
front, the chosen model as text, a surrogate of the black box, importances, effects and
local explanations) to one self-contained HTML file.

Run it with ``make demo`` (or ``python examples/demo.py [output.html]``).
"""

import sys
import time

import pandas as pd
from sklearn.datasets import load_breast_cancer

from glassbox.report import build


def main(output="out/report.html"):
    start = time.perf_counter()
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    data = X.assign(diagnosis=pd.Series(load_breast_cancer().target_names[y]))
    report = build(data, "diagnosis", output=output, cv=5, verbose=True)

    print(f"breast cancer: {len(data)} rows, {X.shape[1]} features, target 'diagnosis'\n")
    print(f"accuracy-complexity front ({report.metric}, 5-fold cross-validation):")
    with pd.option_context("display.width", 120, "display.precision", 4):
        print(report.front.iloc[:, :3].to_string(index=False))
    print(f"\nchosen (the simplest transparent model within one standard error of the best one):\n{report.chosen}\n")
    print(f"a tree surrogate agrees with the black box on {report.fidelity:.1%} of held-out rows")
    print(f"\nreport written to {report.path} in {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main(*sys.argv[1:])
