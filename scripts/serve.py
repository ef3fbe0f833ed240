"""Serve the dashboard: `streamlit run app.py` (extra arguments go to it) that warms itself up.

As soon as Streamlit's runtime has started, a thread in the server's own process has the runtime run the app once,
as an anonymous visitor on this computer would, on the runtime's own event loop (Runtime.does_script_run_without_
error, what Streamlit's script health check calls). That run imports the pages' modules (pandas, DuckDB, Plotly, the
metric catalogue) and fills the process's caches: a fresh install's sample loaded and published (the app's own
bootstrap, in the server process), the published version opened, the default page's figures. It happens while the
first visitor's browser is still loading Streamlit's scripts, so that visitor's first page waits less for it
(bench/RESULTS.md, "Pages in the browser").

The run is the server's own, once, at start: nobody can ask for another. Streamlit's script health check endpoint
(`/_stcore/script-health-check`), which runs the whole app for any caller who asks (0.6-1.8 s each), stays off, even
when the command line switches it on. The warm-up is an optimisation only: when it fails, the first visitor's run
does the same work.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_SECONDS = 120  # the first run of a fresh install loads the sample workbooks
NO_SCRIPT_HEALTH_CHECK = "--server.scriptHealthCheckEnabled=false"  # last on the command line: it wins


def warm_up(deadline: float) -> str:
    """Once this process's Streamlit runtime has started, run the app once in it; "ok", "error" or why not."""
    from streamlit.runtime import Runtime, RuntimeState

    started = {RuntimeState.NO_SESSIONS_CONNECTED, RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED}
    while not (Runtime.exists() and Runtime.instance().state in started):
        if time.monotonic() > deadline:
            return "the server did not start"
        time.sleep(0.02)
    runtime = Runtime.instance()
    loop = runtime._get_async_objs().eventloop  # the run must be started on the runtime's own loop
    run = asyncio.run_coroutine_threadsafe(runtime.does_script_run_without_error(), loop)
    _, said = run.result(timeout=max(deadline - time.monotonic(), 1))
    return said  # "ok"; "error" when the run raised (the server's log has it); "timeout"


QUIET_SECONDS = 5  # a page's warm-up waits until no visitor has connected or run a page for this long
IDLE_WAIT_SECONDS = 30  # but at most this long


