-- The revenue columns nothing reads any more, and the work each insert did for them.
--
-- Sums of revenue are answered like those of any numeric property: from number_properties,
-- or over whole hours from events_hourly_numbers (0008). So the MATERIALIZED column
-- events.revenue (0001, 0007) and events_hourly.revenue, summed by events_hourly_mv at every
-- insert, are written and never read.
--
-- The view's query is replaced in place (MODIFY QUERY), so no insert passes between two
-- views; then the columns go, the view first no longer reading them. The dimension columns'
-- shared JSON expression stops extracting revenue; parts written before keep their stored
-- values.

ALTER TABLE events_hourly_mv ${on_cluster}
    MODIFY QUERY
    SELECT
        app_id,
        org_id,
        event,
        toStartOfHour(timestamp) AS hour,
        count() AS events,
        uniqState(distinct_id) AS users
    FROM events${local}
    GROUP BY app_id, org_id, event, hour;

ALTER TABLE events_hourly${local} ${on_cluster} DROP COLUMN IF EXISTS revenue;

-- @cluster-only
ALTER TABLE events_hourly ${on_cluster} DROP COLUMN IF EXISTS revenue;

ALTER TABLE events${local} ${on_cluster}
    DROP COLUMN IF EXISTS revenue,
    MODIFY COLUMN path LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'path'),
    MODIFY COLUMN country LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'country'),
    MODIFY COLUMN browser LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'browser');

-- @cluster-only
ALTER TABLE events ${on_cluster}
    DROP COLUMN IF EXISTS revenue,
    MODIFY COLUMN path LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'path'),
    MODIFY COLUMN country LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'country'),
    MODIFY COLUMN browser LowCardinality(String) MATERIALIZED tupleElement(JSONExtract(properties, 'Tuple(path String, country String, browser String)'), 'browser');
