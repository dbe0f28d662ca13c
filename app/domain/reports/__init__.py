"""Application reports: KPIs, top events, anomalies, insights and a forecast for a period,
as a page, a self-contained HTML download, CSV and JSON."""
