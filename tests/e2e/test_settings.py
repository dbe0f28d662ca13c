"""Settings in a real browser: personal API keys and inviting people."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from .helpers import APPLICATIONS_URL, Server, sign_in, snap


def test_settings_page(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_label("Organisation name")).to_have_value(server.org_name)
    expect(page.locator("#users-body")).to_contain_text(server.admin_email)
    snap(page, "settings")


def test_api_key_is_shown_once(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.goto("/settings")
    name = f"CI export {uuid.uuid4().hex[:6]}"
    page.get_by_label("Key name").fill(name)
    expect(page.get_by_label("Read", exact=True)).to_be_checked()
    page.get_by_label("Write", exact=True).check()
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_role("status").filter(has_text="Copy it now")).to_contain_text(name)
    key = page.get_by_role("textbox", name="New API key").input_value()
    assert re.fullmatch(r"np_[0-9a-f]{8}_[\w-]{20,}", key), key
    prefix = key.split("_")[1]
    row = page.locator("#api-keys-body tr", has_text=name)
    expect(row).to_contain_text(f"np_{prefix}_")
    expect(row).to_contain_text("read")
    expect(row).to_contain_text("write")
    snap(page, "settings-new-key")

    status, body = server.api("GET", "/v1/applications", token=key)
    assert status == 200, body

    page.goto("/settings")
    expect(page.get_by_role("textbox", name="New API key")).to_have_count(0)
    assert key not in page.content(), "the key is shown once"
    expect(page.locator("#api-keys-body tr", has_text=name)).to_contain_text(f"np_{prefix}_")


def test_api_key_needs_a_name(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.goto("/settings")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_have_text("Give the key a name and at least one scope.")


def test_invite_someone_who_then_signs_up(page: Any, new_context: Callable[..., Any], server: Server) -> None:
    sign_in(page, server)
    page.goto("/settings")
    email = f"new-{uuid.uuid4().hex[:8]}@nexus.test"
    invite = page.get_by_role("form", name="Invite someone")
    invite.get_by_label("Email").fill(email)
    invite.get_by_label("Name").fill("Grace Hopper")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Create invitation").click()

    expect(page.get_by_role("status").filter(has_text="Invitation created")).to_contain_text(email)
    link = page.get_by_role("textbox", name="Invitation link").input_value()
    assert re.fullmatch(re.escape(server.url) + r"/invite/[\w-]{20,}", link), link
    row = page.locator("#users-body tr", has_text=email)
    expect(row).to_contain_text("Member")
    expect(row).to_contain_text("Invited")
    snap(page, "settings-invited")

    # The invitee, in a browser of their own.
    guest = new_context().new_page()
    guest.goto(link)
    expect(guest.get_by_role("heading", name="Join your team")).to_be_visible()
    expect(guest.get_by_label("Your name")).to_be_focused()
    snap(guest, "invite")
    guest.get_by_label("Password").fill("short")
    guest.get_by_role("button", name="Create my account").click()
    expect(guest.get_by_role("alert")).to_contain_text("at least 10 characters")
    snap(guest, "invite-error")

    guest.get_by_label("Password").fill("a-long-enough-password")
    guest.get_by_role("button", name="Create my account").click()
    expect(guest).to_have_url(APPLICATIONS_URL)
    expect(guest.locator("#flashes")).to_contain_text("Your account is ready")
    expect(guest.locator(".topbar__user-name")).to_have_text("Grace Hopper")
    expect(guest.locator(".topbar__role .badge")).to_have_text("Member")
    expect(guest.locator(".topbar__org-name")).to_have_text(server.org_name)

    # The link worked once.
    stranger = new_context().new_page()
    stranger.goto(link)
    stranger.get_by_label("Password").fill("another-long-password")
    stranger.get_by_role("button", name="Create my account").click()
    expect(stranger.get_by_role("alert")).to_contain_text("invalid or has expired")

    # And the invitee can sign in with the password they chose.
    again = new_context().new_page()
    sign_in(again, server, email, "a-long-enough-password")
    page.goto("/settings")
    expect(page.locator("#users-body tr", has_text=email)).not_to_contain_text("Invited")
