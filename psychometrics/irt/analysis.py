"""An instrument's IRT analysis in one call: a model per subscale, DIF, cut-off precision.

What the ``psychometrics irt`` command and the report section run. Each of the instrument's
own (non-composite) subscales is fitted separately (one factor per subscale), on its
validated and reverse-keyed items (:func:`psychometrics.keyed_items`). For the Rasch family
each scored answer becomes its rank on the instrument's scale (0, 1, 2, ...: CML needs
0-based categories; ``category_offset`` and the scale step map them back); the graded
response model uses the scored answers as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._checks import check_choice, check_level
from .._results import Result, jsonable
from ..errors import DataError, MissingColumnError
from ..threads import blas_limited

__all__ = ["irt_analysis", "IRTAnalysis", "SubscaleIRT"]

_MODELS = ("rasch", "pcm", "rsm", "grm")


@dataclass(frozen=True)
class SubscaleIRT(Result):
    """One subscale's model, with its DIF analysis and cut-off precision when asked."""

    subscale: str
    items: list
    offset: float
    step: float
    model: object
    dif: object = None
    precision: object = None

    def to_dict(self) -> dict:
        out = {"subscale": self.subscale, "items": list(self.items),
               "category_offset": self.offset, "category_step": self.step,
               "model": self.model.to_dict()}
        if callable(getattr(self.model, "itemfit", None)):
            out["itemfit"] = jsonable(self.model.itemfit())
        if self.dif is not None:
            out["dif"] = self.dif.to_dict()
        if self.precision is not None:
            out["cutoff_precision"] = self.precision.to_dict()
        return out

    def summary(self) -> str:
        from .._results import format_table

        parts = [f"== {self.subscale} ({len(self.items)} items)", self.model.summary()]
        if callable(getattr(self.model, "itemfit", None)):
            parts.append(format_table(self.model.itemfit()[["outfit_msq", "infit_msq",
                                                            "outfit_t", "infit_t"]],
                                      "Item fit"))
        if self.dif is not None:
            parts.append(self.dif.summary())
        if self.precision is not None:
            parts.append(self.precision.summary())
        return "\n\n".join(parts)


@dataclass(frozen=True)
class IRTAnalysis(Result):
    """IRT results per subscale of an instrument (``subscales``: id -> :class:`SubscaleIRT`)."""

    instrument: str
    model: str
    subscales: dict
    source: str | None = None

    def to_dict(self) -> dict:
        return {"instrument": self.instrument, "model": self.model, "source": self.source,
                "subscales": {k: v.to_dict() for k, v in self.subscales.items()}}

    def summary(self) -> str:
        head = (f"IRT ({self.model}) of {self.instrument}"
                + (f" in {self.source}" if self.source else ""))
        return "\n\n".join([head] + [v.summary() for v in self.subscales.values()])


@blas_limited
def irt_analysis(data: pd.DataFrame, instrument, *, model: str = "pcm", link: str = "logit",
                 subscales=None, dif: str | None = None, alpha: float = 0.01,
                 cutoff: float | None = None, items=None, form: str | None = None, keys=None,
                 id: str | None = None, on_invalid: str = "raise",
                 source: str | None = None) -> IRTAnalysis:
    """Fit an IRT model to every own subscale of an instrument, with DIF and a cut-off.

    Parameters
    ----------
    data : DataFrame
        The export (items under the instrument's names or mapped by ``items``).
    instrument : str or Instrument
    model : {"rasch", "pcm", "rsm", "grm"}
    link : {"logit", "probit"}
        GRM only.
    subscales : list of str, optional
        Subscale ids to fit (default: the instrument's own, non-composite subscales).
    dif : str, optional
        A column of ``data`` with the groups (language, sex, country).
    alpha : float
        DIF flagging level.
    cutoff : float, optional
        A cut-off on the subscale's score as the instrument scores it (a sum or a mean of
        the scored items), whose precision to report; needs exactly one subscale.
    items, form, keys, id, on_invalid
        As for :func:`psychometrics.score`.

    Returns
    -------
    IRTAnalysis

    References
    ----------
    Masters, G. N. (1982). A Rasch model for partial credit scoring. Psychometrika, 47,
    149-174.
    Andrich, D. (1978). A rating formulation for ordered response categories. Psychometrika,
    43, 561-573.
    Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
    scores. Psychometrika Monograph 17.
    Mair, P., & Hatzinger, R. (2007). Extended Rasch modeling: The eRm package. Journal of
    Statistical Software, 20(9).
    """
    from ..instruments import load_instrument
    from ..scoring import keyed_items

    check_choice(model, _MODELS, "model")
    check_choice(link, ("logit", "probit"), "link")
    alpha = check_level(alpha, "alpha")
    inst = load_instrument(instrument, keys=keys, form=form)
    own = _subscales(inst, subscales, cutoff)
    if dif is not None and dif not in data.columns:
        raise MissingColumnError(f"{source or 'data'}: no DIF group column {dif!r}")
    blocks = keyed_items(data, inst, items=items, id=id, on_invalid=on_invalid, subscales=own)
    values = np.unique(np.asarray(inst.scale.scored_values, float))
    out = {}
    for sid, frame in blocks.items():
        out[sid] = _fit_subscale(sid, frame, inst, values, model=model, link=link,
                                 groups=None if dif is None else data.loc[frame.index, dif],
                                 alpha=alpha, cutoff=cutoff)
    return IRTAnalysis(instrument=inst.id, model=model, subscales=out, source=source)


