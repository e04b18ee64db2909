-- The three layers as Trino schemas. ${lake} is the lake root as Trino sees it
-- (local:///absolute/path locally, s3://bucket/prefix in production).

-- Bronze is raw gzip JSON files, read through the Hive connector.
CREATE SCHEMA IF NOT EXISTS hive.bronze WITH (location = '${lake}/raw');

-- Silver and gold are Delta tables written by Spark; Trino reads them.
CREATE SCHEMA IF NOT EXISTS delta.silver WITH (location = '${lake}/silver');

CREATE SCHEMA IF NOT EXISTS delta.gold WITH (location = '${lake}/gold');
