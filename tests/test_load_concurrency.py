"""Ten sessions read every page's figures while an import runs: no exception, never a mix of before and after."""

from __future__ import annotations

import inspect
import threading

import streamlit as st
from workbooks import workbook_bytes

import queries
from etl import db
from etl.load import import_file
from ui import session

READERS = 10


def page_queries():
    """Every query a page can call, with the filters it takes."""
    for name, fn in inspect.getmembers(queries, inspect.isfunction):
        params = inspect.signature(fn).parameters
        required = {n for n, p in params.items() if p.default is p.empty and n != "con"}
        if name.startswith("_") or fn.__module__ != "queries" or required - {"by"}:
            continue
        kwargs = {"year": 2023} if "year" in params else {}
        if "by" not in params:
            yield fn, kwargs
            continue
        for by in queries.GROUPINGS[name]:
            yield fn, {**kwargs, "by": by}


def headline(con) -> tuple:
    kpis = queries.kpis(con, year=2023).set_index("metric")["value"]
    return kpis["person_times"], kpis["fund_raised"], kpis["training_hours"]


def test_readers_see_before_or_after_never_a_mix(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    monkeypatch.setenv("DASHBOARD_BACKUPS", "0")
    st.cache_resource.clear()
    con = session.warehouse(str(db.db_path()))  # the app's own connection, with the sample data
    cursor = con.cursor()
    before = headline(cursor)
    workers = [r[0] for r in cursor.execute("SELECT worker_id FROM workers ORDER BY 1").fetchall()]
    sessions = [["场次编号", "培训主题", "日期", "学时"], *[[f"N{i}", "新", "2023-12-2", 2] for i in range(5)]]
    attendance = [["场次编号", "人员编号"], *[[f"N{i}", w] for i in range(5) for w in workers]]
    gift = [["捐赠编号", "捐赠日期", "金额(元)"], ["D-LOAD", "2023-12-21", "5万"]]
    data = workbook_bytes({"培训场次": sessions, "签到表": attendance, "捐赠": gift})
    after = (before[0] + 5 * len(workers), before[1] + 50_000, before[2] + 10)

    errors: list[BaseException] = []
    seen: list[tuple] = []
    started = threading.Barrier(READERS + 1)
    importing = threading.Event()

    def reader() -> None:
        try:
            started.wait()
            rounds = 0
            while rounds < 3 or importing.is_set():
                run = con.cursor()
                session.snapshot(run)  # what every page run does first
                first = headline(run)
                for fn, kwargs in page_queries():
                    fn(run, **kwargs)
                assert headline(run) == first  # the same run never sees the import arrive halfway
                seen.append(first)
                run.close()
                rounds += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    importing.set()
    started.wait()
    result = import_file(con.cursor(), data, "load.xlsx", user="analyst")
    importing.clear()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert result.status == "loaded", result.errors[:3]
    assert headline(con.cursor()) == after
    assert set(seen) <= {before, after}
    assert len(seen) >= 3 * READERS
    st.cache_resource.clear()
