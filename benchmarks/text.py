"""Per-token explanations of a text classifier against lime and shap, on fine-food reviews.

The model: ``TfidfVectorizer() + LogisticRegression()`` fitted on the training split of the
review-sentiment data (``fine_food``, the only text data set of the data list). Explained:
the first ``n`` held-out reviews.

LIME: glassbox's ``LimeExplainer`` against lime's ``LimeTextExplainer(bow=False)`` with the
vectorizer's own tokens (lime's ``split_expression`` given the token pattern), both with
5000 samples, 10 features, "auto" selection, kernel width 25. glassbox explains both
classes of every review in one call, lime one review (and one class) per call. The floor
is ``predict_proba`` on the same number of perturbed reviews (built before timing), the
model's own share of the work. Agreement: Spearman correlation of the weights of the
tokens both local models keep, glassbox against lime, and each against itself with
another seed.

Shapley: glassbox's ``ShapleyExplainer`` (``method="auto"``: permutation sampling for these
reviews) against shap's ``PermutationExplainer`` with its ``Text`` masker (a removed token
becomes a blank), with the same number of model evaluations per review (``2 p + 2048``).
Reported: time per review, the largest gap of efficiency (values plus base value minus the
output), and the Pearson correlation of the values of the tokens both have (shap's
tokenizer also keeps one-letter words, which the vectorizer ignores) against each other
and against themselves with another seed.

Times are medians of alternating repeats of the process CPU time (the machine is shared).

Run:  .venv/bin/python benchmarks/text.py          (10 reviews, 3 repeats; --reviews N for more)
      .venv/bin/python benchmarks/text.py --quick  (5 reviews, 1 repeat)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from lime.lime_text import LimeTextExplainer  # noqa: E402
from scipy.stats import pearsonr, spearmanr  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from glassbox.explainers import LimeExplainer, ShapleyExplainer  # noqa: E402
from glassbox.explainers._lime_text import removal_samples  # noqa: E402
from glassbox.explainers._text import Documents  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _data import load, split  # noqa: E402

clock = time.process_time
RESULTS = Path(__file__).parent / "results" / "text.md"
NUM_SAMPLES = 5000


def lime_peer(model, reviews, seed, pattern):
    peer = LimeTextExplainer(bow=False, split_expression=lambda s: pattern.findall(s), random_state=seed)
    out = []
    for text in reviews:
        exp = peer.explain_instance(text, model.predict_proba, labels=(1,), num_features=10, num_samples=NUM_SAMPLES)
        out.append(dict(exp.as_map()[1]))
    return out


def lime_ours(model, X, reviews, seed):
    exp = LimeExplainer(model, num_samples=NUM_SAMPLES, random_state=seed).fit(X).explain(reviews)
    return [{j: v for j, v in enumerate(values[:, 1]) if v != 0} for values in exp.values]


def agreement(a, b, corr):
    """Median over reviews of the correlation of the weights of the tokens both keep."""
    scores = []
    for x, y in zip(a, b):
        shared = sorted(set(x) & set(y))
        if len(shared) > 2:
            scores.append(corr([x[j] for j in shared], [y[j] for j in shared])[0])
    return float(np.median(scores))


def shap_peer(model, reviews, seed):
    import shap

    masker = shap.maskers.Text(r"\W+", mask_token=" ", collapse_mask_token=False)
    out, gaps = [], []
    for text in reviews:
        explainer = shap.explainers.Permutation(lambda t: model.predict_proba(list(t))[:, 1], masker, seed=seed)
        p = len(masker.data_transform(text)[0])
        exp = explainer([text], max_evals=2 * p + 2048, silent=True)
        tokens = [t.strip() for t in exp.data[0]]
        out.append({t + f"@{k}": v for k, (t, v) in enumerate(zip(tokens, exp.values[0])) if len(t) > 1})
        gaps.append(abs(exp.values[0].sum() + exp.base_values[0] - model.predict_proba([text])[0, 1]))
    return out, max(gaps)


def shap_ours(model, X, reviews, seed):
    exp = ShapleyExplainer(model, random_state=seed).fit(X).explain(reviews)
    gap = np.abs(exp.output() - model.predict_proba(reviews)).max()
    return [{t: v[1] for t, v in zip(tokens, values)} for tokens, values in zip(exp.tokens, exp.values)], gap


def by_word_order(values):
    """Key each token by (word, occurrence) so both libraries' tokens line up."""
    out = []
    for review in values:
        seen, keyed = {}, {}
        for key, v in review.items():
            word = key.split("@")[0] if isinstance(key, str) else key
            seen[word] = seen.get(word, 0) + 1
            keyed[(word, seen[word])] = v
        out.append(keyed)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reviews", type=int, default=10)
    args = parser.parse_args(argv)
    n, repeats = (5, 1) if args.quick else (args.reviews, 3)
    warnings.simplefilter("ignore")
    X, y = load("fine_food")
    X_train, X_test, y_train, _ = split(X["review"], y, "binary")
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(X_train, y_train)
    reviews = list(X_test[:n])
    documents = Documents.tokenise(reviews, model[0])
    pattern = re.compile(model[0].token_pattern)
    n_tokens = [documents.n_tokens(d) for d in range(n)]

    # the floor: predict_proba on the perturbed reviews LIME evaluates
    rng = np.random.default_rng(0)
    stack = np.concatenate([documents.masked(d, removal_samples(rng, n_tokens[d], NUM_SAMPLES)) for d in range(n)])
    times = {"lime: glassbox": [], "lime: lime": [], "lime: floor": [], "shapley: glassbox": [], "shapley: shap": []}
    for _ in range(repeats):  # alternate
        start = clock()
        model.predict_proba(list(stack))
        times["lime: floor"].append(clock() - start)
        start = clock()
        ours = lime_ours(model, X_train, reviews, 0)
        times["lime: glassbox"].append(clock() - start)
        start = clock()
        peer = lime_peer(model, reviews, 0, pattern)
        times["lime: lime"].append(clock() - start)
        start = clock()
        ours_shap, ours_gap = shap_ours(model, X_train, reviews, 0)
        times["shapley: glassbox"].append(clock() - start)
        start = clock()
        peer_shap, peer_gap = shap_peer(model, reviews, 0)
        times["shapley: shap"].append(clock() - start)
    median = {k: float(np.median(v)) / n for k, v in times.items()}
    spread = {k: (float(np.min(v)) / n, float(np.max(v)) / n) for k, v in times.items()}

    ours_lime_2 = lime_ours(model, X_train, reviews, 1)
    peer_lime_2 = lime_peer(model, reviews, 1, pattern)
    ours_shap_2, _ = shap_ours(model, X_train, reviews, 1)
    peer_shap_2, _ = shap_peer(model, reviews, 1)
    ours_k, peer_k = by_word_order(ours_shap), by_word_order(peer_shap)
    ours_k2, peer_k2 = by_word_order(ours_shap_2), by_word_order(peer_shap_2)

    lines = [
        "# Text: per-token LIME and Shapley values against lime and shap",
        "",
        f"`python benchmarks/text.py{' --quick' if args.quick else f' --reviews {n}'}` on {platform.machine()}, "
        f"Python {platform.python_version()}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; fine_food, "
        f"TfidfVectorizer + LogisticRegression, {n} held-out reviews of {min(n_tokens)} to {max(n_tokens)} tokens "
        f"(median {int(np.median(n_tokens))}); medians of {repeats} alternating repeats (min-max), CPU seconds "
        "per review.",
        "",
        "| method | glassbox s/review | peer s/review | ratio to peer | floor s/review | ratio to floor |",
        "|---|---|---|---|---|---|",
        f"| LIME, {NUM_SAMPLES} samples | {median['lime: glassbox']:.3f} ({spread['lime: glassbox'][0]:.3f}-"
        f"{spread['lime: glassbox'][1]:.3f}) | {median['lime: lime']:.3f} ({spread['lime: lime'][0]:.3f}-"
        f"{spread['lime: lime'][1]:.3f}) | {median['lime: glassbox'] / median['lime: lime']:.2f} | "
        f"{median['lime: floor']:.3f} | {median['lime: glassbox'] / median['lime: floor']:.2f} |",
        f"| Shapley, 2p + 2048 evaluations | {median['shapley: glassbox']:.3f} ({spread['shapley: glassbox'][0]:.3f}-"
        f"{spread['shapley: glassbox'][1]:.3f}) | {median['shapley: shap']:.3f} ({spread['shapley: shap'][0]:.3f}-"
        f"{spread['shapley: shap'][1]:.3f}) | {median['shapley: glassbox'] / median['shapley: shap']:.2f} | - | - |",
        "",
        "Glassbox explains both classes (LIME: with standard errors); the peers one class.",
        "",
        "| agreement (median over reviews) | glassbox vs peer | glassbox vs glassbox (seed 1) | peer vs peer (seed 1) |",
        "|---|---|---|---|",
        f"| LIME weights, Spearman on tokens both keep | {agreement(ours, peer, spearmanr):.3f} | "
        f"{agreement(ours, ours_lime_2, spearmanr):.3f} | {agreement(peer, peer_lime_2, spearmanr):.3f} |",
        f"| Shapley values, Pearson on shared tokens | {agreement(ours_k, peer_k, pearsonr):.3f} | "
        f"{agreement(ours_k, ours_k2, pearsonr):.3f} | {agreement(peer_k, peer_k2, pearsonr):.3f} |",
        "",
        f"Largest efficiency gap |values + base - output|: glassbox {ours_gap:.1e}, shap {peer_gap:.1e}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
