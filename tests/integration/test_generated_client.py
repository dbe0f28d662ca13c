"""The generated Python client calls the loopback API successfully: a small JSON API (Litestar
under uvicorn, with its OpenAPI document) is discovered through the real API, its client is
downloaded, imported from a temporary directory and used.

The API is mounted under /api, as behind a reverse proxy: its document lists its paths as
"/pets" under the server URL "/api", so the client must call /api/pets."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import httpx
import msgspec
import pytest
import uvicorn
from litestar import Litestar, get, post
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Server
from litestar.params import FromQuery, JSONBody
from litestar.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.engines

TSC = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "tsc"


class Owner(msgspec.Struct):
    email: str


class Pet(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: Literal["cat", "dog"]
    born_at: datetime
    tags: list[str]
    owner: Owner | None = None


class PetCreate(msgspec.Struct):
    name: str
    kind: Literal["cat", "dog"]


PETS = [
    Pet(uuid.uuid4(), "Tom", "cat", datetime(2020, 1, 2, 3, 4, tzinfo=UTC), ["grey"], Owner("a@b.test")),
    Pet(uuid.uuid4(), "Rex", "dog", datetime(2019, 5, 6, tzinfo=UTC), []),
]


@get("/pets", summary="List pets", sync_to_thread=False)
def list_pets(kind: FromQuery[Literal["cat", "dog"] | None] = None) -> list[Pet]:
    return [pet for pet in PETS if kind is None or pet.kind == kind]


@post("/pets", summary="Create pet", sync_to_thread=False)
def create_pet(data: JSONBody[PetCreate]) -> Pet:
    return Pet(uuid.uuid4(), data.name, data.kind, datetime(2024, 1, 1, tzinfo=UTC), ["new"])


MOUNT = "/api"


def _mounted(app: ASGIApp) -> ASGIApp:
    """`app` under MOUNT, as a reverse proxy would serve it (its document at MOUNT/openapi.json);
    404 elsewhere."""

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if not path.startswith(MOUNT + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        inner = path.removeprefix(MOUNT)
        inner = "/schema/openapi.json" if inner == "/openapi.json" else inner
        await app({**scope, "path": inner, "raw_path": inner.encode()}, receive, send)

    return proxy


@pytest.fixture(scope="module")
def pet_api() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = Litestar(
        [list_pets, create_pet],
        openapi_config=OpenAPIConfig(title="Pets", version="1.0", servers=[Server(url=MOUNT)]),
    )
    server = uvicorn.Server(uvicorn.Config(_mounted(app), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the loopback API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def _import(source: str, directory: Path) -> ModuleType:
    name = f"pet_client_{uuid.uuid4().hex[:8]}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # msgspec resolves the module's postponed annotations through it
    spec.loader.exec_module(module)
    return module


async def _discover(client: httpx.AsyncClient, owner: Any, base_url: str) -> str:
    app = await client.post("/v1/applications", json={"name": "Pets", "type": "saas"}, headers=owner.headers)
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    created = await client.post(
        f"/v1/applications/{app_id}/connections",
        json={"type": "rest_api", "name": "Pet API", "base_url": base_url},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["discovery_job_id"]
    for _ in range(200):
        job = (await client.get(f"/v1/jobs/{job_id}", headers=owner.headers)).json()
        if job["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    return str(app_id)


async def test_generated_python_client_calls_the_loopback_api(
    client: httpx.AsyncClient, make_org: Any, pet_api: str, tmp_path: Path
) -> None:
    owner = await make_org()
    app_id = await _discover(client, owner, pet_api)
    endpoints = (await client.get(f"/v1/applications/{app_id}/endpoints", headers=owner.headers)).json()["items"]
    # Under the document's server URL: paths as clients and traffic see them.
    assert {(e["method"], e["path"]) for e in endpoints} >= {("GET", "/api/pets"), ("POST", "/api/pets")}

    response = await client.get(f"/v1/applications/{app_id}/adapters/python", headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    module = _import(response.text, tmp_path)

    async with module.Client(pet_api) as api:
        cats = await api.list_pets(kind="cat")
        created = await api.create_pet(msgspec.convert({"name": "Kit", "kind": "cat"}, _body_type(module)))

    assert [pet.name for pet in cats] == ["Tom"]
    tom = cats[0]
    assert isinstance(tom, msgspec.Struct)
    assert tom.id == PETS[0].id  # decoded to a UUID
    assert tom.born_at == PETS[0].born_at  # decoded to an aware datetime
    assert tom.owner.email == "a@b.test"  # a nested struct
    assert tom.kind == "cat"
    assert isinstance(created, msgspec.Struct)
    assert created.name == "Kit"
    assert created.tags == ["new"]
    with pytest.raises(msgspec.ValidationError):  # the enum is enforced on decode
        msgspec.json.decode(b'{"name": "X", "kind": "hamster"}', type=_body_type(module))


def _body_type(module: ModuleType) -> Any:
    """The struct create_pet takes, whatever name the schema gave it."""
    hints = module.Client.create_pet.__annotations__
    return getattr(module, hints["body"]) if isinstance(hints["body"], str) else hints["body"]


async def test_downloads_from_the_application_page_and_isolation(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any, pet_api: str, tmp_path: Path
) -> None:
    owner = await make_org()
    app_id = await _discover(client, owner, pet_api)
    viewer = await login(await add_member(owner, "viewer"))

    python_file = await viewer.get(f"/applications/{app_id}/adapters/client.py")
    assert python_file.status_code == 200
    assert python_file.headers["content-disposition"] == 'attachment; filename="client.py"'
    compile(python_file.text, "client.py", "exec")

    typescript_file = await viewer.get(f"/applications/{app_id}/adapters/client.ts")
    assert typescript_file.status_code == 200
    assert typescript_file.headers["content-disposition"] == 'attachment; filename="client.ts"'
    assert "listPets(" in typescript_file.text
    if TSC.exists():
        (tmp_path / "client.ts").write_text(typescript_file.text)
        command = [str(TSC), "--noEmit", "--strict", "client.ts"]
        checked = await asyncio.to_thread(
            subprocess.run, command, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert checked.returncode == 0, checked.stdout

    stranger = await make_org("Other")
    for path in ("python", "typescript"):
        refused = await client.get(f"/v1/applications/{app_id}/adapters/{path}", headers=stranger.headers)
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"
    outsider = await login(stranger)
    assert (await outsider.get(f"/applications/{app_id}/adapters/client.py")).status_code == 404
