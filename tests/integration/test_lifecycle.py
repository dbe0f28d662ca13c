"""`nexus run` on the embedded engines: they start with it and stop with it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("server never became ready")


def _engine_pids(data_dir: Path) -> list[int]:
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    redis_socket = json.loads((data_dir / "redis" / "nexus.rdb.settings").read_text())["unixsocket"]
    redis = [p.pid for p in psutil.process_iter(["cmdline"]) if redis_socket in " ".join(p.info["cmdline"] or [])]
    assert len(redis) == 1
    return [postgres, *redis]


def _use_secrets(url: str, password: str, email: str) -> list[str]:
    """Sign in and mint a key, so the log has had every chance to leak them."""
    token = httpx.post(f"{url}/v1/auth/token", json={"email": email, "password": password}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    key = httpx.post(f"{url}/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=headers).json()["key"]
    assert httpx.get(f"{url}/v1/applications", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    return [password, token, key]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_embedded_engines_stop_with_the_app(tmp_path: Path, stop_signal: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL"}}
    env["NEXUS_DATA_DIR"] = str(tmp_path)
    env["LOG_LEVEL"] = "INFO"
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        secrets = _use_secrets(url, env["NEXUS_ADMIN_PASSWORD"], env["NEXUS_ADMIN_EMAIL"])
        engines = _engine_pids(tmp_path)
        assert all(psutil.pid_exists(pid) for pid in engines)
        server.send_signal(stop_signal)
        # uvicorn re-raises the signal once it has shut down gracefully.
        assert server.wait(timeout=30) in (0, -stop_signal)
        deadline = time.monotonic() + 10
        while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in engines):
            assert time.monotonic() < deadline, "an engine outlived the app"
            time.sleep(0.2)
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    logged = (tmp_path / "server.log").read_text()
    assert "path=/v1/api-keys" in logged or '"path": "/v1/api-keys"' in logged  # the requests were logged...
    for secret in secrets:
        assert secret not in logged  # ...but never a password, token or key
