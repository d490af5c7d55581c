-- v_entity_daily: one row per (day, entity) with at least one story: stories that mention a person,
-- organisation or place that day, and the total mentions across them. Day and wire-copy rule as in
-- v_topic_daily (best-known publication day; republished wire copies not counted).
CREATE OR REPLACE VIEW v_entity_daily AS
SELECT
    strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    s.date_key,
    e.entity_key,
    e.name,
    e.entity_type,
    e.country_code,
    count(DISTINCT s.story_key) AS stories,
    sum(b.mentions)::BIGINT AS mentions,
    count(DISTINCT s.source_key) AS sources
FROM fact_story s
JOIN bridge_story_entity b ON b.story_key = s.story_key
JOIN dim_entity e ON e.entity_key = b.entity_key
WHERE s.duplicate_of IS NULL
GROUP BY ALL;
