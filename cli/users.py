"""`users`: the dashboard's sign-in accounts (etl.accounts), each change recorded in the audit trail."""

from __future__ import annotations

import argparse
import getpass
import sys

from cli.exits import EXIT_OK, EXIT_REFUSED


def add_parsers(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage the dashboard's sign-in accounts (see README)")
    users.add_argument("--accounts", help="accounts file (default: $DASHBOARD_ACCOUNTS or data/accounts.json)")
    users.add_argument("--db", help="warehouse whose audit trail records the change")
    act = users.add_subparsers(dest="action", required=True)
    add = act.add_parser("add", help="create an account (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--role", choices=_Roles(), required=True, metavar="ROLE", help="one of: %(choices)s")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    role = act.add_parser("set-role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=_Roles(), metavar="ROLE", help="one of: %(choices)s")
    reset = act.add_parser("reset-password", help="give an account a new password")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    act.add_parser("list", help="list the accounts")
    remove = act.add_parser("remove", help="delete an account")
    remove.add_argument("name")


class _Roles:
    """accounts.ROLES as argparse's choices, imported only when a role is checked or help is shown (accounts imports
    DuckDB and pandas, which `load` must not wait for; a metavar keeps argparse from listing them as it builds)."""

    def __iter__(self):
        from etl.accounts import ROLES

        return iter(ROLES)

    def __contains__(self, role: object) -> bool:
        return role in list(self)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _audit_account_change(args, action: str, **details: object) -> None:
    """Record in the warehouse; while the app holds it, in the journal beside the accounts file."""
    from etl import accounts, audit, db

    try:
        con = db.connect(args.db, wait=db.lock_wait())
    except db.WarehouseLocked:
        journal = accounts.journal_path(args.accounts)
        audit.append_pending(journal, audit.os_user(), action, **details)
        print(f"(the warehouse is in use: recorded in {journal}; the dashboard copies it into its audit trail)")
        return
    try:
        audit.absorb(con, accounts.journal_path(args.accounts))
        audit.record(con, audit.os_user(), action, **details)
    finally:
        con.close()


def _users(args) -> int:
    from etl import accounts

    path = args.accounts
    try:
        if args.action == "list":
            rows = accounts.list_users(path)
            if not rows and accounts.is_open(path):
                print(
                    "no accounts: the app serves this computer only (create an admin with `users add NAME --role admin`)"
                )
            elif not rows:
                print(
                    f"no accounts in {accounts.accounts_path(path)}: sign-in is on and nobody can sign in "
                    "(create an admin with `users add NAME --role admin`)"
                )
            for row in rows:
                print(f"{row['name']:<20} {row['role']:<8} created {row['created']}  changed {row['changed']}")
            return EXIT_OK
        if args.action == "add":
            accounts.add_user(args.name, args.role, _password(args.password_stdin), path)
            _audit_account_change(args, "account_added", account=args.name, role=args.role)
            print(f"added {args.name} ({args.role}) to {accounts.accounts_path(path)}")
        elif args.action == "set-role":
            before = accounts.set_role(args.name, args.role, path)
            _audit_account_change(args, "role_changed", account=args.name, role=args.role, before=before)
            print(f"{args.name}: {before} -> {args.role}")
        elif args.action == "reset-password":
            accounts.reset_password(args.name, _password(args.password_stdin), path)
            _audit_account_change(args, "password_reset", account=args.name)
            print(f"new password set for {args.name}")
        else:
            accounts.remove_user(args.name, path)
            _audit_account_change(args, "account_removed", account=args.name)
            print(f"removed {args.name}")
    except (ValueError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


COMMANDS = {"users": _users}
