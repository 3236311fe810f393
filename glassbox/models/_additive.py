"""Boosted additive models: one shape function per feature plus a few pairwise terms.

``AdditiveClassifier`` and ``AdditiveRegressor`` belong to the class of explainable
boosting machines (Lou, Caruana, Gehrke 2012; Lou et al. 2013; Nori et al. 2019): the
model is ``intercept + f_1(x_1) + ... + f_p(x_p) + f_ij(x_i, x_j) + ...`` where every
``f`` is a table of scores over the bins of its feature (or the cells of its pair), learnt
by boosting shallow trees on the binned data with a small learning rate, averaged over
outer bags. Each term is a curve (or a small heat map) a person can read, edit and export.

The numerical work lives in :mod:`._additive_boosting`; this module validates, bins,
draws the bags, ranks and picks the pairs, turns the boosted cells into centred and
purified terms, and explains, prints and exports the model.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import (
    Interval,
    apply_bins,
    bin_labels,
    check_sample_weight,
    check_target,
    chunk_rngs,
    draw_seed,
    fit_bins,
    plain,
    run_chunks,
    validate_params,
    validate_X,
)
from ..explanation import Effect, Explanation
from ._additive_boosting import BoostingProblem, boost_bags, one_hot, quadrant_count_valid, quadrant_split
from ._conditions import PYTHON_PRELUDE, logistic_select_sql, python_literal, sql_identifier, sql_literal, sql_table

__all__ = ["AdditiveClassifier", "AdditiveRegressor"]

_TIMES = "\u00d7"  # the "a × b" of a pair's name
_PAIR_CELLS_PER_CHUNK = 2**22  # rows x pairs per chunk of the pair ranking
_PURIFY_MAX_ITER = 500


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
        codes = apply_bins(self.bins_, X_encoded)  # (n, p), missing bin last per feature
        bin_weight = [np.bincount(codes[:, j], weights=weight, minlength=self.bins_.n_bins[j])
                      for j in range(n_features)]
        init = _initial_scores(loss, y, weight, n_scores)  # (n_scores,)
        bags = _draw_bags(self.outer_bags, seed, y if loss != "squared" else None, weight, self.validation_fraction)
        bags.chunks = np.array_split(np.arange(self.outer_bags), min(self.outer_bags, _n_workers(self.n_jobs)))

        # Stage 1: the main terms. Stage 2: the pairs, ranked on the residual of the
        # averaged main terms and boosted on each bag's own.
        main_scores, intercepts, bag_scores, main_rounds = self._boost_main_terms(
            codes, y, loss, n_scores, init, bags, monotone)
        groups = _interaction_groups(self.bins_, schema, bin_weight, main_scores, self.max_interaction_bins)
        pairs = self._choose_pairs(schema, groups, codes, y, weight, loss, bag_scores.mean(axis=1), monotone, bin_weight)
        pair_tables, pair_rounds = [], np.zeros(self.outer_bags, dtype=np.intp)
        if pairs:
            pair_tables, pair_intercepts, pair_rounds = self._boost_pairs(
                pairs, groups, codes, y, loss, n_scores, bag_scores, bags)
            intercepts = intercepts + pair_intercepts

        # Centre and purify every bag, then average the bags.
        pair_weight = [_pair_weight(codes, groups, j, k, weight) for j, k in pairs]
        intercepts = _purify_and_centre(main_scores, pair_tables, intercepts, pairs, groups, bin_weight, pair_weight,
                                        schema.is_categorical)
        self._n_scores = n_scores
        self._groups = groups
        self._group_labels = [_group_labels(self.bins_, schema, j, groups[j]) for j in range(n_features)]
        self.n_rounds_ = np.stack([main_rounds, pair_rounds], axis=1)
        self._set_terms(intercepts, main_scores, bin_weight, pairs, pair_tables, pair_weight)
        return self

    def _boost_main_terms(self, codes, y, loss, n_scores, init, bags, monotone):
        """Boost the main terms of every bag.

        Returns each feature's scores (K, n_bins, C), the bags' intercepts (K, C), every
        bag's scores of the rows (n, K, C) and the rounds each bag ran.
        """
        layout = _MainLayout(self.bins_, self._feature_schema.is_categorical)
        problem = self._problem(layout.design(codes), "main", layout.n_terms, layout.width, y, loss, n_scores,
                                n_numeric=layout.n_numeric, value_widths=layout.value_widths,
                                monotone=monotone[layout.order])
        offsets = np.broadcast_to(init, (len(codes), self.outer_bags, n_scores))
        cells, rounds = _run_bags(problem, offsets, bags, self.n_jobs, stage=0)  # (K, n_cells + 1, C)
        return layout.scores(cells), init + cells[:, -1, :], _bag_scores(problem.design, cells, init), rounds

    def _boost_pairs(self, pairs, groups, codes, y, loss, n_scores, bag_scores, bags):
        """Boost the pairs of every bag on top of its main terms.

        Returns each pair's table (K, Ga, Gb, C), the intercepts' change (K, C) and the
        rounds each bag ran.
        """
        layout = _PairLayout(pairs, groups)
        problem = self._problem(layout.design(codes), "pair", len(pairs), layout.width, y, loss, n_scores)
        cells, rounds = _run_bags(problem, bag_scores, bags, self.n_jobs, stage=1)
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

    def _problem(self, design, kind, n_terms, width, y, loss, n_scores, n_numeric=0, value_widths=(0, 0),
                 monotone=None):
        return BoostingProblem(
            design=design, kind=kind, n_terms=n_terms, width=width, n_numeric=n_numeric, value_widths=value_widths,
            monotone=np.zeros(n_terms) if monotone is None else monotone, y=y, loss=loss, n_scores=n_scores,
            learning_rate=float(self.learning_rate), max_rounds=int(self.max_rounds),
            smoothing_rounds=int(self.smoothing_rounds), n_iter_no_change=int(self.n_iter_no_change),
            tol=float(self.tol), min_samples_leaf=int(self.min_samples_leaf),
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

    def _choose_pairs(self, schema, groups, codes, y, weight, loss, scores, monotone, bin_weight):
        """The pairs to boost: given by the user, or the best ``interactions`` by FAST."""
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
        strength = _rank_pairs(candidates, groups, codes, y, weight, loss, scores, self.min_samples_leaf)
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

    def remove_terms(self, terms):
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

    def set_shape(self, term, values):
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
    def explain(self, X=None, *, by="feature"):
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

    def shape_functions(self, terms=None):
        """The terms as curves and heat maps: one :class:`~glassbox.Effect` per term.

        A feature's Effect has one grid point per bin: the middle of the bin for a
        numeric feature (the score is constant across the bin; the outer bins extend
        beyond the training range), the level for a categorical one, and a last point,
        NaN, for the missing bin. A pair's Effect has the coarser bins of
        ``max_interaction_bins`` on each axis (a categorical axis lists its levels in the
        order of their main score, merged levels joined by ``" | "``), the missing bin
        last. ``lower`` and ``upper`` are the score
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
    def to_text(self, *, shapes=False, precision=3):
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
        outputs = self._output_names()
        lines = [self._equation_text(precision), ""]
        name_width = max([len("term"), *map(len, self.term_names_)])
        if self._n_scores == 1:
            header = f"{'term':<{name_width}}  {'importance':>10}  {'min':>9}  {'max':>9}"
            lines.append(header)
            for t, name in enumerate(self.term_names_):
                scores = self._scores3(t)[..., 0]
                seen = self._term_weights[t] > 0
                low, high = (scores[seen].min(), scores[seen].max()) if seen.any() else (0.0, 0.0)
                lines.append(f"{name:<{name_width}}  {_fmt(self._importances[t, 0], precision):>10}  "
                             f"{_fmt(low, precision):>9}  {_fmt(high, precision):>9}")
        else:
            labels = [str(o)[:10] for o in outputs]
            lines.append(f"{'term':<{name_width}}  " + "  ".join(f"{label:>10}" for label in labels))
            lines.append(f"{'':<{name_width}}  (importance for each class)")
            for t, name in enumerate(self.term_names_):
                row = "  ".join(f"{_fmt(v, precision):>10}" for v in self._importances[t])
                lines.append(f"{name:<{name_width}}  {row}")
        if shapes:
            for t in range(len(self.terms_)):
                lines += ["", *self._shape_text(t, precision)]
        return "\n".join(lines)

    def _equation_text(self, precision):
        n = len(self.terms_)
        total = f"the sum of {n} term{'s' if n != 1 else ''} below"
        if isinstance(self, ClassifierMixin) and self._n_scores == 1:
            return (f"{type(self).__name__}: log-odds of {plain(self.classes_[1])!r} = "
                    f"{_fmt(self.intercept_[0], precision)} + {total}")
        if isinstance(self, ClassifierMixin):
            intercepts = ", ".join(f"{plain(c)!r}: {_fmt(v, precision)}" for c, v in zip(self.classes_, self.intercept_))
            return (f"{type(self).__name__}: score(class) = intercept(class) + {total}; p(class) = softmax of "
                    f"the scores\nintercepts: {intercepts}")
        return f"{type(self).__name__}: prediction = {_fmt(self.intercept_[0], precision)} + {total}"

    def _shape_text(self, t, precision):
        term = self.terms_[t]
        scores = self._scores3(t)
        title = f"{self.term_names_[t]} (importance {_fmt(self.term_importances_[t], precision)})"
        if len(term) == 1:
            j = term[0]
            labels = bin_labels(self.bins_, self._feature_schema, j)
            shown = [" ".join(f"{_fmt(v, precision):>9}" for v in scores[b]) for b in range(len(labels))]
            rows = []  # (label, text), runs of numeric bins showing the same score merged
            for b, (label, text) in enumerate(zip(labels, shown)):
                mergeable = not self._feature_schema.is_categorical[j] and 0 < b < len(labels) - 1
                if mergeable and rows and rows[-1][1] == text:
                    rows[-1] = (_merge_labels(rows[-1][0], label), text)
                else:
                    rows.append((label, text))
            width = max(len(label) for label, _ in rows)
            return [title] + [f"  {label:<{width}}  {text}" for label, text in rows]
        j, k = term
        rows_labels = [_short(v) for v in self._group_labels[j]]
        cols_labels = [_short(v) for v in self._group_labels[k]]
        names = self._feature_schema.feature_names
        lines = [title, f"  rows: {names[j]}, columns: {names[k]}"]
        for c in range(self._n_scores):
            if self._n_scores > 1:
                lines.append(f"  class {plain(self.classes_[c])!r}")
            width = max(map(len, rows_labels))
            lines.append("  " + " " * width + "  " + "  ".join(f"{label:>9}" for label in cols_labels))
            for r, label in enumerate(rows_labels):
                lines.append(f"  {label:<{width}}  " + "  ".join(f"{_fmt(v, precision):>9}" for v in scores[r, :, c]))
        return lines

    # -- export ---------------------------------------------------------------------
    def _sql_score(self, c):
        """SQL expression of score ``c``: the intercept plus one CASE per term."""
        parts = [sql_literal(float(self.intercept_[c]))]
        for t, term in enumerate(self.terms_):
            scores = self._scores3(t)[..., c]
            if len(term) == 1:
                parts.append(self._sql_case(term[0], np.arange(len(scores)), [sql_literal(float(v)) for v in scores]))
            else:
                j, k = term
                inner = [self._sql_case(k, self._groups[k], [sql_literal(float(v)) for v in row]) for row in scores]
                parts.append(self._sql_case(j, self._groups[j], inner))
        return "\n    + ".join(parts)

    def _sql_case(self, j, slot_of_bin, slot_sql):
        """A CASE expression giving ``slot_sql[slot]`` for the slot the bin of feature ``j`` maps to."""
        schema = self._feature_schema
        if len({slot_sql[slot] for slot in slot_of_bin}) == 1:  # the same value in every bin
            return slot_sql[slot_of_bin[0]]
        column = sql_identifier(schema.feature_names[j])
        missing = slot_sql[slot_of_bin[-1]]
        whens = [f"WHEN {column} IS NULL THEN {missing}"]
        if schema.is_categorical[j]:
            levels = schema.categories[j]
            by_slot = {}
            for b, level in enumerate(levels):
                by_slot.setdefault(slot_of_bin[b], []).append(sql_literal(plain(level)))
            for slot, literals in by_slot.items():
                test = f"{column} = {literals[0]}" if len(literals) == 1 else f"{column} IN ({', '.join(literals)})"
                whens.append(f"WHEN {test} THEN {slot_sql[slot]}")
        else:
            # Bin b holds thresholds[b - 1] < x <= thresholds[b]; a threshold between two
            # bins with the same expression is left out, the next one decides.
            value_sql = [slot_sql[slot] for slot in slot_of_bin[:-1]]
            for b, threshold in enumerate(self.bins_.thresholds[j]):
                if value_sql[b] != value_sql[b + 1]:
                    whens.append(f"WHEN {column} <= {sql_literal(float(threshold))} THEN {value_sql[b]}")
            return "(CASE " + " ".join(whens) + f" ELSE {value_sql[-1]} END)"
        return "(CASE " + " ".join(whens) + f" ELSE {missing} END)"

    def _python_model(self):
        """Python source of the binning of each used feature and of the term tables."""
        schema = self._feature_schema
        used = sorted({j for term in self.terms_ for j in term})
        lines = ["# How a value finds its bin: numeric features by their thresholds (a bin holds",
                 "# the values up to its threshold), categorical ones by level; the missing bin",
                 "# (missing values and unseen categories) comes last.",
                 "BINS = {"]
        for j in used:
            name = python_literal(str(schema.feature_names[j]))
            if schema.is_categorical[j]:
                mapping = ", ".join(f"{python_literal(plain(level))}: {b}" for b, level in enumerate(schema.categories[j]))
                lines.append(f"    {name}: ('categorical', {{{mapping}}}, {int(self.bins_.n_bins[j]) - 1}),")
            else:
                thresholds = ", ".join(python_literal(float(v)) for v in self.bins_.thresholds[j])
                lines.append(f"    {name}: ('numeric', [{thresholds}], {int(self.bins_.n_bins[j]) - 1}),")
        lines += ["}", "", "# Terms in order: (features, group of each bin per feature, scores).", "TERMS = ["]
        for t, term in enumerate(self.terms_):
            names = python_literal(tuple(str(schema.feature_names[j]) for j in term))
            scores = self._public(self._scores3(t))
            if len(term) == 1:
                groups = "None"
            else:
                groups = "(" + ", ".join(python_literal([int(g) for g in self._groups[j]]) for j in term) + ")"
            lines.append(f"    ({names}, {groups}, {_python_array(scores)}),")
        lines += ["]", ""]
        return lines

    _PYTHON_FUNCTIONS = '''

def _bin(row, name):
    kind, table, missing_bin = BINS[name]
    value = row[name]
    if _missing(value):
        return missing_bin
    if kind == "numeric":
        return bisect.bisect_left(table, value)
    return table.get(value, missing_bin)


def _term_scores(row):
    """The scores of every term for one row, in the order of TERMS."""
    for names, groups, scores in TERMS:
        if groups is None:
            yield scores[_bin(row, names[0])]
        else:
            yield scores[groups[0][_bin(row, names[0])]][groups[1][_bin(row, names[1])]]
'''

    def _python_header(self, imports):
        return [f'"""{type(self).__name__} exported from glassbox: plain Python, no dependencies."""',
                "", *(f"import {name}" for name in imports), "", "", PYTHON_PRELUDE, ""]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags


