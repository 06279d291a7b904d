"""Factor analysis: correlations, EFA (psych::fa), rotations, CFA (lavaan) and invariance.

Modules are imported explicitly (``psychometrics.factor.efa``, ``psychometrics.factor.cfa``);
the public functions are re-exported lazily by :mod:`psychometrics`.
"""
