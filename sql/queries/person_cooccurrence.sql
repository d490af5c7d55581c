/* Who is named alongside a person, and how much more often than chance.
   Runs as is on the most covered person named with anyone; to ask about someone else, replace the `focus` CTE with
     SELECT 'Aisha Bello' AS name
   Lift > 1: the pair appears together more often than their separate coverage predicts.
   (Starts with a block comment, not --, so `dateline sql "$(cat this.sql)"` does not read it as an option.) */
WITH focus AS (
    SELECT entity_name AS name FROM v_entity_cooccurrence WHERE entity_type = 'person'
    ORDER BY entity_stories DESC, entity_name LIMIT 1
)
SELECT c.entity_name AS person,
       c.partner_name AS named_with,
       c.partner_type,
       c.together AS stories_together,
       c.partner_stories,
       c.lift,
       c.npmi
FROM v_entity_cooccurrence c
JOIN focus ON c.entity_name = focus.name
ORDER BY c.together DESC, c.lift DESC, c.partner_name
LIMIT 20;
