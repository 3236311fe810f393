"""LimeExplainer on a text column beside tabular columns, checked against closed forms.

The model is linear in the token counts and in the (scaled, one-hot) tabular columns, so
the expected change of its output when a token is removed is the coefficient of its word,
and when a column is hidden behind a background row, the coefficient times the column's
distance to the background mean. LIME's local model, whose players are the row's tokens
and columns, must recover these weights.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassbox.explainers import LimeExplainer, TextExplanation

WORDS = ["good", "bad", "food", "service", "slow", "tasty", "cold", "fresh"]
COLUMNS = ["price", "colour", "visits"]


def table(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "price": rng.normal(3.0, 2.0, n),
        "review": [" ".join(rng.choice(WORDS, rng.integers(1, 6))) for _ in range(n)],
        "colour": rng.choice(["red", "green", "blue"], n),
        "visits": rng.poisson(3, n).astype(float),
    })
    score = (X["review"].str.count("good|tasty|fresh") - X["review"].str.count("bad|slow|cold")
             + X["price"] + 0.5 * (X["colour"] == "red") - 0.2 * X["visits"] + rng.normal(0, 0.3, n))
    return X, score.to_numpy()


def linear_model(X, y, classes=False):
    front = ColumnTransformer([
        ("text", CountVectorizer(), "review"),
        ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
        ("num", StandardScaler(), ["price", "visits"]),
    ])
    if classes:
        return make_pipeline(front, LogisticRegression(max_iter=2000)).fit(X, np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])))
    return make_pipeline(front, LinearRegression()).fit(X, y)


def closed_form(model, row, tokens, background):
    """The weights of a linear model (n_tokens + n_columns, n_outputs): a token's word
    coefficient, and ``coef * (x - mean of the background)`` for each column."""
    front, final = model[0], model[-1]
    coef = np.atleast_2d(final.coef_).T  # (n_derived, n_outputs)
    vocabulary = front.named_transformers_["text"].vocabulary_
    slices = front.output_indices_
    tokens_part = [coef[slices["text"]][vocabulary[t.lower()]] for t in tokens]
    encoder = front.named_transformers_["cat"]
    onehot = lambda values: encoder.transform(pd.DataFrame({"colour": values}))  # noqa: E731
    onehot = (onehot([row["colour"]]) - np.asarray(onehot(background["colour"])).mean(axis=0)).ravel()
    colour = onehot @ coef[slices["cat"]]
    scaler = front.named_transformers_["num"]
    numeric = [coef[slices["num"]][j] * (row[c] - background[c].mean()) / scaler.scale_[j]
               for j, c in enumerate(["price", "visits"])]
    return np.vstack(tokens_part + [numeric[0], colour, numeric[1]])


def model_output(model, X, classes):
    return model.decision_function(X).reshape(len(X), -1) if classes else model.predict(X)[:, None]


@pytest.mark.parametrize("classes", [False, True])
def test_weights_are_exact_when_the_background_holds_one_tabular_row(classes):
    """Every hidden column then takes the same value: the output is exactly linear in the
    players' presence, so the unpenalised local model recovers the closed form and its
    prediction at the row (intercept plus weights) is the model's output there."""
    X, y = table()
    model = linear_model(X, y, classes)
    background = X.copy()
    background[COLUMNS] = X[COLUMNS].iloc[[7] * len(X)].to_numpy()
    rows = X.iloc[:4]
    output = "decision_function" if classes else "auto"
    exp = LimeExplainer(model, num_samples=400, num_features=None, alpha=0.0, output=output,
                        random_state=0).fit(background).explain(rows)
    assert isinstance(exp, TextExplanation)
    assert list(exp.columns) == COLUMNS
    fx = model_output(model, rows, classes)
    for d in range(len(rows)):
        expected = closed_form(model, rows.iloc[d], exp.tokens[d], background.iloc[[7]])
        got = np.vstack([exp.values[d], exp.column_values[d]])
        np.testing.assert_allclose(got, expected, atol=1e-8)
        np.testing.assert_allclose(exp.base_values[d] + got.sum(axis=0), fx[d], atol=1e-8)
    np.testing.assert_allclose(exp.fidelity, 1.0, atol=1e-10)
    frame = exp.to_frame()
    first = frame[frame["document"] == 0]
    if "output" in frame:
        first = first[first["output"] == first["output"].iloc[0]]
    assert list(first["column"].iloc[len(exp.tokens[0]):]) == COLUMNS  # tokens, then columns
    assert first["column"].iloc[:len(exp.tokens[0])].isna().all()


def test_weights_recover_the_closed_form_over_a_varied_background():
    """Hidden columns take the values of random rows of the X given to fit: with many
    samples the weights approach ``coef * (x - mean of those rows)`` within their errors."""
    X, y = table()
    model = linear_model(X, y)
    rows = X.iloc[:3]
    exp = LimeExplainer(model, num_samples=20000, num_features=None, alpha=0.0, random_state=0).fit(X).explain(rows)
    for d in range(len(rows)):
        expected = closed_form(model, rows.iloc[d], exp.tokens[d], X)
        got = np.vstack([exp.values[d], exp.column_values[d]])
        std = np.vstack([exp.std[d], exp.column_std[d]])
        assert np.all(np.abs(got - expected) <= 5 * std + 0.02), (got, expected, std)
    assert np.abs(closed_form(model, rows.iloc[1], exp.tokens[1], X)[-3:]).max() > 0.5  # the columns matter


def test_seeded_and_independent_of_batches():
    X, y = table()
    model = linear_model(X, y, classes=True)
    kwargs = dict(num_samples=300, random_state=3)
    one = LimeExplainer(model, **kwargs).fit(X).explain(X.iloc[:5])
    again = LimeExplainer(model, batch_size=400, **kwargs).fit(X).explain(X.iloc[:5])
    alone = LimeExplainer(model, **kwargs).fit(X).explain(X.iloc[[3]])
    for a, b in zip(one.values, again.values):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one.column_values, again.column_values)
    np.testing.assert_array_equal(alone.column_values[0], one.column_values[3])  # keyed by the row
    np.testing.assert_array_equal(alone.values[0], one.values[3])
    other = LimeExplainer(model, num_samples=300, random_state=4).fit(X).explain(X.iloc[:5])
    assert not np.array_equal(other.column_values, one.column_values)


def test_bad_input_is_refused_clearly():
    X, y = table()
    X["other"] = X["review"]
    front = ColumnTransformer([("a", CountVectorizer(), "review"), ("b", CountVectorizer(), "other")])
    model = make_pipeline(front, LinearRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"LimeExplainer cannot explain the ColumnTransformer's 2 text columns"):
        LimeExplainer(model).fit(X)
    model = linear_model(X, y)
    explainer = LimeExplainer(model, num_samples=50, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"fitted on a DataFrame with the text column 'review'.*got ndarray"):
        explainer.explain(X.to_numpy())
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- price"):
        explainer.explain(X.drop(columns=["price"]))
    with pytest.raises(ValueError, match="fitted on documents.*no attribution matrix"):
        explainer.transform(X)
