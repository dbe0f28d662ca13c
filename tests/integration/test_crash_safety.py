"""A web process killed with SIGKILL under ingest load loses no acknowledged event."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import psutil

from tests.integration.test_lifecycle import ROOT, _free_port, _wait_ready


def _stored_uuids(data_dir: Path) -> list[str]:
    """Read the dead server's chDB files from a fresh process (chDB allows one per process)."""
    script = textwrap.dedent(
        f"""
        import chdb, json
        conn = chdb.connect({str(data_dir / "clickhouse")!r})
        rows = conn.query("SELECT toString(uuid) FROM events", "JSONCompactEachRow").bytes().decode().splitlines()
        print(json.dumps([json.loads(row)[0] for row in rows]))
        """
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return list(json.loads(output.stdout.strip().splitlines()[-1]))


def _kill_orphans(data_dir: Path) -> None:
    """SIGKILL leaves the embedded PostgreSQL (`-D <data dir>`) and Redis (its socket) running."""
    markers = [str(data_dir)]
    redis_settings = data_dir / "redis" / "nexus.rdb.settings"
    if redis_settings.exists():
        markers.append(json.loads(redis_settings.read_text())["unixsocket"])
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if any(marker in command for marker in markers):
            process.kill()


async def _load(url: str, key: str, acknowledged: list[str], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        while not stop.is_set():
            batch = [{"event": "load", "distinct_id": "u", "uuid": str(uuid.uuid4())} for _ in range(100)]
            try:
                response = await http.post("/v1/events/batch", json={"events": batch}, headers={"X-API-Key": key})
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                acknowledged.extend(event["uuid"] for event in batch)


def test_sigkill_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    env = {**os.environ, "NEXUS_DATA_DIR": str(tmp_path), "NEXUS_INGEST_FLUSH_INTERVAL_MS": "20"}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        _wait_ready(url, server)
        token = httpx.post(
            f"{url}/v1/auth/token", json={"email": env["NEXUS_ADMIN_EMAIL"], "password": env["NEXUS_ADMIN_PASSWORD"]}
        ).json()["access_token"]
        app = httpx.post(
            f"{url}/v1/applications", json={"name": "Load", "type": "web"}, headers={"Authorization": f"Bearer {token}"}
        ).json()
        acknowledged: list[str] = []

        async def run() -> None:
            stop = asyncio.Event()
            senders = [asyncio.create_task(_load(url, app["ingest_key"], acknowledged, stop)) for _ in range(8)]
            await asyncio.sleep(2)
            server.send_signal(signal.SIGKILL)  # mid-flight: some requests are waiting on a flush
            stop.set()
            await asyncio.gather(*senders)

        started = time.monotonic()
        asyncio.run(run())
        server.wait(timeout=10)
        assert time.monotonic() - started < 30
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
        _kill_orphans(tmp_path)
    stored = _stored_uuids(tmp_path)
    assert len(acknowledged) > 500, "the load never got going"
    assert len(stored) == len(set(stored)), "a uuid was stored twice"
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events were lost"
