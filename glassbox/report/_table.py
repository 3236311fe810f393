"""The table of a report: read as it comes, columns that cannot be features left out and
said, and the summary a reader checks first (rows, column types, missing cells, levels,
the target's balance)."""

from __future__ import annotations

import csv
import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._core import format_number

__all__ = ["ReportError", "data_summary", "load_table", "unusable_columns"]

_DATE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*$")
_MIN_ID_ROWS = 20  # fewer rows than this, all distinct values are no sign of an identifier


class ReportError(ValueError):
    """A problem with the input of a report, told in one line."""


def load_table(source: pd.DataFrame | str | PathLike[str], *, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV path (or take a DataFrame) with text columns as categories.

    Parameters
    ----------
    source : DataFrame or path to a CSV file
    sep : str, default=None
        The delimiter; ``None`` sniffs it from the file's first lines among ``,``
        ``;`` tab and ``|`` (a comma when nothing else fits).

    Raises
    ------
    ReportError
        For a missing, unreadable or empty file, with a one-line reason.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise ReportError(f"no such file: {path}")
        try:
            frame = pd.read_csv(path, sep=sep or _sniff(path))
        except pd.errors.EmptyDataError:
            raise ReportError(f"{path} is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
        except OSError as exc:
            raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    if frame.empty or frame.shape[1] == 0:
        raise ReportError("the table has no rows or no columns")
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_object_dtype(column.dtype) or isinstance(column.dtype, pd.StringDtype):
            frame[name] = column.astype("category")
    return frame


def _sniff(path):
    """The delimiter of a CSV file, read from its first lines; a comma when unsure."""
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as file:
            sample = file.read(64_000)
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except (csv.Error, OSError):
        return ","


def unusable_columns(X: pd.DataFrame) -> dict[str, str]:
    """Columns that are not features, each with the reason: identifiers and dates.

    An identifier has a distinct value on every row (integers or text, at least 20
    rows): a model can only memorise it. A date column holds datetimes, or text
    written as dates (``2024-03-01``, ``3/1/2024``, with or without a time): its values
    never come again in new data.
    """
    reasons = {}
    for name in X.columns:
        column = X[name]
        present = column.dropna()
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            reasons[str(name)] = "a date"
            continue
        is_text = isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(column.dtype)
        if is_text and len(present) and present.astype(str).str.match(_DATE).all():
            reasons[str(name)] = "a date"
            continue
        is_integer = pd.api.types.is_integer_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
        if (is_integer or is_text) and len(column) >= _MIN_ID_ROWS and present.nunique() == len(column):
            reasons[str(name)] = "an identifier (a distinct value on every row)"
    return reasons


def data_summary(X: pd.DataFrame, y: pd.Series, task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables: one row per feature (type, missing cells, distinct values, a range or
    the most frequent levels), and the target's balance (classes) or distribution.
    """
    rows = []
    for name in X.columns:
        column = X[name]
        categorical = not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)
        if categorical:
            counts = column.astype(object).value_counts()
            shown = ", ".join(f"{level} ({n})" for level, n in counts.head(4).items())
            values = shown + (f", {len(counts) - 4} more" if len(counts) > 4 else "")
        else:
            values = f"{format_number(column.min())} to {format_number(column.max())}, median {format_number(column.median())}"
        rows.append({
            "column": str(name),
            "type": "categorical" if categorical else "numeric",
            "missing": int(column.isna().sum()),
            "distinct": int(column.nunique()),
            "values": values,
        })
    features = pd.DataFrame(rows, columns=["column", "type", "missing", "distinct", "values"])
    if task == "classification":
        counts = y.astype(object).value_counts()
        target = pd.DataFrame({"class": [str(c) for c in counts.index], "rows": counts.to_numpy(),
                               "share": [f"{share:.1%}" for share in counts.to_numpy() / len(y)]})
    else:
        quantiles = np.quantile(y.to_numpy(dtype=float), [0, 0.25, 0.5, 0.75, 1])
        target = pd.DataFrame({"statistic": ["minimum", "quartile 1", "median", "quartile 3", "maximum", "mean"],
                               "value": [format_number(q) for q in quantiles] + [format_number(y.mean())]})
    return features, target
