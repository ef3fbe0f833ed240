"""Property-based tests: parsers never crash and read back what was written; data round-trips exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import workbook_bytes

from etl import db, values
from etl.kinds import ROLES
from etl.load import import_file
from etl.validate import INVISIBLE

PARSERS = [
    values.parse_date,
    values.parse_amount,
    values.parse_int,
    values.parse_number,
    values.parse_bool,
    values.parse_year,
    values.parse_target,
]

any_text = st.one_of(
    st.none(), st.text(max_size=40), st.from_regex(r"[0-9０-９,.\-+¥万亿年月日/ ]{0,16}", fullmatch=True)
)


@settings(deadline=None)  # a property, not a timing: a loaded shared machine must not fail it (bench/ measures speed)
@given(st.lists(any_text, min_size=1, max_size=20))
def test_parsers_never_raise(texts):
    series = values.normalize(pd.Series(texts, dtype="object"))
    for parser in PARSERS:
        parsed, bad = parser(series)
        assert len(parsed) == len(bad) == len(texts)
        # a cell is either read or flagged, never both, and blank cells are neither
        for i in range(len(texts)):
            if pd.isna(series.iloc[i]):
                assert not bad[i]
            elif bad[i]:
                assert pd.isna(parsed.iloc[i])


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@given(
    dates,
    st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}{m:02d}{d:02d}"]),
)
def test_any_date_in_any_accepted_form_reads_back(day, form):
    text = form.format(y=day.year, m=day.month, d=day.day)
    parsed, bad = values.parse_date(values.normalize(pd.Series([text])))
    assert not bad[0]
    assert parsed.iloc[0].date() == day


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_any_amount_in_any_accepted_form_reads_back(amount):
    forms = [f"{amount}", f"{amount:,}", f"¥{amount:,}", f"{amount}元"]
    if (amount * 100) % 1 == 0 and amount >= 1:
        forms.append(f"{(amount / 10000).normalize():f}万")
    parsed, bad = values.parse_amount(values.normalize(pd.Series(forms)))
    assert not bad.any()
    assert all(Decimal(str(v)).quantize(Decimal("0.01")) == amount for v in parsed)


names = st.text(  # invisible direction controls and zero-width characters are removed on import (test_free_text)
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="=+-@" + "".join(INVISIBLE)),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip())
worker_rows = st.lists(
    st.tuples(
        st.from_regex(r"[0-9A-Z]{1,8}", fullmatch=True),
        names,
        names,
        st.sampled_from(sorted(ROLES)),
        st.one_of(st.none(), dates),
        st.booleans(),
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda r: r[0],
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(worker_rows)
def test_export_import_round_trip(tmp_path_factory, rows):
    """Any roster written as analysts write it (Chinese labels, text dates, 是/否) loads back exactly."""
    path = tmp_path_factory.mktemp("rt") / "w.duckdb"
    sheet = [["人员编号", "姓名", "社区", "岗位", "入职日期", "在岗"]]
    for wid, name, community, role, joined, active in rows:
        sheet.append(
            [wid, name, community, ROLES[role], joined.isoformat() if joined else None, "是" if active else "否"]
        )
    con = db.connect(path)
    result = import_file(con, workbook_bytes({"名册": sheet}), "rt.xlsx")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    stored = sorted(con.execute("SELECT worker_id, name, community, role, joined_date, active FROM workers").fetchall())
    con.close()
    assert stored == sorted(rows)
