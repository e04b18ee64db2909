package io.clickstream.jobs.lake;

import static java.util.Objects.requireNonNull;

/**
 * Where each table lives under the lake root (a local directory or an s3a:// prefix).
 * Trino's DDL registers the same locations (see lakehouse-ddl).
 */
public record LakePaths(String root) {
    public LakePaths {
        requireNonNull(root, "root is null");
        root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    /** Bronze: every Kafka record as received, gzip JSON under raw/clickstream/YYYY/MM/DD/. */
    public String bronze() {
        return root + "/raw/clickstream";
    }

    public String silverEvents() {
        return root + "/silver/clickstream_processed";
    }

    public String silverQuarantine() {
        return root + "/silver/clickstream_quarantine";
    }

    public String goldSessions() {
        return root + "/gold/sessions";
    }

    public String goldSessionsQuarantine() {
        return root + "/gold/sessions_quarantine";
    }

    public String goldDailySearchTerms() {
        return root + "/gold/daily_search_terms";
    }

    public String goldHourlyMetrics() {
        return root + "/gold/hourly_metrics";
    }

    public String goldChapterEngagement() {
        return root + "/gold/chapter_engagement";
    }

    public String goldStudentFeatures() {
        return root + "/gold/student_features";
    }

    public String goldAnomalies() {
        return root + "/gold/anomalies";
    }

    public String goldDataQuality() {
        return root + "/gold/data_quality";
    }

    public String goldFunnels() {
        return root + "/gold/funnels";
    }

    public String goldDailyMetrics() {
        return root + "/gold/daily_metrics";
    }

    public String goldDailyTopPages() {
        return root + "/gold/daily_top_pages";
    }

    /** The streaming job's report, a row per micro-batch (see monitoring.PipelineMonitor). */
    public String pipelineMetrics() {
        return root + "/monitoring/pipeline_metrics";
    }

    /** Erase requests the erase job hands to the streaming job (see privacy.EraseJob). */
    public String eraseRequests() {
        return root + "/_erase_requests";
    }

    public String checkpoint(String queryName) {
        return root + "/_checkpoints/" + queryName;
    }
}
