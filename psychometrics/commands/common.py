"""What every sub-command shares: how a command is made, its common options and their values.

The commands import these helpers from here, never from :mod:`psychometrics.cli` (which
imports the commands to build the parser): imports run one way, cli -> commands -> common.

* :func:`add_command` makes a sub-command with a description, examples and the README pointer;
* :func:`add_instrument_options` is the ``FILE --instrument --items --id --form --keys
  --on-invalid`` block of every command that reads an export with an instrument, and
  :func:`add_scoring_options` the scoring options of ``score``/``norms``/``classify``;
* :func:`add_output_options` the ``--json``/``-o`` flags; :func:`add_norm_by` and
  :func:`add_group` the two grouping vocabularies with their deprecated ``--by``;
* ``parse_*`` turn option text into the values the package's functions take, raising
  :class:`~psychometrics.errors.OptionError` (through :mod:`psychometrics._checks`);
* :class:`busy` is a status line on a terminal.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import warnings

README_HINT = ("Documentation: README.md of the psychometrics package "
               "(https://pypi.org/project/burnout-psychometrics/), section by command.")

#: Widest help text on a wide terminal (argparse wraps to the terminal, capped here).
HELP_WIDTH = 100
#: Column at which option help starts in ``--help``.
HELP_POSITION = 30
#: Width of a command's description paragraphs in ``--help``.
DESCRIPTION_WIDTH = 88


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped by :func:`add_command`, examples kept as typed, defaults shown."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=HELP_POSITION,
                         width=min(HELP_WIDTH, shutil.get_terminal_size().columns))


def add_command(sub, name: str, *, help: str, description: str, examples: list[str] | str,
                aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """A sub-command with a description, example commands and the README pointer.

    Every command is made through here, so ``psychometrics CMD --help`` always says what the
    command does and shows a command line that works (tests check both).
    """
    examples = [examples] if isinstance(examples, str) else list(examples)
    text = "\n\n".join(textwrap.fill(par, DESCRIPTION_WIDTH) for par in description.split("\n\n"))
    epilog = ("example" + ("s" if len(examples) > 1 else "") + ":\n"
              + "\n".join(f"  {e}" for e in examples) + "\n\n" + README_HINT)
    return sub.add_parser(name, help=help, description=text, epilog=epilog,
                          formatter_class=Formatter, aliases=list(aliases))


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


class WordsThenFile(DeprecatedAlias):
    """``report``'s old ``--by A B``: every word up to the next option, as it always was.

    It used to swallow the file argument too (``report --by department FILE -i ...``): when no
    FILE came before it, its last word is taken as the FILE. Should a FILE still follow
    (``report --by A B -i ... FILE``), :class:`FileArgument` gives the word back as a column.
    """

    def __init__(self, option_strings, dest, **kwargs):
        self.took: tuple[int, str] | None = None  # (namespace id, the word taken as FILE)
        super().__init__(option_strings, dest, nargs="+", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        values = list(values)
        if getattr(namespace, "file", None) is None and len(values) > 1:
            namespace.file = values.pop()
            self.took = (id(namespace), namespace.file)
        super().__call__(parser, namespace, values, option_string)


class FileArgument(argparse.Action):
    """The FILE positional beside :class:`WordsThenFile`: optional to argparse (``--by`` may
    hold it), required by :func:`require_file`; an empty match keeps what ``--by`` took."""

    def __init__(self, option_strings, dest, **kwargs):
        self.by: WordsThenFile | None = None
        super().__init__(option_strings, dest, nargs="?", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if values is None:
            if getattr(namespace, self.dest, None) is None:
                setattr(namespace, self.dest, None)
            return
        took = self.by.took if self.by is not None else None
        if took is not None and took[0] == id(namespace):  # --by's last word was a column
            setattr(namespace, self.by.dest, list(getattr(namespace, self.by.dest)) + [took[1]])
            self.by.took = None
        setattr(namespace, self.dest, values)


def require_file(args: argparse.Namespace, command: str) -> None:
    """FILE given (as argparse says it when a required positional is missing)."""
    if getattr(args, "file", None) is None:
        from ..errors import OptionError
        raise OptionError(f"{command}: the following arguments are required: file", "file")


def add_norm_by(p: argparse.ArgumentParser, *, old_by: bool = True, help: str | None = None) -> None:
    """``--norm-by STRATUM=COLUMN`` (repeatable), with ``--by`` as a deprecated alias."""
    p.add_argument("--norm-by", action="append", metavar="STRATUM=COLUMN", dest="norm_by",
                   help=help or "map a norm stratum to a data column, e.g. --norm-by sex=gender "
                   "(repeatable; STRATUM alone when the column has the stratum's name)")
    if old_by:
        p.add_argument("--by", action=DeprecatedAlias, new="--norm-by", dest="norm_by",
                       metavar="STRATUM=COLUMN", help=argparse.SUPPRESS)


def add_group(p: argparse.ArgumentParser, *, old_by: bool | str = True, required: bool = False,
              help: str | None = None) -> None:
    """``--group COLUMN`` (repeatable or comma-separated), with ``--by`` as a deprecated alias.

    The deprecated ``--by`` takes one column per flag (``--by A --by B`` or ``--by A,B``),
    like ``--group``. ``old_by="words"`` keeps ``report``'s old ``--by A B`` (any number of
    words, see :class:`WordsThenFile`); the command's FILE must then be made by
    :func:`add_instrument_options` with ``file_after_words=True``.
    """
    p.add_argument("--group", action="append", metavar="COLUMN", dest="group",
                   help=(help or "grouping column for the summaries (repeatable or "
                         "comma-separated)") + (" (required)" if required else ""))
    if old_by == "words":  # report: --by A B, kept as it was, without swallowing FILE
        by = p.add_argument("--by", action=WordsThenFile, new="--group", dest="group",
                            metavar="COLUMN", help=argparse.SUPPRESS)
        files = [a for a in p._actions if isinstance(a, FileArgument)]
        if files:
            files[0].by = by
    elif old_by:
        p.add_argument("--by", action=DeprecatedAlias, new="--group", dest="group",
                       metavar="COLUMN", help=argparse.SUPPRESS)


def add_output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] | None = None) -> None:
    """The output flags every command shares; ``formats`` are the extensions ``-o`` accepts."""
    from ..io.formats import TABLE_FORMATS

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


def add_instrument_options(p: argparse.ArgumentParser, *, required: bool = True,
                           instrument_in: argparse._ActionsContainer | None = None,
                           items_option: str = "--items", on_invalid: bool = True,
                           file_after_words: bool = False) -> None:
    """``FILE --instrument ID --items --id --form --keys --on-invalid``: one definition.

    Parameters
    ----------
    p : ArgumentParser
        The command.
    required : bool
        Whether ``--instrument`` is required (it is not where a mutually exclusive
        ``instrument_in`` group offers another source, e.g. ``cfa --model``).
    instrument_in : argument group, optional
        A mutually exclusive group to put ``--instrument`` into (``cfa``, ``efa``, ``omega``).
    items_option : str
        The flag of the item mapping (``efa`` calls it ``--item-map``: its ``--items`` lists
        columns).
    on_invalid : bool
        Whether the command has ``--on-invalid`` (``report`` always treats invalid answers
        as missing and lists them).
    file_after_words : bool
        FILE as a :class:`FileArgument`, for a command with ``add_group(old_by="words")``
        (check it with :func:`require_file`).
    """
    p.add_argument("file", help="the export: .csv (, or ; and decimal commas), .xlsx or .sav",
                   **({"action": FileArgument} if file_after_words else {}))
    (instrument_in or p).add_argument("--instrument", "-i", required=required and instrument_in is None,
                                      help="instrument id or instrument file")
    p.add_argument(items_option, help="item mapping: a pattern such as 'Q{n}', a YAML file, "
                                      "or id=col,...")
    p.add_argument("--id", help="respondent id column")
    p.add_argument("--form", help="answer-direction form (e.g. OLBI agree-low / agree-high)")
    p.add_argument("--keys", help="your own key file overriding the instrument's keys")
    if on_invalid:
        p.add_argument("--on-invalid", choices=["raise", "missing"], default="raise",
                       help="invalid responses: stop with an error (default) or score them "
                            "as missing")


def add_scoring_options(p: argparse.ArgumentParser) -> None:
    """How an export is scored: no-answer codes, the invalid-cell list, the answered minimum."""
    p.add_argument("--missing-codes", help="codes that mean 'no answer', e.g. -99,99")
    p.add_argument("--invalid-out", metavar="FILE",
                   help="write the invalid cells (row, respondent, column, value, problem) to "
                        "this .csv/.xlsx/.json file")
    p.add_argument("--min-answered", action="append", metavar="N|SUBSCALE=N",
                   help="answered items a subscale needs to be scored (default: the "
                        "instrument's rule); N for all subscales or SUBSCALE=N (repeatable)")


def add_stream_options(p: argparse.ArgumentParser) -> None:
    """``--chunksize``: read a file larger than memory in chunks (psychometrics.stream)."""
    p.add_argument("--chunksize", type=int, metavar="N",
                   help="read the file N respondents at a time, for files larger than memory "
                        "(.csv/.parquet in, -o .csv/.parquet out); automatic for Parquet and "
                        "for files over 200 MB")


# --- option values ---------------------------------------------------------------------------


def split_list(values) -> list[str]:
    """Repeatable options that also take comma-separated values: ``--group a,b --group c``."""
    return [v.strip() for item in (values or []) for v in str(item).split(",") if v.strip()]


def parse_items(value: str | None):
    """``--items``: a pattern (``Q{n}``), a YAML file, or ``id=col,id=col``."""
    if value is None or "{" in value or value.endswith((".yaml", ".yml")):
        return value
    from .._checks import check_key_value  # not at the top: `--help` must not load numpy
    hint = "use a pattern like 'Q{n}', a YAML file, or id=column pairs"
    pairs = [check_key_value(p, "items", hint=f"--items {value!r}: {hint}")
             for p in value.split(",") if p.strip()]
    return {k.strip(): v.strip() for k, v in pairs}


def parse_missing_codes(value: str | None) -> list[float] | None:
    """``--missing-codes -99,99`` -> [-99.0, 99.0]."""
    if not value:
        return None
    from .._checks import check_number  # not at the top: `--help` must not load numpy
    return [check_number(part, "missing_codes",
                         hint=f"--missing-codes {value!r}: {part.strip()!r} is not a number; give "
                              "numbers separated by commas, e.g. -99,99")
            for part in value.split(",")]


def parse_norm_by(values: list[str] | None) -> dict | None:
    """``--norm-by sex=gender`` (norm stratum = data column) or ``--norm-by gender``."""
    if not values:
        return None
    out = {}
    for v in split_list(values):
        k, _, col = v.partition("=")
        out[k.strip()] = (col or k).strip()
    return out


def parse_min_answered(values: list[str] | None):
    """``--min-answered 7`` (every subscale) or ``--min-answered EE=7`` (repeatable)."""
    if not values:
        return None
    from .._checks import check_number  # not at the top: `--help` must not load numpy
    out: dict = {}
    for v in values:
        key, sep, num = v.rpartition("=")
        n = check_number(num, "min_answered", whole=True,
                         hint=f"--min-answered {v!r}: use a whole number, or SUBSCALE=NUMBER "
                              "such as EE=7")
        if not sep:
            if len(values) > 1:
                from ..errors import OptionError
                raise OptionError("--min-answered: give one number for all subscales, or "
                                  "SUBSCALE=N per subscale, not both", "min_answered", values)
            return n
        out[key] = n
    return out


def parse_pairs(values: list[str] | None, option: str, example: str) -> dict:
    """``--norms mbi-hss=mbi-hss-overall`` (repeatable) -> {key: value}, both stripped."""
    from .._checks import check_key_value  # not at the top: `--help` must not load numpy
    out = {}
    for v in values or []:
        key, val = check_key_value(v, option.lstrip("-").replace("-", "_"), nonempty=True,
                                   hint=f"{option} {v!r}: use {example}")
        out[key.strip()] = val.strip()
    return out


class busy:
    """A status line on stderr for a long step, only on a terminal (quiet when piped or in CI).

    Examples
    --------
    >>> with busy("bootstrap (2000 resamples)"):
    ...     pass
    """

    #: Characters of the status text shown (the line is cleared with spaces afterwards).
    WIDTH = 70

    def __init__(self, text: str, enabled: bool | None = None):
        self.text = text
        self.enabled = enabled is not False and sys.stderr.isatty()

    def __enter__(self):
        if self.enabled:
            sys.stderr.write(f"\r[working] {self.text:<{self.WIDTH}.{self.WIDTH}}")
            sys.stderr.flush()
        return self

    def __exit__(self, *exc):
        if self.enabled:  # "[working] " is 10 characters, plus the text, plus 2 spare
            sys.stderr.write("\r" + " " * (self.WIDTH + 12) + "\r")
            sys.stderr.flush()
        return False
