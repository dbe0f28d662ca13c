"""OpenAPI/Swagger documents → operations: versions, parameters, bodies, $refs, security."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.domain.discovery import openapi
from app.domain.discovery.locate import candidates, linked_documents

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openapi"
BASE = "http://api.test:8080"


def _swagger() -> dict[str, Any]:
    doc = openapi.load_text((FIXTURES / "petstore-swagger2.yaml").read_text())
    assert openapi.is_api_document(doc)
    return openapi.resolve(doc, f"{BASE}/swagger.yaml", {})


def _split() -> tuple[dict[str, Any], dict[str, Any]]:
    main = json.loads((FIXTURES / "split" / "openapi.json").read_text())
    documents = {
        f"{BASE}/schemas/common.json": json.loads((FIXTURES / "split" / "common.json").read_text()),
        f"{BASE}/schemas/money.json": json.loads((FIXTURES / "split" / "money.json").read_text()),
    }
    return main, documents


def test_swagger2_yaml_operations_parameters_and_bodies() -> None:
    ops = {(op.method, op.path): op for op in openapi.operations(_swagger())}
    assert set(ops) == {
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/{petId}"),
        ("DELETE", "/pets/{petId}"),
        ("PUT", "/pets/{petId}/photo"),
    }
    listing = ops[("GET", "/pets")]
    assert listing.summary == "List pets"
    assert listing.parameters == [
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "format": "int32"}}
    ]
    assert listing.auth_required is False  # security: [] overrides the global requirement
    item = listing.response_schema["200"]["items"]  # type: ignore[index]
    assert item["allOf"][0]["properties"]["name"] == {"type": "string"}  # the $ref inside allOf resolved

    create = ops[("POST", "/pets")]
    assert create.auth_required is True  # the global security applies
    assert create.parameters == []  # the body parameter became the request schema
    assert create.request_schema == {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
    }
    assert "201" in create.response_schema  # type: ignore[operator]

    remove = ops[("DELETE", "/pets/{petId}")]
    # Path-level and operation-level parameters merged.
    assert [(p["name"], p["in"], p["required"]) for p in remove.parameters] == [
        ("petId", "path", True),
        ("X-Reason", "header", False),
    ]
    assert remove.response_schema is None  # 204 has no body

    photo = ops[("PUT", "/pets/{petId}/photo")]
    assert photo.request_schema == {
        "type": "object",
        "properties": {"caption": {"type": "string"}, "url": {"type": "string"}},
        "required": ["caption"],
    }


def test_mount_path_from_swagger_base_path_and_openapi_servers() -> None:
    def mount(doc: dict[str, Any], base: str = BASE, doc_url: str = f"{BASE}/openapi.json") -> str:
        return openapi.mount_path({"paths": {}, **doc}, doc_url, base)

    swagger = {"swagger": "2.0", "basePath": "/v2"}
    assert mount(swagger) == "/v2"
    assert mount({**swagger, "host": "api.test:8080"}) == "/v2"
    assert mount({**swagger, "host": "elsewhere.test"}) == ""  # not reachable through this connection
    assert mount({"swagger": "2.0"}) == ""
    v3 = {"openapi": "3.1.0"}
    assert mount(v3) == ""
    assert mount({**v3, "servers": [{"url": "/"}]}) == ""
    # The first server under the base URL wins; absolute or relative to the document's URL.
    servers = [{"url": "https://elsewhere.test/v1"}, {"url": "/api/v1/"}]
    assert mount({**v3, "servers": servers}) == "/api/v1"
    assert mount({**v3, "servers": [{"url": "v1"}]}, doc_url=f"{BASE}/docs/openapi.json") == "/docs/v1"
    templated = {
        "url": "{scheme}://api.test:8080/{version}",
        "variables": {"scheme": {"default": "http"}, "version": {"default": "v3", "enum": ["v3", "v4"]}},
    }
    assert mount({**v3, "servers": [templated]}) == "/v3"
    # A base URL with a path: the mount is what the server adds to it.
    assert mount({**v3, "servers": [{"url": "/api/v1"}]}, base=f"{BASE}/api") == "/v1"
    assert mount({**v3, "servers": [{"url": "/apiary"}]}, base=f"{BASE}/api") == ""
    ops = openapi.operations(_swagger(), mount(swagger))
    assert {op.path for op in ops} == {"/v2/pets", "/v2/pets/{petId}", "/v2/pets/{petId}/photo"}


def test_openapi31_split_across_files_resolves_remote_and_local_refs() -> None:
    main, documents = _split()
    assert openapi.external_refs(main, f"{BASE}/openapi.json") == {
        f"{BASE}/schemas/common.json",
        "http://partners.example.com/schemas.json",
    }
    assert openapi.external_refs(documents[f"{BASE}/schemas/common.json"], f"{BASE}/schemas/common.json") == {
        f"{BASE}/schemas/money.json"
    }
    ops = {
        (op.method, op.path): op for op in openapi.operations(openapi.resolve(main, f"{BASE}/openapi.json", documents))
    }
    assert set(ops) == {
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/orders/{orderId}"),
        ("PATCH", "/orders/{orderId}"),
        ("GET", "/categories"),
        ("GET", "/partners"),
    }
    order = ops[("GET", "/orders/{orderId}")].response_schema["200"]  # type: ignore[index]
    assert order["properties"]["id"] == {"type": "string", "format": "uuid"}
    # Two documents deep: common.json → money.json.
    assert order["properties"]["total"]["required"] == ["amount", "currency"]
    assert order["properties"]["lines"]["items"]["properties"]["price"]["properties"]["currency"]["maxLength"] == 3
    limit = ops[("GET", "/orders")].parameters[0]
    assert limit == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    }
    place = ops[("POST", "/orders")]
    assert place.request_schema["properties"]["note"] == {"type": ["string", "null"]}  # type: ignore[index]
    assert place.response_schema["422"]["required"] == ["title"]  # type: ignore[index]
    assert place.auth_required is True
    assert ops[("GET", "/orders")].auth_required is False
    # Recursive schema: the recursion stays a $ref, so the stored schema is finite.
    tree = ops[("GET", "/categories")].response_schema["200"]  # type: ignore[index]
    assert tree["properties"]["children"]["items"] == {"$ref": "#/schemas/Category"}
    json.dumps(tree)
    # Another host's document was not fetched: its reference is left as it was.
    partner = ops[("GET", "/partners")].response_schema["200"]  # type: ignore[index]
    assert partner == {"$ref": "http://partners.example.com/schemas.json#/Partner"}
    # Non-JSON request bodies still give their schema.
    assert ops[("PATCH", "/orders/{orderId}")].request_schema["required"] == ["items"]  # type: ignore[index]


def test_documents_are_recognised_and_others_are_not() -> None:
    assert openapi.load_text("<html><body>docs</body></html>") == "<html><body>docs</body></html>"
    assert not openapi.is_api_document(openapi.load_text("<html></html>"))
    assert not openapi.is_api_document({"openapi": "2.9", "paths": {}})
    assert not openapi.is_api_document(openapi.load_text("{not json"))
    assert openapi.is_api_document(openapi.load_text("openapi: 3.0.3\npaths: {}\n"))


def test_candidate_urls_and_links_from_a_docs_page() -> None:
    urls = candidates("http://api.test/service/")
    assert urls[0] == "http://api.test/service/openapi.json"
    assert "http://api.test/v3/api-docs" in urls  # the host's root as well
    assert len(urls) == len(set(urls))
    page = """<html><script src="/static/swagger-ui-bundle.js"></script>
      <script>SwaggerUIBundle({url: "/docs/spec.yaml", dom_id: '#swagger'})</script>
      <redoc spec-url='specs/api.json'></redoc><a href="/about">About</a></html>"""
    assert linked_documents(page, "http://api.test/docs/") == [
        "http://api.test/docs/spec.yaml",
        "http://api.test/docs/specs/api.json",
    ]
