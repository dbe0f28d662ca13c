"""Least privilege: what each role may do through the API and the pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

APP = {"name": "Shop", "type": "web"}


@pytest.mark.parametrize(
    ("role", "can_read", "can_write", "can_admin"),
    [
        ("viewer", True, False, False),
        ("support", True, False, False),
        ("member", True, True, False),
        ("admin", True, True, True),
        ("owner", True, True, True),
    ],
)
async def test_role_matrix(
    client: httpx.AsyncClient,
    make_org: Any,
    add_member: Any,
    role: str,
    can_read: bool,
    can_write: bool,
    can_admin: bool,
) -> None:
    owner = await make_org()
    actor = owner if role == "owner" else await add_member(owner, role)
    existing = (
        await client.post("/v1/applications", json={"name": "Existing", "type": "saas"}, headers=owner.headers)
    ).json()

    read = await client.get("/v1/applications", headers=actor.headers)
    assert (read.status_code == 200) is can_read

    write = await client.post("/v1/applications", json=APP, headers=actor.headers)
    assert write.status_code == (201 if can_write else 403)
    rotate = await client.post(f"/v1/applications/{existing['id']}/ingest-key/rotate", headers=actor.headers)
    assert rotate.status_code == (200 if can_write else 403)

    invite = await client.post(
        "/v1/users", json={"email": f"new-{role}@acme.test", "role": "viewer"}, headers=actor.headers
    )
    assert invite.status_code == (201 if can_admin else 403)
    if not can_write:
        assert write.json()["error"]["code"] == "forbidden"
        assert role in write.json()["error"]["message"]


async def test_only_owners_grant_ownership(client: httpx.AsyncClient, make_org: Any, add_member: Any) -> None:
    owner = await make_org()
    admin = await add_member(owner, "admin")
    member = await add_member(owner, "member")
    promoted = await client.patch(f"/v1/users/{member.user_id}", json={"role": "owner"}, headers=admin.headers)
    assert promoted.status_code == 403
    assert promoted.json()["error"]["code"] == "owner_required"
    demote_owner = await client.patch(f"/v1/users/{owner.user_id}", json={"role": "viewer"}, headers=admin.headers)
    assert demote_owner.status_code == 403
    by_owner = await client.patch(f"/v1/users/{member.user_id}", json={"role": "owner"}, headers=owner.headers)
    assert by_owner.status_code == 200
    assert by_owner.json()["role"] == "owner"


async def test_the_last_owner_cannot_step_down(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    response = await client.patch(f"/v1/users/{owner.user_id}", json={"role": "admin"}, headers=owner.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_owner"


async def test_viewers_see_no_write_controls_and_cannot_post_forms(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any
) -> None:
    owner = await make_org()
    await client.post("/v1/applications", json=APP, headers=owner.headers)
    viewer = await add_member(owner, "viewer")
    browser = await login(viewer)
    listing = await browser.get("/applications")
    assert listing.status_code == 200
    assert "Shop" in listing.text
    assert 'href="/applications/new"' not in listing.text
    refused = await browser.post(
        "/applications", data={"_csrf_token": browser.cookies["nexus_csrf"], "name": "Nope", "type": "web"}
    )
    assert refused.status_code == 403
    assert (await browser.get("/applications/new")).status_code == 403


async def test_every_audited_change_names_its_actor(client: httpx.AsyncClient, make_org: Any, started_app: Any) -> None:
    owner = await make_org()
    created = await client.post("/v1/applications", json=APP, headers=owner.headers)
    async with started_app.state.engines.postgres.pool.connection() as conn:
        rows = await (
            await conn.execute(
                "SELECT action, actor_label, target_id, request_id FROM audit_log WHERE org_id = %s", (owner.org_id,)
            )
        ).fetchall()
    assert rows == [
        {
            "action": "application.created",
            "actor_label": f"user:{owner.email}",
            "target_id": created.json()["id"],
            "request_id": created.headers["x-request-id"],
        }
    ]
