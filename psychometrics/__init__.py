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
    "score": "scoring.scores", "keyed_items": "scoring.scores", "concat_scores": "scoring.scores",
    "read_export": "io.readers", "read_table": "io.readers", "write_table": "io.writers",
    "match_items": "scoring.mapping", "MatchReport": "scoring.mapping",
    "example_path": "io.examples", "list_examples": "io.examples",
    "Limits": "limits", "use_limits": "limits", "current_limits": "limits",
    # norms and rules
    "list_norms": "norms.catalogue", "load_norms": "norms.catalogue",
    "apply_norms": "norms.apply", "build_norms": "norms.build",
    "NormSet": "norms.normset", "summarise": "groups", "percentile_rank": "norms.transforms",
    "norm_catalogue": "norms.catalogue", "UncertainNormWarning": "norms.normset",
    "NoQuartilesWarning": "norms.normset",
    "get_rule": "classify.rules",
    "rake": "norms.weights",
    "list_rules": "classify.rules", "classify": "classify.rules",
    "profile": "classify.differential", "ProfileResult": "classify.differential",
    # reliability
    "alpha": "reliability", "item_analysis": "reliability", "reliability": "reliability",
    "sem": "reliability", "rci": "reliability", "icc": "reliability",
    "omega": "reliability", "omega_cfa": "reliability", "feldt_ci": "reliability",
    # factor analysis
    "kmo": "factor.adequacy", "bartlett": "factor.adequacy", "parallel_analysis": "factor.parallel",
    "efa": "factor.efa", "correlation_matrix": "factor.efa", "polychoric": "factor.ordinal", "cfa": "factor.cfa", "invariance": "factor.invariance",
    "CFAResult": "factor.result", "em_moments": "factor.missing", "EMResult": "factor.missing", "InvarianceResult": "factor.invariance", "EFAResult": "factor.efa",
    # cut-offs
    "roc": "diagnostic.curve", "cutoffs": "diagnostic.optimal", "roc_test": "diagnostic.delong",
    "predictive_values": "diagnostic.predictive", "plot_roc": "diagnostic.plots",
    # reports
    "render_report": "report.page", "Report": "report.results", "longstring": "careless",
    "irv": "careless", "careless_flags": "careless", "group_effects": "effects",
    "apa_fit": "report.methods", "methods_text": "report.methods", "write_docx": "report.docx",
    "likert_bars": "report.figures", "scree_plot": "report.figures",
    "loadings_plot": "report.figures",
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
    # files larger than memory (psychometrics.scoring.stream, psychometrics.norms_stream)
    "score_file": "scoring.stream", "build_norms_file": "norms_stream", "StreamReport": "scoring.stream",
    "read_parquet": "io.parquet", "write_parquet": "io.parquet",
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
