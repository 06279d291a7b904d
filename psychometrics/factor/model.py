"""Model matrices, parameter table and implied moments of a (multi-group) CFA model.

API (shared by the ML engine in :mod:`psychometrics.factor.cfa` and the WLS engine)
----------------------------------------------------------------------------------
``Model.from_syntax(syntax, observed=None, *, n_groups=1, meanstructure=False, std_lv=False,
group_equal=(), ordered=None)``
    Expands parsed syntax (:func:`psychometrics.factor.syntax.parse`, or a string) into a full
    lavaan-style parameter table, :attr:`Model.partable` (a DataFrame, one row per parameter
    per group, in lavaan's ``parameterEstimates`` order) with columns ``lhs, op, rhs, group``
    (1-based), ``free`` (0 = fixed, otherwise the 1-based index into ``theta``; rows sharing
    an index are equality-constrained), ``ustart`` (value of a fixed row), ``label``, ``user``
    (written by the user), ``mat`` (``lambda``, ``psi``, ``theta``, ``nu``, ``alpha``, ``tau``)
    and ``row``/``col`` (position in that matrix).
``model.n_free``
    Length of the free-parameter vector ``theta`` (equality constraints already applied: this
    is lavaan's ``npar``).
``model.start(covs, means=None)``
    Start values from the per-group sample covariance matrices (and means).
``model.matrices(theta)``
    One dict per group: ``lambda`` (p x m), ``psi`` (m x m), ``theta`` (p x p), ``nu`` (p),
    ``alpha`` (m), ``tau`` (thresholds, in partable order; empty without ``|`` rows).
``model.implied(theta)``
    One ``(Sigma, mu)`` per group; ``Sigma = Lambda Psi Lambda' + Theta``, ``mu = nu + Lambda
    alpha`` (``None`` without a mean structure).
``model.jacobian(theta)``
    One matrix per group, ``d [vech(Sigma); mu] / d theta`` of shape
    ``(p(p+1)/2 [+ p], n_free)``, analytic. ``vech`` is lavaan's: the lower triangle stacked
    column by column (:func:`vech_indices`). Threshold parameters have zero columns here (the
    WLS engine adds its own rows for them).
``model.estimates_frame(theta)``
    The parameter table with an ``est`` column (fixed rows at their value).

Identification follows lavaan's ``cfa()`` defaults: the first loading of each factor is fixed
to 1 (marker variable) unless ``std_lv=True`` (factor variances fixed to 1, all loadings free)
or the user freed it with ``NA*``; residual variances, factor variances and all factor
covariances are free; with a mean structure item intercepts are free and factor means fixed
to 0, except in groups 2.. when intercepts are constrained equal (then factor means are free).
``group_equal`` takes lavaan's names: ``loadings``, ``intercepts``, ``means``, ``residuals``,
``residual.covariances``, ``lv.variances``, ``lv.covariances``, ``thresholds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ModelError
from .syntax import ModelSyntax, parse

__all__ = ["Model", "vech_indices", "GROUP_EQUAL"]

GROUP_EQUAL = ("loadings", "intercepts", "means", "residuals", "residual.covariances",
               "lv.variances", "lv.covariances", "thresholds")


def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of lavaan's ``vech``: lower triangle, column by column."""
    c, r = np.triu_indices(p)
    return r, c


def _kind(op: str, lhs: str, rhs: str, lv: set) -> str:
    """The ``group.equal`` class of a parameter-table row."""
    if op == "=~":
        return "loadings"
    if op == "|":
        return "thresholds"
    if op == "~1":
        return "means" if lhs in lv else "intercepts"
    if lhs in lv:
        return "lv.variances" if lhs == rhs else "lv.covariances"
    return "residuals" if lhs == rhs else "residual.covariances"


@dataclass
class _Slots:
    """Scatter indices of one matrix in one group: ``M[row, col] = theta[free]``."""

    row: np.ndarray
    col: np.ndarray
    free: np.ndarray  # 0-based index into theta, or -1 for fixed
    value: np.ndarray  # fixed value (NaN where free)


