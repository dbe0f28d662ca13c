-- source: events
SELECT level, count() AS users
FROM (
    SELECT
        distinct_id,
        windowFunnel({window_ms:UInt64})(toUInt64(toUnixTimestamp64Milli(timestamp)), event = {event_0:String}, event = {event_1:String}) AS level
    FROM events
    WHERE app_id = {app_id:UUID}
      AND org_id = {org_id:UUID}
      AND toStartOfHour(timestamp) >= {date_from:DateTime('UTC')}
      AND toStartOfHour(timestamp) < {date_to:DateTime('UTC')}
      AND event IN ({event_0:String}, {event_1:String})
      AND JSONExtractString(properties, {filter_0_property:String}) = {filter_0_value:String}
      AND positionCaseInsensitiveUTF8(path, {filter_1_value:String}) > 0
    GROUP BY distinct_id
)
WHERE level > 0
GROUP BY level
ORDER BY level

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "date_from": "2025-03-01 00:00:00",
--   "date_to": "2025-03-08 00:00:00",
--   "event_0": "signup",
--   "event_1": "purchase",
--   "filter_0_property": "plan",
--   "filter_0_value": "pro",
--   "filter_1_value": "/pricing",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
--   "window_ms": 3600000
-- }
