"""Journey: the app behind Debian's nginx, configured with the README's recipe (its `location /` block, read from
README.md), driven by Chromium through it.

With no accounts, a visitor through the proxy gets the message on creating the first admin, not the dashboard
(a visitor straight to the app on this computer still gets the dashboard). With accounts and
DASHBOARD_TRUSTED_PROXY, each visitor behind the proxy is known by their own address: five wrong passwords from
one pause that one while the admin, on another computer, signs in; the audit trail records both addresses.

Two visitors on two computers: each reaches nginx through a relay of its own that connects from its own loopback
address (127.0.0.2, 127.0.0.3), so nginx's $remote_addr, and nothing a visitor sends, tells them apart.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from playwright.sync_api import expect

from etl import accounts
from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin may not be on a user's PATH
PASSWORD = "admin-secret-1"
VISITOR_A, VISITOR_B = "127.0.0.2", "127.0.0.3"  # on Linux all of 127.0.0.0/8 is this computer's loopback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_location() -> str:
    """The README's nginx `location / { … }` block (section "Serving a town or a district"), as written there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = re.search(r"```nginx\n(.*?)```", readme, re.S)
    assert recipe, "README.md has no nginx recipe"
    location = re.search(r"^( *)location / \{.*?^\1\}", recipe.group(1), re.M | re.S)
    assert location, "the README's nginx recipe has no `location / { … }` block"
    return location.group(0)