async def _warm_pages(runtime, deadline: float) -> dict[str, bool]:
    """After the default page's warm-up, every other page of the dashboard run once, as a browser opens them, in one
    session of its own: a first run (the default page, from its cache) registers the navigation's pages, then each
    page runs by its hash, each once the visitors have left the server quiet (Visitors: the warm-up is for later
    visitors, not at the cost of the present ones). Their queries' results and their charts are then cached for
    every visitor. For each page (its URL path): whether it ran, as itself, by `deadline`. The pages are the
    navigation's own (app.py): a page added to it is warmed too."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.script_data import ScriptData
    from streamlit.runtime.state import SCRIPT_RUN_WITHOUT_ERRORS_KEY as DONE

    session = AppSession(
        script_data=ScriptData(runtime._main_script_path, False),
        uploaded_file_manager=runtime._uploaded_file_mgr,
        script_cache=runtime._script_cache,
        message_enqueued_callback=runtime._enqueued_some_message,
        user_info={"email": "test@example.com"},
    )

    visitors = Visitors(_sessions(runtime), time.monotonic())

    async def run(state: ClientState | None) -> bool:
        while not visitors.quiet(_sessions(runtime), time.monotonic()):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        if DONE in session.session_state:
            del session.session_state[DONE]
        session.request_rerun(state)
        while DONE not in session.session_state:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return bool(session.session_state[DONE])

    ran: dict[str, bool] = {}
    try:
        if not await run(None):
            return ran
        # the page the run resolved (st.navigation sets it on the script's thread, before the run ends); the session's
        # own page_script_hash is updated later (when the runner reports its end, on the event loop), and under load
        # may still name app.py here: then the default page was warmed twice and counted as a page of its own
        pages = session._pages_manager
        default = pages.current_page_script_hash
        for page, info in pages.get_pages().items():
            if page == default:
                continue
            name = str(info.get("url_pathname", ""))
            state = ClientState()
            state.page_script_hash = page
            state.page_name = name
            ran[name] = await run(state) and pages.current_page_script_hash == page  # itself, not the default page
    finally:
        session.shutdown()
    return ran


class Visitors:
    """Whether the visitors have left the server quiet, judged from what their sessions show at each look: a page's
    warm-up runs in the same process as their runs, and on two cores beside their browsers. It waits until, for
    QUIET_SECONDS, no visitor has connected (a browser that has just loaded Streamlit's scripts, about to ask for its
    first page) and no visitor's run has been in progress (its browser then draws what it was sent); after
    IDLE_WAIT_SECONDS of waiting it runs anyway. Measured on a fresh install, a page's warm-up beside the first
    visitor's browser made that visitor's first page 1.2 s later (bench/RESULTS.md, "Issue 27", sixth pass)."""

    def __init__(self, sessions: list[tuple[str, bool]], now: float) -> None:
        """Counting from `now`, when the server's own start-up (its default page's warm-up) ended: its first
        visitor is likely to come then; `sessions` are those connected by then."""
        self.known = {session for session, _ in sessions}
        self.last = now  # when a visitor was last seen arriving or running
        self.waiting_since: float | None = None

    def look(self, sessions: list[tuple[str, bool]], now: float) -> None:
        """Note the visitors' sessions (id, whether a run is in progress) at `now`."""
        ids = {session for session, _ in sessions}
        if ids - self.known or any(running for _, running in sessions):
            self.last = now
        self.known = ids

    def quiet(self, sessions: list[tuple[str, bool]], now: float) -> bool:
        """After a look at `now`: whether a page's warm-up may run (the wait, if it was over, starts again)."""
        self.look(sessions, now)
        if self.waiting_since is None:
            self.waiting_since = now
        if now - self.last >= QUIET_SECONDS or now - self.waiting_since >= IDLE_WAIT_SECONDS:
            self.waiting_since = None
            return True
        return False


def _sessions(runtime) -> list[tuple[str, bool]]:
    """The visitors' sessions: (id, whether a script run is in progress). The warm-up's own are not among them."""
    from streamlit.runtime.app_session import AppSessionState

    running = AppSessionState.APP_IS_RUNNING
    return [(info.session.id, info.session._state == running) for info in runtime._session_mgr.list_active_sessions()]


def warm_pages(deadline: float) -> dict[str, bool]:
    """_warm_pages on the runtime's own event loop, from this thread."""
    from streamlit.runtime import Runtime

    runtime = Runtime.instance()
    loop = runtime._get_async_objs().eventloop
    run = asyncio.run_coroutine_threadsafe(_warm_pages(runtime, deadline), loop)
    return run.result(timeout=max(deadline - time.monotonic(), 1) + IDLE_WAIT_SECONDS)


def _warm_up_in_background() -> None:
    # The heaviest imports of the first run start at once, beside Streamlit's own start-up; measured over 11
    # interleaved cold starts, the first page was drawn ≈ 0.4 s sooner than when they waited for the runtime.
    try:
        import duckdb  # noqa: F401
        import pandas  # noqa: F401
        import plotly.express  # noqa: F401

        started = time.monotonic()
        outcome = warm_up(started + WARM_UP_SECONDS)
        if outcome == "ok":
            ran = warm_pages(time.monotonic() + WARM_UP_SECONDS)
            failed = [name for name, done in ran.items() if not done]
            outcome = f"pages not run: {', '.join(failed)}" if failed or not ran else "ok"
            warmed = ", ".join(["the default page", *(name for name, done in ran.items() if done)])
            print(f"warmed up in {time.monotonic() - started:.1f} s: {warmed}", file=sys.stderr)
    except Exception as exc:  # the warm-up never stops the server: the first visitor's run does its work instead
        outcome = f"failed ({exc!r})"
    if outcome != "ok":
        print(f"warm-up: {outcome}", file=sys.stderr, flush=True)
    print(f"{set_aside()} objects set aside from the collector's passes", file=sys.stderr, flush=True)


