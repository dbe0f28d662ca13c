"""Testing a connection once: can we reach it with its credentials, and how fast?

REST: GET the base URL (or config.health_path); GraphQL: POST `{ __typename }`; database:
connect and `SELECT 1` in a read-only transaction with a statement timeout (psycopg for
PostgreSQL DSNs, pymysql in a thread for MySQL). The error is in words, never with secrets.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urljoin

import httpx
import psycopg
import pymysql

from app.core.outbound import OutboundClient, OutboundRefused, ResponseTooLarge, describe_error
from app.domain.connections.auth import AuthFailed, apply_auth
from app.domain.connections.schemas import ConnectionTarget, TestResult
from app.domain.discovery.runner import DiscoveryFailed

DB_TIMEOUT_S = 5


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


async def _check_http(target: ConnectionTarget, outbound: OutboundClient) -> TestResult:
    started = time.perf_counter()
    assert target.base_url is not None
    try:
        headers, params = await apply_auth(target, outbound)
        if target.type == "graphql":
            response = await outbound.request(
                "POST", target.base_url, json={"query": "{ __typename }"}, headers=headers, params=params
            )
        else:
            path = str(target.config.get("health_path") or "")
            url = urljoin(target.base_url.rstrip("/") + "/", path.lstrip("/")) if path else target.base_url
            response = await outbound.request("GET", url, headers=headers, params=params)
    except AuthFailed as exc:
        return TestResult(ok=False, latency_ms=_elapsed_ms(started), error=str(exc))
    except (OutboundRefused, ResponseTooLarge, httpx.HTTPError) as exc:
        return TestResult(ok=False, latency_ms=_elapsed_ms(started), error=describe_error(exc))
    latency = _elapsed_ms(started)
    code = response.status_code
    if code in (401, 403):
        return TestResult(
            ok=False, latency_ms=latency, status_code=code, error=f"HTTP {code}: the credentials were not accepted."
        )
    if code >= 500:
        return TestResult(
            ok=False, latency_ms=latency, status_code=code, error=f"HTTP {code}: the server reported an error."
        )
    if code >= 400 and code != 404:
        return TestResult(ok=False, latency_ms=latency, status_code=code, error=f"HTTP {code}.")
    # A 404 at the root still proves the host answers with our credentials accepted.
    return TestResult(ok=True, latency_ms=latency, status_code=code)


async def _check_postgres(params: dict[str, Any]) -> None:
    conn = await psycopg.AsyncConnection.connect(**{**params, "connect_timeout": DB_TIMEOUT_S}, autocommit=True)
    async with conn, conn.transaction():
        await conn.execute("SET TRANSACTION READ ONLY")
        await conn.execute(f"SET LOCAL statement_timeout = {DB_TIMEOUT_S * 1000}")
        await conn.execute("SELECT 1")


def _check_mysql(params: dict[str, Any]) -> None:
    conn = pymysql.connect(**{**params, "connect_timeout": DB_TIMEOUT_S, "read_timeout": DB_TIMEOUT_S})
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SET SESSION MAX_EXECUTION_TIME = {DB_TIMEOUT_S * 1000}")
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute("SELECT 1")
            cursor.execute("ROLLBACK")
    finally:
        conn.close()


async def _check_database(target: ConnectionTarget, outbound: OutboundClient) -> TestResult:
    # Discovery's guard: the DSN's hosts pass the SSRF policy and the connection goes to the
    # checked address.
    from app.domain.discovery.database import _guarded_mysql, _guarded_postgres

    dsn = str(target.credentials.get("dsn") or "")
    started = time.perf_counter()
    try:
        if dsn.startswith(("mysql://", "mariadb://")):
            await asyncio.to_thread(_check_mysql, await _guarded_mysql(dsn, outbound.policy))
        else:
            await _check_postgres(await _guarded_postgres(dsn, outbound.policy))
    except (OutboundRefused, DiscoveryFailed) as exc:
        return TestResult(ok=False, latency_ms=_elapsed_ms(started), error=str(exc))
    except (psycopg.Error, pymysql.MySQLError, OSError) as exc:
        # Driver messages can quote the DSN; only the kind of failure is told.
        return TestResult(ok=False, latency_ms=_elapsed_ms(started), error=_db_words(exc))
    return TestResult(ok=True, latency_ms=_elapsed_ms(started))


def _db_words(exc: BaseException) -> str:
    if isinstance(exc, psycopg.OperationalError | pymysql.OperationalError | OSError):
        return "Could not connect to the database or sign in: check the host, port, user and password."
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "The database did not answer within the statement timeout."
    return f"The database refused the check ({type(exc).__name__})."


async def test_connection(target: ConnectionTarget, outbound: OutboundClient) -> TestResult:
    if target.type == "database":
        return await _check_database(target, outbound)
    if target.type == "grpc":
        return TestResult(ok=False, latency_ms=0, error="Testing gRPC connections is not supported yet.")
    if not target.base_url:
        return TestResult(ok=False, latency_ms=0, error="The connection has no base URL.")
    return await _check_http(target, outbound)
