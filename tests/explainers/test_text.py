"""Text columns: per-token explanations of a Pipeline that starts with a vectorizer."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from glassbox.explainers import (
    AccumulatedLocalEffects,
    CounterfactualExplainer,
    LimeExplainer,
    PartialDependence,
    PermutationImportance,
    ShapleyExplainer,
)

GOOD = ["great", "tasty", "love", "fresh", "perfect"]
BAD = ["awful", "stale", "bland", "broken", "never"]
NEUTRAL = ["the", "box", "coffee", "came", "with", "tea", "bag", "snack"]


def corpus(n=120, seed=0):
    """Short generated reviews and whether they are positive."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = list(rng.choice(NEUTRAL, size=rng.integers(2, 5)))
        words += list(rng.choice(GOOD if positive else BAD, size=rng.integers(1, 3)))
        words += list(rng.choice(BAD if positive else GOOD, size=rng.integers(0, 2)))
        rng.shuffle(words)
        docs.append(" ".join(words) + ("!" if rng.random() < 0.3 else "."))
        labels.append(int(positive))
    return pd.Series(docs, name="review"), np.asarray(labels)


@pytest.fixture(scope="module")
def text_model():
    docs, y = corpus()
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y), docs, y


@pytest.mark.parametrize("explainer", [ShapleyExplainer, LimeExplainer])
def test_table_given_to_a_vectorizer_is_refused_clearly(text_model, explainer):
    model, docs, _ = text_model
    with pytest.raises(ValueError, match=r"TfidfVectorizer, reads a 1-D sequence.*X\['review'\]"):
        explainer(model).fit(docs.to_frame())


@pytest.mark.parametrize(
    "explainer", [PermutationImportance, PartialDependence, AccumulatedLocalEffects, CounterfactualExplainer]
)
def test_explainers_of_tables_refuse_text_naming_the_column(text_model, explainer):
    model, docs, y = text_model
    with pytest.raises(ValueError, match=rf"{explainer.__name__} cannot explain the text column 'review' "
                                         r"\(120 documents\) read by TfidfVectorizer"):
        explainer(model).fit(docs, y)


def test_text_column_inside_a_column_transformer_is_refused_clearly():
    docs, y = corpus()
    X = pd.DataFrame({"review": docs, "length": docs.str.len()})
    front = ColumnTransformer([("text", CountVectorizer(), "review"), ("num", "passthrough", ["length"])])
    model = make_pipeline(front, LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="cannot explain the text column 'review' that the ColumnTransformer"):
        ShapleyExplainer(model).fit(X)
