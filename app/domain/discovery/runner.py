"""The discovery run (saq task "discovery.run"): find what a connection exposes and store it.

By connection type: REST (an OpenAPI/Swagger document, else probing), GraphQL
(introspection), database (catalog introspection); gRPC is not supported yet. Then the
application's knowledge graph is rebuilt and its status follows the run: learning with
rising progress, then active (100 %) or error (with the reason). Failures are told in words
(`describe_error`), never with credentials or tracebacks.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from psycopg_pool import AsyncConnectionPool

from app.core.outbound import OutboundClient, OutboundRefused, ResponseTooLarge, describe_error
from app.domain.connections.auth import AuthFailed, apply_auth
from app.domain.connections.schemas import ConnectionTarget
from app.domain.connections.service import load_target
from app.domain.discovery import graph_queries, store
from app.domain.discovery.graph import rebuild_graph
from app.domain.discovery.schemas import DiscoveredEndpoint, DiscoveredTable
from app.domain.jobs.progress import JobProgress

log = structlog.get_logger(__name__)


class DiscoveryFailed(Exception):
    """Discovery cannot go on; the message says why, in words for a person (no secrets)."""


class DiscoveryProgress(JobProgress):
    """What discoverers report to: the job's steps and progress, mirrored onto the
    application's learning_progress. Discoverers call `await progress.step(name, percent, detail)`."""

    def __init__(self, pool: AsyncConnectionPool[Any], job_id: str, org_id: str, app_id: str) -> None:
        super().__init__(pool, job_id)
        self.org_id = org_id
        self.app_id = app_id

    async def step(self, name: str, progress: int, detail: str = "") -> None:
        await super().step(name, progress, detail)
        async with self.pool.connection() as conn:
            await store.set_learning(conn, self.org_id, self.app_id, progress)


async def _discover(
    target: ConnectionTarget, outbound: OutboundClient, progress: DiscoveryProgress
) -> list[DiscoveredEndpoint] | list[DiscoveredTable]:
    if target.type == "database":
        from app.domain.discovery.database import discover_database

        return await discover_database(target, progress, outbound.policy)
    if target.type == "grpc":
        raise DiscoveryFailed("Discovery of gRPC services is not supported yet.")
    if not target.base_url:
        raise DiscoveryFailed("The connection has no base URL to discover.")
    # Refuse private targets before sending anything, credentials included (OAuth token URL too).
    await outbound.policy.check(target.base_url)
    headers, params = await apply_auth(target, outbound)
    if target.type == "graphql":
        from app.domain.discovery.graphql import discover_graphql

        return await discover_graphql(target, outbound, headers, params, progress)
    from app.domain.discovery.rest import discover_rest

    return await discover_rest(target, outbound, headers, params, progress)


async def _rebuild_graph(ctx: dict[str, Any], org_id: str, app_id: str) -> None:
    """Link the application's endpoints, tables and the traffic its ingestion has seen."""
    observed = await graph_queries.observed_endpoints(ctx["engines"].clickhouse, app_id)
    async with ctx["engines"].postgres.pool.connection() as conn:
        await rebuild_graph(conn, org_id, app_id, observed)


def _words(exc: BaseException) -> str:
    if isinstance(exc, DiscoveryFailed | AuthFailed):
        return str(exc)
    if isinstance(exc, OutboundRefused | ResponseTooLarge | httpx.HTTPError):
        return describe_error(exc)
    return f"Discovery failed unexpectedly ({type(exc).__name__}); it has been logged."


async def run_discovery(ctx: dict[str, Any], *, job_id: str, org_id: str, connection_id: str) -> dict[str, Any]:
    pool: AsyncConnectionPool[Any] = ctx["engines"].postgres.pool
    job = JobProgress(pool, job_id)
    await job.started()
    async with pool.connection() as conn:
        target = await load_target(conn, ctx["box"], org_id, connection_id)
    if target is None:
        await job.failed("The connection no longer exists.")
        return {"stored": 0}
    progress = DiscoveryProgress(pool, job_id, org_id, target.app_id)
    try:
        await progress.step("Started", 2, f"Discovering {target.name or target.type}")
        found = await _discover(target, ctx["outbound"], progress)
        async with pool.connection() as conn:
            if target.type == "database":
                stored = await store.replace_tables(conn, org_id, target.app_id, connection_id, found)  # type: ignore[arg-type]
            else:
                stored = await store.replace_endpoints(conn, org_id, target.app_id, connection_id, found)  # type: ignore[arg-type]
        what = "tables" if target.type == "database" else "operations"
        await progress.step("Stored", 90, f"{stored} {what}")
        await _rebuild_graph(ctx, org_id, target.app_id)
    except Exception as exc:  # every failure ends the job in words; unexpected ones are logged too
        words = _words(exc)
        if not isinstance(exc, DiscoveryFailed | AuthFailed | OutboundRefused | ResponseTooLarge | httpx.HTTPError):
            # Type only: exception text from drivers can quote a DSN.
            log.error("discovery_failed", job_id=job_id, connection_id=connection_id, error=type(exc).__name__)
        await job.failed(words)
        async with pool.connection() as conn:
            await store.set_outcome(conn, org_id, target.app_id, words)
        return {"stored": 0, "error": words}
    result = {"stored": stored, "kind": what}
    await job.completed(result)
    async with pool.connection() as conn:
        await store.set_outcome(conn, org_id, target.app_id, None)
    return result
