-- source: events
SELECT
    toStartOfHour(timestamp) AS t,
    quantile(0.95)(number_properties[{property:String}]) AS value
FROM events
WHERE app_id = {app_id:UUID}
  AND org_id = {org_id:UUID}
  AND toStartOfHour(timestamp) >= {date_from:DateTime('UTC')}
  AND toStartOfHour(timestamp) < {date_to:DateTime('UTC')}
  AND event IN ({event_0:String})
  AND positionCaseInsensitiveUTF8(JSONExtractString(properties, {filter_0_property:String}), {filter_0_value:String}) > 0
  AND mapContains(number_properties, {filter_1_property:String})
  AND number_properties[{filter_1_property:String}] > {filter_1_value:Float64}
  AND JSONHas(properties, {filter_2_property:String})
  AND mapContains(number_properties, {property:String})
GROUP BY t
ORDER BY t

-- params:
-- {
--   "app_id": "0b6c3f5e-6d5a-4c43-9c61-3e3f1f1a2b3c",
--   "date_from": "2025-03-01 00:00:00",
--   "date_to": "2025-03-08 00:00:00",
--   "event_0": "api_call",
--   "filter_0_property": "endpoint",
--   "filter_0_value": "/v1/orders",
--   "filter_1_property": "status",
--   "filter_1_value": 499.0,
--   "filter_2_property": "beta",
--   "org_id": "5f0a9a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
--   "property": "duration_ms"
-- }
