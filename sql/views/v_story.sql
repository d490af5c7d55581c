-- v_story: one row per story in fact_story, readable: source, day, headline, and its topics, people,
-- organisations, places and authors as lists (topics by score, entities by mentions). Wire copies are
-- kept, with duplicate_of naming the original's story_key: filter `duplicate_of IS NULL` to count stories.
-- `published` is the exact instant when known, else the day alone ('2025-03-01'), else NULL.
-- Rows come from summary_story, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_story AS
SELECT * FROM summary_story;
