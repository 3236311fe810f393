"""Group rows by why the model decided: an explainer as a Pipeline step.

Shapley values of a gradient-boosting model become the features of a KMeans clustering,
so rows land in the same cohort when the model reasoned about them alike. Each cohort is
then described by its mean attributions.

Run it with ``python examples/cohorts.py``.
"""

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from glassbox.explainers import ShapleyExplainer


def main(n_cohorts=4):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X, y)
    pipeline = Pipeline([("why", ShapleyExplainer(model)), ("cohorts", KMeans(n_cohorts, n_init=5, random_state=0))])
    cohort = pipeline.fit(X).predict(X)
    attributions = pd.DataFrame(pipeline["why"].transform(X), columns=pipeline["why"].get_feature_names_out())
    summary = attributions.groupby(cohort).mean()
    for label, row in summary.iterrows():
        members = cohort == label
        top = row.abs().sort_values(ascending=False).index[:3]
        reasons = ", ".join(f"{name} {row[name]:+.2f}" for name in top)
        print(f"cohort {label}: {members.sum():3d} rows, P(benign) {model.predict_proba(X[members])[:, 1].mean():.2f}; "
              f"mostly because of {reasons}")
    return cohort, summary


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
