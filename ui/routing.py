"""The app's routing: the page list for the session's role (st.navigation), running the chosen page, and sending a
page opened by its own URL through that routing."""

from __future__ import annotations

import streamlit as st

from etl import db
from i18n import t
from ui.filters import current_lang
from ui.session import release_working
from ui.signin import current_user, gate, open_access_refusal, refused, sign_in_required


def _sign_in_page() -> None:
    """The only page in the navigation while viewing needs a signed-in user and nobody is."""
    gate()


def _ledger_page(lang: str, *, default: bool = False) -> st.Page:
    """The fund's public ledger (基金公示): a dashboard for signed-in users, the only page anyone else may open when
    $DASHBOARD_PUBLIC=1."""
    return st.Page("pages/ledger.py", title=t("nav.ledger", lang), icon=":material/receipt_long:", default=default)


def _proposals_page(lang: str) -> st.Page:
    """Residents' proposals (居民提案进展): what became of the residents' voices, beside the fund ledger — a dashboard
    for signed-in users, open to anyone with it when $DASHBOARD_PUBLIC=1."""
    return st.Page("pages/proposals.py", title=t("nav.proposals", lang), icon=":material/campaign:")


def navigation() -> st.Page:
    """The page list for this session's role, as st.navigation returns it: the page chosen. Data (issue 4) and
    Presenter appear once their files exist."""
    lang = current_lang()
    user = current_user()
    st.session_state["_routed_by_app"] = True  # this session has been through app.py (route_through_app)
    if open_access_refusal():
        return st.navigation([st.Page(refused, title=t("app.title", lang), icon=":material/lock:")])
    if user is None and sign_in_required():
        if not sign_in_required("ledger"):  # $DASHBOARD_PUBLIC=1: the public pages only (sign-in is in their sidebar)
            return st.navigation([_ledger_page(lang, default=True), _proposals_page(lang)])
        return st.navigation(
            [st.Page(_sign_in_page, title=t("auth.sign_in", lang), icon=":material/login:", url_path="sign-in")]
        )
    may = {
        "presenter": True,
        "data": bool(user and user.may("analyst")),
        "review": bool(user and user.may("approver")),
        "audit": bool(user and user.may("admin")),
    }
    dashboard = [
        st.Page("pages/overview.py", title=t("nav.overview", lang), icon=":material/dashboard:", default=True),
        st.Page("pages/projects.py", title=t("nav.projects", lang), icon=":material/assignment:"),
        st.Page("pages/voices.py", title=t("nav.voices", lang), icon=":material/record_voice_over:"),
        st.Page("pages/training.py", title=t("nav.training", lang), icon=":material/school:"),
        st.Page("pages/fund.py", title=t("nav.fund", lang), icon=":material/savings:"),
        _ledger_page(lang),
        _proposals_page(lang),
    ]
    extra = [
        st.Page(f"pages/{name}.py", title=t(f"nav.{name}", lang), icon=icon)
        for name, icon in (
            ("presenter", ":material/slideshow:"),
            ("data", ":material/upload_file:"),
            ("review", ":material/verified:"),
            ("audit", ":material/history:"),
        )
        if may[name]
    ]
    sections = {t("nav.dashboard", lang): dashboard}
    if extra:
        sections[t("nav.manage", lang)] = extra
    return st.navigation(sections)


def run(page: st.Page) -> None:
    """Run the page; when the working warehouse stays busy (an import or publish in another process) beyond the
    bounded wait, say so instead of failing; close the run's working connection whatever happened."""
    try:
        page.run()
    except db.WarehouseLocked:
        st.error(t("warehouse.busy", current_lang()), icon=":material/hourglass_top:")
    finally:
        release_working()


def route_through_app() -> None:
    """Run every page inside app.py's st.navigation (and so inside `run`, which closes the working warehouse when the
    page ends), even when a fresh server's first visitor opens a page's URL.

    Until some session has called st.navigation, Streamlit treats an app with a pages/ folder as a legacy multipage
    app and runs a directly linked page script alone (no app.py, a sidebar of file names). Streamlit documents that
    "as soon as any session of your app executes the st.navigation command, your app will ignore the pages/
    directory (across all sessions)" and has no setting for it, so such a run calls the app's own navigation and
    starts again through app.py.
    """
    if not st.session_state.get("_routed_by_app"):
        navigation()
        st.rerun()
