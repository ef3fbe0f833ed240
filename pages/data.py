"""Data: analysts download the template, upload workbooks, review every problem, import, and undo."""

import functools
import hashlib

import streamlit as st

import i18n
import metrics
import notes
import queries
from etl import accounts, checks, guard, kinds, load, publish
from etl.annotate import annotate
from etl.template import metadata_workbook
from i18n import numbers
from presenter import markdown, review
from ui import session, signin, widgets
from ui.page import setup


@st.cache_data(show_spinner=False, max_entries=16)
def _reconciled(path: str, state: str, _con) -> list[checks.Check]:
    """The cross-sheet checks of the working data, once per state of it (they scan every attendance row: 0.4 s at
    5,000,000 rows, on every run of this page before)."""
    return checks.reconcile(_con)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

page = setup("data.title")
lang = page.t


template_bytes = st.cache_data(show_spinner=False)(review.template_bytes)
# Analysts and admins only (checked again by publish.import_as / undo_as); the batch records the user's name.
user = signin.require_role("analyst", page.lang)


# --- 1. the template
st.header(lang("data.template.title"))
st.caption(lang("data.template.help"))
with st.container(horizontal=True, gap="small"):
    for language in ("zh", "en"):
        st.download_button(
            lang(f"data.template.{language}"),
            template_bytes(language),
            file_name=lang(f"data.template.file_{language}"),
            mime=XLSX,
            icon=":material/download:",
            on_click="ignore",
            key=f"template_{language}",
        )
    # the current working data in the template's layout, to edit and upload again (made when clicked)
    st.download_button(
        lang("data.export.button"),
        lambda: review.data_workbook(page.lang),
        file_name=review.data_file_name(page.lang),
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        help=lang("data.export.help"),
        key="data_export",
    )

# --- 2. upload and review
st.header(lang("data.upload.title"))
limit = guard.MAX_FILE_BYTES // 2**20
st.caption(lang("data.upload.help", limit=limit))
# Any file is taken (no `type`): Streamlit would refuse a .xls or .csv in the browser with an English line, while the
# import guard says in the analyst's language what the file is and how to save it as .xlsx. The drop zone's own
# English ("Upload", "50MB per file • …") cannot be set through st.file_uploader, so it is replaced by the
# catalogue's text here (the page's stylesheet, scoped to this uploader).
st.html(review.uploader_css("xlsx_uploader", lang("data.upload.button"), lang("data.upload.zone", limit=limit)))
generation = st.session_state.setdefault("upload_generation", 0)
with st.container(key="xlsx_uploader"):
    uploads = st.file_uploader(
        lang("data.upload.label"),
        accept_multiple_files=True,
        help=lang("data.upload.tooltip"),
        key=f"uploads_{generation}",
    )

if done := st.session_state.pop("import_done", None):
    for line in done:
        st.success(line, icon=":material/check_circle:")
for line in st.session_state.pop("import_warnings", None) or []:  # the change stands; a step after it failed
    st.warning(markdown.escape(line), icon=":material/warning:")
for line in st.session_state.pop("import_progress", None) or []:  # each import's bar as it ended
    st.progress(1.0, text=line)

