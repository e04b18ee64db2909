-- The ML feature table as of each student's latest day: one row per student, for models and segments.
-- @requires delta.gold.student_features
CREATE OR REPLACE VIEW delta.analytics.student_features_latest
COMMENT 'Each student''s most recent row of gold.student_features: one row per pseudonymised student'
SECURITY INVOKER AS
SELECT
    student_id,
    feature_date,
    events,
    clicks,
    active_minutes,
    sessions,
    avg_scroll_depth,
    video_completion_ratio,
    quiz_attempts,
    searches,
    click_frequency,
    days_since_last_activity,
    events_7d,
    events_28d,
    active_days_7d,
    active_days_28d,
    active_minutes_7d,
    active_minutes_28d,
    sessions_7d,
    sessions_28d,
    quiz_attempts_7d,
    quiz_attempts_28d,
    video_completions_7d,
    video_completions_28d,
    computed_at
FROM (
    SELECT f.*, row_number() OVER (PARTITION BY student_id ORDER BY feature_date DESC) AS recency
    FROM delta.gold.student_features f
)
WHERE recency = 1;
-- @inherit-comments delta.analytics.student_features_latest from delta.gold.student_features
COMMENT ON COLUMN delta.analytics.student_features_latest.feature_date IS 'The latest UTC day with features for the student; the features describe that day as of its end';
