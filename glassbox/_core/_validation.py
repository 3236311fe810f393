"""Input validation shared by every glassbox estimator and explainer.

glassbox works internally on one representation of a table: a float64 array of shape
``(n_samples, n_features)`` in which numeric columns hold their values, categorical
columns hold the integer code of their level (as a float) and a missing value is NaN in
either kind. The :class:`FeatureSchema` learnt at ``fit`` remembers the feature names,
which columns are categorical and their levels, and the container and dtypes the user
passed, so that

- ``schema.encode(X)`` turns a DataFrame or array into that representation, and
- ``schema.decode(Z)`` turns (masked, perturbed) rows back into exactly the format the
  wrapped model was fitted on: categories come back as themselves, never as codes.

Categorical columns are pandas ``category``, ``object`` and string columns (and, in a
numpy array of dtype object or str, columns holding strings). They are never cast to
numbers: a column of strings ``"1"``, ``"2"`` stays categorical.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.utils.validation import validate_data

__all__ = [
    "FeatureSchema",
    "feature_index",
    "learn_schema",
    "match_columns",
    "validate_X",
]

UNKNOWN_CODE = -1.0
"""Code of a category that ``fit`` never saw, with ``handle_unknown="use_encoded_value"``."""

_NUMERIC_INFERRED = {"floating", "integer", "mixed-integer-float", "decimal", "boolean", "empty"}
_CATEGORICAL_INFERRED = {"string", "bytes", "categorical", "mixed", "mixed-integer"}


@dataclass(frozen=True, eq=False)
class FeatureSchema:
    """What ``fit`` learnt about the columns of ``X``.

    Attributes
    ----------
    feature_names : ndarray of str of shape (n_features,)
        Column names of a DataFrame, or ``x0, x1, ...`` for an array.
    is_categorical : ndarray of bool of shape (n_features,)
    categories : tuple of length n_features
        The levels (an object ndarray) of each categorical column, ``None`` for numeric
        columns. A level's position is its code.
    dtypes : tuple or None
        The pandas dtype of each column when fitted on a DataFrame.
    is_frame : bool
        Whether ``fit`` received a DataFrame; ``decode`` returns the same container.
    """

    feature_names: np.ndarray
    is_categorical: np.ndarray
    categories: tuple
    dtypes: tuple | None
    is_frame: bool

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @cached_property
    def _column_index(self) -> pd.Index:  # built once: pandas infers an Index's dtype on every frame otherwise
        return pd.Index(self.feature_names)

    def index_of(self, key: int | str, *, context: str = "") -> int:
        """Position of a feature given by name or position (see :func:`feature_index`)."""
        return feature_index(self.feature_names, key, context=context)

    def levels_of(self, z: ArrayLike, j: int) -> np.ndarray:
        """The levels of categorical column ``j`` for codes ``z`` (NaN where missing or unknown)."""
        return _levels_of(np.asarray(z, dtype=np.float64), self.categories[j])

    # -- encoding ------------------------------------------------------------------
    def encode(
        self, X: pd.DataFrame | np.ndarray, *, handle_unknown: Literal["error", "use_encoded_value"] = "error"
    ) -> np.ndarray:
        """Encode validated 2-D ``X`` (DataFrame or ndarray) into float64 codes.

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features)
        handle_unknown : {"error", "use_encoded_value"}
            What to do with a category ``fit`` never saw: raise, or give it the code
            ``-1`` (it then matches no level and is not missing).

        Returns
        -------
        X_encoded : ndarray of shape (n_samples, n_features), dtype float64
        """
        columns = _columns(X)
        out = np.empty((_n_rows(X), self.n_features), dtype=np.float64)
        for j, values in enumerate(columns):
            if self.is_categorical[j]:
                out[:, j] = _encode_categorical(
                    values, self.categories[j], self.feature_names[j], handle_unknown
                )
            else:
                out[:, j] = _to_float(values, self.feature_names[j])
        return out

    def with_levels_of(self, X: pd.DataFrame | np.ndarray) -> FeatureSchema:
        """A schema whose categorical columns also know the levels first seen in ``X``.

        Existing codes are unchanged; new levels are appended. Explainers use it so
        that a row whose category the background never held can still be decoded.
        """
        columns = _columns(X)
        categories = list(self.categories)
        for j in np.flatnonzero(self.is_categorical):
            values = np.asarray(columns[j], dtype=object)
            present = pd.unique(values[~pd.isna(values)])
            new = [v for v in present if v not in set(categories[j].tolist())]
            if new:
                categories[j] = np.concatenate([categories[j], np.asarray(new, dtype=object)])
        return replace(self, categories=tuple(categories))

    # -- decoding ------------------------------------------------------------------
    def decode(self, Z: np.ndarray) -> pd.DataFrame | np.ndarray:
        """Turn encoded rows back into the container and dtypes ``fit`` received.

        Parameters
        ----------
        Z : ndarray of shape (n_rows, n_features)
            Encoded rows, for example masked copies built by an explainer.

        Returns
        -------
        X : DataFrame or ndarray of shape (n_rows, n_features)
        """
        if self.is_frame:
            block = self._float_block_dtype()
            if block is not None:  # numeric columns of one float dtype: one block, no copy for float64
                return pd.DataFrame(Z.astype(block, copy=False), columns=self._column_index, copy=False)
            data = {name: self._decode_column(Z[:, j], j) for j, name in enumerate(self.feature_names)}
            return pd.DataFrame(data, copy=False)
        if not self.is_categorical.any():
            return Z
        return self.display(Z)

    def display(self, Z: np.ndarray) -> np.ndarray:
        """Encoded rows as a person reads them: categories as their levels, NaN as missing.

        Returns a float array when every column is numeric, an object array otherwise.
        """
        if not self.is_categorical.any():
            return np.asarray(Z, dtype=np.float64)
        out = np.asarray(Z, dtype=object).copy()
        for j in np.flatnonzero(self.is_categorical):
            out[:, j] = _levels_of(Z[:, j], self.categories[j])
        return out

    def _float_block_dtype(self):
        """The one NumPy float dtype of every column, or None (categories, integers, mixed)."""
        if self.is_categorical.any() or not self.dtypes:
            return None
        first = self.dtypes[0]
        same = all(isinstance(d, np.dtype) and d == first for d in self.dtypes)
        return first if same and first.kind == "f" else None

    def _decode_column(self, z, j):
        dtype = self.dtypes[j]
        if self.is_categorical[j]:
            levels = self.categories[j]
            if isinstance(dtype, pd.CategoricalDtype):
                codes = np.where(np.isnan(z), -1, z).astype(np.intp)
                if len(levels) != len(dtype.categories):
                    dtype = pd.CategoricalDtype(levels, ordered=dtype.ordered)
                return pd.Categorical.from_codes(codes, dtype=dtype)
            values = _levels_of(z, levels)
            return pd.array(values, dtype=dtype) if _is_string_dtype(dtype) else values
        # An integer or boolean column keeps its dtype only for values it can hold exactly:
        # a baseline mean of 2.5 or a perturbed 3.7 is passed on as a float, never truncated.
        is_bool = pd.api.types.is_bool_dtype(dtype)
        if pd.api.types.is_integer_dtype(dtype) or is_bool:
            present = z[~np.isnan(z)]
            exact = np.isfinite(present).all() and np.array_equal(present, np.round(present))
            exact = exact and (not is_bool or np.isin(present, (0.0, 1.0)).all())
            is_extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
            if not exact or (len(present) < len(z) and not is_extension):  # NaN needs a float (or nullable) column
                return z
        try:
            if isinstance(dtype, pd.api.extensions.ExtensionDtype):
                return pd.array(z, dtype=dtype)
            return z.astype(dtype)
        except (TypeError, ValueError):
            return z


def learn_schema(X: pd.DataFrame | np.ndarray) -> FeatureSchema:
    """Learn the :class:`FeatureSchema` of a 2-D DataFrame or ndarray."""
    return _learn(X, encode=False)[0]


def _learn(X, *, encode):
    """The schema of ``X`` and, with ``encode``, ``X`` encoded by it: what ``learn_schema``
    then ``schema.encode`` give, in one pass over the columns (a categorical column's
    distinct values are found once, for its levels and its codes)."""
    is_frame = isinstance(X, pd.DataFrame)
    if is_frame:
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        dtypes = tuple(X.dtypes)
    else:
        names = np.asarray([f"x{j}" for j in range(X.shape[1])], dtype=object)
        dtypes = None
    is_categorical = np.zeros(len(names), dtype=bool)
    categories = []
    out = np.empty((_n_rows(X), len(names)), dtype=np.float64) if encode else None
    plain = _plain_numeric(X)  # numbers by their dtype alone
    if plain.all() and encode:  # every column read in one conversion, as each column's to_numpy
        out[:] = X.to_numpy(dtype=np.float64)
    columns = [None] * len(names) if plain.all() else _columns(X)
    for j, values in enumerate(columns):
        name = names[j]
        raw = _level_values(values) if encode and not plain[j] else None
        if raw is not None:
            try:
                levels, out[:, j] = _levels_and_codes(raw, name)
            except TypeError:  # unhashable values: the two passes name the first that is not a level
                raw = None
        if raw is None:
            levels = None if plain[j] else _categorical_levels(values, name)
            if values is not None and encode:
                out[:, j] = _to_float(values, name) if levels is None else _encode_categorical(
                    values, levels, name, "error")
        is_categorical[j] = levels is not None
        categories.append(levels)
    return FeatureSchema(names, is_categorical, tuple(categories), dtypes, is_frame), out


def _level_values(values):
    """A column's values as objects when its levels are its distinct strings (string dtypes,
    or objects that pandas infers as strings); None otherwise."""
    if isinstance(values, pd.Series) and _is_string_dtype(values.dtype):
        return values.to_numpy(dtype=object)
    if isinstance(values, pd.Series) and pd.api.types.is_object_dtype(values.dtype):
        values = values.to_numpy(dtype=object)
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "OUS":
        return None
    if values.dtype.kind in "US":
        return values.astype(object)
    return values if pd.api.types.infer_dtype(values, skipna=True) == "string" else None


def _levels_and_codes(raw, name):
    """The sorted levels of an object column of strings and its codes (NaN where missing)."""
    row_value, present = pd.factorize(raw)
    _check_levels(present, name)
    try:
        order = sorted(range(len(present)), key=present.__getitem__)
    except TypeError:
        order = sorted(range(len(present)), key=lambda i: str(present[i]))
    position = np.empty(len(present) + 1)
    position[order], position[-1] = np.arange(len(present)), np.nan
    return np.asarray(present[order], dtype=object), position[row_value]


def validate_X(
    estimator: Any,
    X: ArrayLike | pd.DataFrame,
    *,
    reset: bool,
    allow_nan: bool = True,
    allow_categorical: bool = True,
    handle_unknown: Literal["error", "use_encoded_value"] = "error",
    ensure_min_samples: int = 1,
) -> np.ndarray:
    """Validate ``X`` and encode it as float64 codes (see the module docstring).

    With ``reset=True`` (in ``fit``) the estimator learns ``n_features_in_``,
    ``feature_names_in_`` (for DataFrames with string column names) and its private
    ``_feature_schema``. With ``reset=False`` ``X`` is checked against them; a
    DataFrame whose columns are the fitted ones in another order is reordered by name.
    The user's ``X`` is never modified.

    Parameters
    ----------
    estimator : estimator instance
    X : array-like or DataFrame of shape (n_samples, n_features)
    reset : bool
        Learn the schema (``fit``) or check against it (``predict``, ``explain``...).
    allow_nan : bool, default=True
        The caller's missing-value policy: ``False`` raises on NaN.
    allow_categorical : bool, default=True
        ``False`` raises on categorical columns, naming them.
    handle_unknown : {"error", "use_encoded_value"}, default="error"
        What to do with categories ``fit`` never saw (see :meth:`FeatureSchema.encode`).
    ensure_min_samples : int, default=1

    Returns
    -------
    X_encoded : ndarray of shape (n_samples, n_features), dtype float64
    """
    owner = type(estimator).__name__
    X = _as_2d(X, owner, ensure_min_samples)
    if not reset and isinstance(X, pd.DataFrame):
        X = _reorder_like_fit(estimator, X)
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    X_encoded = None
    if reset:
        schema, X_encoded = _learn(X, encode=True)
        estimator._feature_schema = schema
    else:
        schema = estimator._feature_schema
    if not allow_categorical and schema.is_categorical.any():
        names = ", ".join(repr(n) for n in schema.feature_names[schema.is_categorical])
        raise TypeError(
            f"{owner} needs numeric features, but these columns are categorical: {names}. "
            "Encode them first, for example with sklearn.preprocessing.OneHotEncoder."
        )
    if X_encoded is None:
        X_encoded = schema.encode(X, handle_unknown=handle_unknown)
    _check_finite(X_encoded, schema, owner, allow_nan)
    return X_encoded


def feature_index(
    names: ArrayLike,
    key: Hashable,
    *,
    context: str = "",
    axis: str = "feature",
    where: str = "X",
    error: type[Exception] = ValueError,
    range_error: type[Exception] | None = None,
) -> int:
    """Position of the feature ``key`` (a name, or a position) among ``names``.

    Parameters
    ----------
    names : ndarray of str of shape (n_features,)
    key : str or int
    context : str, default=""
        Where the key came from, said after it in errors (``" (in groups['size'])"``).
    axis, where : str, default="feature", "X"
        What is looked up, and in what, for the error message.
    error : type, default=ValueError
        The exception raised for an unknown name (``KeyError`` when indexing).
    range_error : type, default=None
        The exception raised for a position out of range; ``error`` by default.

    Returns
    -------
    index : int
    """
    names = np.asarray(names, dtype=object)
    n = len(names)
    if isinstance(key, (numbers.Integral, np.integer)) and not isinstance(key, (bool, np.bool_)):
        if not 0 <= key < n:
            raise (range_error or error)(
                f"{axis.capitalize()} {key}{context} is out of range: {where} has {n} {axis}s"
                + (f" (positions 0 to {n - 1})." if n else ".")
            )
        return int(key)
    hits = np.flatnonzero(names == key) if np.ndim(key) == 0 else []
    if len(hits) == 0:
        shown = ", ".join(repr(x) for x in names[:20]) + (" ..." if n > 20 else "")
        article = "an" if axis[:1] in "aeiou" else "a"
        raise error(f"{key!r}{context} is not {article} {axis} of {where}; the {axis}s are {shown}.")
    return int(hits[0])


# -- helpers -------------------------------------------------------------------------
def _as_2d(X, owner, ensure_min_samples):
    """Return a DataFrame or 2-D ndarray, raising clear errors for other shapes."""
    if X is None:
        raise ValueError(f"{owner} expects X of shape (n_samples, n_features); got None.")
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(f"{owner} does not accept sparse matrices; got {type(X).__name__}. Use X.toarray().")
    if isinstance(X, pd.Series):
        raise ValueError(
            f"{owner} expects a 2-D X; got a pandas Series. Reshape your data with "
            "series.to_frame() for a single feature."
        )
    if not isinstance(X, pd.DataFrame):
        if hasattr(X, "to_pandas") and not hasattr(X, "__array__"):
            X = X.to_pandas()
        else:
            X = np.asarray(X)
            if X.dtype.kind == "c":
                raise ValueError(f"Complex data not supported; {owner} got an array of dtype {X.dtype}.")
            if X.ndim != 2:
                raise ValueError(
                    f"{owner} expects a 2-D X of shape (n_samples, n_features); got a {X.ndim}-D "
                    f"array of shape {X.shape}. Reshape your data with X.reshape(-1, 1) for a "
                    "single feature or X.reshape(1, -1) for a single sample."
                )
    n_samples, n_features = X.shape
    if n_samples < ensure_min_samples:
        raise ValueError(
            f"Found array with {n_samples} sample(s) (shape={X.shape}) while a minimum of "
            f"{ensure_min_samples} is required by {owner}."
        )
    if n_features < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required by {owner}."
        )
    return X


def match_columns(estimator: Any, X: Any) -> Any:
    """``X`` with its columns in the order ``fit`` saw, when it is a DataFrame holding them by name.

    glassbox matches columns by name: a DataFrame whose columns are the fitted ones in
    another order is reordered, so that an inner scikit-learn estimator (which checks
    the order) receives them as it was fitted. Anything else comes back as it is.
    """
    return _reorder_like_fit(estimator, X) if isinstance(X, pd.DataFrame) else X


def _reorder_like_fit(estimator, X):
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is None or list(X.columns) == list(fitted):
        return X
    if len(X.columns) == len(fitted) and set(map(str, X.columns)) == set(fitted):
        return X[list(fitted)]
    return X


def _columns(X):
    if isinstance(X, pd.DataFrame):
        return [column for _, column in X.items()]  # by position, without an indexer per column
    return [X[:, j] for j in range(X.shape[1])]


def _plain_numeric(X):
    """Which columns of a DataFrame have a NumPy bool, integer or float dtype (none of an ndarray)."""
    if not isinstance(X, pd.DataFrame):
        return np.zeros(X.shape[1], dtype=bool)
    return np.asarray([isinstance(d, np.dtype) and d.kind in "biuf" for d in X.dtypes], dtype=bool)


def _n_rows(X):
    return X.shape[0]


def _is_string_dtype(dtype):
    return isinstance(dtype, pd.StringDtype)


def _categorical_levels(values, name):
    """The sorted levels of a categorical column, or None for a numeric one."""
    if isinstance(values, pd.Series):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return np.asarray(dtype.categories, dtype=object)
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise TypeError(
                f"Column {name!r} holds dates or times (dtype {dtype}); convert it to numbers, "
                "for example days since a reference date."
            )
        if _is_string_dtype(dtype):
            return _sorted_levels(values.to_numpy(dtype=object))
        if not pd.api.types.is_object_dtype(dtype):
            return None
        values = values.to_numpy(dtype=object)
    elif values.dtype.kind in "US":
        return _sorted_levels(values.astype(object))
    elif values.dtype != object:
        return None
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in _NUMERIC_INFERRED:
        return None
    if kind in _CATEGORICAL_INFERRED:
        return _sorted_levels(values, name)
    raise TypeError(
        f"Column {name!r} holds values of kind {kind!r}; glassbox expects numbers "
        "(numeric features) or strings (categorical features)."
    )


def _sorted_levels(values, name=None):
    """The distinct present values, sorted; checked to be strings or numbers when ``name`` is given."""
    present = _distinct_present(values)
    if name is not None:
        _check_levels(present, name)
    try:
        present = sorted(present)
    except TypeError:
        present = sorted(present, key=str)
    return np.asarray(present, dtype=object)


def _encode_categorical(values, levels, name, handle_unknown):
    raw = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    try:  # one pass over the column: each row's distinct value (-1 where missing)
        row_value, present = pd.factorize(raw)
    except TypeError:  # unhashable values: name the first that is not a level
        _check_levels(raw[~pd.isna(raw)], name)
        raise
    _check_levels(present, name)
    position = pd.Index(levels).get_indexer(present).astype(np.float64)  # of each distinct value
    unknown = position < 0
    if unknown.any():
        if handle_unknown == "error":
            seen = ", ".join(repr(v) for v in present[unknown][:5])
            raise ValueError(
                f"Column {name!r} holds categories that fit never saw: {seen}. Known "
                f"categories: {', '.join(repr(v) for v in levels[:10])}"
                f"{' ...' if len(levels) > 10 else ''}."
            )
        position[unknown] = UNKNOWN_CODE
    return np.append(position, np.nan)[row_value]  # -1 (missing) picks the NaN at the end


_IS_LEVEL = np.frompyfunc(lambda v: isinstance(v, (str, bytes, numbers.Number)), 1, 1)


def _distinct_present(values):
    """The distinct present values of an object column (all present values if unhashable)."""
    try:
        present = pd.unique(values)  # one pass; the missing values are a few of the distinct ones
    except TypeError:  # unhashable values: all of them, so that the first is named
        present = values
    return present[~pd.isna(present)]


def _check_levels(present, name):
    """Raise unless every value of ``present`` (an object column's distinct values) is a level."""
    is_level = _IS_LEVEL(present).astype(bool)
    if not is_level.all():
        bad = present[~is_level][0]
        raise TypeError(
            f"Column {name!r}: argument must be a string or a real number, not {type(bad).__name__!r}."
        )


def _to_float(values, name):
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":  # numbers with None, NaN or pd.NA
        values = pd.Series(values, copy=False)
    try:
        if isinstance(values, pd.Series):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Column {name!r} was numeric at fit but now holds values that are not numbers: {exc}"
        ) from exc


def _levels_of(z, levels):
    """Levels for codes ``z`` (float, NaN for missing, -1 for unknown -> NaN)."""
    valid = ~np.isnan(z) & (z >= 0)
    out = np.full(len(z), np.nan, dtype=object)
    out[valid] = levels[z[valid].astype(np.intp)]
    return out


def _check_finite(X_encoded, schema, owner, allow_nan):
    inf_columns = np.isinf(X_encoded).any(axis=0) & ~schema.is_categorical  # no copy of the values
    if inf_columns.any():
        bad = schema.feature_names[inf_columns]
        raise ValueError(f"Input X contains infinity in {', '.join(map(repr, bad))}; {owner} needs finite values.")
    if not allow_nan:
        nan_columns = np.isnan(X_encoded).any(axis=0)
        if nan_columns.any():
            names = ", ".join(repr(n) for n in schema.feature_names[nan_columns])
            raise ValueError(
                f"Input X contains NaN (missing values) in {names}; {owner} does not accept "
                "missing values. Impute them first, for example with sklearn.impute.SimpleImputer."
            )
