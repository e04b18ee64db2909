-- Views for analysts and dashboards: stable names over silver and gold, a comment on every column.
-- The views themselves are repeatable scripts (R__analytics_*.sql), applied again when they change.
CREATE SCHEMA IF NOT EXISTS delta.analytics WITH (location = '${lake}/analytics');
