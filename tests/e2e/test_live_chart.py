"""Events posted to the API move the overview's chart within 2 s, without a reload; and
with two web processes sharing Redis, a browser on one sees events ingested through the other."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import _free_port, _stop, _tail, _wait_ready
from .helpers import ROOT, Server, sign_in, snap

# Sum of the live chart's last points: what the browser has drawn so far.
DRAWN = """n => {
  const plot = document.querySelector('#overview-chart .chart__plot');
  if (!plot || !plot.data) return false;
  const ys = plot.data[0].y;
  return ys.slice(-20).reduce((a, b) => a + b, 0) >= n;
}"""

# The live chart's average line: as long as the bars, and its last points reach n.
AVERAGED = """n => {
  const data = document.querySelector('#overview-chart .chart__plot').data;
  return data[1].y.length === data[0].y.length && Math.max(...data[1].y.slice(-10)) >= n;
}"""

# The live chart's y axis as drawn.
Y_AXIS = """() => {
  const y = document.querySelector('#overview-chart .chart__plot')._fullLayout.yaxis;
  const range = y.range.map(v => Math.round(v * 100) / 100);
  return {autorange: Boolean(y.autorange), range: range, dtick: y.tickvals ? null : y.dtick};
}"""


def _create_app(server: Server, name: str) -> dict[str, Any]:
    status, app = server.api("POST", "/v1/applications", server.admin_token(), {"name": name, "type": "web"})
    assert status == 201, app
    return dict(app)


def _ingest(url: str, key: str, count: int) -> None:
    import urllib.request

    body = json.dumps({"events": [{"event": "pageview", "distinct_id": f"u{i}"} for i in range(count)]}).encode()
    request = urllib.request.Request(  # noqa: S310 - our own test server
        url + "/v1/events/batch", data=body, method="POST", headers={"X-API-Key": key}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["accepted"] == count


def _open_live_overview(page: Any, server: Server, app_id: str) -> None:
    sign_in(page, server)
    page.goto(f"/applications/{app_id}")
    expect(page.locator("[data-live-status]")).to_have_text("Live")


def test_posted_events_move_the_chart_within_two_seconds(page: Any, server: Server) -> None:
    app = _create_app(server, "Live chart")
    _open_live_overview(page, server, app["id"])
    points_before = page.evaluate("document.querySelector('#overview-chart .chart__plot').data[0].x.length")
    # A new application: nothing yet, so a flat line on the axis.
    assert page.evaluate(Y_AXIS) == {"autorange": False, "range": [0, 1], "dtick": None}
    _ingest(server.url, app["ingest_key"], 37)
    page.wait_for_function(DRAWN, arg=37, timeout=2000)
    # The average line moves with the bars: 37 events over its 10 seconds.
    page.wait_for_function(AVERAGED, arg=3.7, timeout=2000)
    assert page.url.endswith(f"/applications/{app['id']}")  # no reload, no navigation
    assert page.evaluate("document.querySelector('#overview-chart .chart__plot').data[0].x.length") >= points_before
    # The axis grew with the counts (a fixed 0..1 would cut the line off at 1).
    page.wait_for_function(f"() => ({Y_AXIS})().range[1] >= 37", timeout=2000)
    # Switching the theme restyles the chart and keeps what it has drawn since the page loaded.
    page.get_by_role("button", name=re.compile("Switch to dark theme|Toggle theme")).click()
    page.wait_for_function("() => document.documentElement.getAttribute('data-theme') === 'dark'")
    page.wait_for_timeout(300)  # the restyle runs on the next animation frame
    assert page.evaluate(DRAWN, 37), "the theme switch dropped the live points"
    page.get_by_role("button", name=re.compile("Switch to light theme|Toggle theme")).click()
    snap(page, "application-overview-live")


def _stores_of(data_dir: Path) -> dict[str, str]:
    """The first server's PostgreSQL and Redis, as URLs a second process can use."""
    env: dict[str, str] = {}
    if os.environ.get("DATABASE_URL"):
        return env  # external stores: the second process inherits the same URLs
    postmaster = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    env["DATABASE_URL"] = f"postgresql://postgres@/postgres?host={postmaster[4]}&port={postmaster[3]}"
    socket = json.loads((data_dir / "redis" / "nexus.rdb.settings").read_text())["unixsocket"]
    env["REDIS_URL"] = f"unix://{socket}"
    return env


@pytest.fixture
def second_server(server: Server, tmp_path: Path) -> Iterator[str]:
    """Another web process over the same PostgreSQL and Redis (its own chDB)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**server.env, **_stores_of(server.data_dir), "NEXUS_DATA_DIR": str(tmp_path / "second")}
    log_path = tmp_path / "second.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "run", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        problem = _wait_ready(process, url)
        assert problem is None, f"{problem}\n{_tail(log_path)}"
        yield url
    finally:
        took = _stop(process)
    assert took is not None, _tail(log_path, 40)


def test_a_browser_on_one_process_sees_events_ingested_through_another(
    page: Any, server: Server, second_server: str
) -> None:
    app = _create_app(server, "Two processes")
    _open_live_overview(page, server, app["id"])
    started = time.monotonic()
    _ingest(second_server, app["ingest_key"], 23)
    page.wait_for_function(DRAWN, arg=23, timeout=2000)
    assert time.monotonic() - started < 3
