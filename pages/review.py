"""Review and publish (审核发布): approvers see what publishing would change, then publish or reject."""

from pathlib import Path

import pandas as pd
import streamlit as st

import metrics
import queries
from etl import accounts, publish
from ui import numbers, review, session, signin
from ui.page import setup


@st.cache_data(show_spinner=False, max_entries=32)
def _figures(source: str, version: str, year: int, _con) -> pd.DataFrame:
    """The catalogue's figures for one state of one warehouse (a published file never changes; the working data
    changes only with a batch), computed once per state instead of on every run of this page."""
    return metrics.figures(_con, year=year, as_of=queries.as_of_date(_con))


def _working_state(con) -> str:
    seq, undone, latest = con.execute(
        "SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE status = 'undone'), max(imported_at)::VARCHAR "
        "FROM import_batches"
    ).fetchall()[0]
    return f"{seq}.{undone}.{latest}"


page = setup("review.title")
user = signin.require_role(page, "approver")  # checked again by accounts.publish_as / reject_as
work = page.writer()
st.caption(page.t("publish.help"))

versions = publish.versions(work)
now = versions[versions["current"]]
if now.empty:
    st.info(page.t("publish.none"), icon=":material/info:")
else:
    row = now.iloc[0]
    at = numbers.day(row["published_at"].date(), page.lang) + f" {row['published_at']:%H:%M}"
    st.caption(
        page.md("publish.current", version=row["version"], by=publish.publisher(row["published_by"], page.lang), at=at)
    )

st.header(page.t("publish.pending"))
waiting = publish.pending(work)
if waiting.empty:
    st.success(page.t("publish.no_pending"), icon=":material/check_circle:")
else:
    st.dataframe(review.pending_table(waiting, page.lang), hide_index=True, width="stretch")

year = page.year or int(queries.default_year(work).iloc[0]["year"])
st.header(page.t("publish.changes", year=year))
current_file = publish.current_file(Path(page.path))
before = None
if current_file is not None:
    published = session.published_cursor(current_file)
    before = _figures(str(current_file), current_file.name, year, published)
after = _figures(page.path, _working_state(work), year, work)
changes = review.publish_changes(before, after, page.lang)
if changes.empty:
    st.caption(page.t("publish.no_changes"))
else:
    st.dataframe(changes, hide_index=True, width="stretch")

if not waiting.empty or publish.changed_since_published(work):
    sure = st.checkbox(page.t("publish.confirm"), key="publish_sure")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        note = st.text_input(page.t("publish.note"), key="publish_note", max_chars=200)
        if st.button(page.t("publish.approve"), type="primary", disabled=not sure, icon=":material/verified:"):
            done = accounts.publish_as(user, page.writer(), note.strip())
            session.clear_caches()
            st.session_state["publish_done"] = page.t("publish.done", version=done.version)
            st.rerun()
    if not waiting.empty:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            reason = st.text_input(page.t("publish.reason"), key="publish_reason", max_chars=300)
            if st.button(page.t("publish.reject"), icon=":material/undo:", disabled=not sure):
                if not reason.strip():
                    st.error(page.t("publish.need_reason"), icon=":material/error:")
                else:
                    undone = accounts.reject_as(user, page.writer(), reason.strip())
                    session.clear_caches()
                    st.session_state["publish_done"] = page.t("publish.rejected", n=len(undone))
                    st.rerun()
if done := st.session_state.pop("publish_done", None):
    st.success(done, icon=":material/check_circle:")

st.header(page.t("publish.versions"))
st.dataframe(review.versions_table(versions, page.lang), hide_index=True, width="stretch")
