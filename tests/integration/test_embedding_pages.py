"""The embedding settings page (admins): masked secret, origins, rotation, embed code."""

from __future__ import annotations

import html
import os
from typing import Any
from unittest import mock

import httpx
from litestar import Litestar

from app.domain.embeds import service
from tests.integration.conftest import Member

PAGE = "/settings/embedding"


async def _secret(client: httpx.AsyncClient, owner: Member) -> str:
    response = await client.get("/v1/embedding", headers=owner.headers)
    assert response.status_code == 200
    return str(response.json()["secret"])


async def _dashboard_with_panel(started_app: Litestar, owner: Member) -> tuple[str, str]:
    async with started_app.state.engines.postgres.pool.connection() as conn:
        dashboard = await (
            await conn.execute(
                "INSERT INTO dashboards (org_id, name) VALUES (%s, 'Revenue board') RETURNING id::text", (owner.org_id,)
            )
        ).fetchone()
        panel = await (
            await conn.execute(
                """INSERT INTO panels (org_id, dashboard_id, title, chart_type, query)
                   VALUES (%s, %s, 'Signups per hour', 'line', '{}') RETURNING id::text""",
                (owner.org_id, dashboard["id"]),
            )
        ).fetchone()
    return str(dashboard["id"]), str(panel["id"])


