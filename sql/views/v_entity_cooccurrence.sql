-- v_entity_cooccurrence: one row per ordered pair (entity, partner) of different entities named in the
-- same stories, over the whole warehouse; each pair appears twice (A→B and B→A) so "who appears with X"
-- is one WHERE on entity_name. Wire copies are not counted.
--   together        stories naming both
--   entity_stories  stories naming the entity;  partner_stories: stories naming the partner
--   lift            together * N / (entity_stories * partner_stories), N = all stories;
--                   1 = as often as chance, > 1 = drawn together
--   pmi             ln(lift); npmi = pmi / -ln(together / N), in [-1, 1] (1 = always together)
-- Lift is noisy for rare entities: filter on `together` (e.g. >= 3) before ranking by it.
-- Rows come from summary_entity_pair and summary_entity, which each merge keeps equal to the star schema (sql/summaries/).
CREATE OR REPLACE VIEW v_entity_cooccurrence AS
WITH total AS (SELECT count(*)::DOUBLE AS n FROM fact_story WHERE duplicate_of IS NULL)
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
FROM summary_entity_pair p
CROSS JOIN total
JOIN summary_entity ea ON ea.entity_key = p.entity_key
JOIN summary_entity eb ON eb.entity_key = p.partner_key
JOIN dim_entity e ON e.entity_key = p.entity_key
JOIN dim_entity q ON q.entity_key = p.partner_key;
