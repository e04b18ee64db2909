-- Conversion funnels summed up per day: how many entered, how many finished, where most dropped off.
-- @requires delta.gold.funnels
CREATE OR REPLACE VIEW delta.analytics.funnel_summary
COMMENT 'One row per UTC day and funnel: students who entered and finished, overall conversion, the step that lost most students'
SECURITY INVOKER AS
SELECT
    metric_date,
    funnel,
    scope,
    count(*) AS steps,
    max(students) FILTER (WHERE step = 1) AS entered,
    max_by(students, step) AS completed,
    CAST(max_by(students, step) AS double) / nullif(max(students) FILTER (WHERE step = 1), 0) AS conversion,
    max_by(step_name, drop_off * 1000 - step) FILTER (WHERE step > 1 AND drop_off > 0) AS largest_drop_off_step,
    coalesce(max(drop_off), 0) AS largest_drop_off
FROM delta.gold.funnels
GROUP BY metric_date, funnel, scope;
-- @inherit-comments delta.analytics.funnel_summary from delta.gold.funnels
COMMENT ON COLUMN delta.analytics.funnel_summary.steps IS 'Steps of the funnel';
COMMENT ON COLUMN delta.analytics.funnel_summary.entered IS 'Distinct students who reached step 1 that day';
COMMENT ON COLUMN delta.analytics.funnel_summary.completed IS 'Distinct students who reached the last step, in order and inside the scope';
COMMENT ON COLUMN delta.analytics.funnel_summary.conversion IS 'completed / entered, 0 to 1; null when nobody entered';
COMMENT ON COLUMN delta.analytics.funnel_summary.largest_drop_off_step IS 'Name of the step that the most students of the previous step did not reach (the earlier one on ties); null when nobody dropped off';
COMMENT ON COLUMN delta.analytics.funnel_summary.largest_drop_off IS 'Students lost at largest_drop_off_step; 0 when nobody dropped off';
