"""A sparkline: a few numbers as the points of an SVG polyline, drawn inline by
components/sparkline.html (no chart library: a table may hold hundreds)."""

from __future__ import annotations

WIDTH, HEIGHT, PAD = 96.0, 24.0, 2.0


def points(values: list[int] | list[float]) -> str:
    """The polyline's points over WIDTH x HEIGHT (y grows downwards), the largest value at the
    top and zero at the bottom; all zeros is a flat line at the bottom."""
    if not values:
        return ""
    top = max(max(values), 0) or 1
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - (max(value, 0) / top) * (HEIGHT - 2 * PAD):.1f}"
        for i, value in enumerate(values)
    )
