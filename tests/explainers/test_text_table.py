"""A text column beside tabular columns: ShapleyExplainer on a Pipeline whose ColumnTransformer
vectorizes one column of a DataFrame and encodes the others.

The reference is the game written here from its definition: every coalition of a row's
tokens and tabular columns is enumerated; its value is the weighted mean over the
background rows of the model's output on the DataFrame whose text column is the
coalition's tokens alone (joined by blanks) and whose tabular columns are the row's where
the coalition holds them and the background row's elsewhere.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from glassbox import KMeansBackground
from glassbox.explainers import ShapleyExplainer, TextExplanation

WORDS = ["good", "bad", "food", "service", "slow", "tasty", "cold", "fresh"]
TABULAR = ["price", "colour", "visits"]


def table(n=100, seed=0, n_classes=2, missing=False):
    rng = np.random.default_rng(seed)
    docs = [" ".join(rng.choice(WORDS, rng.integers(1, 5))) + rng.choice(["", ".", "!"]) for _ in range(n)]
    X = pd.DataFrame({
        "price": rng.normal(size=n),
        "review": docs,
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "visits": rng.poisson(3, n).astype(float),
    })
    if missing:
        X.loc[rng.random(n) < 0.15, "price"] = np.nan
    score = (X["review"].str.count("good|tasty|fresh") - X["review"].str.count("bad|slow|cold")
             + X["price"].fillna(0) + 0.5 * (X["colour"] == "red") - 0.2 * X["visits"])
    if n_classes == 0:
        return X, score.to_numpy()
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def pipeline(estimator, vectorizer=None):
    front = ColumnTransformer([
        ("text", vectorizer or CountVectorizer(), "review"),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
        ("num", SimpleImputer(), ["price", "visits"]),
    ])
    return make_pipeline(front, estimator)


def brute_force(model, method, row, background, weights=None):
    """Shapley values (n_tokens + n_columns, n_outputs) and base value of one row, by enumeration."""
    tokens = CountVectorizer().build_tokenizer()(row["review"])
    players = [("token", t) for t in range(len(tokens))] + [("column", c) for c in TABULAR]
    n = len(players)
    weights = np.full(len(background), 1 / len(background)) if weights is None else weights

    coalitions = [c for size in range(n + 1) for c in itertools.combinations(range(n), size)]
    frames = []
    for coalition in coalitions:
        hybrids = background.copy()
        hybrids["review"] = " ".join(tokens[t] for kind, t in (players[k] for k in coalition) if kind == "token")
        for c in [c for kind, c in (players[k] for k in coalition) if kind == "column"]:
            hybrids[c] = pd.Series([row[c]] * len(hybrids), index=hybrids.index, dtype=background[c].dtype)
        frames.append(hybrids)
    out = np.asarray(getattr(model, method)(pd.concat(frames, ignore_index=True)), dtype=float)
    out = out.reshape(len(coalitions), len(background), -1)
    cache = dict(zip(coalitions, np.einsum("cbo,b->co", out, weights)))
    phi = np.zeros((n, len(cache[()])))
    for i in range(n):
        for coalition, v in cache.items():
            if i in coalition:
                continue
            s = len(coalition)
            weight = math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
            phi[i] += weight * (cache[tuple(sorted(coalition + (i,)))] - v)
    return phi, cache[()]


def all_values(exp, d):
    """The tokens' then the columns' values of document ``d``."""
    return np.concatenate([exp.values[d], exp.column_values[d]])


@pytest.mark.parametrize(("task", "estimator", "method"), [
    (2, LogisticRegression(), "predict_proba"),
    (3, LogisticRegression(max_iter=500), "predict_proba"),
    (0, Ridge(), "predict"),
])
def test_exact_equals_the_brute_force_game_of_tokens_and_columns(task, estimator, method):
    X, y = table(n_classes=task, missing=True)
    model = pipeline(estimator, TfidfVectorizer()).fit(X, y)
    background = X.iloc[:6]
    exp = ShapleyExplainer(model, method="exact", background=background).fit(X).explain(X.iloc[10:14])
    assert isinstance(exp, TextExplanation)
    assert list(exp.columns) == TABULAR
    for d in range(4):
        phi, base = brute_force(model, method, X.iloc[10 + d], background)
        np.testing.assert_allclose(all_values(exp, d), phi, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(exp.base_values[d], base, rtol=1e-9, atol=1e-10)
    expected = np.asarray(getattr(model, method)(X.iloc[10:14]), dtype=float).reshape(4, -1)
    np.testing.assert_allclose(exp.output(), expected, rtol=1e-9, atol=1e-10)  # efficiency


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_background=st.integers(1, 5), row=st.integers(0, 59))
def test_exact_equals_the_brute_force_game_on_random_tables(seed, n_background, row):
    X, y = table(n=60, seed=seed, missing=seed % 2 == 0)
    model = pipeline(LogisticRegression(C=3.0)).fit(X, y)
    background = X.sample(n_background, random_state=seed)
    exp = ShapleyExplainer(model, method="exact", background=background).fit(X).explain(X.iloc[[row]])
    phi, base = brute_force(model, "predict_proba", X.iloc[row], background)
    np.testing.assert_allclose(all_values(exp, 0), phi, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(exp.base_values[0], base, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("method", "n_samples"), [("kernel", 300), ("permutation", 400)])
def test_sampling_methods_add_up_and_agree_with_exact(method, n_samples):
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    kwargs = dict(background=X.iloc[:5], random_state=0)
    rows = X.iloc[20:24]
    exact = ShapleyExplainer(model, method="exact", **kwargs).fit(X).explain(rows)
    sampled = ShapleyExplainer(model, method=method, n_samples=n_samples, **kwargs).fit(X).explain(rows)
    np.testing.assert_allclose(sampled.output(), model.predict_proba(rows), atol=1e-9)
    for d in range(len(rows)):
        a, b = all_values(sampled, d), all_values(exact, d)
        error = np.concatenate([sampled.std[d], sampled.column_std[d]])
        assert np.all(np.abs(a - b) <= 4 * error + 1e-9), (a - b, error)


def test_auto_is_exact_for_short_rows_and_reproducible():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    explainer = ShapleyExplainer(model, background=X.iloc[:4], random_state=0).fit(X)
    one = explainer.explain(X.iloc[:5])
    exact = ShapleyExplainer(model, method="exact", background=X.iloc[:4]).fit(X).explain(X.iloc[:5])
    for d in range(5):
        np.testing.assert_allclose(all_values(one, d), all_values(exact, d), atol=1e-12)


def test_a_background_int_draws_rows_and_unknown_categories_are_explained():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    explainer = ShapleyExplainer(model, method="exact", background=5, random_state=0).fit(X)
    assert explainer.background_.data.shape == (5, 3)
    row = X.iloc[[3]].copy()
    row["colour"] = pd.Categorical(["purple"])  # a level fit never saw: the encoder ignores it
    exp = explainer.explain(row)
    np.testing.assert_allclose(exp.output(), model.predict_proba(row), atol=1e-10)
    assert exp.column_data[0, 1] == "purple"
    summary = ShapleyExplainer(model, method="exact", background=KMeansBackground(4), random_state=0).fit(X)
    assert summary.background_.data.shape == (4, 3)
    weights = summary.background_.weights
    hidden = X.iloc[:4].copy()  # the summary rows as a DataFrame, to check the base value against
    hidden[["price", "visits"]] = summary.background_.data[:, [0, 2]]
    hidden["colour"] = pd.Categorical.from_codes(summary.background_.data[:, 1].astype(int),
                                                 summary._feature_schema.categories[1])
    hidden["review"] = " "
    exp = summary.explain(X.iloc[:2])
    np.testing.assert_allclose(exp.base_values, np.tile(weights @ model.predict_proba(hidden), (2, 1)), atol=1e-10)
    np.testing.assert_allclose(exp.output(), model.predict_proba(X.iloc[:2]), atol=1e-10)


def test_to_frame_lists_tokens_then_columns_per_document():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    exp = ShapleyExplainer(model, method="exact", background=X.iloc[:3]).fit(X).explain(X.iloc[:2])
    frame = exp.to_frame()
    assert list(frame.columns) == ["document", "position", "token", "column", "output", "value"]
    for d in range(2):
        part = frame[frame["document"] == d]
        tokens = part[part["column"].isna()]
        columns = part[part["column"].notna()]
        assert list(tokens["token"][tokens["output"] == 1]) == exp.tokens[d]
        assert list(columns["column"][columns["output"] == 1]) == TABULAR
        assert (columns["position"] == -1).all()
        assert list(columns["token"][columns["output"] == 1]) == [
            "missing" if np.isnan(X["price"].iloc[d]) else f"{X['price'].iloc[d]:.6g}",
            str(X["colour"].iloc[d]), f"{X['visits'].iloc[d]:g}"]
        total = part.groupby("output")["value"].sum().to_numpy()
        np.testing.assert_allclose(total + exp.base_values[d], model.predict_proba(X.iloc[[d]])[0], atol=1e-10)
    assert "3 tabular columns" in repr(exp)


def test_text_alone_has_no_columns():
    X, y = table()
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(X["review"], y)
    exp = ShapleyExplainer(model, method="exact").fit(X["review"]).explain(X["review"][:2])
    assert exp.column_values.shape == (2, 0, 2)
    assert "column" not in exp.to_frame()


def test_tree_linear_and_groups_are_refused():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="cannot explain text"):
        ShapleyExplainer(model, method="linear").fit(X)
    with pytest.raises(ValueError, match="groups applies to the columns of a table"):
        ShapleyExplainer(model, groups={"g": ["price"]}).fit(X)


@pytest.mark.parametrize(("front", "X_kind", "message"), [
    (ColumnTransformer([("a", CountVectorizer(), "review"), ("b", CountVectorizer(), "other")]), "frame",
     r"cannot explain the ColumnTransformer's 2 text columns \['review', 'other'\]"),
    (ColumnTransformer([("a", CountVectorizer(), ["review"])]), "frame",
     r"cannot explain the column selection \['review'\].*Select the text column by name"),
    (ColumnTransformer([("a", CountVectorizer(), "review"), ("n", "passthrough", ["price"])]), "array",
     r"sends the text column 'review' to CountVectorizer; X must be a DataFrame holding it"),
])
def test_unsupported_column_transformers_are_refused_clearly(front, X_kind, message):
    X, y = table()
    X["other"] = X["review"]
    model = make_pipeline(front, LogisticRegression())
    data = X if X_kind == "frame" else X[["review", "price"]].to_numpy()
    with pytest.raises(ValueError, match=message):
        ShapleyExplainer(model).fit(data, y)


def test_bad_rows_to_explain_are_refused_clearly():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    explainer = ShapleyExplainer(model, method="exact", background=X.iloc[:3]).fit(X)
    with pytest.raises(ValueError, match=r"fitted on a DataFrame with the text column 'review'.*got DataFrame"):
        explainer.explain(X.drop(columns=["review"]))
    empty = X.iloc[:2].copy()
    empty["review"] = ["good food", "!!"]
    with pytest.raises(ValueError, match=r"Documents \[1\] of X\['review'\] hold no token"):
        explainer.explain(empty)
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- price"):
        explainer.explain(X.drop(columns=["price"]))


def test_permutation_values_do_not_depend_on_batches_or_the_background_text():
    X, y = table()
    model = pipeline(LogisticRegression()).fit(X, y)
    kwargs = dict(method="permutation", n_samples=10, random_state=0)
    one = ShapleyExplainer(model, background=X.iloc[:4], **kwargs).fit(X).explain(X.iloc[:6])
    other = ShapleyExplainer(model, background=X.drop(columns=["review"]).iloc[:4], batch_size=50,
                             **kwargs).fit(X).explain(X.iloc[:6])
    for a, b in zip(one.values, other.values):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one.column_values, other.column_values)
    alone = ShapleyExplainer(model, background=X.iloc[:4], **kwargs).fit(X).explain(X.iloc[[4]])
    np.testing.assert_array_equal(alone.column_values[0], one.column_values[4])  # keyed by the row
