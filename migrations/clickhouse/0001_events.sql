-- Raw product events.
--
-- Rendered by app/engines/migrations.py (string.Template): write a literal dollar sign
-- doubled, and end a line with a semicolon only at the end of a statement. Every
-- statement is idempotent (IF NOT EXISTS): ClickHouse DDL is not transactional and a file
-- that failed half-way is run again from the top.
--
-- Single node: the storage table is named events. Cluster: events_local on every node
-- (Replicated) plus the Distributed table events over them, sharded by app_id so each
-- application's rows, and its hourly rollups, live on one shard.

CREATE TABLE IF NOT EXISTS events${local} ${on_cluster}
(
    app_id       UUID,
    org_id       UUID,
    -- Client-supplied (or generated) id; a retried batch is filtered against it by the writer.
    uuid         UUID,
    event        LowCardinality(String),
    distinct_id  String,
    session_id   String,
    timestamp    DateTime64(3, 'UTC'),
    received_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    -- Raw JSON object, queried with JSONExtract*.
    properties   String CODEC(ZSTD(3)),
    -- Extracted once at insert for the properties dashboards hit most. MATERIALIZED
    -- columns are not in SELECT * and must not be sent on insert.
    path         String MATERIALIZED JSONExtractString(properties, 'path'),
    revenue      Float64 MATERIALIZED JSONExtractFloat(properties, 'revenue'),
    -- The writer's "which of these uuids are already stored" lookup on retries.
    INDEX idx_uuid uuid TYPE bloom_filter(0.01) GRANULARITY 1,
    -- Skips granules without the event asked for, where the sort key cannot
    -- (a small application whose granules span many hours).
    INDEX idx_event event TYPE set(256) GRANULARITY 1
)
ENGINE = ${replicated}MergeTree
PARTITION BY toYYYYMM(timestamp)
-- Sort key: application, then hour, then event.
-- * Hour before event. Most reads of raw events are one application over a recent time
--   range across all events: the minute chart and live backfill on every dashboard open,
--   anomalies over event = '*', and the writer's "already stored?" uuid lookup on every
--   ingest batch. Time-first reads just those hours. Event-first must visit every event
--   name's run, at least one granule per name, so its cost grows with the number of names.
--   What event-first does better (one event over weeks) is served by events_hourly, ordered
--   (app_id, event, hour), and within an hour the event still narrows the read. Measured
--   on chDB 26.9 (one app, 6M events, 300 names, 30 days), granules read time-first vs
--   event-first: all events last hour 2 vs 203, last 24h 23 vs 219, one rare event over
--   30 days 660 vs 2, a 7-day 3-event funnel 155 vs 18.
-- * No trailing raw timestamp column. With timestamp itself later in the key, ClickHouse
--   (26.9, measured) binds a timestamp range to that column and never derives the range
--   on toStartOfHour(timestamp), so nothing is pruned by time at all: every granule of the
--   application is read, whichever of hour or event comes second. Keep it out.
ORDER BY (app_id, toStartOfHour(timestamp), event)
-- Parts are dropped whole when all their rows have expired instead of being rewritten
-- by TTL merges: with monthly partitions a row can outlive retention_days by up to a month.
TTL toDateTime(timestamp) + toIntervalDay(${retention_days})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events ${on_cluster} AS events_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_local, cityHash64(app_id));
