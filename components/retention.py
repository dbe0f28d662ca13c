"""The retention panel: a cohort-by-week table coloured like a heatmap.

Input is analytics.retention.matrix()'s frame (cohort, week, size, users, percent). The
view model is a real table (one row per cohort, one column per week), so it reads well
with a screen reader and needs no script; each cell's shade follows its percentage.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from app.domain.analytics import retention
from components.charts import format_value

# Cells this dark or darker get light text (the shade is --accent mixed over the surface).
STRONG_LEVEL = 55


def _percent_text(value: float | None) -> str:
    return "-" if value is None else format_value(value, False) + "%"


def level(percent: float | None) -> int:
    """The cell's shade, 0-100 (% of --accent over the surface); 0 for unknown."""
    if percent is None:
        return 0
    # Week 0 is always 100%: keep it strong but let later weeks use the scale's range.
    return max(4, min(90, round(percent * 0.9)))


def view(frame: pl.DataFrame) -> dict[str, Any]:
    """Headings, one row per cohort (oldest first) with its cells, and the average row."""
    rows = retention.to_rows(frame)
    weeks = retention.week_count(frame)
    cohorts = []
    for row in rows.iter_rows(named=True):
        cells = []
        for week, (users, percent) in enumerate(zip(row["users"], row["percent"], strict=True)):
            shade = level(percent) if users is not None else 0
            cells.append(
                {
                    "text": "" if users is None else _percent_text(percent),
                    "users": users,
                    "title": "Not yet"
                    if users is None
                    else f"{format_value(users, True)} of {format_value(row['size'], True)} people in week {week}",
                    "level": shade,
                    "strong": shade >= STRONG_LEVEL,
                    "future": users is None,
                }
            )
        cohorts.append(
            {
                "cohort": row["cohort"].strftime("%b %d"),
                "cohort_iso": row["cohort"].isoformat(),
                "size": format_value(row["size"], True),
                "cells": cells,
            }
        )
    average = [_percent_text(value) for value in retention.average_percent(frame)]
    return {
        "weeks": [f"Week {w}" for w in range(weeks)],
        "rows": cohorts,
        "average": average,
        "empty": not any(row["size"] for row in rows.iter_rows(named=True)),
    }


def summary(frame: pl.DataFrame) -> str:
    """Retention in words: cohorts, people, and the average return rate per week."""
    sizes = retention.to_rows(frame)["size"] if frame.height else pl.Series([], dtype=pl.Int64)
    people = int(sizes.sum() or 0)
    if people == 0:
        return "Retention: nobody was seen for the first time in these weeks."
    average = retention.average_percent(frame)
    weeks = "; ".join(f"week {w}: {_percent_text(v)}" for w, v in enumerate(average) if w > 0 and v is not None)
    return f"Retention of {format_value(people, True)} people in {sizes.len()} weekly cohorts. Average return {weeks}."