class AdditiveClassifier(_AdditiveModel, ClassifierMixin, BaseEstimator):
    """Boosted additive classifier: a readable shape function per feature, a few pairs.

    The log-odds (two classes) or each class's softmax score (more classes) is
    ``intercept + sum of f_j(x_j) + sum of f_jk(x_j, x_k)``: every ``f`` is a table of
    scores over the bins of its feature, or over a grid of coarser bins for a pair. The
    tables are learnt by boosting: in each round every term takes a small step
    (``learning_rate``) of a shallow tree fitted by Newton's method to the gradient of
    the log-loss: a stump on its feature's ordered bins, or for a pair a split of its grid
    along one axis and of each half along the other. The first ``smoothing_rounds``
    rounds split at random points, which gives smooth shapes; later rounds split where
    the gain is largest. Each of ``outer_bags`` bags holds out ``validation_fraction``
    of the rows and stops when their loss has not improved by ``tol`` for
    ``n_iter_no_change`` rounds; the model averages the bags, whose spread gives every
    score a standard deviation.

    Main terms are boosted first; the ``interactions`` pairs are then chosen by how much
    a four-quadrant split of each pair's grid lowers the loss of the main-term model
    (the FAST ranking of Lou et al. 2013), and boosted on its residual. Terms are
    centred (zero mean over the training rows) and pairs purified (zero mean along
    each of their axes, their marginal moved into the main terms), so a term's scores
    read as its own effect.

    Numeric features are cut into at most ``max_bins`` quantile bins; a categorical
    column (pandas category, object or string) gets one bin per level and is never
    treated as a number; missing values have a bin of their own in every feature, which
    also takes the categories ``fit`` never saw. Values beyond the training range fall in
    the outer bins, so each shape extends flat beyond the data.

    Parameters
    ----------
    max_bins : int, default=256
        Most bins of a numeric feature's shape (the missing bin comes on top).
    max_interaction_bins : int, default=32
        Most bins per axis of a pair's grid, merged from the main bins (numeric:
        consecutive bins of about equal weight; categorical: levels in the order of
        their main score).
    interactions : int or list of pairs, default=10
        Number of pairs to add, chosen by the FAST ranking (all pairs when there are
        fewer; pairs with a monotone feature and constant features are never chosen),
        or the pairs themselves as couples of feature names or indices.
    outer_bags : int, default=8
        Bags, each with its own validation rows; more bags give smoother shapes and
        steadier standard deviations.
    learning_rate : float, default=0.1
        Shrinkage of every tree.
    max_rounds : int, default=5000
        Most boosting rounds of each stage (main terms, then pairs).
    smoothing_rounds : int, default=200
        First rounds of each stage whose splits are drawn at random among the valid ones.
    validation_fraction : float, default=0.15
        Share of the rows each bag holds out (stratified by class) to stop on.
    n_iter_no_change : int, default=20
        Rounds without an improvement of the validation loss before a bag stops.
    tol : float, default=1e-4
        Improvement of the validation loss that counts, relative to its value at the
        start of the stage.
    min_samples_leaf : int, default=4
        Fewest training rows in each leaf of a tree.
    monotone_constraints : array-like of shape (n_features,) or dict, default=None
        +1 (non-decreasing), -1 (non-increasing) or 0 per numeric feature, or a dict
        from feature name to direction. Every stump of a constrained feature respects
        it, so its shape does too (the missing bin is free).
    n_jobs : int, default=None
        Bags boosted in parallel (joblib). The model does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Draws the bags and the smoothing splits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The score when every term is at its average.
    terms_ : list of tuple of int
        Each term's features: ``(j,)`` for a main term, ``(j, k)`` for a pair. A
        feature whose shape is zero everywhere (a constant column) has no term.
    term_names_ : list of str
        Feature names, and ``"a × b"`` for pairs.
    term_scores_ : list of ndarray
        Scores of each term: shape (n_bins,) for a feature (bins as in ``bins_``, the
        missing bin last), (n_groups_a, n_groups_b) for a pair; a last axis of
        n_classes for more than two classes.
    term_standard_deviations_ : list of ndarray
        Standard deviation of each score over the outer bags.
    term_importances_ : ndarray of shape (n_terms,)
        Mean absolute score of each term over the training rows (averaged over classes).
    bins_ : Bins
        Thresholds of the numeric features' bins.
    n_rounds_ : ndarray of shape (outer_bags, 2)
        Rounds each bag ran for the main terms and for the pairs.
    complexity_ : int
        Number of terms.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    AdditiveRegressor : The same model for a numeric target.
    glassbox.models.SparseLinearClassifier : Straight lines instead of shapes.

    Notes
    -----
    Every round updates all terms from one set of histograms, built for all terms,
    bags and classes by one sparse product; no Python loop runs over rows. A multiclass
    model has one shape per class (softmax boosting); its scores are defined up to a
    constant per bin shared by the classes.

    References
    ----------
    Lou, Caruana, Gehrke (2012). Intelligible models for classification and regression. KDD.
    Lou, Caruana, Gehrke, Hooker (2013). Accurate intelligible models with pairwise interactions. KDD.
    Nori, Jenkins, Koch, Caruana (2019). InterpretML: a unified framework for machine learning
    interpretability. arXiv:1909.09223.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import AdditiveClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = AdditiveClassifier(interactions=2, random_state=0).fit(X.iloc[::2], y.iloc[::2])
    >>> model.complexity_
    32
    >>> round(model.score(X.iloc[1::2], y.iloc[1::2]), 2)
    0.96
    >>> exp = model.explain(X.iloc[:3])
    >>> bool(abs(exp.output()[:, 0] - model.decision_function(X.iloc[:3])).max() < 1e-10)
    True
    """

    def __init__(
        self,
        *,
        max_bins=256,
        max_interaction_bins=32,
        interactions=10,
        outer_bags=8,
        learning_rate=0.1,
        max_rounds=5000,
        smoothing_rounds=200,
        validation_fraction=0.15,
        n_iter_no_change=20,
        tol=1e-4,
        min_samples_leaf=4,
        monotone_constraints=None,
        n_jobs=None,
        random_state=None,
    ):
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.outer_bags = outer_bags
        self.learning_rate = learning_rate
        self.max_rounds = max_rounds
        self.smoothing_rounds = smoothing_rounds
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.min_samples_leaf = min_samples_leaf
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical and missing values are accepted.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Rows of zero weight are left out entirely.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, "classification")

    def _output_names(self):
        return np.asarray(self.classes_[1:] if len(self.classes_) == 2 else self.classes_, dtype=object)

    def decision_function(self, X):
        """Scores: the log-odds of ``classes_[1]``, or one softmax score per class.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        _, codes = self._codes(X)
        scores = self._raw_scores(codes)
        return scores[:, 0] if self._n_scores == 1 else scores

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=-1)

    def predict(self, X):
        """The most probable class of each row."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def to_sql(self, table="data"):
        """A SQL query computing the class probabilities and the predicted class.

        Each term is one ``CASE`` expression over its feature's bins (pairs: a ``CASE``
        per row of their grid); a missing value is ``NULL`` and so is its bin, which
        also takes categories the model never saw. The query selects one column
        ``proba_<class>`` per class (in the order of ``classes_``) and ``prediction``,
        one row per row of ``table``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        n_scores = len(self.classes_) if len(self.classes_) > 2 else 1  # binary: the log-odds of classes_[1]
        return logistic_select_sql([self._sql_score(k) for k in range(n_scores)], self.classes_, table)

    def to_python(self):
        """Source of a Python module predicting one row, with no dependency on glassbox.

        The module defines ``CLASSES``, ``decision_function(row)`` (the log-odds of
        ``CLASSES[1]``, or a list of class scores), ``predict_proba(row)`` (a list in
        the order of ``CLASSES``) and ``predict(row)``, where ``row`` maps column names
        to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        classes = "[" + ", ".join(python_literal(plain(c)) for c in self.classes_) + "]"
        lines = self._python_header(["bisect", "math"]) + [f"CLASSES = {classes}"]
        if self._n_scores == 1:
            lines.append(f"INTERCEPT = {python_literal(float(self.intercept_[0]))}")
        else:
            lines.append(f"INTERCEPT = {_python_array(self.intercept_)}")
        lines += ["", *self._python_model()]
        source = "\n".join(lines) + self._PYTHON_FUNCTIONS
        if self._n_scores == 1:
            source += '''

def decision_function(row):
    """Log-odds of CLASSES[1]."""
    score = INTERCEPT
    for value in _term_scores(row):
        score = score + value
    return score


def predict_proba(row):
    """Probabilities of CLASSES."""
    p = 1.0 / (1.0 + math.exp(-decision_function(row)))
    return [1.0 - p, p]


def predict(row):
    """The predicted class."""
    return CLASSES[1] if decision_function(row) > 0 else CLASSES[0]
'''
        else:
            source += '''

def decision_function(row):
    """One score per class of CLASSES."""
    scores = list(INTERCEPT)
    for values in _term_scores(row):
        scores = [s + v for s, v in zip(scores, values)]
    return scores


def predict_proba(row):
    """Probabilities of CLASSES."""
    scores = decision_function(row)
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def predict(row):
    """The predicted class."""
    scores = decision_function(row)
    return CLASSES[max(range(len(scores)), key=scores.__getitem__)]
'''
        return source


