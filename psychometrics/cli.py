"""Command-line interface: parse, call the public functions, print. No statistics here.

Every sub-command lives in ``psychometrics/commands/<name>.py`` (``register(subparsers)``).
Handlers return a result; this module prints it as a readable table or, with ``--json``, as
JSON, writes it with ``-o``, and turns package errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
from pathlib import Path

from . import __version__
from ._results import jsonable
from .commands import MODULES
from .errors import PsychometricsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psychometrics",
        description="Score, norm and validate burnout questionnaires.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in MODULES:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue
            raise
        module.register(sub)
    return parser


def add_output_options(p: argparse.ArgumentParser) -> None:
    """The output flags every command shares."""
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-o", "--output", help="write the result to this file (.csv, .xlsx, .sav, .json, .html)")


def _as_json(result) -> object:
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    if isinstance(result, pd.DataFrame):
        return jsonable(json.loads(result.to_json(orient="records", force_ascii=False)))
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return jsonable(result)


def emit(result, args) -> None:
    """Print (and optionally write) a handler's result."""
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    output = getattr(args, "output", None)
    if output and isinstance(result, pd.DataFrame):
        from .io import write_table
        write_table(result, output)
    elif output and hasattr(result, "to_dict") and not str(output).endswith(".html"):
        Path(output).write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    if getattr(args, "json", False):
        print(json.dumps(_as_json(result), indent=2, ensure_ascii=False, default=str))
    elif isinstance(result, pd.DataFrame):
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50,
                               "display.width", 200):
            print(result.to_string())
    elif hasattr(result, "summary"):
        print(result.summary())
    elif result is not None:
        print(result)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning  # no source lines on a user's terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
        emit(result, args)
    except PsychometricsError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
