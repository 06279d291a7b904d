"""CLI sub-commands, one module per concern.

Each module in :data:`MODULES` defines ``register(subparsers)``: it adds its sub-command(s)
and sets ``func=handler`` on the parser, where ``handler(args)`` returns a result object (with
``to_dict()`` and ``summary()``), a DataFrame, or a string. What the commands share lives in
two modules that are not commands: :mod:`.common` (making a command, the shared options and
their values) and :mod:`.printing` (printing, ``--json``, ``-o`` and one-line errors).
``psychometrics.cli`` builds the parser from these modules and runs the handler, so handlers
stay thin, and no command imports the cli.
"""

MODULES = ["instruments", "score", "norms", "reliability", "omega", "factor", "cfa", "cutoff",
           "report", "profile", "irt", "app"]
