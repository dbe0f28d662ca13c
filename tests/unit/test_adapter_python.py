"""The generated Python client: valid, importable, ruff-clean, typed from hand-made endpoints."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import msgspec
import pytest

from app.domain.adapters import naming, python_client

RUFF = Path(sys.executable).parent / "ruff"

PET = {
    "type": "object",
    "required": ["id", "name", "kind"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["cat", "dog", "other"]},
        "born-at": {"type": "string", "format": "date-time"},
        "2nd_owner": {"type": ["string", "null"]},
        "class": {"type": "integer", "nullable": True},
        "tags": {"type": "array", "items": {"type": "string"}},
        "owner": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        "parent": {"$ref": "#/components/schemas/Pet"},
        "weight": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "extra": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
ENDPOINTS: list[dict[str, Any]] = [
    {
        "method": "GET",
        "path": "/pets",
        "summary": "List pets",
        "parameters": [
            {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
            {"name": "kind", "in": "query", "required": False, "schema": {"type": "string", "enum": ["cat", "dog"]}},
            {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
        ],
        "request_schema": None,
        "response_schema": {
            "200": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
            "components": {"schemas": {"Pet": PET}},
        },
    },
    {
        "method": "POST",
        "path": "/pets",
        "summary": "Create pet",
        "parameters": [{"name": "X-Request-Id", "in": "header", "required": False, "schema": {"type": "string"}}],
        "request_schema": {"$ref": "#/components/schemas/Pet"},
        "response_schema": {"201": {"$ref": "#/components/schemas/Pet"}},
    },
    {
        "method": "GET",
        "path": "/pets/{pet-id}",
        "summary": "class",  # a reserved word as the whole name
        "parameters": [
            {"name": "pet-id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        ],
        "request_schema": None,
        "response_schema": {"200": {"$ref": "#/components/schemas/Pet"}},
    },
    # No summary: named from method and path; the undeclared {id} still becomes an argument.
    {
        "method": "DELETE",
        "path": "/pets/{id}/toys/{toy_id}",
        "summary": None,
        "parameters": [],
        "response_schema": None,
    },
    # The same summary twice: the second method is named from its route instead.
    {"method": "GET", "path": "/pets/2fa-status", "summary": "List pets", "parameters": []},
    {"method": "QUERY", "path": "pets", "summary": "GraphQL operations are not part of a REST client"},
]


def load(source: str, directory: Path, name: str) -> ModuleType:
    """Import generated code as a user would: a module file on disk, registered in sys.modules
    (msgspec resolves the postponed annotations through it)."""
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client_module(tmp_path: Path) -> Iterator[ModuleType]:
    name = f"generated_{uuid.uuid4().hex[:8]}"
    yield load(python_client.generate(ENDPOINTS, "Pet store"), tmp_path, name)
    sys.modules.pop(name, None)


def test_source_compiles_and_is_ruff_clean(tmp_path: Path) -> None:
    source = python_client.generate(ENDPOINTS, "Pet store")
    compile(source, "client.py", "exec")
    (tmp_path / "client.py").write_text(source)
    result = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "E,F,W,B,UP", "--line-length", "120", "client.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_method_per_rest_operation_with_valid_distinct_names(client_module: ModuleType) -> None:
    methods = {name for name in vars(client_module.Client) if not name.startswith("_") and name != "aclose"}
    assert methods == {"list_pets", "create_pet", "class_", "delete_pets_by_id_toys_by_toy_id", "get_pets_2fa_status"}


def test_structs_from_schemas(client_module: ModuleType) -> None:
    pet_type = client_module.Pet
    assert issubclass(pet_type, msgspec.Struct)
    fields = {f.name: f for f in msgspec.structs.fields(pet_type)}
    # Wire names that are not identifiers are renamed in Python and kept on the wire.
    assert fields["born_at"].encode_name == "born-at"
    assert fields["n_2nd_owner"].encode_name == "2nd_owner"
    assert fields["class_"].encode_name == "class"
    assert fields["id"].required
    assert not fields["born_at"].required
    # Nested objects become named structs of their own.
    assert issubclass(client_module.PetOwner, msgspec.Struct)
    assert issubclass(client_module.PetOwnerAddress, msgspec.Struct)


def test_decoding_applies_formats_enums_and_nullability(client_module: ModuleType) -> None:
    raw = {
        "id": "6f1c53b2-8d4e-4c55-9a55-2d3f0f6b1a10",
        "name": "Rex",
        "kind": "dog",
        "born-at": "2024-05-01T10:00:00Z",
        "2nd_owner": None,
        "class": None,
        "weight": 4.5,
        "owner": {"email": "a@b.test", "address": {"city": "Oslo"}},
        "parent": {"id": "6f1c53b2-8d4e-4c55-9a55-2d3f0f6b1a11", "name": "Old Rex", "kind": "dog"},
        "extra": {"legs": 4},
    }
    pet = msgspec.json.decode(json.dumps(raw), type=client_module.Pet)
    assert isinstance(pet.id, uuid.UUID)
    assert isinstance(pet.born_at, datetime)
    assert pet.born_at.tzinfo is not None
    assert pet.owner.address.city == "Oslo"
    assert pet.parent.name == "Old Rex"
    assert isinstance(pet.parent, client_module.Pet)
    assert pet.extra == {"legs": 4}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(json.dumps({**raw, "kind": "hamster"}), type=client_module.Pet)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(json.dumps({**raw, "id": "not-a-uuid"}), type=client_module.Pet)


async def test_requests_carry_path_query_header_and_body(client_module: ModuleType) -> None:
    seen: list[httpx.Request] = []
    pet = {"id": "6f1c53b2-8d4e-4c55-9a55-2d3f0f6b1a10", "name": "Rex", "kind": "cat"}

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.raw_path == b"/api/pets/missing%2Fone":
            return httpx.Response(404, json={"error": "gone"})
        return httpx.Response(200, json=[pet] if request.url.path == "/api/pets" and request.method == "GET" else pet)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://api.test/api")
    async with client_module.Client("unused", http=http) as api:
        listed = await api.list_pets(limit=5, kind="cat", from_=datetime(2025, 1, 2, 3, 4, 5))
        created = await api.create_pet(
            client_module.Pet(id=uuid.UUID(pet["id"]), name="Rex", kind="cat"), x_request_id="r1"
        )
        assert await api.delete_pets_by_id_toys_by_toy_id("a b", "7") is None
        with pytest.raises(client_module.ApiError) as failure:
            await api.class_("missing/one")
    assert [p.name for p in listed] == ["Rex"]
    assert isinstance(created, client_module.Pet)
    assert failure.value.status_code == 404
    query = seen[0].url.params
    assert (query["limit"], query["kind"], query["from"]) == ("5", "cat", "2025-01-02T03:04:05")
    assert seen[1].headers["x-request-id"] == "r1"
    assert seen[1].headers["content-type"] == "application/json"
    # Optional fields left unset are omitted, not sent as null.
    assert json.loads(seen[1].content) == pet
    assert seen[2].url.raw_path == b"/api/pets/a%20b/toys/7"


def test_empty_endpoint_list_still_makes_a_working_module(tmp_path: Path) -> None:
    module = load(python_client.generate([], "Nothing yet"), tmp_path, f"empty_{uuid.uuid4().hex[:8]}")
    assert hasattr(module, "Client")
    assert hasattr(module, "ApiError")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user-id", "user_id"),
        ("class", "class_"),
        ("2fa", "n_2fa"),
        ("getHTTPStatus", "get_http_status"),
        ("", "value"),
        ("list", "list_"),
    ],
)
def test_python_names(text: str, expected: str) -> None:
    assert naming.python_name(text) == expected
    assert naming.python_name(text).isidentifier()


def test_unique_names() -> None:
    taken: set[str] = set()
    assert [naming.unique("get_pet", taken) for _ in range(3)] == ["get_pet", "get_pet_2", "get_pet_3"]
    assert [naming.unique("Pet", taken) for _ in range(2)] == ["Pet", "Pet2"]