def set_aside() -> int:
    """What the process holds once warmed up (modules, the pages' imports, the caches the warm-up filled) set aside
    from the garbage collector's passes (gc.freeze); how many objects. Streamlit collects every generation after
    each script run (runner.postScriptGC), holding the interpreter's lock while the run's last messages are still to
    be sent: over the whole heap that pass took 108 ms (84-210) of every visit at the bench warehouse, over what
    later runs made 1.6 ms (0.7-25) (bench/collector.py; bench/RESULTS.md, "Issue 27"). A frozen object is still
    freed when nothing refers to it any more; what is given up is finding cycles among them, once, for what the
    warm-up built."""
    import gc

    gc.collect()  # the warm-up's own garbage is not kept
    gc.freeze()
    return gc.get_freeze_count()


def prepare() -> None:
    """Before the server listens: the app's own once-per-process bootstrap (ui.session._bootstrap: a fresh install's
    sample loaded and published, a never-published warehouse published as it was live; with accounts nothing else),
    the very call the first run would make, whose result Streamlit's resource cache (one per process) then holds,
    with the sample's hashes the pages' sample notice compares with; then the pages' imports and the current
    version's connection. On a fresh install this is most of what the first visitor used to wait for (the sample's
    five imports and the publish): bench/RESULTS.md, "Issue 27". Nothing is published here that the first run would
    not publish: it is the same call."""
    import logging

    import streamlit  # noqa: F401  (its loggers, quieted below)

    # Streamlit's notices that there is no runtime yet (a cache used before the server starts): by design here
    quiet = [logging.getLogger(n) for n in list(logging.Logger.manager.loggerDict) if n.startswith("streamlit")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        from etl import db
        from ui import session

        path = str(db.db_path())
        session._bootstrap(path)
        # what the first run imports and opens next: the pages' modules (Plotly, the metric catalogue) and the
        # current published version's shared read-only connection (also a resource, one per process)
        import plotly.express  # noqa: F401

        import metrics  # noqa: F401
        from etl import publish
        from presenter import narrative  # noqa: F401
        from ui import page, widgets  # noqa: F401

        current = publish.source(Path(path), draft=False)
        if current is not None:
            session.published_cursor(current)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def under_streamlit_run() -> None:
    """Tell Streamlit this process is `streamlit run` (main, below). Before the first element a process draws,
    Streamlit checks whether it is run some other way, to warn that it should not be: an inspect.stack() that looks
    up every loaded module's file, 0.26 s of the 0.95 s of CPU of a fresh install's first run, which the warm-up pays
    while the first visitor's browser loads (bench/RESULTS.md, "Issue 27", sixth pass)."""
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True  # the check is done once per process, then skipped


def main(args: list[str]) -> int:
    """`streamlit run app.py ARGS --server.scriptHealthCheckEnabled=false`, the app's bootstrap done before it
    listens, with the warm-up beside its start."""
    from streamlit.web import cli

    os.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    sys.path.insert(0, str(ROOT))
    under_streamlit_run()
    try:
        prepare()
    except Exception as exc:  # an optimisation only: the first visitor's run does this work instead, and shows why
        print(f"bootstrap before start: failed ({exc!r})", file=sys.stderr, flush=True)
    threading.Thread(target=_warm_up_in_background, name="warm-up", daemon=True).start()
    end = args.index("--") if "--" in args else len(args)  # after "--": the app's own arguments
    sys.argv = ["streamlit", "run", "app.py", *args[:end], NO_SCRIPT_HEALTH_CHECK, *args[end:]]
    cli.main(prog_name="streamlit")  # exits with Streamlit's own status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
