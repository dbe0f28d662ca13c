"""Browser pages over HTTP: sign-in, CSRF on every form, session cookies, the shell."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import PASSWORD


async def test_signed_out_pages_redirect_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/applications", headers={"accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login?next=%2Fapplications") or response.headers[
        "location"
    ].startswith("/login?next=/applications")


async def test_login_sets_a_hardened_fresh_session(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    page = await client.get("/login")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    client.cookies.set("nexus_session", "planted-by-an-attacker", domain="testserver.local")
    response = await client.post("/login", data={"_csrf_token": token, "email": owner.email, "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "planted-by-an-attacker" not in cookie
    shell = await client.get("/applications")
    assert shell.status_code == 200
    for label in ("Dashboards", "Insights", "Applications", "Commands", "Support", "Settings"):
        assert f"<span>{label}</span>" in shell.text
    assert 'aria-current="page"' in shell.text


async def test_wrong_password_shows_one_message_for_all_cases(client: httpx.AsyncClient, make_org: Any) -> None:
    owner = await make_org()
    page = await client.get("/login")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    wrong = await client.post("/login", data={"_csrf_token": token, "email": owner.email, "password": "nope-nope-1"})
    unknown = await client.post("/login", data={"_csrf_token": token, "email": "who@x.test", "password": "nope-nope-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or password is wrong." in wrong.text
    assert "The email or password is wrong." in unknown.text
    assert "nexus_session" not in client.cookies


async def test_forms_without_csrf_token_are_refused(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    for path, form in [
        ("/applications", {"name": "Forged", "type": "web"}),
        ("/settings/api-keys", {"name": "forged", "scopes": "read"}),
        ("/logout", {}),
    ]:
        response = await browser.post(path, data=form)
        assert response.status_code == 403, path
    assert (await client.get("/v1/applications", headers=owner.headers)).json()["items"] == []
    # A login form posted from elsewhere (no token) is refused too.
    stranger = await client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert stranger.status_code == 403


async def test_create_edit_rotate_delete_an_application(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    csrf = browser.cookies["nexus_csrf"]
    invalid = await browser.post("/applications", data={"_csrf_token": csrf, "name": "", "type": "web"})
    assert invalid.status_code == 400
    assert "This field is required." in invalid.text or "too short" in invalid.text

    created = await browser.post(
        "/applications", data={"_csrf_token": csrf, "name": "Web shop", "type": "web", "base_url": "https://shop.test"}
    )
    assert created.status_code == 303
    assert created.headers["location"].endswith("/setup")
    detail = await browser.get(created.headers["location"])
    detail_path = created.headers["location"].removesuffix("/setup")
    assert "Web shop" in detail.text
    assert "is ready" in detail.text  # the flash message
    app = (await client.get("/v1/applications", headers=owner.headers)).json()["items"][0]
    assert app["ingest_key"] in detail.text
    # The snippets: the browser tracker, the batch API and request timings, each with the key.
    for snippet in ("snippet-browser", "snippet-curl", "snippet-timings"):
        code = detail.text.split(f'id="{snippet}"')[1].split("</pre>")[0]
        assert app["ingest_key"] in code, snippet
    assert "/static/js/nexus.js" in detail.text

    edited = await browser.post(f"{detail_path}/edit", data={"_csrf_token": csrf, "name": "Web store", "type": "saas"})
    assert edited.status_code == 303
    after_edit = (await client.get(f"/v1/applications/{app['id']}", headers=owner.headers)).json()
    assert (after_edit["name"], after_edit["type"], after_edit["base_url"]) == ("Web store", "saas", None)
    # Types by their names, as the form offers them ("SaaS", not "Saas").
    for page in (await browser.get("/applications"), await browser.get(f"{detail_path}/setup")):
        assert ">SaaS<" in page.text
        assert "Saas" not in page.text

    assert (await browser.post(f"{detail_path}/rotate-key", data={"_csrf_token": csrf})).status_code == 303
    rotated = (await client.get(f"/v1/applications/{app['id']}", headers=owner.headers)).json()
    assert rotated["ingest_key"] != app["ingest_key"]

    assert (await browser.post(f"{detail_path}/delete", data={"_csrf_token": csrf})).status_code == 303
    assert (await client.get(f"/v1/applications/{app['id']}", headers=owner.headers)).status_code == 404


async def test_invitation_flow(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    owner = await make_org()
    browser = await login(owner)
    invited = await browser.post(
        "/settings/users",
        data={"_csrf_token": browser.cookies["nexus_csrf"], "email": "newbie@acme.test", "role": "support"},
    )
    assert invited.status_code == 303
    shown = await browser.get("/settings")
    link = shown.text.split("/invite/")[1].split('"')[0]
    assert "/invite/" not in (await browser.get("/settings")).text  # shown once
    newcomer_page = await client.get(f"/invite/{link}")
    assert newcomer_page.status_code == 200
    token = newcomer_page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    weak = await client.post(f"/invite/{link}", data={"_csrf_token": token, "name": "New", "password": "short"})
    assert weak.status_code == 400
    accepted = await client.post(
        f"/invite/{link}", data={"_csrf_token": token, "name": "New Bie", "password": "a-long-enough-password"}
    )
    assert accepted.status_code == 303
    assert "Welcome" in (await client.get("/applications")).text
    reused = await client.post(
        f"/invite/{link}", data={"_csrf_token": token, "name": "X", "password": "another-long-pw"}
    )
    assert reused.status_code == 404
    users = (await client.get("/v1/users", headers=owner.headers)).json()["items"]
    assert {(u["email"], u["role"], u["invite_pending"]) for u in users} >= {("newbie@acme.test", "support", False)}


async def test_logout_ends_the_session(client: httpx.AsyncClient, make_org: Any, login: Any) -> None:
    browser = await login(await make_org())
    assert (await browser.post("/logout", data={"_csrf_token": browser.cookies["nexus_csrf"]})).status_code == 303
    after = await browser.get("/applications", headers={"accept": "text/html"})
    assert after.status_code == 302


async def test_anonymous_visits_store_no_session(client: httpx.AsyncClient, started_app: Any) -> None:
    for _ in range(3):
        assert (await client.get("/login")).status_code == 200
    assert "nexus_session" not in client.cookies
    assert await started_app.state.engines.redis.client.keys("nexus:session:*") == []


async def test_a_session_reads_the_api_but_cannot_change_data_through_it(
    client: httpx.AsyncClient, make_org: Any, login: Any
) -> None:
    browser = await login(await make_org())
    assert (await browser.get("/v1/applications")).status_code == 200
    # The API is CSRF-exempt, so cookies alone must not be enough to write through it.
    forged = await browser.post("/v1/applications", json={"name": "Forged", "type": "web"})
    assert forged.status_code == 401
