"""A starter dashboard for each demo application, made once, with the application.

The demo fills 30 days of history so every chart is full the first time someone looks; an
empty Dashboards page would still leave them to discover the builder alone. This dashboard
shows what panels can do (a band of expected values, a forecast, a funnel, breakdowns, a big
number, a table) over the events every demo profile sends, and is theirs to edit or delete:
it is made through the dashboards service like any other (validated, audited), and never
made again once deleted.
"""

from __future__ import annotations

import msgspec

from app.core.auth import Principal
from app.domain.analytics.schemas import FunnelSpec, QuerySpec
from app.domain.dashboards import service as dashboards
from app.domain.dashboards.schemas import PanelCreate, PanelOptions
from app.domain.demo.profiles import Profile

STARTER_PANELS = (
    PanelCreate(
        title="Pageviews per hour",
        chart_type="line",
        query=QuerySpec(events=["pageview"], interval="hour", range="24h"),
        width=8,
        options=PanelOptions(show_anomalies=True),
    ),
    PanelCreate(
        title="Revenue",
        chart_type="number",
        query=QuerySpec(events=["purchase"], aggregation="sum", property="revenue", range="7d"),
        width=4,
    ),
    PanelCreate(
        title="Signups and purchases per day",
        chart_type="bar",
        query=QuerySpec(events=["signup", "purchase"], interval="day", range="30d"),
    ),
    PanelCreate(
        title="From first visit to purchase",
        chart_type="funnel",
        query=QuerySpec(range="7d", funnel=FunnelSpec(steps=["pageview", "signup", "purchase"], window="1d")),
    ),
    PanelCreate(
        title="Most viewed pages",
        chart_type="table",
        query=QuerySpec(events=["pageview"], breakdown="path", breakdown_limit=10, range="24h"),
        height=5,
    ),
    PanelCreate(
        title="Visitors by country",
        chart_type="area",
        query=QuerySpec(
            events=["pageview"], aggregation="unique_users", breakdown="country", interval="day", range="30d"
        ),
        height=5,
    ),
    PanelCreate(
        title="Client errors per hour, with forecast",
        chart_type="line",
        query=QuerySpec(events=["error"], interval="hour", range="7d"),
        width=12,
        options=PanelOptions(show_forecast=True),
    ),
)


def _short_name(profile: Profile) -> str:
    """Northwind Goods, of Northwind Goods (demo shop)."""
    return profile.name.split(" (")[0]


def dashboard_name(profile: Profile) -> str:
    return f"{_short_name(profile)} overview"


def _description(profile: Profile) -> str:
    return (
        f"Traffic, revenue, signup funnel and errors of {_short_name(profile)}, from the demo's synthetic events. "
        "Edit, duplicate, reorder or delete any panel, or add your own."
    )


async def create_starter(conn: dashboards.Conn, admin: Principal, app_id: str, profile: Profile) -> str:
    """The starter dashboard of a demo application just created; its id."""
    fields = {"name": dashboard_name(profile), "app_id": app_id, "description": _description(profile)}
    dashboard = await dashboards.create(conn, admin, fields, None)
    for panel in STARTER_PANELS:
        panel_fields = {k: v for k, v in msgspec.structs.asdict(panel).items() if k != "query"}
        await dashboards.add_panel(conn, admin, dashboard["id"], panel_fields, panel.query, None)
    return str(dashboard["id"])
