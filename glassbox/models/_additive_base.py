"""What the additive classifier and regressor share: fitting, reading, editing, explaining.

``AdditiveClassifier`` and ``AdditiveRegressor`` belong to the class of explainable
boosting machines (Lou, Caruana, Gehrke 2012; Lou et al. 2013; Nori et al. 2019): the
model is ``intercept + f_1(x_1) + ... + f_p(x_p) + f_ij(x_i, x_j) + ...`` where every
``f`` is a table of scores over the bins of its feature (or the cells of its pair), learnt
by boosting shallow trees on the binned data with a small learning rate, averaged over
outer bags. Each term is a curve (or a small heat map) a person can read, edit and export.

The base class here validates, bins, runs the two boosting stages and keeps the terms;
the outer bags are :mod:`._additive_bags`, the numerical engine
:mod:`._additive_boosting`, the layouts, pair ranking and purification of the terms
:mod:`._additive_terms`, and the text and exports :mod:`._render._additive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import (
    Interval,
    apply_bins,
    check_sample_weight,
    check_target,
    draw_seed,
    fit_bins,
    validate_params,
    validate_X,
)
from ..explanation import Effect, Explanation
from ._additive_bags import _bag_scores, _draw_bags, _initial_scores, _n_workers, _run_bags
from ._additive_boosting import BoostingProblem
from ._additive_terms import (
    _bin_grid,
    _group_labels,
    _interaction_groups,
    _levels_unseen_in_bags,
    _MainLayout,
    _pair_weight,
    _PairLayout,
    _purify_and_centre,
    _rank_pairs,
)
from ._render._additive import additive_text

if TYPE_CHECKING:
    from .._core._typing import EstimatorT

    # A term: its position in ``terms_``, its name, a feature name, or a pair of features.
    Term = int | str | tuple[int | str, int | str]

__all__ = ["_AdditiveModel"]

_TIMES = "\u00d7"  # the "a × b" of a pair's name
_couples = np.frompyfunc(lambda a, b: (a, b), 2, 1)  # the (a, b) data of a pair term
_RANK_ROWS = 100_000  # most rows the pairs are ranked on


def _compact(codes, top):
    """``codes`` in the smallest unsigned type that holds ``top``: bins take little memory."""
    dtype = np.uint8 if top <= np.iinfo(np.uint8).max else np.uint16 if top <= np.iinfo(np.uint16).max else np.int32
    return codes.astype(dtype, copy=False)


class _AdditiveModel(TransparentMixin):
    """What the additive classifier and regressor share: fit, explain, edit, text, export."""

    _parameter_constraints = {
        "max_bins": [Interval(Integral, 2, None, closed="left")],
        "max_interaction_bins": [Interval(Integral, 2, None, closed="left")],
        "interactions": [Interval(Integral, 0, None, closed="left"), "array-like"],
        "outer_bags": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, 1, closed="right")],
        "max_rounds": [Interval(Integral, 1, None, closed="left")],
        "smoothing_rounds": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "round_samples": [Interval(Integral, 1, None, closed="left"), None],
        "monotone_constraints": ["array-like", dict, None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    # -- fitting --------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, task):
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        schema = self._feature_schema
        n_samples, n_features = X_encoded.shape
        y, classes = check_target(self, y, n_samples, task=task)
        weight = check_sample_weight(sample_weight, n_samples)
        keep = weight > 0  # a row of zero weight takes no part, in bins or bags
        if not keep.all():
            X_encoded, y, weight = X_encoded[keep], y[keep], weight[keep]
            n_samples = len(y)
        if task == "classification":  # the classes of the rows that take part
            y, classes = check_target(self, classes[y], n_samples, task=task, min_classes=2)
            self.classes_ = classes
            loss = "binary" if len(classes) == 2 else "multinomial"
            n_scores = 1 if len(classes) == 2 else len(classes)
        else:
            loss, n_scores = "squared", 1
        monotone = self._monotone_directions(schema)
        seed = draw_seed(self.random_state)
        self.bins_ = fit_bins(
            X_encoded, schema.is_categorical, max_bins=self.max_bins, categories=schema.categories,
            random_state=seed,
        )
        codes = _compact(apply_bins(self.bins_, X_encoded), self.bins_.n_bins.max())  # (n, p), missing bin last
        del X_encoded  # the bins are all the boosting needs
        bin_weight = [np.bincount(codes[:, j], weights=weight, minlength=self.bins_.n_bins[j])
                      for j in range(n_features)]
        init = _initial_scores(loss, y, weight, n_scores)  # (n_scores,)
        max_val = None if self.round_samples is None else max(self.round_samples // 4, 1)
        bags = _draw_bags(self.outer_bags, seed, y if loss != "squared" else None, weight, self.validation_fraction,
                          max_val)
        bags.chunks = np.array_split(np.arange(self.outer_bags), min(self.outer_bags, _n_workers(self.n_jobs)))

        # Stage 1: the main terms. Stage 2: the pairs, ranked on the residual of the
        # averaged main terms and boosted on each bag's own.
        main_scores, intercepts, bag_scores, main_rounds, start_loss = self._boost_main_terms(
            codes, y, loss, n_scores, init, bags, monotone)
        groups = _interaction_groups(self.bins_, schema, bin_weight, self.max_interaction_bins)
        pairs = self._choose_pairs(schema, groups, codes, y, weight, loss, bag_scores, monotone, bin_weight, seed)
        pair_tables, pair_rounds = [], np.zeros(self.outer_bags, dtype=np.intp)
        if pairs:
            pair_tables, pair_intercepts, pair_rounds = self._boost_pairs(
                pairs, groups, codes, y, loss, n_scores, bag_scores, bags, start_loss)
            intercepts = intercepts + pair_intercepts

        # Centre and purify every bag, then average the bags.
        pair_weight = [_pair_weight(codes, groups, j, k, weight) for j, k in pairs]
        unseen = _levels_unseen_in_bags(codes, bags.train_weight, self.bins_.n_bins, schema.is_categorical)
        intercepts = _purify_and_centre(main_scores, pair_tables, intercepts, pairs, groups, bin_weight, pair_weight,
                                        schema.is_categorical, unseen)
        self._n_scores = n_scores
        self._groups = groups
        self._group_labels = [_group_labels(self.bins_, schema, j, groups[j]) for j in range(n_features)]
        self.n_rounds_ = np.stack([main_rounds, pair_rounds], axis=1)
        self._set_terms(intercepts, main_scores, bin_weight, pairs, pair_tables, pair_weight)
        return self

    def _boost_main_terms(self, codes, y, loss, n_scores, init, bags, monotone):
        """Boost the main terms of every bag.

        Returns each feature's scores (K, n_bins, C), the bags' intercepts (K, C), every
        bag's scores of the rows (n, K, C), the rounds each bag ran and each bag's
        validation loss at the start (K,), that of the intercept alone.
        """
        layout = _MainLayout(self.bins_, self._feature_schema.is_categorical)
        problem = self._problem(_compact(layout.codes(codes), layout.width), "main", layout.n_terms, layout.width,
                                y, loss, n_scores, n_numeric=layout.n_numeric, value_widths=layout.value_widths,
                                monotone=monotone[layout.order])
        offsets = np.broadcast_to(init, (len(codes), self.outer_bags, n_scores))
        cells, rounds, start_loss = _run_bags(problem, offsets, bags, self.n_jobs, stage=0)  # (K, n_cells + 1, C)
        return layout.scores(cells), init + cells[:, -1, :], _bag_scores(problem, cells, init), rounds, start_loss

    def _boost_pairs(self, pairs, groups, codes, y, loss, n_scores, bag_scores, bags, start_loss):
        """Boost the pairs of every bag on top of its main terms.

        A bag's improvements count relative to ``start_loss``, the validation loss of its
        intercept alone, as in the main stage: not relative to the loss of its main terms,
        which on data the main terms nearly fit is so small that the pairs would go on
        chasing improvements of no weight for the problem.

        Returns each pair's table (K, Ga, Gb, C), the intercepts' change (K, C) and the
        rounds each bag ran.
        """
        layout = _PairLayout(pairs, groups)
        problem = self._problem(_compact(layout.codes(codes), layout.width**2), "pair", len(pairs), layout.width,
                                y, loss, n_scores)
        cells, rounds, _ = _run_bags(problem, bag_scores, bags, self.n_jobs, stage=1, scale=start_loss)
        return layout.tables(cells), cells[:, -1, :], rounds

    def _set_terms(self, intercepts, main_scores, bin_weight, pairs, pair_tables, pair_weight):
        """Average the bags into the fitted terms; a feature whose shape is zero has none."""
        self.intercept_ = intercepts.mean(axis=0)
        terms, scores, stds, weights = [], [], [], []
        for j, bag_scores in enumerate(main_scores):
            if np.any(bag_scores.mean(axis=0) != 0):
                terms.append((j,))
                scores.append(bag_scores.mean(axis=0))
                stds.append(bag_scores.std(axis=0))
                weights.append(bin_weight[j])
        for pair, table, w in zip(pairs, pair_tables, pair_weight):
            terms.append(pair)
            scores.append(table.mean(axis=0))
            stds.append(table.std(axis=0))
            weights.append(w)
        self.terms_ = terms
        self.term_names_ = [self._term_name(t) for t in terms]
        self.term_scores_ = [self._public(s) for s in scores]
        self.term_standard_deviations_ = [self._public(s) for s in stds]
        self._term_weights = weights
        self._refresh()

    def _problem(self, codes, kind, n_terms, width, y, loss, n_scores, n_numeric=0, value_widths=(0, 0),
                 monotone=None):
        return BoostingProblem(
            codes=codes, kind=kind, n_terms=n_terms, width=width, n_numeric=n_numeric, value_widths=value_widths,
            monotone=np.zeros(n_terms) if monotone is None else monotone, y=y, loss=loss, n_scores=n_scores,
            learning_rate=float(self.learning_rate), max_rounds=int(self.max_rounds),
            smoothing_rounds=int(self.smoothing_rounds), n_iter_no_change=int(self.n_iter_no_change),
            tol=float(self.tol), min_samples_leaf=int(self.min_samples_leaf),
            round_samples=None if self.round_samples is None else int(self.round_samples),
        )

    def _monotone_directions(self, schema):
        """-1, 0 or +1 per feature from ``monotone_constraints``."""
        owner = type(self).__name__
        names = list(map(str, schema.feature_names))
        constraints = self.monotone_constraints
        directions = np.zeros(len(names))
        if constraints is None:
            return directions
        if isinstance(constraints, dict):
            for key, value in constraints.items():
                directions[schema.index_of(key, context=" (in monotone_constraints)")] = value
        else:
            values = np.asarray(constraints, dtype=np.float64).ravel()
            if len(values) != len(names):
                raise ValueError(
                    f"monotone_constraints must have one entry per feature ({len(names)}); got {len(values)}."
                )
            directions[:] = values
        if not np.isin(directions, (-1, 0, 1)).all():
            raise ValueError(f"monotone_constraints must hold -1, 0 or 1; got {sorted(set(directions.tolist()))}.")
        categorical = np.flatnonzero((directions != 0) & schema.is_categorical)
        if len(categorical):
            raise ValueError(
                f"{owner} can only constrain numeric features to be monotone; "
                f"{', '.join(repr(names[j]) for j in categorical)} is categorical."
            )
        return directions

    def _choose_pairs(self, schema, groups, codes, y, weight, loss, bag_scores, monotone, bin_weight, seed):
        """The pairs to boost: given by the user, or the best ``interactions`` by FAST.

        FAST ranks the pairs on the residual of the bags' mean scores, on at most
        ``_RANK_ROWS`` rows drawn at random.
        """
        n_features = schema.n_features
        if not isinstance(self.interactions, Integral):
            pairs = []
            for pair in self.interactions:
                if isinstance(pair, str) or np.ndim(pair) != 1 or len(pair) != 2:
                    raise ValueError(
                        f"interactions must be an int or a list of pairs of features; got the entry {pair!r}."
                    )
                j, k = sorted(schema.index_of(f, context=" (in interactions)") for f in pair)
                if j == k:
                    raise ValueError(f"An interaction pairs two different features; got {pair!r}.")
                if monotone[j] or monotone[k]:
                    raise ValueError(
                        f"The pair {pair!r} involves a feature with a monotone constraint; a pair term "
                        "could break the monotonicity, so such pairs are not allowed."
                    )
                if (j, k) not in pairs:
                    pairs.append((j, k))
            return pairs
        if self.interactions == 0 or n_features < 2:
            return []
        informative = np.array([(w > 0).sum() >= 2 for w in bin_weight]) & (monotone == 0)
        candidates = [(j, k) for j in range(n_features) for k in range(j + 1, n_features)
                      if informative[j] and informative[k]]
        if not candidates:
            return []
        rows = slice(None)
        if len(codes) > _RANK_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(len(codes), _RANK_ROWS, replace=False))
        scores = bag_scores[rows].mean(axis=1)  # (rows, n_scores)
        strength = _rank_pairs(candidates, groups, codes[rows], y[rows], weight[rows], loss, scores,
                               self.min_samples_leaf)
        order = np.argsort(-strength, kind="stable")
        chosen = [candidates[i] for i in order[: self.interactions] if np.isfinite(strength[i]) and strength[i] > 0]
        return chosen

    # -- terms ----------------------------------------------------------------------
    def _public(self, scores):
        """Drop the trailing score axis unless the model has several scores (multiclass)."""
        return scores[..., 0] if self._n_scores == 1 else scores

    def _scores3(self, t):
        """Scores of term ``t`` with a trailing score axis: (*cells, n_scores)."""
        scores = np.asarray(self.term_scores_[t], dtype=np.float64)
        return scores.reshape(*self._term_shape(t), self._n_scores)

    def _term_shape(self, t):
        term = self.terms_[t]
        if len(term) == 1:
            return (int(self.bins_.n_bins[term[0]]),)
        return tuple(int(self._groups[j].max()) + 1 for j in term)

    def _term_name(self, term):
        names = self._feature_schema.feature_names
        return str(names[term[0]]) if len(term) == 1 else f"{names[term[0]]} {_TIMES} {names[term[1]]}"

    def _term_index(self, term):
        """Position in ``terms_`` of a term given by position, name, feature or pair of features."""
        owner = type(self).__name__
        schema = self._feature_schema
        if isinstance(term, Integral) and not isinstance(term, bool):
            if not -len(self.terms_) <= term < len(self.terms_):
                raise IndexError(f"{owner} has {len(self.terms_)} terms; got term index {term}.")
            return int(term) % len(self.terms_)
        if isinstance(term, str) and term in self.term_names_:
            return self.term_names_.index(term)
        if isinstance(term, str):
            key = (schema.index_of(term, context=" (in terms)"),)
        elif np.ndim(term) == 1 and len(term) == 2:
            key = tuple(sorted(schema.index_of(f, context=" (in terms)") for f in term))
        else:
            raise ValueError(f"A term is a position, a term name, a feature or a pair of features; got {term!r}.")
        if key not in self.terms_:
            shown = ", ".join(repr(n) for n in self.term_names_[:10]) + (" ..." if len(self.terms_) > 10 else "")
            raise KeyError(f"{owner} has no term {self._term_name(key)!r}; its terms are {shown}.")
        return self.terms_.index(key)

    def _refresh(self):
        """Recompute what depends on the terms: complexity and importances."""
        self.complexity_ = len(self.terms_)
        self._importances = np.array(
            [np.tensordot(w, np.abs(self._scores3(t)), axes=w.ndim) / w.sum()
             for t, w in enumerate(self._term_weights)]
        ).reshape(len(self.terms_), self._n_scores)  # (n_terms, n_scores)
        self.term_importances_ = self._importances.mean(axis=1)

    def remove_terms(self: EstimatorT, terms: Term | Sequence[Term]) -> EstimatorT:
        """Remove terms from the fitted model, in place.

        A removed term contributes nothing any more: rows are scored as if it were zero,
        its average over the training rows (terms are centred). The intercept is kept.

        Parameters
        ----------
        terms : term or list of terms
            A term is its position in ``terms_``, its name in ``term_names_`` (a pair is
            ``"a × b"``), a feature name, or a tuple of two feature names or indices.
            A list holds several terms.

        Returns
        -------
        self : object

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from glassbox.models import AdditiveRegressor
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> model = AdditiveRegressor(interactions=0, random_state=0).fit(X, y)
        >>> model.remove_terms(["age", "sex"]).term_names_[:2]
        ['bmi', 'bp']
        """
        check_is_fitted(self)
        many = isinstance(terms, (list, np.ndarray))  # a tuple is one pair, a list several terms
        positions = {self._term_index(t) for t in (terms if many else [terms])}
        keep = [t for t in range(len(self.terms_)) if t not in positions]
        for name in ("terms_", "term_names_", "term_scores_", "term_standard_deviations_", "_term_weights"):
            setattr(self, name, [getattr(self, name)[t] for t in keep])
        self._refresh()
        return self

    def set_shape(self: EstimatorT, term: Term, values: ArrayLike) -> EstimatorT:
        """Replace the scores of one term by hand, in place.

        Use it to fix an implausible shape, for example to make a risk flat where the
        data are too thin to be trusted. Every row's prediction changes by exactly the
        new score of its bin minus the old one; nothing else is refitted and the band of
        the term (its standard deviation over the bags) becomes zero.

        Parameters
        ----------
        term : int, str or pair
            As in :meth:`remove_terms`.
        values : array-like
            One score per bin of the term, in the order of ``term_scores_[term]`` (the
            grid of :meth:`shape_functions`, the missing bin last): shape ``(n_bins,)``
            for a feature, ``(n_bins_a, n_bins_b)`` for a pair, with a last axis of
            ``n_classes`` for a multiclass model.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_diabetes
        >>> from glassbox.models import AdditiveRegressor
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> model = AdditiveRegressor(interactions=0, random_state=0).fit(X, y)
        >>> before = model.predict(X)
        >>> sex = model.explain(X, by="term")[:, "sex"].values[:, 0, 0]  # its part in each row
        >>> after = model.set_shape("sex", np.zeros(3)).predict(X)  # 2 values and the missing bin
        >>> bool(np.allclose(after, before - sex))
        True
        """
        check_is_fitted(self)
        t = self._term_index(term)
        values = np.asarray(values, dtype=np.float64)
        expected = np.shape(self.term_scores_[t])
        if values.shape != expected:
            raise ValueError(
                f"The term {self.term_names_[t]!r} has scores of shape {expected}; got values of shape {values.shape}."
            )
        if not np.isfinite(values).all():
            raise ValueError("The scores of a term must be finite.")
        self.term_scores_[t] = values.copy()
        self.term_standard_deviations_[t] = np.zeros_like(values)
        self._refresh()
        return self

    # -- prediction -----------------------------------------------------------------
    def _codes(self, X):
        """Rows encoded with the fitted schema, and their bins."""
        X_encoded = self._encode(X)
        return X_encoded, apply_bins(self.bins_, X_encoded)

    def _contribution(self, t, codes):
        """Scores of term ``t`` for binned rows, shape (n_samples, n_scores)."""
        term = self.terms_[t]
        scores = self._scores3(t)
        if len(term) == 1:
            return scores[codes[:, term[0]]]
        j, k = term
        return scores[self._groups[j][codes[:, j]], self._groups[k][codes[:, k]]]

    def _raw_scores(self, codes):
        """Intercept plus every term, added one term at a time in the order of ``terms_``.

        The exported SQL and Python add the terms in the same order, so they compute
        exactly the same numbers.
        """
        scores = np.tile(self.intercept_, (len(codes), 1))  # (n, n_scores)
        for t in range(len(self.terms_)):
            scores = scores + self._contribution(t, codes)
        return scores

    # -- explanation ----------------------------------------------------------------
    def explain(self, X: ArrayLike | None = None, *, by: Literal["feature", "term"] = "feature") -> Explanation:
        """Explain the model: its term importances, or each term's part in rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), default=None
            Rows to explain. ``None`` gives the global explanation.
        by : {"feature", "term"}, default="feature"
            Columns of a local explanation: one per feature, each pair's score split
            equally between its two features; or one per term (``terms_`` order, a pair
            named ``"a × b"``, its ``data`` the couple of values).

        Returns
        -------
        explanation : Explanation
            Without ``X``: values of shape (n_terms, n_outputs), the mean absolute score
            of each term over the training rows (weighted by ``sample_weight``); the
            shapes themselves are :meth:`shape_functions`. With ``X``: values of shape
            (n_samples, n_features or n_terms, n_outputs) and ``base_values`` the
            intercept, so that ``values.sum(axis=1) + base_values`` is the model's
            score: ``predict`` of the regressor, ``decision_function`` of the classifier
            (the log-odds of ``classes_[1]`` for two classes, one softmax score per
            class for more).
        """
        check_is_fitted(self)
        output_names = self._output_names()
        if X is None:
            return Explanation(
                self._importances,
                feature_names=np.asarray(self.term_names_, dtype=object),
                output_names=output_names,
                method="additive-term-importance",
            )
        if by not in ("feature", "term"):
            raise ValueError(f"by must be 'feature' or 'term'; got {by!r}.")
        X_encoded, codes = self._codes(X)
        n = len(codes)
        base = np.broadcast_to(self.intercept_, (n, self._n_scores))
        schema = self._feature_schema
        if by == "term":
            values = np.zeros((n, len(self.terms_), self._n_scores))
            shown = schema.display(X_encoded)
            data = np.empty((n, len(self.terms_)), dtype=object)
            for t, term in enumerate(self.terms_):
                values[:, t] = self._contribution(t, codes)
                data[:, t] = shown[:, term[0]] if len(term) == 1 else _couples(shown[:, term[0]], shown[:, term[1]])
            return Explanation(
                values, base_values=base, data=data, feature_names=np.asarray(self.term_names_, dtype=object),
                output_names=output_names, method="additive-terms",
            )
        values = np.zeros((n, schema.n_features, self._n_scores))
        for t, term in enumerate(self.terms_):
            contribution = self._contribution(t, codes)
            for j in term:
                values[:, j] += contribution / len(term)
        return self._local_explanation(X_encoded, values, base, output_names, method="additive")

    def shape_functions(self, terms: Sequence[Term] | None = None) -> list[Effect]:
        """The terms as curves and heat maps: one :class:`~glassbox.Effect` per term.

        A feature's Effect has one grid point per bin: the middle of the bin for a
        numeric feature (the score is constant across the bin; the outer bins extend
        beyond the training range), the level for a categorical one, and a last point,
        NaN, for the missing bin. A pair's Effect has the coarser bins of
        ``max_interaction_bins`` on each axis (a categorical axis lists its levels from
        the most to the least frequent, merged levels joined by ``" | "``), the missing
        bin last. ``lower`` and ``upper`` are the score
        minus and plus its standard deviation over the outer bags, ``counts`` the
        training weight in each bin.

        Parameters
        ----------
        terms : list of terms, default=None
            As in :meth:`remove_terms`; all terms by default.

        Returns
        -------
        effects : list of Effect
            In the order of ``terms``, with values of shape (*grid_shape, n_outputs).
        """
        check_is_fitted(self)
        positions = range(len(self.terms_)) if terms is None else [self._term_index(t) for t in terms]
        schema = self._feature_schema
        effects = []
        for t in positions:
            term = self.terms_[t]
            scores = self._scores3(t)
            std = np.asarray(self.term_standard_deviations_[t]).reshape(scores.shape)
            if len(term) == 1:
                grid = (_bin_grid(self.bins_, schema, term[0]),)
            else:
                grid = tuple(self._group_labels[j] for j in term)
            effects.append(Effect(
                feature_names=tuple(str(schema.feature_names[j]) for j in term),
                grid=grid,
                values=scores,
                output_names=self._output_names(),
                method="shape",
                lower=scores - std,
                upper=scores + std,
                counts=self._term_weights[t],
                is_categorical=tuple(bool(schema.is_categorical[j]) for j in term),
            ))
        return effects

    # -- text -----------------------------------------------------------------------
    def to_text(self, *, shapes: bool = False, precision: int = 3) -> str:
        """The model as a table of its terms, and optionally every term's scores.

        Parameters
        ----------
        shapes : bool, default=False
            Also list the score of every bin of every term (runs of bins with the same
            score shown once), and each pair's grid.
        precision : int, default=3
            Significant digits.

        Returns
        -------
        text : str
        """
        check_is_fitted(self)
        return additive_text(self, shapes, precision)

