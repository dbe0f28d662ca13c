"""The panel builder's form: fields in, a PanelCreate (or field errors) out, and back."""

from __future__ import annotations

from app.domain.dashboards import forms, service

BASE = {
    "title": "",
    "events": ["signup", "", ""],
    "aggregation": "count",
    "property": "",
    "breakdown": "",
    "breakdown_limit": "5",
    "filters": [{"property": "", "operator": "eq", "value": ""}],
    "interval": "day",
    "range": "7d",
    "chart_type": "bar",
    "width": "12",
    "height": "3",
}


def test_a_full_form() -> None:
    values = {
        **BASE,
        "events": ["signup", "purchase", ""],
        "aggregation": "sum",
        "property": "revenue",
        "breakdown": "plan",
        "breakdown_limit": "3",
        "filters": [
            {"property": "country", "operator": "neq", "value": "FR"},
            {"property": "", "operator": "eq", "value": "ignored"},
            {"property": "amount", "operator": "gt", "value": "10"},
        ],
    }
    panel, errors = forms.parse(values)
    assert errors == {}
    assert panel is not None
    assert (panel.chart_type, panel.width, panel.height, panel.title) == ("bar", 12, 3, "")
    spec = panel.query
    assert spec.events == ["signup", "purchase"]
    assert (spec.aggregation, spec.property, spec.breakdown, spec.breakdown_limit) == ("sum", "revenue", "plan", 3)
    assert [(f.property, f.operator, f.value) for f in spec.filters] == [
        ("country", "neq", "FR"),
        ("amount", "gt", "10"),
    ]
    assert service.stored_query(spec)["filters"][1] == {"property": "amount", "operator": "gt", "value": "10"}


def test_no_event_means_all_events() -> None:
    panel, _ = forms.parse({**BASE, "events": ["", "", ""]})
    assert panel is not None
    assert panel.query.events == ["*"]


def test_errors_name_their_field() -> None:
    cases = [
        ({"aggregation": "p95"}, "property"),
        ({"breakdown_limit": "99"}, "breakdown_limit"),
        ({"breakdown_limit": "many"}, "breakdown_limit"),
        ({"filters": [{"property": "ms", "operator": "gt", "value": "fast"}]}, "filters"),
        ({"events": ["*", "signup", ""]}, "events"),
        ({"chart_type": "pie"}, "chart_type"),
        ({"width": "20"}, "width"),
        ({"title": "x" * 200}, "title"),
    ]
    for changes, field in cases:
        panel, errors = forms.parse({**BASE, **changes})
        assert panel is None, changes
        assert list(errors) == [field], (changes, errors)
        assert next(iter(errors.values())).endswith(".")


def test_round_trip_through_the_form() -> None:
    panel, _ = forms.parse({**BASE, "filters": [{"property": "beta", "operator": "is_set", "value": ""}]})
    assert panel is not None

    class Stored:
        title = "T"
        chart_type = panel.chart_type
        width = panel.width
        height = panel.height
        query = panel.query

    values = forms.values_from_panel(Stored())
    again, errors = forms.parse(values)
    assert errors == {}
    assert again is not None
    assert again.query == panel.query
    padded = forms.padded(values)
    assert padded["events"] == ["signup", "", ""]
    assert len(padded["filters"]) == 3


def test_submitted_pairs_keep_their_order() -> None:
    form = forms.FormLike(
        [
            ("events", "a"),
            ("events", " b "),
            ("filter_property", "p1"),
            ("filter_operator", "eq"),
            ("filter_value", "v1"),
            ("filter_property", ""),
            ("filter_operator", "eq"),
            ("filter_value", ""),
            ("title", "Hello"),
        ]
    )
    values = forms.values_from_form(form)
    assert values["events"] == ["a", "b"]
    assert values["filters"][0] == {"property": "p1", "operator": "eq", "value": "v1"}
    assert values["title"] == "Hello"
