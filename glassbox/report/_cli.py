"""The ``glassbox`` command line: ``glassbox report DATA.csv --target COL``, ``glassbox --version``."""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings

from .. import __version__
from ._build import build
from ._table import ReportError

__all__ = ["main"]


def _parser():
    parser = argparse.ArgumentParser(prog="glassbox", description="Interpretable machine learning reports.")
    parser.add_argument("--version", action="version", version=f"glassbox {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="fit transparent models and a black box on a CSV file and write one self-contained HTML report",
        description="Read a CSV as it comes (categorical columns, missing values), cross-validate transparent "
        "models and a black box, and write the accuracy-complexity front, the chosen model, a surrogate, "
        "importances, effects and local explanations to one HTML file.",
    )
    report.add_argument("data", help="path to a CSV file with a header row")
    report.add_argument("--target", required=True, help="the column to predict")
    report.add_argument("--task", choices=["auto", "classification", "regression"], default="auto")
    report.add_argument("-o", "--output", default="report.html", help="where to write the report (report.html)")
    report.add_argument("--cv", type=int, default=5, help="cross-validation folds (5)")
    report.add_argument("--random-state", type=int, default=0)
    report.add_argument("--drop", nargs="+", default=[], metavar="COL", help="columns to leave out of the features")
    report.add_argument("--sep", default=None, help="the CSV delimiter (sniffed by default: , ; tab |)")
    report.add_argument("--positive-class", default=None, help="for a binary target, the class whose probability "
                        "the report shows (the second in sorted order by default)")
    report.add_argument("--threshold", type=float, default=None, help="for a binary target, the probability of the "
                        "positive class from which a held-out row is given that class (0.5)")
    report.add_argument("--title", default=None, help="the report's title")
    report.add_argument("--slice", action="append", default=[], metavar="COL", dest="slices",
                        help="score the chosen model per cohort of this column (repeatable)")
    report.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")
    report.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line
            report = _run(args, sys.argv[1:] if argv is None else argv)
    except ReportError as exc:
        print(f"glassbox: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a last line of defence: one line, unless --debug
        if args.debug:
            raise
        print(f"glassbox: error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1
    print(f"report written to {report.path}")
    return 0


def _run(args, argv):
    return build(
        args.data,
        args.target,
        task=args.task,
        output=args.output,
        cv=args.cv,
        random_state=args.random_state,
        verbose=not args.quiet,
        title=args.title,
        drop=args.drop,
        sep=args.sep,
        positive_class=args.positive_class,
        threshold=args.threshold,
        slices=args.slices,
        command=" ".join(["glassbox", *map(shlex.quote, argv)]),
    )


def _one_line(message, category, *args, **kwargs):
    """A warning as one line on standard error: ``glassbox: warning: Left out 'id': ...``."""
    print(f"glassbox: warning: {message}", file=sys.stderr)
