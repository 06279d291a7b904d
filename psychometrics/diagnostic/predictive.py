"""Predictive values at a stated prevalence (Bayes' theorem)."""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["predictive_values"]


def predictive_values(sensitivity, specificity, prevalence) -> dict:
    """Positive and negative predictive values at a stated prevalence (Bayes' theorem).

    Parameters
    ----------
    sensitivity, specificity : float or array-like
    prevalence : float or array-like
        Proportion of cases in the population the cut-off will be used in (e.g. the working
        population rather than the clinic sample the study recruited).

    Returns
    -------
    dict
        ``ppv`` and ``npv`` (floats, or arrays when an input is an array).

    Notes
    -----
    PPV = sens p / (sens p + (1 - spec)(1 - p)), NPV = spec (1 - p) / (spec (1 - p) +
    (1 - sens) p). A PPV/NPV computed in a study sample is only valid at that sample's
    prevalence; :func:`cutoffs` with ``prevalence=`` recomputes its table with this function.

    References
    ----------
    Altman, D. G., & Bland, J. M. (1994). Diagnostic tests 2: predictive values. BMJ, 309, 102.

    Examples
    --------
    >>> pv = predictive_values(0.9, 0.8, 0.05)
    >>> round(pv["ppv"], 4), round(pv["npv"], 4)
    (0.1915, 0.9935)
    """
    se, sp, p = (np.asarray(v, dtype=float) for v in (sensitivity, specificity, prevalence))
    for nm, v in (("sensitivity", se), ("specificity", sp), ("prevalence", p)):
        if np.any((v < 0) | (v > 1)):
            raise DataError(f"{nm} must be between 0 and 1, got {v.tolist()}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ppv = se * p / (se * p + (1 - sp) * (1 - p))
        npv = sp * (1 - p) / (sp * (1 - p) + (1 - se) * p)

    def out(v):
        return float(v) if np.ndim(v) == 0 else v
    return {"ppv": out(ppv), "npv": out(npv)}

