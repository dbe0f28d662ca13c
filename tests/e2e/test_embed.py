"""An embed page inside an iframe on another origin renders and updates live."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import jwt
import pytest

from .helpers import Server

VALUE = "() => { const p = document.querySelector('.chart__plot'); return p && p.data ? p.data[0].value : null; }"


def _ingest(server: Server, key: str, count: int) -> None:
    body = json.dumps({"events": [{"event": "purchase", "distinct_id": f"u{i}"} for i in range(count)]}).encode()
    request = urllib.request.Request(server.url + "/v1/events/batch", data=body, headers={"X-API-Key": key})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own test server
        pass


def test_embedded_panel_renders_in_a_foreign_iframe_and_updates_live(
    page: Any, server: Server, host_page: tuple[str, dict[str, str]]
) -> None:
    origin, content = host_page
    token = server.admin_token()
    _, app = server.api("POST", "/v1/applications", token, {"name": f"Embedded {time.time_ns()}", "type": "web"})
    _, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Public", "app_id": app["id"]})
    _, panel = server.api(
        "POST",
        f"/v1/dashboards/{dashboard['id']}/panels",
        token,
        {"title": "Purchases today", "chart_type": "number", "query": {"events": ["purchase"], "range": "24h"}},
    )
    _, settings = server.api("PUT", "/v1/embedding", token, {"allowed_origins": [origin]})
    _ingest(server, app["ingest_key"], 4)
    claims = {"resource": {"panel": panel["id"]}, "params": {}, "exp": int(time.time()) + 600}
    embed_token = jwt.encode(claims, settings["secret"], algorithm="HS256")
    content["html"] = (
        f"<!doctype html><title>Customer</title><h1>Our shop</h1>"
        f'<iframe id="widget" src="{server.url}/embed/{embed_token}" width="600" height="360"></iframe>'
    )

    page.goto(origin)
    frame = page.frame_locator("#widget")
    frame.locator("[data-live-status]").filter(has_text="Live").wait_for()
    widget = next(f for f in page.frames if "/embed/" in f.url)
    widget.wait_for_function(f"() => ({VALUE})() === 4")

    _ingest(server, app["ingest_key"], 3)
    widget.wait_for_function(f"() => ({VALUE})() === 7", timeout=8000)  # live: no reload

    page.screenshot(path=str(server.log_path.parent / "embed.png"))


def test_refused_and_unframeable_embeds(server: Server) -> None:
    token = server.admin_token()
    _, settings = server.api("PUT", "/v1/embedding", token, {"allowed_origins": []})
    for bad in ("x.y.z", jwt.encode({"resource": {"panel": "nope"}, "exp": 1}, settings["secret"], algorithm="HS256")):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url + f"/embed/{bad}", timeout=10)  # noqa: S310
        assert refused.value.code == 401
