"""Coefficients of a linear model as signed bars."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._core import format_number
from ..explanation import _resolve_index
from ._words import readable_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CoefficientDisplay"]


class CoefficientDisplay:
    """Signed horizontal bars of a linear model's coefficients, one panel per output.

    Terms are ordered by their largest absolute coefficient over the outputs, the
    largest on top, so the panels of a multiclass model line up; positive coefficients
    are red, negative ones blue. Standardised coefficients are the change of the output
    per standard deviation of each term, and each term's label gives that standard
    deviation in the term's own units (``"age (sd 13.6)"``), so a bar reads back into
    the data's units.

    Build it with :meth:`from_estimator`; :meth:`plot` draws it.

    Parameters
    ----------
    coef : ndarray of shape (n_terms, n_outputs)
    term_names : array-like of shape (n_terms,)
    output_names : array-like of shape (n_outputs,), default=None
        A title per panel; no title when ``None``.
    xlabel : str, default="coefficient"
    term_scales : array-like of shape (n_terms,), default=None
        The standard deviation of each term, added to its label.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes of shape (n_outputs,)
    ax_ : matplotlib Axes
        The first (with one output, the only) panel.
    figure_ : matplotlib Figure
    bars_ : list of BarContainer
        One per panel, one bar per term, top to bottom in the order of ``term_names``.

    See Also
    --------
    ImportanceDisplay : Unsigned importances of any explanation.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from glassbox.models import SparseLinearRegressor
    >>> from glassbox.plot import CoefficientDisplay
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    >>> model = SparseLinearRegressor(max_features=3).fit(X, y)
    >>> disp = CoefficientDisplay.from_estimator(model).plot()
    >>> disp.term_names.tolist(), disp.ax_.get_xlabel()
    (['bmi', 's5', 'bp'], 'standardized coefficient (change per standard deviation of the term)')
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['bmi (sd 4.41)', 's5 (sd 0.522)', 'bp (sd 13.8)']
    """

    def __init__(
        self,
        coef: np.ndarray,
        term_names: ArrayLike,
        *,
        output_names: ArrayLike | None = None,
        xlabel: str = "coefficient",
        term_scales: ArrayLike | None = None,
    ) -> None:
        coef = np.asarray(coef, dtype=np.float64)
        self.coef = coef[:, None] if coef.ndim == 1 else coef
        self.term_names = np.asarray(term_names, dtype=object)
        if len(self.term_names) != len(self.coef):
            raise ValueError(
                f"CoefficientDisplay needs one name per coefficient; got {len(self.term_names)} names for "
                f"{len(self.coef)} coefficients."
            )
        self.output_names = None if output_names is None else np.asarray(output_names, dtype=object)
        self.xlabel = xlabel
        self.term_scales = None if term_scales is None else np.asarray(term_scales, dtype=np.float64)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike | None = None,
        *,
        standardized: bool | Literal["auto"] = "auto",
        output: Hashable | None = None,
        max_terms: int = 20,
    ) -> CoefficientDisplay:
        """The coefficients of a fitted linear model.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted :class:`~glassbox.models.SparseLinearClassifier`,
            :class:`~glassbox.models.SparseLinearRegressor`, or scikit-learn linear model
            (anything with ``coef_``), alone or as the last step of a Pipeline, whose
            other steps then name the terms (``get_feature_names_out``).
        X : array-like of shape (n_samples, n_features), default=None
            Rows to standardise a scikit-learn model's coefficients by: each is
            multiplied by the standard deviation of its column of ``X`` (as the model
            sees it, after the Pipeline's other steps).
        standardized : bool or "auto", default="auto"
            Whether to show coefficients per standard deviation of their term (which
            compares terms measured in different units) rather than per unit. ``"auto"``
            standardises when the scale is known: always for glassbox models (their
            ``standardized_coef_``), for scikit-learn models when ``X`` is given.
        output : label, int or None, default=None
            One output only: a class label of a classifier, or else a position.
            ``None`` draws every output, one panel each. A binary model's coefficients
            are the log-odds of ``classes_[1]``; ``output=classes_[0]`` draws those of
            ``classes_[0]``, the same bars with every sign turned.
        max_terms : int, default=20
            Most terms shown (the largest). Terms whose coefficients are all zero are
            left out.

        Returns
        -------
        display : CoefficientDisplay
        """
        model = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        check_is_fitted(model)
        if not hasattr(model, "coef_"):
            raise TypeError(
                "CoefficientDisplay needs a fitted linear model with coef_ (SparseLinearClassifier, "
                f"SparseLinearRegressor or a scikit-learn linear model); got {type(model).__name__}."
            )
        if standardized not in (True, False, "auto"):
            raise ValueError(f"standardized must be True, False or 'auto'; got {standardized!r}.")
        is_glassbox = hasattr(model, "standardized_coef_")
        if standardized == "auto":
            standardized = is_glassbox or X is not None
        scales = None
        if is_glassbox:
            names = np.asarray(model.terms_, dtype=object)
            coef = model.standardized_coef_ if standardized else model.coef_
            if standardized:
                raw, scaled = np.atleast_2d(model.coef_), np.atleast_2d(model.standardized_coef_)
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(raw != 0, np.abs(scaled / raw), 0.0).max(axis=0)  # 0 for unused terms
                scales = np.where(ratio > 0, ratio, np.nan)
        else:
            names = _input_names(estimator, model)
            coef = model.coef_
            if standardized:
                if X is None:
                    raise ValueError(
                        f"Standardising the coefficients of a {type(model).__name__} needs X, the rows to take each "
                        "column's standard deviation from; pass X, or standardized=False."
                    )
                Xt = estimator[:-1].transform(X) if isinstance(estimator, Pipeline) else X
                Xt = Xt.toarray() if hasattr(Xt, "toarray") else Xt  # a sparse one-hot encoding
                scales = np.std(np.asarray(Xt, dtype=np.float64), axis=0)
                coef = np.atleast_2d(coef) * scales
        coef = np.atleast_2d(np.asarray(coef, dtype=np.float64)).T  # (n_terms, n_outputs)
        titles = _output_titles(model, coef.shape[1])
        if output is not None:
            if titles is None:
                keys = np.arange(coef.shape[1])
            elif len(model.classes_) == 2:
                keys = np.asarray(model.classes_[1:], dtype=object)
                negative = model.classes_[0]
                if coef.shape[1] == 1 and not (keys == output).any() and negative == output:
                    # The log-odds of classes_[0] are minus those of classes_[1]: every sign turns.
                    coef, keys = -coef, np.asarray([negative], dtype=object)
                    titles = np.asarray([f"class {negative}"], dtype=object)
            else:
                keys = np.asarray(model.classes_, dtype=object)
            hits = np.flatnonzero(keys == output)  # a class label first, then a position
            column = hits[:1] if len(hits) else _resolve_index(output, keys, "output")
            coef = coef[:, column]
            titles = None if titles is None else titles[column]
        keep = np.flatnonzero((coef != 0).any(axis=1))
        order = keep[np.argsort(-np.abs(coef[keep]).max(axis=1), kind="stable")][:max_terms]
        if standardized:
            xlabel = "standardized coefficient (change per standard deviation of the term)"
        else:
            xlabel = "coefficient (change per unit of the term)"
        return cls(coef[order], names[order], output_names=titles, xlabel=xlabel,
                   term_scales=None if scales is None else scales[order])

    def plot(
        self,
        ax: Axes | ArrayLike | None = None,
        *,
        positive_color: Any = "#c44e52",
        negative_color: Any = "#4c72b0",
        **bar_kw: Any,
    ) -> CoefficientDisplay:
        """Draw one panel per output and return ``self``.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per output; a new figure by default.
        positive_color, negative_color : color
        **bar_kw
            Passed to ``barh``.
        """
        import matplotlib.pyplot as plt

        n_terms, n_outputs = self.coef.shape
        if ax is None:
            _, axes = plt.subplots(1, n_outputs, figsize=(3.2 * n_outputs + 1.8, 0.35 * n_terms + 1.4),
                                   sharey=True, squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != n_outputs:
                raise ValueError(f"CoefficientDisplay.plot needs {n_outputs} axes, one per output; got {len(axes)}.")
        positions = np.arange(n_terms)[::-1]  # the first term on top
        self.bars_ = []
        for k, axis in enumerate(axes):
            values = self.coef[:, k]
            colors = np.where(values >= 0, positive_color, negative_color)
            self.bars_.append(axis.barh(positions, values, **{"color": colors, **bar_kw}))
            axis.axvline(0.0, color="grey", linewidth=0.8)
            axis.set_yticks(positions, labels=self._term_labels())
            readable_axis(axis.xaxis)
            axis.set_xlabel(self.xlabel)
            if self.output_names is not None:
                axis.set_title(str(self.output_names[k]))
        self.axes_ = np.asarray(axes, dtype=object)
        self.ax_, self.figure_ = axes[0], axes[0].figure
        return self

    def _term_labels(self):
        if self.term_scales is None:
            return [str(name) for name in self.term_names]
        return [f"{name} (sd {format_number(scale, 3)})" if np.isfinite(scale) else str(name)
                for name, scale in zip(self.term_names, self.term_scales)]


def _input_names(estimator, model):
    """The names of the columns the linear model sees."""
    n_features = np.atleast_2d(model.coef_).shape[1]
    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        try:
            return np.asarray(estimator[:-1].get_feature_names_out(), dtype=object)
        except (AttributeError, ValueError, TypeError):
            pass
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return np.asarray(names, dtype=object)
    return np.asarray([f"x{j}" for j in range(n_features)], dtype=object)


def _output_titles(model, n_outputs):
    """A title per output: the class a row of coefficients scores, none for one regression target."""
    if is_classifier(model):
        classes = model.classes_
        shown = classes[1:] if len(classes) == 2 and n_outputs == 1 else classes
        return np.asarray([f"class {c}" for c in shown], dtype=object)
    if n_outputs == 1:
        return None
    return np.asarray([f"target {k}" for k in range(n_outputs)], dtype=object)
