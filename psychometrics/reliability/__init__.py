"""Reliability: internal consistency, item analysis, omega, change scores and ICCs.

One module per concern:

- :mod:`~psychometrics.reliability.scale`: validated items, their (pairwise) covariance
  matrix and psych's ``alpha.1`` statistics of it, shared by the next two;
- :mod:`~psychometrics.reliability.cronbach`: :func:`alpha` and its Feldt, Duhachek and
  bootstrap intervals (:func:`feldt_ci`);
- :mod:`~psychometrics.reliability.items`: :func:`item_analysis` (psych's item statistics,
  alpha if deleted, response frequencies);
- :mod:`~psychometrics.reliability.omegas`: McDonald's :func:`omega` and :func:`omega_cfa`;
- :mod:`~psychometrics.reliability.change`: :func:`sem` and the reliable change index
  :func:`rci`;
- :mod:`~psychometrics.reliability.intraclass`: test-retest :func:`icc` (psych::ICC);
- :mod:`~psychometrics.reliability.instrument`: :func:`reliability` of every subscale of an
  instrument.

The names ``alpha``, ``omega``, ``icc`` and ``reliability`` are functions, so no submodule
is named after them: ``psychometrics.reliability.omega`` is the function, whatever has been
imported.
"""

from __future__ import annotations

from .change import rci, sem
from .cronbach import AlphaResult, alpha, feldt_ci
from .instrument import ReliabilityResult, reliability
from .intraclass import ICCResult, icc
from .items import item_analysis, response_frequencies
from .omegas import OmegaResult, omega, omega_cfa

__all__ = ["AlphaResult", "ICCResult", "OmegaResult", "ReliabilityResult", "alpha",
           "feldt_ci", "icc", "item_analysis", "omega", "omega_cfa", "rci", "reliability",
           "response_frequencies", "sem"]
