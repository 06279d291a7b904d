"""How the CLI shows a result and an error: tables, ``--json``, ``-o``, one-line messages.

:func:`emit` prints (and with ``-o`` writes) what a command's handler returned;
:func:`cli_message` restates a package error in the CLI's words, on one line.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .._results import jsonable
from ..errors import OptionError, PsychometricsError

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd

#: Longest error message printed: a validation error can list thousands of cells.
MESSAGE_LIMIT = 600
#: Lines of the summary of a table written with ``-o``: one screen.
SUMMARY_LINES = 40


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
    from ..io.writers import check_format, check_not_input

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
    return "\n".join(lines[:SUMMARY_LINES])


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
        from ..io.writers import write_result
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


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    from ..report.methods import readable_note  # {'EE': 7} -> EE 7: no Python reprs for a user
    return f"warning: {one_line(readable_note(str(message)))}\n"


def one_line(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message on one line (a validation error lists several problems on several lines),
    at most ``limit`` characters."""
    text = "; ".join(part.strip() for part in str(message).splitlines() if part.strip())
    return text if len(text) <= limit else text[:limit] + " ..."


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
