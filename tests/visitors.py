"""People opening the app in a test: the accounts tests create, signing in, asking for a page by its URL, and
the charts a page draws as they reach the browser."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ui import widgets

ROOT = Path(__file__).resolve().parent.parent  # the repository: app.py for AppTest, the working folder for the CLI
PASSWORDS = {"ada": "admin-secret-1", "ann": "analyst-secret-2", "vic": "viewer-secret-3"}
ROLES = {"ada": "admin", "ann": "analyst", "vic": "viewer"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_page(page: str, **params: str) -> AppTest:
    """A page of the app opened through app.py with these URL parameters (lang, year, community …), run once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(page: str | None = None) -> AppTest:
    """A new session on the default page, or on `page` as a link to it would open it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page:
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].upload(name, data, XLSX).run()
    assert not at.exception, at.exception
    return at


def open_drilldown(at: AppTest) -> AppTest:
    """The drill-down opened, as a click on its expander does (it runs only when open)."""
    assert not [s for s in at.selectbox if s.key == "drill_metric"]  # closed, it runs no queries
    at.session_state[widgets.DRILLDOWN] = True
    return at.run()


def by_url(at: AppTest, page: str) -> AppTest:
    """Request a page the navigation does not offer this user, as a typed URL or a crafted rerun would."""
    at._page_hash = calc_hash(page)  # the script hash a request for /<page> carries
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, name: str, password: str, form: str = "page_sign_in") -> AppTest:
    at.text_input(key=f"{form}_name").input(name)
    at.text_input(key=f"{form}_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """Each Plotly chart's decoded figure, by the name the page gave it (its key is chart_<name>)."""
    out = {}
    for element in at.get("plotly_chart"):
        name = element.proto.id.rsplit("-chart_", 1)[-1]
        out[name] = json.loads(element.proto.spec)
    return out


def array(value: object) -> list:
    """A trace's array as Plotly's JSON carries it: a list, or typed bytes ({'dtype': 'f8', 'bdata': …})."""
    if value is None:
        return []
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


# --- what a page shows, as AppTest reads it


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def shown_text(at: AppTest) -> list[str]:
    """Every label, value, option and table header the page shows (main area and sidebar)."""
    out: list[str] = []
    for node in walk(at._tree):
        for attr in ("label", "value", "options", "placeholder", "help"):
            try:
                value = getattr(node, attr)
            except Exception:  # an element without that attribute, or one AppTest cannot read
                continue
            if isinstance(value, pd.DataFrame):
                out += [str(c) for c in value.columns]
            elif isinstance(value, list | tuple):
                out += [v for v in value if isinstance(v, str)]
            elif isinstance(value, str):
                out.append(value)
    return out


def chart_labels(at: AppTest) -> list[str]:
    """Trace names and category labels of every Plotly chart."""
    out: list[str] = []
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            out += [trace.get("name") or ""]
            for axis in ("x", "y", "labels"):
                if isinstance(trace.get(axis), list):
                    out += [v for v in trace[axis] if isinstance(v, str)]
    return out


def slide_number(path: Path, key: str, lang: str = "en") -> int:
    """The Presenter's number (from 1) of the slide `key` in the deck of the warehouse's published version: its
    place moves with the slides before it (the voices' one among them)."""
    import duckdb

    from etl import publish
    from presenter import slides

    con = duckdb.connect(str(publish.current_file(path)), read_only=True)
    try:
        return [s.key for s in slides.build(con, lang=lang).slides].index(key) + 1
    finally:
        con.close()
