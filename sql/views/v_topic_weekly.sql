-- v_topic_weekly: one row per (ISO week, topic) with at least one story. ISO weeks start on Monday and
-- belong to the ISO year of their Thursday (so 2024-12-30 is in week 1 of 2025); week_start is that
-- Monday. Counted like v_topic_daily: best-known publication day, wire copies excluded.
-- Rows come from summary_topic_weekly, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_topic_weekly AS
SELECT
    isoyear(w.week_start) AS iso_year,
    week(w.week_start) AS iso_week,
    w.week_start,
    t.topic_key,
    t.topic_id,
    t.label,
    t.scheme,
    t.level,
    w.stories,
    w.sources,
    w.active_days
FROM summary_topic_weekly w
JOIN dim_topic t ON t.topic_key = w.topic_key;
