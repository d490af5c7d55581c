-- v_topic_daily: one row per (day, topic) with at least one story: how many stories the topic had that day.
-- The day is the story's best-known publication day (fact_story.date_key, see date_basis), never a
-- midnight invented from a day-only date. Republished wire copies (duplicate_of set) are not counted,
-- so a wire story carried by five outlets counts once. Both schemes are here: `iptc` Media Topics and
-- `source` (a site's own sections/tags); filter on scheme.
CREATE OR REPLACE VIEW v_topic_daily AS
SELECT
    strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    s.date_key,
    t.topic_key,
    t.topic_id,
    t.label,
    t.scheme,
    t.level,
    count(DISTINCT s.story_key) AS stories,
    count(DISTINCT s.source_key) AS sources,
    round(avg(b.score), 3) AS avg_score
FROM fact_story s
JOIN bridge_story_topic b ON b.story_key = s.story_key
JOIN dim_topic t ON t.topic_key = b.topic_key
WHERE s.duplicate_of IS NULL
GROUP BY ALL;
