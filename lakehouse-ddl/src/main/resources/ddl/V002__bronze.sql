-- Every Kafka record as the streaming job received it, under raw/clickstream/YYYY/MM/DD/batch-N/.
-- value: the event JSON as published by ingest (student id already pseudonymised);
-- key: the Kafka key (the pseudonymised student id); kafka_timestamp: broker time, RFC 3339 UTC.
CREATE TABLE IF NOT EXISTS hive.bronze.clickstream_raw (
    value varchar,
    key varchar,
    topic varchar,
    kafka_partition integer,
    kafka_offset bigint,
    kafka_timestamp varchar
)
COMMENT 'Bronze: Kafka records as received, gzip JSON, one folder per UTC day of broker time'
WITH (external_location = '${lake}/raw/clickstream', format = 'JSON');