class AdditiveRegressor(_AdditiveModel, RegressorMixin, BaseEstimator):
    """Boosted additive regressor: a readable shape function per feature, a few pairs.

    The prediction is ``intercept + sum of f_j(x_j) + sum of f_jk(x_j, x_k)``: every
    ``f`` is a table of scores over the bins of its feature, or over a grid of coarser
    bins for a pair, learnt by boosting shallow trees on the squared error. See
    :class:`AdditiveClassifier` for how the terms are boosted, chosen, centred and
    purified, and how categories, missing values and values beyond the training range
    are handled.

    Parameters
    ----------
    max_bins : int, default=256
        Most bins of a numeric feature's shape (the missing bin comes on top).
    max_interaction_bins : int, default=32
        Most bins per axis of a pair's grid.
    interactions : int or list of pairs, default=10
        Number of pairs to add, chosen by the FAST ranking (all pairs when there are
        fewer), or the pairs themselves as couples of feature names or indices.
    outer_bags : int, default=8
        Bags, each with its own validation rows.
    learning_rate : float, default=0.1
        Shrinkage of every tree.
    max_rounds : int, default=5000
        Most boosting rounds of each stage.
    smoothing_rounds : int, default=500
        First rounds of each stage whose splits are drawn at random.
    validation_fraction : float, default=0.15
        Share of the rows each bag holds out to stop on.
    n_iter_no_change : int, default=20
        Rounds without an improvement of the validation loss before a bag stops.
    tol : float, default=1e-4
        Improvement of the validation loss that counts, relative to its value at the
        start of the stage.
    min_samples_leaf : int, default=4
        Fewest training rows in each leaf of a tree.
    monotone_constraints : array-like of shape (n_features,) or dict, default=None
        +1, -1 or 0 per numeric feature, or a dict from feature name to direction.
    n_jobs : int, default=None
        Bags boosted in parallel (joblib). The model does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Draws the bags and the smoothing splits.

    Attributes
    ----------
    intercept_ : ndarray of shape (1,)
        The prediction when every term is at its average.
    terms_ : list of tuple of int
    term_names_ : list of str
    term_scores_ : list of ndarray
        Shape (n_bins,) for a feature, (n_groups_a, n_groups_b) for a pair.
    term_standard_deviations_ : list of ndarray
    term_importances_ : ndarray of shape (n_terms,)
    bins_ : Bins
    n_rounds_ : ndarray of shape (outer_bags, 2)
    complexity_ : int
        Number of terms.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    AdditiveClassifier : The same model for classes, with the full description.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import AdditiveRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = AdditiveRegressor(interactions=0, random_state=0).fit(X, y)
    >>> model.term_names_[:3]
    ['age', 'sex', 'bmi']
    >>> exp = model.explain(X.iloc[:5])
    >>> bool(abs(exp.output()[:, 0] - model.predict(X.iloc[:5])).max() < 1e-10)
    True
    """

    def __init__(
        self,
        *,
        max_bins=256,
        max_interaction_bins=32,
        interactions=10,
        outer_bags=8,
        learning_rate=0.1,
        max_rounds=5000,
        smoothing_rounds=500,
        validation_fraction=0.15,
        n_iter_no_change=20,
        tol=1e-4,
        min_samples_leaf=4,
        monotone_constraints=None,
        n_jobs=None,
        random_state=None,
    ):
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.interactions = interactions
        self.outer_bags = outer_bags
        self.learning_rate = learning_rate
        self.max_rounds = max_rounds
        self.smoothing_rounds = smoothing_rounds
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.min_samples_leaf = min_samples_leaf
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, categorical and missing values are accepted.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Rows of zero weight are left out entirely.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, "regression")

    def _output_names(self):
        return np.asarray(["prediction"], dtype=object)

    def predict(self, X):
        """The prediction of each row, shape (n_samples,)."""
        _, codes = self._codes(X)
        return self._raw_scores(codes)[:, 0]

    def to_sql(self, table="data"):
        """A SQL query computing ``prediction`` for every row of ``table``.

        Each term is one ``CASE`` expression over its feature's bins; a missing value is
        ``NULL``.

        Parameters
        ----------
        table : str, default="data"
            Name of the table holding the columns of ``X``.

        Returns
        -------
        sql : str
        """
        check_is_fitted(self)
        return f"SELECT\n  {self._sql_score(0)} AS {sql_identifier('prediction')}\nFROM {sql_table(table)}"

    def to_python(self):
        """Source of a Python module with ``predict(row)``, with no dependency on glassbox.

        ``row`` maps column names to values; None or NaN is missing.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        lines = self._python_header(["bisect"]) + [f"INTERCEPT = {python_literal(float(self.intercept_[0]))}", ""]
        lines += self._python_model()
        return "\n".join(lines) + self._PYTHON_FUNCTIONS + '''

def predict(row):
    """The prediction for one row."""
    score = INTERCEPT
    for value in _term_scores(row):
        score = score + value
    return score
'''


# -- fitting helpers ------------------------------------------------------------------
def _n_workers(n_jobs):
    return 1 if n_jobs is None else max(1, effective_n_jobs(n_jobs))


def _initial_scores(loss, y, weight, n_scores):
    """The constant model: mean, log-odds or centred log-priors, shape (n_scores,)."""
    if loss == "squared":
        return np.array([np.average(y, weights=weight)])
    prior = np.bincount(y, weights=weight, minlength=max(n_scores, 2)) / weight.sum()
    if loss == "binary":
        return np.array([np.log(prior[1]) - np.log(prior[0])])
    log_prior = np.log(prior)
    return log_prior - log_prior.mean()


class _Bags:
    """Training weights and validation rows of every outer bag, and how they are chunked."""

    def __init__(self, train_weight, val_rows, val_weight, seeds):
        self.train_weight = train_weight  # (n, K)
        self.val_rows = val_rows  # list of K index arrays
        self.val_weight = val_weight
        self.seeds = seeds  # (K, 2): the smoothing seeds of the two stages
        self.chunks = [np.arange(len(seeds))]  # bags boosted together, one chunk per worker


def _draw_bags(n_bags, seed, y, weight, fraction):
    """Hold out ``fraction`` of the rows in every bag (stratified by class when ``y``)."""
    n = len(weight)
    strata = [np.arange(n)] if y is None else [np.flatnonzero(y == c) for c in np.unique(y)]
    train_weight = np.empty((n, n_bags))
    val_rows, val_weight, seeds = [], [], []
    for bag, rng in enumerate(chunk_rngs(seed, n_bags)):
        held = []
        for rows in strata:
            size = int(round(fraction * len(rows)))
            if len(rows) > 1 and size >= 1:
                held.append(rng.choice(rows, size=min(size, len(rows) - 1), replace=False))
        held = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.intp)
        train_weight[:, bag] = weight
        train_weight[held, bag] = 0.0
        val_rows.append(held)
        val_weight.append(weight[held])
        seeds.append(rng.integers(np.iinfo(np.int64).max, size=2))
    return _Bags(train_weight, val_rows, val_weight, np.array(seeds))


def _boost_chunk(problem, offsets, train_weight, val_rows, val_weight, seeds):
    rngs = [np.random.default_rng(s) for s in seeds]
    return boost_bags(problem, offsets, train_weight, val_rows, val_weight, rngs)


def _run_bags(problem, offsets, bags, n_jobs, *, stage):
    """Boost every bag, chunk by chunk; returns cells (K, n_cells + 1, C) and rounds (K,)."""
    args = [
        (problem, np.ascontiguousarray(offsets[:, chunk]), bags.train_weight[:, chunk],
         [bags.val_rows[b] for b in chunk], [bags.val_weight[b] for b in chunk], bags.seeds[chunk, stage])
        for chunk in bags.chunks
    ]
    results = run_chunks(_boost_chunk, args, n_jobs=n_jobs)
    return np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results])


def _bag_scores(design, cells, init):
    """Each bag's scores of every row from its cells, shape (n, K, C)."""
    K, n_cells, C = cells.shape
    columns = cells.transpose(1, 0, 2).reshape(n_cells, K * C)  # (cells, bag-major columns)
    scores = design @ columns  # the intercept cell is in the design
    return scores.reshape(-1, K, C) + init


