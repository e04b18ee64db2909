-- Comments on bronze's columns (the table is created by V002; Delta tables carry theirs from Spark).
COMMENT ON COLUMN hive.bronze.clickstream_raw.value IS 'The Kafka record value: the event JSON as ingest published it (student id pseudonymised, IP truncated)';
COMMENT ON COLUMN hive.bronze.clickstream_raw.key IS 'The Kafka record key: the pseudonymised student id (null for dead letters)';
COMMENT ON COLUMN hive.bronze.clickstream_raw.topic IS 'Topic the record was read from';
COMMENT ON COLUMN hive.bronze.clickstream_raw.kafka_partition IS 'Partition the record was read from';
COMMENT ON COLUMN hive.bronze.clickstream_raw.kafka_offset IS 'Offset of the record in its partition';
COMMENT ON COLUMN hive.bronze.clickstream_raw.kafka_timestamp IS 'Broker timestamp of the record, RFC 3339 UTC; its day names the folder';
