"""Roles, sign-in and the audit trail: accounts file, role checks, the app's pages per role, the CLI."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, ROLES, ROOT, by_url, sign_in, start, upload
from workbooks import ROSTER, workbook_bytes

from cli import main
from etl import accounts, audit, db, publish
from i18n import t
from ui import session

LOCAL = {"client": accounts.LOCAL_CLIENT}  # sign-ins from this computer (AppTest has no remote address)


@pytest.fixture
def people(no_accounts: Path) -> Path:
    """An admin, an analyst and a viewer in the test's accounts file."""
    for name, role in ROLES.items():
        accounts.add_user(name, role, PASSWORDS[name])
    return no_accounts


class Clock:
    """The wall clock etl.accounts and etl.audit read, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Sign-in pauses count failures within a time window: the test sets the time, so a slow machine cannot move an
    attempt out of the window, and the window's end is reached without waiting."""
    clock = Clock(datetime(2024, 3, 4, 9, 30))

    class Now(datetime):
        @classmethod
        def now(cls, tz=None) -> datetime:
            return clock.now

    for module in (accounts, audit):
        monkeypatch.setattr(module, "datetime", Now)  # both read datetime.now(); raises if either stops doing so
    return clock


def warehouse():
    return session.warehouse(str(db.db_path())).cursor()


def trail() -> list[tuple[str, str, dict]]:
    """The audit trail oldest first: (user, action, details)."""
    frame = audit.trail(warehouse()).iloc[::-1]
    return [(r.user_name, r.action, json.loads(r.details)) for r in frame.itertuples()]


# --- the accounts file and the role checks (no Streamlit)


def test_passwords_are_bcrypt_hashed_and_checked(people):
    stored = json.loads(people.read_text(encoding="utf-8"))["users"]
    assert stored["ada"]["hash"].startswith("$2b$12$")
    assert PASSWORDS["ada"] not in people.read_text(encoding="utf-8")
    assert people.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert accounts.verify("ada", PASSWORDS["ada"]) == accounts.User("ada", "admin")
    assert accounts.verify("ada", "wrong-password") is None
    assert accounts.verify("nobody", PASSWORDS["ada"]) is None
    assert accounts.verify("ada", "x" * 100) is None  # longer than bcrypt reads: refused, not truncated


def test_weak_or_duplicate_accounts_are_refused(people):
    with pytest.raises(ValueError, match="at least 8"):
        accounts.add_user("bob", "viewer", "short")
    with pytest.raises(ValueError, match="already"):
        accounts.add_user("ada", "viewer", "long-enough-1")
    with pytest.raises(ValueError, match="unknown role"):
        accounts.add_user("bob", "owner", "long-enough-1")
    with pytest.raises(ValueError, match="at most 72 bytes"):
        accounts.add_user("bob", "viewer", "密码" * 20)


def test_roles_rank_viewer_analyst_admin():
    viewer, analyst, admin = (accounts.User(n, r) for n, r in (("v", "viewer"), ("a", "analyst"), ("d", "admin")))
    assert accounts.require("viewer", viewer) is viewer
    assert accounts.require("analyst", admin) is admin
    for role, user in (("analyst", viewer), ("admin", analyst), ("viewer", None)):
        with pytest.raises(PermissionError):
            accounts.require(role, user)