def _subscales(inst, subscales, cutoff) -> list:
    """The subscales to fit: the instrument's own (non-composite, non-secondary) ones or the
    ones asked for; a cut-off needs exactly one."""
    own = [s for s, sub in inst.subscales.items() if not sub.composite and not sub.secondary]
    if subscales:
        unknown = [s for s in subscales if s not in inst.subscales]
        if unknown:
            raise DataError(f"instrument {inst.id!r} has no subscale(s) {unknown}; its "
                            f"subscales: {list(inst.subscales)}")
        own = list(subscales)
    if cutoff is not None and len(own) != 1:
        raise DataError(f"a cut-off belongs to one subscale: choose one of {own} "
                        "(--subscale)")
    return own


def _fit_subscale(sid: str, frame: pd.DataFrame, inst, values: np.ndarray, *, model: str,
                  link: str, groups, alpha: float, cutoff) -> SubscaleIRT:
    """One subscale: its model on the scored items (ranks for the Rasch family), DIF by
    ``groups`` and the precision at ``cutoff``."""
    from .dif import dif as dif_fn
    from .grm import grm
    from .rasch import pcm, rasch, rsm

    steps = np.diff(values)
    even = bool(steps.size) and np.allclose(steps, steps[0])
    if model == "grm":
        offset, step = 0.0, 1.0           # the GRM's categories are the scored values
        x = frame
        fitted = grm(x, link=link)
    else:
        # CML needs categories 0, 1, 2, ...: the rank of each scored value on the scale
        offset, step = float(values[0]), float(steps[0]) if even else np.nan
        x = pd.DataFrame(np.where(frame.isna(), np.nan,
                                  np.searchsorted(values, frame.to_numpy(float))),
                         index=frame.index, columns=frame.columns)
        fitted = {"rasch": rasch, "pcm": pcm, "rsm": rsm}[model](x, name=sid)
    d = None
    if groups is not None:
        d = dif_fn(x, groups, model="logistic" if model == "grm" else model, alpha=alpha)
    prec = None
    if cutoff is not None:
        prec = _precision(fitted, cutoff, inst, sid, values, len(frame.columns), offset, step)
    return SubscaleIRT(subscale=sid, items=list(frame.columns), offset=offset, step=step,
                       model=fitted, dif=d, precision=prec)


def _precision(fitted, cutoff: float, inst, sid: str, values: np.ndarray, k: int,
               offset: float, step: float):
    """The precision at a cut-off on the subscale's score (a sum or a mean of the scored
    items), through the models' raw score (the sum of the categories)."""
    from .precision import cutoff_precision

    per = k if inst.subscales[sid].scoring == "mean" else 1
    total = float(cutoff) * per
    if np.isnan(step):
        raise DataError(f"{inst.id}: the scored values {values.tolist()} are not "
                        "evenly spaced, so a score cut-off has no raw-score "
                        "equivalent for a Rasch-family model; use model='grm'")
    prec = cutoff_precision(fitted, (total - offset * k) / step, scale="raw")
    return replace(prec, cutoff=float(cutoff), raw=(prec.raw * step + offset * k) / per)
