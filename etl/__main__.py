"""Command line: python -m etl load|sample|template|export|history|undo|restore|rebuild|metrics|report|deck|users (see README)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

# DuckDB, pandas and the modules that use them are imported by each command as it needs them (≈ 0.4 s): `load`
# starts guarding and reading its first file before it imports them (see _load).

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Community governance warehouse tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="import workbooks, in the order given, one batch each")
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    load.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    load.add_argument("--json", action="store_true", help="print one JSON document")
    load.add_argument(
        "--user", help="a name to record beside the operating-system user (a claim: the OS user is always recorded)"
    )
    load.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the messages")
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
    template.add_argument("--lang", choices=("en", "zh"), default="zh")
    exp = sub.add_parser("export", help="the current working data as a workbook in the template's layout")
    exp.add_argument("out", type=Path)
    exp.add_argument("--kinds", help="comma-separated kinds to export (default: all), e.g. projects,attendance")
    exp.add_argument("--lang", choices=("en", "zh"), default="zh")
    exp.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    hist = sub.add_parser("history", help="list import batches")
    hist.add_argument("--db")
    hist.add_argument("--json", action="store_true")
    und = sub.add_parser("undo", help="undo the latest import batch")
    und.add_argument("batch_id")
    und.add_argument("--db")
    und.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the messages")
    rest = sub.add_parser("restore", help="list the backups, or put one back in place of the warehouse")
    rest.add_argument("backup", nargs="?", type=Path, help="backup file (omit to list them)")
    rest.add_argument("--db")
    met = sub.add_parser("metrics", help="every figure of the metric catalogue for a period")
    met.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    met.add_argument("--year", type=int, help="a calendar year (default: the year the dashboard opens on)")
    met.add_argument("--all-years", action="store_true", help="every year up to the as-of date")
    met.add_argument("--as-of", type=_day, help="YYYY-MM-DD (default: the data's as-of date)")
    met.add_argument("--community", help="one community (town-wide figures stay town-wide and say so)")
    met.add_argument("--lang", choices=("en", "zh"), default="en")
    met.add_argument("--json", action="store_true", help="print one JSON document")
    met.add_argument("--draft", action="store_true", help="the working data (unpublished imports included)")
    pub = sub.add_parser("publish", help="publish the working data as a new version (what leaders see)")
    pub.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    pub.add_argument("--note", default="", help="a note kept with the version")
    pub.add_argument("--dry-run", action="store_true", help="name what would be published, publish nothing")
    pub.add_argument(
        "--expect",
        metavar="BATCHES",
        help="the pending batches you reviewed, e.g. B00006,B00007 ('' for none): refused if others are pending",
    )
    vers = sub.add_parser("versions", help="list the published versions")
    vers.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    back = sub.add_parser("rollback", help="make an earlier published version current again")
    back.add_argument("version", help="e.g. v000003 (see `versions`)")
    back.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    build = sub.add_parser("rebuild", help="a new warehouse from the raw files kept for each loaded batch")
    build.add_argument("out", type=Path)
    build.add_argument("--db")
    build.add_argument(
        "--skip-missing", action="store_true", help="replay what can be when some kept raw files are missing"
    )
    _handout_parsers(sub)
    led = sub.add_parser(
        "ledger", help="the fund's public ledger (基金公示) of the published version: CSV, Excel, PDF or HTML"
    )
    led.add_argument("out", type=Path, help="OUT.csv, OUT.xlsx, OUT.pdf (printed by Chromium) or OUT.html")
    led.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
    led.add_argument("--year", type=int, help="a calendar year (default: since the fund began)")
    led.add_argument("--lang", choices=("en", "zh"), default=None, help="language (default: $DASHBOARD_LANG, else zh)")
    _users_parser(sub)
    return parser


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _metrics(args) -> int:
    """Every shown metric with its value, unit, target, pace, change and definition (the catalogue's own words), and
    the names the data declare (the town, the fund, its programmes)."""
    import declared
    import metrics
    import queries
    from etl import db, publish
    from i18n import numbers, t

    db_file = db.db_path(args.db)
    con = publish.open_source(db_file, draft=args.draft, wait=db.lock_wait())
    if con is None:
        print(_nothing_to_read(db_file), file=sys.stderr)
        return EXIT_USAGE
    version = None if args.draft else publish.current(db_file)
    try:
        day = args.as_of or queries.as_of_date(con)
        # the year the dashboard and the Presenter open on for that day (the year before during January-March)
        year = None if args.all_years else (args.year or int(queries.default_year(con, day=day).iloc[0]["year"]))
        frame = metrics.figures(con, year=year, as_of=day, community=args.community)
        names = declared.of(con)
    finally:
        con.close()
    period = metrics.Period.of(year, day)

    def plain(x):
        return None if x is None or x != x else (int(x) if float(x).is_integer() else round(float(x), 6))

    rows = []
    for row in frame.to_dict("records"):
        m = metrics.METRICS[row["code"]]
        rows.append(
            {
                "code": m.code,
                "name": m.label(args.lang),
                "value": plain(row["value"]),
                "unit": "ratio" if m.unit == "percent" else m.unit,
                "target": plain(row["target"]),
                "expected": plain(row["expected"]) if row["partial"] else None,
                "previous": plain(row["previous"]),
                "numerator": plain(row["numerator"]),
                "denominator": plain(row["denominator"]),
                "kind": m.kind,
                "scope": row["scope"],
                "definition": m.explain(args.lang),
            }
        )
    if args.json:
        document = {
            "as_of": day.isoformat(),
            "period": {
                "start": period.start.isoformat() if year is not None else None,
                "end": period.end.isoformat(),
                "year": year,
                "year_to_date": period.partial,
            },
            "community": args.community,
            "names": {key: names.params(args.lang)[key] for key in ("town", "place", "fund", "mentoring", "training")},
            "version": version,  # the published version read (None: the draft, with --draft)
            "metrics": rows,
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    # the text in the reader's language throughout (the catalogue's cli.metrics.*), dates as the pages write them
    lang = args.lang

    def say(key: str, **params: object) -> str:
        return t(f"cli.metrics.{key}", lang, **params)

    if year is None:
        span = say("all_years")
    elif period.partial:
        span = say("year_to_date", year=year, date=numbers.day(period.end, lang))
    else:
        span = say("year", year=year)
    print(" · ".join((say("as_of", date=numbers.day(day, lang)), span, args.community or say("town"))))
    for row in rows:
        m = metrics.METRICS[row["code"]]
        line = _padded(row["name"], 45) + " " + _padded(numbers.by_unit(m.unit, row["value"], lang), 12, right=True)
        if row["target"] is not None:
            line += "  " + say("target", target=numbers.by_unit(m.unit, row["target"], lang))
        if args.community and row["scope"] == "town":
            line += "  " + say("town_wide")
        print(line)
    return EXIT_OK


def _padded(text: str, width: int, right: bool = False) -> str:
    """`text` padded with spaces to `width` terminal columns (a Chinese character takes two), so columns line up."""
    import unicodedata

    gap = " " * max(width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text), 0)
    return gap + text if right else text + gap


# --- report and deck: the Presenter page's downloads, made without a browser session (e.g. on a schedule)

HANDOUTS = {"report": (".pdf", ".html", ".htm"), "deck": (".pptx",)}


def _handout_parsers(sub) -> None:
    report = sub.add_parser("report", help="the printable leadership report: OUT.pdf (printed by Chromium) or OUT.html")
    report.add_argument("out", type=Path, help="OUT.pdf or OUT.html")
    deck = sub.add_parser("deck", help="the forum deck as a PowerPoint file")
    deck.add_argument("out", type=Path, help="OUT.pptx")
    for command in (report, deck):
        command.add_argument("--db", help="warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)")
        command.add_argument("--as-of", type=_day, help="YYYY-MM-DD (default: the data's as-of date)")
        command.add_argument(
            "--lang", choices=("en", "zh"), default=None, help="language (default: $DASHBOARD_LANG, else zh)"
        )
        command.add_argument(
            "--no-mask",
            dest="mask",
            action="store_false",
            help="show people's names in full (default: 张*, as the Presenter)",
        )
        command.add_argument(
            "--mask-names", dest="mask", action="store_true", help=argparse.SUPPRESS
        )  # the default now
        command.add_argument(
            "--draft",
            action="store_true",
            help="the working data, unpublished imports included (every page says draft)",
        )


_NOTHING_PUBLISHED = (
    "error: nothing is published yet: leaders, handouts and the ledger show only approved figures "
    "(an approver publishes on the Review page or with `etl publish`; --draft reads the working data)"
)


def _nothing_to_read(db_file: Path) -> str:
    """Why a reading command has nothing to read: an empty warehouse (load workbooks first), or nothing published."""
    from etl import db

    try:
        con = db.connect(db_file)
    except db.WarehouseLocked:
        return _NOTHING_PUBLISHED
    try:
        empty = db.is_empty(con)
    finally:
        con.close()
    return f"error: the warehouse {db_file} holds no data yet: load workbooks first" if empty else _NOTHING_PUBLISHED


def _handout_lang(args) -> str:
    """A handout's language: --lang, else $DASHBOARD_LANG, else Chinese (the town's language)."""
    env_lang = os.environ.get("DASHBOARD_LANG", "")
    return args.lang or (env_lang if env_lang in ("en", "zh") else "zh")


def _chromium() -> str | None:
    """The Chromium (or Chrome) found on PATH, or None."""
    from presenter.report import chromium

    return chromium()


def _handout(args) -> int:
    """`report OUT.pdf|OUT.html` and `deck OUT.pptx`: slides.build with report.to_html / deck.to_pptx, the code
    behind the Presenter page's downloads. Exit 0 when written; 2 on a usage or database error (a locked
    warehouse, an empty one, a date after the data's as-of date) or when a PDF is asked for and no Chromium is
    installed."""
    out: Path = args.out
    kinds = HANDOUTS[args.command]
    if out.suffix.lower() not in kinds:
        print(f"error: {args.command} writes {' or '.join(kinds)} files, not {out.name!r}", file=sys.stderr)
        return EXIT_USAGE
    if not out.parent.is_dir():
        print(f"error: no such folder: {out.parent}", file=sys.stderr)
        return EXIT_USAGE
    chromium = None
    if out.suffix.lower() == ".pdf":
        chromium = _chromium()
        if chromium is None:
            print(
                "error: printing a PDF needs Chromium, which is not installed (on Debian: apt-get install chromium); "
                "write OUT.html instead and print it from a browser",
                file=sys.stderr,
            )
            return EXIT_USAGE
    from etl import db

    warehouse = db.db_path(args.db)
    if not warehouse.is_file():
        print(f"error: no warehouse at {warehouse} (give --db, or load workbooks first)", file=sys.stderr)
        return EXIT_USAGE
    lang = _handout_lang(args)

    import queries
    from etl import publish
    from presenter import deck as pptx
    from presenter import report, slides

    con = publish.open_source(warehouse, draft=args.draft, wait=db.lock_wait())
    if con is None:
        print(_nothing_to_read(warehouse), file=sys.stderr)
        return EXIT_USAGE
    try:
        if db.is_empty(con):
            print(f"error: the warehouse {warehouse} holds no data yet: load workbooks first", file=sys.stderr)
            return EXIT_USAGE
        latest = queries.as_of_date(con)
        if args.as_of and args.as_of > latest:
            print(f"error: --as-of {args.as_of} is after the data's as-of date {latest}", file=sys.stderr)
            return EXIT_USAGE
        deck = slides.build(con, lang=lang, day=args.as_of, mask=args.mask)
    finally:
        con.close()
    if args.command == "deck":
        out.write_bytes(pptx.to_pptx(deck))
    elif chromium is None:
        out.write_text(report.to_html(deck), encoding="utf-8")
    else:
        out.write_bytes(report.print_pdf(report.to_html(deck), chromium, str(out)))
    what = "draft" if args.draft else deck.stamp
    print(
        f"{out} ({args.command}, {lang}, as of {deck.day.isoformat()}{', names masked' if deck.masked else ''}; {what})"
    )
    return EXIT_OK


def _ledger(args) -> int:
    """`ledger OUT`: the public ledger as the page offers it, from the current published version only (individual
    donors masked). Exit 0 when written; 1 when written but its totals do not reconcile with the catalogue's fund
    figures; 2 on a usage error, nothing published yet, or no Chromium for a PDF."""
    from etl import db, publish
    from presenter import ledger, report

    makers = {".csv": ledger.to_csv, ".xlsx": ledger.to_xlsx, ".pdf": ledger.to_pdf}
    suffix = args.out.suffix.lower()
    if suffix not in (*makers, ".html"):
        print(f"error: ledger writes .csv, .xlsx, .pdf or .html files, not {args.out.name!r}", file=sys.stderr)
        return EXIT_USAGE
    if suffix == ".pdf" and report.chromium() is None:
        print("error: printing a PDF needs Chromium, which is not installed; write OUT.html instead", file=sys.stderr)
        return EXIT_USAGE
    con = publish.open_source(db.db_path(args.db))  # the public ledger is never a draft
    if con is None:
        print(_NOTHING_PUBLISHED, file=sys.stderr)
        return EXIT_USAGE
    with con:
        book = ledger.build(con, year=args.year, lang=_handout_lang(args))
    if suffix == ".html":
        args.out.write_text(ledger.to_html(book), encoding="utf-8")
    else:
        args.out.write_bytes(makers[suffix](book))
    print(f"{args.out} ({book.version}, {ledger.period(book)}; {ledger.reconciliation(book)})")
    return EXIT_OK if book.reconciled else EXIT_REFUSED


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


def _users_parser(sub) -> None:
    users = sub.add_parser("users", help="manage the dashboard's sign-in accounts (see README)")
    users.add_argument("--accounts", help="accounts file (default: $DASHBOARD_ACCOUNTS or data/accounts.json)")
    users.add_argument("--db", help="warehouse whose audit trail records the change")
    act = users.add_subparsers(dest="action", required=True)
    add = act.add_parser("add", help="create an account (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--role", choices=_Roles(), required=True, metavar="ROLE", help="one of: %(choices)s")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    role = act.add_parser("set-role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=_Roles(), metavar="ROLE", help="one of: %(choices)s")
    reset = act.add_parser("reset-password", help="give an account a new password")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    act.add_parser("list", help="list the accounts")
    remove = act.add_parser("remove", help="delete an account")
    remove.add_argument("name")


class _Roles:
    """accounts.ROLES as argparse's choices, imported only when a role is checked or help is shown (accounts imports
    DuckDB and pandas, which `load` must not wait for; a metavar keeps argparse from listing them as it builds)."""

    def __iter__(self):
        from etl.accounts import ROLES

        return iter(ROLES)

    def __contains__(self, role: object) -> bool:
        return role in list(self)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _audit_account_change(args, action: str, **details: object) -> None:
    """Record in the warehouse; while the app holds it, in the journal beside the accounts file."""
    from etl import accounts, audit, db

    try:
        con = db.connect(args.db, wait=db.lock_wait())
    except db.WarehouseLocked:
        journal = accounts.journal_path(args.accounts)
        audit.append_pending(journal, _operator(), action, **details)
        print(f"(the warehouse is in use: recorded in {journal}; the dashboard copies it into its audit trail)")
        return
    try:
        audit.absorb(con, accounts.journal_path(args.accounts))
        audit.record(con, _operator(), action, **details)
    finally:
        con.close()


def _operator() -> str:
    from etl import audit

    return audit.os_user()


def _users(args) -> int:
    from etl import accounts

    path = args.accounts
    try:
        if args.action == "list":
            rows = accounts.list_users(path)
            if not rows and accounts.is_open(path):
                print(
                    "no accounts: the app serves this computer only (create an admin with `users add NAME --role admin`)"
                )
            elif not rows:
                print(
                    f"no accounts in {accounts.accounts_path(path)}: sign-in is on and nobody can sign in "
                    "(create an admin with `users add NAME --role admin`)"
                )
            for row in rows:
                print(f"{row['name']:<20} {row['role']:<8} created {row['created']}  changed {row['changed']}")
            return EXIT_OK
        if args.action == "add":
            accounts.add_user(args.name, args.role, _password(args.password_stdin), path)
            _audit_account_change(args, "account_added", account=args.name, role=args.role)
            print(f"added {args.name} ({args.role}) to {accounts.accounts_path(path)}")
        elif args.action == "set-role":
            before = accounts.set_role(args.name, args.role, path)
            _audit_account_change(args, "role_changed", account=args.name, role=args.role, before=before)
            print(f"{args.name}: {before} -> {args.role}")
        elif args.action == "reset-password":
            accounts.reset_password(args.name, _password(args.password_stdin), path)
            _audit_account_change(args, "password_reset", account=args.name)
            print(f"new password set for {args.name}")
        else:
            accounts.remove_user(args.name, path)
            _audit_account_change(args, "account_removed", account=args.name)
            print(f"removed {args.name}")
    except (ValueError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_REFUSED
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
    name = (lambda k: KINDS[k].zh) if args.lang == "zh" else (lambda k: k)
    summary = ("，" if args.lang == "zh" else ", ").join(
        t("cli.undid.kind", args.lang, kind=name(k), **v) for k, v in effects.items()
    )
    print(t("cli.undid", args.lang, batch=args.batch_id) + (f" — {summary}" if summary else ""))
    for problem in effects.warnings:
        print(f"  {t('cli.warning', args.lang)}: {problem.message(args.lang)}")
    if done is not None:
        print(t("cli.published", args.lang, version=done.version))
    return EXIT_OK


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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 refused/rejected, 2 usage or database error)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        if args.command == "load":
            return _load(args)
        if args.command == "history":
            return _history(args)
        if args.command == "undo":
            return _undo(args)
        if args.command == "restore":
            return _restore(args)
        if args.command == "rebuild":
            return _rebuild(args)
        if args.command == "metrics":
            return _metrics(args)
        if args.command in ("publish", "versions", "rollback"):
            return _publishing(args)
        if args.command == "users":
            return _users(args)
        if args.command in HANDOUTS:
            return _handout(args)
        if args.command == "export":
            return _export(args)
        if args.command == "ledger":
            return _ledger(args)
        if args.command == "sample":
            from etl.sample import write_samples

            for path in write_samples(args.out_dir):
                print(path)
            return EXIT_OK
        from etl.template import write_template

        print(write_template(args.out, args.lang))
        return EXIT_OK
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


if __name__ == "__main__":
    run()
