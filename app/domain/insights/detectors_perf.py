"""Request detectors over performance_metrics: slow endpoints (p95) and error rates (5xx).

Input frames (built by the scheduler, many applications at once):
- `summary`: app_id, method, endpoint, n_recent, p95_recent, err_recent, n_base, p95_base,
  err_base — the last few complete minutes ("recent") against the hours before ("base");
- `series`: app_id, method, endpoint, t (minute), requests, errors, p95 — evidence only.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from scipy.stats import binom

from app.domain.insights.detectors import (
    ERROR_CHANCE,
    ERROR_RATE,
    ERROR_REGRESSION,
    LATENCY_CHANCE,
    LATENCY_MIN_DELTA_MS,
    LATENCY_P95_MS,
    LATENCY_REGRESSION,
    MIN_REQUESTS,
    Findings,
    Verdicts,
    confidence,
    evidence,
)
from app.domain.insights.schemas import InsightDraft, Severity

ERRORS_FINGERPRINT = "errors:rate"


def latency_fingerprint(method: str, endpoint: str) -> str:
    return f"latency:{method} {endpoint}"


def _series(series: pl.DataFrame | None, app_id: str, column: str, **key: str) -> list[dict[str, Any]]:
    if series is None or series.is_empty():
        return []
    rows = series.filter(pl.col("app_id") == app_id)
    for name, value in key.items():
        rows = rows.filter(pl.col(name) == value)
    if column == "error_rate":
        rows = rows.group_by("t").agg(
            (pl.col("errors").sum() / pl.col("requests").sum().clip(lower_bound=1)).alias("value")
        )
    else:
        rows = rows.select("t", pl.col(column).alias("value"))
    return evidence(rows.sort("t"))


def _latency_severity(p95: float, threshold: float) -> Severity:
    if p95 >= 5 * threshold:
        return "critical"
    if p95 >= 2 * threshold:
        return "high"
    if p95 >= threshold:
        return "medium"
    return "low"


def latency(
    summary: pl.DataFrame, series: pl.DataFrame | None = None, *, threshold_ms: float = LATENCY_P95_MS
) -> Verdicts:
    """p95 per endpoint over `threshold_ms` (with `slow_recent` requests over it as evidence:
    signals.request_summary counts them against LATENCY_P95_MS, the default), or regressed
    against its own baseline."""
    verdicts: Verdicts = {}
    for row in summary.iter_rows(named=True):
        if (row["n_recent"] or 0) < MIN_REQUESTS or row["p95_recent"] is None:
            continue  # too few requests to say anything either way
        app_id, method, endpoint = str(row["app_id"]), row["method"], row["endpoint"]
        findings = verdicts.setdefault(app_id, Findings())
        fingerprint = latency_fingerprint(method, endpoint)
        p95 = float(row["p95_recent"])
        base = float(row["p95_base"]) if row["p95_base"] is not None and (row["n_base"] or 0) >= MIN_REQUESTS else None
        over = p95 > threshold_ms
        regressed = base is not None and p95 > LATENCY_REGRESSION * base and p95 - base > LATENCY_MIN_DELTA_MS
        if not (over or regressed):
            findings.recovered.append(fingerprint)
            continue
        # Too few slow requests to tell from chance neither opens an insight nor resolves one.
        over = over and binom.sf((row["slow_recent"] or 0) - 1, row["n_recent"], 0.05) < LATENCY_CHANCE
        if not (over or regressed):
            continue
        reference = base if base is not None else threshold_ms
        ratio = p95 / max(reference, 1.0)
        severity = _latency_severity(p95, threshold_ms) if over else ("medium" if ratio >= 2 else "low")
        because = f"over the {threshold_ms:,.0f} ms target" if over else f"{ratio:.1f} times its baseline"
        findings.drafts.append(
            InsightDraft(
                fingerprint=fingerprint,
                type="performance",
                severity=severity,
                title=f"{method} {endpoint} is slow: p95 {p95:,.0f} ms",
                description=(
                    f"In the last few minutes {row['n_recent']:,} requests to {method} {endpoint} had a p95 latency of "
                    f"{p95:,.0f} ms, {because}" + (f" (baseline p95 {base:,.0f} ms)." if base is not None else ".")
                ),
                recommendation=(
                    "Look at what changed on this endpoint (release, query plan, a slow dependency); profile a slow "
                    "request and add an index or a cache where it waits."
                ),
                confidence=confidence(ratio, LATENCY_REGRESSION if regressed else 1.0),
                impact=f"{row['n_recent']:,} requests in the window, "
                + (f"p95 {p95 - base:,.0f} ms over its baseline" if base is not None else f"p95 {p95:,.0f} ms"),
                data={
                    "metric": "p95_ms",
                    "method": method,
                    "endpoint": endpoint,
                    "value": round(p95, 1),
                    "baseline": round(base, 1) if base is not None else None,
                    "threshold_ms": threshold_ms,
                    "requests": row["n_recent"],
                    "score": round(ratio, 3),
                    "detector": "p95_threshold" if over else "p95_regression",
                    "series": _series(series, app_id, "p95", method=method, endpoint=endpoint),
                },
            )
        )
    return verdicts


def _error_severity(rate: float) -> Severity:
    if rate >= 0.25:
        return "critical"
    if rate >= 0.10:
        return "high"
    if rate >= ERROR_RATE:
        return "medium"
    return "low"


def error_rate(summary: pl.DataFrame, series: pl.DataFrame | None = None, *, threshold: float = ERROR_RATE) -> Verdicts:
    """The application's share of 5xx responses over `threshold`, or regressed vs its baseline."""
    if summary.is_empty():
        return {}
    per_app = summary.group_by("app_id").agg(
        pl.col("n_recent").sum(), pl.col("err_recent").sum(), pl.col("n_base").sum(), pl.col("err_base").sum()
    )
    verdicts: Verdicts = {}
    for row in per_app.iter_rows(named=True):
        if (row["n_recent"] or 0) < MIN_REQUESTS:
            continue
        app_id = str(row["app_id"])
        findings = verdicts.setdefault(app_id, Findings())
        errors, requests = row["err_recent"], row["n_recent"]
        rate = errors / requests
        base = row["err_base"] / row["n_base"] if (row["n_base"] or 0) >= MIN_REQUESTS else None
        over = rate > threshold
        regressed = base is not None and rate > ERROR_REGRESSION * base and rate - base > 0.02
        if not (over or regressed):
            findings.recovered.append(ERRORS_FINGERPRINT)
            continue
        # A share needs evidence too: that many failures must rarely come by chance at the
        # threshold (or the baseline). 2 of 20 is 10%, but happens one window in four at 5%.
        # Too little to tell either way neither opens an insight nor resolves one.
        over = over and binom.sf(errors - 1, requests, threshold) < ERROR_CHANCE
        regressed = regressed and base is not None and binom.sf(errors - 1, requests, base) < ERROR_CHANCE
        if not (over or regressed):
            continue
        findings.drafts.append(
            InsightDraft(
                fingerprint=ERRORS_FINGERPRINT,
                type="technical",
                severity=_error_severity(rate),
                title=f"Server errors at {rate:.1%} of requests",
                description=(
                    f"{row['err_recent']:,} of the last {row['n_recent']:,} requests failed with a 5xx status"
                    + (f", against {base:.1%} before." if base is not None else ".")
                ),
                recommendation=(
                    "Open the failing endpoints' logs; roll back the latest release if the errors started with it, "
                    "and check the health of the databases and services they call."
                ),
                confidence=confidence(rate / max(base or threshold, 1e-6), ERROR_REGRESSION if regressed else 1.0),
                impact=f"{row['err_recent']:,} failed requests in the window",
                data={
                    "metric": "error_rate",
                    "value": round(rate, 4),
                    "baseline": round(base, 4) if base is not None else None,
                    "threshold": threshold,
                    "requests": row["n_recent"],
                    "errors": row["err_recent"],
                    "score": round(rate / max(base or threshold, 1e-6), 3),
                    "detector": "error_rate_threshold" if over else "error_rate_regression",
                    "series": _series(series, app_id, "error_rate"),
                },
            )
        )
    return verdicts
