"""Command-line interface: parse, call the public functions, print. No statistics here.

Every sub-command lives in ``psychometrics/commands/<name>.py`` (``register(subparsers)``).
Handlers return a result; this module prints it as a readable table or, with ``--json``, as
JSON, writes it with ``-o``, and turns package errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import sys
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from ._results import jsonable
from .commands import MODULES
from .errors import OptionError, PsychometricsError

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd

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


def add_output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] | None = None) -> None:
    """The output flags every command shares; ``formats`` are the extensions ``-o`` accepts."""
    from .io.formats import TABLE_FORMATS

    formats = tuple(formats or TABLE_FORMATS)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("-o", "--output",
                   help=f"write the result to this file, in the format of its extension "
                        f"({', '.join(formats)})")
    if any(f in formats for f in (".csv", ".xlsx")):
        p.add_argument("--raw-values", action="store_true",
                       help="write text starting with = + - @ as it is in .csv/.xlsx "
                            "(default: a leading ' keeps spreadsheets from running it)")
    p.set_defaults(output_formats=formats)


def _inputs(args: argparse.Namespace) -> list[str]:
    """Every file-like argument of the command (the export, item maps, key and norm files)."""
    out = []
    for name, value in vars(args).items():
        if name == "output":
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                out.append(v.partition("=")[2] if "=" in v and not Path(v).exists() else v)
    return out


def check_output(args: argparse.Namespace) -> None:
    """Refuse a bad ``-o`` before any work is done: unsupported extension or an input file."""
    from .io.writers import check_format, check_not_input

    output = getattr(args, "output", None)
    if output:
        check_not_input(output, _inputs(args))
        check_format(output, getattr(args, "output_formats", ()))


def table_summary(df: pd.DataFrame, path: str) -> str:
    """One screen about a table written to a file: rows, scores, norm set, warnings."""
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    meta = df.attrs.get("psychometrics") or {}
    lines = [f"wrote {len(df)} rows x {df.shape[1]} columns to {path}"]
    if meta.get("instrument"):
        lines.append(f"instrument: {meta['instrument']}"
                     + (f" (form {meta['form']})" if meta.get("form") else ""))
    subs = [s for s in (meta.get("scoring") or {}) if s in df.columns]
    if subs:
        stats = df[subs].astype(float).agg(["count", "mean", "std", "min", "max"]).T
        stats["scale"] = [meta["scoring"][s] for s in subs]
        with pd.option_context("display.width", 120):
            lines.append(stats.round(2).to_string())
    for key, what in (("prorated", "prorated"), ("unscored", "not scored")):
        counts = {k: v for k, v in (meta.get(key) or {}).items() if v}
        if counts:
            lines.append(f"{what}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    norms = meta.get("norms")
    if isinstance(norms, dict) and norms.get("id"):
        lines.append(f"norm set: {norms['id']} (n = {norms.get('n')}; {norms.get('source')})")
        if norms.get("by"):
            lines.append(f"norm strata: {norms['by']} ({norms.get('matched')})")
        if norms.get("fallback_n"):
            lines.append(f"overall norm by fallback: {norms['fallback_n']} respondent(s)")
    return "\n".join(lines[:40])


def _as_json(result) -> object:
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    if isinstance(result, pd.DataFrame):
        if not isinstance(result.index, pd.RangeIndex):  # respondent labels are kept
            result = result.reset_index(names=[n or "respondent" for n in result.index.names])
        return jsonable(json.loads(result.to_json(orient="records", force_ascii=False,
                                                  date_format="iso")))
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return jsonable(result)


def emit(result, args) -> None:
    """Print (and optionally write) a handler's result."""
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    output = getattr(args, "output", None)
    if output and result is not None:
        from .io.writers import write_result
        options = {k: v for k, v in vars(args).items()
                   if k not in ("func", "output_formats") and not callable(v)}
        write_result(result, output, formats=getattr(args, "output_formats", ()),
                     inputs=_inputs(args), options=options,
                     neutralise_formulas=not getattr(args, "raw_values", False),
                     id=getattr(args, "id", None))
        if isinstance(result, pd.DataFrame) and not getattr(args, "json", False):
            print(table_summary(result, output))  # the table is in the file, not on screen
            return
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
    from .report.methods import readable_note  # {'EE': 7} -> EE 7: no Python reprs for a user
    return f"warning: {one_line(readable_note(str(message)))}\n"


def one_line(message: str, limit: int = 600) -> str:
    """A message on one line (a validation error lists several problems on several lines),
    at most ``limit`` characters."""
    text = "; ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return text if len(text) <= limit else text[:limit] + " ..."


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


# Python keyword syntax in a message: on_invalid="missing", n_boot=0, convert=True
_KEYWORD = re.compile(r"\b([a-z][a-z0-9_]*)=(?:(['\"])(.*?)\2|(-?[0-9][0-9.]*|True)\b)")


def cli_message(exc: PsychometricsError, flags: set[str]) -> str:
    """A package error in the CLI's words, on one line.

    Python keyword syntax becomes the command's flag (``on_invalid="missing"`` ->
    ``--on-invalid missing``) where the command has that flag; an :class:`OptionError` names
    its flag instead of its keyword.
    """
    text = " ".join(str(exc).split())  # one line, whatever the message looked like

    def flag_of(name: str) -> str | None:
        f = "--" + name.replace("_", "-")
        return f if f in flags else None

    def keyword(m: re.Match) -> str:
        f = flag_of(m.group(1))
        if f is None:
            return m.group(0)
        value = m.group(3) if m.group(2) else m.group(4)
        return f"{f} {value}" if value not in ("True",) else f

    text = _KEYWORD.sub(keyword, text)
    if isinstance(exc, OptionError) and exc.option:
        f = flag_of(exc.option)
        if f is not None:
            text = re.sub(rf"^{re.escape(exc.option)}\b", f, text)
        return text
    return f"{type(exc).__name__}: {text}"


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning  # no source lines on a user's terminal
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_output(args)
        from .limits import parse_limit_options, use_limits
        with use_limits(**parse_limit_options(getattr(args, "limit", None))):
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
        print(f"error: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
              "this is a bug in psychometrics, please report it (set PSYCHOMETRICS_DEBUG=1 "
              "for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