class _MainLayout:
    """Cells of the main terms: every feature padded to ``width`` bins, missing bin last.

    Numeric features come first (``order``), so that the engine sorts only the
    categorical ones.
    """

    def __init__(self, bins, is_categorical):
        self.n_bins = np.asarray(bins.n_bins)
        self.order = np.argsort(is_categorical, kind="stable")  # numeric features first
        self.n_terms = len(self.order)
        self.n_numeric = int((~np.asarray(is_categorical)).sum())
        self.width = int(self.n_bins.max())
        value_bins = self.n_bins - 1
        is_categorical = np.asarray(is_categorical, dtype=bool)
        self.value_widths = (int(value_bins[~is_categorical].max(initial=0)),
                             int(value_bins[is_categorical].max(initial=0)))

    def design(self, codes):
        padded = codes[:, self.order].astype(np.int32)  # (n, p) in engine order
        missing = padded == (self.n_bins[self.order] - 1)[None, :]
        padded[missing] = self.width - 1
        return one_hot(padded, np.full(self.n_terms, self.width))

    def scores(self, cells):
        """Per feature (original order): scores of shape (K, n_bins, C), missing bin last."""
        K, _, C = cells.shape
        padded = cells[:, :-1].reshape(K, self.n_terms, self.width, C)
        out = [None] * self.n_terms
        for t, j in enumerate(self.order):
            nb = self.n_bins[j]
            out[j] = np.concatenate([padded[:, t, : nb - 1], padded[:, t, -1:]], axis=1)
        return out


