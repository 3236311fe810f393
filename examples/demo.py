"""The main job of glassbox on a data set that ships with scikit-learn.

Fit a black box and simple models on the breast-cancer data, compare accuracy against
complexity (the pieces a reader must read), and explain the models.

Run it with ``make demo`` (or ``python examples/demo.py``).
"""

import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import glassbox


def main():
    start = time.perf_counter()
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

    models = {
        "black box (HistGradientBoosting)": HistGradientBoostingClassifier(random_state=0),
        "decision tree, 8 leaves": DecisionTreeClassifier(max_leaf_nodes=8, random_state=0),
        "L1 logistic regression": make_pipeline(
            StandardScaler(), LogisticRegression(l1_ratio=1.0, C=0.05, solver="liblinear")
        ),
    }
    print(f"breast cancer: {len(X_train)} training rows, {len(X_test)} test rows, {X.shape[1]} features\n")
    print(f"{'model':<36}{'test AUC':>10}{'complexity':>12}")
    for name, model in models.items():
        model.fit(X_train, y_train)
        auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
        print(f"{name:<36}{auc:>10.3f}{glassbox.complexity(model):>12d}")
    print("\ncomplexity counts what a reader must read: splits of trees, non-zero coefficients.")
    print(f"\ndone in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    main()
