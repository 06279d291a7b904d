"""Diagnostic accuracy of a score against a criterion: ROC curve and AUC, optimal cut-offs,
the paired DeLong test, predictive values and the ROC figure.

A validation study scores an instrument, compares it with a criterion (a clinician's diagnosis,
sick leave, another instrument's classification) and asks how well each candidate cut-off
separates cases from non-cases. The functions agree with R's pROC (AUC, DeLong variance, CI and
paired test, midpoint thresholds, ``coords(..., "best")``) and cutpointr (observed-value
cut-offs, Youden-optimal cut-point, ties) to ~1e-12 on the aSAH reference data.

Modules
-------
``inputs``      scores and criterion, direction, option checks shared by the three analyses
``auc``         DeLong placement values and variance of the AUC
``counts``      cases/controls per distinct score, candidate cut-offs, bootstrap counts
``curve``       :func:`roc` (curve, AUC, DeLong and bootstrap CIs, partial AUC)
``accuracy``    sensitivity, specificity, PPV/NPV, LRs, Youden's J with CIs, per split
``predictive``  :func:`predictive_values` at a stated prevalence
``optimal``     :func:`cutoffs` (optimal cut-off, ties, bootstrap CI, accuracy table)
``delong``      :func:`roc_test` (paired DeLong test of two AUCs)
``plots``       :func:`plot_roc` (matplotlib, imported on first use)
"""

from __future__ import annotations

from .curve import ROCResult, roc
from .delong import RocTestResult, roc_test
from .optimal import CutoffResult, cutoffs
from .plots import plot_roc
from .predictive import predictive_values

__all__ = ["roc", "cutoffs", "roc_test", "predictive_values", "plot_roc",
           "ROCResult", "CutoffResult", "RocTestResult"]
