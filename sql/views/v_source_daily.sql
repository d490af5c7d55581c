-- v_source_daily: one row per (day, source) with at least one story: a source's coverage that day.
-- `stories` counts its own stories, `wire_copies` the republished wire stories it carried (linked to an
-- original elsewhere, so they are not in `stories`), `words` the words of its own stories, and
-- `iptc_topics` how many distinct IPTC topics those stories touched. `last_seen_at` is when the
-- pipeline first saw the newest of them (a freshness signal per source).
CREATE OR REPLACE VIEW v_source_daily AS
WITH topic_count AS (
    SELECT b.story_key, count(*) FILTER (WHERE t.scheme = 'iptc') AS iptc_topics
    FROM bridge_story_topic b JOIN dim_topic t ON t.topic_key = b.topic_key
    GROUP BY b.story_key
),
topics_per_day AS (
    SELECT s.source_key, s.date_key, count(DISTINCT b.topic_key) AS iptc_topics
    FROM fact_story s
    JOIN bridge_story_topic b ON b.story_key = s.story_key
    JOIN dim_topic t ON t.topic_key = b.topic_key AND t.scheme = 'iptc'
    WHERE s.duplicate_of IS NULL
    GROUP BY ALL
)
SELECT
    strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    s.date_key,
    src.source_key,
    src.name AS source,
    src.kind,
    src.domain,
    count(*) FILTER (WHERE s.duplicate_of IS NULL) AS stories,
    count(*) FILTER (WHERE s.duplicate_of IS NOT NULL) AS wire_copies,
    coalesce(sum(s.word_count) FILTER (WHERE s.duplicate_of IS NULL), 0)::BIGINT AS words,
    count(*) FILTER (WHERE s.duplicate_of IS NULL AND coalesce(tc.iptc_topics, 0) = 0) AS untagged_stories,
    coalesce(any_value(tpd.iptc_topics), 0) AS iptc_topics,
    max(s.first_seen_at) AS last_seen_at
FROM fact_story s
JOIN dim_source src ON src.source_key = s.source_key
LEFT JOIN topic_count tc ON tc.story_key = s.story_key
LEFT JOIN topics_per_day tpd ON tpd.source_key = s.source_key AND tpd.date_key = s.date_key
GROUP BY s.date_key, src.source_key, src.name, src.kind, src.domain;
