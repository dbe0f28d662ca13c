"""Detectors: pure functions from polars frames (many applications at once) to findings.

Each returns, per application, the drafts of conditions present now and the fingerprints of
conditions it checked and found absent (their open insights may be resolved). Only the latest
completed bucket(s) decide whether a condition is ongoing: a spike half an hour ago is history,
not a reason to keep an insight open. No I/O here: the scheduler fetches, these judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from app.domain.analytics.anomaly import AnomalyConfig, detect_anomalies_many, explain, since_first_value
from app.domain.insights.schemas import InsightDraft, Severity

# Events per minute: a quiet application's wobble is not worth a person's attention.
VOLUME_CONFIG = AnomalyConfig(sensitivity=4.0, window=60, min_volume=10.0, min_pct_change=0.5)
EVIDENCE_POINTS = 60
LATENCY_P95_MS = 1000.0
# A p95 over the target is reported only when that many requests over it (signals'
# slow_recent) would rarely come by chance if the true p95 were at the target, i.e. if 5%
# were: over 20 requests the p95 is about the slowest one, and one slow request is no trend.
LATENCY_CHANCE = 0.01
LATENCY_REGRESSION = 1.5  # recent p95 over baseline p95
LATENCY_MIN_DELTA_MS = 200.0
ERROR_RATE = 0.05
ERROR_REGRESSION = 2.0
# Errors are reported on weaker evidence than a conversion drop (see CONVERSION_CHANCE): they
# cost more to miss, and the share must still be over the threshold or twice the baseline.
ERROR_CHANCE = 0.01
MIN_REQUESTS = 20  # recent requests needed to judge latency or errors
CONVERSION_DROP = 0.5  # recent conversion below this share of its baseline
CONVERSION_RECOVERED = 0.7  # ...and back above this share to count as recovered (no flapping)
MIN_FUNNEL_USERS = 30
# A conversion drop is reported only when so few conversions (or fewer) would come by chance,
# at the usual rate, less often than this: about once in four months of hourly checks. The
# share alone misleads on small hours: 0 sign-ups from 30 visitors at a usual 4.5% happens one
# hour in four.
CONVERSION_CHANCE = 0.001

VOLUME_FINGERPRINTS = ("volume:spike", "volume:drop")


@dataclass
class Findings:
    drafts: list[InsightDraft] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)


Verdicts = dict[str, Findings]


def merge(*verdicts: Verdicts) -> Verdicts:
    merged: Verdicts = {}
    for verdict in verdicts:
        for app_id, findings in verdict.items():
            into = merged.setdefault(app_id, Findings())
            into.drafts += findings.drafts
            into.recovered += findings.recovered
    return merged


def confidence(score: float, threshold: float) -> float:
    """0.5 right at the threshold, approaching 0.99 as the evidence grows (|score| = 10x -> 0.95)."""
    if threshold <= 0 or abs(score) <= threshold:
        return 0.5
    return round(min(0.99, 1.0 - 0.5 * threshold / abs(score)), 3)


def evidence(rows: pl.DataFrame) -> list[dict[str, Any]]:
    tail = rows.tail(EVIDENCE_POINTS)
    keep = [c for c in ("t", "value", "expected", "lower", "upper", "anomaly") if c in tail.columns]
    out = []
    for row in tail.select(keep).iter_rows(named=True):
        row["t"] = row["t"].isoformat()
        for key in ("value", "expected", "lower", "upper"):
            if row.get(key) is not None:
                row[key] = round(float(row[key]), 3)
        out.append(row)
    return out


def fill_minutes(frame: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """`frame` (app_id, t: Datetime[ms, UTC], value) with every minute in [start, end) present
    per app (0 where none): an empty minute is a zero, and a zero is evidence."""
    if frame.is_empty():
        return frame
    grid = pl.datetime_range(start, end, "1m", closed="left", time_unit="ms", time_zone="UTC", eager=True).alias("t")
    apps = frame.select("app_id").unique()
    full = apps.join(grid.to_frame(), how="cross")
    return (
        full.join(frame, on=["app_id", "t"], how="left")
        .with_columns(pl.col("value").fill_null(0).cast(pl.Float64))
        .sort(["app_id", "t"])
    )


def _volume_severity(pct: float, value: float) -> Severity:
    if value == 0:
        return "critical"
    if pct >= 3 or pct <= -0.8:
        return "high"
    if abs(pct) >= 1 or pct <= -0.5:
        return "medium"
    return "low"


def volume(frame: pl.DataFrame, config: AnomalyConfig = VOLUME_CONFIG) -> Verdicts:
    """Spikes, drops and traffic stopping, on events per minute.

    `frame`: app_id, t (minute, UTC), value — complete minutes only, zeros filled, sorted."""
    if frame.is_empty():
        return {}
    scored = detect_anomalies_many(since_first_value(frame, "app_id"), config, interval_s=60, by="app_id")
    # A count is never below zero: a band reaching under it ("-10 to 38") says nothing.
    scored = scored.with_columns(pl.col("lower").clip(lower_bound=0.0))
    method = explain(config, 60)
    verdicts: Verdicts = {}
    for (app_id,), rows in scored.group_by(["app_id"], maintain_order=True):
        last = rows.row(-1, named=True)
        findings = verdicts.setdefault(str(app_id), Findings())
        if last["expected"] is None or not last["anomaly"]:
            findings.recovered += VOLUME_FINGERPRINTS  # warm-up or normal: nothing ongoing
            continue
        value, expected, score = float(last["value"]), float(last["expected"]), float(last["score"] or 0)
        pct = (value - expected) / max(expected, 1.0)
        spike = score > 0
        when = last["t"].strftime("%H:%M UTC")
        band = f"{last['lower']:.0f} to {last['upper']:.0f}"
        data = {
            "metric": "events_per_minute",
            "value": value,
            "baseline": round(expected, 3),
            "lower": last["lower"],
            "upper": last["upper"],
            "score": round(score, 3),
            "change_pct": round(100 * pct, 1),
            "detector": last["detector"],
            "method": method,
            "at": last["t"].isoformat(),
            "series": evidence(rows),
        }
        if spike:
            draft = InsightDraft(
                fingerprint="volume:spike",
                type="business",
                severity=_volume_severity(pct, value),
                title=f"Event volume spiked to {value:,.0f}/min ({pct:+.0%})",
                description=(
                    f"In the minute from {when} the application recorded {value:,.0f} events, against an "
                    f"expected {expected:,.0f} (band {band}); robust score {score:.1f}."
                ),
                recommendation=(
                    "Check whether a campaign, a release or a bot explains the traffic; if it is a bot, "
                    "block it at the edge and filter it from reports."
                ),
                confidence=confidence(score, config.sensitivity),
                impact=f"{value - expected:,.0f} more events per minute than usual",
                data=data,
            )
            findings.recovered.append("volume:drop")
        else:
            stopped = value == 0
            draft = InsightDraft(
                fingerprint="volume:drop",
                type="technical",
                severity=_volume_severity(pct, value),
                title="Traffic stopped" if stopped else f"Event volume dropped to {value:,.0f}/min ({pct:+.0%})",
                description=(
                    f"In the minute from {when} the application recorded {value:,.0f} events, against an "
                    f"expected {expected:,.0f} (band {band}); robust score {score:.1f}."
                ),
                recommendation=(
                    "Check that the application is up and that its tracking snippet or SDK still sends events "
                    "(a release may have removed it, or the ingest key may have been rotated)."
                ),
                confidence=confidence(score, config.sensitivity),
                impact=f"{expected - value:,.0f} fewer events per minute than usual",
                data=data,
            )
            findings.recovered.append("volume:spike")
        findings.drafts.append(draft)
    return verdicts
