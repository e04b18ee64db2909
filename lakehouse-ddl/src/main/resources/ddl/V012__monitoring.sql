-- The streaming job's report, one row per micro-batch (rates, rows per layer, consumer lag),
-- written by the job itself (monitoring/pipeline_metrics).
CREATE SCHEMA IF NOT EXISTS delta.monitoring WITH (location = '${lake}/monitoring');
-- @register delta.monitoring.pipeline_metrics ${lake}/monitoring/pipeline_metrics
