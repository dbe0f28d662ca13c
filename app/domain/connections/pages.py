"""The Connections tab: list, add, edit, delete, test (inline) and discover (with progress).

Forms post with CSRF; secrets are password inputs that are never echoed back: on edit, a
blank secret keeps the stored one. The discovery area polls a fragment every 500 ms while
the job runs, so the progress bar and the finished steps move without custom script.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.auth import Permission, Principal, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.errors import ApiError
from app.core.pages import flash, redirect, render
from app.domain.applications import service as app_service
from app.domain.applications.schemas import Application
from app.domain.connections import queries, service
from app.domain.connections.checks import test_connection
from app.domain.connections.schemas import ConnectionCreate, ConnectionUpdate
from app.domain.discovery.service import start_discovery
from app.domain.jobs import queries as job_queries

TYPES = [("rest_api", "REST API"), ("graphql", "GraphQL API"), ("database", "Database"), ("grpc", "gRPC service")]
AUTH_TYPES = [
    ("none", "No authentication"),
    ("bearer", "Bearer token"),
    ("api_key", "API key"),
    ("basic", "Basic (username and password)"),
    ("oauth", "OAuth 2 client credentials"),
]
# Form fields → credential keys, per auth type.
SECRET_FIELDS = {
    "bearer": ("token",),
    "api_key": ("key",),
    "basic": ("username", "password"),
    "oauth": ("token_url", "client_id", "client_secret", "scope"),
}
Req = Request[Any, Any, Any]


def _credentials(form: dict[str, str], auth_type: str) -> dict[str, str]:
    creds = {key: form[key] for key in SECRET_FIELDS.get(auth_type, ()) if form.get(key)}
    if auth_type == "api_key" and form.get("key_name"):
        creds["query" if form.get("key_in") == "query" else "header"] = form["key_name"]
    return creds


def _body(form: dict[str, str]) -> dict[str, Any]:
    """The form as the API's create body (empty fields left out)."""
    kind = form.get("type") or "rest_api"
    body: dict[str, Any] = {"type": kind, "name": form.get("name") or None}
    if kind == "database":
        body["dsn"] = form.get("dsn") or None
    else:
        body["base_url"] = form.get("base_url") or None
        auth_type = form.get("auth_type") or "none"
        body["auth_type"] = auth_type
        body["credentials"] = _credentials(form, auth_type)
        if form.get("health_path"):
            body["config"] = {"health_path": form["health_path"]}
    return {key: value for key, value in body.items() if value is not None}


def _error_map(exc: Exception) -> dict[str, str]:
    if isinstance(exc, ApiError):
        key = (exc.details[0].get("key") if exc.details else None) or "_form"
        return {str(key).split(".")[-1]: exc.message}
    text = str(exc)
    field = text.rpartition("$.")[2].rstrip("`").split(".")[0] if "$." in text else "_form"
    return {field: "This value is not valid." if field != "_form" else text}


