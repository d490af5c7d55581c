-- The summary rows that the stories in `summary_stories` count towards, as they stand now: run once
-- before a merge changes those stories and once after, so rows they leave and rows they join are both
-- recomputed. Keys are (kind, k1, k2): source_day = (date_key, source_key), topic_day = (date_key,
-- topic_key), entity_day = (date_key, entity_key). Entity pairs are counted, not recomputed: their only
-- measure is a count of stories, so the stories' pairs are added with the sign set by the caller
-- (-1 before the change, +1 after) and summed into summary_entity_pair by refresh.sql.
CREATE OR REPLACE TEMP TABLE summary_tracked AS
SELECT story_key, date_key, source_key, duplicate_of IS NOT NULL AS is_copy FROM fact_story
WHERE story_key IN (SELECT story_key FROM summary_stories);

-- The tracked stories' topic and entity rows: after the change, refresh.sql builds their cards from these.
CREATE OR REPLACE TEMP TABLE summary_tracked_topics AS
SELECT s.story_key, s.date_key, b.topic_key, b.score
FROM summary_tracked s JOIN bridge_story_topic b ON b.story_key = s.story_key;

CREATE OR REPLACE TEMP TABLE summary_tracked_entities AS
SELECT s.story_key, s.date_key, s.is_copy, b.entity_key, b.mentions
FROM summary_tracked s JOIN bridge_story_entity b ON b.story_key = s.story_key;

INSERT INTO summary_scope
SELECT 'source_day', date_key, source_key FROM summary_tracked
UNION
SELECT 'topic_day', date_key, topic_key FROM summary_tracked_topics
UNION
SELECT 'entity_day', date_key, entity_key FROM summary_tracked_entities;

INSERT INTO summary_pair_change
WITH named AS (SELECT DISTINCT story_key, entity_key FROM summary_tracked_entities WHERE NOT is_copy)
SELECT a.entity_key, b.entity_key, getvariable('summary_sign')
FROM named a JOIN named b ON a.story_key = b.story_key AND a.entity_key <> b.entity_key;