class _PairLayout:
    """Cells of the pair terms: every pair's grid padded to ``width x width``, missing last."""

    def __init__(self, pairs, groups):
        self.pairs = pairs
        self.n_groups = {j: int(groups[j].max()) + 1 for pair in pairs for j in pair}
        self.groups = groups
        self.width = max(self.n_groups.values())

    def _padded(self, j, codes_j):
        g = self.groups[j][codes_j]
        return np.where(g == self.n_groups[j] - 1, self.width - 1, g)

    def design(self, codes):
        cell = np.column_stack([self._padded(j, codes[:, j]) * self.width + self._padded(k, codes[:, k])
                                for j, k in self.pairs]).astype(np.int32)
        return one_hot(cell, np.full(len(self.pairs), self.width**2))

    def tables(self, cells):
        """Per pair: scores of shape (K, Ga, Gb, C) over its groups, missing groups last."""
        K, _, C = cells.shape
        W = self.width
        padded = cells[:, :-1].reshape(K, len(self.pairs), W, W, C)
        out = []
        for q, (j, k) in enumerate(self.pairs):
            rows = np.r_[: self.n_groups[j] - 1, W - 1]
            cols = np.r_[: self.n_groups[k] - 1, W - 1]
            out.append(padded[:, q][:, rows][:, :, cols])
        return out


