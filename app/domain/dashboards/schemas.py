"""Dashboards API shapes (API.md "Dashboards"; the panel body is ours)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from app.domain.analytics.funnels import FunnelStep
from app.domain.analytics.retention import RetentionCohort
from app.domain.analytics.schemas import QuerySpec, Series, Total

ChartType = Literal["line", "area", "bar", "number", "table", "funnel", "retention"]
CHART_TYPES: tuple[str, ...] = ("line", "area", "bar", "number", "table", "funnel", "retention")
# Big numbers and tables show one value per series over the whole range; charts show buckets.
TOTAL_CHARTS = frozenset({"number", "table"})

DashboardName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Description = Annotated[str, msgspec.Meta(max_length=2000)]
PanelTitle = Annotated[str, msgspec.Meta(max_length=120)]
Width = Annotated[int, msgspec.Meta(ge=1, le=12)]
Height = Annotated[int, msgspec.Meta(ge=1, le=48)]
Position = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
MAX_PANELS = 100


class PanelOptions(msgspec.Struct, forbid_unknown_fields=True):
    """How a line or area panel is drawn besides its query (other charts ignore these)."""

    # The band the anomaly detector expects values in, and the points outside it.
    show_anomalies: bool = False
    # The series continued past the range by the forecast, with its interval.
    show_forecast: bool = False


class Panel(msgspec.Struct):
    id: str
    dashboard_id: str
    title: str
    chart_type: str
    query: QuerySpec
    width: int
    height: int
    position: int
    created_at: datetime
    updated_at: datetime
    options: PanelOptions = msgspec.field(default_factory=PanelOptions)


class Dashboard(msgspec.Struct):
    id: str
    name: str
    description: str | None
    app_id: str | None
    panels: list[Panel]
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class DashboardSummary(msgspec.Struct):
    id: str
    name: str
    description: str | None
    app_id: str | None
    panel_count: int
    created_at: datetime
    updated_at: datetime


class DashboardCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: DashboardName
    app_id: UUID | None = None
    description: Description | None = None


class DashboardUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: DashboardName | UnsetType = UNSET
    app_id: UUID | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET


class PanelCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A panel: what to chart (`query`, an analytics query; `app_id` inside it only on a
    dashboard without an application) and how (`chart_type`, a 12-column grid `width`,
    `height` in rows). Without `position` the panel goes last."""

    query: QuerySpec
    title: PanelTitle = ""
    chart_type: ChartType = "line"
    width: Width = 6
    height: Height = 4
    position: Position | None = None
    options: PanelOptions = msgspec.field(default_factory=PanelOptions)

    def __post_init__(self) -> None:
        check_kind(self.chart_type, self.query)


def check_kind(chart_type: str, query: QuerySpec) -> None:
    """Funnel and retention panels need their settings in the query (ValueError: a 400)."""
    if chart_type == "funnel" and query.funnel is None:
        raise ValueError("a funnel panel needs `query.funnel`: its `steps` (2-8 event names) and `window`")
    if chart_type == "retention" and query.retention is None:
        raise ValueError("a retention panel needs `query.retention`: `start_event`, `return_event` and `weeks`")


class PanelUpdate(msgspec.Struct, forbid_unknown_fields=True):
    query: QuerySpec | UnsetType = UNSET
    title: PanelTitle | UnsetType = UNSET
    chart_type: ChartType | UnsetType = UNSET
    width: Width | UnsetType = UNSET
    height: Height | UnsetType = UNSET
    options: PanelOptions | UnsetType = UNSET


class PanelOrder(msgspec.Struct, forbid_unknown_fields=True):
    """Every panel of the dashboard, in the new order."""

    panel_ids: Annotated[list[UUID], msgspec.Meta(max_length=MAX_PANELS)]


class PreviousPeriod(msgspec.Struct):
    """The same question over the period just before the panel's, as long (`compare=1`), on
    its own times: for totals of a period still under way, `to` is the same moment of it."""

    date_from: datetime = msgspec.field(name="from")
    date_to: datetime = msgspec.field(name="to")
    series: list[Series] = msgspec.field(default_factory=list)
    totals: list[Total] = msgspec.field(default_factory=list)


class PanelData(msgspec.Struct):
    """A panel's numbers and the exact range they cover (replayable through the
    timeseries API). `series` for line/area/bar, `totals` for number/table."""

    panel_id: str
    chart_type: str
    app_id: str
    interval: str
    aggregation: str
    date_from: datetime = msgspec.field(name="from")
    date_to: datetime = msgspec.field(name="to")
    series: list[Series] = msgspec.field(default_factory=list)
    totals: list[Total] = msgspec.field(default_factory=list)
    # Funnel panels: people per step, and the % of the first step who reached the last.
    funnel: list[FunnelStep] | None = None
    overall_conversion: float | None = None
    # Retention panels: one row per weekly cohort, oldest first.
    retention: list[RetentionCohort] | None = None
    # With compare=1, for line, area, bar, number and table panels (funnels and retention
    # have cohorts and conversion windows, not a span to repeat).
    previous: PreviousPeriod | None = None
