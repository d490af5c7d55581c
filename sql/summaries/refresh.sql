-- Recompute the summary rows named in `summary_scope` (and the story cards of `summary_stories`) from
-- the star schema: delete them, then insert them again from the base tables. Rows outside the scope
-- cannot have changed, so after this the summaries equal a full rebuild. Wire copies (duplicate_of set)
-- are not counted anywhere except `wire_copies` and the story cards.

-- v_story: one card per story, labels as ordered lists (topics by score, entities by mentions).
DELETE FROM summary_story WHERE story_key IN (SELECT story_key FROM summary_stories);
INSERT INTO summary_story
WITH scoped AS (SELECT * FROM fact_story WHERE story_key IN (SELECT story_key FROM summary_stories)),
topics AS (
    SELECT b.story_key,
           list(t.label ORDER BY b.score DESC, t.label) FILTER (WHERE t.scheme = 'iptc') AS topics,
           list(t.label ORDER BY t.label) FILTER (WHERE t.scheme = 'source') AS sections
    FROM bridge_story_topic b JOIN dim_topic t ON t.topic_key = b.topic_key
    WHERE b.story_key IN (SELECT story_key FROM summary_stories)
    GROUP BY b.story_key
),
entities AS (
    SELECT b.story_key,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'person') AS people,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'organization')
               AS organizations,
           list(e.name ORDER BY b.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'place') AS places
    FROM bridge_story_entity b JOIN dim_entity e ON e.entity_key = b.entity_key
    WHERE b.story_key IN (SELECT story_key FROM summary_stories)
    GROUP BY b.story_key
),
authors AS (
    SELECT b.story_key, list(a.name ORDER BY b.position) AS authors
    FROM bridge_story_author b JOIN dim_author a ON a.author_key = b.author_key
    WHERE b.story_key IN (SELECT story_key FROM summary_stories)
    GROUP BY b.story_key
)
SELECT
    s.story_key,
    src.name,
    strptime(s.date_key::VARCHAR, '%Y%m%d')::DATE,
    s.date_basis,
    coalesce(strftime(s.published_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), s.published_day::VARCHAR),
    s.headline,
    coalesce(t.topics, []),
    coalesce(t.sections, []),
    coalesce(e.people, []),
    coalesce(e.organizations, []),
    coalesce(e.places, []),
    coalesce(a.authors, []),
    s.dateline,
    s.language,
    s.word_count,
    s.url,
    s.version,
    s.duplicate_of
FROM scoped s
JOIN dim_source src ON src.source_key = s.source_key
LEFT JOIN topics t ON t.story_key = s.story_key
LEFT JOIN entities e ON e.story_key = s.story_key
LEFT JOIN authors a ON a.story_key = s.story_key;

-- v_topic_daily: stories and sources per (day, topic).
DELETE FROM summary_topic_daily
WHERE (date_key, topic_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'topic_day');
INSERT INTO summary_topic_daily
SELECT s.date_key, b.topic_key, count(DISTINCT s.story_key), count(DISTINCT s.source_key), round(avg(b.score), 3)
FROM fact_story s JOIN bridge_story_topic b ON b.story_key = s.story_key
WHERE s.duplicate_of IS NULL
  AND (s.date_key, b.topic_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'topic_day')
GROUP BY s.date_key, b.topic_key;

-- v_topic_weekly: the ISO weeks of the touched days, per topic.
CREATE OR REPLACE TEMP TABLE summary_week_scope AS
SELECT DISTINCT date_trunc('week', strptime(k1::VARCHAR, '%Y%m%d'))::DATE AS week_start, k2 AS topic_key
FROM summary_scope WHERE kind = 'topic_day';
DELETE FROM summary_topic_weekly WHERE (week_start, topic_key) IN (SELECT * FROM summary_week_scope);
INSERT INTO summary_topic_weekly
WITH story_topic AS (
    SELECT date_trunc('week', strptime(s.date_key::VARCHAR, '%Y%m%d'))::DATE AS week_start,
           s.date_key, s.story_key, s.source_key, b.topic_key
    FROM fact_story s JOIN bridge_story_topic b ON b.story_key = s.story_key
    WHERE s.duplicate_of IS NULL
)
SELECT week_start, topic_key, count(DISTINCT story_key), count(DISTINCT source_key), count(DISTINCT date_key)
FROM story_topic
WHERE (week_start, topic_key) IN (SELECT * FROM summary_week_scope)
GROUP BY week_start, topic_key;

