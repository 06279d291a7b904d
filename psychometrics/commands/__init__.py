"""CLI sub-commands, one module per concern.

Each module defines ``register(subparsers)``: it adds its sub-command(s) and sets
``func=handler`` on the parser, where ``handler(args)`` returns a result object (with
``to_dict()`` and ``summary()``), a DataFrame, or a string. ``psychometrics.cli`` does the
printing (``--json``), the writing (``-o``) and the error handling, so handlers stay thin.
"""

MODULES = ["instruments", "score", "norms", "reliability", "omega", "factor", "cfa", "cutoff",
           "report", "profile", "irt", "app"]
