"""The design of the sparse linear models: the terms each column of ``X`` expands into.

A numeric column gives a value term (a missing value replaced by the column's mean) and,
when ``fit`` saw missing values in it, a missing indicator; a categorical column gives
one indicator per level other than its reference level. The terms of a column form one
group, centred and orthonormalised so that the group-lasso penalty reads the size of the
column's whole contribution, whichever level is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["_LEVEL", "_MISSING", "_VALUE", "_Design", "_Terms", "_term_names"]

_VALUE, _MISSING, _LEVEL = 0, 1, 2  # kinds of term


@dataclass(frozen=True, eq=False)
class _Terms:
    """Parallel arrays describing the terms of the linear predictor.

    A numeric column gives a value term (missing values replaced by ``fill``) and, when
    ``fit`` saw missing values in it, a missing indicator. A categorical column gives
    one indicator per level other than the reference level, and a missing indicator
    when missing is one of its non-reference levels.
    """

    feature: np.ndarray  # int (n_terms,): the column of X
    kind: np.ndarray  # int (n_terms,): _VALUE, _MISSING or _LEVEL
    code: np.ndarray  # float (n_terms,): the level code of _LEVEL terms, NaN otherwise
    fill: np.ndarray  # float (n_terms,): what replaces a missing value of a _VALUE term

    def __len__(self):
        return len(self.feature)

    def values(self, X_encoded, index=None):
        """Term values of the encoded rows, shape (n_samples, n_terms[index])."""
        index = np.arange(len(self)) if index is None else np.asarray(index, dtype=np.intp)
        columns = X_encoded[:, self.feature[index]]  # (n, k)
        missing = np.isnan(columns)
        kind = self.kind[index]
        out = np.where(missing, self.fill[index], columns)
        out = np.where(kind == _MISSING, missing, out)
        return np.where(kind == _LEVEL, columns == self.code[index], out).astype(np.float64)


def _build_terms(X, schema, w):
    """Terms of each column and the reference level of each categorical column.

    ``w`` are the normalised sample weights; a level or a missing value counts as seen
    when rows with positive weight hold it. The reference level of a categorical column
    is its most frequent one (by weight; missing counts as a level).
    """
    positive = w > 0
    rows = []  # (feature, kind, code, fill) of each term
    fill_values = np.full(schema.n_features, np.nan)
    references = np.full(schema.n_features, None, dtype=object)
    for j in range(schema.n_features):
        column = X[:, j]
        missing = np.isnan(column)
        has_missing = bool((missing & positive).any())
        if not schema.is_categorical[j]:
            observed = ~missing & positive
            if w[observed].sum() > 0:
                fill_values[j] = np.average(column[observed], weights=w[observed])
            # A column without observed values keeps NaN in fill_values; its term is constant, never used.
            rows.append((j, _VALUE, np.nan, np.nan_to_num(fill_values[j])))
            if has_missing:
                rows.append((j, _MISSING, np.nan, np.nan))
            continue
        n_levels = len(schema.categories[j])
        codes = np.where(missing | (column < 0), n_levels, column).astype(np.intp)
        counts = np.bincount(codes[positive], weights=w[positive], minlength=n_levels + 1)  # last: missing
        reference = int(np.argmax(counts))
        references[j] = np.nan if reference == n_levels else schema.categories[j][reference]
        rows.extend((j, _LEVEL, float(level), np.nan) for level in np.flatnonzero(counts[:n_levels] > 0)
                    if level != reference)
        if has_missing and reference != n_levels:
            rows.append((j, _MISSING, np.nan, np.nan))
    feature, kind, code, fill = (np.asarray(values) for values in zip(*rows))
    terms = _Terms(feature.astype(np.intp), kind.astype(np.intp), code.astype(np.float64), fill.astype(np.float64))
    return terms, fill_values, references


def _term_names(terms, schema):
    """How each term reads: ``age``, ``smoker = yes``, ``bmi is missing``."""
    names = []
    for j, kind, code in zip(terms.feature, terms.kind, terms.code):
        name = schema.feature_names[j]
        if kind == _VALUE:
            names.append(str(name))
        elif kind == _MISSING:
            names.append(f"{name} is missing")
        else:
            names.append(f"{name} = {schema.categories[j][int(code)]}")
    return np.asarray(names, dtype=object)


def _orthonormal_groups(Xc, w, groups):
    """Per group, a map ``T`` such that ``Xc[:, group] @ T`` has identity weighted covariance.

    Returns the list of maps (shape (n_terms_in_group, rank)). A group whose terms are
    linearly dependent keeps the directions of its non-zero variance only.
    """
    maps = []
    for index in groups:
        block = Xc[:, index]
        cov = block.T @ (w[:, None] * block)
        eigval, eigvec = np.linalg.eigh(cov)
        keep = eigval > 1e-10 * max(eigval.max(), 1e-300)
        maps.append(eigvec[:, keep] / np.sqrt(eigval[keep]))
    return maps


@dataclass(frozen=True, eq=False)
class _Design:
    """The terms of the training rows, centred and orthonormalised per column.

    ``Z[:, starts[g]:stops[g]]`` is group ``g``: the terms of column ``features[g]``
    (only those that vary), centred and mapped by ``maps[g]`` to an identity weighted
    covariance.
    """

    terms: _Terms
    fill_values: np.ndarray  # (n_features,)
    reference_levels: np.ndarray  # (n_features,)
    means: np.ndarray  # (n_terms,): weighted mean of each term
    scale: np.ndarray  # (n_terms,): weighted standard deviation of each term
    features: np.ndarray  # (n_groups,): the column of each group
    groups: list  # term indices of each group
    maps: list  # (n_group_terms, rank) of each group
    starts: np.ndarray  # (n_groups,)
    stops: np.ndarray  # (n_groups,)
    Z: np.ndarray  # (n_samples, sum of ranks)

    @classmethod
    def build(cls, X, schema, w, *, keep=None, by_term=False):
        """The design of encoded rows ``X``; only the terms where ``keep`` (all by
        default) enter it, one group per column or, ``by_term``, one per term."""
        terms, fill_values, references = _build_terms(X, schema, w)
        values = terms.values(X)  # (n, n_terms)
        means = w @ values
        is_value = terms.kind == _VALUE
        means[is_value] = terms.fill[is_value]  # the same number up to rounding: a missing value adds exactly 0
        centred = values - means
        scale = np.sqrt(w @ centred**2)
        positive = w > 0
        varies = np.array([_varies(values[positive, t]) for t in range(len(terms))], dtype=bool)
        if keep is not None:
            varies &= keep
        if by_term:
            groups = [np.array([t]) for t in np.flatnonzero(varies)]
            features = terms.feature[varies]
        else:
            features = np.unique(terms.feature[varies])
            groups = [np.flatnonzero(varies & (terms.feature == j)) for j in features]
        maps = _orthonormal_groups(centred, w, groups)
        ranks = np.array([m.shape[1] for m in maps], dtype=np.intp)
        stops = np.cumsum(ranks)
        Z = np.hstack([centred[:, index] @ m for index, m in zip(groups, maps)]) if groups else np.zeros((len(X), 0))
        return cls(terms, fill_values, references, means, scale, features, groups, maps, stops - ranks, stops, Z)

    def term_coefficients(self, coef_z):
        """Coefficients of the (centred) terms, shape (n_terms, K), from those of ``Z``."""
        coef = np.zeros((len(self.terms), coef_z.shape[1]))
        for index, m, a, b in zip(self.groups, self.maps, self.starts, self.stops):
            coef[index] = m @ coef_z[a:b]
        return coef

    def group_spread(self, coef_z):
        """Standard deviation of each group's contribution, shape (n_groups, K)."""
        if not len(self.starts):
            return np.zeros((0, coef_z.shape[1]))
        return np.sqrt(np.add.reduceat(coef_z**2, self.starts, axis=0))

    def feature_spread(self, coef_z, w):
        """Standard deviation of each column's contribution over the rows weighted by ``w``.

        Returns ``(features, spread)``: the columns of ``X`` with a group and the spread
        of each, shape (n, K). A column with one group (orthonormal) has the norm of its
        coefficients; one whose terms are groups of their own (``by_term``) sums them first.
        """
        features = np.unique(self.features)
        if len(features) == len(self.features):
            return self.features, self.group_spread(coef_z)
        spread = np.zeros((len(features), coef_z.shape[1]))
        for i, j in enumerate(features):
            columns = np.concatenate([np.arange(a, b) for a, b, f in zip(self.starts, self.stops, self.features)
                                      if f == j])
            contribution = self.Z[:, columns] @ coef_z[columns]  # (n, K), centred
            spread[i] = np.sqrt(w @ contribution**2)
        return features, spread



def _varies(column):
    return column.size > 0 and column.min() != column.max()
