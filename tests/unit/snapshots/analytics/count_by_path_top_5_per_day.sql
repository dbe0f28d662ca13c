-- source: events
WITH top_values AS (
    SELECT path AS series
    FROM events
    WHERE app_id = {app_id:UUID}
      AND org_id = {org_id:UUID}
      AND timestamp >= {date_from:DateTime('UTC')}
      AND timestamp < {date_to:DateTime('UTC')}
      AND event IN ({event_0:String})
    GROUP BY series
    ORDER BY count() DESC, series
    LIMIT {breakdown_limit:UInt16}
)
SELECT
    toStartOfDay(timestamp) AS t,
    path AS series,
    count() AS value
FROM events
WHERE app_id = {app_id:UUID}
  AND org_id = {org_id:UUID}
  AND timestamp >= {date_from:DateTime('UTC')}
  AND timestamp < {date_to:DateTime('UTC')}
  AND event IN ({event_0:String})
  AND series IN (SELECT series FROM top_values)
GROUP BY t, series
ORDER BY t, series

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "breakdown_limit": 5,
--   "date_from": "2025-03-01 00:00:00",
--   "date_to": "2025-03-08 00:00:00",
--   "event_0": "pageview",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
-- }
