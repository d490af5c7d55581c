-- The summary rows that the stories in `summary_stories` count towards, as they stand now: run once
-- before a merge changes those stories and once after, so rows they leave and rows they join are both
-- recomputed. Keys are (kind, k1, k2): source_day = (date_key, source_key), topic_day = (date_key,
-- topic_key), entity_day = (date_key, entity_key), entity_pair = (entity_key, partner_key).
INSERT INTO summary_scope
WITH scoped AS (
    SELECT story_key, date_key, source_key FROM fact_story
    WHERE story_key IN (SELECT story_key FROM summary_stories)
),
entities AS (
    SELECT s.story_key, s.date_key, b.entity_key FROM scoped s JOIN bridge_story_entity b USING (story_key)
)
SELECT 'source_day', date_key, source_key FROM scoped
UNION
SELECT 'topic_day', s.date_key, b.topic_key FROM scoped s JOIN bridge_story_topic b USING (story_key)
UNION
SELECT 'entity_day', date_key, entity_key FROM entities
UNION
SELECT 'entity_pair', a.entity_key, b.entity_key
FROM entities a JOIN entities b ON a.story_key = b.story_key AND a.entity_key <> b.entity_key;