results = []
for upload in uploads or []:
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    previews = st.session_state.setdefault("previews", {})
    if (upload.name, digest) not in previews:
        with st.spinner(page.md("data.checking", file=upload.name)):
            checking = widgets.ImportProgress(page.lang)  # a dry run goes through "load" too, then rolls back
            checked = load.import_file(page.writer(), data, upload.name, dry_run=True, progress=checking)
            checking.clear()  # the check's result replaces its bar
            previews[(upload.name, digest)] = (checked, review.upload_changes(page.writer(), checked))
    result, row_changes = previews[(upload.name, digest)]  # row by row: what the upload adds and changes
    results.append((upload.name, data, result))

    ready = result.status == "valid"
    changes = sum(s["inserted"] + s["updated"] for s in result.sheets)
    refused = result.report is None  # refused before reading (not a workbook, damaged, unsafe): one reason, no cells
    if refused:
        badge = lang("data.badge.refused")
    elif not ready:
        badge = lang("data.badge.rejected", n=len(result.errors))
    elif changes:
        badge = lang("data.badge.ready")
    else:
        badge = lang("data.badge.unchanged")
    with st.expander(f"{markdown.escape(upload.name)} — {badge}", expanded=True, icon=":material/description:"):
        if result.report and result.report.sheets:
            st.dataframe(review.sheets_table(result, page.lang), hide_index=True, width="stretch", placeholder="")
        if refused:  # one message: what the file is and how to make an .xlsx of it (no table, no annotated copy)
            reasons = " ".join(e.message(page.lang) for e in result.errors)
            st.error(page.md("data.refused", reason=reasons), icon=":material/error:")
        elif not ready:
            st.error(lang("data.rejected", n=len(result.errors)), icon=":material/error:")
            problems = review.problems_table(result.errors, page.lang)
            widths = review.PROBLEM_WIDTHS  # the table fits the page at 1280 px; long messages are written out below
            st.dataframe(
                problems,
                hide_index=True,
                width="stretch",
                placeholder="",  # a problem of a whole sheet has no row: a blank cell, not "None"
                column_config={
                    shown: st.column_config.Column(width=widths[name])
                    for name, shown in zip(widths, problems.columns, strict=True)
                },
            )
            sep = i18n.style(page.lang).list_sep
            st.markdown(
                "\n".join(
                    f"- {markdown.escape(message)}"
                    + page.md(
                        "data.problem_where",
                        n=n,
                        cells=sep.join(cells) + (" …" if n > len(cells) else ""),
                    )
                    for message, n, cells in review.problem_kinds(result.errors, page.lang)
                )
            )
            # the file itself opened: offer it back with the problems marked
            st.download_button(
                lang("data.annotated"),
                functools.partial(annotate, data, result.errors, page.lang),
                file_name=upload.name.rsplit(".", 1)[0] + lang("data.annotated_suffix") + ".xlsx",
                mime=XLSX,
                icon=":material/download:",
                on_click="ignore",
                key=f"annotated_{digest}",
            )
        else:
            for sentence in review.summary_sentences(result, page.lang):
                st.markdown(f"- {sentence}")
            for line in review.row_lines(row_changes, page.lang):
                st.markdown(f"- {markdown.escape(line)}")
            for index, sheet in enumerate(result.report.sheets):
                if sheet.frame.empty:  # e.g. the template's unused sheets
                    continue
                st.caption(page.md("data.preview", sheet=sheet.sheet, kind=review.kind_name(sheet.kind, page.lang)))
                st.dataframe(
                    review.preview(result, index, page.lang),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        header: st.column_config.TextColumn(alignment="right")
                        for header in review.right_aligned(result, index, page.lang)
                    },
                    placeholder="",
                )
        empty, warnings = review.split_warnings(result.warnings)
        if warnings:
            st.warning(
                "\n".join(f"- {markdown.escape(w.message(page.lang))}" for w in warnings), icon=":material/warning:"
            )
        if empty:
            st.caption(page.md("data.empty_sheets", sheets=i18n.joined(empty, page.lang)))


def _publication(batches: list) -> list[str]:
    """What leaders see of these imports: waiting for an approver (with accounts, or with no accounts while other
    imports a rollback took back wait too), or published at once (no accounts)."""
    if not batches:
        return []
    now = publish.review(page.writer())
    if any(b in now.pending for b in batches):
        return [lang("publish.awaiting")]
    return [lang("publish.published_now", version=now.version)] if accounts.is_open() and now.version else []


to_import = [
    (name, data) for name, data, r in results if r.status == "valid" and r.counts["inserted"] + r.counts["updated"]
]
if results:
    blocked = any(r.status != "valid" for _, _, r in results)
    if blocked:
        st.info(lang("data.fix_first"), icon=":material/info:")
    label = lang("data.import", n=len(to_import))
    if st.button(label, type="primary", disabled=blocked or not to_import, icon=":material/upload:"):
        lines, after, ended, loaded = [], [], [], []
        for name, data in to_import:
            st.caption(markdown.escape(name))
            bar = widgets.ImportProgress(page.lang)  # read, check and load, with rows per second
            try:
                result = publish.import_as(user, page.writer(), data, name, progress=bar)
            except OSError:  # its raw copy could not be kept (disk full, permissions): rolled back, nothing changed
                after.append(lang("data.not_kept", file=name))
                continue
            ended.append(f"{markdown.escape(name)} · {bar.finished()}")
            after += [w.message(page.lang) for w in result.after_commit]
            if result.status == "loaded":
                loaded.append(result.batch_id)
                lines.append(page.md("data.imported", file=name, batch=result.batch_id, **result.counts))
            elif result.status == "unchanged":
                lines.append(page.md("data.unchanged", file=name))
            else:  # the warehouse changed since the preview (another analyst): say so, keep going
                lines.append(page.md("data.import_failed", file=name, n=len(result.errors)))
        session.clear_caches()
        st.session_state["previews"] = {}
        lines += _publication(loaded)
        st.session_state["import_done"] = lines
        st.session_state["import_warnings"] = after
        st.session_state["import_progress"] = ended
        st.session_state["upload_generation"] = generation + 1
        st.rerun()

