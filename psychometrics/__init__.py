"""psychometrics: score, norm and validate burnout questionnaires.

The public API is the set of top-level functions below, each documented in its module. They
are imported lazily (on first use), so ``import psychometrics`` stays fast and the CLI starts
quickly even though the statistics modules pull in scipy and pandas.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    # instruments and scoring
    "list_instruments": "instruments", "load_instrument": "instruments", "Instrument": "instruments",
    "score": "scoring", "keyed_items": "scoring", "concat_scores": "scoring",
    "read_export": "io", "read_table": "io", "write_table": "io", "match_items": "io",
    "example_path": "io", "list_examples": "io", "MatchReport": "io",
    "Limits": "limits", "use_limits": "limits", "current_limits": "limits",
    # norms and rules
    "list_norms": "norms", "load_norms": "norms", "apply_norms": "norms", "build_norms": "norms",
    "NormSet": "norms", "summarise": "norms", "percentile_rank": "norms",
    "norm_catalogue": "norms", "UncertainNormWarning": "norms", "NoQuartilesWarning": "norms",
    "get_rule": "rules",
    "rake": "weights",
    "list_rules": "rules", "classify": "rules", "profile": "profile", "ProfileResult": "profile",
    # reliability
    "alpha": "reliability", "item_analysis": "reliability", "reliability": "reliability",
    "sem": "reliability", "rci": "reliability", "icc": "reliability",
    "omega": "omega", "omega_cfa": "omega", "feldt_ci": "reliability",
    # factor analysis
    "kmo": "factor.efa", "bartlett": "factor.efa", "parallel_analysis": "factor.efa",
    "efa": "factor.efa", "correlation_matrix": "factor.efa", "polychoric": "factor.ordinal", "cfa": "factor.cfa", "invariance": "factor.invariance",
    "CFAResult": "factor.cfa", "em_moments": "factor.fiml", "EMResult": "factor.fiml", "InvarianceResult": "factor.invariance", "EFAResult": "factor.efa",
    # cut-offs
    "roc": "cutoff", "cutoffs": "cutoff", "roc_test": "cutoff", "predictive_values": "cutoff",
    "plot_roc": "plots",
    # reports
    "render_report": "report", "Report": "report", "longstring": "report", "irv": "report",
    "careless_flags": "report", "group_effects": "report", "apa_fit": "methods",
    "methods_text": "methods", "write_docx": "report_docx", "likert_bars": "report_figures",
    "scree_plot": "report_figures", "loadings_plot": "report_figures",
    # resampling
    "bootstrap": "resample",
    # item response theory (part 1: the Rasch family by conditional ML)
    "rasch": "irt.rasch", "pcm": "irt.rasch", "rsm": "irt.rasch", "RaschResult": "irt.rasch",
    "LRTestResult": "irt.rasch_tests", "WaldTestResult": "irt.rasch_tests",
    # item response theory (part 2: graded response model, DIF, cut-off precision)
    "grm": "irt.grm", "GRMResult": "irt.grm", "grm_from_cfa": "irt.grm",
    "cfa_from_grm": "irt.grm", "simulate_grm": "irt.grm",
    "classification_accuracy": "irt.precision", "cutoff_precision": "irt.precision",
    "ClassificationResult": "irt.precision", "CutoffPrecision": "irt.precision",
    "dif": "irt.dif", "DIFResult": "irt.dif",
    "plot_item_person_map": "irt.plots", "plot_information": "irt.plots",
    "plot_dif": "irt.plots", "irt_analysis": "irt.analysis", "IRTAnalysis": "irt.analysis",
    # BLAS threads (see psychometrics.threads)
    "blas_threads": "threads", "blas_info": "threads",
    # files larger than memory (see psychometrics.stream)
    "score_file": "stream", "build_norms_file": "stream", "StreamReport": "stream",
    "read_parquet": "stream", "write_parquet": "stream",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'psychometrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """Keeps the public functions ``reliability`` and ``omega`` from being shadowed.

    Importing a submodule binds it as an attribute of its package; where a submodule shares
    its name with the public function it defines (``psychometrics.reliability``), that would
    replace the function by the module. Submodules stay reachable through ``sys.modules``
    and ``from psychometrics.reliability import ...``.
    """

    def __setattr__(self, name, value):
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
