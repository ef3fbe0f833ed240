"""The public pages' server in the browser tests (tests/e2e/test_public_ledger.py, tests/e2e/test_public_voices.py):
a server of the test's own with sign-in on and DASHBOARD_PUBLIC=1, an anonymous visitor's view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Server


def public_server(own_server: Any, monkeypatch: pytest.MonkeyPatch, prepare: Callable[[Path], None]) -> Server:
    """Start `own_server` (the e2e conftest's fixture) with the public pages open: `prepare(folder)` runs with the
    folder that holds the warehouse before the app starts (where it adds the accounts that turn sign-in on)."""
    serve_env = own_server.__globals__["_server_env"]  # the e2e conftest's server environment

    def public(folder: Path) -> dict[str, str]:
        prepare(folder)
        return {**serve_env(folder), "DASHBOARD_PUBLIC": "1"}

    monkeypatch.setitem(own_server.__globals__, "_server_env", public)
    return own_server()
