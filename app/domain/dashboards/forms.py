"""The panel builder form: browser fields ⇄ PanelCreate, with errors per field.

Repeated fields keep their order: `events` (one per input), and `filter_property`,
`filter_operator`, `filter_value` (one triple per filter row; empty rows are ignored).
"""

from __future__ import annotations

from typing import Any

import msgspec

from app.domain.analytics.schemas import ALL_EVENTS, QuerySpec
from app.domain.dashboards.schemas import PanelCreate

EVENT_INPUTS = 3
FILTER_ROWS = 3
FUNNEL_INPUTS = 3  # shown at first; one more blank each time they are all filled, up to 8
MAX_FUNNEL_INPUTS = 8
DEFAULTS: dict[str, Any] = {
    "title": "",
    "app_id": "",
    "events": [ALL_EVENTS],
    "aggregation": "count",
    "property": "",
    "breakdown": "",
    "breakdown_limit": "5",
    "filters": [],
    "interval": "hour",
    "range": "24h",
    "chart_type": "line",
    "width": "6",
    "height": "4",
    "funnel_steps": [],
    "funnel_window": "1d",
    "retention_start": ALL_EVENTS,
    "retention_return": ALL_EVENTS,
    "retention_weeks": "8",
    "show_anomalies": "",
    "show_forecast": "",
}
_SCALARS = (
    "title",
    "app_id",
    "aggregation",
    "property",
    "breakdown",
    "breakdown_limit",
    "interval",
    "range",
    "date_from",
    "date_to",
    "funnel_window",
    "retention_start",
    "retention_return",
    "retention_weeks",
)
_PANEL_FIELDS = ("chart_type", "width", "height")
# Checkboxes stored in the panel's options (schemas.PanelOptions): present means on.
_OPTIONS = ("show_anomalies", "show_forecast")


