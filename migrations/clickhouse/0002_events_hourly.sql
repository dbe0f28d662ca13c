-- Hourly rollup of events per (application, event): counts, distinct users, revenue.
-- Fed by a materialized view at insert time, so per-event time series at hour or day
-- interval read a few rows per hour instead of the raw events.
--
-- Rows with the same key are merged in the background, not at once: always aggregate
-- when reading, e.g.
--   SELECT hour, sum(events), uniqMerge(users), sum(revenue) FROM events_hourly
--   WHERE app_id = ... AND event = ... AND hour >= ... GROUP BY hour ORDER BY hour
-- uniqMerge over several hours gives the distinct users of the whole range (approximate),
-- which is why users is an aggregate state and not a number.

CREATE TABLE IF NOT EXISTS events_hourly${local} ${on_cluster}
(
    app_id   UUID,
    -- Determined by app_id, so whichever value a merge keeps is right; an aggregate
    -- measure because a plain column outside the sorting key is refused by recent
    -- ClickHouse (allow_dimensions_outside_sorting_key). Filter on it like a UUID.
    org_id   SimpleAggregateFunction(any, UUID),
    event    LowCardinality(String),
    hour     DateTime('UTC'),
    events   SimpleAggregateFunction(sum, UInt64),
    users    AggregateFunction(uniq, String),
    revenue  SimpleAggregateFunction(sum, Float64)
)
ENGINE = ${replicated}AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_id, event, hour)
TTL hour + toIntervalDay(${retention_days})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events_hourly ${on_cluster} AS events_hourly_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_hourly_local, cityHash64(app_id));

-- Runs on each node against the inserts into that node's events storage table and
-- writes into the same node's rollup; the two share a sharding key, so an application's
-- rollup is on the shard that holds its events. It sees only rows inserted after it was
-- created (events already stored are not backfilled).
CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_mv ${on_cluster}
TO events_hourly${local}
AS SELECT
    app_id,
    org_id,
    event,
    toStartOfHour(timestamp) AS hour,
    count() AS events,
    uniqState(distinct_id) AS users,
    sum(revenue) AS revenue
FROM events${local}
GROUP BY app_id, org_id, event, hour;
