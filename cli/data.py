"""The pipeline's commands, on the working warehouse: load, history, undo, restore, rebuild, export, sample,
template, and publishing (publish, versions, rollback; run with the server's file permissions, recorded as the OS
user)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import i18n
from cli.exits import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

# DuckDB, pandas and the modules that use them are imported by each command as it needs them (≈ 0.4 s): `load`
# starts guarding and reading its first file before it imports them (see _load).

DB_HELP = "warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    load = sub.add_parser("load", help="import workbooks, in the order given, one batch each")
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument("--db", help=DB_HELP)
    load.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    load.add_argument("--json", action="store_true", help="print one JSON document")
    load.add_argument(
        "--user", help="a name to record beside the operating-system user (a claim: the OS user is always recorded)"
    )
    load.add_argument("--lang", choices=i18n.LANGUAGES, default="en", help="language of the messages")
    load.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress line on stderr through read, check and load (default: when stderr is a terminal)",
    )
    sample = sub.add_parser("sample", help="write the reference sample workbooks")
    sample.add_argument("out_dir", type=Path)
    template = sub.add_parser("template", help="write a blank workbook to fill in")
    template.add_argument("out", type=Path)
    template.add_argument("--lang", choices=("en", "zh"), default="zh")  # the contract's two forms
    exp = sub.add_parser("export", help="the current working data as a workbook in the template's layout")
    exp.add_argument("out", type=Path)
    exp.add_argument("--kinds", help="comma-separated kinds to export (default: all), e.g. projects,attendance")
    exp.add_argument("--lang", choices=("en", "zh"), default="zh")  # the contract's two forms
    exp.add_argument("--db", help=DB_HELP)
    hist = sub.add_parser("history", help="list import batches")
    hist.add_argument("--db")
    hist.add_argument("--json", action="store_true")
    und = sub.add_parser("undo", help="undo the latest import batch")
    und.add_argument("batch_id")
    und.add_argument("--db")
    und.add_argument("--lang", choices=i18n.LANGUAGES, default="en", help="language of the messages")
    rest = sub.add_parser("restore", help="list the backups, or put one back in place of the warehouse")
    rest.add_argument("backup", nargs="?", type=Path, help="backup file (omit to list them)")
    rest.add_argument("--db")
    pub = sub.add_parser("publish", help="publish the working data as a new version (what leaders see)")
    pub.add_argument("--db", help=DB_HELP)
    pub.add_argument("--note", default="", help="a note kept with the version")
    pub.add_argument("--dry-run", action="store_true", help="name what would be published, publish nothing")
    pub.add_argument(
        "--expect",
        metavar="BATCHES",
        help="the pending batches you reviewed, e.g. B00006,B00007 ('' for none): refused if others are pending",
    )
    vers = sub.add_parser("versions", help="list the published versions")
    vers.add_argument("--db", help=DB_HELP)
    back = sub.add_parser("rollback", help="make an earlier published version current again")
    back.add_argument("version", help="e.g. v000003 (see `versions`)")
    back.add_argument("--db", help=DB_HELP)
    build = sub.add_parser("rebuild", help="a new warehouse from the raw files kept for each loaded batch")
    build.add_argument("out", type=Path)
    build.add_argument("--db")
    build.add_argument(
        "--skip-missing", action="store_true", help="replay what can be when some kept raw files are missing"
    )


def _load(args) -> int:
    # Arrow's own allocator (mimalloc) made the first validation of a million rows in a fresh process take 0.25-0.44
    # s from one run to the next; with the C library's, 0.25-0.28 s. Set before pyarrow is imported (in this process
    # or the reading child); a user's choice wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from etl.read import Reading  # the guard and fastexcel only: no pandas, no DuckDB

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    # The first file's guard check, then the read of its largest sheet, run in a thread of their own; this one
    # imports pandas and DuckDB and opens the warehouse during the read. The others start at their turn.
    first = Reading(args.files[0].read_bytes(), isolated=True)  # its largest sheet read by a child, beside the guard
    first.judged()
    # pandas first (≈ 0.25 s), so that each sheet's own checks can begin as soon as the child has read it, while
    # this thread imports DuckDB and opens the warehouse (on the core the child has left)
    from etl.validate import check_sheets

    first.then(check_sheets)
    from etl import db
    from etl.load import import_file

    con = db.connect(args.db, wait=db.lock_wait())
    results = []
    shown = sys.stderr.isatty() if args.progress is None else args.progress
    for number, path in enumerate(args.files):
        line = _ProgressLine(args.lang) if shown else None
        reading = first if number == 0 else Reading(path.read_bytes())
        # roll_ups=False: the training roll-ups are rebuilt once, by whoever opens or publishes the data next
        result = import_file(
            con,
            reading.data,
            path.name,
            claimed_user=args.user,
            dry_run=args.dry_run,
            progress=line,
            roll_ups=False,
            reading=reading,
        )
        if line:
            line.end()
        results.append(result)
        if not args.json:
            _print_result(result, args.lang)
    from etl import publish
    from i18n import t

    try:  # with no accounts, what the load committed is published at once (as an import on the Data page is)
        loaded = tuple(r.batch_id for r in results if r.status == "loaded" and r.batch_id)
        done = publish.publish_own(con, _operator(), added=loaded) if loaded else None
    finally:
        con.close()
    if done is not None and not args.json:
        print(t("cli.published", args.lang, version=done.version))
    if args.json:
        document = {"files": [r.as_dict() for r in results], "published": done.version if done else None}
        print(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    return EXIT_REFUSED if any(r.status == "rejected" for r in results) else EXIT_OK


class _ProgressLine:
    """`load --progress`: one line on stderr, rewritten in place, with the stage, rows done and rows per second."""

    def __init__(self, lang: str) -> None:
        self.lang, self.stage, self.started, self.width = lang, "", 0.0, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        from i18n import t

        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.started = stage, now
        rate = done / (now - self.started) if done and now > self.started else 0
        text = t(f"progress.{stage}", self.lang, done=f"{done:,}", total=f"{total:,}", rate=f"{rate:,.0f}")
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = len(text)

    def end(self) -> None:
        if self.width:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _print_result(result, lang: str) -> None:
    from i18n import t

    counts = result.counts
    line = f"{result.file}: {t(f'cli.status.{result.status}', lang)}"
    if result.batch_id:
        line += t("cli.batch", lang, batch=result.batch_id)
    if result.sheets:
        line += t("cli.counts", lang, **counts)
    print(line)
    for problem in result.errors:
        where = " ".join(
            t(key, lang, **{name: value})
            for key, name, value in (
                ("cli.sheet", "sheet", problem.sheet),
                ("cli.row", "row", problem.row),
                ("cli.column", "column", problem.column),
            )
            if value
        )
        said = [t("cli.error", lang), where, problem.header, f"= {problem.value!r}" if problem.value else ""]
        print("  " + " ".join(part for part in said if part) + f": {problem.message(lang)}")
    for problem in result.warnings:
        where = f" {t('cli.sheet', lang, sheet=problem.sheet)}" if problem.sheet else ""
        print(f"  {t('cli.warning', lang)}{where}: {problem.message(lang)}")


def _history(args) -> int:
    from etl import db
    from etl.load import history

    con = db.connect(args.db, wait=db.lock_wait())
    frame = history(con)
    con.close()
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
        return EXIT_OK
    if frame.empty:
        print("no imports yet")
    for row in frame.itertuples():
        print(
            f"{row.batch_id}  {row.imported_at:%Y-%m-%d %H:%M:%S}  {row.status:<8} {row.user_name:<10} "
            f"{row.file_name}  +{row.inserted} ~{row.updated} ={row.unchanged}"
        )
    return EXIT_OK


def _undo(args) -> int:
    from etl import db, publish
    from etl.kinds import KINDS
    from etl.load import UndoRefused, undo
    from i18n import t

    con = db.connect(args.db, wait=db.lock_wait())
    try:
        effects = undo(con, args.batch_id)
        done = publish.publish_own(con, _operator(), removed=(args.batch_id,))  # with no accounts, at once
    except UndoRefused as exc:
        print(t("cli.refused", args.lang, message=exc.message(args.lang)), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        con.close()
    summary = i18n.style(args.lang).comma.join(
        t("cli.undid.kind", args.lang, kind=i18n.header(k, KINDS[k].zh, args.lang), **v) for k, v in effects.items()
    )
    print(t("cli.undid", args.lang, batch=args.batch_id) + (f" — {summary}" if summary else ""))
    for problem in effects.warnings:
        print(f"  {t('cli.warning', args.lang)}: {problem.message(args.lang)}")
    if done is not None:
        print(t("cli.published", args.lang, version=done.version))
    return EXIT_OK


def _restore(args) -> int:
    from etl import backup, db

    db_file = db.db_path(args.db)
    backups = backup.list_backups(db_file)
    if args.backup is None:
        if not backups:
            print("no backups yet")
        for path in backups:
            print(path)
        return EXIT_OK
    if not args.backup.is_file():
        print(f"error: no such backup: {args.backup}", file=sys.stderr)
        return EXIT_USAGE
    carried = backup.restore(db_file, args.backup, user=_operator())
    print(f"restored {db_file} from {args.backup} (the audit trail kept {carried} newer event(s); restore recorded)")
    from etl import publish

    con = db.connect(db_file, wait=db.lock_wait())
    try:
        seen = publish.review(con)
        if not seen.empty:
            print(
                f"readers still see {seen.version}, which differs from the restored data; "
                "review it and publish to make the restored data current (etl publish):"
            )
            for line in _review_lines(con, seen)[1:]:
                print(line)
    finally:
        con.close()
    return EXIT_OK


def _rebuild(args) -> int:
    from etl import db, rebuild

    if args.out.exists():
        print(f"error: {args.out} exists; give a new file name", file=sys.stderr)
        return EXIT_USAGE
    source = db.db_path(args.db)
    try:
        results = rebuild.rebuild(source, args.out, skip_missing=args.skip_missing)
    except rebuild.MissingUploads as exc:
        print("error: cannot rebuild: these loaded batches cannot be replayed:", file=sys.stderr)
        for line in exc.missing:
            print(f"  {line}", file=sys.stderr)
        print("nothing was written; --skip-missing rebuilds without them", file=sys.stderr)
        return EXIT_REFUSED
    for result in results:
        print(f"{result.file}: {result.status}")
    skipped = rebuild.missing_uploads(source) if args.skip_missing else []
    for line in skipped:
        print(f"warning: skipped {line}", file=sys.stderr)
    return EXIT_REFUSED if skipped or any(r.status == "rejected" for r in results) else EXIT_OK


def _export(args) -> int:
    """Write the working data as a workbook to edit and load again (etl.export); says what it wrote."""
    from etl import db
    from etl.export import export, selected

    try:
        kinds = selected(args.kinds.split(",")) if args.kinds else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    warehouse = db.db_path(args.db)
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse} (give --db, or load workbooks first)", file=sys.stderr)
        return EXIT_USAGE
    con = db.connect(warehouse, wait=db.lock_wait())
    try:
        done = export(con, args.out, args.lang, kinds)
    finally:
        con.close()
    print(args.out)
    for kind, rows in done.rows.items():
        print(f"  {kind}: {rows} rows ({', '.join(done.sheets[kind])})")
    for ref in done.truncated:
        print(f"  warning: {ref} holds more text than an Excel cell keeps (32,767 characters): cut", file=sys.stderr)
    return EXIT_OK


def _publishing(args) -> int:
    """publish | versions | rollback VERSION (run with the server's file permissions, recorded as the OS user)."""
    from etl import db, publish

    con = db.connect(args.db, wait=db.lock_wait())
    try:
        if args.command == "publish":
            return _publish(con, args)
        elif args.command == "rollback":
            try:
                publish.rollback(con, _operator(), args.version)
            except ValueError as exc:
                print(f"refused: {exc}", file=sys.stderr)
                return EXIT_REFUSED
            print(f"{args.version} is current again")
        else:
            frame = publish.versions(con)
            if frame.empty:
                print("nothing published yet")
            for row in frame.itertuples():
                mark = "*" if row.current else " "
                kept = "" if row.kept else "  (file pruned)"
                print(f"{mark} {row.version}  {row.published_at:%Y-%m-%d %H:%M:%S}  {row.published_by:<12} "
                      f"{0 if row.batches is None else len(row.batches)} batches{kept}")  # fmt: skip
    finally:
        con.close()
    return EXIT_OK


def _publish(con, args) -> int:
    """`publish`: name the batches it publishes (and the published ones it takes out), then publish exactly those.
    Exit 0 when published (or nothing to publish); 1 when --expect does not name what is pending."""
    from etl import publish

    seen = publish.review(con)
    for line in _review_lines(con, seen):
        print(line)
    if args.expect is not None:
        expected = [b.strip() for b in args.expect.split(",") if b.strip()]
        if expected != list(seen.pending):
            shown = ", ".join(seen.pending) or "none"
            print(f"refused: pending now: {shown}; not the {args.expect or 'none'} you reviewed", file=sys.stderr)
            return EXIT_REFUSED
    if seen.empty:
        print(f"nothing to publish: {seen.version or 'the empty warehouse'} holds the working data")
        return EXIT_OK
    if args.dry_run:
        return EXIT_OK
    done = publish.publish(con, _operator(), args.note, seen)
    print(f"published {done.version}: {', '.join(seen.pending) or 'no new batches'} (through batch {seen.seq})")
    return EXIT_OK


def _review_lines(con, seen) -> list[str]:
    """What publishing would do, batch by batch: the pending imports and the published batches the working data no
    longer holds (undone, or lost with a restore)."""
    from etl import publish

    def described(frame) -> list[str]:
        return [
            f"  {r.batch_id}  {r.imported_at:%Y-%m-%d %H:%M}  {r.user_name:<10} {r.file_name}  +{r.inserted} ~{r.updated}"
            for r in frame.itertuples()
        ]

    lines = [f"published now: {seen.version or 'nothing'}; last batch: {seen.seq}"]
    if seen.pending:
        lines += ["pending (would be published):", *described(publish.pending(con, seen.pending))]
    if seen.withdrawn:
        lines += [
            f"in {seen.version} but not in the working data (would be taken out):",
            *described(publish.withdrawn(con, seen)),
        ]
    return lines


def _operator() -> str:
    from etl import audit

    return audit.os_user()


def _sample(args) -> int:
    from etl.sample import write_samples

    for path in write_samples(args.out_dir):
        print(path)
    return EXIT_OK


def _template(args) -> int:
    from etl.template import write_template

    print(write_template(args.out, args.lang))
    return EXIT_OK


COMMANDS = {
    "load": _load,
    "history": _history,
    "undo": _undo,
    "restore": _restore,
    "rebuild": _rebuild,
    "export": _export,
    "sample": _sample,
    "template": _template,
    "publish": _publishing,
    "versions": _publishing,
    "rollback": _publishing,
}
