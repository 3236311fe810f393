"""Rule lists: ordered if-then-else rules learnt on a boolean matrix of conditions.

The estimator is here, with the class probabilities of its rules (shrunk toward their
parents); the search for the rules is :mod:`._rule_search`, the text and exports
:mod:`._render._rules`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .._base import TransparentMixin
from .._core import Interval, StrOptions, check_sample_weight, check_target, validate_params, validate_X
from ..explanation import Explanation
from ._conditions import Conditions
from ._render._rules import rule_list_python, rule_list_sql, rule_list_text, rule_texts
from ._rule_candidates import _CandidateSpace
from ._rule_pruning import (
    cross_validated_budget,
    cross_validated_pruning,
    pruned_at,
    pruning_path,
    rule_holds_matrix,
)
from ._rule_search import _RTOL, _first_true, _RuleListSearch, _split_gain

if TYPE_CHECKING:
    from .._core._typing import EstimatorT

__all__ = ["RuleListClassifier"]

# min_support="auto": 5 rows, or this share of the training weight when that is more.
_AUTO_MIN_SUPPORT, _AUTO_SUPPORT_SHARE = 5, 0.0025
# pruning="cv": folds of the cross-validation that chooses the penalty per condition.
_PRUNING_FOLDS = 3


class RuleListClassifier(TransparentMixin, ClassifierMixin, BaseEstimator):
    """Ordered if-then-else rules: the first rule that holds gives the class probabilities.

    The model reads ``IF bmi > 30.5 AND age > 50 THEN p(yes) = 0.71 ELSE IF ... ELSE
    p(yes) = 0.12``. Each rule is a conjunction of at most ``max_conditions``
    single-column conditions and predicts a probability for every class, so any number
    of classes is handled.

    The list is learnt one rule at a time, keeping the ``beam_width`` best partial lists.
    At each step every candidate rule of one or two conditions is scored at once (longer
    rules grow from the best shorter ones), by the gain in log-likelihood of the whole
    list on the training rows; the rows a rule leaves to later rules count with weight
    0.8, since they will still be split while the captured rows are final. The finished
    list is then improved by local search on its log-likelihood: while it is shorter
    than ``max_rules`` the best rule is inserted at the best position (a list stops
    early when the rows left are pure), each rule is replaced by the best rule given
    the others, and a rule is swapped for a better one elsewhere in the list. Under a
    budget of conditions (``max_complexity``) the beam keeps the best partial lists of
    each number of conditions, a list of single conditions is searched beside it, and
    the local search stays within the budget, so each rule's length is chosen.

    Columns are used as they are:

    - numeric columns give ``x <= t`` and ``x > t`` at up to ``max_bins - 1`` quantile
      thresholds ``t``. A missing value satisfies neither, except in the variants
      ``(x <= t or x is missing)`` and ``(x > t or x is missing)``, offered when the
      column has missing values in the training data;
    - categorical columns (pandas category, object or string) give ``x = level`` for
      each level seen in training (the ``max_bins`` most frequent ones when there are
      more); a category is never used as a number. With ``negations=True`` they also
      give ``x != level``, so that ``IF sex = female AND class != 3rd`` is one rule
      instead of two. It holds for every other level and for a category ``fit`` never
      saw. When the column has missing values in the training data it holds for them
      too, ``(x != level or x is missing)``: the exact complement of ``x = level``;
      when it has none, a missing value satisfies no condition on the column, as for
      numeric columns. It is offered for columns of three or more values in the
      training data (the levels and missing), where it is not another condition;
    - a column with missing values in the training data also gives ``x is missing``.

    A category that ``fit`` never saw satisfies no condition on its column but
    ``x != level`` (it equals no known level and is not missing): the row passes every
    rule that tests that column otherwise and is captured by the next rule that holds, or by
    the default rule. Constant and
    all-missing columns give no condition.

    Parameters
    ----------
    max_rules : int, default=8
        Most rules, not counting the default rule. The list is shorter when no rule
        leaving ``min_support`` on both sides improves the likelihood.
    max_conditions : int, default=2
        Most conditions per rule.
    max_complexity : int or None, default=None
        Most conditions over all rules, what ``complexity_`` counts. When it is less than
        ``max_rules * max_conditions`` the search chooses each rule's length within it:
        a budget of 8 conditions can be 8 rules of one condition, 4 of two, or a mix,
        whichever fits the training rows best. ``None``: ``max_rules * max_conditions``.
    min_support : int, float or "auto", default="auto"
        Least training weight (the number of rows without ``sample_weight``) a rule
        captures and leaves to the rules after it. A float in (0, 1) is a fraction of
        the total weight. ``"auto"``: 5 rows, or 0.25% of the training weight when that
        is more (from 2,000 rows on), so that the later rules of a long list on a large
        table do not fit groups of a handful of rows.
    beam_width : int, default=2
        Partial lists kept at each step; ``1`` is plain greedy search.
    max_bins : int, default=16
        Most value bins per numeric column, so at most ``max_bins - 1`` thresholds;
        also the most levels per categorical column that get a condition.
    shrinkage : {"hierarchical", "laplace"} or None, default="hierarchical"
        How each rule's class probabilities are shrunk toward its parent, the rows that
        reached the rule. ``"hierarchical"`` (Agarwal et al. 2022) reads the list as a
        chain of splits and shrinks every step from a parent to a child by
        ``1 / (1 + shrinkage_strength / n_parent)``; ``"laplace"`` adds
        ``shrinkage_strength`` pseudo-rows distributed as the parent's probabilities.
        ``None`` keeps the training frequencies. Shrinkage changes the probabilities,
        not which rules are learnt.
    shrinkage_strength : float, default=10.0
        Strength of the shrinkage, in training weight (rows).
    pruning : "cv", "cv_budget", float or None, default=None
        Cut the list back to what held-out rows support. A float: cost-complexity
        pruning as CART's weakest link, at that penalty per condition (in nats): rules
        are dropped one at a time, each time the one whose removal loses the least
        training log-likelihood per condition, while that loss is below the penalty.
        ``"cv"``: the same, the penalty chosen by 3-fold cross-validation (the search
        runs again on each fold's complement; the penalty whose pruned lists predict the
        held-out rows best, in log-likelihood with the shrunk probabilities, is kept).
        ``"cv_budget"``: the budget of conditions (``max_complexity``, or
        ``max_rules * max_conditions``) is chosen among it, its half, quarter and eighth
        by the same 3-fold cross-validation, and the list is searched within the chosen
        budget. Either cross-validation costs several more searches (three for ``"cv"``,
        up to twelve smaller ones for ``"cv_budget"``). ``None``: the list as found.
    negations : bool, default=False
        Also offer ``x != level`` for categorical columns (see above). Off by default:
        on the accuracy benchmark it gains up to 0.028 AUC on some lists (Titanic at 8
        and 16 conditions) and loses up to 0.025 on others (long lists of lending_club,
        attrition and Titanic at 32 conditions), since the greedy search is offered more
        candidates it can commit to early; see ``benchmarks/results/rules_negations.md``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    rules_ : list of str
        The condition of each rule in order, such as ``"bmi > 30.5 AND age > 50"``; the
        default rule is not listed.
    rule_conditions_ : list of ndarray of int
        For each rule, the positions of its conditions in ``conditions_``.
    conditions_ : Conditions
        The distinct conditions the rules use, on the encoded representation.
    rule_proba_ : ndarray of shape (n_rules + 1, n_classes)
        Class probabilities of each rule, the default rule last.
    rule_support_ : ndarray of shape (n_rules + 1,)
        Training rows each rule captures, the default rule last.
    rule_gain_ : ndarray of shape (n_rules,)
        Gain in (weighted) training log-likelihood, in nats, of each rule over the rules
        before it.
    complexity_ : int
        Conditions over all rules: what a reader must read.
    pruning_alpha_ : float
        The penalty per condition, in nats, the list was pruned at (0 without pruning).
    pruning_budget_ : int
        The budget of conditions the list was searched within: the one chosen with
        ``pruning="cv_budget"``, else ``max_complexity`` or ``max_rules * max_conditions``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    glassbox.models.TreeClassifier : Decision tree with a leaf budget.

    Notes
    -----
    ``explain()`` gives each column's importance per class, weighted by coverage: the
    sum over rules of the share of training weight the rule captures times the absolute
    change of its class probability from the default rule's, split equally among the
    columns its conditions use. On the training rows (without ``sample_weight``) it is
    the mean absolute local contribution.

    ``explain(X)`` gives local contributions. The base value is the default rule's
    probabilities; a row captured by a rule gets that rule's change from them, split
    equally among the columns its conditions use, and a row left to the default rule
    gets zeros. The contributions plus the base value are ``predict_proba(X)``.

    Learning costs ``O(n_samples * n_features**2)`` for the joint histogram and
    ``O(n_classes * n_conditions**2)`` per step and partial list for the rules of two
    conditions, with ``n_conditions`` about ``2 * max_bins`` per numeric column.

    References
    ----------
    .. [1] P. Clark and T. Niblett, "The CN2 induction algorithm", Machine Learning 3,
       1989.
    .. [2] B. Letham, C. Rudin, T. McCormick and D. Madigan, "Interpretable classifiers
       using rules and Bayesian analysis", Annals of Applied Statistics 9, 2015.
    .. [3] A. Agarwal, Y. Tan, O. Ronen, C. Singh and B. Yu, "Hierarchical shrinkage:
       improving the accuracy and interpretability of tree-based methods", ICML 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from glassbox.models import RuleListClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = RuleListClassifier(max_rules=3).fit(X, y)
    >>> model.complexity_ <= 3 * 2
    True
    >>> print(model)  # doctest: +ELLIPSIS
    IF ... THEN p(1) = ... (n=...)
    ELSE IF ...
    ELSE p(1) = ... (n=...)
    >>> exp = model.explain(X.iloc[:5])
    >>> bool(abs(exp.output() - model.predict_proba(X.iloc[:5])).max() < 1e-12)
    True
    """

    _parameter_constraints = {
        "max_rules": [Interval(Integral, 1, None, closed="left")],
        "max_conditions": [Interval(Integral, 1, None, closed="left")],
        "max_complexity": [Interval(Integral, 1, None, closed="left"), None],
        "min_support": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="neither"),
                        StrOptions({"auto"})],
        "beam_width": [Interval(Integral, 1, None, closed="left")],
        "max_bins": [Interval(Integral, 2, None, closed="left")],
        "shrinkage": [StrOptions({"hierarchical", "laplace"}), None],
        "shrinkage_strength": [Interval(Real, 0, None, closed="left")],
        "pruning": [StrOptions({"cv", "cv_budget"}), Interval(Real, 0, None, closed="left"), None],
        "negations": ["boolean"],
    }

    # Fitted attributes.
    classes_: np.ndarray  # (n_classes,)
    rules_: list  # (n_rules,) of str
    rule_conditions_: list  # (n_rules,) of int arrays into conditions_
    conditions_: Conditions  # (n_conditions,)
    rule_proba_: np.ndarray  # (n_rules + 1, n_classes)
    rule_support_: np.ndarray  # (n_rules + 1,)
    rule_gain_: np.ndarray  # (n_rules,)
    complexity_: int
    pruning_alpha_: float
    pruning_budget_: int

    def __init__(
        self,
        *,
        max_rules: int = 8,
        max_conditions: int = 2,
        max_complexity: int | None = None,
        min_support: int | float | Literal["auto"] = "auto",
        beam_width: int = 2,
        max_bins: int = 16,
        shrinkage: Literal["hierarchical", "laplace"] | None = "hierarchical",
        shrinkage_strength: float = 10.0,
        pruning: Literal["cv", "cv_budget"] | float | None = None,
        negations: bool = False,
    ) -> None:
        self.max_rules = max_rules
        self.max_conditions = max_conditions
        self.max_complexity = max_complexity
        self.min_support = min_support
        self.beam_width = beam_width
        self.max_bins = max_bins
        self.shrinkage = shrinkage
        self.shrinkage_strength = shrinkage_strength
        self.pruning = pruning
        self.negations = negations

    # -- fitting -------------------------------------------------------------------
    def fit(self: EstimatorT, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> EstimatorT:
        """Learn the rule list.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns; NaN or None is missing.
        y : array-like of shape (n_samples,)
            Class labels, at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: counts, supports and likelihoods are weighted.

        Returns
        -------
        self : RuleListClassifier
            The fitted model.
        """
        validate_params(self)
        X_encoded = validate_X(self, X, reset=True)
        n_samples = X_encoded.shape[0]
        labels, self.classes_ = check_target(self, y, n_samples, task="classification", min_classes=2)
        weight = check_sample_weight(sample_weight, n_samples)
        min_support = self._min_support(weight.sum())
        if 2 * min_support > weight.sum():
            warnings.warn(f"min_support={self.min_support} is more than half the training weight "
                          f"({weight.sum():g}): no rule can capture that much and leave as much to the rules after "
                          "it, so the list has the default rule only.", UserWarning, stacklevel=2)
        space = _CandidateSpace.build(X_encoded, weight > 0, self._feature_schema, max_bins=self.max_bins,
                                       negations=self.negations)

        search, rules = self._search(space, labels, weight)
        self._store_rules(space, rules, search)
        return self

    def _search(self, space, labels, weight):
        """The search on all training rows and its rules, pruned as ``pruning`` asks."""
        def search_on(rows, budget=None):
            """The search on the training rows ``rows`` (positions), or all of them."""
            params = self._search_params(weight.sum() if rows is None else weight[rows].sum())
            if budget is not None:
                params["max_complexity"] = budget
            if rows is None:
                return _RuleListSearch(space, labels, weight, len(self.classes_), **params)
            return _RuleListSearch(space.rows(rows), labels[rows], weight[rows], len(self.classes_), **params)

        budget = None
        self.pruning_budget_ = self.max_rules * self.max_conditions
        if self.max_complexity is not None:
            self.pruning_budget_ = min(self.max_complexity, self.pruning_budget_)
        if self.pruning == "cv_budget":
            budgets = sorted({max(1, self.pruning_budget_ // 2**k) for k in range(4)})
            budget = self.pruning_budget_ = cross_validated_budget(
                lambda rows, b: search_on(rows, b).run(), space.rule_holds, labels, weight,
                len(self.classes_), budgets,
                lambda counts: _shrunk_probabilities(counts, self.shrinkage, self.shrinkage_strength),
                n_folds=_PRUNING_FOLDS)
        search = search_on(None, budget)
        rules = search.run()
        self.pruning_alpha_ = 0.0
        if self.pruning == "cv" and rules:
            kept, self.pruning_alpha_ = cross_validated_pruning(
                lambda rows: search_on(rows).run(), search.rule_holds, labels, weight, len(self.classes_), rules,
                lambda counts: _shrunk_probabilities(counts, self.shrinkage, self.shrinkage_strength),
                n_folds=_PRUNING_FOLDS)
            rules = [rules[i] for i in kept]
        elif self.pruning not in (None, "cv_budget") and rules:
            self.pruning_alpha_ = float(self.pruning)
            holds = rule_holds_matrix(search.rule_holds, rules, len(labels))
            alphas, kept = pruning_path(holds, labels, weight, len(self.classes_), rules)
            rules = [rules[i] for i in pruned_at(alphas, kept, self.pruning_alpha_)]
        return search, rules

    def _min_support(self, total_weight):
        """``min_support`` in training weight, for rows of ``total_weight``."""
        if self.min_support == "auto":
            return max(float(_AUTO_MIN_SUPPORT), _AUTO_SUPPORT_SHARE * total_weight)
        if isinstance(self.min_support, Integral):
            return float(self.min_support)
        return self.min_support * total_weight

    def _search_params(self, total_weight):
        """Keyword arguments of the search on rows of ``total_weight``."""
        return {"max_rules": self.max_rules, "max_conditions": self.max_conditions,
                "max_complexity": self.max_complexity, "beam_width": self.beam_width,
                "min_support": max(self._min_support(total_weight), _RTOL * total_weight)}

    def _store_rules(self, space, rules, search):
        """Keep the distinct conditions of ``rules``, their text, supports and probabilities."""
        used = sorted({i for rule in rules for i in rule})
        position = {c: k for k, c in enumerate(used)}
        self.conditions_ = space.conditions[np.asarray(used, dtype=np.intp)]
        self.rule_conditions_ = [np.asarray([position[i] for i in rule], dtype=np.intp) for rule in rules]
        self.rules_ = rule_texts(self.conditions_, self.rule_conditions_, self._feature_schema)
        self.complexity_ = int(sum(len(rule) for rule in rules))
        first = search.first_firing(rules)  # (n_samples,)
        counts = search.cell_counts(first, len(rules) + 1)  # (n_rules + 1, K) weighted
        self.rule_support_ = np.bincount(first, minlength=len(rules) + 1)
        remaining = np.cumsum(counts[::-1], axis=0)[::-1]  # rows reaching each rule
        self.rule_gain_ = np.asarray([_split_gain(counts[r], remaining[r]) for r in range(len(rules))], dtype=float)
        self._rule_weight = counts.sum(axis=1)
        self.rule_proba_ = _shrunk_probabilities(counts, self.shrinkage, self.shrinkage_strength)

    # -- prediction ----------------------------------------------------------------
    def _firing_rule(self, X_encoded):
        """Index of the first rule that holds on each row, ``n_rules`` for the default."""
        n_rules = len(self.rule_conditions_)
        members = np.zeros((len(self.conditions_), n_rules))  # (n_conditions, n_rules)
        for r, conds in enumerate(self.rule_conditions_):
            members[conds, r] = 1.0
        met = self.conditions_.evaluate(X_encoded).astype(np.float64) @ members  # (n, n_rules)
        return _first_true(met == members.sum(axis=0), n_rules, len(X_encoded))

    def apply(self, X: ArrayLike) -> np.ndarray:
        """Index of the rule that captures each row, ``len(rules_)`` for the default rule.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        rule : ndarray of int of shape (n_samples,)
            Position of the first rule that holds on each row.
        """
        return self._firing_rule(self._encode(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities of the first rule that holds on each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        rule = self.apply(X)
        return self.rule_proba_[rule]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of the first rule that holds on each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        rule = self.apply(X)
        return self.classes_[np.argmax(self.rule_proba_, axis=1)][rule]

    # -- explanation ---------------------------------------------------------------
    def _rule_contributions(self):
        """Each rule's change of probabilities from the default rule, split equally among
        the columns its conditions use: shape (n_rules + 1, n_features, n_classes), zero
        for the default rule."""
        uses = np.zeros((len(self.rule_conditions_) + 1, self.n_features_in_))
        for r, conds in enumerate(self.rule_conditions_):
            uses[r, self.conditions_.feature[conds]] = 1.0
        share = uses / np.maximum(uses.sum(axis=1, keepdims=True), 1.0)  # (n_rules + 1, p)
        change = self.rule_proba_ - self.rule_proba_[-1]  # (n_rules + 1, K)
        return share[:, :, None] * change[:, None, :]

    def explain(self, X: ArrayLike | None = None) -> Explanation:
        """Global importance of each column, or the firing rule's contributions per row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), default=None
            Rows to explain; without it, the global explanation.

        Returns
        -------
        explanation : Explanation
            Without ``X``: values of shape (n_features, n_classes), each column's
            coverage-weighted absolute change of probability (see Notes). With ``X``:
            values of shape (n_samples, n_features, n_classes) and base values (the
            default rule's probabilities) that add up to ``predict_proba(X)``.
        """
        check_is_fitted(self)
        contributions = self._rule_contributions()  # (n_rules + 1, p, K)
        if X is None:
            coverage = self._rule_weight / self._rule_weight.sum()
            return Explanation(
                np.einsum("r,rpk->pk", coverage, np.abs(contributions)),
                feature_names=self._feature_schema.feature_names,
                output_names=self.classes_,
                method="rule-list-coverage",
            )
        X_encoded = self._encode(X)
        rule = self._firing_rule(X_encoded)
        base = np.broadcast_to(self.rule_proba_[-1], (len(rule), len(self.classes_)))
        return self._local_explanation(X_encoded, contributions[rule], base, self.classes_, "rule-list")

    # -- text and exports ----------------------------------------------------------
    def to_text(self, *, precision: int = 2) -> str:
        """The rule list as a person writes it.

        Parameters
        ----------
        precision : int, default=2
            Decimals of the probabilities (thresholds keep 4 significant digits).

        Returns
        -------
        text : str
            One line per rule, ``IF ... THEN p(class) = ... (n=rows)`` then
            ``ELSE IF ...``, and the default rule ``ELSE ...``. With two classes the
            probability of the second is shown, with more every class's.
        """
        check_is_fitted(self)
        return rule_list_text(self, precision)

    def to_sql(self, table: str = "data") -> str:
        """A SQL query computing the class probabilities and the predicted class.

        One ``CASE`` expression per output with a ``WHEN`` per rule, in order, and the
        default rule as ``ELSE``: a column ``proba_<class>`` per class and
        ``prediction``. A missing value is ``NULL``; categories are compared as the
        values they are, so a category the model never saw falls through as in
        ``predict``.

        Parameters
        ----------
        table : str, default="data"
            The table to select from; ``schema.table`` is quoted part by part.

        Returns
        -------
        sql : str

        Examples
        --------
        >>> import pandas as pd
        >>> from glassbox.models import RuleListClassifier
        >>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0, 60.0, 70.0]})
        >>> model = RuleListClassifier(min_support=2, shrinkage=None).fit(X, ["no", "no", "no", "yes", "yes", "yes"])
        >>> print(model.to_sql(table="people"))
        SELECT
          CASE
            WHEN ("age" IS NOT NULL AND "age" <= 45.0) THEN 1.0
            ELSE 0.0
          END AS "proba_no",
          CASE
            WHEN ("age" IS NOT NULL AND "age" <= 45.0) THEN 0.0
            ELSE 1.0
          END AS "proba_yes",
          CASE
            WHEN ("age" IS NOT NULL AND "age" <= 45.0) THEN 'no'
            ELSE 'yes'
          END AS "prediction"
        FROM "people"
        """
        check_is_fitted(self)
        return rule_list_sql(self, table)

    def to_python(self) -> str:
        """Source of a Python module with ``predict_proba(row)`` and ``predict(row)``.

        ``row`` is a dict from column name to value (``None`` or NaN is missing;
        categories as their levels). ``predict_proba`` returns the probabilities in the
        order of ``CLASSES``; ``predict`` the most probable class. The module needs
        nothing but Python.

        Returns
        -------
        source : str
        """
        check_is_fitted(self)
        return rule_list_python(self)


def _shrunk_probabilities(counts, shrinkage, strength):
    """Class probabilities of each rule from its weighted class counts (n_rules + 1, K).

    Rule ``r`` captures part of the rows no earlier rule captured, its parent ``U_r``;
    ``U_0`` is every row and the default rule keeps the last parent's rows. Hierarchical
    shrinkage reads the list as the chain ``U_0 -> U_1 -> ...`` with each rule a leaf
    off it.
    """
    remaining = np.cumsum(counts[::-1], axis=0)[::-1]  # (n_rules + 1, K): counts of U_r
    n_remaining = remaining.sum(axis=1)
    raw = counts / counts.sum(axis=1, keepdims=True)
    if shrinkage is None or strength == 0:
        return raw
    parent_raw = remaining / n_remaining[:, None]
    proba = np.empty_like(raw)
    parent = parent_raw[0]  # the shrunk estimate at U_r, carried down the chain
    for r in range(len(counts) - 1):
        if shrinkage == "hierarchical":
            factor = 1.0 / (1.0 + strength / n_remaining[r])
            proba[r] = parent + factor * (raw[r] - parent_raw[r])
            parent = parent + factor * (parent_raw[r + 1] - parent_raw[r])
        else:
            proba[r] = (counts[r] + strength * parent) / (counts[r].sum() + strength)
            parent = (remaining[r + 1] + strength * parent) / (n_remaining[r + 1] + strength)
    proba[-1] = parent
    return proba
