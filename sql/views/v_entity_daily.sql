-- v_entity_daily: one row per (day, entity) with at least one story: stories that mention a person,
-- organisation or place that day, and the total mentions across them. Day and wire-copy rule as in
-- v_topic_daily (best-known publication day; republished wire copies not counted).
-- Rows come from summary_entity_daily, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_entity_daily AS
SELECT
    strptime(d.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    d.date_key,
    e.entity_key,
    e.name,
    e.entity_type,
    e.country_code,
    d.stories,
    d.mentions,
    d.sources
FROM summary_entity_daily d
JOIN dim_entity e ON e.entity_key = d.entity_key;
