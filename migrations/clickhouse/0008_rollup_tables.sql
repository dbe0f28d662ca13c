-- Rollups as tables of their own, read by name, instead of projections the planner looks for.
--
-- ClickHouse (26.9) plans a query on a table with projections by analysing every projection's
-- defining query again, with the old interpreter, whether or not one is picked: about 1 ms
-- of each short query's 4-10. The query layer (app/domain/analytics/queries.py,
-- choose_source) knows which table can answer a panel, so it names that table and the planner
-- has nothing to look for. Measured on chDB 26.9 over the 10M events of bench/queries.py,
-- medians of 40 interleaved runs, projection against table: all events per hour over 24 h
-- 5.9 -> 4.7 ms, per day over 30 days 9.0 -> 7.1, unique users per day over 7 days
-- 31.5 -> 21.3, pageviews by top-5 country per hour over 24 h 12.1 -> 10.2, pageviews of one
-- path per hour over 7 days 15.7 -> 12.5; the panels that read no projection 3-7% faster.
--
-- events_hourly_totals: events_hourly's counts and distinct users summed over events, per
--   application and hour (what the all_events projection held): the "all events" panels merge one state per hour
--   instead of one per event name and hour. Fed from events_hourly by a view on it, so it
--   aggregates the rollup's few rows, not the events again.
-- events_hourly_dims: per application, event, hour and the dimension columns of 0004 (what
--   the hourly_dims projection held), for panels that filter on or break down by them.
--   Event before hour, as in events_hourly: panels choose their events, and then read only
--   those events' rows (pageviews of one path over 7 days 14.1 -> 12.8 ms against hour first).
-- events_hourly_numbers: per application, event, numeric property and hour, the count, sum
--   and a quantile state of its values (number_properties, 0006): sums, averages and
--   percentiles of a property over whole hours read a state per hour instead of every
--   event's map. p95 of the cart price per hour over 24 h 18.3 -> 8.2 ms; the same answers
--   (ClickHouse's quantile keeps up to 8,192 values exactly and samples beyond, read from
--   rows or merged from states alike). 6.5 MiB for the 10M events.
--
-- Views see only rows inserted after they exist: the INSERT ... SELECT statements at the end
-- copy in the rows stored before. They are the only statements here that are not
-- idempotent. Run `nexus migrate` as the release step before the new version ingests: rows
-- another process stores in the moment between a view's creation and its copy would be
-- counted twice (there is no such moment on a first start, where every table is empty). If
-- this file fails after a copy, TRUNCATE the three tables before running it again.
--
-- Like events_hourly, rows with the same key are merged in the background, not at once:
-- always aggregate when reading.

ALTER TABLE events${local} ${on_cluster} DROP PROJECTION IF EXISTS hourly_dims;

ALTER TABLE events_hourly${local} ${on_cluster} DROP PROJECTION IF EXISTS all_events;

CREATE TABLE IF NOT EXISTS events_hourly_totals${local} ${on_cluster}
(
    app_id   UUID,
    org_id   SimpleAggregateFunction(any, UUID),
    hour     DateTime('UTC'),
    events   SimpleAggregateFunction(sum, UInt64),
    users    AggregateFunction(uniq, String)
)
ENGINE = ${replicated}AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_id, hour)
TTL hour + toIntervalDay(${retention_days})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events_hourly_totals ${on_cluster} AS events_hourly_totals_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_hourly_totals_local, cityHash64(app_id));

CREATE TABLE IF NOT EXISTS events_hourly_dims${local} ${on_cluster}
(
    app_id   UUID,
    org_id   SimpleAggregateFunction(any, UUID),
    event    LowCardinality(String),
    hour     DateTime('UTC'),
    path     LowCardinality(String),
    country  LowCardinality(String),
    browser  LowCardinality(String),
    events   SimpleAggregateFunction(sum, UInt64),
    users    AggregateFunction(uniq, String)
)
ENGINE = ${replicated}AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_id, event, hour, path, country, browser)
TTL hour + toIntervalDay(${retention_days})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events_hourly_dims ${on_cluster} AS events_hourly_dims_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_hourly_dims_local, cityHash64(app_id));

CREATE TABLE IF NOT EXISTS events_hourly_numbers${local} ${on_cluster}
(
    app_id    UUID,
    org_id    SimpleAggregateFunction(any, UUID),
    event     LowCardinality(String),
    property  LowCardinality(String),
    hour      DateTime('UTC'),
    -- Events holding the property as a number, their sum, and a state any quantile is
    -- read from (quantileMerge(0.95)).
    events    SimpleAggregateFunction(sum, UInt64),
    total     SimpleAggregateFunction(sum, Float64),
    numbers   AggregateFunction(quantile, Float64)
)
ENGINE = ${replicated}AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_id, event, property, hour)
TTL hour + toIntervalDay(${retention_days})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- @cluster-only
CREATE TABLE IF NOT EXISTS events_hourly_numbers ${on_cluster} AS events_hourly_numbers_local
ENGINE = Distributed('${cluster}', currentDatabase(), events_hourly_numbers_local, cityHash64(app_id));

-- The same node's tables throughout, as events_hourly_mv: an application's events and all
-- its rollups are on one shard.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_totals_mv ${on_cluster}
TO events_hourly_totals${local}
AS SELECT
    app_id,
    any(org_id) AS org_id,
    hour,
    sum(events) AS events,
    uniqMergeState(users) AS users
FROM events_hourly${local}
GROUP BY app_id, hour;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_dims_mv ${on_cluster}
TO events_hourly_dims${local}
AS SELECT
    app_id,
    org_id,
    event,
    toStartOfHour(timestamp) AS hour,
    path,
    country,
    browser,
    count() AS events,
    uniqState(distinct_id) AS users
FROM events${local}
GROUP BY app_id, org_id, event, hour, path, country, browser;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_numbers_mv ${on_cluster}
TO events_hourly_numbers${local}
AS SELECT
    app_id,
    org_id,
    event,
    property,
    toStartOfHour(timestamp) AS hour,
    count() AS events,
    sum(number) AS total,
    quantileState(number) AS numbers
FROM events${local}
ARRAY JOIN mapKeys(number_properties) AS property, mapValues(number_properties) AS number
GROUP BY app_id, org_id, event, property, hour;

-- The copies of what was stored before the views (see the top). Through the Distributed
-- tables on a cluster, so each application's rows land on its shard.
INSERT INTO events_hourly_totals
SELECT app_id, any(org_id), hour, sum(events), uniqMergeState(users)
FROM events_hourly
GROUP BY app_id, hour;

INSERT INTO events_hourly_dims
SELECT app_id, org_id, event, toStartOfHour(timestamp) AS hour, path, country, browser, count(), uniqState(distinct_id)
FROM events
GROUP BY app_id, org_id, event, hour, path, country, browser;

INSERT INTO events_hourly_numbers
SELECT app_id, org_id, event, property, toStartOfHour(timestamp) AS hour, count(), sum(number), quantileState(number)
FROM events
ARRAY JOIN mapKeys(number_properties) AS property, mapValues(number_properties) AS number
GROUP BY app_id, org_id, event, property, hour;
