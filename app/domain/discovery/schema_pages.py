"""The application's Database and Graph tabs: discovered tables with their keys and links,
and the knowledge graph (drawn, and listed as a table for keyboards and screen readers)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from app.core import audit
from app.core.auth import Permission, requires
from app.core.deps import CurrentPrincipal, Db
from app.core.pages import flash, redirect, render
from app.domain.applications import service as applications
from app.domain.discovery import graph, graph_queries
from components.graph import KIND_COLOURS, KIND_LABELS, RELATION_COLOURS, RELATION_LABELS, graph_view


def table_views(tables: list[dict[str, Any]], q: str | None) -> list[dict[str, Any]]:
    """Tables with what points at them ('referenced_by'), filtered by a search over table and
    column names. Pure: the rows are database_schemas rows."""
    referenced_by: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        for fk in table["foreign_keys"] or []:
            target = f"{fk['references_schema']}.{fk['references_table']}"
            referenced_by.setdefault(target, []).append(
                {"table": f"{table['schema']}.{table['name']}", "columns": fk["columns"], "name": fk["name"]}
            )
    needle = (q or "").strip().lower()
    views = []
    for table in tables:
        ref = f"{table['schema']}.{table['name']}"
        names = [ref.lower()] + [str(c["name"]).lower() for c in table["columns"] or []]
        if needle and not any(needle in name for name in names):
            continue
        views.append({**table, "ref": ref, "referenced_by": referenced_by.get(ref, [])})
    return views


class SchemaPages(Controller):
    path = "/applications"
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/{app_id:uuid}/database")
    async def database(
        self,
        request: Request[Any, Any, Any],
        app_id: FromPath[UUID],
        db: Db,
        principal: CurrentPrincipal,
        state: State,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Template:
        app = applications.to_application(await applications.get(db, principal, str(app_id)), state.secret_box)
        rows = await graph_queries.tables(db, principal.org_id, str(app_id))
        context: dict[str, Any] = {"application": app, "tables": table_views(rows, q), "total": len(rows), "q": q or ""}
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "database-tables":
            return render(request, "pages/database/_tables.html", **context)
        return render(request, "pages/database/index.html", nav="applications", tab="database", **context)

    @get("/{app_id:uuid}/graph")
    async def knowledge_graph(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Template:
        app = applications.to_application(await applications.get(db, principal, str(app_id)), state.secret_box)
        edges = await graph_queries.edges(db, principal.org_id, str(app_id))
        endpoints = await graph_queries.endpoints(db, principal.org_id, str(app_id))
        tables = await graph_queries.tables(db, principal.org_id, str(app_id))
        nodes = [("endpoint", graph.endpoint_ref(e["method"], e["path"])) for e in endpoints]
        nodes += [("table", graph.table_ref(t["schema"], t["name"])) for t in tables]
        return render(
            request,
            "pages/graph/index.html",
            nav="applications",
            tab="graph",
            application=app,
            edges=edges,
            view=graph_view(edges, nodes) if nodes or edges else None,
            discovered=bool(nodes),
            kinds=[(kind, KIND_LABELS[kind], colour) for kind, colour in KIND_COLOURS.items()],
            relations=[(name, RELATION_LABELS[name], colour) for name, colour in RELATION_COLOURS.items()],
        )

    @post("/{app_id:uuid}/graph/rebuild", guards=[requires(Permission.WRITE)])
    async def rebuild(
        self, request: Request[Any, Any, Any], app_id: FromPath[UUID], db: Db, principal: CurrentPrincipal, state: State
    ) -> Redirect:
        await applications.get(db, principal, str(app_id))
        observed = await graph_queries.observed_endpoints(state.engines.clickhouse, str(app_id))
        async with db.transaction():
            count = await graph.rebuild_graph(db, principal.org_id, str(app_id), observed)
            await audit.record(
                db, principal, "knowledge_graph.rebuild", "application", str(app_id), request, {"edges": count}
            )
        flash(request, "success", f"The knowledge graph was rebuilt: {count} links.")
        return redirect(f"/applications/{app_id}/graph")
