"""Sparkline points: the largest value at the top, zero at the bottom, one point per value."""

from __future__ import annotations

from components.sparkline import HEIGHT, PAD, WIDTH, points


def _pairs(text: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in text.split())]


def test_the_largest_value_is_at_the_top_and_zero_at_the_bottom() -> None:
    drawn = _pairs(points([0, 5, 10, 5]))
    assert [y for _, y in drawn] == [HEIGHT - PAD, HEIGHT / 2, PAD, HEIGHT / 2]
    assert (drawn[0][0], drawn[-1][0]) == (PAD, WIDTH - PAD)


def test_nothing_at_all_is_a_flat_line_at_the_bottom_and_no_values_no_line() -> None:
    assert {y for _, y in _pairs(points([0] * 24))} == {HEIGHT - PAD}
    assert points([]) == ""
