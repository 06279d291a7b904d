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
import sys
import warnings
from pathlib import Path

import pandas as pd

from . import __version__
from ._results import jsonable
from .commands import MODULES
from .errors import OptionError, PsychometricsError


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


def add_output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] | None = None) -> None:
    """The output flags every command shares; ``formats`` are the extensions ``-o`` accepts."""
    from .output import TABLE_FORMATS

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
    from .output import check_format, check_not_input

    output = getattr(args, "output", None)
    if output:
        check_not_input(output, _inputs(args))
        check_format(output, getattr(args, "output_formats", ()))


def table_summary(df: pd.DataFrame, path: str) -> str:
    """One screen about a table written to a file: rows, scores, norm set, warnings."""
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
    output = getattr(args, "output", None)
    if output and result is not None:
        from .output import write_result
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
        result = args.func(args)
        emit(result, args)
    except PsychometricsError as exc:
        print(f"error: {cli_message(exc, _flags(parser, argv))}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
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