class FormLike:
    """What is read from a submitted form: repeated values in order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str) -> str:
        values = self.getall(name)
        return values[0] if values else ""

    def getall(self, name: str) -> list[str]:
        return [value.strip() for key, value in self.pairs if key == name]


def values_from_form(form: FormLike) -> dict[str, Any]:
    """The form as the template shows it again (strings, as typed)."""
    values: dict[str, Any] = {name: form.get(name) for name in (*_SCALARS, *_PANEL_FIELDS, *_OPTIONS)}
    values["events"] = form.getall("events")
    values["funnel_steps"] = form.getall("funnel_steps")
    rows = zip(
        form.getall("filter_property"), form.getall("filter_operator"), form.getall("filter_value"), strict=False
    )
    values["filters"] = [{"property": p, "operator": o, "value": v} for p, o, v in rows]
    return values


def values_from_panel(panel: Any) -> dict[str, Any]:
    """A stored panel as form values (for editing)."""
    spec: QuerySpec = panel.query
    return {
        "title": panel.title,
        "app_id": spec.app_id or "",
        "events": list(spec.events),
        "aggregation": spec.aggregation,
        "property": spec.property or "",
        "breakdown": spec.breakdown or "",
        "breakdown_limit": str(spec.breakdown_limit),
        "filters": [
            {"property": f.property, "operator": f.operator, "value": "" if f.value is None else f.text_value()}
            for f in spec.filters
        ],
        "interval": spec.interval,
        "range": spec.range,
        "chart_type": panel.chart_type,
        "width": str(panel.width),
        "height": str(panel.height),
        # A range pinned through the API is kept; the form cannot show it.
        "date_from": spec.date_from,
        "date_to": spec.date_to,
        "funnel_steps": list(spec.funnel.steps) if spec.funnel else [],
        "funnel_window": spec.funnel.window if spec.funnel else "1d",
        "retention_start": spec.retention.start_event if spec.retention else ALL_EVENTS,
        "retention_return": spec.retention.return_event if spec.retention else ALL_EVENTS,
        "retention_weeks": str(spec.retention.weeks) if spec.retention else "8",
        **{name: "1" if getattr(getattr(panel, "options", None), name, False) else "" for name in _OPTIONS},
    }


def padded(values: dict[str, Any]) -> dict[str, Any]:
    """Values with the blank inputs the form shows for more events and filters."""
    events = [name for name in values.get("events") or [] if name] or [ALL_EVENTS]
    filters = [row for row in values.get("filters") or [] if row.get("property") or row.get("value")]
    blank_filter = {"property": "", "operator": "eq", "value": ""}
    steps = [name for name in values.get("funnel_steps") or [] if name]
    step_inputs = min(max(FUNNEL_INPUTS, len(steps) + 1), MAX_FUNNEL_INPUTS)
    return {
        **DEFAULTS,
        **values,
        "funnel_steps": steps + [""] * max(step_inputs - len(steps), 0),
        "events": events + [""] * max(EVENT_INPUTS - len(events), 0),
        "filters": filters + [blank_filter] * max(FILTER_ROWS - len(filters), 1),
    }


def parse(values: dict[str, Any]) -> tuple[PanelCreate | None, dict[str, str]]:
    """Form values → a PanelCreate, or the errors by field name (`_form` for the rest)."""
    filters = [
        {"property": row["property"], "operator": row["operator"] or "eq", "value": row["value"] or None}
        for row in values.get("filters", [])
        if row.get("property")
    ]
    spec: dict[str, Any] = {
        "events": [name for name in values.get("events", []) if name] or [ALL_EVENTS],
        "aggregation": values.get("aggregation") or "count",
        "filters": filters,
        "interval": values.get("interval") or "hour",
        "range": values.get("range") or "24h",
    }
    for name in ("property", "breakdown", "app_id"):
        if values.get(name):
            spec[name] = values[name]
    if values.get("breakdown_limit"):
        spec["breakdown_limit"] = values["breakdown_limit"]
    if values.get("date_from") and values.get("date_to"):
        spec["date_from"], spec["date_to"] = values["date_from"], values["date_to"]
    chart_type = values.get("chart_type")
    if chart_type == "funnel":
        steps = [name for name in values.get("funnel_steps", []) if name]
        spec["funnel"] = {"steps": steps, "window": values.get("funnel_window") or "1d"}
    elif chart_type == "retention":
        spec["retention"] = {
            "start_event": values.get("retention_start") or ALL_EVENTS,
            "return_event": values.get("retention_return") or ALL_EVENTS,
            "weeks": values.get("retention_weeks") or "8",
        }
    if chart_type in ("funnel", "retention"):
        # They draw no buckets, so any interval would do; a day passes every range's bucket
        # limit. (A funnel aligns its range to its own grid: funnels.resolve.)
        spec["interval"] = "day"
    body: dict[str, Any] = {
        "query": spec,
        "title": values.get("title", ""),
        "options": {name: bool(values.get(name)) for name in _OPTIONS},
    }
    for name in _PANEL_FIELDS:
        if values.get(name):
            body[name] = values[name]
    try:
        return msgspec.convert(body, PanelCreate, strict=False), {}
    except msgspec.ValidationError as exc:
        field = field_of(str(exc))
        if field == "property" and "needs" in str(exc):
            return None, {field: "Choose the numeric property to aggregate, e.g. revenue or duration_ms."}
        if field == "funnel_steps" and "length" in str(exc):
            return None, {field: "Choose 2 to 8 steps, one event each, in the order people do them."}
        return None, {field: sentence(str(exc))}


def field_of(message: str) -> str:
    """Which input a validation message is about."""
    _, _, where = message.rpartition(" - at `$.")
    path = where.rstrip("`")
    if path.startswith("query."):
        path = path.removeprefix("query.")
    name = path.split(".")[0].split("[")[0]
    if name == "funnel":
        return "funnel_window" if path.endswith("window") else "funnel_steps"
    if name == "retention":
        return {"weeks": "retention_weeks", "start_event": "retention_start"}.get(
            path.split(".")[-1], "retention_return"
        )
    if name in ("events", "filters", "breakdown_limit", "property", "breakdown", "interval", "range", "aggregation"):
        return name
    if name in ("title", "chart_type", "width", "height", "app_id"):
        return name
    lowered = message.lower()
    if "funnel" in lowered:
        return "funnel_steps"
    if "retention" in lowered:
        return "retention_start"
    if "`property`" in lowered:
        return "property"
    if "event" in lowered or "`*`" in lowered:
        return "events"
    if "filter on" in lowered:
        return "filters"
    if "app_id" in lowered:
        return "app_id"
    return "_form"


def sentence(message: str) -> str:
    """msgspec's message without its location, as a sentence."""
    text = message.rpartition(" - at `$.")[0] or message
    if text.startswith("Expected `int` >= 1") or "`int`" in text:
        text = "Enter a whole number in the allowed range"
    elif "Invalid enum value" in text:
        text = "Choose one of the listed options"
    elif "length <=" in text:
        text = "This value is too long"
    text = text.replace("`", "")  # the API's code quotes read as clutter in a form
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."
