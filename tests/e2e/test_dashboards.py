"""Dashboards in a real browser: build a panel without code, see it survive a reload with
the same numbers as the timeseries API, and restyle with the theme."""

from __future__ import annotations

import json
import random
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import expect

from .helpers import Server, sign_in, snap

DASHBOARD_URL = re.compile(r"/dashboards/[0-9a-f-]{36}$")
DRAWN = "[data-chart][data-drawn='true']"


def _ingest(server: Server, key: str, events: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        server.url + "/v1/events/batch",
        data=json.dumps({"events": events}).encode(),
        method="POST",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body = json.loads(response.read())
    assert body["accepted"] == len(events), body


def _history(now: datetime) -> list[dict[str, Any]]:
    """A day of sign-ups, page views and purchases, fixed by a seed."""
    rng = random.Random(7)
    events = []
    for hours_ago in range(1, 23):
        at = now - timedelta(hours=hours_ago, minutes=rng.randint(0, 50))
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        for n in range(rng.randint(0, 4)):
            events.append({"event": "signup", "distinct_id": f"user-{hours_ago}-{n}", "timestamp": stamp})
        for n in range(rng.randint(3, 9)):
            path = rng.choice(["/", "/pricing", "/docs", "/blog"])
            events.append(
                {"event": "pageview", "distinct_id": f"v{n}", "timestamp": stamp, "properties": {"path": path}}
            )
        if hours_ago % 3 == 0:
            events.append(
                {
                    "event": "purchase",
                    "distinct_id": f"user-{hours_ago}-0",
                    "timestamp": stamp,
                    "properties": {"revenue": rng.choice([19, 49, 99])},
                }
            )
    return events


def _clear_dashboards(server: Server, token: str) -> None:
    status, body = server.api("GET", "/v1/dashboards?limit=200", token=token)
    assert status == 200, body
    for item in body["items"]:
        assert server.api("DELETE", f"/v1/dashboards/{item['id']}", token=token)[0] == 204


def _snap_from_top(page: Any, name: str) -> None:
    """Full-page screenshots of a long form, taken scrolled to the top with nothing focused
    (sticky and fixed parts would otherwise be drawn where the viewport was)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    snap(page, name)


def _plotted(page: Any, panel_id: str) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """id => {
              const plot = document.querySelector(`#panel-${id} .chart__plot`);
              const times = [...document.querySelectorAll(`#panel-${id} time`)].map(t => t.getAttribute('datetime'));
              return {x: plot.data[0].x, y: plot.data[0].y, from: times[0], to: times[1], font: plot.layout.font.color};
            }""",
            panel_id,
        )
    )


# A panel's band over its bucket under way, and the labels drawn with it.
UNDER_WAY = """id => {
  const layout = document.querySelector(`#panel-${id} .chart__plot`).layout;
  return {shapes: (layout.shapes || []).length, labels: (layout.annotations || []).map(a => a.text)};
}"""


def test_build_a_panel_in_the_ui(page: Any, server: Server) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Dashboard shop", "type": "web"})
    assert status == 201, app
    _ingest(server, app["ingest_key"], _history(datetime.now(UTC)))
    _clear_dashboards(server, token)

    sign_in(page, server)
    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Dashboards", exact=True).click()
    expect(page.get_by_role("heading", name="No dashboards yet")).to_be_visible()
    snap(page, "dashboards-empty")

    page.get_by_role("link", name="Create a dashboard").click()
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill("Growth")
    page.get_by_label("Application").select_option(label="Dashboard shop")
    page.get_by_label("Description").fill("Sign-ups and revenue, hour by hour.")
    page.get_by_role("button", name="Create dashboard").click()
    expect(page).to_have_url(DASHBOARD_URL)
    dashboard_url = page.url
    dashboard_id = dashboard_url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name="No panels yet")).to_be_visible()

    page.get_by_role("link", name="Add the first panel").click()
    # Autocomplete offers the names seen.
    assert "signup" in page.eval_on_selector_all("#event-names option", "os => os.map(o => o.value)")
    page.get_by_label("Event", exact=True).fill("signup")
    page.get_by_label("Measure").select_option("count")
    page.get_by_text("Bars", exact=True).click()
    page.get_by_label("Time range").select_option("24h")
    page.get_by_label("Interval").select_option("hour")
    page.get_by_label("Width").select_option("8")
    page.get_by_label("Title").fill("Sign-ups per hour")
    expect(page.locator("#preview " + DRAWN)).to_be_visible()
    page.wait_for_timeout(700)  # the last keystroke's preview
    expect(page.locator("#preview " + DRAWN)).to_be_visible()
    _snap_from_top(page, "panel-builder")
    page.get_by_role("button", name="Add panel").click()

    expect(page).to_have_url(DASHBOARD_URL)
    panel = page.locator("article.dash-panel")
    expect(panel).to_have_count(1)
    panel_id = panel.get_attribute("id").removeprefix("panel-")
    expect(panel.get_by_role("heading", name="Sign-ups per hour")).to_be_visible()
    expect(panel.locator(DRAWN)).to_be_visible()
    shown = _plotted(page, panel_id)

    # The same numbers as the timeseries API for the same query and range.
    query = urlencode({"event": "signup", "interval": "hour", "from": shown["from"], "to": shown["to"]})
    status, series = server.api("GET", f"/v1/applications/{app['id']}/timeseries?{query}", token=token)
    assert status == 200, series
    assert shown["y"] == [point["value"] for point in series["points"]]
    assert sum(shown["y"]) > 0
    assert len(shown["y"]) == 24

    # It survives a reload.
    page.reload()
    expect(page.locator(f"#panel-{panel_id} {DRAWN}")).to_be_visible()
    assert _plotted(page, panel_id)["y"] == shown["y"]

    # More kinds of panel (through the API, to keep this test short), then the whole page.
    base = f"/v1/dashboards/{dashboard_id}/panels"
    for body in (
        {
            "title": "Revenue",
            "chart_type": "number",
            "width": 4,
            "query": {"events": ["purchase"], "aggregation": "sum", "property": "revenue"},
        },
        {
            "title": "Page views by path",
            "chart_type": "area",
            "width": 8,
            "query": {"events": ["pageview"], "breakdown": "path", "breakdown_limit": 3},
        },
        {
            "title": "Top pages",
            "chart_type": "table",
            "width": 4,
            "query": {"events": ["pageview"], "breakdown": "path"},
        },
        {
            "chart_type": "line",
            "width": 12,
            "height": 3,
            "query": {"events": ["pageview", "signup"], "aggregation": "unique_users"},
        },
    ):
        status, created = server.api("POST", base, token=token, body=body)
        assert status == 201, created
        if body.get("title") == "Page views by path":
            by_path = created["id"]
    page.reload()
    expect(page.locator(f"article.dash-panel {DRAWN}")).to_have_count(5)
    light = _plotted(page, panel_id)["font"]
    snap(page, "dashboard")

    # The hour under way is shaded and labelled "so far"; on a phone, where the legend can
    # reach the label, the shading and the hover say it alone.
    assert page.evaluate(UNDER_WAY, by_path) == {"shapes": 1, "labels": ["so far"]}
    wide = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator(f"article.dash-panel {DRAWN}")).to_have_count(5)
    assert page.evaluate(UNDER_WAY, by_path) == {"shapes": 1, "labels": []}
    page.set_viewport_size(wide)
    page.reload()
    expect(page.locator(f"article.dash-panel {DRAWN}")).to_have_count(5)

    # The theme switch restyles the charts in place.
    page.get_by_role("button", name=re.compile("Switch to dark theme|Toggle theme")).click()
    page.wait_for_function(
        "([id, before]) => document.querySelector(`#panel-${id} .chart__plot`).layout.font.color !== before",
        arg=[panel_id, light],
    )

    page.goto("/dashboards")
    expect(page.get_by_role("link", name=re.compile("Growth"))).to_be_visible()
    snap(page, "dashboards-list")


def test_panel_tools(page: Any, server: Server) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Tools shop", "type": "web"})
    assert status == 201
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Tools", "app_id": app["id"]})
    for title in ("First", "Second"):
        server.api("POST", f"/v1/dashboards/{dashboard['id']}/panels", token, {"title": title, "query": {}})
    sign_in(page, server)
    page.goto(f"/dashboards/{dashboard['id']}")
    titles = page.locator("article.dash-panel h2")
    expect(titles).to_have_text(["First", "Second"])

    page.get_by_role("button", name="Move First later").click()
    expect(titles).to_have_text(["Second", "First"])
    page.get_by_role("button", name="Duplicate First").click()
    expect(titles).to_have_text(["Second", "First", "First (copy)"])
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete First (copy)").click()
    expect(titles).to_have_text(["Second", "First"])

    with page.expect_download() as download:
        page.get_by_role("link", name="Download Second as CSV").click()
    assert download.value.suggested_filename == "second.csv"
    assert download.value.path().read_text().startswith("time,All events")

    page.get_by_role("link", name="Edit Second").click()
    expect(page.get_by_label("Title")).to_have_value("Second")
    page.get_by_label("Measure").select_option("avg")
    expect(page.get_by_label("Of the property")).to_be_visible()
    page.get_by_role("button", name="Save panel").click()
    expect(page.locator("#field-property-error")).to_contain_text("Choose the numeric property")
    _snap_from_top(page, "panel-builder-errors")
    page.get_by_label("Of the property").fill("revenue")
    page.get_by_role("button", name="Save panel").click()
    expect(titles).to_have_text(["Second", "First"])
    expect(page.locator("article.dash-panel").first).to_contain_text("Average of revenue")


def _open_panel_builder(page: Any, server: Server, app_name: str, events: list[dict[str, Any]]) -> None:
    """A new application with `events`, an empty dashboard of it, and its panel builder open."""
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": app_name, "type": "web"})
    assert status == 201, app
    _ingest(server, app["ingest_key"], events)
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": app_name, "app_id": app["id"]})
    assert status == 201, dashboard
    sign_in(page, server)
    page.goto(f"/dashboards/{dashboard['id']}")
    page.get_by_role("link", name="Add the first panel").click()


def _funnel_events(now: datetime) -> list[dict[str, Any]]:
    """Five people view pricing, three of them sign up a minute later, one buys a minute after that."""
    start = now - timedelta(hours=2)
    steps = (("pageview", 5), ("signup", 3), ("purchase", 1))
    return [
        {
            "event": event,
            "distinct_id": f"person-{n}",
            "timestamp": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for i, (event, people) in enumerate(steps)
        for n in range(people)
    ]


def test_build_a_funnel_panel_in_the_ui(page: Any, server: Server) -> None:
    _open_panel_builder(page, server, "Funnel shop", _funnel_events(datetime.now(UTC)))

    # The form follows the chart type: the band and forecast toggles for lines and areas only,
    # the steps instead of the measure for a funnel.
    anomalies = page.get_by_label("Show expected band and anomalies")
    expect(anomalies).to_be_visible()
    page.get_by_text("Bars", exact=True).click()
    expect(anomalies).to_be_hidden()
    page.get_by_text("Funnel", exact=True).click()
    expect(page.get_by_label("Measure")).to_be_hidden()
    expect(page.get_by_label("Interval")).to_be_hidden()
    for index, event in enumerate(("pageview", "signup", "purchase"), start=1):
        page.get_by_label(f"Step {index}", exact=True).fill(event)
    page.get_by_label("Within").select_option("1h")
    page.get_by_label("Time range").select_option("24h")
    page.get_by_label("Title").fill("Pricing to purchase")
    # The preview follows: the funnel replaces the line drawn when the form opened.
    page.wait_for_function(
        "() => { const plot = document.querySelector('#preview .chart__plot');"
        " return plot && plot.data && plot.data[0].type === 'funnel'; }"
    )
    _snap_from_top(page, "panel-builder-funnel")
    page.get_by_role("button", name="Add panel").click()

    expect(page).to_have_url(DASHBOARD_URL)
    panel = page.locator("article.dash-panel")
    expect(panel.get_by_role("heading", name="Pricing to purchase")).to_be_visible()
    expect(panel.locator(DRAWN)).to_be_visible()
    panel_id = panel.get_attribute("id").removeprefix("panel-")
    shown = _plotted(page, panel_id)
    assert shown["x"] == [5, 3, 1]
    assert shown["y"] == ["1. pageview", "2. signup", "3. purchase"]
    expect(panel).to_contain_text("within 1 hour")

    # It survives a reload, and editing it brings the steps back.
    page.reload()
    expect(page.locator(f"#panel-{panel_id} {DRAWN}")).to_be_visible()
    assert _plotted(page, panel_id)["x"] == [5, 3, 1]
    page.get_by_role("link", name="Edit Pricing to purchase").click()
    expect(page.get_by_label("Step 2", exact=True)).to_have_value("signup")
    expect(page.get_by_label("Measure")).to_be_hidden()


def _hourly_pageviews(now: datetime, hours: int = 72) -> list[dict[str, Any]]:
    """Page views every hour for three days, busier in the day than at night."""
    events = []
    for hours_ago in range(1, hours + 1):
        at = now - timedelta(hours=hours_ago)
        busy = 8 <= at.hour < 20
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        events += [{"event": "pageview", "distinct_id": f"v{n}", "timestamp": stamp} for n in range(6 if busy else 2)]
    return events


def test_band_and_forecast_toggles(page: Any, server: Server) -> None:
    """A line panel with the expected band and the forecast turned on in the form."""
    _open_panel_builder(page, server, "Band shop", _hourly_pageviews(datetime.now(UTC)))
    page.get_by_label("Event", exact=True).fill("pageview")
    page.get_by_label("Time range").select_option("24h")
    page.get_by_label("Interval").select_option("hour")
    page.get_by_label("Show expected band and anomalies").check()
    page.get_by_label("Show forecast").check()
    page.get_by_label("Title").fill("Page views, expected and ahead")
    page.get_by_role("button", name="Add panel").click()

    expect(page).to_have_url(DASHBOARD_URL)
    panel = page.locator("article.dash-panel")
    expect(panel.locator(DRAWN)).to_be_visible()
    names = page.evaluate("() => document.querySelector('article.dash-panel .chart__plot').data.map(t => t.name)")
    # The forecast learns from the band's history, not the 23 whole hours in the range alone.
    assert {"Expected range", "pageview", "Forecast"} <= set(names)
    expect(panel).not_to_contain_text("No forecast")
    expect(panel).not_to_contain_text("No expected range")
    snap(page, "panel-band-forecast")

    page.get_by_role("link", name="Edit Page views, expected and ahead").click()
    expect(page.get_by_label("Show forecast")).to_be_checked()
    page.get_by_label("Show expected band and anomalies").uncheck()
    page.get_by_role("button", name="Save panel").click()
    expect(panel.locator(DRAWN)).to_be_visible()
    names = page.evaluate("() => document.querySelector('article.dash-panel .chart__plot').data.map(t => t.name)")
    assert "Forecast" in names
    assert "Expected range" not in names


def _number_is(panel_id: str, value: int) -> str:
    """A page function: the big number of panel `panel_id` as drawn is `value`."""
    plot = f"document.querySelector('#panel-{panel_id} .chart__plot')"
    return f"() => {{ const p = {plot}; return !!(p && p.data && p.data[0].value === {value}); }}"


def test_panels_update_live_as_events_arrive(page: Any, server: Server) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Live board shop", "type": "web"})
    assert status == 201, app
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Live board", "app_id": app["id"]})
    assert status == 201, dashboard
    base = f"/v1/dashboards/{dashboard['id']}/panels"
    number = {"title": "Orders", "chart_type": "number", "query": {"events": ["order"], "range": "1h"}}
    pinned_to = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    pinned = {
        "title": "Orders yesterday",
        "chart_type": "number",
        "query": {
            "events": ["order"],
            "date_from": (pinned_to - timedelta(hours=1)).isoformat(),
            "date_to": pinned_to.isoformat(),
        },
    }
    panel = server.api("POST", base, token, number)[1]
    still = server.api("POST", base, token, pinned)[1]
    _ingest(server, app["ingest_key"], [{"event": "order", "distinct_id": "a"}])

    sign_in(page, server)
    page.goto(f"/dashboards/{dashboard['id']}")
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    page.wait_for_function(_number_is(panel["id"], 1))
    # Only panels whose range reaches now are kept live.
    expect(page.locator(f"#panel-{panel['id']} [data-refresh-app='{app['id']}']")).to_have_count(1)
    expect(page.locator(f"#panel-{still['id']} [data-refresh-app]")).to_have_count(0)

    _ingest(server, app["ingest_key"], [{"event": "order", "distinct_id": f"b{i}"} for i in range(4)])
    page.wait_for_function(_number_is(panel["id"], 5), timeout=8000)  # no reload


def test_view_a_dashboard_over_another_range(page: Any, server: Server) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Range shop", "type": "web"})
    assert status == 201, app
    earlier = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    day_before = (datetime.now(UTC) - timedelta(hours=27)).strftime("%Y-%m-%dT%H:%M:%SZ")
    orders = [{"event": "order", "distinct_id": f"u{i}", "timestamp": earlier} for i in range(4)]
    _ingest(server, app["ingest_key"], orders + [{"event": "order", "distinct_id": "v", "timestamp": day_before}] * 2)
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Orders", "app_id": app["id"]})
    assert status == 201, dashboard
    query = {"events": ["order"], "range": "1h", "interval": "minute"}
    server.api(
        "POST",
        f"/v1/dashboards/{dashboard['id']}/panels",
        token,
        {"title": "Orders", "chart_type": "number", "query": query},
    )
    sign_in(page, server)
    page.goto(f"/dashboards/{dashboard['id']}")
    expect(page.locator("article.dash-panel")).to_contain_text("Last hour")
    expect(page.locator(DRAWN)).to_have_count(1)
    assert page.evaluate("() => document.querySelector('.chart__plot').data[0].value") == 0

    page.get_by_label("Time range", exact=True).select_option("24h")  # the page follows the choice at once
    expect(page).to_have_url(re.compile(r"\?range=24h$"))
    expect(page.locator("article.dash-panel")).to_contain_text("Last 24 hours")
    expect(page.locator(DRAWN)).to_have_count(1)
    assert page.evaluate("() => document.querySelector('.chart__plot').data[0].value") == 4
    snap(page, "dashboard-viewed-over-a-range")

    # Custom times wait for both fields; the URL keeps them, and another range leaves them out.
    page.get_by_label("Time range", exact=True).select_option("custom")
    expect(page.get_by_label("From (UTC)")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?range=24h$"))  # nothing submitted yet
    around = datetime.strptime(earlier, "%Y-%m-%dT%H:%M:%SZ")
    page.get_by_label("From (UTC)").fill((around - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("To (UTC)").fill((around + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?range=custom&from=.+&to=.+$"))
    expect(page.locator(DRAWN)).to_have_count(1)
    assert page.evaluate("() => document.querySelector('.chart__plot').data[0].value") == 4
    snap(page, "dashboard-viewed-over-fixed-times")

    page.get_by_label("Time range", exact=True).select_option("1h")
    expect(page).to_have_url(re.compile(r"\?range=1h$"))
    expect(page.locator(DRAWN)).to_have_count(1)
    assert page.evaluate("() => document.querySelector('.chart__plot').data[0].value") == 0

    # Beside the previous period: the big number says how it changed (4 orders, 2 the day before).
    page.get_by_label("Time range", exact=True).select_option("24h")
    expect(page).to_have_url(re.compile(r"\?range=24h$"))
    page.get_by_label("Compare with previous period").check()
    expect(page).to_have_url(re.compile(r"\?range=24h&compare=1$"))
    expect(page.locator(DRAWN)).to_have_count(1)
    shown = page.evaluate("() => document.querySelector('.chart__plot').data[0]")
    assert (shown["value"], shown["delta"]["reference"]) == (4, 2)
    expect(page.locator("article.dash-panel")).to_contain_text("+100.0%")
    snap(page, "dashboard-beside-the-previous-period")


def test_filter_a_dashboard_by_a_property(page: Any, server: Server) -> None:
    token = server.admin_token()
    status, app = server.api("POST", "/v1/applications", token, {"name": "Plan shop", "type": "web"})
    assert status == 201, app
    plans = ["pro"] * 3 + ["free"] * 2
    _ingest(
        server,
        app["ingest_key"],
        [{"event": "order", "distinct_id": f"u{i}", "properties": {"plan": plan}} for i, plan in enumerate(plans)],
    )
    status, dashboard = server.api("POST", "/v1/dashboards", token, {"name": "Plans", "app_id": app["id"]})
    assert status == 201, dashboard
    query = {"events": ["order"], "range": "1h", "interval": "minute"}
    status, panel = server.api(
        "POST", f"/v1/dashboards/{dashboard['id']}/panels", token, {"chart_type": "number", "query": query}
    )
    assert status == 201, panel
    sign_in(page, server)
    page.goto(f"/dashboards/{dashboard['id']}")
    page.wait_for_function(_number_is(panel["id"], 5))

    page.get_by_label("Property").fill("plan")
    page.get_by_label("Value").fill("pro")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?where=plan&is=pro$"))  # the empty range is left out
    page.wait_for_function(_number_is(panel["id"], 3))
    expect(page.locator("article.dash-panel")).to_contain_text("plan")
    snap(page, "dashboard-filtered")

    # Another comparison: "is not" keeps the value; "is set" needs none, so its field goes.
    page.get_by_label("Comparison").select_option(label="is not")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?where=plan&op=neq&is=pro$"))
    page.wait_for_function(_number_is(panel["id"], 2))
    page.get_by_label("Comparison").select_option(label="is set")
    expect(page.get_by_label("Value")).to_be_hidden()
    # As when the browser brings this page back from its page cache: the hidden value ("pro")
    # stays out of the form.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?where=plan&op=is_set$"))
    page.wait_for_function(_number_is(panel["id"], 5))
    expect(page.get_by_label("Value")).to_be_hidden()
    snap(page, "dashboard-filtered-is-set")

    page.get_by_role("link", name="Clear filter").click()
    page.wait_for_function(_number_is(panel["id"], 5))
