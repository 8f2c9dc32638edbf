"""Shared plumbing of the ``jobs/`` scripts: logging, the SparkSession, errors → exit codes.

A job script stays thin: it builds an ``argparse`` parser, and :func:`run_job` parses, starts (or reuses,
under ``spark-submit``) the SparkSession, calls the library, and turns a :class:`SparkMlopsError` into a
one-line message and exit code 1 instead of a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import SparkSession

from spark_mlops.errors import InvalidArgumentError, SparkMlopsError
from spark_mlops.spark import get_spark

__all__ = ["EXIT_ERROR", "EXIT_OK", "run_command", "run_job"]

EXIT_OK = 0
EXIT_ERROR = 1

log = logging.getLogger(__name__)


def run_job(
    name: str,
    parser: argparse.ArgumentParser,
    body: Callable[[SparkSession, argparse.Namespace], int],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``argv``, run ``body(spark, args)`` and return its exit code (1 on a SparkMlopsError)."""
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    spark = get_spark(app_name=f"spark_mlops-{name}")
    try:
        return int(body(spark, args))
    except SparkMlopsError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)  # noqa: T201 - job output
        return EXIT_ERROR


#: A sub-command as the spark-submit jobs see it: (adds its arguments to a parser, runs parsed args).
Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def run_command(
    prog: str, command: str, commands: Mapping[str, Command], argv: Sequence[str] | None = None
) -> int:
    """Run one ``spark-mlops`` sub-command with its own parser (the entry of a ``jobs/`` script).

    Args:
        prog: Program name shown in the usage line.
        command: Which entry of ``commands`` to run.
        commands: Sub-command name → (argument adder, handler returning an exit code).
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        The handler's exit code, or 1 with the error logged on a :class:`SparkMlopsError`.

    Raises:
        InvalidArgumentError: ``command`` is not in ``commands``.
    """
    if command not in commands:
        raise InvalidArgumentError(f"command={command!r} must be one of {sorted(commands)}")
    add_arguments, handler = commands[command]
    parser = argparse.ArgumentParser(prog=f"{prog} {command}")
    add_arguments(parser)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        return int(handler(args))
    except SparkMlopsError as exc:
        log.error("%s", exc)
        return EXIT_ERROR
