"""LimeExplainer on documents against the lime package's ``LimeTextExplainer``.

Like with like: lime's ``bow=False`` has one feature per position, as glassbox does, and
replaces a removed word by ``UNKWORDZ``, a word the vectorizer's vocabulary lacks, so the
model reads the same document as glassbox's removal. Both remove ``k`` words, ``k``
uniform on ``1..p``, weigh samples by ``sqrt(exp(-d**2 / 25**2))`` of 100 times the
cosine distance and fit a ridge regression (``alpha=1``) on every word
(``feature_selection="none"``). Their samples differ, so the weights agree within the
sampling spread: glassbox's weights must lie within five of lime's own run-to-run
standard deviations (over 6 seeds) of lime's mean, plus 1e-3 for a spread estimated from
few runs.
"""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from glassbox.explainers import LimeExplainer

lime_text = pytest.importorskip("lime.lime_text")

WORDS = ["great", "tasty", "awful", "stale", "coffee", "tea", "box", "never", "love", "bland"]


def documents(n, seed):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(3, 9))) for _ in range(n)]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_weights_agree_with_lime_text_explainer(n_classes):
    docs = documents(200, 0)
    score = np.array([sum(w in d.split() for w in WORDS[:2]) - sum(w in d.split() for w in WORDS[2:4]) for d in docs])
    y = np.digitize(score, [0.5] if n_classes == 2 else [-0.5, 0.5])
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=5.0)).fit(docs, y)
    explained = documents(3, 1)
    ours = LimeExplainer(model, num_samples=3000, num_features=None, random_state=0).fit(docs).explain(explained)
    labels = tuple(range(n_classes))
    for d, text in enumerate(explained):
        runs = []
        for seed in range(6):
            peer = lime_text.LimeTextExplainer(bow=False, split_expression=r"\W+", feature_selection="none",
                                               random_state=seed)
            exp = peer.explain_instance(text, model.predict_proba, labels=labels, num_features=100, num_samples=3000)
            runs.append([[w for _, w in sorted(exp.as_map()[k])] for k in labels])
        runs = np.asarray(runs).transpose(0, 2, 1)  # (seeds, p, k)
        assert ours.tokens[d] == text.split()
        mean, spread = runs.mean(axis=0), runs.std(axis=0, ddof=1)
        assert np.all(np.abs(ours.values[d] - mean) <= 5 * spread + 1e-3), np.abs(ours.values[d] - mean).max()
