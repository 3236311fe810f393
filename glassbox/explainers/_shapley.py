"""Shapley values: exact enumeration, Kernel SHAP, permutation sampling, the linear
closed form and TreeSHAP behind one explainer.

Every method estimates the same interventional game: for a row ``x`` and background
rows ``z_b`` with weights ``w_b``, the value of a coalition ``S`` of features is
``v(S) = sum_b w_b f(x_S, z_b,not S)``, and feature ``i`` receives

    phi_i = sum over S not containing i of |S|! (p - |S| - 1)! / p! (v(S + i) - v(S)).

The model-agnostic methods evaluate ``v`` with :func:`~glassbox._core.masked_predict`:
the exact and kernel methods on one matrix of coalition masks shared by every explained
row (Kernel SHAP's design and solve are in :mod:`._kernel_shap`), permutation sampling
on prefixes of orders drawn for each row. The work is a few large stacked model calls
followed by matrix products; rows are processed in groups whose intermediate values fit
in ``batch_size``. The linear and tree methods read the model instead of calling it
(:mod:`._linear_shap`, :mod:`._treeshap`; :mod:`._pipeline` folds the columns a Pipeline
derives back onto the columns passed to it). This module holds the explainer: it chooses
the method, prepares what the method shares across rows at ``fit`` and runs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._core import (
    MODEL_ROWS,
    Interval,
    ModelOutput,
    StrOptions,
    batch_units,
    chunk_bounds,
    chunk_rngs,
    final_estimator,
    masked_predict,
    predict_rows,
    row_rngs,
)
from .._explain import register_explainer
from ._base import BackgroundMixin, LocalExplainer
from ._kernel_shap import kernel_design, kernel_solve
from ._linear_shap import LinearForm
from ._pipeline import split_pipeline
from ._shapley_designs import (
    exact_values,
    kernel_budget,
    permutation_budget,
    permutation_orders,
    permutation_values,
)
from ._shapley_groups import Players
from ._shapley_interactions import InteractionsMixin
from ._shapley_text import TEXT_METHODS, shapley_documents
from ._treeshap import TreeShap, is_tree_model

if TYPE_CHECKING:
    from .._core import KMeansBackground
    from .._core._typing import OutputMethod, RandomStateLike
    from ..explanation import Explanation

__all__ = ["ShapleyExplainer"]

METHODS = ("auto", "exact", "kernel", "permutation", "linear", "tree")
MAX_EXACT_FEATURES = 16
"""``method="exact"`` enumerates ``2**p`` coalitions; beyond this many features it refuses."""


class ShapleyExplainer(InteractionsMixin, BackgroundMixin, LocalExplainer):
    """Shapley values of a model's output: exact, Kernel SHAP, permutation, linear or tree.

    The value of a feature is its average marginal contribution to the model's output
    over all orders in which features are revealed; features not yet revealed take the
    values of background rows (the interventional game). Values of a row plus its base
    value (the average output over the background) equal the model's output on the
    row, for every method (exactly for the exact, linear and tree methods, and for the
    sampling methods too: their estimates are constrained to add up).
    :meth:`explain_interactions` splits them into main effects and pairwise interactions.

    Parameters
    ----------
    estimator : estimator object
        The model to explain: a fitted model, or one the explainer fits on ``X, y``
        (see ``prefit``). A Pipeline is explained in the columns passed to it. A
        Pipeline whose first step is a text vectorizer, given the text column (1-D),
        is explained per token: see ``explain``.
    method : {"auto", "exact", "kernel", "permutation", "linear", "tree"}, default="auto"
        How the values are computed:

        - ``"exact"``: every coalition (at most 16 features); the reference.
        - ``"kernel"``: Kernel SHAP, a weighted least-squares fit on ``n_samples``
          coalitions shared by all rows, with standard errors.
        - ``"permutation"``: antithetic permutation sampling with ``n_samples``
          permutations per row, with standard errors.
        - ``"linear"``: the closed form ``coef * (x - mean background)`` of linear and
          logistic models (also at the end of a Pipeline), on an additive output:
          ``predict`` of regressors, ``decision_function`` or ``log_odds`` of
          classifiers.
        - ``"tree"``: TreeSHAP for decision trees and tree ensembles (scikit-learn's,
          glassbox's, and XGBoost's, LightGBM's and CatBoost's estimators, whose
          classifiers are explained on their raw score, ``decision_function``).
        - ``"auto"``: see Notes.
    background : int, array-like or KMeansBackground, default=100
        Rows that hidden features take their values from: an int draws that many rows
        of the ``X`` given to ``fit``; array-like rows are used as given;
        ``KMeansBackground(k)`` summarises ``X`` by ``k`` weighted centres. The cost of
        the exact, kernel and permutation methods grows linearly with it.
    n_samples : int or "auto", default="auto"
        Budget of the sampling methods, shared by every explained row: coalitions for
        ``"kernel"`` (rounded down to an even number: they come in complementary
        pairs; at least ``2 * n_features + 2``),
        permutations for ``"permutation"`` (rounded up to an even number: each comes
        with its reverse). ``"auto"`` gives Kernel SHAP ``2 * n_features + 2048``
        coalitions and permutation sampling as many model evaluations. With at least
        ``2**n_features - 2`` coalitions Kernel SHAP enumerates them all and is exact.
    output : {"auto", "predict_proba", "decision_function", "log_odds", "predict"}, default="auto"
        What is explained: class probabilities for classifiers and ``predict`` for
        regressors, or the decision function or log-odds instead. The tree method
        explains what is additive for the model (the raw score of gradient boosting).
    prefit : bool or "auto", default="auto"
        ``True``: ``estimator`` must be fitted. ``False``: a clone is fitted on
        ``X, y``. ``"auto"``: fitted models are used as they are, others fitted.
    groups : dict or None, default=None
        Groups of columns valued together: ``{"name": [columns], ...}`` with columns
        given by name or position. The players of the game are then the groups (in the
        order given) and every column in no group on its own, and a coalition keeps or
        hides all the columns of a group at once. Explanations have one value per
        player (``feature_names`` are the group names, then the remaining columns).
        Every method (the tree method credits each split to its column's group, for
        both perturbations; the linear one sums a group's columns); ``n_samples`` and
        the ``"auto"`` choice count players instead of columns. A dict in place of a
        list is a union of groups: Owen values (exact, permutation and linear methods).
    feature_perturbation : {"interventional", "tree_path_dependent"}, default="interventional"
        ``"tree_path_dependent"`` lets the tree method replace the background by the
        training distribution recorded in the trees (faster, no background needed,
        a different game than the other methods).
    batch_size : int or "auto", default="auto"
        Rows per model call; bounds memory whatever the number of rows explained.
        ``"auto"`` gives 8192 rows (fewer for very wide data), chunks small enough
        for most models to run at full speed.
    n_jobs : int or None, default=None
        Workers evaluating the model (joblib). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the coalitions and permutations sampled.
    verbose : bool, default=False
        Report progress of model evaluations on standard error.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model being explained.
    method_ : str
        The method used, with ``"auto"`` resolved.
    n_samples_ : int or None
        Coalitions (kernel) or permutations (permutation) evaluated per row; ``None``
        for the other methods.
    background_ : Background
        Encoded background rows and weights.
    output_names_ : ndarray of shape (n_outputs,)
        Class labels for classifiers, ``["prediction"]`` for regressors.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    glassbox.explain : Picks this explainer for models that do not explain themselves.

    Notes
    -----
    ``method="auto"`` picks, in order:

    1. ``"tree"`` for tree models (also at the end of a Pipeline whose steps map each
       column on its own) when the requested output is additive for them;
    2. ``"linear"`` for linear models on an additive output (``predict`` of a
       regressor; ``decision_function`` or ``log_odds`` of a classifier: not the
       default probabilities, which are not linear);
    3. ``"exact"`` when enumerating every coalition costs no more model evaluations
       than the Kernel SHAP budget, ``2**n_features - 2 <= n_samples`` (up to 11
       features with ``n_samples="auto"``);
    4. ``"kernel"`` otherwise.

    Kernel SHAP here samples without replacement and stratified by coalition size:
    sizes whose share of the budget covers all their coalitions are enumerated (the
    smallest and largest first), the others receive complementary pairs of random
    coalitions. One weighted least-squares problem with the efficiency constraint is
    factorised once; each explained row and output is a right-hand side. With at least
    2.5 coalitions per term, the fit adds one term per pair and triple of features and
    returns the Shapley values of the fitted polynomial game, which needs far fewer
    coalitions for the same error. Standard
    errors follow from the spread of the residuals of the sampled pairs within each
    size (a sandwich estimate with the finite-population correction). Permutation
    sampling reports the standard error of its mean over antithetic pairs.

    References
    ----------
    .. [1] Lundberg, S. M. and Lee, S.-I. (2017). A unified approach to interpreting
       model predictions. NeurIPS.
    .. [2] Covert, I. and Lee, S.-I. (2021). Improving KernelSHAP: practical Shapley
       value estimation using linear regression. AISTATS.
    .. [3] Mitchell, R., Cooper, J., Frank, E. and Holmes, G. (2022). Sampling
       permutations for Shapley value estimation. JMLR.
    .. [4] Lundberg, S. M. et al. (2020). From local explanations to global
       understanding with explainable AI for trees. Nature Machine Intelligence.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.svm import SVR
    >>> from glassbox.explainers import ShapleyExplainer
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = SVR(C=50.0).fit(X, y)
    >>> explainer = ShapleyExplainer(model, background=20, random_state=0).fit(X)
    >>> explainer.method_
    'exact'
    >>> exp = explainer.explain(X.iloc[:3])
    >>> exp.shape
    (3, 10, 1)
    >>> bool(np.allclose(exp.output()[:, 0], model.predict(X.iloc[:3])))
    True
    >>> sampled = ShapleyExplainer(model, method="kernel", n_samples=200, background=20,
    ...                            random_state=0).fit(X).explain(X.iloc[:3])
    >>> bool(np.all(np.abs(sampled.values - exp.values) < 4 * sampled.std))
    True
    """

    _parameter_constraints = {
        **LocalExplainer._parameter_constraints,
        **BackgroundMixin._background_constraints,
        "method": [StrOptions(METHODS)],
        "n_samples": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "feature_perturbation": [StrOptions({"interventional", "tree_path_dependent"})],
        "groups": [dict, None],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        method: Literal["auto", "exact", "kernel", "permutation", "linear", "tree"] = "auto",
        background: int | ArrayLike | KMeansBackground = 100,
        n_samples: int | Literal["auto"] = "auto",
        output: OutputMethod = "auto",
        prefit: bool | Literal["auto"] = "auto",
        groups: Mapping[str, Sequence[str | int]] | None = None,
        feature_perturbation: Literal["interventional", "tree_path_dependent"] = "interventional",
        batch_size: int | Literal["auto"] = "auto",
        n_jobs: int | None = None,
        random_state: RandomStateLike = None,
        verbose: bool | int = False,
    ) -> None:
        super().__init__(
            estimator, prefit=prefit, batch_size=batch_size, n_jobs=n_jobs, random_state=random_state, verbose=verbose
        )
        self.method = method
        self.background = background
        self.n_samples = n_samples
        self.output = output
        self.groups = groups
        self.feature_perturbation = feature_perturbation

    _explains_text = True

    def _fit_documents(self):
        """Choose the method of documents, whose players are their tokens."""
        if self.method not in TEXT_METHODS:
            raise ValueError(
                f"method={self.method!r} cannot explain text; documents are explained per token by the methods "
                f"{list(TEXT_METHODS)}."
            )
        if self.feature_perturbation != "interventional":
            raise ValueError("feature_perturbation='tree_path_dependent' applies to tree models, not to text.")
        if self.groups:
            raise ValueError("groups applies to the columns of a table; documents are explained per token.")
        self.method_ = "permutation" if self.method == "auto" else self.method
        self.n_samples_ = None
        self._designs = {}

    def _fit(self, X_encoded):
        """Learn the background and choose the method."""
        super()._fit(X_encoded)
        self._players = Players(self.groups, self._feature_schema)
        self._plan()

    def explain(self, X: ArrayLike) -> Explanation:
        """Shapley values of the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to explain, with the columns given to ``fit``.

        Returns
        -------
        explanation : Explanation
            ``values`` of shape (n_samples, n_features, n_outputs) and ``base_values``
            of shape (n_samples, n_outputs), adding up to the explained output;
            ``std`` holds the standard errors of the sampling methods. Fitted on
            documents (a text column read by a vectorizer), ``X`` is documents and the
            result a :class:`~glassbox.explainers.TextExplanation` of each token's value
            (removing a token removes it from the document; the base value is the output
            on the document with every token removed); ``method="auto"`` enumerates the
            coalitions of documents of up to 11 tokens and samples permutations beyond.
        """
        if getattr(self, "_vectorizer", None) is not None:
            return self._explain_documents(X)
        X_encoded, model_output = self._prepare(X)
        compute = {
            "exact": self._explain_exact,
            "kernel": self._explain_kernel,
            "permutation": self._explain_permutation,
            "linear": self._explain_linear,
            "tree": self._explain_tree,
        }[self.method_]
        values, base_values, std = compute(X_encoded, model_output)
        return self._explanation(
            X_encoded, values, base_values, method=f"shapley-{self.method_}", std=std, model_output=model_output
        )

    def _explain_documents(self, X):
        documents = self._prepare_documents(X)
        values, std, base_values = shapley_documents(
            documents, self._model_output, method=self.method, n_samples=self.n_samples, seed=self._seed,
            designs=self._designs, batch_size=self.batch_size, n_jobs=self.n_jobs, verbose=self.verbose,
        )
        return documents.explanation(values, base_values, self.output_names_, method=f"shapley-{self.method_}",
                                     std=std)

    def _attributed(self, data, feature_names):
        return (None if data is None else self._players.display(data, feature_names)), self._players.names

    # -- choosing the method ----------------------------------------------------------
    def _plan(self):
        """Resolve ``method``, check it applies, and precompute what it shares across rows."""
        n_features = self._players.n_players  # the players: columns, or groups of them
        method = self._players.method(self.method, self.n_samples)  # groups of groups: Owen values
        self.n_samples_ = None
        path_dependent = self.feature_perturbation == "tree_path_dependent"
        if path_dependent and method not in ("auto", "tree"):
            raise ValueError(
                f"feature_perturbation='tree_path_dependent' applies to method='tree' only; got method={method!r}. "
                "Use feature_perturbation='interventional'."
            )
        if method in ("auto", "tree"):
            reason = self._plan_tree()
            if reason is None:
                self.method_ = "tree"
                return
            if method == "tree" or path_dependent:
                raise ValueError(reason)
        if method in ("auto", "linear"):
            reason = self._plan_linear()
            if reason is None:
                self.method_ = "linear"
                return
            if method == "linear":
                raise ValueError(reason)
        if n_features == 1 and method in ("auto", "kernel", "permutation"):
            method = "exact"  # a single feature receives the whole difference
        elif method == "auto":
            method = "exact" if 2**n_features - 2 <= self._kernel_budget() else "kernel"
        self.method_ = method
        if method == "exact":
            if n_features > MAX_EXACT_FEATURES:
                raise ValueError(
                    f"method='exact' enumerates 2**n_features coalitions and handles at most {MAX_EXACT_FEATURES} "
                    f"features; X has {n_features} (2**{n_features} = {2**n_features} coalitions per row). "
                    "Use method='kernel' or method='permutation'."
                )
            self._design = self._players.exact_design()
        elif method == "kernel":
            self._design = kernel_design(n_features, self._kernel_budget(), chunk_rngs(self._seed, 1)[0])
            self.n_samples_ = len(self._design["masks"])
        else:
            self.n_samples_ = self._permutation_budget()

    def _kernel_budget(self):
        return kernel_budget(self._players.n_players, self.n_samples, "players" if self._players.grouped else "features")

    def _permutation_budget(self):
        return permutation_budget(self._players.n_players, self.n_samples)

    def _split(self):
        """The model's Pipeline front (folding derived columns) and final estimator."""
        return split_pipeline(self.estimator_, self._feature_schema, self.background_.data)

    def _plan_tree(self):
        """Prepare TreeSHAP; return why it does not apply, or None."""
        name = type(self.estimator_).__name__
        final = final_estimator(self.estimator_)
        if not is_tree_model(final):
            return (
                "method='tree' explains decision trees and tree ensembles (scikit-learn's DecisionTree*, "
                f"ExtraTree*, RandomForest*, ExtraTrees*, GradientBoosting* and HistGradientBoosting*, XGBoost's, "
                f"LightGBM's and CatBoost's estimators, and glassbox's TreeClassifier and TreeRegressor); got {name}. "
                f"Use method='kernel' (or method='exact' for up to {MAX_EXACT_FEATURES} features)."
            )
        try:
            front, final = self._split()
        except ValueError as exc:
            return f"method='tree' cannot explain {name} in its input columns. {exc}"
        background = weights = None
        if self.feature_perturbation == "interventional":
            background, weights = front.transform(self.background_.data), self.background_.weights
        decode = self._feature_schema.decode if front.transformer is None else None
        players = self._players.owner[front.sources] if self._players.grouped else None  # of the derived columns
        try:  # the tables are built once here and reused by every explain
            tables = TreeShap(final, background=background, background_weights=weights, output=self.output,
                              decode=decode, players=players)
        except ValueError as exc:
            return f"method='tree' cannot explain {name} on output={self.output!r}: {exc}"
        strings = self._feature_schema.is_categorical & (front.transformer is None and not tables.decodes_rows)
        if strings.any():
            shown = ", ".join(repr(str(c)) for c in self._feature_schema.feature_names[strings])
            return (
                f"method='tree' cannot explain {name}: its trees compare numbers, but these columns of X hold "
                f"strings (a single value that is not a number makes a column categorical): {shown}. Pass the "
                "columns the model was fitted on."
            )
        try:
            self._use_output(tables.output_method)
        except ValueError as exc:
            return f"method='tree' cannot explain {name}: {exc}"
        self._front, self._tree_final, self._tree_tables = front, final, tables
        self._tree_background = (background, weights, players)
        return None

    def _plan_linear(self):
        """Prepare the linear closed form; return why it does not apply, or None."""
        name = type(self.estimator_).__name__
        output = self._model_output.method
        final = final_estimator(self.estimator_)
        if getattr(final, "coef_", None) is None or getattr(final, "intercept_", None) is None:
            return (
                f"method='linear' needs a linear model with coef_ and intercept_ (alone or at the end of a "
                f"Pipeline); got {name}. Use method='exact' or method='kernel'."
            )
        if output == "predict_proba":
            return (
                f"method='linear' explains an output that is linear in the features; the probabilities of {name} "
                "are not. Pass output='log_odds' or output='decision_function', or explain probabilities with "
                "method='exact' or method='kernel'."
            )
        try:
            front, final = self._split()
        except ValueError as exc:
            return f"method='linear' cannot explain {name} in its input columns. {exc}"
        form = LinearForm(final, output)
        inputs = front.model_input(self.background_.data)
        try:
            contributions, offset = form.contributions(inputs)  # (n_background, n_derived, n_outputs), (n_outputs,)
        except ValueError as exc:
            return f"method='linear' cannot explain {name}: {exc}"
        if contributions.shape[1:] != (front.n_derived, self._model_output.n_outputs):
            return (
                f"method='linear' expected coefficients for {front.n_derived} columns and "
                f"{self._model_output.n_outputs} outputs of {name}.{output}; got shape {contributions.shape[1:]}. "
                "Use method='exact' or method='kernel'."
            )
        linear = contributions.sum(axis=1) + offset  # (n_background, n_outputs)
        actual = self._background_outputs(self._model_output)
        trusted = np.abs(linear) < 25 if output == "log_odds" else np.ones(linear.shape, dtype=bool)
        if not np.all(np.abs(linear - actual)[trusted] <= 1e-7 * (1.0 + np.abs(actual).max())):
            return (
                f"method='linear' needs {name}.{output} to equal coef_ @ x + intercept_, and it does not on the "
                "background (for example a multinomial model's log-odds, or a model with a link function). "
                "Use method='exact' or method='kernel'"
                + (", or output='decision_function'." if output == "log_odds" else ".")
            )
        mean = np.einsum("b,bdo->do", self.background_.weights, contributions)  # (n_derived, n_outputs)
        self._front, self._linear = front, (form, mean, offset)
        return None

    def _use_output(self, output):
        if output != self._model_output.method:
            self._model_output = ModelOutput(self.estimator_, self._feature_schema, output)
            self.output_names_ = self._model_output.output_names

    # -- model-agnostic methods --------------------------------------------------------
    def _batch_size(self):
        """Hybrid rows per model call."""
        return self._batch_units(self.n_features_in_)

    def _row_groups(self, n_rows, n_values):
        """Row ranges whose ``n_values`` values per row fit in one batch of model input."""
        return chunk_bounds(n_rows, self._batch_units(n_values))

    def _batch_units(self, unit_cells):
        p = self.n_features_in_
        return batch_units(self.batch_size, row_cells=p, unit_cells=unit_cells, max_rows=MODEL_ROWS)

    def _evaluate(self, X_group, masks, model_output):
        """Coalition values (g, n_masks, n_outputs) and outputs f(x) (g, n_outputs)."""
        kwargs = dict(batch_size=self._batch_size(), n_jobs=self.n_jobs, verbose=self.verbose)
        fx = predict_rows(model_output, X_group, **kwargs)
        if masks.shape[-2] == 0:
            return np.empty((len(X_group), 0, fx.shape[1])), fx
        masks = self._players.column_masks(masks)  # a column is kept when its player is
        return masked_predict(model_output, X_group, masks, self.background_, **kwargs), fx

    def _background_outputs(self, model_output):
        """Outputs on the background rows, shape (n_background, n_outputs)."""
        return predict_rows(
            model_output, self.background_.data, batch_size=self._batch_size(), n_jobs=self.n_jobs, verbose=self.verbose
        )

    def _base_value(self, model_output):
        """Weighted mean output over the background, shape (n_outputs,)."""
        return self.background_.weights @ self._background_outputs(model_output)

    def _explain_exact(self, X, model_output):
        masks, W = self._design["masks"], self._design["weights"]  # (m, p), (p, m)
        n_features, n_outputs = self._players.n_players, model_output.n_outputs
        v0 = self._base_value(model_output)
        values = np.empty((len(X), n_features, n_outputs))
        for start, stop in self._row_groups(len(X), len(masks) * n_outputs):
            v, fx = self._evaluate(X[start:stop], masks, model_output)
            values[start:stop] = exact_values(W, v, fx, v0, self._design.get("full"))
        return values, v0, None

    def _explain_kernel(self, X, model_output):
        design = self._design
        masks, n_outputs = design["masks"], model_output.n_outputs
        v0 = self._base_value(model_output)
        values = np.empty((len(X), self._players.n_players, n_outputs))
        std = np.empty_like(values)
        for start, stop in self._row_groups(len(X), len(masks) * n_outputs):
            v, fx = self._evaluate(X[start:stop], masks, model_output)
            values[start:stop], std[start:stop] = kernel_solve(design, v - v0, fx - v0)
        return values, v0, std

    def _explain_permutation(self, X, model_output):
        n_perms, n_features, n_outputs = self.n_samples_, self._players.n_players, model_output.n_outputs
        n_pairs = n_perms // 2
        v0 = self._base_value(model_output)
        values = np.empty((len(X), n_features, n_outputs))
        std = np.full_like(values, np.nan)
        # Per row: values (P, p, o) and prefix masks (P, p - 1, p), with groups also of the columns, a byte a cell.
        mask_cells = n_features + (X.shape[1] if self._players.grouped else 0)
        per_row = n_perms * n_features * (n_outputs + mask_cells // 8 + 1)
        for start, stop in self._row_groups(len(X), per_row):
            g = stop - start
            rngs = row_rngs(self._seed, X[start:stop])
            positions, masks = permutation_orders(rngs, n_features, n_pairs, self._players.hierarchy)
            prefix, fx = self._evaluate(X[start:stop], masks.reshape(g, -1, n_features), model_output)
            values[start:stop], std[start:stop] = permutation_values(prefix, fx, v0, positions)
        return values, v0, std

    # -- model-specific methods ----------------------------------------------------------
    def _explain_linear(self, X, model_output):
        (form, mean, offset), front = self._linear, self._front
        n_outputs = mean.shape[1]
        values = np.empty((len(X), X.shape[1], n_outputs))
        for start, stop in self._row_groups(len(X), front.n_derived * n_outputs):
            contributions, _ = form.contributions(front.model_input(X[start:stop], model_output.schema))
            values[start:stop] = front.fold(contributions - mean)
        # The base value is the background's mean output: phi_j = c_j(x) - mean_b c_j(z_b).
        base_values = np.broadcast_to(offset + mean.sum(axis=0), (len(X), n_outputs))
        return self._players.fold(values), base_values, None  # additive: a group's value is its columns' sum

    def _explain_tree(self, X, model_output):
        tables = self._tree_tables
        if model_output.schema is not self._feature_schema and self._front.transformer is None:
            # Categories first seen in X: the model's own encoding needs the extended schema.
            background, weights, players = self._tree_background
            tables = TreeShap(self._tree_final, background=background, background_weights=weights, players=players,
                              output=tables.output_method, decode=model_output.schema.decode, expected_rows=len(X))
        values, base_values = tables.explain(
            self._front.transform(X, model_output.schema),
            batch_size=self.batch_size,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        values = self._players.pad(values) if self._players.grouped else self._front.fold(values)  # already by player
        return values, base_values, None


def _accepts(model):
    return any(hasattr(model, name) for name in ("predict", "predict_proba", "decision_function"))


def _newcomer_explainer(model, **kwargs):
    """The Shapley explainer ``glassbox.explain`` builds: reproducible without options.

    A tree model is explained by path-dependent TreeSHAP, which needs no background; any
    other model by a seeded default (``random_state=0``) unless the caller seeds it.
    """
    if is_tree_model(model) and "method" not in kwargs and "background" not in kwargs:
        kwargs.setdefault("feature_perturbation", "tree_path_dependent")
    kwargs.setdefault("random_state", 0)
    return ShapleyExplainer(model, **kwargs)


register_explainer("shapley", _accepts, _newcomer_explainer)
