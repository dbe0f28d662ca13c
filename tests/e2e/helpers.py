"""What the browser tests share: signing in and light/dark screenshots."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

APPLICATIONS_URL = re.compile(r"/applications$")


@dataclass
class Server:
    url: str
    admin_email: str
    admin_password: str
    org_name: str
    log_path: Path
    data_dir: Path
    env: dict[str, str]

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        """A JSON call to the server without any browser state (no cookies)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own test server
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def admin_token(self) -> str:
        status, body = self.api(
            "POST", "/v1/auth/token", body={"email": self.admin_email, "password": self.admin_password}
        )
        assert status == 200, body
        return str(body["access_token"])


_SET_THEME = """theme => {
  if (theme) document.documentElement.setAttribute("data-theme", theme);
  else document.documentElement.removeAttribute("data-theme");
}"""


def sign_in(page: Any, server: Server, email: str | None = None, password: str | None = None) -> None:
    """Sign in through the form and wait for the applications page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email or server.admin_email)
    page.get_by_label("Password").fill(password or server.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(APPLICATIONS_URL)


def snap(page: Any, name: str) -> None:
    """Full-page screenshots of the current page in the light and the dark theme, into
    test-artifacts/screenshots/<name>-light.png and -dark.png; the page is left as it was."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.evaluate("() => document.documentElement.getAttribute('data-theme')")
    for theme in ("light", "dark"):
        page.evaluate(_SET_THEME, theme)
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{theme}.png"), full_page=True, animations="disabled", caret="hide"
        )
    page.evaluate(_SET_THEME, before)
