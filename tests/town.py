"""The sample town with its people (an admin, an analyst, an approver and a viewer), opened as one of them; a
donation to import (tests/test_publish.py, tests/test_approval.py, tests/test_chinese_surfaces.py)."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, ROOT, sign_in

from etl import accounts

DONATION = [["捐赠编号", "捐赠日期", "捐赠方", "金额(元)"], ["D-PUB-1", "2023-12-30", "某企业", "40000"]]
PEOPLE = {"ada": "admin", "ann": "analyst", "vic": "viewer", "abe": "approver"}
PASSWORDS = {**PASSWORDS, "abe": "approver-secret-4"}


def a_town(sample_file, tmp_path, monkeypatch):
    """A copy of the sample warehouse as DASHBOARD_DB, in English, with an admin, an analyst, an approver and a viewer;
    Streamlit's caches cleared before and after."""
    import shutil

    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    for name, role in PEOPLE.items():
        accounts.add_user(name, role, PASSWORDS[name])
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def open_as(name: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    sign_in(at, name, PASSWORDS[name])
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def raised(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label.startswith("Fund raised"))
