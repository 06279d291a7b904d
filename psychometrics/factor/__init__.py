"""Factor analysis: correlations, EFA (psych::fa), rotations, CFA (lavaan) and invariance.

Modules are imported explicitly (``psychometrics.factor.efa``, ``psychometrics.factor.cfa``);
the public functions are re-exported lazily by :mod:`psychometrics`.

Exploratory: ``correlation`` (pairwise correlations, ``smc``), ``efa`` (``psych::fa``),
``rotation`` (GPArotation ports), ``adequacy`` (KMO, Bartlett), ``parallel`` (parallel
analysis).
Confirmatory: ``syntax`` (lavaan syntax) -> ``model`` (parameter table, matrices, Jacobian);
``cfa`` checks the options and dispatches to ``ml`` (ML/MLR), ``fiml`` (with ``missing``:
patterns and EM) or ``wls`` (DWLS/WLSMV on ``ordinal`` statistics, with ``bivariate``); the
engines share ``data``, ``estimation`` (optimiser, numeric Hessian, information inverse),
``estimates`` (parameter table), ``fit`` and ``measures`` (fit indices and their assembly)
and ``result`` (``CFAResult``); ``invariance`` fits the nested multi-group models.
"""
