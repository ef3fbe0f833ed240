"""Review and publish (审核发布): approvers see exactly what publishing would change, then publish or reject exactly that."""

from pathlib import Path

import pandas as pd
import streamlit as st

import i18n
import metrics
import queries
from etl import publish
from i18n import numbers
from presenter import markdown, review
from ui import session, signin
from ui.page import setup

SHOWN = "_review_shown"  # the publish.Review the last run of this page drew: what Approve and Reject act on


@st.cache_data(show_spinner=False, max_entries=64)
def _figures(source: str, version: str, year: int | None, _con) -> pd.DataFrame:
    """The catalogue's figures for one period of one state of one warehouse (a published file never changes; the
    working data changes only with a batch), computed once per state instead of on every run of this page."""
    return metrics.figures(_con, year=year, as_of=queries.as_of_date(_con))


@st.cache_data(show_spinner=False, max_entries=16)
def _row_lines(version: str | None, state: str, lang: str, path: str, _con) -> list[str]:
    """What publishing changes row by row (added, changed, removed, in business words), once per pair of states."""
    published = publish.version_file(Path(path), version) if version else None
    return review.row_lines(review.version_changes(_con, published), lang)


def _years(con) -> set[int]:
    return {int(y) for y in queries.years(con)["year"]}


def _token(shown: publish.Review) -> str:
    """The confirmation box's key for one state: a new state gets a new, unticked box (the approver checks again)."""
    return f"publish_sure_{shown.version}.{shown.seq}.{'.'.join(shown.pending)}.{'.'.join(shown.withdrawn)}"


def _batches(frame: pd.DataFrame) -> str:
    """B00006（file.xlsx，ann）、… — the batches a message names, with their files and who imported them."""
    comma = i18n.style(page.lang).comma
    return i18n.joined(
        (i18n.bracketed(r.batch_id, f"{r.file_name}{comma}{r.user_name}", page.lang) for r in frame.itertuples()),
        page.lang,
    )


def _act(action) -> None:
    """Approve or Reject: `action(shown)` publishes or rejects exactly what the last run drew (`shown`) and returns
    what to say. If the data moved on since (or nothing was drawn), nothing is done and the page says what arrived.
    Then the page runs again, without the state it drew: this approver's own change is not "more arrived"."""
    try:
        if before_shown is None:
            raise publish.Changed(seen, seen)
        st.session_state["publish_done"] = action(before_shown)
        session.clear_caches()
    except publish.Changed as exc:
        st.session_state["_review_moved"] = _batches(publish.pending(page.writer(), exc.arrived)) or "—"
    st.session_state.pop(SHOWN, None)
    st.rerun()


page = setup("review.title")
user = signin.require_role("approver", page.lang)  # checked again by publish.publish_as / reject_as
work = page.writer()
st.caption(page.t("publish.help"))
before_shown: publish.Review | None = st.session_state.get(SHOWN)
seen = publish.review(work)

if before_shown is not None and before_shown != seen and st.session_state.get(_token(before_shown)):
    # the approver had ticked "checked" and the data moved on: say what arrived; the new box is unticked
    arrived = [b for b in seen.pending if b not in before_shown.pending]
    st.session_state["_review_moved"] = _batches(publish.pending(work, arrived)) or "—"
moved = st.session_state.pop("_review_moved", None)  # Approve or Reject found more than was shown: said at the buttons
if done := st.session_state.pop("publish_done", None):
    st.success(done, icon=":material/check_circle:")

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
waiting = publish.pending(work, seen.pending)
gone = publish.withdrawn(work, seen)
if seen.empty:
    st.success(page.t("publish.no_pending"), icon=":material/check_circle:")
else:
    # exactly what Approve publishes: the batches by id and the last batch number, whatever arrives after this run
    ids = review.batch_list(seen.pending, page.lang) or page.t("publish.no_new")
    st.markdown(page.md("publish.exactly", batches=ids, seq=seen.seq))
if not waiting.empty:
    st.dataframe(review.pending_table(waiting, page.lang), hide_index=True, width="stretch", placeholder="")
if not gone.empty:
    st.warning(page.md("publish.withdrawn", version=seen.version or "", batches=_batches(gone)), icon=":material/undo:")
if not seen.empty:  # the rows, in business words: names, sessions, amounts
    st.subheader(page.t("publish.rows"))
    rows = _row_lines(seen.version, session.working_state(work), page.lang, page.path, work)
    st.markdown("\n".join(f"- {markdown.escape(line)}" for line in rows) or page.t("publish.no_rows"))

# four eyes: an approver does not approve their own import while someone else can
mine, others = publish.four_eyes(user, waiting)  # the rule publish.publish_as enforces
own = waiting[waiting["batch_id"].isin(mine)]
if not own.empty and others:
    names = i18n.style(page.lang).list_sep.join(others)
    st.warning(page.md("publish.own_import", batches=_batches(own), others=names), icon=":material/group:")
elif not own.empty:
    st.info(page.md("publish.self_approval", batches=_batches(own)), icon=":material/person:")

# every figure the pending batches change, for each year they touch and for all years, whatever the sidebar says
st.header(page.t("publish.changes_all"))
changes = pd.DataFrame()
if not seen.empty:  # nothing pending: the working data are the published version, and no figure changes
    current_file = publish.current_file(Path(page.path))
    published = session.published_cursor(current_file) if current_file is not None else None
    state = session.working_state(work)
    periods = sorted(_years(work) | (_years(published) if published is not None else set()), reverse=True)
    pairs = []
    for year in [*periods, None]:
        before = _figures(str(current_file), current_file.name, year, published) if current_file and published else None
        pairs.append((year, before, _figures(page.path, state, year, work)))
    changes = review.all_changes(pairs, page.lang)
if changes.empty:
    st.caption(page.t("publish.no_changes_all"))
else:
    st.dataframe(changes, hide_index=True, width="stretch", placeholder="")

if moved:  # beside the buttons the approver just used, not up at the top out of view
    st.error(page.md("publish.moved", batches=moved), icon=":material/sync_problem:")
if not seen.empty:
    sure = st.checkbox(page.t("publish.confirm"), key=_token(seen))  # a new state asks again
    hint = None if sure else page.t("publish.tick_first")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        note = st.text_input(page.t("publish.note"), key="publish_note", max_chars=200)
        blocked = not own.empty and bool(others)
        if st.button(
            page.t("publish.approve"),
            type="primary",
            disabled=not sure or blocked,
            icon=":material/verified:",
            help=hint,
        ):
            _act(
                lambda shown: page.t(
                    "publish.done", version=publish.publish_as(user, page.writer(), note.strip(), shown).version
                )
            )
    if seen.pending:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            reason = st.text_input(page.t("publish.reason"), key="publish_reason", max_chars=300)
            if st.button(page.t("publish.reject"), icon=":material/undo:", disabled=not sure, help=hint):
                if not reason.strip():
                    st.error(page.t("publish.need_reason"), icon=":material/error:")
                else:
                    _act(
                        lambda shown: page.t(
                            "publish.rejected", n=len(publish.reject_as(user, page.writer(), reason.strip(), shown))
                        )
                    )
st.session_state[SHOWN] = seen  # what this run drew: the next run's Approve or Reject acts on exactly this

st.header(page.t("publish.versions"))
st.dataframe(review.versions_table(versions, page.lang), hide_index=True, width="stretch", placeholder="")
