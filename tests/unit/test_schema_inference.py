"""JSON samples → JSON Schema: types, nullability, merged array items, string formats."""

from __future__ import annotations

from app.domain.discovery.infer import infer, merge, string_format


def test_scalars_and_formats() -> None:
    assert infer(True) == {"type": "boolean"}
    assert infer(3) == {"type": "integer"}
    assert infer(2.5) == {"type": "number"}
    assert infer(None) == {"type": "null"}
    assert infer("hello") == {"type": "string"}
    assert string_format("2024-05-01T12:30:00Z") == "date-time"
    assert string_format("2024-05-01 12:30:00.123+02:00") == "date-time"
    assert string_format("2024-05-01") == "date"
    assert string_format("ada@example.com") == "email"
    assert string_format("3f2504e0-4f89-11d3-9a0c-0305e82c3301") == "uuid"
    assert string_format("https://example.com/a?b=c") == "uri"
    assert string_format("not an email@") is None
    assert string_format("2024-13") is None


def test_array_of_objects_merges_items_with_optional_and_nullable_fields() -> None:
    sample = [
        {"id": 1, "email": "a@example.com", "created": "2024-01-01T00:00:00Z", "nick": "ada", "score": 1},
        {"id": 2, "email": "b@example.com", "created": "2024-01-02T00:00:00Z", "nick": None, "score": 1.5},
        {"id": 3, "email": "c@example.com", "created": "2024-01-03T00:00:00Z", "score": 2, "tags": ["x"]},
    ]
    assert infer(sample) == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": "string", "format": "email"},
                "created": {"type": "string", "format": "date-time"},
                "nick": {"type": ["string", "null"]},
                "score": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["created", "email", "id", "score"],
        },
    }


def test_nested_objects_and_disagreeing_formats() -> None:
    schema = infer({"user": {"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "links": []}, "items": [None, "x"]})
    assert schema["properties"]["user"]["properties"]["id"] == {"type": "string", "format": "uuid"}
    assert schema["properties"]["user"]["properties"]["links"] == {"type": "array"}
    assert schema["properties"]["items"] == {"type": "array", "items": {"type": ["string", "null"]}}
    # Formats survive only when every sample agrees.
    assert merge(infer("a@example.com"), infer("https://x.test")) == {"type": "string"}
    assert merge(infer("a@example.com"), infer(None)) == {"type": ["string", "null"], "format": "email"}
    # Different kinds of value side by side.
    assert merge(infer(1), infer("one")) == {"type": ["integer", "string"]}
    assert merge({}, infer(1)) == {"type": "integer"}
