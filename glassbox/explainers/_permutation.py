"""Permutation feature importance, score-based and prediction-based, with groups.

A feature matters to a model as much as breaking its link with the rest of the row
hurts: its values are shuffled among the rows (a random permutation), and the change in
a score (Breiman 2001; Fisher, Rudin and Dominici 2019, "model reliance") or in the
predictions themselves is measured, ``n_repeats`` times.

Every permuted copy of the rows, for every feature and repeat, is one block of a single
stacked table that is built chunk by chunk (:func:`~glassbox._core.predict_built`), so
the model is called once per chunk of ``batch_size`` rows rather than once per feature
and repeat. The blocks are taken in groups that fill one batch (one block at least):
a group is built, evaluated and reduced to its blocks' scores or squared changes before
the next, so memory holds one group's predictions, never the whole table's.
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

from .._core import (
    MODEL_ROWS,
    Interval,
    ModelResponse,
    StrOptions,
    batch_units,
    check_sample_weight,
    chunk_bounds,
    predict_built,
    run_chunks,
)
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
    ``batch_size`` rows: one model call per chunk. Chunks are reduced as they come
    (groups of whole blocks of permuted rows), so memory stays within one batch of
    rows and their predictions (one block of ``n_samples`` rows at least, which a
    scorer reads at once).

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
        Parallel workers (joblib) over groups of chunks; results do not depend on it.
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
        stack = _PermutedStack(X_encoded, masks, n_repeats, self._seed)
        n_blocks = 1 + n_units * n_repeats  # the rows themselves, then each feature and repeat
        rows = batch_units(self.batch_size, row_cells=n_features, unit_cells=n_features, max_rows=MODEL_ROWS)
        per_group = max(1, rows // n_samples)  # whole blocks filling a batch, one at least
        evaluation = dict(n_features=n_features, batch_size=self.batch_size)
        progress = dict(n_jobs=self.n_jobs, verbose=self.verbose, desc="permutation importance")

        if scorers is None:
            reference = predict_built(model_output, stack, n_samples, **evaluation)  # block 0
            row_weights = np.full(n_samples, 1.0 / n_samples) if weights is None else weights / weights.sum()
            args = [
                (model_output, stack, first + 1, last + 1, reference, row_weights, evaluation)
                for first, last in chunk_bounds(n_blocks - 1, per_group)
            ]
            changes = np.concatenate(run_chunks(_squared_changes, args, **progress))
            importances = changes.reshape(n_units, n_repeats, -1)  # (n_units, n_repeats, n_outputs)
            base_values, output_names = None, self.output_names_
        else:
            # Scorers named by string only hand X to the model's prediction methods: they get
            # a placeholder for the block; other callables get the block's rows themselves.
            needs_rows = any(not named for _, named in scorers.values())
            scoring = (scorers, y, {} if weights is None else {"sample_weight": weights}, needs_rows)
            args = [
                (self.estimator_, model_output.schema, stack, first, last, scoring, evaluation)
                for first, last in chunk_bounds(n_blocks, per_group)
            ]
            scores = np.concatenate(run_chunks(_group_scores, args, **progress))  # (n_blocks, n_scorers)
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
    the columns of unit ``u`` taken from the rows of a permutation drawn from its own
    seed (the fit's seed spawned at ``(u, r)``), when a chunk first needs it: the same
    draws wherever the chunk runs, and one block's permutation held at a time.
    """

    def __init__(self, X, masks, n_repeats, seed):
        self.X = X  # (n_samples, n_features), encoded
        self.masks = masks  # (n_units, n_features) bool
        self.n_repeats = n_repeats
        self.seed = seed
        self._last = (None, None)

    def permutation(self, unit, repeat):
        """The permutation of the rows for repeat ``repeat`` of unit ``unit``."""
        if self._last[0] != (unit, repeat):
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(int(unit), int(repeat))))
            self._last = ((unit, repeat), rng.permutation(len(self.X)))
        return self._last[1]

    def __getstate__(self):
        return {**self.__dict__, "_last": (None, None)}

    def __call__(self, start, stop):
        n_samples = len(self.X)
        rows = np.empty((stop - start, self.X.shape[1]))
        for block in range(start // n_samples, (stop - 1) // n_samples + 1):
            first, last = max(start, block * n_samples), min(stop, (block + 1) * n_samples)
            out = rows[first - start : last - start]
            within = slice(first - block * n_samples, last - block * n_samples)
            out[:] = self.X[within]
            if block > 0:
                unit, repeat = divmod(block - 1, self.n_repeats)
                source = self.permutation(unit, repeat)[within]
                for column in np.flatnonzero(self.masks[unit]):
                    out[:, column] = self.X[source, column]
        return rows


class _Blocks:
    """The rows of blocks ``first:last`` of a stacked table, as a table of their own."""

    def __init__(self, stack, first, n_samples):
        self.stack, self.offset = stack, first * n_samples

    def __call__(self, start, stop):
        return self.stack(self.offset + start, self.offset + stop)


def _squared_changes(model_output, stack, first, last, reference, row_weights, evaluation):
    """Weighted mean squared change of the outputs of blocks ``first:last`` against the
    reference outputs, shape (last - first, n_outputs)."""
    n_samples = len(reference)
    rows = _Blocks(stack, first, n_samples)
    outputs = predict_built(model_output, rows, (last - first) * n_samples, **evaluation)
    changes = (outputs.reshape(last - first, n_samples, -1) - reference) ** 2
    return np.einsum("bno,n->bo", changes, row_weights)


def _group_scores(estimator, schema, stack, first, last, scoring, evaluation):
    """Every scorer on every block of ``first:last``, shape (last - first, n_scorers)."""
    scorers, y, score_kwargs, needs_rows = scoring
    n_samples = len(stack.X)
    rows = _Blocks(stack, first, n_samples)
    responses = _StackedResponses(estimator, schema, rows, (last - first) * n_samples, evaluation)
    scores = np.empty((last - first, len(scorers)))
    for b in range(last - first):
        start, stop = b * n_samples, (b + 1) * n_samples
        placeholder = _Placeholder(n_samples)
        block_rows = schema.decode(rows(start, stop)) if needs_rows else None
        model = _BlockModel(estimator, responses, start, stop, (placeholder, block_rows))
        for s, (scorer, named) in enumerate(scorers.values()):
            scores[b, s] = scorer(model, placeholder if named else block_rows, y, **score_kwargs)
    return scores


class _StackedResponses:
    """Each prediction method a scorer asks for, evaluated once on a group of blocks."""

    def __init__(self, estimator, schema, rows, n_rows, evaluation):
        self.estimator, self.schema, self.rows, self.n_rows = estimator, schema, rows, n_rows
        self.evaluation = evaluation
        self._cache = {}

    def get(self, method):
        if method not in self._cache:
            response = ModelResponse(self.estimator, self.schema, method)
            self._cache[method] = predict_built(response, self.rows, self.n_rows, **self.evaluation)
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
