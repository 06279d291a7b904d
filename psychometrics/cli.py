"""Command-line interface: parse, call the public functions, print. No statistics here.

Every sub-command lives in ``psychometrics/commands/<name>.py`` (``register(subparsers)``).
Handlers return a result; this module prints it as a readable table or, with ``--json``, as
JSON, writes it with ``-o``, and turns package errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd

from . import __version__
from ._results import jsonable
from .commands import MODULES
from .errors import PsychometricsError

README_HINT = ("Documentation: README.md of the psychometrics package "
               "(https://pypi.org/project/burnout-psychometrics/), section by command.")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped by :func:`add_command`, examples kept as typed, defaults shown."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=30, width=min(100, shutil.get_terminal_size().columns))


def add_command(sub, name: str, *, help: str, description: str, examples: list[str] | str,
                aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """A sub-command with a description, example commands and the README pointer.

    Every command is made through here, so ``psychometrics CMD --help`` always says what the
    command does and shows a command line that works (tests check both).
    """
    examples = [examples] if isinstance(examples, str) else list(examples)
    text = "\n\n".join(textwrap.fill(par, 88) for par in description.split("\n\n"))
    epilog = ("example" + ("s" if len(examples) > 1 else "") + ":\n"
              + "\n".join(f"  {e}" for e in examples) + "\n\n" + README_HINT)
    return sub.add_parser(name, help=help, description=text, epilog=epilog,
                          formatter_class=_Formatter, aliases=list(aliases))


class DeprecatedAlias(argparse.Action):
    """An old option spelling kept for one release: stores like the new one, with a warning."""

    def __init__(self, option_strings, dest, new: str, append: bool = True, **kwargs):
        self.new, self.append = new, append
        kwargs.setdefault("help", f"deprecated spelling of {new}")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        warnings.warn(f"{option_string} is deprecated and will be removed in the next release; "
                      f"use {self.new}", FutureWarning, stacklevel=2)
        if self.append:
            items = list(getattr(namespace, self.dest, None) or [])
            items.extend(values if isinstance(values, list) else [values])
            setattr(namespace, self.dest, items)
        else:
            setattr(namespace, self.dest, values)


def add_norm_by(p: argparse.ArgumentParser, *, old_by: bool = True, help: str | None = None) -> None:
    """``--norm-by STRATUM=COLUMN`` (repeatable), with ``--by`` as a deprecated alias."""
    p.add_argument("--norm-by", action="append", metavar="STRATUM=COLUMN", dest="norm_by",
                   help=help or "map a norm stratum to a data column, e.g. --norm-by sex=gender "
                   "(repeatable; STRATUM alone when the column has the stratum's name)")
    if old_by:
        p.add_argument("--by", action=DeprecatedAlias, new="--norm-by", dest="norm_by",
                       metavar="STRATUM=COLUMN", help=argparse.SUPPRESS)


def add_group(p: argparse.ArgumentParser, *, old_by: bool = True, required: bool = False,
              help: str | None = None, old_nargs: str | None = None) -> None:
    """``--group COLUMN`` (repeatable or comma-separated), with ``--by`` as a deprecated alias.

    ``old_nargs="+"`` keeps the old ``--by A B`` of ``report`` working as it did (it then takes
    every following word, so ``--group`` is the spelling that cannot swallow the file).
    """
    p.add_argument("--group", action="append", metavar="COLUMN", dest="group",
                   help=(help or "grouping column for the summaries (repeatable or "
                         "comma-separated)") + (" (required)" if required else ""))
    if old_by:
        p.add_argument("--by", action=DeprecatedAlias, new="--group", dest="group",
                       metavar="COLUMN", help=argparse.SUPPRESS, nargs=old_nargs)


def split_list(values) -> list[str]:
    """Repeatable options that also take comma-separated values: ``--group a,b --group c``."""
    return [v.strip() for item in (values or []) for v in str(item).split(",") if v.strip()]


class busy:
    """A status line on stderr for a long step, only on a terminal (quiet when piped or in CI).

    Examples
    --------
    >>> with busy("bootstrap (2000 resamples)"):
    ...     pass
    """

    def __init__(self, text: str, enabled: bool | None = None):
        self.text = text
        self.enabled = enabled is not False and sys.stderr.isatty()

    def __enter__(self):
        if self.enabled:
            sys.stderr.write(f"\r[working] {self.text:<70.70}")
            sys.stderr.flush()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            sys.stderr.write("\r" + " " * 82 + "\r")
            sys.stderr.flush()
        return False


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block): ``error: score: ... (see --help)``."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="psychometrics", formatter_class=_Formatter,
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
        body = _as_json(result)
        extra = getattr(args, "json_extra", None)
        if extra is not None:  # e.g. score: {"scores": [...], "invalid": [...]}
            body = {"scores": body, **jsonable(extra)}
        print(json.dumps(body, indent=2, ensure_ascii=False, default=str))
    elif isinstance(result, pd.DataFrame):
        if result.attrs.get("title"):  # e.g. norms show --ci: what the CIs are
            print(result.attrs["title"])
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50,
                               "display.width", 200):
            print(result.to_string())
    elif hasattr(result, "summary"):
        print(result.summary())
    elif result is not None:
        print(result)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    from .methods import readable_note  # {'EE': 7} -> EE 7: no Python reprs for a user
    return f"warning: {one_line(readable_note(str(message)))}\n"


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