def _interaction_groups(bins, schema, bin_weight, main_scores, max_groups):
    """Map every main bin of every feature to a bin of its pairs' grids.

    Numeric features: consecutive value bins merged into at most ``max_groups`` of
    about equal weight. Categorical features: levels ordered by their main score (for
    several classes, the class along which the score varies most), merged the same way
    when there are too many. The missing bin is always the last group.
    """
    groups = []
    for j in range(len(bin_weight)):
        w = bin_weight[j][:-1]
        n_values = len(w)
        if schema.is_categorical[j]:
            scores = main_scores[j].mean(axis=0)[:-1]  # (levels, C)
            share = w / w.sum() if w.sum() > 0 else np.full(n_values, 1.0 / max(n_values, 1))
            spread = share @ (scores - share @ scores) ** 2  # weighted variance per class, (C,)
            key = np.where(w > 0, scores[:, np.argmax(spread)], np.inf)
            order = np.argsort(key, kind="stable")
        else:
            order = np.arange(n_values)
        rank = np.empty(n_values, dtype=np.intp)
        rank[order] = np.arange(n_values)
        if n_values > max_groups:
            ordered = w[order]
            total = ordered.sum()
            middle = (np.cumsum(ordered) - ordered / 2) / (total if total > 0 else 1.0)
            _, group_of_rank = np.unique(np.minimum((middle * max_groups).astype(np.intp), max_groups - 1),
                                         return_inverse=True)
            value_groups = group_of_rank[rank]
        else:
            value_groups = rank
        n_groups = int(value_groups.max()) + 1 if n_values else 0
        groups.append(np.concatenate([value_groups, [n_groups]]).astype(np.intp))
    return groups