class ConnectionPages(Controller):
    path = "/applications/{app_id:uuid}/connections"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @staticmethod
    async def _app(db: Db, principal: Principal, state: State, app_id: UUID) -> Application:
        return app_service.to_application(await app_service.get(db, principal, str(app_id)), state.secret_box)

    @staticmethod
    async def _own(db: Db, principal: Principal, app_id: UUID, connection_id: UUID) -> dict[str, Any]:
        row = await service.get(db, principal, str(connection_id))
        if row["app_id"] != str(app_id):
            raise service.not_found()
        return row

    @get("/")
    async def index(
        self, request: Req, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        application = await self._app(db, principal, state, app_id)
        rows = await service.list_for_app(db, principal, str(app_id))
        items = []
        for row in rows:
            job = await job_queries.latest_for_subject(db, principal.org_id, row["id"])
            items.append({"connection": service.to_connection(row, state.secret_box), "job": job})
        return render(
            request,
            "pages/connections/index.html",
            nav="applications",
            application=application,
            tab="connections",
            items=items,
        )

    def _form(
        self,
        request: Req,
        application: Application,
        connection: Any,
        values: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "pages/connections/form.html",
            nav="applications",
            application=application,
            tab="connections",
            connection=connection,
            values=values,
            errors=errors,
            types=TYPES,
            auth_types=AUTH_TYPES,
            status_code=status_code,
            fields_url=f"/applications/{application.id}/connections/fields",
        )

    @get("/new", guards=[requires(Permission.WRITE)])
    async def new(
        self, request: Req, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        application = await self._app(db, principal, state, app_id)
        return self._form(request, application, None, {"type": "rest_api", "auth_type": "none"}, {})

    @get("/fields", guards=[requires(Permission.WRITE)])
    async def fields(
        self, request: Req, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        """The fields for the chosen type and auth (htmx swaps them in when a select changes)."""
        await self._app(db, principal, state, app_id)  # 404 for another organisation's application
        values = {k: v for k, v in request.query_params.items() if k in {"type", "auth_type", "key_in", "name"}}
        editing = request.query_params.get("editing") == "1"
        return Template(
            template_name="pages/connections/_fields.html",
            context={
                "values": values,
                "errors": {},
                "auth_types": AUTH_TYPES,
                "editing": editing,
                "fields_url": f"/applications/{app_id}/connections/fields",
            },
        )

    @post("/", guards=[requires(Permission.WRITE)])
    async def create(
        self, request: Req, app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template | Redirect:
        application = await self._app(db, principal, state, app_id)
        form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str) and not k.startswith("_")}
        try:
            data = msgspec.convert(_body(form), ConnectionCreate)
            row = await service.create(
                db, state.secret_box, principal, str(app_id), msgspec.structs.asdict(data), request
            )
        except (ApiError, msgspec.ValidationError) as exc:
            safe = {
                k: v
                for k, v in form.items()
                if k in {"type", "name", "base_url", "auth_type", "key_in", "key_name", "health_path"}
            }
            return self._form(request, application, None, safe, _error_map(exc), 400)
        if row["type"] != "grpc":
            await start_discovery(db, state.queue, principal, row["id"])
            flash(request, "success", f"{row['name']} added. Discovery has started; its progress shows below.")
        else:
            flash(request, "success", f"{row['name']} added.")
        return redirect(f"/applications/{app_id}/connections")

    @get("/{connection_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def edit(
        self,
        request: Req,
        app_id: FromPath[UUID],
        connection_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template:
        application = await self._app(db, principal, state, app_id)
        row = await self._own(db, principal, app_id, connection_id)
        connection = service.to_connection(row, state.secret_box)
        values = {
            "type": row["type"],
            "name": row["name"],
            "base_url": row["base_url"] or "",
            "auth_type": row["auth_type"] or "none",
            "health_path": (row["config"] or {}).get("health_path", ""),
        }
        return self._form(request, application, connection, values, {})

    @post("/{connection_id:uuid}/edit", guards=[requires(Permission.WRITE)])
    async def update(
        self,
        request: Req,
        app_id: FromPath[UUID],
        connection_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
    ) -> Template | Redirect:
        application = await self._app(db, principal, state, app_id)
        row = await self._own(db, principal, app_id, connection_id)
        form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str) and not k.startswith("_")}
        form["type"] = row["type"]
        body = _body(form)
        changes: dict[str, Any] = {"name": body.get("name", row["name"])}
        if row["type"] == "database":
            if body.get("dsn"):
                changes["dsn"] = body["dsn"]
        else:
            changes["base_url"] = body.get("base_url")
            changes["auth_type"] = body.get("auth_type")
            changes["config"] = {**(row["config"] or {}), "health_path": form.get("health_path") or None}
            changes["config"] = {k: v for k, v in changes["config"].items() if v is not None}
            stored = service.decrypt_credentials(state.secret_box, row)
            # Same auth as before: blank secrets keep the stored ones. Another auth: start afresh.
            merged = (
                {**stored, **body["credentials"]} if body.get("auth_type") == row["auth_type"] else body["credentials"]
            )
            changes["credentials"] = merged
        try:
            data = msgspec.convert(changes, ConnectionUpdate)
            update = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
            await service.update(db, state.secret_box, principal, str(connection_id), update, request)
        except (ApiError, msgspec.ValidationError) as exc:
            connection = service.to_connection(row, state.secret_box)
            safe = {
                k: v
                for k, v in form.items()
                if k in {"type", "name", "base_url", "auth_type", "key_in", "key_name", "health_path"}
            }
            return self._form(request, application, connection, safe, _error_map(exc), 400)
        flash(request, "success", "Connection saved.")
        return redirect(f"/applications/{app_id}/connections")

    @post("/{connection_id:uuid}/delete", guards=[requires(Permission.WRITE)])
    async def delete(
        self, request: Req, app_id: FromPath[UUID], connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Redirect:
        await self._own(db, principal, app_id, connection_id)
        await service.delete(db, principal, str(connection_id), request)
        flash(request, "success", "Connection removed, with what discovery found on it.")
        return redirect(f"/applications/{app_id}/connections")

    @post("/{connection_id:uuid}/test", guards=[requires(Permission.WRITE)])
    async def test(
        self, app_id: FromPath[UUID], connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        row = await self._own(db, principal, app_id, connection_id)
        result = await test_connection(service.to_target(row, state.secret_box), state.outbound)
        await queries.record_check(db, principal.org_id, row["id"], result.ok, result.latency_ms, result.error)
        return Template(template_name="pages/connections/_test_result.html", context={"result": result})

    @post("/{connection_id:uuid}/discover", guards=[requires(Permission.WRITE)])
    async def discover(
        self, app_id: FromPath[UUID], connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        await self._own(db, principal, app_id, connection_id)
        job_id = await start_discovery(db, state.queue, principal, str(connection_id))
        return self._discovery(str(app_id), str(connection_id), await job_queries.get(db, principal.org_id, job_id))

    @get("/{connection_id:uuid}/discovery")
    async def discovery(
        self, app_id: FromPath[UUID], connection_id: FromPath[UUID], db: Db, principal: CurrentPrincipal
    ) -> Template:
        row = await self._own(db, principal, app_id, connection_id)
        job = await job_queries.latest_for_subject(db, principal.org_id, row["id"])
        return self._discovery(str(app_id), row["id"], job)

    @staticmethod
    def _discovery(app_id: str, connection_id: str, job: dict[str, Any] | None) -> Template:
        return Template(
            template_name="pages/connections/_discovery.html",
            context={"app_id": app_id, "connection_id": connection_id, "job": job},
        )
