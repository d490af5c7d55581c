-- v_topic_weekly: one row per (ISO week, topic) with at least one story. ISO weeks start on Monday and
-- belong to the ISO year of their Thursday (so 2024-12-30 is in week 1 of 2025); week_start is that
-- Monday. Counted like v_topic_daily: best-known publication day, wire copies excluded.
CREATE OR REPLACE VIEW v_topic_weekly AS
WITH story_topic AS (
    SELECT
        strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
        s.story_key,
        s.source_key,
        b.topic_key
    FROM fact_story s
    JOIN bridge_story_topic b ON b.story_key = s.story_key
    WHERE s.duplicate_of IS NULL
)
SELECT
    isoyear(st.day) AS iso_year,
    week(st.day) AS iso_week,
    date_trunc('week', st.day)::DATE AS week_start,
    t.topic_key,
    t.topic_id,
    t.label,
    t.scheme,
    t.level,
    count(DISTINCT st.story_key) AS stories,
    count(DISTINCT st.source_key) AS sources,
    count(DISTINCT st.day) AS active_days
FROM story_topic st
JOIN dim_topic t ON t.topic_key = st.topic_key
GROUP BY ALL;
