"""The signed-in shell's entry points and the sections later capabilities fill in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from app.core.auth import Permission, requires
from app.core.pages import redirect, render

# Sections whose capabilities land in later issues: each shows an empty state that says
# what it will hold and what to do first.
SECTIONS = {
    "commands": (
        "Commands",
        "Ask questions in plain words, like “conversion rate of the web app last week”.",
        "Connect an application first so there is something to ask about.",
    ),
    "support": (
        "Support",
        "Support conversations and their resolutions will be listed here.",
        "Connect an application first.",
    ),
}


class ShellPages(Controller):
    include_in_schema = False
    guards = [requires(Permission.READ)]

    @get("/")
    async def home(self) -> Redirect:
        return redirect("/applications")

    @get([f"/{name}" for name in SECTIONS])
    async def section(self, request: Request[Any, Any, Any]) -> Template:
        section = request.url.path.strip("/")
        title, text, hint = SECTIONS[section]
        return render(request, "pages/section.html", nav=section, title=title, text=text, hint=hint)