async def test_admin_sees_masked_secret_examples_and_resources(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    admin = await add_member(owner, "admin")
    dashboard_id, panel_id = await _dashboard_with_panel(started_app, owner)
    browser = await login(admin)

    page = await browser.get(PAGE)
    assert page.status_code == 200
    secret = await _secret(client, owner)
    text = page.text
    # Masked: the visible value is the prefix, dots and the last four characters.
    masked = secret[:8] + "•" * 16 + secret[-4:]
    assert f' value="{masked}"' in text
    assert f' value="{secret}"' not in text
    assert f'data-copy-value="{secret}"' in text  # Copy still copies the real secret
    # The secret is never written into the example code.
    code = text.split('id="code-title"')[1]
    assert secret not in code
    # The examples carry the organisation id as the kid, and the iframe the base URL.
    unescaped = html.unescape(text)
    assert f'headers={{"kid": "{owner.org_id}"}}' in unescaped
    assert f'keyid: "{owner.org_id}"' in unescaped
    assert "jwt.encode(" in unescaped
    assert "jwt.sign(payload, SECRET, {" in unescaped
    assert '<iframe src="http://testserver/embed/<token>"\n        width="100%" height="360"' in unescaped
    assert "<iframe" not in text  # escaped: shown as code, never rendered
    assert "never in the browser" in text
    # The id picker lists the dashboard and its panel.
    for name, resource_id in (("Revenue board", dashboard_id), ("Signups per hour", panel_id)):
        assert name in text
        assert f'data-copy-target="#res-{resource_id}"' in text

    # The settings index links to it for admins.
    assert 'href="/settings/embedding"' in (await browser.get("/settings")).text


def _code_block(page: str, block_id: str) -> str:
    return html.unescape(page.split(f'<pre id="{block_id}"')[1].split("<code>")[1].split("</code>")[0])


async def test_the_python_example_signs_a_token_the_server_accepts(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    owner = await make_org()
    _, panel_id = await _dashboard_with_panel(started_app, owner)
    page = (await (await login(owner)).get(PAGE)).text
    code = _code_block(page, "embed-python").replace("<panel id>", panel_id)
    namespace: dict[str, Any] = {}
    with mock.patch.dict(os.environ, {"NEXUS_EMBED_SECRET": await _secret(client, owner)}):
        exec(compile(code, "embed-python", "exec"), namespace)  # noqa: S102 - our own example, as a customer runs it
    prefix = "http://testserver/embed/"
    assert namespace["iframe_src"].startswith(prefix)
    async with started_app.state.engines.postgres.pool.connection() as conn:
        grant, _ = await service.grant_for(conn, started_app.state.secret_box, namespace["iframe_src"][len(prefix) :])
    assert (grant.kind, grant.resource_id, grant.org_id, grant.params) == (
        "panel",
        panel_id,
        owner.org_id,
        {"customer_id": "acme-42"},
    )


async def test_members_cannot_see_the_page(
    client: httpx.AsyncClient, make_org: Any, add_member: Any, login: Any
) -> None:
    owner = await make_org()
    browser = await login(await add_member(owner, "member"))
    assert (await browser.get(PAGE)).status_code == 403
    csrf = browser.cookies["nexus_csrf"]
    assert (await browser.post(f"{PAGE}/rotate", data={"_csrf_token": csrf})).status_code == 403
    refused = await browser.post(
        f"{PAGE}/origins", data={"_csrf_token": csrf, "allowed_origins": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert (await client.get("/v1/embedding", headers=owner.headers)).json()["allowed_origins"] == []
    assert 'href="/settings/embedding"' not in (await browser.get("/settings")).text


async def test_saving_origins(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    csrf = browser.cookies["nexus_csrf"]

    saved = await browser.post(
        f"{PAGE}/origins",
        data={"_csrf_token": csrf, "allowed_origins": "https://App.example.com/\r\n\r\n  http://localhost:3000  \r\n"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == PAGE
    expected = ["https://app.example.com", "http://localhost:3000"]
    assert (await client.get("/v1/embedding", headers=owner.headers)).json()["allowed_origins"] == expected
    shown = await browser.get(PAGE)
    assert "Saved. Widgets may be framed by 2 origins." in shown.text
    assert "https://app.example.com\nhttp://localhost:3000</textarea>" in shown.text

    for bad in ("https://app.example.com/path", "javascript:alert(1)", "*"):
        refused = await browser.post(
            f"{PAGE}/origins", data={"_csrf_token": csrf, "allowed_origins": f"https://ok.example\n{bad}"}
        )
        assert refused.status_code == 400, bad
        assert 'aria-invalid="true"' in refused.text
        assert f"“{html.escape(bad)}” is not an origin" in refused.text
        assert html.escape(f"https://ok.example\n{bad}") in refused.text  # what was typed is kept
    too_many = "\n".join(f"https://site{n}.example" for n in range(51))
    refused = await browser.post(f"{PAGE}/origins", data={"_csrf_token": csrf, "allowed_origins": too_many})
    assert refused.status_code == 400
    assert "at most 50 origins" in refused.text
    # Nothing bad was stored.
    assert (await client.get("/v1/embedding", headers=owner.headers)).json()["allowed_origins"] == expected

    cleared = await browser.post(f"{PAGE}/origins", data={"_csrf_token": csrf, "allowed_origins": ""})
    assert cleared.status_code == 303
    assert (await client.get("/v1/embedding", headers=owner.headers)).json()["allowed_origins"] == []
    assert "No origin may frame widgets now." in (await browser.get(PAGE)).text


async def test_rotating_changes_the_secret(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    before = await _secret(client, owner)
    rotated = await browser.post(f"{PAGE}/rotate", data={"_csrf_token": browser.cookies["nexus_csrf"]})
    assert rotated.status_code == 303
    assert rotated.headers["location"] == PAGE
    after = await _secret(client, owner)
    assert after != before
    page = await browser.get(PAGE)
    assert "A new signing secret is in place." in page.text
    assert f'data-copy-value="{after}"' in page.text
    assert before not in page.text


async def test_forms_need_the_csrf_token(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    before = await _secret(client, owner)
    assert (await browser.post(f"{PAGE}/rotate")).status_code == 403
    forged = await browser.post(f"{PAGE}/origins", data={"allowed_origins": "https://evil.example"})
    assert forged.status_code == 403
    settings = (await client.get("/v1/embedding", headers=owner.headers)).json()
    assert (settings["secret"], settings["allowed_origins"]) == (before, [])


async def test_each_admin_sees_only_their_own_organisation(
    client: httpx.AsyncClient, make_org: Any, login: Any, started_app: Litestar
) -> None:
    acme, globex = await make_org("Acme"), await make_org("Globex")
    acme_dashboard, _ = await _dashboard_with_panel(started_app, acme)
    acme_secret, globex_secret = await _secret(client, acme), await _secret(client, globex)
    assert acme_secret != globex_secret

    acme_page = (await (await login(acme)).get(PAGE)).text
    globex_page = (await (await login(globex)).get(PAGE)).text
    assert f'data-copy-value="{acme_secret}"' in acme_page
    assert f'data-copy-value="{globex_secret}"' in globex_page
    for secret, org_id, page in ((acme_secret, acme.org_id, globex_page), (globex_secret, globex.org_id, acme_page)):
        assert secret not in page
        assert org_id not in page
    assert acme_dashboard in acme_page
    assert acme_dashboard not in globex_page
    assert "No dashboards yet." in globex_page
