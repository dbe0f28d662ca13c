"""Realistic synthetic events for the ingestion benchmarks, and the wrk script that sends them.

Every event carries a client-chosen `uuid` (as the browser tracker does), so the server's
de-duplication ("is any of these uuids already stored?") runs on every flush, as in production.
wrk cannot run Python, and pre-generated bodies sent over and over would repeat their uuids:
every flush after the first would find all its rows already stored and insert nothing. So each
body is a template whose uuids start with MARKER, and the wrk script puts a per-request counter
there (run, thread and request number, 8 hex digits): every event of the whole run has its own
uuid. Likewise each timestamp is TIME_MARKER plus milliseconds, and the script writes the
current UTC second there: events are stamped when they are sent, as an SDK stamps them, not
all within one minute of when the templates were made.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MARKER = "@@@@@@@@"  # the first 8 hex digits of each uuid, filled in per request
TIME_MARKER = "~" * 19  # YYYY-MM-DDTHH:MM:SS of each timestamp, filled in per request
PATHS = ["/", "/pricing", "/docs/getting-started", "/blog/launch-week", "/signup", "/checkout", "/account/settings"]
REFERRERS = ["https://www.google.com/", "https://news.ycombinator.com/", "https://twitter.com/", "", "direct"]
BROWSERS = [("Chrome", "macOS"), ("Safari", "iOS"), ("Firefox", "Windows"), ("Chrome", "Android"), ("Edge", "Windows")]
EVENTS = ["pageview"] * 12 + ["click"] * 4 + ["signup", "login", "purchase", "search", "error"]


def _properties(rng: random.Random, event: str) -> dict[str, Any]:
    browser, os_name = rng.choice(BROWSERS)
    props: dict[str, Any] = {
        "path": rng.choice(PATHS),
        "referrer": rng.choice(REFERRERS),
        "browser": browser,
        "os": os_name,
        "screen": rng.choice(["1440x900", "390x844", "1920x1080"]),
        "utm_source": rng.choice(["newsletter", "ads", "organic"]),
        "locale": rng.choice(["en-US", "de-DE", "fr-FR", "ja-JP"]),
    }
    if event == "purchase":
        props["revenue"] = round(rng.uniform(5, 500), 2)
    elif event == "click":
        props["element"] = rng.choice(["cta-primary", "nav-pricing", "footer-docs"])
    return props


def event(rng: random.Random, uuid_text: str) -> dict[str, Any]:
    name = rng.choice(EVENTS)
    return {
        "event": name,
        "distinct_id": f"user_{rng.randrange(50_000):05d}",
        "session_id": f"s_{rng.getrandbits(48):012x}",
        "timestamp": f"{TIME_MARKER}.{rng.randrange(1000):03d}Z",
        "uuid": uuid_text,
        "properties": _properties(rng, name),
    }


def templated_uuid(rng: random.Random) -> str:
    """A version-4 uuid whose first 8 hex digits are MARKER."""
    tail = str(uuid.UUID(int=rng.getrandbits(128), version=4))[8:]
    return MARKER + tail


def batch_templates(count: int, size: int, seed: int = 1) -> list[str]:
    """`count` bodies of `size` events each for POST /v1/events/batch, uuids templated."""
    rng = random.Random(seed)
    return [
        json.dumps({"events": [event(rng, templated_uuid(rng)) for _ in range(size)]}, separators=(",", ":"))
        for _ in range(count)
    ]


def single_templates(count: int, seed: int = 2) -> list[str]:
    """`count` bodies of one event each for POST /v1/events, uuid templated."""
    rng = random.Random(seed)
    return [json.dumps(event(rng, templated_uuid(rng)), separators=(",", ":")) for _ in range(count)]


def fill(template: str, prefix: int) -> str:
    """A template with its uuids and times made concrete (as the wrk script does)."""
    second = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return template.replace(MARKER, f"{prefix:08x}").replace(TIME_MARKER, second)


def write_templates(directory: Path, templates: list[str]) -> Path:
    """Templates as files body1.json … bodyN.json; returns the path prefix the script takes."""
    for number, text in enumerate(templates, start=1):
        (directory / f"body{number}.json").write_text(text)
    return directory / "body"


# Posts the templates in turn; per request, MARKER becomes run (3 bits), thread (4 bits) and
# request number (24 bits) in hex, so no two events of a benchmark share a uuid, and
# TIME_MARKER the current UTC second. Counts as
# acknowledged only events a 200 answer accepted. Arguments: run number, templates' path
# prefix, how many templates, ingest key. `done` writes one JSON line.
WRK_SCRIPT = r"""
local threads = {}
local templates = {}
local base, counter = 0, 0
ok, failed, accepted, last_status = 0, 0, 0, 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local run, prefix, count = tonumber(args[1]), args[2], tonumber(args[3])
  for i = 1, count do
    local f = assert(io.open(prefix .. i .. ".json", "rb"))
    local text = f:read("*a")
    f:close()
    -- pieces: literal text, with 1 where an id goes and 2 where the time goes
    local pieces, pos = {}, 1
    while true do
      local s = string.find(text, "[@~]", pos)
      if not s then
        pieces[#pieces + 1] = text:sub(pos)
        break
      end
      local marker = text:sub(s, s) == "@" and 1 or 2
      pieces[#pieces + 1] = text:sub(pos, s - 1)
      pieces[#pieces + 1] = marker
      pos = s + (marker == 1 and 8 or 19)
    end
    templates[i] = pieces
  end
  base = run * 0x10000000 + id * 0x1000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = args[4]
end

function request()
  counter = counter + 1
  local pieces = templates[counter % #templates + 1]
  local id, now, parts = string.format("%08x", base + counter), os.date("!%Y-%m-%dT%H:%M:%S"), {}
  for i = 1, #pieces do
    local piece = pieces[i]
    parts[i] = piece == 1 and id or piece == 2 and now or piece
  end
  return wrk.format(nil, nil, nil, table.concat(parts))
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    accepted = accepted + (tonumber(string.match(body, '"accepted":(%d+)')) or 0)
  else
    failed = failed + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local t_ok, t_failed, t_accepted, t_status = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_failed = t_failed + thread:get("failed")
    t_accepted = t_accepted + thread:get("accepted")
    local s = thread:get("last_status")
    if s ~= 0 then t_status = s end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, "ok": %d, "failed": %d, ' ..
    '"accepted": %d, "last_failed_status": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), t_ok, t_failed,
    t_accepted, t_status, e.connect + e.read + e.write + e.timeout))
end
"""
