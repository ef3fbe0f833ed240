"""The command line: python -m etl load|sample|template|export|history|undo|restore|rebuild|publish|versions|rollback|
metrics|report|deck|ledger|users (see README). It stands above everything it drives: the pipeline's commands
(cli.data), what readers read (cli.handouts) and the accounts (cli.users); `python -m etl` and `python -m cli` run it."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import NoReturn

from cli import data, handouts, users
from cli.exits import EXIT_OK, EXIT_USAGE

COMMANDS = {**data.COMMANDS, **handouts.COMMANDS, **users.COMMANDS}


def parser() -> argparse.ArgumentParser:
    """Every command's arguments (`python -m etl`, as the README documents it)."""
    parser = argparse.ArgumentParser(prog="python -m etl", description="Community governance warehouse tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    for family in (data, handouts, users):
        family.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 refused/rejected, 2 usage or database error)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # the reader of the output left (`history | head`): nothing to say to anyone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush must not fail again
        return EXIT_OK
    except Exception as exc:
        said = _said(exc)
        if not said:
            raise
        print(f"error: {said}", file=sys.stderr)
        return EXIT_USAGE


def _said(exc: Exception) -> str | None:
    """What to say for an error a user can act on (exit 2): a locked warehouse, a database error, an OSError (e.g.
    the raw file could not be kept: the import changed nothing); None for a bug."""
    if "duckdb" in sys.modules:  # else no command has touched a database: DuckDB is imported where used
        import duckdb

        from etl import db

        if isinstance(exc, db.WarehouseLocked):
            from i18n import t

            return t("file.db_locked", "en", path=exc)
        if isinstance(exc, duckdb.Error):
            return f"database: {str(exc).splitlines()[0]}"
    return str(exc) if isinstance(exc, OSError) else None


def run(argv: list[str] | None = None) -> NoReturn:
    """`python -m etl`: main(), and after `load` leave at once. By then the load has closed the warehouse and every
    file it wrote; the interpreter's own teardown, freeing a million-row import's objects one by one, took
    0.12-0.16 s of a 2 s import. The other commands end the usual way."""
    argv = sys.argv[1:] if argv is None else argv
    code = main(argv)
    if argv[:1] == ["load"]:
        for thread in threading.enumerate():  # a load leaves none running; if one were, it would finish first
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
