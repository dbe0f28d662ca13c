"""Conversion detector: the pageview → signup → purchase funnel against its own baseline.

Input `funnel`: app_id, viewers_recent, signups_recent, buyers_recent, viewers_base,
signups_base, buyers_base — distinct users per step over the latest settled hour ("recent":
the hour ending half an hour ago, see scheduler.FUNNEL_SETTLE) and the hours before it
("base"). A step's conversion is its users over the previous step's users.
"""

from __future__ import annotations

import polars as pl
from scipy.stats import binom

from app.domain.insights.detectors import (
    CONVERSION_CHANCE,
    CONVERSION_DROP,
    CONVERSION_RECOVERED,
    MIN_FUNNEL_USERS,
    Findings,
    Verdicts,
    confidence,
)
from app.domain.insights.schemas import InsightDraft

# (step, users before it, users reaching it, wording)
STEPS = (
    ("signup", "viewers", "signups", "visitors who sign up"),
    ("purchase", "signups", "buyers", "new sign-ups who buy"),
)


def conversion(funnel: pl.DataFrame) -> Verdicts:
    verdicts: Verdicts = {}
    for row in funnel.iter_rows(named=True):
        app_id = str(row["app_id"])
        for step, before, after, wording in STEPS:
            entered, base_entered = row[f"{before}_recent"] or 0, row[f"{before}_base"] or 0
            if entered < MIN_FUNNEL_USERS or base_entered < MIN_FUNNEL_USERS or not row[f"{after}_base"]:
                continue  # not enough people to tell a drop from chance
            findings = verdicts.setdefault(app_id, Findings())
            fingerprint = f"conversion:{step}"
            rate = (row[f"{after}_recent"] or 0) / entered
            base = row[f"{after}_base"] / base_entered
            ratio = rate / base
            if ratio >= CONVERSION_DROP:
                if ratio >= CONVERSION_RECOVERED:
                    findings.recovered.append(fingerprint)
                continue
            converted = row[f"{after}_recent"] or 0
            if binom.cdf(converted, entered, base) >= CONVERSION_CHANCE:
                continue  # this few would convert by chance now and then at the usual rate

            shortfall = max(base * entered - converted, 0)
            findings.drafts.append(
                InsightDraft(
                    fingerprint=fingerprint,
                    type="business",
                    severity="high" if ratio < 0.25 else "medium",
                    title=f"{step.capitalize()} conversion fell to {rate:.1%} (usually {base:.1%})",
                    description=(
                        f"In the hour to half an hour ago {rate:.1%} of {wording} converted "
                        f"({converted:,} of {entered:,}), against {base:.1%} in the hours before."
                    ),
                    recommendation=(
                        f"Walk through the {step} flow yourself on the latest release; check its form, "
                        "payment provider and error events for what blocks people."
                    ),
                    confidence=confidence(1 / max(ratio, 1e-3), 1 / CONVERSION_DROP),
                    impact=f"about {shortfall:,.0f} fewer {step}s in an hour",
                    data={
                        "metric": f"{step}_conversion",
                        "value": round(rate, 4),
                        "baseline": round(base, 4),
                        "entered": entered,
                        "converted": converted,
                        "score": round(ratio, 3),
                        "detector": "funnel_baseline",
                        "series": [],
                    },
                )
            )
    return verdicts
