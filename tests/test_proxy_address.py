"""Behind a reverse proxy: with no accounts a proxied request is refused; with accounts the visitor's address comes
from a trusted proxy's headers ($DASHBOARD_TRUSTED_PROXY), for the sign-in throttle and the audit trail.

The browser journey through a real nginx is tests/e2e/test_proxy.py; these check the parsing and the app's use of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.runtime.context import ContextProxy, StreamlitHeaders
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, ROLES, ROOT, sign_in

from etl import accounts, audit, db
from i18n import t
from ui import session, signin

LOCAL_PROXY = accounts.trusted_proxies("127.0.0.1")  # nginx on this computer, as in the README


def client(peer: str | None, headers: dict, trusted: str = "127.0.0.1") -> str:
    return accounts.client_address(peer, headers, accounts.trusted_proxies(trusted))


# --- the pure functions (no Streamlit)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7:4711 ", "192.0.2.7"),
        ('"192.0.2.7"', "192.0.2.7"),
        ("2001:db8:cafe::17", "2001:db8:cafe::17"),
        ("[2001:db8:cafe::17]", "2001:db8:cafe::17"),
        ('"[::1]:80"', "::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4 mapped into IPv6: the IPv4 address
        ("unknown", None),
        ("_hidden", None),
        ("proxy.example.gov.cn", None),
        ("", None),
        (None, None),
        ("999.1.1.1", None),
        ("192.0.2.7:http", None),
        ("192.0.2.7:99999999", None),
        ("[::1", None),
        ("[::1]x", None),
        ("<script>", None),
    ],
)
def test_an_address_is_read_as_proxies_write_it(text, address):
    found = accounts.parse_address(text)
    assert (str(found) if found else None) == address


def test_trusted_proxies_are_addresses_or_networks_and_a_typo_trusts_nobody(monkeypatch):
    assert [str(n) for n in accounts.trusted_proxies("127.0.0.1, 10.0.1.0/24  ::1")] == [
        "127.0.0.1/32",
        "10.0.1.0/24",
        "::1/128",
    ]
    assert [str(n) for n in accounts.trusted_proxies("localhost")] == ["127.0.0.1/32", "::1/128"]
    assert accounts.trusted_proxies("nginx.local, 10.0.0.300, ") == ()
    monkeypatch.delenv("DASHBOARD_TRUSTED_PROXY", raising=False)
    assert accounts.trusted_proxies() == ()
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXY", "10.0.0.5")
    assert [str(n) for n in accounts.trusted_proxies()] == ["10.0.0.5/32"]


def test_x_forwarded_for_is_read_from_the_right_so_made_up_entries_are_ignored():
    # nginx's $proxy_add_x_forwarded_for appends its peer to whatever the visitor sent: only the right end is true
    headers = {"X-Forwarded-For": "10.0.0.1, 6.6.6.6, 203.0.113.9"}
    assert client(None, headers) == "203.0.113.9"
    # a chain of trusted proxies (a load balancer in front of nginx) is walked past
    headers = {"x-forwarded-for": ["6.6.6.6, 198.51.100.7", "10.0.0.5"]}  # two header lines, in order
    assert client(None, headers, "127.0.0.1 10.0.0.0/24") == "198.51.100.7"
    assert client(None, headers) == "10.0.0.5"  # the load balancer not trusted: it is the client
    # every hop trusted (a browser on the proxy's own computer): the leftmost
    assert client(None, {"X-Forwarded-For": "127.0.0.1"}) == "127.0.0.1"
    assert client(None, {"X-FORWARDED-FOR": "::ffff:203.0.113.9"}) == "203.0.113.9"


def test_an_untrusted_peers_headers_are_ignored(monkeypatch):
    spoofed = {"X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9", "Forwarded": "for=10.9.9.9"}
    assert client("203.0.113.9", spoofed) == "203.0.113.9"  # a visitor straight to the app says whatever it likes
    assert client("203.0.113.9", spoofed, "127.0.0.1, 203.0.113.0/25") == "10.9.9.9"  # the proxy's network
    assert client(None, spoofed, "10.0.0.5") == accounts.LOCAL_CLIENT  # this computer is not the proxy
    assert client("10.0.0.5", spoofed, "") == "10.0.0.5"  # no trusted proxy: nobody's headers
    monkeypatch.delenv("DASHBOARD_TRUSTED_PROXY", raising=False)
    assert accounts.client_address(None, spoofed) == accounts.LOCAL_CLIENT  # the default: no trusted proxy
    assert accounts.forwarded_client(None, spoofed) is None
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXY", "127.0.0.1")
    assert accounts.client_address(None, spoofed) == "10.9.9.9"
    assert accounts.client_address("::ffff:127.0.0.1", spoofed) == "10.9.9.9"


def test_x_real_ip_and_rfc_7239_forwarded_likewise():
    assert client(None, {"X-Real-IP": "198.51.100.7"}) == "198.51.100.7"
    assert client(None, {"Forwarded": 'for="[::1]:80"'}) == "::1"
    assert client(None, {"Forwarded": 'for="[::1]:80"'}, "localhost") == "::1"  # all trusted: the leftmost
    forwarded = 'for=6.6.6.6, For="[2001:db8:cafe::17]:4711";proto=https;by=203.0.113.43, for=127.0.0.1'
    assert client(None, {"Forwarded": forwarded}) == "2001:db8:cafe::17"
    assert client(None, {"forwarded": ["for=192.0.2.60;proto=http", 'for="[::1]:80"']}, "localhost") == "192.0.2.60"
    # X-Forwarded-For is believed first: nginx passes on a Forwarded header a visitor made up
    assert client(None, {"Forwarded": "for=6.6.6.6", "X-Forwarded-For": "198.51.100.7"}) == "198.51.100.7"
    assert client(None, {"X-Real-IP": "198.51.100.7", "X-Forwarded-For": "6.6.6.6, 198.51.100.8"}) == "198.51.100.8"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": ""},
        {"X-Forwarded-For": "unknown"},
        {"X-Forwarded-For": "203.0.113.9, garbage"},
        {"X-Forwarded-For": ",,,"},
        {"X-Real-IP": "[::1"},
        {"Forwarded": "for=unknown"},
        {"Forwarded": 'for="_gazonk,evil=1";proto=https'},
        {"Forwarded": "proto=https;by=10.0.0.1"},
        {"Forwarded": '"unterminated'},
        {"Forwarded": "for"},
        {},
    ],
)
def test_garbage_names_nobody_and_the_connection_is_used(headers):
    assert accounts.forwarded_client(None, headers, LOCAL_PROXY) is None
    assert client(None, headers) == accounts.LOCAL_CLIENT
    assert client("127.0.0.9", headers, "127.0.0.0/8") == "127.0.0.9"


def test_garbage_in_one_header_falls_back_to_the_next():
    assert client(None, {"X-Forwarded-For": "unknown", "X-Real-IP": "198.51.100.7"}) == "198.51.100.7"


def test_with_no_accounts_a_proxied_request_is_refused_however_local_it_looks(no_accounts):
    assert accounts.is_proxied({"X-Real-IP": "127.0.0.1"})
    assert accounts.is_proxied({"forwarded": ""})  # present, even empty
    assert accounts.is_proxied({"X-FORWARDED-FOR": "127.0.0.1"})
    assert not accounts.is_proxied({"Host": "127.0.0.1:8501", "X-Forwarded-Proto": "https"})
    assert accounts.open_access_refusal("127.0.0.1", None, proxied=True) == "auth.open_proxied"
    assert accounts.open_access_refusal("127.0.0.1", None, proxied=False) is None
    assert accounts.open_access_refusal("0.0.0.0", None, proxied=True) == "auth.open_network"
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    assert accounts.open_access_refusal("127.0.0.1", None, proxied=True) is None  # sign-in protects it now


# --- the app: Streamlit's request context made to carry a proxy's headers


class Request:
    """What st.context reports for the session's request: its headers and the connection's address."""

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.ip: str | None = None


@pytest.fixture
def request_context(monkeypatch) -> Request:
    request = Request()
    monkeypatch.setattr(ContextProxy, "headers", property(lambda _: StreamlitHeaders(request.headers)))
    monkeypatch.setattr(ContextProxy, "ip_address", property(lambda _: request.ip))
    return request


def test_the_ui_reads_the_proxy_headers_from_st_context(no_accounts, request_context, monkeypatch):
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXY", "127.0.0.1")
    assert signin.open_access_refusal() is None and signin.client_address() == accounts.LOCAL_CLIENT
    request_context.headers = [("x-forwarded-for", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.9"), ("Host", "x")]
    assert signin.open_access_refusal() == "auth.open_proxied"
    assert signin.client_address() == "203.0.113.9"
    request_context.ip = "198.51.100.20"  # straight from another computer: its headers are not believed
    assert signin.client_address() == "198.51.100.20"


def start() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_app_refuses_a_proxied_visitor_while_it_has_no_accounts(empty_app, request_context):
    assert not start().error  # this computer, straight to the app: served
    request_context.headers = [("X-Real-IP", "127.0.0.1")]  # a proxy on this computer, passing on anyone
    at = start()
    assert [e.value for e in at.error] == [t("auth.open_proxied", "en")]
    assert "users add NAME --role admin" in at.error[0].value
    assert not at.metric and not at.file_uploader and not at.dataframe


def test_behind_a_trusted_proxy_the_throttle_and_the_trail_see_each_visitor(
    empty_app, no_accounts, request_context, monkeypatch
):
    for name, role in ROLES.items():
        accounts.add_user(name, role, PASSWORDS[name])
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXY", "127.0.0.1")
    stranger, admin = "203.0.113.9", "198.51.100.7"
    request_context.headers = [("X-Real-IP", stranger), ("X-Forwarded-For", f"10.1.1.1, {stranger}")]
    at = start()
    for _ in range(accounts.MAX_FAILURES):
        sign_in(at, "ada", "guess-guess")
    sign_in(at, "ada", PASSWORDS["ada"])
    assert t("auth.paused", "en", minutes=accounts.FAILURE_WINDOW_MINUTES) in [e.value for e in at.error]
    request_context.headers = [("X-Real-IP", admin), ("X-Forwarded-For", admin)]
    at = sign_in(start(), "ada", PASSWORDS["ada"])
    assert not at.error and "ada" in str([c.value for c in at.sidebar.caption])
    con = session.warehouse(str(db.db_path())).cursor()
    rows = [(r.user_name, r.action, json.loads(r.details)) for r in audit.trail(con).iloc[::-1].itertuples()]
    sign_ins = [(a, d["client"], bool(d.get("paused"))) for _, a, d in rows if a.startswith("sign_in")]
    assert sign_ins == [
        *[("sign_in_failed", stranger, False)] * accounts.MAX_FAILURES,
        ("sign_in_failed", stranger, True),
        ("sign_in", admin, False),
    ]


def test_the_readme_tells_the_proxy_to_send_the_visitors_address():
    readme = (Path(ROOT) / "README.md").read_text(encoding="utf-8")
    assert "proxy_set_header X-Real-IP $remote_addr;" in readme
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in readme
    assert "DASHBOARD_TRUSTED_PROXY" in readme
