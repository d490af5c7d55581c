-- v_entity_cooccurrence: one row per ordered pair (entity, partner) of different entities named in the
-- same stories, over the whole warehouse; each pair appears twice (A→B and B→A) so "who appears with X"
-- is one WHERE on entity_name. Wire copies are not counted.
--   together        stories naming both
--   entity_stories  stories naming the entity;  partner_stories: stories naming the partner
--   lift            together * N / (entity_stories * partner_stories), N = stories with any entity;
--                   1 = as often as chance, > 1 = drawn together
--   pmi             ln(lift); npmi = pmi / -ln(together / N), in [-1, 1] (1 = always together)
-- Lift is noisy for rare entities: filter on `together` (e.g. >= 3) before ranking by it.
CREATE OR REPLACE VIEW v_entity_cooccurrence AS
WITH story_entity AS (
    SELECT DISTINCT b.story_key, b.entity_key
    FROM bridge_story_entity b
    JOIN fact_story s ON s.story_key = b.story_key
    WHERE s.duplicate_of IS NULL
),
total AS (SELECT count(DISTINCT story_key)::DOUBLE AS n FROM story_entity),
per_entity AS (SELECT entity_key, count(*) AS stories FROM story_entity GROUP BY entity_key),
pairs AS (
    SELECT a.entity_key, b.entity_key AS partner_key, count(*) AS together
    FROM story_entity a
    JOIN story_entity b ON a.story_key = b.story_key AND a.entity_key <> b.entity_key
    GROUP BY ALL
)
SELECT
    p.entity_key,
    e.name AS entity_name,
    e.entity_type,
    p.partner_key,
    q.name AS partner_name,
    q.entity_type AS partner_type,
    p.together,
    ea.stories AS entity_stories,
    eb.stories AS partner_stories,
    round(p.together * total.n / (ea.stories * eb.stories), 4) AS lift,
    round(ln(p.together * total.n / (ea.stories * eb.stories)), 4) AS pmi,
    round(CASE WHEN p.together = total.n THEN 1.0
               ELSE ln(p.together * total.n / (ea.stories * eb.stories)) / -ln(p.together / total.n) END, 4)
        AS npmi
FROM pairs p
CROSS JOIN total
JOIN per_entity ea ON ea.entity_key = p.entity_key
JOIN per_entity eb ON eb.entity_key = p.partner_key
JOIN dim_entity e ON e.entity_key = p.entity_key
JOIN dim_entity q ON q.entity_key = p.partner_key;