# --- the as-of date the figures are declared at (数据截至): imported like a workbook (batch, audit, undo)
with st.expander(lang("data.as_of.title"), icon=":material/event:"):
    day = page.q(queries.as_of).iloc[0]
    st.caption(
        lang(
            "data.as_of.now",
            date=numbers.day(day["as_of"], page.lang),
            how=lang("data.as_of.declared" if day["declared"] else "data.as_of.latest"),
        )
    )
    with st.form("as_of_form", border=False):
        chosen = st.date_input(lang("data.as_of.label"), value=day["as_of"], format="YYYY-MM-DD")
        note = st.text_input(lang("data.as_of.note"), max_chars=200)
        if st.form_submit_button(lang("data.as_of.button"), icon=":material/event_available:"):
            data = metadata_workbook(chosen, note.strip(), page.names.declared())  # the names stay declared
            result = publish.import_as(user, page.writer(), data, f"{lang('data.as_of.file')}-{chosen}.xlsx")
            session.clear_caches()
            st.session_state["previews"] = {}
            st.session_state["import_done"] = [
                page.md("data.imported", file=result.file, batch=result.batch_id, **result.counts)
                if result.status == "loaded"
                else page.md("data.unchanged", file=result.file)
            ]
            st.rerun()

# --- a note that explains a figure (说明备注): a one-sheet workbook imported like any upload (batch, audit, undo, publish)
with st.expander(lang("data.note.title"), icon=":material/sticky_note_2:"):
    st.caption(lang("data.note.help"))
    with st.form("note_form", border=False):
        by_label = {metrics.METRICS[c].label(page.lang): c for c in kinds.NOTE_METRICS}  # as the reader reads them
        metric = by_label[st.selectbox(lang("data.note.metric"), list(by_label), key="note_metric")]
        with st.container(horizontal=True, gap="small"):
            first = st.date_input(lang("data.note.date"), format="YYYY-MM-DD", key="note_date")
            last = st.date_input(lang("data.note.end"), value=None, format="YYYY-MM-DD", key="note_end")
        towns = page.q(queries.communities)["community"].tolist()
        where = st.selectbox(
            lang("data.note.community"),
            [None, *towns],
            format_func=lambda c: lang("data.note.town") if c is None else c,
            key="note_community",
        )
        text_zh = st.text_input(lang("data.note.text_zh"), max_chars=200, key="note_text_zh")
        text_en = st.text_input(lang("data.note.text_en"), max_chars=200, key="note_text_en")
        if st.form_submit_button(lang("data.note.submit"), icon=":material/add_comment:"):
            if not text_zh.strip():
                st.error(lang("data.note.need_text"), icon=":material/error:")
            else:
                note_id = notes.new_id()
                row = {"note_id": note_id, "date": first, "end_date": last, "metric": metric, "community": where}
                data = notes.workbook(row | {"text_zh": text_zh, "text_en": text_en})
                result = publish.import_as(user, page.writer(), data, lang("data.note.file", note_id=note_id))
                if result.status == "rejected":
                    st.error(" ".join(e.message(page.lang) for e in result.errors), icon=":material/error:")
                else:
                    session.clear_caches()
                    st.session_state["previews"] = {}
                    st.session_state["import_done"] = [
                        page.md("data.imported", file=result.file, batch=result.batch_id, **result.counts)
                    ]
                    st.rerun()

# --- 3. history and undo
st.header(lang("data.history.title"))
batches = load.history(page.writer())  # the working data: imports pending approval included
if batches.empty:
    page.empty("data.history.empty")
else:
    st.dataframe(review.history_table(batches, page.lang), hide_index=True, width="stretch", placeholder="")
    latest = load.latest_batch(page.writer())
    if latest and not user.may("admin"):
        st.caption(lang("auth.undo_admin"))
    elif latest:
        batch = batches.set_index("batch_id").loc[latest]
        batch["batch_id"] = latest
        with st.expander(lang("data.undo.title", batch=latest), icon=":material/undo:"):
            st.markdown(markdown.escape(review.undo_statement(batch, page.lang)))
            sure = st.checkbox(lang("data.undo.confirm"), key=f"undo_sure_{latest}")
            if st.button(lang("data.undo.button", batch=latest), disabled=not sure, key=f"undo_{latest}"):
                try:
                    effects = publish.undo_as(user, page.writer(), latest)
                except load.UndoRefused as refused:  # another session changed the warehouse since this page was drawn
                    st.error(f"{lang('data.undo.refused')} {refused.message(page.lang)}", icon=":material/error:")
                else:
                    session.clear_caches()
                    st.session_state["previews"] = {}
                    st.session_state["import_done"] = [lang("data.undone", batch=latest)]
                    st.session_state["import_warnings"] = [w.message(page.lang) for w in effects.warnings]
                    st.rerun()

# --- 4. reconciliation
st.header(lang("data.checks.title"))
st.caption(lang("data.checks.help"))
for check in _reconciled(page.path, session.working_state(page.writer()), page.writer()):
    icon = ":green[:material/check_circle:]" if check.passed else ":red[:material/cancel:]"
    line = f"{icon} {lang(f'check.{check.key}')}"
    if not check.passed:
        line += " — " + page.md("check.failures", n=check.failures, examples=", ".join(map(str, check.examples)))
    st.markdown(line)
