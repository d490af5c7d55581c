/* Each source's coverage: how much it publishes, how long its stories are, how many wire copies it
   carries, how current it is, and the top-level IPTC topics it covers most.
   (Starts with a block comment, not --, so `dateline sql "$(cat this.sql)"` does not read it as an option.) */
WITH per_source AS (
    SELECT source,
           sum(stories) AS stories,
           sum(wire_copies) AS wire_copies,
           round(sum(words) / nullif(sum(stories), 0)) AS avg_words,
           min(day) FILTER (WHERE stories > 0) AS first_day,
           max(day) FILTER (WHERE stories > 0) AS newest_day,
           count(*) FILTER (WHERE stories > 0) AS active_days
    FROM v_source_daily
    GROUP BY source
),
topic_count AS (
    SELECT src.name AS source, t.label, count(*) AS stories
    FROM fact_story s
    JOIN dim_source src ON src.source_key = s.source_key
    JOIN bridge_story_topic b ON b.story_key = s.story_key
    JOIN dim_topic t ON t.topic_key = b.topic_key AND t.scheme = 'iptc' AND t.level = 1
    WHERE s.duplicate_of IS NULL
    GROUP BY ALL
),
topic_rank AS (
    SELECT *, row_number() OVER (PARTITION BY source ORDER BY stories DESC, label) AS rank FROM topic_count
)
SELECT p.*,
       string_agg(r.label || ' (' || r.stories || ')', ', ' ORDER BY r.rank) AS top_topics
FROM per_source p
LEFT JOIN topic_rank r ON r.source = p.source AND r.rank <= 3
GROUP BY ALL
ORDER BY p.stories DESC;
