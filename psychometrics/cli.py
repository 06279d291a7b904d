"""Command-line interface: build the parser, run the sub-command, turn errors into one line.

Every sub-command lives in ``psychometrics/commands/<name>.py`` (``register(subparsers)``),
built with the shared helpers of :mod:`psychometrics.commands.common`. Handlers return a
result; :mod:`psychometrics.commands.printing` prints it as a readable table or, with
``--json``, as JSON, writes it with ``-o``, and states package errors in one clear line
(exit code 2).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from . import __version__
from .commands import MODULES
from .commands.common import README_HINT, Formatter
from .commands.printing import check_output, cli_message, emit, one_line, one_line_warning
from .errors import PsychometricsError
from .progress import show_progress

#: Characters of an unexpected exception's text shown in the one-line bug message.
BUG_TEXT = 300


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): ``error: score: ... (see --help)``."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``psychometrics`` parser: every command of :data:`~psychometrics.commands.MODULES`,
    each with ``--limit`` to raise the reading limits."""
    parser = _Parser(
        prog="psychometrics", formatter_class=Formatter,
        description="Score, norm and validate burnout questionnaires (MBI, OLBI, UBOS, CBI, "
                    "4DKL, BAT, SMBM, UWES) with numbers that agree with R.",
        epilog="start with:\n"
               "  psychometrics instruments list\n"
               "  psychometrics report export.csv -i mbi-hss --id ResponseId -o report.html\n"
               "  psychometrics COMMAND --help     (every command has an example)\n\n"
               + README_HINT)
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


def _flags(parser: argparse.ArgumentParser, argv: list[str] | None) -> set[str]:
    """The option strings of the (sub-)command that was run, e.g. {"--level", "-o", ...}."""
    words = list(sys.argv[1:] if argv is None else argv)
    flags: set[str] = set()
    current = parser
    while current is not None:
        nxt = None
        for action in current._actions:
            flags.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                for w in words:
                    if w in action.choices:
                        nxt = action.choices[w]
                        words = words[words.index(w) + 1:]
                        break
        current = nxt
    return flags


def main(argv: list[str] | None = None) -> int:
    """Run one command line; returns the exit code (0 done, 2 a user's error, 1 a bug,
    130 interrupted)."""
    warnings.formatwarning = one_line_warning  # no source lines on a user's terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_output(args)
        from .limits import parse_limit_options, use_limits
        with use_limits(**parse_limit_options(getattr(args, "limit", None))):
            # bootstraps draw a progress bar on a terminal (never when piped); --no-progress
            # of `report` switches it off
            with show_progress(not getattr(args, "no_progress", False)):
                result = args.func(args)
            emit(result, args)
    except PsychometricsError as exc:
        print(f"error: {one_line(cli_message(exc, _flags(parser, argv)))}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a bug must not become a traceback
        if os.environ.get("PSYCHOMETRICS_DEBUG"):
            raise
        print(f"error: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:BUG_TEXT]}); "
              "this is a bug in psychometrics, please report it (set PSYCHOMETRICS_DEBUG=1 "
              "for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
