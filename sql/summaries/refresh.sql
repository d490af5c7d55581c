-- Recompute the summary rows named in `summary_scope` (and the story cards of `summary_stories`) from
-- the star schema: delete them, then insert them again from the base tables. Rows outside the scope
-- cannot have changed, so after this the summaries equal a full rebuild. Wire copies (duplicate_of set)
-- are not counted anywhere except `wire_copies` and the story cards.

-- The own stories (not wire copies) of each ISO week the tracked stories touch: the day and week
-- summaries below recompute from these rather than from the whole fact table.
CREATE OR REPLACE TEMP TABLE summary_week_stories AS
WITH weeks AS (
    SELECT DISTINCT date_trunc('week', strptime(k1::VARCHAR, '%Y%m%d'))::DATE AS week_start
    FROM summary_scope WHERE kind = 'source_day'
),
days AS (SELECT week_start, strftime(week_start + i::INTEGER, '%Y%m%d')::INTEGER AS date_key FROM weeks, range(7) t(i))
SELECT s.story_key, s.date_key, s.source_key, d.week_start
FROM fact_story s JOIN days d ON d.date_key = s.date_key
WHERE s.duplicate_of IS NULL;

-- v_story: one card per story, labels as ordered lists (topics by score, entities by mentions).
DELETE FROM summary_story WHERE story_key IN (SELECT story_key FROM summary_stories);
INSERT INTO summary_story
WITH scoped AS (
    SELECT story_key, source_key, date_key, date_basis, published_at, published_day, headline, dateline, language,
           word_count, url, version, duplicate_of
    FROM fact_story WHERE story_key IN (SELECT story_key FROM summary_stories)
),
topics AS (
    SELECT w.story_key,
           list(t.label ORDER BY w.score DESC, t.label) FILTER (WHERE t.scheme = 'iptc') AS topics,
           list(t.label ORDER BY t.label) FILTER (WHERE t.scheme = 'source') AS sections
    FROM summary_tracked_topics w JOIN dim_topic t ON t.topic_key = w.topic_key
    GROUP BY w.story_key
),
entities AS (
    SELECT w.story_key,
           list(e.name ORDER BY w.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'person') AS people,
           list(e.name ORDER BY w.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'organization')
               AS organizations,
           list(e.name ORDER BY w.mentions DESC, e.name) FILTER (WHERE e.entity_type = 'place') AS places
    FROM summary_tracked_entities w JOIN dim_entity e ON e.entity_key = w.entity_key
    GROUP BY w.story_key
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
FROM summary_week_stories s JOIN bridge_story_topic b ON b.story_key = s.story_key
WHERE (s.date_key, b.topic_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'topic_day')
GROUP BY s.date_key, b.topic_key;

-- v_topic_weekly: the ISO weeks of the touched days, per topic.
CREATE OR REPLACE TEMP TABLE summary_week_scope AS
SELECT DISTINCT date_trunc('week', strptime(k1::VARCHAR, '%Y%m%d'))::DATE AS week_start, k2 AS topic_key
FROM summary_scope WHERE kind = 'topic_day';
DELETE FROM summary_topic_weekly WHERE (week_start, topic_key) IN (SELECT * FROM summary_week_scope);
INSERT INTO summary_topic_weekly
SELECT s.week_start, b.topic_key, count(DISTINCT s.story_key), count(DISTINCT s.source_key),
       count(DISTINCT s.date_key)
FROM summary_week_stories s JOIN bridge_story_topic b ON b.story_key = s.story_key
WHERE (s.week_start, b.topic_key) IN (SELECT * FROM summary_week_scope)
GROUP BY s.week_start, b.topic_key;

-- v_entity_daily: stories, mentions and sources per (day, entity).
DELETE FROM summary_entity_daily
WHERE (date_key, entity_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_day');
INSERT INTO summary_entity_daily
SELECT s.date_key, b.entity_key, count(DISTINCT s.story_key), sum(b.mentions), count(DISTINCT s.source_key)
FROM summary_week_stories s JOIN bridge_story_entity b ON b.story_key = s.story_key
WHERE (s.date_key, b.entity_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'entity_day')
GROUP BY s.date_key, b.entity_key;

-- v_entity_cooccurrence: stories per entity (a story has one day, so its days' counts add up exactly),
-- and per pair of entities named together (the pairs the tracked stories left and joined, summed in).
CREATE OR REPLACE TEMP TABLE summary_entity_scope AS
SELECT DISTINCT k2 AS entity_key FROM summary_scope WHERE kind = 'entity_day';
DELETE FROM summary_entity WHERE entity_key IN (SELECT entity_key FROM summary_entity_scope);
INSERT INTO summary_entity
SELECT entity_key, sum(stories)
FROM summary_entity_daily
WHERE entity_key IN (SELECT entity_key FROM summary_entity_scope)
GROUP BY entity_key;

CREATE OR REPLACE TEMP TABLE summary_pair_total AS
WITH changed AS (
    SELECT entity_key, partner_key, sum(change) AS change FROM summary_pair_change GROUP BY ALL HAVING sum(change) <> 0
)
SELECT entity_key, partner_key, sum(together)::BIGINT AS together
FROM (
    SELECT entity_key, partner_key, together FROM summary_entity_pair
    WHERE (entity_key, partner_key) IN (SELECT entity_key, partner_key FROM changed)
    UNION ALL
    SELECT entity_key, partner_key, change FROM changed
)
GROUP BY entity_key, partner_key;
DELETE FROM summary_entity_pair
WHERE (entity_key, partner_key) IN (SELECT entity_key, partner_key FROM summary_pair_total);
INSERT INTO summary_entity_pair SELECT * FROM summary_pair_total WHERE together > 0;

-- v_source_daily: a source's coverage per day.
DELETE FROM summary_source_daily
WHERE (date_key, source_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'source_day');
INSERT INTO summary_source_daily
WITH scoped AS (
    SELECT s.story_key, s.date_key, s.source_key, s.duplicate_of, s.word_count, s.first_seen_at
    FROM fact_story s
    WHERE (s.date_key, s.source_key) IN (SELECT k1, k2 FROM summary_scope WHERE kind = 'source_day')
),
per_day AS (   -- own stories with at least one IPTC topic, and how many topics they cover
    SELECT s.date_key, s.source_key, count(DISTINCT s.story_key) AS tagged, count(DISTINCT b.topic_key) AS iptc_topics
    FROM scoped s
    JOIN bridge_story_topic b ON b.story_key = s.story_key
    JOIN dim_topic t ON t.topic_key = b.topic_key AND t.scheme = 'iptc'
    WHERE s.duplicate_of IS NULL
    GROUP BY s.date_key, s.source_key
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
FROM scoped s
LEFT JOIN per_day d ON d.date_key = s.date_key AND d.source_key = s.source_key
GROUP BY s.date_key, s.source_key;