def _rank_pairs(candidates, groups, codes, y, weight, loss, scores, min_samples_leaf):
    """FAST strength of every candidate pair on the residual of ``scores`` (n, C).

    For each pair, the best cut of its grid into four quadrants, scored by the Newton
    gain of the gradients and hessians of the loss; all pairs of a chunk at once.
    """
    n, C = scores.shape
    if loss == "squared":
        g, h = scores - y[:, None], np.ones((n, 1))
    elif loss == "binary":
        p = expit(scores)
        g, h = p - y[:, None], p * (1 - p)
    else:
        p = softmax(scores, axis=-1)
        g = p.copy()
        g[np.arange(n), y] -= 1.0
        h = p * (1 - p)
    stats = np.column_stack([g * weight[:, None], h * weight[:, None], np.ones(n)])  # (n, 2C + 1)
    width = max(int(groups[j].max()) + 1 for pair in candidates for j in pair)
    padded = {}
    strength = np.empty(len(candidates))
    per_chunk = max(1, _PAIR_CELLS_PER_CHUNK // max(n, 1))
    for start in range(0, len(candidates), per_chunk):
        chunk = candidates[start:start + per_chunk]
        for j in {f for pair in chunk for f in pair} - padded.keys():
            g_j = groups[j][codes[:, j]]
            padded[j] = np.where(g_j == groups[j].max(), width - 1, g_j)
        cell = np.column_stack([padded[j] * width + padded[k] for j, k in chunk]).astype(np.int32)
        design = one_hot(cell, np.full(len(chunk), width * width))
        hist = (design.T @ stats)[:-1].reshape(len(chunk), width, width, 2 * C + 1)
        G, H = hist[..., :C], hist[..., C:2 * C]
        count_valid = quadrant_count_valid(hist[..., 2 * C:], min_samples_leaf)  # (pairs, w, w, 1)
        gain, _ = quadrant_split(G, H, np.broadcast_to(count_valid, G.shape))  # (pairs, C)
        found = np.isfinite(gain)
        strength[start:start + len(chunk)] = np.where(found.any(axis=1), np.where(found, gain, 0.0).sum(axis=1), -np.inf)
    return strength


def _pair_weight(codes, groups, j, k, weight):
    """Training weight in every cell of the grid of pair (j, k), shape (Ga, Gb)."""
    Ga, Gb = int(groups[j].max()) + 1, int(groups[k].max()) + 1
    cell = groups[j][codes[:, j]] * Gb + groups[k][codes[:, k]]
    return np.bincount(cell, weights=weight, minlength=Ga * Gb).reshape(Ga, Gb)


def _purify_and_centre(main_scores, pair_tables, intercepts, pairs, groups, bin_weight, pair_weight, is_categorical):
    """Purify every bag's pairs into its main terms, centre the terms, return intercepts.

    Works in place on ``main_scores`` (K, n_bins, C) and ``pair_tables`` (K, Ga, Gb, C).
    Moving a pair's weighted mean along an axis into the main term of that axis leaves
    every prediction on the training rows unchanged; so does moving a term's mean into
    the intercept. The missing bin and the categories no training row reached score zero
    afterwards (the average; no interaction in a pair); an empty numeric bin keeps the
    score of the range of bins it lies in.
    """
    intercepts = intercepts.copy()
    for (j, k), table, w in zip(pairs, pair_tables, pair_weight):
        row_w, col_w = w.sum(axis=1), w.sum(axis=0)
        to_rows = np.zeros((table.shape[0], table.shape[1], table.shape[3]))
        to_cols = np.zeros((table.shape[0], table.shape[2], table.shape[3]))
        scale = max(np.abs(table).max(), 1e-300)
        for _ in range(_PURIFY_MAX_ITER):
            r = np.einsum("ab,kabc->kac", w, table) / np.where(row_w > 0, row_w, 1.0)[None, :, None]
            table -= r[:, :, None, :]
            c = np.einsum("ab,kabc->kbc", w, table) / np.where(col_w > 0, col_w, 1.0)[None, :, None]
            table -= c[:, None, :, :]
            to_rows += r
            to_cols += c
            if max(np.abs(r).max(), np.abs(c).max()) <= 1e-13 * scale:
                break
        main_scores[j] += to_rows[:, groups[j], :]
        main_scores[k] += to_cols[:, groups[k], :]
        mean = np.einsum("ab,kabc->kc", w, table) / w.sum()
        table -= mean[:, None, None, :]
        intercepts += mean
        table[:, row_w == 0] = 0.0  # a missing group or a category no training row had
        table[:, :, col_w == 0] = 0.0
    if intercepts.shape[1] > 1:  # softmax scores: a constant shared by the classes changes nothing
        for scores in [*main_scores, *pair_tables]:
            scores -= scores.mean(axis=-1, keepdims=True)
        intercepts -= intercepts.mean(axis=-1, keepdims=True)
    for j, scores in enumerate(main_scores):
        w = bin_weight[j]
        mean = np.einsum("b,kbc->kc", w, scores) / w.sum()
        scores -= mean[:, None, :]
        intercepts += mean
        unseen = w == 0
        if not is_categorical[j]:
            unseen[:-1] = False  # an empty numeric bin keeps the score of the range it lies in
        scores[:, unseen] = 0.0
    return intercepts


# -- display helpers --------------------------------------------------------------------
_couples = np.frompyfunc(lambda a, b: (a, b), 2, 1)  # the (a, b) data of a pair term


def _fmt(value, precision):
    return f"{float(value):.{precision}g}"


def _short(value):
    if isinstance(value, float) and np.isnan(value):
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def _merge_labels(first, last):
    """Join bin labels ``(a, b]`` and ``(c, d]`` into ``(a, d]``."""
    return first.split(",")[0] + "," + last.split(",", 1)[1]


def _bin_grid(bins, schema, j):
    """Grid of a feature's Effect: bin middles or levels, then NaN for the missing bin."""
    if schema.is_categorical[j]:
        return np.asarray([*schema.categories[j], np.nan], dtype=object)
    edges = bins.edges[j]
    middles = (edges[:-1] + edges[1:]) / 2 if len(edges) > 1 else edges
    return np.concatenate([middles, [np.nan]])


def _group_labels(bins, schema, j, groups):
    """Grid of a pair axis: group middles or levels (joined when merged), NaN for missing."""
    n_groups = int(groups.max()) + 1
    values = groups[:-1]
    if schema.is_categorical[j]:
        levels = schema.categories[j]
        out = np.empty(n_groups, dtype=object)
        for g in range(n_groups - 1):
            out[g] = " | ".join(str(levels[b]) for b in np.flatnonzero(values == g))
        out[-1] = np.nan
        return out
    edges = bins.edges[j]
    out = np.empty(n_groups)
    for g in range(n_groups - 1):
        members = np.flatnonzero(values == g)
        out[g] = (edges[members[0]] + edges[members[-1] + 1]) / 2
    out[-1] = np.nan
    return out


def _python_array(values):
    """Nested Python lists of exact float literals."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return python_literal(float(values))
    return "[" + ", ".join(_python_array(v) for v in values) + "]"