-- v_entity_daily: stories, mentions and sources per (day, entity).
DELETE FROM summary_entity_daily
WHERE (date_key, entity_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_day');
INSERT INTO summary_entity_daily
SELECT s.date_key, b.entity_key, count(DISTINCT s.story_key), sum(b.mentions), count(DISTINCT s.source_key)
FROM fact_story s JOIN bridge_story_entity b ON b.story_key = s.story_key
WHERE s.duplicate_of IS NULL
  AND (s.date_key, b.entity_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_day')
GROUP BY s.date_key, b.entity_key;

-- v_entity_cooccurrence: stories per entity, and per pair of entities named together.
CREATE OR REPLACE TEMP TABLE summary_entity_scope AS
SELECT DISTINCT k2 AS entity_key FROM summary_scope WHERE kind = 'entity_day';
DELETE FROM summary_entity WHERE entity_key IN (SELECT entity_key FROM summary_entity_scope);
INSERT INTO summary_entity
SELECT b.entity_key, count(DISTINCT b.story_key)
FROM bridge_story_entity b JOIN fact_story s ON s.story_key = b.story_key
WHERE s.duplicate_of IS NULL AND b.entity_key IN (SELECT entity_key FROM summary_entity_scope)
GROUP BY b.entity_key;

DELETE FROM summary_entity_pair
WHERE (entity_key, partner_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_pair');
INSERT INTO summary_entity_pair
WITH touched AS (
    SELECT DISTINCT b.story_key, b.entity_key
    FROM bridge_story_entity b JOIN fact_story s ON s.story_key = b.story_key
    WHERE s.duplicate_of IS NULL AND b.entity_key IN (SELECT entity_key FROM summary_entity_scope)
)
SELECT a.entity_key, b.entity_key, count(*)
FROM touched a JOIN touched b ON a.story_key = b.story_key AND a.entity_key <> b.entity_key
WHERE (a.entity_key, b.entity_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_pair')
GROUP BY a.entity_key, b.entity_key;

-- v_source_daily: a source's coverage per day.
CREATE OR REPLACE TEMP TABLE summary_source_stories AS
SELECT * FROM fact_story
WHERE (date_key, source_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'source_day');
DELETE FROM summary_source_daily
WHERE (date_key, source_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'source_day');
INSERT INTO summary_source_daily
WITH tagged AS (   -- own stories with at least one IPTC topic, and those topics
    SELECT s.date_key, s.source_key, s.story_key, b.topic_key
    FROM summary_source_stories s
    JOIN bridge_story_topic b ON b.story_key = s.story_key
    JOIN dim_topic t ON t.topic_key = b.topic_key AND t.scheme = 'iptc'
    WHERE s.duplicate_of IS NULL
),
per_day AS (
    SELECT date_key, source_key, count(DISTINCT story_key) AS tagged, count(DISTINCT topic_key) AS iptc_topics
    FROM tagged GROUP BY date_key, source_key
)
SELECT
    s.date_key,
    s.source_key,
    count(*) FILTER (WHERE s.duplicate_of IS NULL),
    count(*) FILTER (WHERE s.duplicate_of IS NOT NULL),
    coalesce(sum(s.word_count) FILTER (WHERE s.duplicate_of IS NULL), 0),
    count(*) FILTER (WHERE s.duplicate_of IS NULL) - coalesce(any_value(d.tagged), 0),
    coalesce(any_value(d.iptc_topics), 0),
    max(s.first_seen_at)
FROM summary_source_stories s
LEFT JOIN per_day d ON d.date_key = s.date_key AND d.source_key = s.source_key
GROUP BY s.date_key, s.source_key;
