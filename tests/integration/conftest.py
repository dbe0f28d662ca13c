"""One app (and its engines) per test session; each test starts from empty tables."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar

from app.asgi import create_app
from app.domain.accounts import service, tokens
from app.domain.accounts.passwords import hash_password
from app.domain.accounts.queries import create_user

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def app() -> Litestar:
    return create_app()


@pytest.fixture(scope="session")
async def started_app(app: Litestar) -> AsyncIterator[Litestar]:
    """The app with its lifespan run (engines started, migrations applied) in the test loop.

    The lifespan runs in a task of its own: it holds an anyio task group, which must be
    left by the task that entered it, and fixture set-up and tear-down are different tasks.
    """
    ready, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            ready.set()
            await stop.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait([holder, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        holder.result()  # start-up failed: raise its error here
    yield app
    stop.set()
    await holder


@pytest.fixture
async def client(started_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh client (own cookie jar) over freshly emptied tables and Redis."""
    engines = started_app.state.engines
    await _empty_tables(engines.postgres.pool)
    await engines.redis.client.flushdb()
    transport = httpx.ASGITransport(app=started_app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _empty_tables(pool: Any, attempts: int = 5) -> None:
    """TRUNCATE locks organizations, then each table referencing it, one by one; the app's
    background tasks (schedulers) insert into those tables, which locks the table and then
    looks up its organization. When both meet halfway PostgreSQL aborts one of them as
    deadlocked, and the remedy it documents is to run the aborted transaction again."""
    for attempt in range(attempts):
        try:
            async with pool.connection() as conn:
                await conn.execute("TRUNCATE organizations CASCADE")
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == attempts - 1:
                raise


@dataclass
class Member:
    org_id: str
    user_id: str
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_org(app: Litestar, client: httpx.AsyncClient) -> Any:
    """make_org(name) → the owner (a Member); add users with add_member(owner, role)."""
    counter = iter(range(1_000_000))

    async def make(name: str = "Acme") -> Member:
        email = f"owner{next(counter)}@{name.lower()}.test"
        async with app.state.engines.postgres.pool.connection() as conn:
            created = await service.create_organization_with_owner(conn, name, email, PASSWORD, "Owner")
        return _member(app, created["org"]["id"], created["user"]["id"], email, "owner")

    return make


@pytest.fixture
def add_member(app: Litestar) -> Any:
    counter = iter(range(1_000_000))

    async def add(owner: Member, role: str) -> Member:
        email = f"{role}{next(counter)}@{owner.org_id[:8]}.test"
        async with app.state.engines.postgres.pool.connection() as conn:
            row = await create_user(conn, owner.org_id, email, role.title(), role, await hash_password(PASSWORD))
        return _member(app, owner.org_id, row["id"], email, role)

    return add


def _member(app: Litestar, org_id: str, user_id: str, email: str, role: str) -> Member:
    security = app.state.settings.security
    token = tokens.issue_access_token(security.secret_key, user_id, org_id, security.access_token_ttl_s)
    return Member(org_id=org_id, user_id=user_id, email=email, role=role, token=token)


@pytest.fixture
async def login(started_app: Litestar) -> AsyncIterator[Any]:
    """login(member) → a client signed in through the real form (session + CSRF cookies)."""
    clients: list[httpx.AsyncClient] = []

    async def sign_in(member: Member) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=started_app, client=("198.51.100.9", 40001))
        browser = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(browser)
        page = await browser.get("/login")
        token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
        response = await browser.post(
            "/login", data={"_csrf_token": token, "email": member.email, "password": PASSWORD, "next": "/"}
        )
        assert response.status_code == 303, response.text
        assert "nexus_session" in browser.cookies
        return browser

    yield sign_in
    for browser in clients:
        await browser.aclose()
