"""Serve the dashboard: `streamlit run app.py` (extra arguments go to it) that warms itself up.

As soon as the server answers, a thread in the server's own process runs the app once, as an anonymous visitor on
this computer, through Streamlit's script health check (`/_stcore/script-health-check`, switched on here). That
run imports the pages' modules (pandas, DuckDB, Plotly, the metric catalogue) and fills the process's caches: a
fresh install's sample loaded and published, the published version opened, the default page's figures. It
happens while the first visitor's browser is still loading Streamlit's scripts, so that visitor's first page no
longer waits for it (bench/RESULTS.md, "Pages in the browser").

The warm-up is what any anonymous visitor may already do: it has no session in the session manager, no browser
address (so, with accounts, it stops at the sign-in page; with no accounts and a network address, at the refusal),
and the endpoint answers only "ok" or "error". It is an optimisation only: when it fails, the first visitor's run
does the same work.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_SECONDS = 120  # the first run of a fresh install loads the sample workbooks


def base_url() -> str:
    """This server's own URL, from Streamlit's configuration once it has bound its port (the port it really got,
    when the configured one was taken)."""
    from streamlit import config

    address = config.get_option("server.address") or ""
    host = "127.0.0.1" if address in ("", "0.0.0.0", "::") else address
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if config.get_option("server.sslCertFile") else "http"
    path = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"{scheme}://{host}:{config.get_option('server.port')}" + (f"/{path}" if path else "")


def _get(url: str, timeout: float) -> str:
    context = ssl._create_unverified_context() if url.startswith("https") else None  # our own server
    with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
        return response.read().decode()


def warm_up(deadline: float) -> str:
    """Once this process's Streamlit runtime has started, run the app once in it; "ok", "error" or why not."""
    from streamlit.runtime import Runtime, RuntimeState

    started = {RuntimeState.NO_SESSIONS_CONNECTED, RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED}
    while not (Runtime.exists() and Runtime.instance().state in started):
        if time.monotonic() > deadline:
            return "the server did not start"
        time.sleep(0.02)
    base = base_url()
    while True:
        try:
            if _get(f"{base}/_stcore/health", timeout=2) == "ok":
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            return "the server did not answer"
        time.sleep(0.02)
    try:
        return _get(f"{base}/_stcore/script-health-check", timeout=max(deadline - time.monotonic(), 1))
    except OSError as exc:  # 503: the run raised (the server's log has it); 404: switched off on the command line
        return f"error ({exc})"


def _warm_up_in_background() -> None:
    # The heaviest imports of the first run start at once, beside Streamlit's own start-up; measured over 11
    # interleaved cold starts, the first page was drawn ≈ 0.4 s sooner than when they waited for the runtime.
    try:
        import duckdb  # noqa: F401
        import pandas  # noqa: F401
        import plotly.express  # noqa: F401

        outcome = warm_up(time.monotonic() + WARM_UP_SECONDS)
    except Exception as exc:  # the warm-up never stops the server: the first visitor's run does its work instead
        outcome = f"failed ({exc!r})"
    if outcome != "ok":
        print(f"warm-up: {outcome}", file=sys.stderr, flush=True)


def main(args: list[str]) -> int:
    """`streamlit run app.py --server.scriptHealthCheckEnabled=true ARGS` with the warm-up beside it."""
    from streamlit.web import cli

    os.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    threading.Thread(target=_warm_up_in_background, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", "app.py", "--server.scriptHealthCheckEnabled=true", *args]
    cli.main(prog_name="streamlit")  # exits with Streamlit's own status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
