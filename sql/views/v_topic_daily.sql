-- v_topic_daily: one row per (day, topic) with at least one story: how many stories the topic had that day.
-- The day is the story's best-known publication day (fact_story.date_key, see date_basis), never a
-- midnight invented from a day-only date. Republished wire copies (duplicate_of set) are not counted,
-- so a wire story carried by five outlets counts once. Both schemes are here: `iptc` Media Topics and
-- `source` (a site's own sections/tags); filter on scheme.
-- Rows come from summary_topic_daily, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_topic_daily AS
SELECT
    strptime(d.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    d.date_key,
    t.topic_key,
    t.topic_id,
    t.label,
    t.scheme,
    t.level,
    d.stories,
    d.sources,
    d.avg_score
FROM summary_topic_daily d
JOIN dim_topic t ON t.topic_key = d.topic_key;
