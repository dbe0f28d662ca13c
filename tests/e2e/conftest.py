"""Browser tests: the real server in a subprocess, driven by headless Chromium.

The server gets stores of its own, so nothing another test file does (the integration
tests TRUNCATE between tests) can reach it: a fresh data dir for the embedded engines,
or, when the root conftest pointed DATABASE_URL / REDIS_URL at external servers (CI's
second pass), a database created for this run on that PostgreSQL and Redis db 10.
Every test builds what it needs through the UI, signed in as the server's admin.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import ROOT, SCREENSHOTS, Server

FAILURES = ROOT / "test-artifacts" / "failures"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ADMIN_EMAIL = "e2e-admin@nexus.test"
ADMIN_PASSWORD = "e2e-admin-password-1"
ORG_NAME = "Playwright Labs"

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (CI installs Debian's chromium package)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 120) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server output)"


class _ExternalStores:
    """A database of the e2e server's own on the external PostgreSQL, and Redis db 10."""

    def __init__(self) -> None:
        self.base_url = os.environ.get("DATABASE_URL")
        self.database = f"nexus_e2e_{uuid.uuid4().hex[:10]}"
        self.created = False

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.base_url:
            import psycopg

            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.database}"')
            self.created = True
            env["DATABASE_URL"] = urlsplit(self.base_url)._replace(path=f"/{self.database}").geturl()
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = re.sub(r"/\d*$", "", os.environ["REDIS_URL"].rstrip("/")) + "/10"
        return env

    def drop(self) -> None:
        if self.created and self.base_url:
            import psycopg

            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> str | None:
    """None once /ready answers 200, else why it did not."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the server exited with code {process.returncode} during start-up"
        try:
            with urllib.request.urlopen(url + "/ready", timeout=2) as response:  # noqa: S310 - our own test server
                if response.status == 200:
                    return None
                last = f"/ready answered {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"/ready answered {exc.code}: {exc.read()[:300]!r}"
        except (urllib.error.URLError, OSError) as exc:
            last = f"/ready unreachable: {exc}"
        time.sleep(0.25)
    return f"/ready did not answer 200 within {READY_TIMEOUT_S} s ({last})"


def _stop(process: subprocess.Popen[bytes]) -> float | None:
    """SIGTERM (never SIGKILL: embedded engines must stop with the server); seconds taken,
    or None if it was still running after STOP_TIMEOUT_S."""
    if process.poll() is not None:
        return 0.0
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # One more polite nudge so the run does not leave a server behind, then report it.
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        return None
    return time.monotonic() - started


def _engine_leftovers(data_dir: Path, timeout_s: float = 15) -> list[str]:
    """Embedded engines still running from `data_dir` after the server exited (they stop
    with it; give them a moment)."""
    import psutil

    deadline = time.monotonic() + timeout_s
    while True:
        found = [str(path) for path in [data_dir / "postgres" / "postmaster.pid"] if path.exists()]
        for process in psutil.process_iter(["pid", "cmdline"]):
            cmdline = " ".join(process.info.get("cmdline") or [])
            if str(data_dir) in cmdline:
                found.append(f"pid {process.info['pid']}: {cmdline[:120]}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real `nexus run` in a subprocess, on a free port, with stores of its own."""
    require_chromium()
    workdir = tmp_path_factory.mktemp("e2e-server")
    log_path = workdir / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    stores = _ExternalStores()

    env = dict(os.environ)
    for inherited in ("NEXUS_PUBLIC_URL", "PORT", "HOST"):
        env.pop(inherited, None)
    env.update(
        {
            "NEXUS_ENV": "test",
            "NEXUS_DATA_DIR": str(workdir / "data"),
            "NEXUS_ADMIN_EMAIL": ADMIN_EMAIL,
            "NEXUS_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "NEXUS_ORG_NAME": ORG_NAME,
            "HOST": "127.0.0.1",
            # Redis keeps login throttling across runs; the wrong-password test must never
            # lock the admin out of the next run.
            "NEXUS_LOGIN_ATTEMPTS": "1000",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    process: subprocess.Popen[bytes] | None = None
    took: float | None = 0.0
    try:
        env.update(stores.env())
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "run", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        problem = _wait_ready(process, url)
        if problem:
            output = _tail(log_path)
            print(f"--- e2e server output ({log_path}) ---\n{output}")
            pytest.fail(f"e2e server did not start: {problem}\n--- server output ---\n{output}", pytrace=False)
        yield Server(
            url=url,
            admin_email=ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
            org_name=ORG_NAME,
            log_path=log_path,
            data_dir=workdir / "data",
            env=env,
        )
    finally:
        if process is not None:
            took = _stop(process)
        stores.drop()
    assert process is not None
    assert took is not None, f"the e2e server did not exit within {STOP_TIMEOUT_S} s of SIGTERM\n{_tail(log_path, 40)}"
    # uvicorn re-raises the signal it stopped on once shutdown is complete.
    assert process.returncode in (0, -signal.SIGTERM), f"the e2e server exited with {process.returncode}"
    assert "Application shutdown complete" in log_path.read_text(errors="replace"), (
        f"the e2e server did not shut its engines down cleanly\n{_tail(log_path, 40)}"
    )
    leftovers = _engine_leftovers(workdir / "data")
    assert not leftovers, f"embedded engines outlived the server: {leftovers}"


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    """Headless Chromium, per module: while the sync Playwright driver is alive its event
    loop counts as running in this thread, which would break pytest-asyncio's tests that
    run after these (the whole suite is one session)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Any, server: Server) -> Iterator[Callable[..., Any]]:
    """new_context(**options) → a fresh browser context (own cookies and storage)."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        settings = {
            "base_url": server.url,
            "viewport": {"width": 1280, "height": 800},
            "color_scheme": "light",
            "reduced_motion": "reduce",
            "locale": "en-GB",
            "timezone_id": "UTC",
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    page = new_context().new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        FAILURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep the call report on the test (for the failure screenshot) and, on failure,
    attach the end of the server's output."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    if report.failed and "server" in getattr(item, "funcargs", {}):
        server: Server = item.funcargs["server"]  # type: ignore[attr-defined]
        report.sections.append(("e2e server output (tail)", _tail(server.log_path, 80)))


@pytest.fixture
def host_page() -> Iterator[tuple[str, dict[str, str]]]:
    """A customer's page on its own origin; the test sets the HTML it serves."""
    content = {"html": "<!doctype html><title>Customer</title>"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = content["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", content
    server.shutdown()
