"""Who is signed in: the session's user and role, the sign-in forms, the account line in the sidebar, and the
gate every page passes first."""

from __future__ import annotations

import streamlit as st

import i18n
from etl import accounts
from i18n import LANGUAGES, t
from presenter import markdown
from ui.filters import choice, current_lang, default_lang
from ui.session import working

# what $DASHBOARD_PUBLIC=1 opens to anyone: the fund's public ledger (基金公示) and the residents' proposals (居民提案进展)
PUBLIC_PAGES = ("ledger", "proposals")


def sign_in_required(page: str | None = None) -> bool:
    """True when `page` (None: any dashboard) needs a signed-in user: there are accounts and $DASHBOARD_PUBLIC does
    not open it to anyone (1: the public ledger only; dashboards: every dashboard, as a forum screen)."""
    if accounts.is_open():
        return False
    scope = accounts.public()
    return not (scope == "dashboards" or (scope == "ledger" and page in PUBLIC_PAGES))


def _remote_ip() -> str | None:
    """The visitor's address, None on this computer (and in tests, where there is no connection)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else None


def _proxy_headers() -> dict[str, list[str]]:
    """The proxy headers (Forwarded, X-Forwarded-For, X-Real-IP) of the request that opened this session, each
    with every value it was sent with; {} when there are none (and in tests, where there is no request)."""
    headers = st.context.headers
    return {name: values for name in accounts.PROXY_HEADERS if (values := headers.get_all(name))}


def client_address() -> str:
    """The visitor's address for the sign-in throttle and the audit trail: the one a trusted reverse proxy
    ($DASHBOARD_TRUSTED_PROXY) reports, else the connection's (accounts.LOCAL_CLIENT on this computer)."""
    return accounts.client_address(_remote_ip(), _proxy_headers())


def open_access_refusal() -> str | None:
    """With no accounts, why this visitor may not be served (a text key): the app listens beyond loopback,
    the request came through a proxy, or the visitor is on another computer. None when serving is safe."""
    proxied = accounts.is_proxied(_proxy_headers())
    return accounts.open_access_refusal(st.get_option("server.address"), _remote_ip(), proxied)


def current_user() -> accounts.User | None:
    """The user of this session, re-read from the accounts file each run (a removed account is signed out).

    With no accounts file the local operator has full rights (accounts.OPEN_USER), on this computer only.
    """
    if accounts.is_open():
        return None if open_access_refusal() else accounts.OPEN_USER
    name = st.session_state.get("_signed_in")
    return accounts.user(name) if name else None


# Texts that send the reader to the Data page (数据管理) to import, each with a `.reader` wording for someone who has
# no Data page (a viewer, a visitor who has not signed in): what happens instead, and by whom.
TO_IMPORTERS = frozenset({"page.sample", "empty.warehouse", "empty.no_fund", "presenter.empty"})


def for_reader(key: str) -> str:
    """`key`, or its wording for a reader who cannot import when this session's user has no Data page (the
    navigation's rule: an analyst or above imports; with no accounts, the local operator)."""
    if key not in TO_IMPORTERS:
        return key
    user = current_user()
    return key if user is not None and user.may("analyst") else f"{key}.reader"


def names_shown() -> bool:
    """Whether this run may show people's names in full: to a signed-in user (with no accounts, the local operator),
    never to a visitor who has not signed in ($DASHBOARD_PUBLIC's forum screen). Decided on the server on every run
    from the session's sign-in alone, so no URL or widget state can unmask a name."""
    return current_user() is not None


def require_role(role: str, lang: str) -> accounts.User:
    """Stop the page unless the session's user holds `role` (a page reached by URL is checked here too)."""
    user = current_user()
    if user is None or not user.may(role):
        st.error(t("auth.forbidden", lang, role=t(f"role.{role}", lang)), icon=":material/lock:")
        st.stop()
    return user


def _sign_in_form(lang: str, key: str) -> None:
    with st.form(key, enter_to_submit=True, border=False):
        name = st.text_input(t("auth.name", lang), key=f"{key}_name", autocomplete="username")
        password = st.text_input(
            t("auth.password", lang), type="password", key=f"{key}_password", autocomplete="current-password"
        )
        if st.form_submit_button(t("auth.submit", lang), type="primary"):
            try:
                user = accounts.sign_in(working(), name, password, client=client_address())
            except accounts.TooManyAttempts:
                st.error(t("auth.paused", lang, minutes=accounts.FAILURE_WINDOW_MINUTES), icon=":material/timer:")
                return
            if user:
                st.session_state["_signed_in"] = user.name
                st.rerun()
            st.error(t("auth.failed", lang), icon=":material/error:")


def _account_sidebar(lang: str) -> None:
    """Who is signed in and a sign-out button; or a sign-in form; or, with no accounts, a note that the app is open."""
    if accounts.is_open():  # how to create the first admin is said where an admin works: the Data and Audit pages
        st.sidebar.caption(t("auth.open_short", lang), help=t("auth.open", lang))
        return
    user = current_user()
    if user is None:
        with st.sidebar.expander(t("auth.sign_in", lang), icon=":material/login:"):
            _sign_in_form(lang, "sidebar_sign_in")
        return
    st.sidebar.caption(markdown.t("auth.signed_in_as", lang, name=user.name, role=t(f"role.{user.role}", lang)))
    if st.sidebar.button(t("auth.sign_out", lang), icon=":material/logout:", key="sign_out"):
        st.session_state.pop("_signed_in", None)
        st.rerun()


def _sign_in_here(lang: str) -> None:
    """Instead of a page's content: the sign-in form (viewing needs a signed-in user and nobody is)."""
    st.title(t("app.title", lang))
    st.info(t("auth.required", lang), icon=":material/lock:")
    if accounts.mode() == "locked":  # no account can be read: say so (the details are for the server's admin)
        st.warning(t("auth.locked", lang), icon=":material/warning:")
    with st.container(border=True, width=420):
        _sign_in_form(lang, "page_sign_in")
    st.stop()


def refused() -> None:
    """The whole page while the app has no accounts and this visitor or address is not this computer's."""
    lang = current_lang()
    st.title(t("app.title", lang))
    st.error(t(open_access_refusal() or "auth.open_remote", lang), icon=":material/lock:")


def gate(page: str | None = None) -> str:
    """The language switch and sign-in, first on every page: a page that needs a user and has none stops here
    (as does every page for a visitor the app may not serve). `page`: a page of PUBLIC_PAGES says which, so
    $DASHBOARD_PUBLIC can open it. Returns the run's language."""
    chosen = choice("lang", list(LANGUAGES), default_lang(), "语言 / Language", lambda v: i18n.style(v).native)
    lang = chosen or default_lang()  # (choice says None only for ALL, which is no language)
    if open_access_refusal():  # a page reached by URL is refused here too
        refused()
        st.stop()
    if current_user() is None and sign_in_required(page):
        _sign_in_here(lang)  # checked on every page run, whichever way the page was reached
    _account_sidebar(lang)
    return lang
