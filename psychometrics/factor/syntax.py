"""Parser for the lavaan model syntax used by confirmatory factor models.

Supported (as lavaan's ``lavParseModelString`` for these operators)::

    visual  =~ x1 + x2 + x3          # measurement: factor "is measured by" items
    textual =~ NA*x4 + a*x5 + 1*x6   # NA*: free a marker, label*: equality label, 0.5*: fixed
    visual  ~~ textual               # (co)variance, free unless pre-multiplied by a number
    x1 ~~ 0.3*x1                     # fixed residual variance
    x1 ~ 1                           # intercept (mean structure)
    x1 | t1 + t2                     # thresholds (ordinal items; used by the WLS estimator)
    F =~ c(1, NA)*x1 + c(a, b)*x2    # per-group modifiers in multi-group models

Statements are separated by newlines or ``;``; ``#`` and ``!`` start comments; a statement
may continue on the next line after a trailing operator or ``+``. Regressions (``~``),
defined parameters (``:=``) and explicit constraints (``==``, ``<``, ``>``) are not CFA
syntax and raise :class:`~psychometrics.errors.ModelError` naming the statement.

The result of :func:`parse` is a :class:`ModelSyntax`: a list of :class:`Statement` rows
(``lhs``, ``op``, ``rhs``, ``fixed``, ``label``, ``free``) that :mod:`psychometrics.factor.model`
expands into a full parameter table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ModelError

__all__ = ["Statement", "ModelSyntax", "parse"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# longest operators first so "=~" is not read as "="
_OPS = ("=~", "~~", ":=", "==", "<", ">", "|", "~")


@dataclass(frozen=True)
class Statement:
    """One ``lhs op rhs`` element of the model, with its modifiers.

    ``fixed``, ``label`` and ``free`` are tuples with one entry per group when the statement
    used ``c(...)``, otherwise a single entry that applies to every group.

    Attributes
    ----------
    lhs, op, rhs : str
        As lavaan's parameter table (``op`` one of ``=~``, ``~~``, ``~1``, ``|``).
    fixed : tuple of float or None
        Fixed value per group (``None`` = not fixed by the user).
    label : tuple of str or None
        Equality label per group (equal labels mean one shared free parameter).
    free : tuple of bool
        ``True`` where the user wrote ``NA*`` (explicitly free, e.g. the first loading).
    """

    lhs: str
    op: str
    rhs: str
    fixed: tuple = (None,)
    label: tuple = (None,)
    free: tuple = (False,)

    def modifier(self, group: int) -> tuple[float | None, str | None, bool]:
        """``(fixed, label, explicitly_free)`` for group ``group`` (0-based)."""
        def pick(t):
            return t[group] if len(t) > 1 else t[0]
        return pick(self.fixed), pick(self.label), pick(self.free)

    @property
    def n_modifiers(self) -> int:
        return max(len(self.fixed), len(self.label), len(self.free))


@dataclass(frozen=True)
class ModelSyntax:
    """Parsed model: statements in the order written, plus convenience lookups."""

    statements: list[Statement] = field(default_factory=list)
    source: str = ""

    @property
    def latent(self) -> list[str]:
        """Latent variables in order of first definition (``lhs`` of ``=~``)."""
        out: list[str] = []
        for s in self.statements:
            if s.op == "=~" and s.lhs not in out:
                out.append(s.lhs)
        return out

    @property
    def observed(self) -> list[str]:
        """Observed variables in order of first appearance (lavaan's ``lavNames(, "ov")``)."""
        lv = set(self.latent)
        out: list[str] = []

        def add(name):
            if name and name not in lv and name not in out:
                out.append(name)
        for s in self.statements:
            if s.op == "=~":
                add(s.rhs)
        for s in self.statements:
            if s.op in ("~~", "~1", "|"):
                add(s.lhs)
                if s.op == "~~":
                    add(s.rhs)
        return out

    def indicators(self, factor: str) -> list[str]:
        return [s.rhs for s in self.statements if s.op == "=~" and s.lhs == factor]


def _strip_comments(text: str) -> str:
    return "\n".join(re.split(r"[#!]", line, maxsplit=1)[0] for line in text.splitlines())


def _statements(text: str) -> list[str]:
    """Split into statements, joining lines that end (or the next begins) with an operator."""
    raw = [s.strip() for chunk in _strip_comments(text).split(";") for s in chunk.split("\n")]
    raw = [s for s in raw if s]
    out: list[str] = []
    for s in raw:
        if out and (out[-1].endswith(("+", "=~", "~~", "~", "*", "|", "="))
                    or s.startswith(("+", "*"))):
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
    return out


def _split_op(stmt: str) -> tuple[str, str, str]:
    # find the first operator occurrence (outside parentheses)
    depth = 0
    i = 0
    while i < len(stmt):
        ch = stmt[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            for op in _OPS:
                if stmt.startswith(op, i):
                    return stmt[:i].strip(), op, stmt[i + len(op):].strip()
        i += 1
    raise ModelError(f"model statement {stmt!r} has no operator (expected '=~', '~~', '~ 1' or '|')")


def _split_terms(rhs: str) -> list[str]:
    terms, depth, cur = [], 0, ""
    for ch in rhs:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "+" and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    terms.append(cur.strip())
    return terms


def _parse_value(tok: str, stmt: str) -> tuple[float | None, str | None, bool]:
    tok = tok.strip()
    if tok in ("NA", "na"):
        return None, None, True
    if _NUMBER.match(tok):
        return float(tok), None, False
    if _NAME.match(tok):
        return None, tok, False
    raise ModelError(f"model statement {stmt!r}: cannot read modifier {tok!r} "
                     "(expected a number, NA or a label)")


def _parse_term(term: str, stmt: str) -> tuple[str, tuple, tuple, tuple]:
    if not term:
        raise ModelError(f"model statement {stmt!r}: empty term (a stray '+'?)")
    parts = [p.strip() for p in term.split("*")]
    if len(parts) > 2:
        # lavaan allows several modifiers (e.g. start(.5)*a*x1); keep the last fixed/label
        parts = [parts[-2], parts[-1]]
    name = parts[-1]
    if not _NAME.match(name) and not (name == "1"):
        raise ModelError(f"model statement {stmt!r}: {name!r} is not a variable name")
    fixed: tuple = (None,)
    label: tuple = (None,)
    free: tuple = (False,)
    if len(parts) == 2:
        mod = parts[0]
        m = re.fullmatch(r"c\((.*)\)", mod)
        if m:
            vals = [_parse_value(v, stmt) for v in m.group(1).split(",")]
        elif re.fullmatch(r"(start|equal|label)\(.*\)", mod):
            inner = re.fullmatch(r"(\w+)\((.*)\)", mod)
            kind, arg = inner.group(1), inner.group(2).strip().strip("'\"")
            vals = [(None, arg, False)] if kind in ("equal", "label") else [(None, None, False)]
        else:
            vals = [_parse_value(mod, stmt)]
        fixed = tuple(v[0] for v in vals)
        label = tuple(v[1] for v in vals)
        free = tuple(v[2] for v in vals)
    return name, fixed, label, free


def parse(model: str) -> ModelSyntax:
    """Parse lavaan model syntax into statements.

    Parameters
    ----------
    model : str
        lavaan syntax (see the module docstring for what is supported).

    Returns
    -------
    ModelSyntax

    Raises
    ------
    ModelError
        Unknown operator, unsupported statement (regressions, ``:=``, ``==``), bad modifier,
        or a model without any ``=~`` statement.

    Examples
    --------
    >>> m = parse("visual =~ x1 + a*x2 + 0.5*x3  # comment\\nvisual ~~ x1")
    >>> [(s.lhs, s.op, s.rhs, s.fixed[0], s.label[0]) for s in m.statements]
    [('visual', '=~', 'x1', None, None), ('visual', '=~', 'x2', None, 'a'), ('visual', '=~', 'x3', 0.5, None), ('visual', '~~', 'x1', None, None)]
    >>> m.latent, m.observed
    (['visual'], ['x1', 'x2', 'x3'])
    """
    if not isinstance(model, str):
        raise ModelError(f"model must be lavaan syntax (a string), got {type(model).__name__}")
    out: list[Statement] = []
    for stmt in _statements(model):
        lhs, op, rhs = _split_op(stmt)
        if op in (":=", "==", "<", ">"):
            raise ModelError(f"model statement {stmt!r}: operator {op!r} (defined parameters / "
                             "explicit constraints) is not supported; use equal labels instead")
        if not lhs:
            raise ModelError(f"model statement {stmt!r}: nothing left of {op!r}")
        if not _NAME.match(lhs):
            raise ModelError(f"model statement {stmt!r}: {lhs!r} is not a variable name")
        if not rhs:
            raise ModelError(f"model statement {stmt!r}: nothing right of {op!r}")
        if op == "~":
            terms = [_parse_term(t, stmt) for t in _split_terms(rhs)]
            if len(terms) == 1 and terms[0][0] == "1":
                _, fixed, label, free = terms[0]
                out.append(Statement(lhs, "~1", "", fixed, label, free))
                continue
            raise ModelError(f"model statement {stmt!r}: regressions ('~') are not part of a "
                             "CFA model; only '=~', '~~', '~ 1' and '|' are supported")
        for t in _split_terms(rhs):
            name, fixed, label, free = _parse_term(t, stmt)
            if name == "1":
                raise ModelError(f"model statement {stmt!r}: '1' is only valid in 'x ~ 1'")
            if op == "|" and not re.fullmatch(r"t\d+", name):
                raise ModelError(f"model statement {stmt!r}: thresholds are named t1, t2, ...")
            out.append(Statement(lhs, op, name, fixed, label, free))
    if not any(s.op == "=~" for s in out):
        raise ModelError("the model defines no latent variable: expected at least one "
                         "'factor =~ item1 + item2 + ...' statement")
    latent = {s.lhs for s in out if s.op == "=~"}
    for s in out:
        if s.op == "=~" and s.rhs in latent:
            raise ModelError(f"{s.lhs} =~ {s.rhs}: higher-order factors are not supported")
    seen = set()
    for s in out:
        key = (s.lhs, s.op, s.rhs) if s.op != "~~" else (s.op, *sorted((s.lhs, s.rhs)))
        if key in seen:
            raise ModelError(f"'{s.lhs} {s.op} {s.rhs}' is specified twice")
        seen.add(key)
    return ModelSyntax(out, model)
