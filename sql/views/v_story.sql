-- v_story: one row per story in fact_story, readable: source, day, headline, and its topics, people,
-- organisations, places and authors as lists (topics by score, entities by mentions). Wire copies are
-- kept, with duplicate_of naming the original's story_key: filter `duplicate_of IS NULL` to count stories.
-- `published` is the exact instant when known, else the day alone ('2025-03-01'), else NULL.
CREATE OR REPLACE VIEW v_story AS
WITH topics AS (
    SELECT b.story_key,
           list(t.label ORDER BY b.score DESC, t.label) FILTER (WHERE t.scheme = 'iptc') AS topics,
           list(t.label ORDER BY t.label) FILTER (WHERE t.scheme = 'source') AS sections
    FROM bridge_story_topic b JOIN dim_topic t ON t.topic_key = b.topic_key
    GROUP BY b.story_key
),
entities AS (
    SELECT b.story_key,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'person') AS people,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'organization')
               AS organizations,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'place') AS places
    FROM bridge_story_entity b JOIN dim_entity e ON e.entity_key = b.entity_key
    GROUP BY b.story_key
),
authors AS (
    SELECT b.story_key, list(a.name ORDER BY b.position) AS authors
    FROM bridge_story_author b JOIN dim_author a ON a.author_key = b.author_key
    GROUP BY b.story_key
)
SELECT
    s.story_key,
    src.name AS source,
    strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE AS day,
    s.date_basis,
    coalesce(strftime(s.published_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), s.published_day::VARCHAR)
        AS published,
    s.headline,
    coalesce(t.topics, []) AS topics,
    coalesce(t.sections, []) AS sections,
    coalesce(e.people, []) AS people,
    coalesce(e.organizations, []) AS organizations,
    coalesce(e.places, []) AS places,
    coalesce(a.authors, []) AS authors,
    s.dateline,
    s.language,
    s.word_count,
    s.url,
    s.version,
    s.duplicate_of
FROM fact_story s
JOIN dim_source src ON src.source_key = s.source_key
LEFT JOIN topics t ON t.story_key = s.story_key
LEFT JOIN entities e ON e.story_key = s.story_key
LEFT JOIN authors a ON a.story_key = s.story_key;