def test_a_viewer_cannot_import_or_undo_and_an_analyst_cannot_undo(warehouse):
    data = workbook_bytes({"社工名册": ROSTER})
    viewer, analyst, admin = (
        accounts.User(name, role) for name, role in (("vic", "viewer"), ("ann", "analyst"), ("ada", "admin"))
    )
    with pytest.raises(PermissionError):
        publish.import_as(viewer, warehouse, data, "roster.xlsx")
    with pytest.raises(PermissionError):
        publish.import_as(None, warehouse, data, "roster.xlsx")
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 0
    result = publish.import_as(analyst, warehouse, data, "roster.xlsx")
    assert result.status == "loaded"
    assert warehouse.execute("SELECT user_name FROM import_batches").fetchone()[0] == "ann"
    for user in (viewer, analyst):
        with pytest.raises(PermissionError):
            publish.undo_as(user, warehouse, result.batch_id)
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 3
    publish.undo_as(admin, warehouse, result.batch_id)
    assert warehouse.execute("SELECT count(*) FROM workers").fetchone()[0] == 0
    events = audit.trail(warehouse)
    # no accounts file here: the import and the undo each publish what they committed (one person's computer)
    assert events["action"].tolist() == ["publish", "undo", "publish", "import"]
    events = events[events["action"] != "publish"].reset_index(drop=True)
    assert events["user_name"].tolist() == ["ada", "ann"]
    assert json.loads(events["details"][1]) == {
        "batch_id": "B00001",
        "file": "roster.xlsx",
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }


# That nothing deletes or changes an audit row is proved by running every operation that writes one:
# tests/test_backup.py::test_the_audit_trail_only_ever_grows.


# --- the app


def test_open_mode_without_accounts_lets_the_local_operator_import(empty_app):
    at = start("data")
    assert at.title[0].value == t("data.title", "en")
    assert [c.value for c in at.sidebar.caption] == [t("auth.open_short", "en")]  # no CLI commands for leaders
    upload(at, "roster.xlsx", workbook_bytes({"社工名册": ROSTER}))
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert warehouse().execute("SELECT user_name FROM import_batches").fetchone()[0] == "web"
    assert trail() == [
        ("web", "import", {"batch_id": "B00001", "file": "roster.xlsx", "inserted": 3, "updated": 0, "unchanged": 0}),
        (
            "web",
            "publish",
            {
                "version": "v000001",
                "batches": ["B00001"],
                "approved": ["B00001"],
                "withdrawn": [],
                "self_approved": True,
                "note": "auto (no accounts)",
            },
        ),
    ]  # with no accounts (one person's laptop) an import publishes what it committed


def test_with_accounts_nobody_sees_anything_before_signing_in(empty_app, people):
    for page in ("overview", "data", "audit"):
        at = start(page)
        assert [i.value for i in at.info] == ["Sign in to see the dashboard."]
        assert not at.metric and not at.file_uploader and not at.dataframe
    assert trail() == []


def test_public_screen_shows_dashboards_but_not_the_data_page(empty_app, people, monkeypatch):
    # a forum screen (=1 opens only the fund ledger: test_ledger.py)
    monkeypatch.setenv("DASHBOARD_PUBLIC", "dashboards")
    at = start("overview")
    assert at.title[0].value == "Are we on track?"
    assert any(e.label == "Sign in" for e in at.sidebar.expander)
    by_url(at, "data")
    assert not at.file_uploader and not [b for b in at.button if b.label.startswith(("Import", "Undo"))]
    assert at.title[0].value == t("data.title", "en")  # reached by its URL, the page stops at the role check
    assert [e.value for e in at.error] == ["This page needs the analyst role. Sign in with an account that has it."]


