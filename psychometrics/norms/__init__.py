"""Norms: published norm and cut-off sets, applying them, and building new ones from a sample.

One concern per module:

* :mod:`~psychometrics.norms.transforms`: percentile ranks, normalised T, stanines;
* :mod:`~psychometrics.norms.normset`: the :class:`NormSet` type (strata, bands, tables);
* :mod:`~psychometrics.norms.catalogue`: shipped norm sets, :func:`load_norms`;
* :mod:`~psychometrics.norms.continuous`: smoothed (cNORM-like) norms in a covariate;
* :mod:`~psychometrics.norms.strata`, :mod:`~psychometrics.norms.scales`: which norm group
  and which scale (sum/mean) each score is compared on;
* :mod:`~psychometrics.norms.apply`: :func:`apply_norms`;
* :mod:`~psychometrics.norms.build`: :func:`build_norms`, with
  :mod:`~psychometrics.norms.weights` (raking, weighted quantiles);
* :mod:`~psychometrics.norms.meta`: the instrument facts the norms need (forms, key).

Group summaries with small-cell suppression are :mod:`psychometrics.groups`.

A norm set is a data file (``norms/<id>.yaml``, validated against
``schemas/norms.schema.json``) with its provenance (instrument and version, population,
country, language, year, n, source and its confidence, method, strata, a ``partial`` flag) and,
per stratum and subscale, any of:

* ``bands``: published cut-points, each band with an ``id``, EN/NL/FR labels and a lower edge
  that is inclusive (``min``) or exclusive (``gt``); the printed upper edges (``max``/``lt``)
  are kept as published and checked for consistency;
* ``quartiles``: the norm group's P25 and P75;
* ``table``: a raw-score -> percentile-rank table as printed in a manual;
* ``mean``/``sd``;
* ``distribution``: the (weighted) frequency of every distinct score of the norm sample, as
  written by :func:`build_norms`, which gives exact mid-rank percentile ranks;
* ``continuous``: a smoothed norm model in a covariate such as age (cNORM-like).

Every subscale norm says on which raw-score scale it is (``score: sum`` or ``mean``);
:func:`apply_norms` refuses to apply a sum-based norm to mean scores (or the reverse) unless
asked to convert them explicitly.
"""

from .apply import apply_norm_set, apply_norms, band_edge_texts, norm_groups, norm_provenance
from .build import build_norms, norm_set_from_entries, subscale_norm_doc
from .catalogue import list_norms, load_norms, norm_catalogue, norms_for_roles
from .meta import instrument_for_metadata, instrument_forms
from .normset import (
    Band,
    NoQuartilesWarning,
    NormEntry,
    NormSet,
    SubscaleNorm,
    UncertainNormWarning,
    stratum_text,
)
from .scales import check_scale_range, resolve_scales
from .strata import resolve_norm_by
from .transforms import EDGE_TOL, PR_CLIP, percentile_rank, stanine_from_pr, t_from_pr
from .weights import rake, weighted_quantile, weighted_quantile_counts

__all__ = [
    "EDGE_TOL", "PR_CLIP", "Band", "NoQuartilesWarning", "NormEntry", "NormSet", "SubscaleNorm",
    "UncertainNormWarning", "apply_norm_set", "apply_norms", "band_edge_texts", "build_norms",
    "check_scale_range", "instrument_for_metadata", "instrument_forms", "list_norms",
    "load_norms", "norm_catalogue", "norm_groups", "norms_for_roles", "norm_provenance", "norm_set_from_entries",
    "percentile_rank", "rake", "resolve_norm_by", "resolve_scales", "stanine_from_pr",
    "stratum_text", "subscale_norm_doc", "t_from_pr", "weighted_quantile",
    "weighted_quantile_counts",
]
