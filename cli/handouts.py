"""What readers read, from the command line: metrics, report, deck and ledger (the Presenter page's and the ledger
page's downloads, made without a browser session, e.g. on a schedule). Each reads through the one reader
(etl.publish.open_source): the current published version; the working data only with --draft (the public ledger
has none)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import i18n
from cli.exits import EXIT_OK, EXIT_REFUSED, EXIT_USAGE

DB_HELP = "warehouse file (default: $DASHBOARD_DB or data/warehouse.duckdb)"
HANDOUTS = {"report": (".pdf", ".html", ".htm"), "deck": (".pptx",)}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    met = sub.add_parser("metrics", help="every figure of the metric catalogue for a period")
    met.add_argument("--db", help=DB_HELP)
    met.add_argument("--year", type=int, help="a calendar year (default: the year the dashboard opens on)")
    met.add_argument("--all-years", action="store_true", help="every year up to the as-of date")
    met.add_argument("--as-of", type=_day, help="YYYY-MM-DD (default: the data's as-of date)")
    met.add_argument("--community", help="one community (town-wide figures stay town-wide and say so)")
    met.add_argument("--lang", choices=i18n.LANGUAGES, default="en")
    met.add_argument("--json", action="store_true", help="print one JSON document")
    met.add_argument("--draft", action="store_true", help="the working data (unpublished imports included)")
    report = sub.add_parser("report", help="the printable leadership report: OUT.pdf (printed by Chromium) or OUT.html")
    report.add_argument("out", type=Path, help="OUT.pdf or OUT.html")
    deck = sub.add_parser("deck", help="the forum deck as a PowerPoint file")
    deck.add_argument("out", type=Path, help="OUT.pptx")
    for command in (report, deck):
        command.add_argument("--db", help=DB_HELP)
        command.add_argument("--as-of", type=_day, help="YYYY-MM-DD (default: the data's as-of date)")
        command.add_argument(
            "--lang", choices=i18n.LANGUAGES, default=None, help="language (default: $DASHBOARD_LANG, else zh)"
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
    led = sub.add_parser(
        "ledger", help="the fund's public ledger (基金公示) of the published version: CSV, Excel, PDF or HTML"
    )
    led.add_argument("out", type=Path, help="OUT.csv, OUT.xlsx, OUT.pdf (printed by Chromium) or OUT.html")
    led.add_argument("--db", help=DB_HELP)
    led.add_argument("--year", type=int, help="a calendar year (default: since the fund began)")
    led.add_argument(
        "--lang", choices=i18n.LANGUAGES, default=None, help="language (default: $DASHBOARD_LANG, else zh)"
    )


def _day(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


_NOTHING_PUBLISHED = (
    "error: nothing is published yet: leaders, handouts and the ledger show only approved figures "
    "(an approver publishes on the Review page or with `etl publish`; --draft reads the working data)"
)


def _reader(args):
    """What a reading command reads, chosen by the one reader (etl.publish.open_source) as the pages' is: the
    current published version, or the working data when --draft asks for it (the public ledger has no --draft).
    None, with the reason said on stderr, when there is nothing to read: no warehouse, or nothing published."""
    from etl import db, publish

    warehouse = db.db_path(args.db)
    if not warehouse.is_file():
        print(f"error: no warehouse at {warehouse} (give --db, or load workbooks first)", file=sys.stderr)
        return None
    con = publish.open_source(warehouse, draft=getattr(args, "draft", False), wait=db.lock_wait())
    if con is None:
        print(_nothing_to_read(warehouse), file=sys.stderr)
    return con


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
    return args.lang or (env_lang if i18n.known(env_lang) else "zh")


def _metrics(args) -> int:
    """Every shown metric with its value, unit, target, pace, change and definition (the catalogue's own words), and
    the names the data declare (the town, the fund, its programmes)."""
    import declared
    import metrics
    import queries
    from etl import db, publish
    from i18n import numbers, t

    con = _reader(args)
    if con is None:
        return EXIT_USAGE
    version = None if args.draft else publish.current(db.db_path(args.db))
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
    con = _reader(args)
    if con is None:
        return EXIT_USAGE
    lang = _handout_lang(args)

    import queries
    from etl import db
    from presenter import deck as pptx
    from presenter import report, slides

    try:
        if db.is_empty(con):
            print(
                f"error: the warehouse {db.db_path(args.db)} holds no data yet: load workbooks first", file=sys.stderr
            )
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
    from presenter import ledger, report

    makers = {".csv": ledger.to_csv, ".xlsx": ledger.to_xlsx, ".pdf": ledger.to_pdf}
    suffix = args.out.suffix.lower()
    if suffix not in (*makers, ".html"):
        print(f"error: ledger writes .csv, .xlsx, .pdf or .html files, not {args.out.name!r}", file=sys.stderr)
        return EXIT_USAGE
    if suffix == ".pdf" and report.chromium() is None:
        print("error: printing a PDF needs Chromium, which is not installed; write OUT.html instead", file=sys.stderr)
        return EXIT_USAGE
    con = _reader(args)  # the public ledger has no --draft: always the published version
    if con is None:
        return EXIT_USAGE
    with con:
        book = ledger.build(con, year=args.year, lang=_handout_lang(args))
    if suffix == ".html":
        args.out.write_text(ledger.to_html(book), encoding="utf-8")
    else:
        args.out.write_bytes(makers[suffix](book))
    print(f"{args.out} ({book.version}, {ledger.period(book)}; {ledger.reconciliation(book)})")
    return EXIT_OK if book.reconciled else EXIT_REFUSED


COMMANDS = {"metrics": _metrics, "report": _handout, "deck": _handout, "ledger": _ledger}
