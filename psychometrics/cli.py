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

import pandas as pd

from . import __version__
from ._results import jsonable
from .commands import MODULES
from .errors import PsychometricsError


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): ``error: score: ... (see --help)``."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    seen = set()
    for command in sub.choices.values():  # every command reads files: one way to raise the limits
        if id(command) in seen:
            continue
        seen.add(id(command))
        command.add_argument("--limit", action="append", metavar="NAME=VALUE",
                             help="raise a reading limit, e.g. --limit max_bytes=1e9 (limits: "
                                  "max_bytes, max_cell_chars, max_rows, max_columns, max_cells, "
                                  "max_yaml_bytes)")
    return parser


def add_output_options(p: argparse.ArgumentParser) -> None:
    """The output flags every command shares."""
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-o", "--output", help="write the result to this file (.csv, .xlsx, .sav, .json, .html)")


def _as_json(result) -> object:
    if isinstance(result, pd.DataFrame):
        return jsonable(json.loads(result.to_json(orient="records", force_ascii=False)))
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return jsonable(result)


def emit(result, args) -> None:
    """Print (and optionally write) a handler's result."""
    output = getattr(args, "output", None)
    if output and Path(output).is_dir():
        from .errors import ExportError
        raise ExportError(f"-o {output}: is a folder; give a file name such as "
                          f"{Path(output) / 'scores.csv'}")
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
    return f"warning: {one_line(str(message))}\n"


def one_line(message: str, limit: int = 600) -> str:
    """A message on one line (a validation error lists several problems on several lines),
    at most ``limit`` characters."""
    text = "; ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return text if len(text) <= limit else text[:limit] + " ..."


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning  # no source lines on a user's terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from .limits import parse_limit_options, use_limits
        with use_limits(**parse_limit_options(getattr(args, "limit", None))):
            result = args.func(args)
            emit(result, args)
    except PsychometricsError as exc:
        print(f"error: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
