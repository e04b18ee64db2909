-- The seed's warehouse table clickstream_analytics: the headline engagement metrics per UTC day
-- (active users, session duration, top pages, scroll behaviour, click frequency, bounce rate).
-- @requires delta.gold.daily_metrics delta.gold.daily_top_pages
CREATE OR REPLACE VIEW delta.analytics.clickstream_analytics
COMMENT 'Engagement metrics per UTC day: active users (DAU, WAU, MAU), sessions, top pages, scroll behaviour, click frequency, bounce rate'
SECURITY INVOKER AS
SELECT
    m.metric_date,
    m.active_users,
    m.active_users_7d,
    m.active_users_30d,
    m.sessions,
    m.avg_session_seconds AS avg_session_duration_seconds,
    m.median_session_seconds AS median_session_duration_seconds,
    m.bounce_rate,
    m.click_frequency,
    t.top_pages,
    t.top_page_views,
    m.scroll_events_0_25 + m.scroll_events_25_50 + m.scroll_events_50_75 + m.scroll_events_75_100 AS scroll_events,
    CAST(m.scroll_events_75_100 AS double)
        / nullif(m.scroll_events_0_25 + m.scroll_events_25_50 + m.scroll_events_50_75 + m.scroll_events_75_100, 0) AS deep_scroll_share,
    m.page_views,
    m.events
FROM delta.gold.daily_metrics m
LEFT JOIN (
    SELECT metric_date, array_agg(page_url ORDER BY rank) AS top_pages, array_agg(page_views ORDER BY rank) AS top_page_views
    FROM delta.gold.daily_top_pages
    WHERE rank <= 5
    GROUP BY metric_date
) t ON t.metric_date = m.metric_date;
-- @inherit-comments delta.analytics.clickstream_analytics from delta.gold.daily_metrics
COMMENT ON COLUMN delta.analytics.clickstream_analytics.avg_session_duration_seconds IS 'Mean duration of the sessions starting that day, in seconds; null without sessions';
COMMENT ON COLUMN delta.analytics.clickstream_analytics.median_session_duration_seconds IS 'Median duration of the sessions starting that day, in seconds (exact); null without sessions';
COMMENT ON COLUMN delta.analytics.clickstream_analytics.top_pages IS 'The five most viewed pages of the day, most viewed first (ties broken by page_url)';
COMMENT ON COLUMN delta.analytics.clickstream_analytics.top_page_views IS 'page_view events of each of top_pages, in the same order';
COMMENT ON COLUMN delta.analytics.clickstream_analytics.scroll_events IS 'scroll events of the day that carry a scroll_depth';
COMMENT ON COLUMN delta.analytics.clickstream_analytics.deep_scroll_share IS 'Share of scroll_events that reached 75 percent of the page or more, 0 to 1; null without scroll events';
