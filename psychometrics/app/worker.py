"""What the job worker loads once, before any job: imported by the ``forkserver``.

Every job is a process forked from the forkserver (:mod:`psychometrics.app.jobs`), so
whatever is imported and cached here is ready in every job for free: pandas, scipy, the
statistics modules, matplotlib with its fonts, and the shipped instrument and norm files
(parsed and validated once). Without it each job would pay about a second of start-up.
"""

from __future__ import annotations

import io
import os
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")


def warm() -> None:
    """Import and cache what the journeys use (run once, in the forkserver)."""
    import matplotlib.pyplot as plt

    import psychometrics as pm
    from psychometrics import classify, diagnostic, factor, norms, reliability, report  # noqa: F401
    from psychometrics.factor import cfa, invariance  # noqa: F401

    from . import tasks  # noqa: F401

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.hist([0.0, 1.0, 1.0])
    ax.set_title("warm")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for iid in pm.list_instruments():
            for ns in pm.list_norms(iid):
                pm.load_norms(ns)


warm()
