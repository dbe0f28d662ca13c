"""saq tasks of discovery (registered in app/worker.py)."""

from __future__ import annotations

from app.domain.discovery.runner import run_discovery

__all__ = ["run_discovery"]
