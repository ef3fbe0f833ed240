"""Audit: every import, undo, sign-in, failed sign-in and account change, newest first (admins only, read-only)."""

import streamlit as st

from etl import accounts, audit
from i18n import numbers
from presenter import trail
from ui import signin
from ui.page import setup

page = setup("audit.title")
signin.require_role("admin", page.lang)
writer = page.writer()  # the run's own cursor reads a snapshot taken before this absorb
audit.absorb(writer, accounts.journal_path())  # account changes made with the CLI while the app held the file

st.caption(page.t("audit.help"))
if accounts.is_open():  # the admin's next step before the town's network may use the app
    st.info(page.t("auth.open"), icon=":material/admin_panel_settings:")
events = audit.trail(writer)
if events.empty:
    page.empty("audit.empty")
    st.stop()

shown = trail.trail_table(events, page.lang)
st.caption(page.t("audit.count", count=numbers.number(len(shown))))
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={page.t("audit.col.at"): st.column_config.DatetimeColumn(format=numbers.datetime_format(page.lang))},
    placeholder="",
)
page.downloads(shown, "audit_trail")
