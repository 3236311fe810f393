"""Permutation feature importance, score-based and prediction-based, with groups.

A feature matters to a model as much as breaking its link with the rest of the row
hurts: its values are shuffled among the rows (a random permutation), and the change in
a score (Breiman 2001; Fisher, Rudin and Dominici 2019, "model reliance") or in the
predictions themselves is measured, ``n_repeats`` times.

Every permuted copy of the rows, for every feature and repeat, is one block of a single
stacked table that is built chunk by chunk (:func:`~glassbox._core.predict_built`), so
the model is called once per chunk of ``batch_size`` rows rather than once per feature
and repeat. Scorers then read their block of the stacked predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if

from .._core import Interval, ModelResponse, StrOptions, check_sample_weight, chunk_rngs, predict_built
from ..explanation import Explanation
from ._base import BaseExplainer

if TYPE_CHECKING:
    from .._core._typing import OutputMethod, RandomStateLike

__all__ = ["PermutationImportance"]


class PermutationImportance(BaseExplainer):
    """Global importance of features: how much permuting a feature hurts the model.

    The values of a feature (or of a group of features, with one shared permutation)
    are shuffled among the rows of ``X``, ``n_repeats`` times, and the damage is
    measured in one of two ways:

    - score-based (``scoring`` set): the drop of a score, ``score(X) - score(X
      permuted)``, for any scikit-learn scorer, several at once;
    - prediction-based (``scoring=None``): the mean squared change of the model's
      output, ``I_j = 1/n sum_i (f(x_i) - f(x_i with feature j permuted))**2``, per
      output (per class for classifiers). It needs no target. For a linear model
      ``f(x) = w.x`` its expectation over permutations is ``2 w_j**2 var(x_j)``.

    All repeats of every feature are stacked into one table evaluated in chunks of
    ``batch_size`` rows: one model call per chunk.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    scoring : str, callable, list, tuple, dict or None, default=None
        ``None``: prediction-based importance, one value per model output. A scorer
        name (see :func:`sklearn.metrics.get_scorer_names`) or a callable
        ``scorer(estimator, X, y)`` (greater is better, as scikit-learn's scorers):
        score-based importance. Several scorers, as a list or tuple of names or a dict
        ``{name: scorer}``, are computed from the same permutations and model calls;
        each scorer is one output of the Explanation, named by its name (a single
        callable is named ``"score"``).
    n_repeats : int, default=5
        Permutations per feature; the Explanation reports their mean and standard
        deviation.
    groups : dict of str to list of str or int, default=None
        Features permuted together, with one shared permutation, each group reported
        under its name (for example correlated features, or the columns of one
        measurement). Features in no group keep their own importance, after the
        groups. Groups may overlap.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted and is used as it is. ``False``: a clone
        is always fitted on ``X, y``. ``"auto"``: fitted models are used, others fitted.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        The model output of prediction-based importance: class probabilities for
        classifiers, ``predict`` for regressors, or the decision function or
        log-odds. Scorers call the method they need themselves.
    batch_size : int or "auto", default="auto"
        Rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Parallel workers (joblib) over chunks; results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations. The permutations of a feature depend only on the seed
        and its position among the reported features.
    verbose : bool, default=False
        Report progress of long computations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    output_names_ : ndarray of shape (n_outputs,)
        The model's outputs: class labels for classifiers, ``["prediction"]`` for
        regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    sklearn.inspection.permutation_importance : Score-based importance, one model
        call per feature and repeat.
    glassbox.explainers.ShapleyExplainer : Local attributions; their mean absolute
        value is another global importance.

    Notes
    -----
    Permutation importance is a global explanation, so the explainer is not a
    transformer: ``explain`` returns an :class:`~glassbox.Explanation` with values of
    shape ``(n_features, n_outputs)`` (groups counting as features), ``std`` the
    standard deviation over repeats and, for scorers, ``base_values`` the scores on
    the unpermuted rows. Permuting breaks the link between features as well:
    strongly correlated features share their importance, which grouping them shows.

    References
    ----------
    Breiman (2001). Random forests. Machine Learning 45, 5-32.

    Fisher, Rudin, Dominici (2019). All models are wrong, but many are useful:
    learning a variable's importance by studying an entire class of prediction models
    simultaneously. JMLR 20(177).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from glassbox.explainers import PermutationImportance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3))
    >>> y = X @ np.array([2.0, -1.0, 0.0])
    >>> model = LinearRegression().fit(X, y)
    >>> exp = PermutationImportance(model, n_repeats=10, random_state=0).fit(X).explain(X)
    >>> np.round(exp.values[:, 0], 1).tolist()
    [8.1, 1.9, 0.0]
    >>> np.round(2 * model.coef_**2 * X.var(axis=0), 1).tolist()  # its expectation
    [8.1, 1.9, 0.0]
    >>> scores = PermutationImportance(model, scoring=["r2", "neg_mean_absolute_error"], random_state=0)
    >>> scores.fit(X).explain(X, y).output_names.tolist()
    ['r2', 'neg_mean_absolute_error']
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "scoring": [StrOptions(set(get_scorer_names())), "callable", list, tuple, dict, None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "groups": [dict, None],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        scoring: str | Callable[..., float] | Sequence[str] | dict[str, str | Callable[..., float]] | None = None,
        n_repeats: int = 5,
        groups: dict[str, Sequence[str | int]] | None = None,
        prefit: bool | Literal["auto"] = "auto",
        output: OutputMethod = "auto",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.scoring = scoring
        self.n_repeats = n_repeats
        self.groups = groups
        self.output = output

    def _fit(self, X_encoded):
        """Check the scorers and resolve the groups."""
        _scorers(self.scoring)
        self._unit_names, self._unit_masks = self._units()

    def explain(self, X: ArrayLike, y: ArrayLike | None = None, *, sample_weight: ArrayLike | None = None) -> Explanation:
        """Permutation importance of every feature (or group) on the rows ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows whose values are permuted, typically held-out data.
        y : array-like of shape (n_samples,), default=None
            Target of the rows; required by score-based importance, unused by
            prediction-based importance.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the scores or in the mean squared change.

        Returns
        -------
        explanation : Explanation
            Global: ``values`` and ``std`` of shape ``(n_features, n_outputs)``, one
            row per feature or group, one column per scorer (score-based) or model
            output (prediction-based).
        """
        X_encoded, model_output = self._prepare(X)
        n_samples, n_features = X_encoded.shape
        scorers = _scorers(self.scoring)
        if scorers is not None:
            if y is None:
                raise ValueError(
                    "Score-based permutation importance compares scores, which need the target: "
                    "pass y to explain(X, y), or use scoring=None for prediction-based importance."
                )
            if len(y) != n_samples:
                raise ValueError(f"X has {n_samples} samples but y has {len(y)}; pass one target per row.")
        weights = None if sample_weight is None else check_sample_weight(sample_weight, n_samples)

        names, masks = self._unit_names, self._unit_masks
        n_units, n_repeats = len(names), self.n_repeats
        # One generator per reported feature: its permutations, shape (n_repeats, n_samples).
        order = np.tile(np.arange(n_samples), (n_repeats, 1))
        permutations = np.stack([rng.permuted(order, axis=1) for rng in chunk_rngs(self._seed, n_units)])
        stack = _PermutedStack(X_encoded, masks, permutations)
        n_rows = (1 + n_units * n_repeats) * n_samples
        evaluation = dict(n_features=n_features, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose)

        if scorers is None:
            outputs = predict_built(model_output, stack, n_rows, **evaluation)  # (n_rows, n_outputs)
            reference = outputs[:n_samples]
            permuted = outputs[n_samples:].reshape(n_units, n_repeats, n_samples, -1)
            row_weights = np.full(n_samples, 1.0 / n_samples) if weights is None else weights / weights.sum()
            importances = np.einsum("urno,n->uro", (permuted - reference) ** 2, row_weights)
            base_values, output_names = None, self.output_names_
        else:
            responses = _StackedResponses(self.estimator_, model_output.schema, stack, n_rows, evaluation)
            scores = np.empty((1 + n_units * n_repeats, len(scorers)))
            score_kwargs = {} if weights is None else {"sample_weight": weights}
            # Scorers named by string only hand X to the model's prediction methods: they get
            # a placeholder for the block; other callables get the block's rows themselves.
            needs_rows = any(not named for _, named in scorers.values())
            for block in range(len(scores)):  # the unpermuted rows, then each feature and repeat
                start, stop = block * n_samples, (block + 1) * n_samples
                placeholder = _Placeholder(stop - start)
                rows = model_output.schema.decode(stack(start, stop)) if needs_rows else None
                model = _BlockModel(self.estimator_, responses, start, stop, (placeholder, rows))
                for s, (scorer, named) in enumerate(scorers.values()):
                    scores[block, s] = scorer(model, placeholder if named else rows, y, **score_kwargs)
            importances = scores[0] - scores[1:].reshape(n_units, n_repeats, -1)  # (n_units, n_repeats, n_scorers)
            base_values, output_names = scores[0], np.asarray(list(scorers), dtype=object)

        return Explanation(
            importances.mean(axis=1),
            base_values=base_values,
            feature_names=names,
            output_names=output_names,
            method="permutation_importance",
            std=importances.std(axis=1),
        )

    def _units(self):
        """Names and column masks of the reported features: groups first, then the rest."""
        feature_names = self._feature_schema.feature_names
        n_features = len(feature_names)
        if self.groups is None:
            return np.asarray(feature_names, dtype=object), np.eye(n_features, dtype=bool)
        names, masks = [], []
        grouped = np.zeros(n_features, dtype=bool)
        for name, columns in self.groups.items():
            if isinstance(columns, (str, Integral)):
                columns = [columns]
            mask = np.zeros(n_features, dtype=bool)
            for column in columns:
                mask[self._feature_schema.index_of(column, context=f" (in groups[{name!r}])")] = True
            if not mask.any():
                raise ValueError(f"groups[{name!r}] is empty; a group needs at least one feature.")
            names.append(str(name))
            masks.append(mask)
            grouped |= mask
        for j in np.flatnonzero(~grouped):
            if feature_names[j] in names:
                raise ValueError(
                    f"The group name {feature_names[j]!r} is also the name of a feature in no group; "
                    "rename the group."
                )
            names.append(feature_names[j])
            masks.append(np.eye(n_features, dtype=bool)[j])
        if len(set(names)) != len(names):
            raise ValueError("groups has two groups with the same name.")
        return np.asarray(names, dtype=object), np.vstack(masks)


def _scorers(scoring):
    """``scoring`` as a dict ``{name: (scorer, named)}``, or None for prediction-based importance.

    ``named`` tells a scorer looked up by name, which uses ``X`` only to call the model.
    """
    if scoring is None:
        return None
    if isinstance(scoring, str):
        return {scoring: (get_scorer(scoring), True)}
    if callable(scoring):
        return {"score": (scoring, False)}
    if isinstance(scoring, (list, tuple)):
        if not scoring or not all(isinstance(name, str) for name in scoring):
            raise ValueError(
                f"A list of scorers must hold one or more scorer names; got {scoring!r}. "
                "Pass a dict {name: scorer} for callables."
            )
        if len(set(scoring)) != len(scoring):
            raise ValueError(f"scoring names a scorer twice: {scoring!r}.")
        return {name: (get_scorer(name), True) for name in scoring}
    if not scoring:
        raise ValueError("scoring is an empty dict; give at least one scorer.")
    scorers = {}
    for name, scorer in scoring.items():
        if not (isinstance(scorer, str) or callable(scorer)):
            raise ValueError(f"scoring[{name!r}] must be a scorer name or a callable; got {scorer!r}.")
        scorers[str(name)] = (get_scorer(scorer), True) if isinstance(scorer, str) else (scorer, False)
    return scorers


class _PermutedStack:
    """Rows ``start:stop`` of the stacked table of permuted copies of ``X``.

    Block 0 holds the rows of ``X``; block ``1 + u * n_repeats + r`` holds them with
    the columns of unit ``u`` taken from the rows ``permutations[u, r]``.
    """

    def __init__(self, X, masks, permutations):
        self.X = X  # (n_samples, n_features), encoded
        self.masks = masks  # (n_units, n_features) bool
        self.permutations = permutations  # (n_units, n_repeats, n_samples)

    def __call__(self, start, stop):
        n_samples = len(self.X)
        n_repeats = self.permutations.shape[1]
        flat = np.arange(start, stop)
        block, row = flat // n_samples, flat % n_samples
        rows = self.X[row]  # (chunk, n_features)
        permuted = np.flatnonzero(block > 0)
        if len(permuted):
            unit, repeat = np.divmod(block[permuted] - 1, n_repeats)
            source = self.permutations[unit, repeat, row[permuted]]
            rows[permuted] = np.where(self.masks[unit], self.X[source], rows[permuted])
        return rows


class _StackedResponses:
    """Each prediction method a scorer asks for, evaluated once on the whole stack."""

    def __init__(self, estimator, schema, stack, n_rows, evaluation):
        self.estimator, self.schema, self.stack, self.n_rows = estimator, schema, stack, n_rows
        self.evaluation = evaluation
        self._cache = {}

    def get(self, method):
        if method not in self._cache:
            response = ModelResponse(self.estimator, self.schema, method)
            self._cache[method] = predict_built(response, self.stack, self.n_rows, **self.evaluation)
        return self._cache[method]


def _has(method):
    return lambda self: hasattr(self._estimator, method)


class _Placeholder:
    """Stands for the rows of a block when a scorer only passes them to the model."""

    def __init__(self, n_rows):
        self.shape = (n_rows,)

    def __len__(self):
        return self.shape[0]


class _BlockModel:
    """The model as a scorer sees it for one block of the stack.

    Asked to predict the block (its rows or their placeholder), it answers from the
    stacked predictions; for anything else it is the model itself.
    """

    def __init__(self, estimator, responses, start, stop, inputs):
        self._estimator = estimator
        self._responses = responses
        self._slice = slice(start, stop)
        self._inputs = inputs

    def _respond(self, method, X):
        if any(X is block for block in self._inputs if block is not None):
            return self._responses.get(method)[self._slice]
        return getattr(self._estimator, method)(X)

    @available_if(_has("predict"))
    def predict(self, X):
        return self._respond("predict", X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        return self._respond("predict_proba", X)

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X):
        return self._respond("predict_log_proba", X)

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        return self._respond("decision_function", X)

    def __sklearn_tags__(self):
        return get_tags(self._estimator)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._estimator, name)
