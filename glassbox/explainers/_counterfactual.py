"""Counterfactual explanations: small, valid changes to a row that change the decision.

The search follows Growing Spheres (Laugel et al. 2018), batched over every explained
row and candidate:

1. candidates are drawn in expanding shells around each row, in a space where every
   numeric feature is scaled by its median absolute deviation; each candidate changes a
   random subset of the mutable features (a numeric one moves along a random direction
   at the shell's radius, a categorical one takes another observed level); values are
   clipped to the observed range and integer features stay integers;
2. the model is called once per shell on all candidates of all rows still searching;
   a row stops at the first shell after which it holds enough valid candidates (four
   times ``n_counterfactuals``, at least 10);
3. each valid candidate is sparsified (its changes are reverted one at a time, smallest
   first, as long as the decision holds) and then moved back towards the row along its
   remaining numeric change by bisection, each step one model call over all candidates;
4. from each row's candidates the closest are kept, preferring different sets of
   changed features, so that the counterfactuals offer different ways to the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._core import (
    HasMethods,
    Interval,
    ModelResponse,
    batch_units,
    chunk_bounds,
    predict_rows,
    row_rngs,
    run_chunks,
)
from ._base import BaseExplainer

__all__ = ["CounterfactualExplainer", "Counterfactuals"]

STATUSES = ("found", "partial", "not_found", "already_desired")
_N_SHELLS = 12
"""Shells of the search; their radii double from 1/2**11 of the box diagonal to all of it."""
_BISECTION_STEPS = 8
"""Bisection steps moving each counterfactual back towards its row."""


@dataclass(frozen=True, eq=False, repr=False)
class Counterfactuals:
    """Counterfactual rows for every explained row, with distances and a status per row.

    Attributes
    ----------
    counterfactuals : DataFrame of shape (n_counterfactuals, n_features)
        The changed rows, in the format the model was fitted on (categories as their
        levels), indexed by ``(row, rank)``: the position of the explained row in ``X``
        and the counterfactual's rank for it (0 is the closest).
    distance : ndarray of shape (n_counterfactuals,)
        Distance of each counterfactual to its row: the sum over numeric features of
        the absolute change divided by the feature's median absolute deviation, plus 1
        per changed categorical feature.
    n_changed : ndarray of shape (n_counterfactuals,)
        Features each counterfactual changes (its sparsity).
    changed : ndarray of bool of shape (n_counterfactuals, n_features)
        Which features each counterfactual changes.
    prediction : ndarray of shape (n_counterfactuals,)
        The model's prediction for each counterfactual.
    original : DataFrame of shape (n_rows, n_features)
        The explained rows.
    original_prediction : ndarray of shape (n_rows,)
        The model's prediction for each explained row.
    status : ndarray of str of shape (n_rows,)
        ``"found"`` (``n_counterfactuals`` of them), ``"partial"`` (fewer),
        ``"not_found"`` (none: the search could not change the decision) or
        ``"already_desired"`` (the row already has the desired outcome).
    desired : object
        The desired class (``None``: any class but the predicted one) or the
        ``(low, high)`` range of a regressor's prediction.
    """

    counterfactuals: pd.DataFrame
    distance: np.ndarray
    n_changed: np.ndarray
    changed: np.ndarray
    prediction: np.ndarray
    original: pd.DataFrame
    original_prediction: np.ndarray
    status: np.ndarray
    desired: object = None

    @property
    def feature_names(self):
        return np.asarray(self.original.columns, dtype=object)

    @property
    def success_rate(self):
        """Share of the rows needing a change for which at least one was found."""
        searched = self.status != "already_desired"
        if not searched.any():
            return 1.0
        return float(np.isin(self.status[searched], ("found", "partial")).mean())

    def for_row(self, row):
        """The counterfactuals of explained row ``row`` (its position in ``X``), by rank."""
        return self.counterfactuals.iloc[self._positions(row)].droplevel("row")

    def changes(self, row):
        """What each counterfactual of ``row`` changes: one line per changed feature.

        Returns a DataFrame with columns ``rank``, ``feature``, ``original`` and
        ``counterfactual``.
        """
        positions = self._positions(row)
        ranks, features = np.nonzero(self.changed[positions])
        names = self.feature_names
        original = self.original.iloc[row].to_numpy(dtype=object)
        frame = self.counterfactuals.iloc[positions].to_numpy(dtype=object)
        return pd.DataFrame(
            {
                "rank": ranks,
                "feature": names[features],
                "original": original[features],
                "counterfactual": frame[ranks, features],
            }
        )

    def _positions(self, row):
        if not 0 <= row < len(self.original):
            raise IndexError(f"row {row} is out of range for {len(self.original)} explained rows.")
        return np.flatnonzero(self.counterfactuals.index.get_level_values("row") == row)

    def to_frame(self):
        """The counterfactuals with ``prediction``, ``distance`` and ``n_changed`` columns."""
        return self.counterfactuals.assign(
            prediction=self.prediction, distance=self.distance, n_changed=self.n_changed
        )

    def __repr__(self):
        counts = ", ".join(f"{int((self.status == s).sum())} {s.replace('_', ' ')}" for s in STATUSES)
        lines = [f"Counterfactuals({len(self.original)} rows: {counts})"]
        if len(self.distance):
            lines.append(
                f"  {len(self.distance)} counterfactuals; median {np.median(self.n_changed):g} features "
                f"changed, median distance {np.median(self.distance):.3g}"
            )
        return "\n".join(lines)


class CounterfactualExplainer(BaseExplainer):
    """Counterfactuals: the smallest changes to a row that give the desired prediction.

    For each explained row, ``explain`` searches a few changed copies of the row that
    the model predicts as ``desired_class`` (classifiers) or within ``desired_range``
    (regressors), changing few features, by little, within the values seen at
    ``fit``: numeric values stay inside their observed range (integers stay
    integers), categorical features take observed levels, ``immutable`` features never
    change. Rows for which no such change is found are reported, never dropped.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``).
    n_counterfactuals : int, default=3
        Counterfactuals wanted per row; they change different sets of features where
        possible.
    immutable : list of str or int, default=None
        Features (names, or positions for arrays) that counterfactuals must keep.
    max_changed : int or None, default=None
        Most features a counterfactual may change; ``None`` allows every mutable one.
        (The search already prefers few changes; this is a hard limit.)
    n_candidates : int, default=200
        Candidates drawn per row and shell of the search.
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    batch_size : int or "auto", default="auto"
        Most candidate rows per model call; bounds memory.
    n_jobs : int or None, default=None
        Workers searching groups of rows (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the search. A row's counterfactuals depend only on the row, the request
        and this seed, not on the other rows, ``batch_size`` or ``n_jobs``.
    verbose : bool, default=False
        Report progress on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    scale_ : ndarray of shape (n_features_in_,)
        Unit of each numeric feature in distances: its median absolute deviation (its
        standard deviation when that is 0, and 1 when both are); 1 for categorical
        features, whose change counts 1.
    feature_range_ : ndarray of shape (n_features_in_, 2)
        Smallest and largest value of each numeric feature at ``fit`` (NaN for
        categorical features).
    immutable_ : ndarray of bool of shape (n_features_in_,)
        Features counterfactuals keep.
    classes_ : ndarray of shape (n_classes,)
        Classes of a classifier (absent for regressors).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    LimeExplainer : Which features matter around a row.

    Notes
    -----
    Missing values of an explained row stay missing. Categories that ``fit`` never
    saw cannot be explained: counterfactuals are built from the levels seen at ``fit``.

    References
    ----------
    .. [1] Laugel, T., Lesot, M.-J., Marsala, C., Renard, X. and Detyniecki, M. (2018).
       Comparison-based inverse classification for interpretability in machine
       learning (Growing Spheres). IPMU.
    .. [2] Wachter, S., Mittelstadt, B. and Russell, C. (2017). Counterfactual
       explanations without opening the black box. Harvard Journal of Law & Technology.
    .. [3] Mothilal, R. K., Sharma, A. and Tan, C. (2020). Explaining machine learning
       classifiers through diverse counterfactual explanations. FAT*.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from glassbox.explainers import CounterfactualExplainer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> explainer = CounterfactualExplainer(model, n_counterfactuals=2, random_state=0).fit(X)
    >>> cf = explainer.explain(X.iloc[1:4], desired_class=1)
    >>> cf.status.tolist()
    ['found', 'found', 'found']
    >>> bool((model.predict(cf.counterfactuals) == 1).all())
    True
    >>> cf.changes(2)[["rank", "feature"]].head(3)
       rank               feature
    0     0          mean texture
    1     0  worst concave points
    2     1      smoothness error
    """

    _parameter_constraints = {
        **BaseExplainer._parameter_constraints,
        "estimator": [HasMethods(("fit", "predict"))],
        "n_counterfactuals": [Interval(Integral, 1, None, closed="left")],
        "immutable": ["array-like", None],
        "max_changed": [Interval(Integral, 1, None, closed="left"), None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        *,
        n_counterfactuals=3,
        immutable=None,
        max_changed=None,
        n_candidates=200,
        prefit="auto",
        batch_size="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.n_counterfactuals = n_counterfactuals
        self.immutable = immutable
        self.max_changed = max_changed
        self.n_candidates = n_candidates

    def _response(self, schema):
        """Counterfactuals are judged by the model's decision: ``predict``."""
        return ModelResponse(self.estimator_, schema, "predict")

    def _fit(self, X_encoded):
        """Learn the ranges, scales and levels of ``X``: counterfactual values stay within them."""
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = np.asarray(self.estimator_.classes_)
        elif hasattr(self, "classes_"):  # refitted on a regressor
            del self.classes_
        schema = self._feature_schema
        self.immutable_ = self._immutable_mask()
        self._space = _SearchSpace.learn(X_encoded, schema.is_categorical, schema.categories, self.immutable_)
        self.scale_ = self._space.scale
        self.feature_range_ = np.column_stack([self._space.low, self._space.high])

    def _immutable_mask(self):
        schema = self._feature_schema
        mask = np.zeros(schema.n_features, dtype=bool)
        if self.immutable is None:
            return mask
        requested = [self.immutable] if isinstance(self.immutable, (str, Integral)) else list(self.immutable)
        for feature in requested:
            mask[schema.index_of(feature, context=" (in immutable)")] = True
        return mask

    def explain(self, X, *, desired_class=None, desired_range=None):
        """Counterfactuals of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.
        desired_class : object, default=None
            Classifiers: the class counterfactuals must be predicted as; ``None`` asks
            for any class other than the row's prediction.
        desired_range : tuple of (float or None, float or None), default=None
            Regressors (required): the ``(low, high)`` interval counterfactuals must be
            predicted in; ``None`` leaves a side open.

        Returns
        -------
        counterfactuals : Counterfactuals
        """
        check_is_fitted(self)
        target = self._target(desired_class, desired_range)
        X_encoded, response = self._prepare(X)
        schema = response.schema
        n_rows, n_features = X_encoded.shape
        decide = _Decision(response)
        predicted = predict_rows(decide, X_encoded, batch_size=self.batch_size, n_jobs=self.n_jobs)
        reached = target.reached(predicted, predicted)
        rngs = row_rngs(self._seed, X_encoded)
        search = _Search(
            space=self._space,
            decide=decide,
            target=target,
            n_counterfactuals=self.n_counterfactuals,
            max_changed=self.max_changed,
            n_candidates=self.n_candidates,
        )
        rows_per_chunk = batch_units(
            self.batch_size, row_cells=n_features, unit_cells=self.n_candidates * n_features
        )
        todo = np.flatnonzero(~reached)
        args = [
            (search, todo[start:stop], X_encoded[todo[start:stop]], predicted[todo[start:stop]],
             [rngs[i] for i in todo[start:stop]])
            for start, stop in chunk_bounds(len(todo), rows_per_chunk)
        ]
        found = run_chunks(_search_chunk, args, n_jobs=self.n_jobs, verbose=self.verbose, desc="counterfactuals")
        if found:  # chunks come in row order, each sorted by (row, rank)
            owner, candidates, prediction, distance, changed = (np.concatenate(part) for part in zip(*found))
        else:
            owner, candidates, prediction = np.zeros(0, dtype=np.intp), np.zeros((0, n_features)), predicted[:0]
            distance, changed = np.zeros(0), np.zeros((0, n_features), dtype=bool)
        counts = np.bincount(owner, minlength=n_rows)
        status = np.where(counts >= self.n_counterfactuals, "found", np.where(counts > 0, "partial", "not_found"))
        status = np.where(reached, "already_desired", status).astype(object)
        rank = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left")
        frame = _as_frame(schema, candidates)
        frame.index = pd.MultiIndex.from_arrays([owner, rank], names=["row", "rank"])
        return Counterfactuals(
            counterfactuals=frame,
            distance=distance,
            n_changed=changed.sum(axis=1),
            changed=changed,
            prediction=prediction,
            original=_as_frame(schema, X_encoded),
            original_prediction=predicted,
            status=status,
            desired=target.desired,
        )

    def _target(self, desired_class, desired_range):
        name = type(self.estimator_).__name__
        if hasattr(self, "classes_"):
            if desired_range is not None:
                raise ValueError(
                    f"{name} is a classifier: ask for a class with desired_class; desired_range applies to "
                    "regressors."
                )
            if desired_class is not None and desired_class not in self.classes_.tolist():
                raise ValueError(
                    f"desired_class={desired_class!r} is not a class of {name}; its classes are "
                    f"{', '.join(map(repr, self.classes_.tolist()))}."
                )
            return _Target(desired=desired_class, low=None, high=None)
        if desired_class is not None:
            raise ValueError(
                f"{name} is a regressor: it has no classes. Pass desired_range=(low, high), the range its "
                "prediction should reach."
            )
        if desired_range is None:
            raise ValueError(
                f"{name} is a regressor: pass desired_range=(low, high), the range its prediction should reach "
                "(None leaves a side open)."
            )
        try:
            low, high = desired_range
            low = -np.inf if low is None else float(low)
            high = np.inf if high is None else float(high)
        except (TypeError, ValueError):
            raise ValueError(
                f"desired_range must be a pair (low, high) of numbers or None; got {desired_range!r}."
            ) from None
        if np.isnan(low) or np.isnan(high) or low > high:
            raise ValueError(f"desired_range must satisfy low <= high; got {desired_range!r}.")
        return _Target(desired=(low, high), low=low, high=high)


@dataclass(frozen=True)
class _Target:
    """What a counterfactual must reach: a class (None: another class) or a range."""

    desired: object
    low: float | None
    high: float | None

    def reached(self, prediction, original):
        """Whether each prediction meets the target, given the row's own prediction."""
        if self.low is not None:
            return (prediction >= self.low) & (prediction <= self.high)
        if self.desired is None:
            return prediction != original
        return prediction == self.desired


class _Decision:
    """The model's decision (``predict``) on encoded rows, one value per row."""

    def __init__(self, response):
        self.response = response

    def __call__(self, Z):
        return self.response(Z).reshape(len(Z))


@dataclass(frozen=True, eq=False)
class _SearchSpace:
    """What the search may change and how it measures change, learnt at ``fit``.

    Attributes
    ----------
    is_categorical, immutable, is_integer : ndarray of bool of shape (p,)
    low, high : ndarray of shape (p,)
        Observed range of numeric features (NaN for categorical ones).
    scale : ndarray of shape (p,)
        Median absolute deviation of numeric features (see the explainer), 1 for
        categorical ones.
    frequencies : tuple of length p
        Observed share of each level of a categorical feature (None for numeric ones).
    """

    is_categorical: np.ndarray
    immutable: np.ndarray
    is_integer: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray
    frequencies: tuple

    @classmethod
    def learn(cls, X, is_categorical, categories, immutable):
        n_features = X.shape[1]
        low, high = np.full(n_features, np.nan), np.full(n_features, np.nan)
        scale = np.ones(n_features)
        is_integer = np.zeros(n_features, dtype=bool)
        frequencies = []
        for j in range(n_features):
            column = X[:, j][~np.isnan(X[:, j])]
            if is_categorical[j]:
                counts = np.bincount(column.astype(np.intp), minlength=len(categories[j])).astype(np.float64)
                frequencies.append(counts / max(counts.sum(), 1.0))
                continue
            frequencies.append(None)
            if len(column) == 0:
                continue
            low[j], high[j] = column.min(), column.max()
            is_integer[j] = bool(np.all(column == np.round(column)))
            mad = np.median(np.abs(column - np.median(column)))
            spread = mad if mad > 0 else column.std()
            scale[j] = spread if spread > 0 else 1.0
        return cls(np.asarray(is_categorical, dtype=bool), immutable, is_integer, low, high, scale, tuple(frequencies))

    def mutable(self, rows):
        """Which features of each row a counterfactual may change, shape (c, p)."""
        numeric = ~self.is_categorical & (self.high > self.low)
        mutable = np.where(self.is_categorical, True, numeric[None, :] & ~np.isnan(rows))
        for j in np.flatnonzero(self.is_categorical):
            observed = self.frequencies[j] > 0
            current = rows[:, j]
            known = ~np.isnan(current)
            alone = np.zeros(len(rows), dtype=bool)  # the row holds the only observed level
            alone[known] = (observed.sum() == 1) & observed[current[known].astype(np.intp)]
            mutable[:, j] = (observed.sum() >= 1) & ~alone
        return mutable & ~self.immutable

    def distance(self, candidates, rows):
        """Distances (T,) and changed features (T, p) of candidates to their rows."""
        changed = ~((candidates == rows) | (np.isnan(candidates) & np.isnan(rows)))
        gap = np.where(self.is_categorical, 1.0, np.abs(candidates - rows) / self.scale)
        return np.where(changed, gap, 0.0).sum(axis=1), changed

    def finish(self, candidates):
        """Clip numeric values to the observed range and round integer features."""
        clipped = np.clip(candidates, self.low, self.high)
        clipped = np.where(self.is_integer, np.round(clipped), clipped)
        return np.where(self.is_categorical, candidates, clipped)

    def swap_levels(self, rows, chosen, uniforms):
        """Other observed levels for the chosen categorical cells, drawn by frequency.

        ``rows`` (c, p), ``chosen`` (c, M, p) and ``uniforms`` (c, M, p); returns the
        codes of shape (c, M, p) (unchanged where not chosen).
        """
        codes = np.broadcast_to(rows[:, None, :], chosen.shape).copy()
        for j in np.flatnonzero(self.is_categorical & chosen.any(axis=(0, 1))):
            shares = self.frequencies[j]
            cumulative = np.cumsum(shares)
            current = np.broadcast_to(rows[:, None, j], chosen.shape[:2])
            known = ~np.isnan(current)
            index = np.where(known, current, 0).astype(np.intp)
            own = np.where(known, shares[index], 0.0)  # mass of the row's own level
            before = np.where(known & (index > 0), cumulative[np.maximum(index - 1, 0)], 0.0)
            t = uniforms[:, :, j] * (1.0 - own)
            # Inverse CDF of the frequencies with the row's own level removed.
            shifted = np.where(known & (t >= before), t + own, t)
            level = np.minimum(np.searchsorted(cumulative, shifted, side="right"), len(shares) - 1)
            codes[:, :, j] = np.where(chosen[:, :, j], level, codes[:, :, j])
        return codes


@dataclass(frozen=True, eq=False)
class _Search:
    """The search of one request, shipped to every chunk of rows."""

    space: _SearchSpace
    decide: _Decision
    target: _Target
    n_counterfactuals: int
    max_changed: int | None
    n_candidates: int

    @property
    def n_kept(self):
        """Valid candidates refined per row."""
        return max(10, 4 * self.n_counterfactuals)

    def reached(self, candidates, original):
        return self.target.reached(self.decide(candidates), original)


def _search_chunk(search, positions, rows, original, rngs):
    """Counterfactuals of a chunk of rows: owner positions, rows, predictions, distances,
    changed masks, sorted by (owner, rank)."""
    space = search.space
    n_rows, n_features = rows.shape
    mutable = space.mutable(rows)  # (c, p)
    n_mutable = mutable.sum(axis=1)
    limit = n_mutable if search.max_changed is None else np.minimum(n_mutable, search.max_changed)
    numeric_mutable = mutable & ~space.is_categorical
    diagonal = np.sqrt(np.square(np.where(numeric_mutable, (space.high - space.low) / space.scale, 0.0)).sum(axis=1))
    radii = diagonal[:, None] * 2.0 ** np.arange(-_N_SHELLS + 1, 1)  # (c, shells), outer radius of each shell
    pool_rows, pool = [], []
    searching = n_mutable > 0
    for shell in range(_N_SHELLS):
        active = np.flatnonzero(searching)
        if len(active) == 0:
            break
        inner = radii[active, shell - 1] if shell > 0 else np.zeros(len(active))
        candidates = _draw_candidates(
            space, rows[active], mutable[active], limit[active], inner, radii[active, shell],
            [rngs[i] for i in active], search.n_candidates,
        )  # (a, M, p)
        flat = candidates.reshape(-1, n_features)
        owner = np.repeat(active, search.n_candidates)
        valid = search.reached(flat, original[owner])
        pool_rows.append(owner[valid])
        pool.append(flat[valid])
        searching &= np.bincount(np.concatenate(pool_rows), minlength=n_rows) < search.n_kept
    owner = np.concatenate(pool_rows) if pool_rows else np.zeros(0, dtype=np.intp)
    candidates = np.concatenate(pool) if pool else np.zeros((0, n_features))
    owner, candidates = _closest_diverse(space, owner, candidates, rows, search.n_kept)
    candidates = _sparsify(search, owner, candidates, rows, original)
    candidates = _shrink(search, owner, candidates, rows, original)
    owner, candidates = _closest_diverse(space, owner, candidates, rows, search.n_counterfactuals)
    prediction = search.decide(candidates) if len(candidates) else original[:0]
    valid = search.target.reached(prediction, original[owner])  # holds by construction; checked anyway
    owner, candidates, prediction = owner[valid], candidates[valid], prediction[valid]
    distance, changed = space.distance(candidates, rows[owner])
    return positions[owner], candidates, prediction, distance, changed


def _draw_candidates(space, rows, mutable, limit, inner, outer, rngs, n_candidates):
    """Candidates (a, M, p) in the shells ``inner <= radius <= outer`` around each row.

    Each candidate changes a random subset of 1 to ``limit`` mutable features (a
    log-uniform number of them): numeric
    ones along a random direction (in units of ``space.scale``) at a random radius of the
    shell, categorical ones to another observed level.
    """
    n_active, n_features = rows.shape
    shape = (n_active, n_candidates, n_features)
    keys, normals, levels = np.empty(shape), np.empty(shape), np.empty(shape)
    sizes, radius = np.empty(shape[:2]), np.empty(shape[:2])
    for i, rng in enumerate(rngs):  # each row's own stream: results do not depend on the other rows
        rng.random(out=keys[i])
        rng.standard_normal(out=normals[i])
        rng.random(out=levels[i])
        rng.random(out=sizes[i])
        rng.random(out=radius[i])
    # A random subset of ``size`` mutable features: those with the smallest keys. Sizes
    # are log-uniform in 1..limit, so that few changes are tried most.
    keys = np.where(mutable[:, None, :], keys, 2.0)
    rank = np.argsort(np.argsort(keys, axis=2), axis=2)
    size = np.minimum(np.floor(np.exp(sizes * np.log(limit[:, None] + 1.0))), limit[:, None])  # (a, M)
    chosen = rank < size[:, :, None]
    direction = np.where(chosen & ~space.is_categorical, normals, 0.0)
    norm = np.sqrt(np.square(direction).sum(axis=2, keepdims=True))
    radius = inner[:, None] + radius * (outer - inner)[:, None]
    step = direction / np.where(norm > 0, norm, 1.0) * radius[:, :, None]
    moved = rows[:, None, :] + step * space.scale
    candidates = np.where(space.is_categorical, space.swap_levels(rows, chosen, levels), moved)
    return space.finish(candidates)


def _closest_diverse(space, owner, candidates, rows, k):
    """Keep at most ``k`` candidates per row: distinct values, closest first, each
    changing another set of features than those kept before it when possible."""
    if len(owner) == 0:
        return owner, candidates
    distance, changed = space.distance(candidates, rows[owner])
    # Drop exact duplicates (same row, same values).
    filled = np.where(np.isnan(candidates), np.inf, candidates)
    order = np.lexsort((*filled.T[::-1], owner))
    same = np.r_[False, (owner[order][1:] == owner[order][:-1]) & (filled[order][1:] == filled[order][:-1]).all(axis=1)]
    unique = order[~same]
    owner, candidates, distance, changed = owner[unique], candidates[unique], distance[unique], changed[unique]
    # Within each row: the first (closest) candidate of each set of changed features
    # comes before the others, then by distance.
    set_key = np.packbits(changed, axis=1)
    by_distance = np.lexsort((distance, owner))
    keyed = np.column_stack([owner[by_distance], set_key[by_distance]])
    _, first = np.unique(keyed, axis=0, return_index=True)
    repeat = np.ones(len(owner), dtype=bool)
    repeat[by_distance[first]] = False
    order = np.lexsort((distance, repeat, owner))
    rank = np.arange(len(order)) - np.searchsorted(owner[order], owner[order], side="left")
    keep = order[rank < k]
    keep = keep[np.lexsort((distance[keep], owner[keep]))]  # closest first within each row
    return owner[keep], candidates[keep]


def _sparsify(search, owner, candidates, rows, original):
    """Revert changed features one at a time, smallest change first, while the
    candidate stays valid: one model call per step over all candidates."""
    if len(owner) == 0:
        return candidates
    space = search.space
    candidates = candidates.copy()
    start = rows[owner]
    _, changed = space.distance(candidates, start)
    size = np.where(space.is_categorical, 1.0, np.abs(candidates - start) / space.scale)
    order = np.argsort(np.where(changed, size, np.inf), axis=1, kind="stable")
    n_changed = changed.sum(axis=1)
    for step in range(int(n_changed.max(initial=0))):
        active = np.flatnonzero(n_changed > step)
        if len(active) == 0:
            break
        feature = order[active, step]
        trial = candidates[active].copy()
        trial[np.arange(len(active)), feature] = start[active, feature]
        valid = search.reached(trial, original[owner[active]])
        candidates[active[valid]] = trial[valid]
    return candidates


def _shrink(search, owner, candidates, rows, original):
    """Move each candidate back towards its row along its numeric change, by bisection,
    as far as it stays valid: one model call per step over all candidates."""
    space = search.space
    if len(owner) == 0:
        return candidates
    start = rows[owner]
    numeric = ~space.is_categorical & ~np.isnan(start)
    change = np.where(numeric, candidates - start, 0.0)
    movable = np.flatnonzero((change != 0).any(axis=1))
    low, high = np.zeros(len(movable)), np.ones(len(movable))
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        trial = space.finish(candidates[movable] - (1 - middle)[:, None] * change[movable])
        valid = search.reached(trial, original[owner[movable]])
        high = np.where(valid, middle, high)
        low = np.where(valid, low, middle)
    result = candidates.copy()
    result[movable] = space.finish(candidates[movable] - (1 - high)[:, None] * change[movable])
    return result


def _as_frame(schema, Z):
    """Encoded rows as a DataFrame in the format the model was fitted on."""
    decoded = schema.decode(Z)
    if isinstance(decoded, pd.DataFrame):
        return decoded
    return pd.DataFrame(schema.display(Z), columns=schema.feature_names)
