"""Sub-commands of the ``spark-mlops`` CLI.

Each module here defines ``register(subparsers)`` that adds one or more sub-commands whose handler
(``set_defaults(handler=...)``) takes the parsed arguments and returns an exit code. The CLI discovers
the modules, so adding a command never touches ``cli.py``.
"""
