"""The self-contained HTML report and the ``glassbox`` command line."""

from __future__ import annotations

from ._build import Report, build
from ._table import ReportError, load_table

__all__ = ["Report", "ReportError", "build", "load_table"]