def test_wrong_passwords_are_refused_and_recorded(empty_app, people):
    at = start()
    sign_in(at, "ada", "not-her-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    sign_in(at, "mallory", "whatever-it-is")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert [i.value for i in at.info] == ["Sign in to see the dashboard."]  # still only the sign-in page
    assert trail() == [("ada", "sign_in_failed", LOCAL), ("mallory", "sign_in_failed", LOCAL)]


def test_repeated_wrong_passwords_pause_sign_in_for_that_name_from_that_client(empty_app, people, clock):
    at = start()
    for _ in range(accounts.MAX_FAILURES):
        sign_in(at, "ada", "guess-guess")
        clock.advance(minutes=2)  # all within the window
    sign_in(at, "ada", PASSWORDS["ada"])  # the right password, but too late: paused
    assert "Too many wrong passwords" in at.error[0].value
    assert [i.value for i in at.info] == ["Sign in to see the dashboard."]
    events = trail()
    assert events[-1] == ("ada", "sign_in_failed", {**LOCAL, "paused": True})
    assert len(events) == accounts.MAX_FAILURES + 1
    sign_in(at, "vic", PASSWORDS["vic"])  # another name is not affected
    assert trail()[-1] == ("vic", "sign_in", {"role": "viewer", **LOCAL})
    clock.advance(minutes=1)  # still paused a minute later
    sign_in(start(), "ada", PASSWORDS["ada"])
    assert trail()[-1] == ("ada", "sign_in_failed", {**LOCAL, "paused": True})
    clock.advance(minutes=accounts.FAILURE_WINDOW_MINUTES, seconds=1)  # the window after the last attempt is over
    at = sign_in(start(), "ada", PASSWORDS["ada"])
    assert trail()[-1] == ("ada", "sign_in", {"role": "admin", **LOCAL})
    assert t("auth.signed_in_as", "en", name="ada", role=t("role.admin", "en")) in [c.value for c in at.sidebar.caption]


def test_a_viewer_sees_dashboards_but_cannot_reach_import_or_undo(empty_app, people):
    at = sign_in(start(), "vic", PASSWORDS["vic"])
    assert at.title[0].value == "Are we on track?"
    assert any(c.value == "Signed in as vic (viewer)" for c in at.sidebar.caption)
    for page in ("data", "audit"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")  # not in a viewer's navigation
    by_url(at, "data")
    assert not at.file_uploader
    assert not [b for b in at.button if b.label.startswith(("Import", "Undo"))]
    assert "This page needs the analyst role" in at.error[0].value
    by_url(at, "audit")
    assert not at.dataframe
    assert "This page needs the administrator role" in at.error[0].value
    assert trail() == [("vic", "sign_in", {"role": "viewer", **LOCAL})]


def test_an_analyst_imports_but_cannot_undo(empty_app, people):
    at = sign_in(start(), "ann", PASSWORDS["ann"])
    at.switch_page("pages/data.py").run()
    upload(at, "roster.xlsx", workbook_bytes({"社工名册": ROSTER}))
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception
    assert warehouse().execute("SELECT user_name FROM import_batches").fetchone()[0] == "ann"
    assert not [e for e in at.expander if e.label.startswith("Undo")]
    assert "Undoing an import needs an administrator." in [c.value for c in at.caption]
    by_url(at, "audit")
    assert not at.dataframe
    assert [a for _, a, _ in trail()] == ["sign_in", "import"]


def test_the_audit_trail_lists_what_happened_in_order(empty_app, people):
    at = start()
    sign_in(at, "ada", "wrong-password-1")
    sign_in(at, "ada", PASSWORDS["ada"])
    at.switch_page("pages/data.py").run()
    upload(at, "roster.xlsx", workbook_bytes({"社工名册": ROSTER}))
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Undo B00001").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("data.undone", "en", batch="B00001")]
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    sign_in(at, "ada", PASSWORDS["ada"])
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["No.", "Time", "User", "Action", "Details"]
    assert shown["Action"].tolist() == ["Signed in", "Undo", "Import", "Signed in", "Sign-in refused"]
    assert shown["User"].tolist() == ["ada"] * 5
    assert shown["Details"][2] == "Batch: B00001 · File: roster.xlsx · Added: 3 · Changed: 0 · Unchanged: 0"
    assert (
        shown["Details"][1]
        == "Batch: B00001 · File: roster.xlsx · Effect: workers on the roster: 3 removed, 0 restored"
    )
    assert len(at.get("download_button")) == 2  # CSV and Excel


def test_audit_page_in_chinese(empty_app, people):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    at.text_input(key="page_sign_in_name").input("ada")
    at.text_input(key="page_sign_in_password").input(PASSWORDS["ada"])
    next(b for b in at.button if b.label == "登录").click().run()
    at.switch_page("pages/audit.py").run()
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["序号", "时间", "用户", "操作", "详情"]
    assert shown["操作"].tolist() == ["登录"]
    assert shown["详情"][0] == "角色: 管理员 · 来源: 本机"


def test_a_removed_account_is_signed_out_at_once(empty_app, people):
    at = sign_in(start(), "ann", PASSWORDS["ann"])
    at.switch_page("pages/data.py").run()
    assert at.file_uploader
    accounts.remove_user("ann")
    at.run()
    assert not at.file_uploader
    assert [i.value for i in at.info] == ["Sign in to see the dashboard."]


# --- the CLI


def test_cli_manages_accounts_and_records_each_change(tmp_path, monkeypatch, no_accounts, capsys):
    db_file = tmp_path / "cli.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", str(db_file))
    monkeypatch.setattr("sys.stdin", io.StringIO("first-admin-pass\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--password-stdin"]) == 0
    assert accounts.verify("ada", "first-admin-pass") == accounts.User("ada", "admin")
    monkeypatch.setattr("sys.stdin", io.StringIO("analyst-pass-1\n"))
    assert main(["users", "add", "ann", "--role", "analyst", "--password-stdin"]) == 0
    assert main(["users", "set-role", "ann", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("new-password-2\n"))
    assert main(["users", "reset-password", "ann", "--password-stdin"]) == 0
    assert accounts.verify("ann", "new-password-2") == accounts.User("ann", "admin")
    assert main(["users", "remove", "ann"]) == 0
    assert main(["users", "remove", "ann"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bob", "--role", "viewer", "--password-stdin"]) == 1
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["ada", "admin"]
    con = db.connect(db_file)
    events = audit.trail(con).iloc[::-1]
    con.close()
    assert events["action"].tolist() == [
        "account_added",
        "account_added",
        "role_changed",
        "password_reset",
        "account_removed",
    ]
    assert json.loads(events["details"].iloc[2]) == {"account": "ann", "role": "admin", "before": "analyst"}
    assert "new-password-2" not in db_file.read_bytes().decode("latin-1")


def test_cli_journals_account_changes_while_the_app_holds_the_warehouse(empty_app, people, monkeypatch):
    at = sign_in(start(), "ada", PASSWORDS["ada"])  # the app now holds the warehouse file

    def locked(*args, **kwargs):
        raise db.WarehouseLocked("w.duckdb")

    with monkeypatch.context() as patch:
        patch.setattr("etl.db.connect", locked)
        assert main(["users", "set-role", "vic", "analyst"]) == 0
    assert accounts.journal_path().exists()
    at.switch_page("pages/audit.py").run()
    at.switch_page("pages/audit.py").run()  # absorbing twice copies nothing twice
    assert at.dataframe[0].value["Action"].tolist() == ["Role changed", "Signed in"]


# --- a fresh start opens no door (issue 12)


def test_only_a_missing_default_file_means_open(no_accounts, monkeypatch, tmp_path):
    assert accounts.mode() == "open"
    monkeypatch.setenv("DASHBOARD_ACCOUNTS", str(tmp_path / "acounts.json"))  # mistyped: no such file
    assert accounts.mode() == "locked" and not accounts.is_open()
    monkeypatch.delenv("DASHBOARD_ACCOUNTS")
    for broken in ('{"users": {}}', "", "not json {", '{"users": ["ada"]}', '{"accounts": {}}', "\x00\xff"):
        no_accounts.write_text(broken, encoding="latin-1")
        assert accounts.mode() == "locked", broken
        assert accounts.user("ada") is None and accounts.verify("ada", "whatever-1") is None
    no_accounts.unlink()
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    assert accounts.mode() == "accounts"


def test_an_empty_or_damaged_accounts_file_requires_sign_in(empty_app, no_accounts):
    for broken in ('{"users": {}}', "not json {"):
        no_accounts.write_text(broken, encoding="utf-8")
        for page in ("overview", "data"):
            at = start(page)
            assert [i.value for i in at.info] == ["Sign in to see the dashboard."]
            assert [w.value for w in at.warning] == [t("auth.locked", "en")]
            assert not at.metric and not at.file_uploader
            assert str(no_accounts) not in str(at.warning[0].value)  # server paths stay on the server


def test_a_damaged_accounts_file_is_never_overwritten_by_the_cli(no_accounts, monkeypatch, capsys):
    no_accounts.write_text("not json {", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("first-admin-pass\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--password-stdin"]) == 1
    assert "cannot be read" in capsys.readouterr().err
    assert no_accounts.read_text(encoding="utf-8") == "not json {"


def test_the_last_admin_cannot_be_removed_or_demoted_and_the_first_account_is_an_admin(no_accounts, capsys):
    with pytest.raises(ValueError, match="first account must be an administrator"):
        accounts.add_user("vic", "viewer", PASSWORDS["vic"])
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    accounts.add_user("vic", "viewer", PASSWORDS["vic"])
    assert main(["users", "remove", "ada"]) == 1
    assert "last administrator" in capsys.readouterr().err
    assert main(["users", "set-role", "ada", "analyst"]) == 1
    assert accounts.user("ada") == accounts.User("ada", "admin")
    accounts.set_role("vic", "admin")
    assert main(["users", "remove", "ada"]) == 0  # another admin remains
    assert main(["users", "remove", "vic"]) == 1
    assert accounts.mode() == "accounts"


@pytest.mark.parametrize(
    ("server", "client", "refusal"),
    [
        ("127.0.0.1", None, None),
        ("localhost", "127.0.0.1", None),
        ("::1", None, None),
        ("0.0.0.0", None, "auth.open_network"),
        ("", None, "auth.open_network"),  # no address: every interface
        (None, None, "auth.open_network"),
        ("192.168.1.20", None, "auth.open_network"),
        ("127.0.0.1", "192.168.1.7", "auth.open_remote"),  # e.g. behind a proxy that forwards the network
    ],
)
def test_with_no_accounts_only_this_computer_is_served(no_accounts, server, client, refusal):
    assert accounts.open_access_refusal(server, client) == refusal
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    assert accounts.open_access_refusal(server, client) is None  # sign-in protects it from now on


@pytest.fixture
def network_address():
    """The app started with --server.address 0.0.0.0 (every interface)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_the_app_refuses_the_network_until_an_admin_exists(empty_app, network_address):
    for page in (None, "data", "audit"):
        at = start(page)
        assert [e.value for e in at.error] == [t("auth.open_network", "en")]
        assert "users add NAME --role admin" in at.error[0].value
        assert not at.metric and not at.file_uploader and not at.dataframe
    by_url(at, "data")  # a typed URL is refused the same way
    assert not at.file_uploader and [e.value for e in at.error] == [t("auth.open_network", "en")]
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    at = start()
    assert not at.error and [i.value for i in at.info] == ["Sign in to see the dashboard."]


def test_throttling_is_per_client_so_a_stranger_cannot_lock_the_admin_out(empty_app, people, clock):
    con = warehouse()
    stranger, office = "203.0.113.9", "10.0.0.5"
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.sign_in(con, "ada", "guess-guess", client=stranger) is None
    with pytest.raises(accounts.TooManyAttempts):
        accounts.sign_in(con, "ada", PASSWORDS["ada"], client=stranger)
    assert accounts.sign_in(con, "ada", PASSWORDS["ada"], client=office) == accounts.User("ada", "admin")
    # spreading guesses over many names from one client is paused too
    names = [f"user{i}" for i in range(accounts.MAX_CLIENT_FAILURES)]
    for name in names:
        try:
            accounts.sign_in(con, name, "guess-guess", client=office)
        except accounts.TooManyAttempts:
            pytest.fail("paused before the client's limit")
    with pytest.raises(accounts.TooManyAttempts):
        accounts.sign_in(con, "vic", PASSWORDS["vic"], client=office)
    assert accounts.sign_in(con, "vic", PASSWORDS["vic"]) == accounts.User("vic", "viewer")  # this computer: not paused
    paused = [d for u, a, d in trail() if d.get("paused")]
    assert {d["client"] for d in paused} == {stranger, office}


def test_streamlit_config_listens_on_loopback_and_hides_error_details():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert accounts.is_loopback(config["server"]["address"])
    assert config["client"]["showErrorDetails"] == "none"
