-- The seed's warehouse table clickstream_processed as analysts read it: one row per accepted
-- event (silver, de-duplicated by event_id), metadata keys as named columns, no Kafka coordinates.
-- @requires delta.silver.clickstream_processed
CREATE OR REPLACE VIEW delta.analytics.clickstream_processed
COMMENT 'One row per accepted LMS event (silver, de-duplicated by event_id); student ids pseudonymised, IPs truncated'
SECURITY INVOKER AS
SELECT
    event_id,
    student_id,
    event_name,
    event_timestamp,
    event_date,
    page_url,
    chapter_id,
    session_id,
    device_type,
    browser,
    referrer,
    scroll_depth,
    duration AS duration_seconds,
    query AS search_query,
    metadata,
    received_at,
    CAST(date_diff('millisecond', event_timestamp, received_at) AS double) / 1000 AS arrival_delay_seconds,
    session_key,
    is_late,
    is_bot,
    bot_reason
FROM delta.silver.clickstream_processed;
-- @inherit-comments delta.analytics.clickstream_processed from delta.silver.clickstream_processed
COMMENT ON COLUMN delta.analytics.clickstream_processed.duration_seconds IS 'metadata.duration: seconds spent (page, video or heartbeat interval); null when not sent';
COMMENT ON COLUMN delta.analytics.clickstream_processed.search_query IS 'metadata.query: the search terms of search events; null for other events';
COMMENT ON COLUMN delta.analytics.clickstream_processed.arrival_delay_seconds IS 'received_at minus event_timestamp in seconds: how late the event reached ingest (offline clients, retries)';
