"""The main pages, with data in them, checked by axe-core (the engine behind browser
accessibility audits) in both themes: names for every control, labels, contrast, landmarks,
ARIA used as specified. A page that gains a violation fails here with what and where."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest
from playwright.sync_api import expect

from .helpers import ROOT, Server, sign_in

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DRAWN = "[data-chart][data-drawn='true']"
# What each violation says, short enough to read in a failure.
VIOLATIONS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => {
    const where = v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ");
    return `${v.impact} ${v.id}: ${v.help} at ${where}`;
  });
}"""


def _axe() -> str:
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(ROOT)} is missing: `make setup` installs it (npm ci)")
    return Path(AXE).read_text()


def _post(server: Server, path: str, key: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        server.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200


def _an_application_with_data(server: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Audited shop", "type": "web"})
    assert status == 201, app
    events = [
        {"event": name, "distinct_id": f"u{i}", "properties": {"path": "/cart", "price": 10 + i}}
        for i, name in enumerate(["pageview", "pageview", "signup", "purchase"] * 5)
    ]
    _post(server, "/v1/events/batch", app["ingest_key"], {"events": events})
    timings = [
        {"endpoint": "/api/cart", "method": "GET", "status_code": 200, "duration_ms": 40.0 + i} for i in range(10)
    ]
    _post(server, "/v1/performance/batch", app["ingest_key"], {"metrics": timings})
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Audited", "app_id": app["id"]})
    assert status == 201, dashboard
    for panel in (
        {"chart_type": "line", "query": {"events": ["pageview", "signup"]}},
        {"chart_type": "number", "query": {"events": ["purchase"], "aggregation": "sum", "property": "price"}},
        {"chart_type": "table", "query": {"events": ["pageview"], "breakdown": "path"}},
    ):
        status, created = server.api("POST", f"/v1/dashboards/{dashboard['id']}/panels", token, panel)
        assert status == 201, created
    return app, dashboard


def test_the_main_pages_have_no_accessibility_violations(page: Any, server: Server) -> None:
    axe = _axe()
    app, dashboard = _an_application_with_data(server)
    found = _audit(page, axe, {"/login": None, "/no-such-page": None})  # signed out
    sign_in(page, server)
    found |= _audit(
        page,
        axe,
        {
            "/applications": None,
            f"/applications/{app['id']}": "#overview-chart " + DRAWN,
            f"/applications/{app['id']}/events": "#events",
            f"/applications/{app['id']}/setup": None,
            "/dashboards": None,
            f"/dashboards/{dashboard['id']}": f"article.dash-panel:nth-of-type(3) {DRAWN}",
            f"/dashboards/{dashboard['id']}/panels/new": f"#preview {DRAWN}",
            "/insights": None,
            "/commands": None,
            "/support": None,
            "/settings/users": None,
            "/settings/embedding": None,
        },
    )
    # A customer's page frames this: it must read as well as ours.
    status, embedding = server.api("GET", "/v1/embedding", server.admin_token())
    assert status == 200, embedding
    claims = {"resource": {"dashboard": dashboard["id"]}, "params": {}, "exp": int(time.time()) + 600}
    widget = f"/embed/{jwt.encode(claims, embedding['secret'], algorithm='HS256')}"
    found |= _audit(page, axe, {widget: f".embed__panel {DRAWN}"})
    assert not found, json.dumps(found, indent=2)


def _audit(page: Any, axe: str, pages: dict[str, str | None]) -> dict[str, list[str]]:
    """Each page's violations in each theme, once what `pages` waits for (a drawn chart) is shown."""
    found: dict[str, list[str]] = {}
    # Colours change over a 140 ms transition: audited part-way through a theme switch, contrast
    # is measured on blended colours. The page's own reduced-motion rule makes the switch
    # immediate.
    page.emulate_media(reduced_motion="reduce")
    for path, ready in pages.items():
        page.goto(path)
        if ready:
            expect(page.locator(ready).first).to_be_visible()
        page.add_script_tag(content=axe)
        for theme in ("light", "dark"):
            page.evaluate("theme => document.documentElement.setAttribute('data-theme', theme)", theme)
            page.wait_for_timeout(100)  # charts restyle on the next animation frame
            violations = page.evaluate(VIOLATIONS)
            if violations:
                found[f"{path} ({theme})"] = violations
    return found
