"""The signed-in shell in a real browser: sign in and out, applications, keyboard, theme."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from .helpers import APPLICATIONS_URL, Server, sign_in, snap

LOGIN_REDIRECT = re.compile(r"/login\?next=(%2F|/)applications$")
APPLICATION_URL = re.compile(r"/applications/[0-9a-f-]{36}$")  # the overview
SETUP_URL = re.compile(r"/applications/[0-9a-f-]{36}/setup$")  # ingest key and snippet
BACKGROUND = "getComputedStyle(document.body).backgroundColor"
NAV = [
    ("Dashboards", "/dashboards"),
    ("Insights", "/insights"),
    ("Applications", "/applications"),
    ("Commands", "/commands"),
    ("Support", "/support"),
    ("Settings", "/settings"),
]


def _delete_all_applications(server: Server) -> None:
    token = server.admin_token()
    status, body = server.api("GET", "/v1/applications", token=token)
    assert status == 200, body
    for item in body["items"]:
        status, body = server.api("DELETE", f"/v1/applications/{item['id']}", token=token)
        assert status in (200, 204), body


def test_sign_in_shows_the_shell(page: Any, server: Server) -> None:
    page.goto("/applications")
    expect(page).to_have_url(LOGIN_REDIRECT)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    snap(page, "login")

    page.get_by_label("Email").fill(server.admin_email)
    page.get_by_label("Password").fill(server.admin_password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(APPLICATIONS_URL)
    nav = page.get_by_role("navigation", name="Primary")
    for label, href in NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_attribute("href", href)
    expect(nav.get_by_role("link", name="Applications", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(".topbar__org-name")).to_have_text(server.org_name)
    expect(page.locator(".topbar__role .badge")).to_have_text("Owner")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Dashboards", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboards$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboards")
    snap(page, "section")


def test_applications_empty_state(page: Any, server: Server) -> None:
    _delete_all_applications(server)
    sign_in(page, server)
    expect(page.get_by_role("heading", name="No applications yet")).to_be_visible()
    expect(page.get_by_role("link", name="Create your first application")).to_have_attribute(
        "href", "/applications/new"
    )
    snap(page, "applications-empty")


def test_create_application_then_sign_out(page: Any, server: Server) -> None:
    sign_in(page, server)
    name = f"Web shop {uuid.uuid4().hex[:6]}"

    page.get_by_role("link", name="New application").first.click()
    expect(page).to_have_url(re.compile(r"/applications/new$"))
    expect(page.get_by_label("Name")).to_be_focused()
    snap(page, "application-new")

    page.get_by_label("Name").fill(name)
    page.get_by_label("Type").select_option("mobile")
    page.get_by_role("button", name="Create application").click()

    expect(page).to_have_url(SETUP_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#flashes")).to_contain_text(f"{name} is ready")
    key_field = page.get_by_role("textbox", name="Ingest key")
    expect(key_field).to_have_attribute("readonly", "")
    key = key_field.get_attribute("data-copy-value")
    assert key is not None
    assert len(key) > 16
    shown = key_field.input_value()
    assert key not in shown, "the ingest key is masked until revealed"
    assert shown.endswith(key[-4:])
    expect(page.locator("#snippet-curl")).to_contain_text(f"X-API-Key: {key}")
    snap(page, "application-detail")

    # Copy copies the real key (not the masked text) and says so, while the field stays masked.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.get_by_role("button", name="Copy Ingest key")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == key
    expect(key_field).not_to_have_value(key)

    page.get_by_role("button", name="Reveal Ingest key").click()
    expect(key_field).to_have_value(key)

    page.locator(".page-header__back").click()
    expect(page).to_have_url(APPLICATIONS_URL)
    row = page.locator("#applications-body tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mobile")
    expect(row.get_by_role("link", name=name)).to_have_attribute("href", APPLICATION_URL)
    snap(page, "applications-list")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    response = page.request.get("/applications", max_redirects=0, headers={"Accept": "text/html"})
    assert response.status in (302, 303, 307), response.status
    assert LOGIN_REDIRECT.search(response.headers["location"]), response.headers["location"]
    page.goto("/applications")
    expect(page).to_have_url(LOGIN_REDIRECT)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_invalid_application_shows_field_errors(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.goto("/applications/new")
    page.get_by_role("button", name="Create application").click()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-name-error")).to_be_visible()
    snap(page, "application-new-errors")


def test_wrong_password_shows_an_error_and_no_session(page: Any, server: Server) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(server.admin_email)
    page.get_by_label("Password").fill("not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login")) as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401

    expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
    expect(page.get_by_label("Email")).to_have_value(server.admin_email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()
    assert not [c for c in page.context.cookies() if c["name"] == "nexus_session"]
    snap(page, "login-error")

    page.goto("/applications")
    expect(page).to_have_url(LOGIN_REDIRECT)


def test_keyboard_only(page: Any, server: Server) -> None:
    page.goto("/login")
    email = page.get_by_label("Email")
    expect(email).to_be_focused()  # autofocus

    # From the top of the page: the skip link is the first stop and shows when focused.
    skip = page.get_by_role("link", name="Skip to content")
    for _ in range(3):
        if page.evaluate("() => document.activeElement.classList.contains('skip-link')"):
            break
        page.keyboard.press("Shift+Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(email).to_be_focused()

    page.keyboard.type(server.admin_email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(server.admin_password)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(APPLICATIONS_URL)

    # In the shell the skip link is the first stop too, and it jumps past the sidebar.
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    assert focused_in_main, "Tab after the skip link lands inside the main content"

    # g then , goes to Settings.
    page.locator("body").press("g")
    page.locator("body").press(",")
    expect(page).to_have_url(re.compile(r"/settings$"))


def test_theme_toggle(page: Any, server: Server) -> None:
    sign_in(page, server)
    html = page.locator("html")
    toggle = page.locator("[data-theme-toggle]")
    assert html.get_attribute("data-theme") is None
    expect(toggle).to_have_attribute("aria-label", "Switch to dark theme")

    toggle.click()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-label", "Switch to light theme")
    page.wait_for_function(f"() => {BACKGROUND} === 'rgb(13, 14, 17)'")

    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")  # remembered

    toggle.click()
    expect(html).to_have_attribute("data-theme", "light")
    page.wait_for_function(f"() => {BACKGROUND} === 'rgb(248, 248, 250)'")


def test_unknown_application_is_a_friendly_404(page: Any, server: Server) -> None:
    sign_in(page, server)
    response = page.goto(f"/applications/{uuid.uuid4()}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("No such application.")).to_be_visible()
    snap(page, "not-found")