class Model:
    """A CFA model with its parameter table; see the module docstring for the API."""

    def __init__(self, partable: pd.DataFrame, observed: Sequence[str], latent: Sequence[str],
                 n_groups: int = 1, meanstructure: bool = False):
        self.partable = partable.reset_index(drop=True)
        self.ov = list(observed)
        self.lv = list(latent)
        self.n_groups = int(n_groups)
        self.meanstructure = bool(meanstructure)
        self.p, self.m = len(self.ov), len(self.lv)
        self.n_free = int(self.partable["free"].max()) if len(self.partable) else 0
        self._vr, self._vc = vech_indices(self.p)
        self._build_slots()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_syntax(cls, syntax: str | ModelSyntax, observed: Sequence[str] | None = None, *,
                    n_groups: int = 1, meanstructure: bool = False, std_lv: bool = False,
                    group_equal: Sequence[str] = (), ordered: dict | None = None) -> Model:
        """Build the model (see module docstring).

        ``observed`` fixes the order of the items (default: order of first appearance in the
        syntax, as lavaan). ``ordered`` maps ordinal item names to their numbers of thresholds:
        their ``|`` rows are added and their intercepts fixed to 0.
        """
        syn = parse(syntax) if isinstance(syntax, str) else syntax
        group_equal = tuple(group_equal)
        bad = [g for g in group_equal if g not in GROUP_EQUAL]
        if bad:
            raise ModelError(f"group_equal: unknown constraint(s) {bad}; use {list(GROUP_EQUAL)}")
        lv = syn.latent
        ov = _observed_order(syn, observed)
        for s in syn.statements:
            if s.n_modifiers > 1 and s.n_modifiers != n_groups:
                raise ModelError(f"'{s.lhs} {s.op} {s.rhs}': c(...) has {s.n_modifiers} values "
                                 f"but the model has {n_groups} group(s)")
        ordered = dict(ordered or {})
        rows: list[dict] = []
        for g in range(n_groups):
            user, user_keys = _user_rows(syn, g, ov, std_lv)
            rows += user
            rows += _default_rows(g, ov, lv, user_keys, ordered, std_lv, group_equal,
                                  meanstructure)
        pt = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "ustart", "label", "user"])
        pt["ustart"] = pt["ustart"].astype(float)
        lvset = set(lv)
        pt["kind"] = [_kind(o, a, b, lvset) for a, o, b in zip(pt["lhs"], pt["op"], pt["rhs"])]
        _number_free(pt, group_equal)
        pt["mat"], pt["row"], pt["col"] = _positions(pt, ov, lv)
        pt = pt[["lhs", "op", "rhs", "group", "free", "ustart", "label", "user", "kind",
                 "mat", "row", "col"]]
        for f in lv:
            if not syn.indicators(f):
                raise ModelError(f"factor {f!r} has no indicators")
        return cls(pt, ov, lv, n_groups=n_groups, meanstructure=meanstructure)

    def _build_slots(self) -> None:
        pt = self.partable
        self._slots: list[dict[str, _Slots]] = []
        for g in range(1, self.n_groups + 1):
            sub = pt[pt["group"] == g]
            d = {}
            for mat in ("lambda", "psi", "theta", "nu", "alpha", "tau"):
                s = sub[sub["mat"] == mat]
                d[mat] = _Slots(s["row"].to_numpy(int), s["col"].to_numpy(int),
                                s["free"].to_numpy(int) - 1, s["ustart"].to_numpy(float))
            self._slots.append(d)

    # ------------------------------------------------------------------ matrices
    def _fill(self, shape, slots: _Slots, theta: np.ndarray, symmetric: bool = False):
        M = np.zeros(shape)
        vals = np.where(slots.free >= 0, theta[np.maximum(slots.free, 0)], slots.value)
        if M.ndim == 1:
            M[slots.row] = vals
            return M
        M[slots.row, slots.col] = vals
        if symmetric:
            M[slots.col, slots.row] = vals
        return M

    def matrices(self, theta) -> list[dict[str, np.ndarray]]:
        """The model matrices of every group at ``theta`` (see module docstring)."""
        theta = np.asarray(theta, dtype=float)
        out = []
        for s in self._slots:
            out.append({
                "lambda": self._fill((self.p, self.m), s["lambda"], theta),
                "psi": self._fill((self.m, self.m), s["psi"], theta, symmetric=True),
                "theta": self._fill((self.p, self.p), s["theta"], theta, symmetric=True),
                "nu": self._fill((self.p,), s["nu"], theta),
                "alpha": self._fill((self.m,), s["alpha"], theta),
                "tau": self._fill((len(s["tau"].row),), s["tau"], theta)})
        return out

    def implied(self, theta) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Model-implied ``(Sigma, mu)`` per group (``mu`` is None without mean structure)."""
        out = []
        for M in self.matrices(theta):
            L = M["lambda"]
            sigma = L @ M["psi"] @ L.T + M["theta"]
            mu = M["nu"] + L @ M["alpha"] if self.meanstructure else None
            out.append((sigma, mu))
        return out

    def jacobian(self, theta) -> list[np.ndarray]:
        """Analytic ``d [vech(Sigma); mu] / d theta`` per group (module docstring)."""
        theta = np.asarray(theta, dtype=float)
        p = self.p
        vr, vc = self._vr, self._vc
        ps = len(vr)
        nrow = ps + (p if self.meanstructure else 0)
        out = []
        for s, M in zip(self._slots, self.matrices(theta)):
            J = np.zeros((nrow, self.n_free))
            L, P = M["lambda"], M["psi"]
            LP = L @ P
            # loadings: dSigma_ab = d_ai LP_bj + d_bi LP_aj ; dmu_i = alpha_j
            sl = s["lambda"]
            k = sl.free >= 0
            for i, j, f in zip(sl.row[k], sl.col[k], sl.free[k]):
                col = (vr == i) * LP[vc, j] + (vc == i) * LP[vr, j]
                J[:ps, f] += col
                if self.meanstructure:
                    J[ps + i, f] += M["alpha"][j]
            sp = s["psi"]
            k = sp.free >= 0
            for i, j, f in zip(sp.row[k], sp.col[k], sp.free[k]):
                if i == j:
                    J[:ps, f] += L[vr, i] * L[vc, i]
                else:
                    J[:ps, f] += L[vr, i] * L[vc, j] + L[vr, j] * L[vc, i]
            st = s["theta"]
            k = st.free >= 0
            if k.any():
                pos = {(a, b): n for n, (a, b) in enumerate(zip(vr, vc))}
                for i, j, f in zip(st.row[k], st.col[k], st.free[k]):
                    a, b = max(i, j), min(i, j)
                    J[pos[(a, b)], f] += 1.0
            if self.meanstructure:
                sn = s["nu"]
                k = sn.free >= 0
                np.add.at(J, (ps + sn.row[k], sn.free[k]), 1.0)
                sa = s["alpha"]
                k = sa.free >= 0
                for j, f in zip(sa.row[k], sa.free[k]):
                    J[ps:, f] += L[:, j]
            out.append(J)
        return out

    # ------------------------------------------------------------------ start values
    def start(self, covs: Sequence[np.ndarray], means: Sequence[np.ndarray] | None = None
              ) -> np.ndarray:
        """Start values: per-factor first principal axis of the indicators' covariances.

        Loadings from the leading eigenvector of each factor's indicator block (rescaled to
        the marker), residual variances half the item variances (lavaan's "simple" rule),
        factor covariances 0, intercepts the sample means. Only the final estimate matters.
        """
        theta = np.zeros(self.n_free)
        seen = np.zeros(self.n_free, dtype=bool)
        pt = self.partable
        for g in range(self.n_groups):
            S = np.asarray(covs[g], dtype=float)
            sub = pt[pt["group"] == g + 1]
            lam, var = {}, {}
            for f in self.lv:
                rows = sub[(sub["op"] == "=~") & (sub["lhs"] == f)]
                idx = [self.ov.index(v) for v in rows["rhs"]]
                block = S[np.ix_(idx, idx)]
                w, V = np.linalg.eigh(block)
                v = V[:, -1] * np.sqrt(max(w[-1], 1e-6))
                if v.sum() < 0:
                    v = -v
                fixed = rows["ustart"].to_numpy()
                ref = next((n for n, val in enumerate(fixed) if not np.isnan(val) and val != 0),
                           None)
                if ref is not None and abs(v[ref]) > 1e-8:
                    scale = v[ref] / fixed[ref]
                    var[f] = scale ** 2
                    v = v / scale
                else:
                    var[f] = 1.0
                for name, val in zip(rows["rhs"], v):
                    lam[name, f] = val
            for r in sub.itertuples(index=False):
                if r.free == 0 or seen[r.free - 1]:
                    continue
                if r.op == "=~":
                    val = lam.get((r.rhs, r.lhs), 1.0)
                elif r.op == "~~" and r.lhs == r.rhs:
                    if r.lhs in self.lv:
                        val = var.get(r.lhs, 1.0)
                    else:
                        val = 0.5 * S[self.ov.index(r.lhs), self.ov.index(r.lhs)]
                elif r.op == "~1" and r.lhs in self.ov and means is not None:
                    val = float(means[g][self.ov.index(r.lhs)])
                else:
                    val = 0.0
                theta[r.free - 1] = val
                seen[r.free - 1] = True
        return theta

    # ------------------------------------------------------------------ output
    def estimates_frame(self, theta) -> pd.DataFrame:
        """The parameter table with ``est`` (free rows from ``theta``, fixed at ``ustart``)."""
        theta = np.asarray(theta, dtype=float)
        pt = self.partable.copy()
        free = pt["free"].to_numpy()
        est = pt["ustart"].to_numpy(float).copy()
        est[free > 0] = theta[free[free > 0] - 1]
        pt["est"] = est
        return pt


# ---------------------------------------------------------------------- building the table
def _observed_order(syn: ModelSyntax, observed: Sequence[str] | None) -> list[str]:
    """The items in the caller's order (default: first appearance in the syntax, as lavaan)."""
    ov_syntax = syn.observed
    if observed is None:
        return ov_syntax
    ov = list(observed)
    missing = [v for v in ov_syntax if v not in ov]
    if missing:
        raise ModelError(f"model variables {missing} are not among the observed "
                         f"variables {ov}")
    return ov


def _user_rows(syn: ModelSyntax, g: int, ov: list, std_lv: bool) -> tuple[list, set]:
    """The rows written in the syntax for group ``g`` (marker loadings or factor variances
    fixed to 1 unless written free), and their (lhs, op, rhs) keys."""
    lv = syn.latent
    lvset = set(lv)
    rows, user_keys = [], set()
    first_loading: dict[str, bool] = {}
    for s in syn.statements:
        fixed, label, explicit_free = s.modifier(g)
        lhs, rhs = s.lhs, s.rhs
        if s.op == "~~" and lhs not in lvset and rhs in lvset:
            lhs, rhs = rhs, lhs
        if s.op == "~~" and (lhs in lvset) == (rhs in lvset):
            order = lv if lhs in lvset else ov
            if order.index(lhs) > order.index(rhs):
                lhs, rhs = rhs, lhs
        if s.op == "~~" and (lhs in lvset) != (rhs in lvset):
            raise ModelError(f"'{s.lhs} ~~ {s.rhs}': a covariance between a factor and "
                             "an item is not a CFA parameter")
        key = (lhs, s.op, rhs)
        user_keys.add(key)
        value = fixed
        if fixed is None and s.op == "=~" and not first_loading.get(lhs):
            first_loading[lhs] = True
            if not std_lv and not explicit_free:
                value = 1.0
        elif s.op == "=~":
            first_loading[lhs] = True
        if s.op == "~~" and lhs == rhs and lhs in lvset and std_lv and fixed is None \
                and not explicit_free:
            value = 1.0
        rows.append(dict(lhs=lhs, op=s.op, rhs=rhs, group=g + 1, ustart=value,
                         label=label, user=True))
    return rows, user_keys


def _default_rows(g: int, ov: list, lv: list, user_keys: set, ordered: dict, std_lv: bool,
                  group_equal: tuple, meanstructure: bool) -> list:
    """lavaan's implied rows of group ``g`` that the syntax did not write: residual and factor
    (co)variances, thresholds of ordinal items, intercepts and factor means."""
    rows = []
    for v in ov:
        if (v, "~~", v) not in user_keys:
            rows.append(dict(lhs=v, op="~~", rhs=v, group=g + 1,
                             ustart=1.0 if v in ordered else None, label=None,
                             user=False))
    for f in lv:
        if (f, "~~", f) not in user_keys:
            fixed_var = std_lv and not (g > 0 and "loadings" in group_equal)
            rows.append(dict(lhs=f, op="~~", rhs=f, group=g + 1,
                             ustart=1.0 if fixed_var else None, label=None, user=False))
    for i, f1 in enumerate(lv):
        for f2 in lv[i + 1:]:
            if (f1, "~~", f2) not in user_keys:
                rows.append(dict(lhs=f1, op="~~", rhs=f2, group=g + 1, ustart=None,
                                 label=None, user=False))
    for v, k in ordered.items():
        for t in range(1, int(k) + 1):
            if (v, "|", f"t{t}") not in user_keys:
                rows.append(dict(lhs=v, op="|", rhs=f"t{t}", group=g + 1, ustart=None,
                                 label=None, user=False))
    if meanstructure:
        for v in ov:
            if (v, "~1", "") not in user_keys:
                rows.append(dict(lhs=v, op="~1", rhs="", group=g + 1,
                                 ustart=0.0 if v in ordered else None, label=None,
                                 user=False))
        for f in lv:
            if (f, "~1", "") not in user_keys:
                free_mean = g > 0 and ("intercepts" in group_equal
                                       or "thresholds" in group_equal) \
                    and "means" not in group_equal
                rows.append(dict(lhs=f, op="~1", rhs="", group=g + 1,
                                 ustart=None if free_mean else 0.0, label=None,
                                 user=False))
    return rows


def _number_free(pt: pd.DataFrame, group_equal: tuple) -> None:
    """Set ``pt["free"]``: free-parameter indices, shared by equal labels and group.equal."""
    free = np.zeros(len(pt), dtype=int)
    by_key: dict = {}
    n = 0
    for i, r in enumerate(pt.itertuples(index=False)):
        if not np.isnan(r.ustart):
            continue
        keys = []
        if isinstance(r.label, str):
            keys.append(("label", r.label))
        if r.kind in group_equal:
            keys.append(("eq", r.lhs, r.op, r.rhs))
        idx = next((by_key[k] for k in keys if k in by_key), None)
        if idx is None:
            n += 1
            idx = n
        for k in keys:
            by_key.setdefault(k, idx)
        free[i] = idx
    pt["free"] = free
    # a label on a fixed row (e.g. the marker) fixes every row with that label
    fixed_labels = {r.label: r.ustart for r in pt.itertuples()
                    if isinstance(r.label, str) and not np.isnan(r.ustart)}
    if fixed_labels:
        for i, r in enumerate(pt.itertuples(index=False)):
            if r.label in fixed_labels and free[i]:
                pt.loc[i, "ustart"] = fixed_labels[r.label]
                pt.loc[i, "free"] = 0
        # renumber
        used = sorted(set(pt["free"]) - {0})
        remap = {old: k + 1 for k, old in enumerate(used)}
        pt["free"] = [remap.get(f, 0) for f in pt["free"]]


def _positions(pt: pd.DataFrame, ov: list, lv: list) -> tuple[list, list, list]:
    """Matrix name, row and column of every row of the parameter table."""
    mats, rr, cc = [], [], []
    ovi = {v: i for i, v in enumerate(ov)}
    lvi = {f: i for i, f in enumerate(lv)}
    tau_count: dict = {}
    for r in pt.itertuples(index=False):
        if r.op == "=~":
            if r.rhs not in ovi:
                raise ModelError(f"'{r.lhs} =~ {r.rhs}': {r.rhs!r} is not an observed variable")
            mats.append("lambda")
            rr.append(ovi[r.rhs])
            cc.append(lvi[r.lhs])
        elif r.op == "~~":
            if r.lhs in lvi:
                mats.append("psi")
                rr.append(lvi[r.rhs])
                cc.append(lvi[r.lhs])
            else:
                mats.append("theta")
                rr.append(ovi[r.rhs])
                cc.append(ovi[r.lhs])
        elif r.op == "~1":
            mats.append("alpha" if r.lhs in lvi else "nu")
            rr.append(lvi[r.lhs] if r.lhs in lvi else ovi[r.lhs])
            cc.append(0)
        else:  # thresholds, in partable order per group
            k = tau_count.get(r.group, 0)
            tau_count[r.group] = k + 1
            mats.append("tau")
            rr.append(k)
            cc.append(0)
    return mats, rr, cc