def _nginx_config(folder: Path, port: int, upstream: str, bind: str | None) -> str:
    """A whole nginx configuration in `folder`: the README's location block in front of `upstream`, on loopback
    `port`; its connections to the app from `bind` when given (nginx on another computer)."""
    location = readme_location()
    assert "proxy_pass http://dashboard;" in location
    location = location.replace("proxy_pass http://dashboard;", f"proxy_pass {upstream};")
    if bind:
        location = location.replace("proxy_http_version", f"proxy_bind {bind};\n        proxy_http_version", 1)
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    # as root, nginx's workers would run as `nobody`, who cannot open this test's (owner-only) folder
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    return f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size 50m;  # the import guard's file limit
        {location}
    }}
}}
"""


@contextlib.contextmanager
def _nginx(folder: Path, server: str, bind: str | None = None) -> Iterator[str]:
    """Debian's nginx (`daemon off;`, a child of this test) in front of the app at `server`; yields its base URL
    once the app's health check answers through it."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"{NGINX} is missing: install Debian's nginx (`apt-get install nginx`; scripts/test.sh does this).")
    folder.mkdir()
    port = _free_port()
    (folder / "nginx.conf").write_text(_nginx_config(folder, port, server, bind), encoding="utf-8")
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # until nginx listens and reaches the app (or exits)
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "error.log").read_text(errors="replace") if (folder / "error.log").exists() else ""
                pytest.fail(f"nginx did not pass on the app's health check.\n{process.stderr.read().decode()}\n{log}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown, open websockets included
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Computer:
    """A visitor's own computer: a loopback port the browser opens, whose every connection is carried to `target`
    from the address `source` (as from another machine on the network)."""

    def __init__(self, source: str, target: tuple[str, int]) -> None:
        self.source, self.target = source, target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                browser_side, _ = self.listener.accept()
                network_side = socket.create_connection(self.target, timeout=30, source_address=(self.source, 0))
            except OSError:
                return  # closed
            network_side.settimeout(None)
            self.sockets += [browser_side, network_side]
            for a, b in ((browser_side, network_side), (network_side, browser_side)):
                threading.Thread(target=self._carry, args=(a, b), daemon=True).start()

    @staticmethod
    def _carry(reading: socket.socket, writing: socket.socket) -> None:
        try:
            while data := reading.recv(65536):
                writing.sendall(data)
            writing.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


class Network:
    """nginx in front of the app, and the visitors' computers that reach it; all stopped when the test ends."""

    def __init__(self, folder: Path, stack: contextlib.ExitStack) -> None:
        self.folder, self.stack, self.count = folder, stack, 0

    def proxy(self, server: str, bind: str | None = None) -> str:
        """nginx (the README's recipe) in front of `server`, connecting to it from `bind` when given; its URL."""
        self.count += 1
        return self.stack.enter_context(_nginx(self.folder / f"nginx-{self.count}", server, bind))

    def computer(self, source: str, proxy: str) -> str:
        """A visitor's computer at `source` on the way to `proxy`: the URL its browser opens."""
        host, port = proxy.removeprefix("http://").rsplit(":", 1)
        visitor = Computer(source, (host, int(port)))
        self.stack.callback(visitor.close)
        return visitor.url


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    with contextlib.ExitStack() as stack:
        yield Network(tmp_path, stack)


def _refusal_lead() -> str:
    """The refusal's first words, as drawn (the text up to its first `code`)."""
    return t("auth.open_proxied", "en").split("`")[0].strip()


def test_with_no_accounts_a_visitor_through_the_proxy_is_refused(own_server, tab, network) -> None:
    server: Server = own_server()
    proxy = network.proxy(server)
    elsewhere: App = tab(network.computer(VISITOR_A, proxy))
    elsewhere.open()
    text = elsewhere.main_text()
    assert _refusal_lead() in text and "users add NAME --role admin" in text
    assert elsewhere.page.locator('[data-testid="stMetric"]').count() == 0
    assert elsewhere.page.locator('[data-testid="stSidebarNavLink"]').count() == 0
    elsewhere.open("data")  # a page's URL is refused the same way
    assert _refusal_lead() in elsewhere.main_text()
    assert elsewhere.page.locator('[data-testid="stFileUploader"]').count() == 0

    here: App = tab(proxy)  # a browser on the server itself, through the proxy: refused too
    here.open()
    assert _refusal_lead() in here.main_text()

    direct: App = tab(server)  # straight to the app on this computer: the dashboard, with full rights
    direct.open()
    assert direct.errors() == []
    assert direct.kpis()
    assert _refusal_lead() not in direct.main_text()


def _sign_in(app: App, password: str) -> None:
    """A fresh session (a reload is no way round the pause) and the page's sign-in form, submitted."""
    app.open()
    main = app.page.locator('[data-testid="stMain"]')
    main.get_by_label(t("auth.name", "en"), exact=True).fill("ada")
    main.get_by_label(t("auth.password", "en"), exact=True).fill(password)
    main.get_by_role("button", name=t("auth.submit", "en"), exact=True).click()


def _sign_ins(db: Path) -> list[tuple[str, str, bool]]:
    """The warehouse's sign-in events, oldest first: (action, client address, paused)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT action, details FROM audit_log WHERE action LIKE 'sign_in%' ORDER BY seq")
        return [(action, json.loads(d)["client"], bool(json.loads(d).get("paused"))) for action, d in rows.fetchall()]


@pytest.mark.parametrize(
    "proxy_address",
    [
        "127.0.0.1",  # nginx on the app's computer, as in the README
        "127.0.0.4",  # nginx on another computer: it reaches the app from its own address
    ],
)
def test_behind_a_trusted_proxy_a_stranger_cannot_lock_the_admin_out(
    own_server, sample_file, tab, network, tmp_path, monkeypatch, proxy_address
) -> None:
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXY", proxy_address)  # the app's environment is this process's
    serve = own_server.__globals__["_serve"]  # the e2e conftest's server, stopped here to read its warehouse
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(sample_file, folder / "warehouse.duckdb")
    accounts.add_user("ada", "admin", PASSWORD, folder / "accounts.json")
    with serve(folder) as server:
        proxy = network.proxy(server, bind=None if proxy_address == "127.0.0.1" else proxy_address)
        stranger: App = tab(network.computer(VISITOR_A, proxy))
        admin: App = tab(network.computer(VISITOR_B, proxy))

        for _ in range(accounts.MAX_FAILURES):
            _sign_in(stranger, "guess-guess")
            expect(stranger.page.get_by_text(t("auth.failed", "en"))).to_be_visible()
            stranger.settle()
        _sign_in(stranger, PASSWORD)  # the right password, but this visitor is paused
        paused = t("auth.paused", "en", minutes=accounts.FAILURE_WINDOW_MINUTES)
        expect(stranger.page.get_by_text(paused)).to_be_visible()
        stranger.settle()

        _sign_in(admin, PASSWORD)  # another computer behind the same proxy: not paused
        expect(admin.page.get_by_role("heading", name=t("overview.title", "en"))).to_be_visible()
        admin.settle()
        assert admin.errors() == []

    assert _sign_ins(server.db) == [
        *[("sign_in_failed", VISITOR_A, False)] * accounts.MAX_FAILURES,
        ("sign_in_failed", VISITOR_A, True),
        ("sign_in", VISITOR_B, False),
    ]
