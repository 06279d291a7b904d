"""The opt-in IRT section: the hook into :mod:`psychometrics.irt.report`, which builds it."""

from __future__ import annotations

from .context import Context

__all__ = ["IRT_TITLE", "irt_section"]

#: The section's title (the IRT section is English only so far, as its own tables are).
IRT_TITLE = "Item response theory"


def irt_section(ctx: Context, irt):
    """``irt``: a model name or the options of :func:`psychometrics.irt_analysis`."""
    from ..irt.report import report_section

    return report_section(ctx.data, ctx.inst, irt, items=ctx.mapping, id=ctx.id)
